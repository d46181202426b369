import t from 'tap'
import { buildTestApp, type Client, ticketBody } from '../../helpers/app.ts'

/**
 * Tickets as customers see them through contact tokens. One workspace with two organizations:
 * A, A2 (authorized) and M in X; B in Y.
 */
const ctx = await buildTestApp(t)
const ws = await ctx.createWorkspace()

async function must(res: Promise<{ status: number; text: string; body: any }>, status: number) {
  const r = await res
  if (r.status !== status) throw new Error(`setup: expected ${status}, got ${r.status} ${r.text}`)
  return r.body
}

const orgX = await must(ws.api.post('/v1/organizations', { name: 'Org X' }), 201)
const orgY = await must(ws.api.post('/v1/organizations', { name: 'Org Y' }), 201)

interface Customer {
  id: string
  email: string
  api: Client
}

async function customer(externalId: string, organizationId: string, role: 'member' | 'authorized') {
  const email = `${externalId}@example.com`
  const created = await must(ws.api.post('/v1/contacts', { externalId, email, name: externalId }), 201)
  await must(ws.api.put(`/v1/organizations/${organizationId}/members/${created.id}`, { role }), 200)
  const token = ctx.contactToken(ws, { sub: externalId })
  const who = await must(ctx.as(token).get('/v1/me'), 200)
  if (who.contact.id !== created.id) throw new Error('setup: the token speaks for someone else')
  return { id: created.id as string, email, api: ctx.as(token) }
}

const A = await customer('cust-a', orgX.id, 'member')
const A2 = await customer('cust-a2', orgX.id, 'authorized')
const M = await customer('cust-m', orgX.id, 'member')
const B = await customer('cust-b', orgY.id, 'member')
const agent = await ctx.agent(ws, 'agent')

/** A ticket the staff open for a customer, with what only the staff should see. */
async function ticketFor(who: Customer, overrides: Record<string, unknown> = {}) {
  const ticket = await must(
    ws.api.post(
      '/v1/tickets',
      ticketBody({
        subject: `For ${who.email}`,
        requester: { id: who.id },
        tags: ['vip', 'refund-risk'],
        metadata: { crmScore: 3 },
        ...overrides,
      }),
    ),
    201,
  )
  await must(ws.api.patch(`/v1/tickets/${ticket.id}`, { assigneeId: agent.id }), 200)
  return ticket as { id: string; number: number }
}

const tA = await ticketFor(A)
const tA2 = await ticketFor(A2)
const tM = await ticketFor(M)
const tB = await ticketFor(B)
const note = await must(
  ws.api.post(`/v1/tickets/${tA.id}/messages`, {
    body: 'Customer is a known chargeback risk',
    visibility: 'internal',
  }),
  201,
)
const reply = await must(ws.api.post(`/v1/tickets/${tA.id}/messages`, { body: 'We are on it.' }), 201)

const ids = (res: { body: { data: { id: string }[] } }) => res.body.data.map((x) => x.id).sort()

t.test('each customer lists only the tickets they may see', async (t) => {
  const all = await ws.api.get('/v1/tickets')
  t.same(ids(all), [tA.id, tA2.id, tM.id, tB.id].sort(), 'the staff see all four')

  const asA = await A.api.get('/v1/tickets')
  t.equal(asA.status, 200)
  t.same(ids(asA), [tA.id], 'a member: their own tickets only')
  t.same(ids(await M.api.get('/v1/tickets')), [tM.id])
  t.same(
    ids(await A2.api.get('/v1/tickets')),
    [tA.id, tA2.id, tM.id].sort(),
    "authorized: the organization's",
  )
  t.same(ids(await B.api.get('/v1/tickets')), [tB.id], 'another organization: theirs only')

  t.same(ids(await A.api.get(`/v1/tickets?organizationId=${orgX.id}`)), [tA.id], 'filters do not widen')
  t.same(ids(await A.api.get(`/v1/tickets?requesterId=${M.id}`)), [], "nor name a colleague's tickets")
  t.same(ids(await A2.api.get(`/v1/tickets?organizationId=${orgY.id}`)), [], "nor another organization's")
  t.same(ids(await B.api.get(`/v1/tickets?q=${encodeURIComponent(A.email)}`)), [], 'nor a search')
})

t.test("a customer is told another customer's ticket does not exist", async (t) => {
  const notFound = async (res: Promise<{ status: number }>, why: string) =>
    t.equal((await res).status, 404, why)
  await notFound(A.api.get(`/v1/tickets/${tM.id}`), "a colleague's ticket by id")
  await notFound(A.api.get(`/v1/tickets/${tM.number}`), 'by number')
  await notFound(B.api.get(`/v1/tickets/${tA.id}`), "another organization's by id")
  await notFound(B.api.get(`/v1/tickets/${tA.number}`), 'by number')
  await notFound(A2.api.get(`/v1/tickets/${tB.id}`), "an authorized member, another organization's")
  await notFound(A.api.get(`/v1/tickets/${tM.id}/messages`), 'its messages')
  const mFirst = (await ws.api.get(`/v1/tickets/${tM.id}/messages`)).body.data[0].id
  await notFound(A.api.get(`/v1/tickets/${tM.id}/messages/${mFirst}`), 'one of its messages')
  await notFound(A.api.get(`/v1/tickets/${tA.id}/messages/${mFirst}`), 'nor through their own ticket')
  await notFound(A.api.patch(`/v1/tickets/${tM.id}`, { status: 'solved' }), 'solving it')
  await notFound(B.api.patch(`/v1/tickets/${tA.number}`, { status: 'solved' }), 'solving it by number')
  await notFound(A.api.post(`/v1/tickets/${tM.id}/messages`, { body: 'Me too' }), 'replying to it')
  await notFound(B.api.post(`/v1/tickets/${tA.number}/messages`, { body: 'Me too' }), 'replying by number')

  const untouched = await ws.api.get(`/v1/tickets/${tM.id}`)
  t.not(untouched.body.status, 'solved', 'the refused writes changed nothing')
  t.equal((await ws.api.get(`/v1/tickets/${tM.id}/messages`)).body.data.length, 1)
  t.equal((await ws.api.get(`/v1/tickets/${tA.id}/messages`)).body.data.length, 3)

  t.equal((await A2.api.get(`/v1/tickets/${tM.id}`)).status, 200, "an authorized member reads a colleague's")
  t.equal((await A2.api.get(`/v1/tickets/${tM.number}`)).status, 200, 'by number too')
})

t.test('a customer never sees internal notes or the history', async (t) => {
  for (const [who, label] of [
    [A, 'the requester'],
    [A2, 'an authorized member'],
  ] as const) {
    const messages = await who.api.get(`/v1/tickets/${tA.id}/messages`)
    t.equal(messages.status, 200)
    t.equal(messages.body.data.length, 2, `${label}: the first message and the public reply`)
    t.ok(
      messages.body.data.every((m: { visibility: string }) => m.visibility === 'public'),
      `${label}: public only`,
    )
    t.notOk(messages.text.includes(note.id), `${label}: the note's id is not there`)
    t.notOk(messages.text.includes('chargeback'), `${label}: nor its words`)
    t.equal(
      (await who.api.get(`/v1/tickets/${tA.id}/messages/${note.id}`)).status,
      404,
      `${label}: note by id`,
    )
    const publicReply = await who.api.get(`/v1/tickets/${tA.id}/messages/${reply.id}`)
    t.equal(publicReply.status, 200)
    t.equal(publicReply.body.body, 'We are on it.')
    t.equal((await who.api.get(`/v1/tickets/${tA.id}/events`)).status, 403, `${label}: no history`)
  }
  const staff = await ws.api.get(`/v1/tickets/${tA.id}/messages`)
  t.ok(
    staff.body.data.some((m: { id: string }) => m.id === note.id),
    'the staff see the note',
  )
  t.equal((await ws.api.get(`/v1/tickets/${tA.id}/events`)).status, 200)
})

t.test("a customer's ticket hides the staff's fields", async (t) => {
  const staff = await ws.api.get(`/v1/tickets/${tA.id}`)
  t.match(staff.body, { metadata: { crmScore: 3 }, assigneeId: agent.id }, 'the staff see the real values')
  t.same([...staff.body.tags].sort(), ['refund-risk', 'vip'])

  const hidden = { tags: [], metadata: {}, assigneeId: null }
  const own = await A.api.get(`/v1/tickets/${tA.id}`)
  t.equal(own.status, 200)
  t.match(own.body, { id: tA.id, subject: staff.body.subject, organizationId: orgX.id, ...hidden })
  t.same(own.body.tags, [])
  t.same(own.body.metadata, {})
  t.match((await A.api.get(`/v1/tickets/${tA.number}`)).body, hidden, 'by number')
  const listed = (await A.api.get('/v1/tickets')).body.data.find((x: { id: string }) => x.id === tA.id)
  t.match(listed, { id: tA.id, ...hidden }, 'in the list')
  t.same(listed.tags, [])
  t.same(listed.metadata, {})
  for (const ticket of (await A2.api.get('/v1/tickets')).body.data) {
    t.match(ticket, hidden, `an authorized member's list: #${ticket.number}`)
    t.same(ticket.metadata, {})
  }
  t.notOk(own.text.includes('vip') || own.text.includes('crmScore'), 'not anywhere in the document')
})

t.test('a customer opens tickets for themself; an authorized member for colleagues by id', async (t) => {
  const own = await A.api.post('/v1/tickets', ticketBody({ requester: undefined, subject: 'My own' }))
  t.equal(own.status, 201)
  t.match(own.body, {
    subject: 'My own',
    requester: { id: A.id },
    organizationId: orgX.id,
    channel: 'web',
    tags: [],
    metadata: {},
    assigneeId: null,
  })
  t.same(ids(await A.api.get('/v1/tickets?q=My%20own')), [own.body.id], 'and then sees it')
  const first = await A.api.get(`/v1/tickets/${own.body.id}/messages`)
  t.match(first.body.data, [{ authorKind: 'contact', authorId: A.id, visibility: 'public' }], 'their words')

  const self = await A.api.post('/v1/tickets', ticketBody({ requester: { id: A.id } }))
  t.equal(self.status, 201, 'naming themself is fine')
  t.equal(self.body.requester.id, A.id)

  const before = (await ws.api.get('/v1/tickets?limit=100')).body.data.length
  const refused = async (res: Promise<{ status: number }>, status: number, why: string) =>
    t.equal((await res).status, status, why)
  await refused(
    A.api.post('/v1/tickets', ticketBody({ requester: { id: M.id } })),
    403,
    'a member names a colleague',
  )
  await refused(
    A.api.post('/v1/tickets', ticketBody({ requester: { email: 'someone@example.com' } })),
    403,
    'or an e-mail address',
  )
  await refused(
    A.api.post('/v1/tickets', ticketBody({ requester: { externalId: 'cust-m' } })),
    403,
    'or an externalId',
  )
  await refused(
    A2.api.post('/v1/tickets', ticketBody({ requester: { id: B.id } })),
    403,
    'another organization',
  )
  await refused(
    A2.api.post('/v1/tickets', ticketBody({ requester: { email: M.email } })),
    403,
    'authorized, a colleague by e-mail',
  )
  for (const field of [{ priority: 'urgent' }, { tags: ['vip'] }, { metadata: { crmScore: 1 } }]) {
    await refused(
      A.api.post('/v1/tickets', ticketBody({ requester: undefined, ...field })),
      403,
      `staff's field ${Object.keys(field)[0]}`,
    )
  }
  t.equal((await ws.api.get('/v1/tickets?limit=100')).body.data.length, before, 'no refused ticket was made')

  const forColleague = await A2.api.post(
    '/v1/tickets',
    ticketBody({ requester: { id: M.id }, subject: 'For M' }),
  )
  t.equal(forColleague.status, 201, 'authorized, a colleague by id')
  t.match(forColleague.body, { requester: { id: M.id }, organizationId: orgX.id })
  t.equal((await M.api.get(`/v1/tickets/${forColleague.body.id}`)).status, 200, 'the colleague sees it')
  t.equal((await A.api.get(`/v1/tickets/${forColleague.body.id}`)).status, 404, 'another member does not')
})

t.test('a customer files under public departments only', async (t) => {
  await must(ws.api.post('/v1/departments', { name: 'Billing', slug: 'billing', public: true }), 201)
  await must(ws.api.post('/v1/departments', { name: 'Escalations', slug: 'escalations' }), 201)
  const hidden = await ws.api.patch('/v1/departments/escalations', { public: false })
  t.equal(hidden.status, 200)
  t.equal(hidden.body.public, false)

  const billing = await A.api.post('/v1/tickets', ticketBody({ requester: undefined, department: 'billing' }))
  t.equal(billing.status, 201)
  t.match(billing.body.department, { slug: 'billing' })
  const internal = await A.api.post(
    '/v1/tickets',
    ticketBody({ requester: undefined, department: 'escalations' }),
  )
  t.equal(internal.status, 400, 'a non-public department')
  t.match(internal.body.errors, [{ path: '/department' }])
  const byId = await A.api.post(
    '/v1/tickets',
    ticketBody({ requester: undefined, department: hidden.body.id }),
  )
  t.equal(byId.status, 400, 'named by id too')
  t.equal(
    (await ws.api.post('/v1/tickets', ticketBody({ requester: { id: A.id }, department: 'escalations' })))
      .status,
    201,
    'the staff may',
  )
})

t.test('a customer replies in their own name, publicly, and a reply reopens', async (t) => {
  const ticket = await ticketFor(A)
  const msg = await A.api.post(`/v1/tickets/${ticket.id}/messages`, { body: 'Any news?' })
  t.equal(msg.status, 201)
  t.match(msg.body, { authorKind: 'contact', authorId: A.id, visibility: 'public', body: 'Any news?' })
  const byColleague = await A2.api.post(`/v1/tickets/${ticket.id}/messages`, { body: 'Adding details' })
  t.equal(byColleague.status, 201, "an authorized member replies on the organization's ticket")
  t.match(byColleague.body, { authorKind: 'contact', authorId: A2.id })

  const internal = await A.api.post(`/v1/tickets/${ticket.id}/messages`, {
    body: 'psst',
    visibility: 'internal',
  })
  t.equal(internal.status, 403, 'no internal notes')
  const asSomeoneElse = await A.api.post(`/v1/tickets/${ticket.id}/messages`, {
    body: 'x',
    author: 'requester',
  })
  t.equal(asSomeoneElse.status, 403, 'no author field')
  t.equal(
    (await ws.api.get(`/v1/tickets/${ticket.id}/messages`)).body.data.length,
    3,
    'the refused wrote nothing',
  )

  t.equal((await ws.api.patch(`/v1/tickets/${ticket.id}`, { status: 'solved' })).status, 200)
  const again = await A.api.post(`/v1/tickets/${ticket.id}/messages`, { body: 'Still broken' })
  t.equal(again.status, 201)
  const reopened = await ws.api.get(`/v1/tickets/${ticket.id}`)
  t.equal(reopened.body.status, 'open', 'a reply on a solved ticket reopens it')
  t.equal(reopened.body.solvedAt, null)
})

t.test('a customer may mark their ticket solved, and nothing else', async (t) => {
  const ticket = await ticketFor(A)
  const version = (await ws.api.get(`/v1/tickets/${ticket.id}`)).body.version
  const refused = async (body: Record<string, unknown>, why: string) =>
    t.equal((await A.api.patch(`/v1/tickets/${ticket.id}`, body)).status, 403, why)
  await refused({ subject: 'x' }, 'the subject')
  await refused({ status: 'open' }, 'another status')
  await refused({ status: 'pending' }, 'another status')
  await refused({ status: 'solved', subject: 'x' }, 'solved with something else')
  await refused({ assigneeId: null }, 'the assignee')
  t.equal((await ws.api.get(`/v1/tickets/${ticket.id}`)).body.version, version, 'nothing changed')

  const solved = await A.api.patch(`/v1/tickets/${ticket.id}`, { status: 'solved' })
  t.equal(solved.status, 200)
  t.match(solved.body, {
    id: ticket.id,
    status: 'solved',
    solvedAt: String,
    tags: [],
    metadata: {},
    assigneeId: null,
  })
  t.same(solved.body.tags, [], 'the answer hides the staff fields too')
  const events = await ws.api.get(`/v1/tickets/${ticket.id}/events`)
  const last = events.body.data.at(-1)
  t.match(last, {
    type: 'ticket.updated',
    actor: { kind: 'contact', id: A.id },
    changes: { status: [String, 'solved'] },
  })

  const colleague = await ticketFor(M)
  t.equal((await A2.api.patch(`/v1/tickets/${colleague.id}`, { status: 'solved' })).status, 200, 'authorized')
  t.equal((await ws.api.get(`/v1/tickets/${colleague.id}`)).body.status, 'solved')
})

t.test('a customer sees public departments and priorities, without the staff in them', async (t) => {
  await ws.api.post('/v1/departments', {
    name: 'Returns',
    slug: 'returns',
    public: true,
    memberIds: [agent.id],
  })
  await ws.api.post('/v1/departments', { name: 'Fraud', slug: 'fraud', public: false, memberIds: [agent.id] })
  const staff = await ws.api.get('/v1/departments')
  const staffReturns = staff.body.data.find((d: { slug: string }) => d.slug === 'returns')
  t.same(staffReturns.memberIds, [agent.id], 'the staff see the members')
  t.ok(staff.body.data.some((d: { slug: string }) => d.slug === 'fraud'))

  const departments = await A.api.get('/v1/departments')
  t.equal(departments.status, 200)
  const slugs = departments.body.data.map((d: { slug: string }) => d.slug)
  t.same(
    slugs,
    staff.body.data.filter((d: { public: boolean }) => d.public).map((d: { slug: string }) => d.slug),
    'the public ones, in order',
  )
  t.ok(slugs.includes('returns') && slugs.includes('general'))
  t.notOk(slugs.includes('fraud') || slugs.includes('escalations'), 'no private one')
  t.ok(
    departments.body.data.every((d: { memberIds: string[] }) => d.memberIds.length === 0),
    'memberIds are empty',
  )
  t.notOk(departments.text.includes(agent.id), "the agent's id is nowhere")
  t.equal((await A.api.get('/v1/departments/fraud')).status, 404, 'a private one by slug')
  t.same((await A.api.get('/v1/departments/returns')).body.memberIds, [])

  const priorities = await A.api.get('/v1/priorities')
  t.equal(priorities.status, 200)
  t.ok(priorities.body.data.length > 0)
  t.same(
    priorities.body.data,
    (await ws.api.get('/v1/priorities')).body.data,
    'the same priorities staff see',
  )
  t.equal((await A.api.post('/v1/departments', { name: 'Mine', slug: 'mine' })).status, 403, 'read only')
})

t.test('a customer cannot use the staff routes', async (t) => {
  const forbidden = async (res: Promise<{ status: number }>, why: string) =>
    t.equal((await res).status, 403, why)
  await forbidden(A.api.get('/v1/contacts'), 'list contacts')
  await forbidden(A.api.get(`/v1/contacts/${A.id}`), 'read a contact, even themself')
  await forbidden(A.api.get(`/v1/contacts/${A.id}/tickets`), "a contact's tickets")
  await forbidden(A2.api.get(`/v1/organizations/${orgX.id}/tickets`), "an organization's tickets")
  await forbidden(A2.api.get(`/v1/organizations/${orgX.id}/members`), "an organization's members")
  await forbidden(A.api.get('/v1/agents'), 'list agents')
  await forbidden(A.api.get('/v1/organizations'), 'list organizations')
  await forbidden(A.api.post('/v1/contacts', { email: 'new@example.com' }), 'create a contact')
  await forbidden(A.api.patch(`/v1/contacts/${A.id}`, { blocked: false }), 'change a contact, even themself')
  await forbidden(
    A2.api.put(`/v1/organizations/${orgX.id}/members/${A.id}`, { role: 'authorized' }),
    'promote a colleague',
  )
  await forbidden(A.api.get('/v1/api-keys'), 'API keys')
  t.equal((await ws.api.get(`/v1/contacts/${A.id}`)).body.organizationRole, 'member', 'A is still a member')
})
