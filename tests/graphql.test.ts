import t from 'tap'
import { buildTestApp, ticketBody } from './helpers/app.ts'

const ctx = await buildTestApp(t)

const LIST = `query List($first: Int, $after: String, $filter: TicketFilter, $sort: TicketSort) {
  tickets(first: $first, after: $after, filter: $filter, sort: $sort) {
    edges { cursor node { number subject status requester { id email } priority { slug rank } department { slug } } }
    pageInfo { hasNextPage endCursor }
  }
}`

t.test('tickets are a Relay connection with filters, sorting and cursors', async (t) => {
  const { api } = await ctx.createWorkspace()
  for (let i = 1; i <= 5; i++) {
    await api.post(
      '/v1/tickets',
      ticketBody({ subject: `T${i}`, priority: i % 2 ? 'urgent' : 'low', tags: i > 3 ? ['vip'] : [] }),
    )
  }
  const page1 = await api.graphql(LIST, { first: 2, sort: { field: 'number', direction: 'ASC' } })
  t.equal(page1.status, 200)
  t.notOk(page1.body.errors)
  const conn = page1.body.data.tickets
  t.same(
    conn.edges.map((e: { node: { number: number } }) => e.node.number),
    [1, 2],
  )
  t.equal(conn.pageInfo.hasNextPage, true)
  t.match(conn.edges[0].node, {
    subject: 'T1',
    status: 'new',
    priority: { slug: 'urgent', rank: 1 },
    department: { slug: 'general' },
  })
  const page2 = await api.graphql(LIST, {
    first: 2,
    after: conn.pageInfo.endCursor,
    sort: { field: 'number', direction: 'ASC' },
  })
  t.same(
    page2.body.data.tickets.edges.map((e: { node: { number: number } }) => e.node.number),
    [3, 4],
  )

  const filtered = await api.graphql(LIST, { filter: { priority: ['urgent'], tag: ['VIP'] } })
  t.same(
    filtered.body.data.tickets.edges.map((e: { node: { number: number } }) => e.node.number),
    [5],
  )
  const byStatus = await api.graphql(LIST, { filter: { status: ['open'] } })
  t.same(byStatus.body.data.tickets.edges, [])
})

t.test('ticket(id|number) with messages and history; null when missing', async (t) => {
  const { api } = await ctx.createWorkspace()
  const created = (await api.post('/v1/tickets', ticketBody())).body
  await api.post('/v1/tickets/1/messages', { body: 'Reply' })
  const query = `query One($id: ID, $number: Int) { ticket(id: $id, number: $number) {
    id number metadata createdAt sla { breached nextDueAt }
    messages { nodes { body visibility authorKind } }
    events { nodes { type changes actor { kind } } }
  } }`
  const byNumber = await api.graphql(query, { number: 1 })
  t.equal(byNumber.body.data.ticket.id, created.id)
  t.equal(byNumber.body.data.ticket.createdAt, created.createdAt)
  t.same(
    byNumber.body.data.ticket.messages.nodes.map((m: { body: string }) => m.body),
    [created ? 'I ordered a week ago and nothing has come.' : '', 'Reply'],
  )
  t.same(
    byNumber.body.data.ticket.events.nodes.map((e: { type: string }) => e.type),
    ['ticket.created', 'ticket.message_added'],
  )
  const byId = await api.graphql(query, { id: created.id })
  t.equal(byId.body.data.ticket.number, 1)
  t.equal((await api.graphql(query, { number: 99 })).body.data.ticket, null)
  const both = await api.graphql(query, { id: created.id, number: 1 })
  t.equal(both.body.errors[0].extensions.code, 'validation')
})

t.test('mutations call the same services and return userErrors for bad input', async (t) => {
  const { api } = await ctx.createWorkspace()
  const create = `mutation C($input: CreateTicketInput!) { createTicket(input: $input) {
    ticket { number subject tags priority { slug } requester { email externalId } } userErrors { code message path } } }`
  const ok = await api.graphql(create, {
    input: {
      subject: 'From GraphQL',
      message: { body: 'Hi' },
      requester: { externalId: 'c1', email: 'g@example.com' },
      priority: 'high',
      tags: ['B', 'a'],
    },
  })
  t.same(ok.body.data.createTicket.userErrors, [])
  t.match(ok.body.data.createTicket.ticket, {
    number: 1,
    tags: ['a', 'b'],
    priority: { slug: 'high' },
    requester: { externalId: 'c1' },
  })
  t.equal((await api.get('/v1/tickets/1')).body.subject, 'From GraphQL', 'REST sees what GraphQL created')

  const bad = await api.graphql(create, {
    input: { subject: '', message: { body: 'Hi' }, requester: { email: 'not-an-email' } },
  })
  t.equal(bad.body.data.createTicket.ticket, null)
  const paths = bad.body.data.createTicket.userErrors.map((e: { path: string }) => e.path)
  t.ok(paths.includes('/subject'))
  t.ok(paths.includes('/requester/email') || paths.some((p: string) => p.startsWith('/requester')))

  const update = `mutation U($ticket: TicketRef!, $input: UpdateTicketInput!, $v: Int) {
    updateTicket(ticket: $ticket, input: $input, expectedVersion: $v) { ticket { status version solvedAt } userErrors { code message } } }`
  const solved = await api.graphql(update, { ticket: { number: 1 }, input: { status: 'solved' }, v: 1 })
  t.match(solved.body.data.updateTicket.ticket, { status: 'solved', version: 2 })
  const stale = await api.graphql(update, { ticket: { number: 1 }, input: { subject: 'x' }, v: 1 })
  t.equal(stale.body.data.updateTicket.userErrors[0].code, 'precondition_failed')
  const cleared = await api.graphql(update, { ticket: { number: 1 }, input: { type: null } })
  t.same(cleared.body.data.updateTicket.userErrors, [])

  const add = `mutation A($ticket: TicketRef!, $input: AddMessageInput!) {
    addMessage(ticket: $ticket, input: $input) { message { body visibility authorKind } ticket { status } userErrors { code } } }`
  const note = await api.graphql(add, {
    ticket: { number: 1 },
    input: { body: 'Customer again', asRequester: true },
  })
  t.match(note.body.data.addMessage, {
    message: { authorKind: 'contact' },
    ticket: { status: 'open' },
    userErrors: [],
  })
  const missing = await api.graphql(add, { ticket: { number: 42 }, input: { body: 'x' } })
  t.equal(missing.body.data.addMessage.userErrors[0].code, 'not_found')
})

t.test(
  'a 25-ticket list with requester, priority and department costs the same few queries as a 2-ticket one',
  async (t) => {
    const { api } = await ctx.createWorkspace()
    for (let i = 0; i < 25; i++) {
      await api.post(
        '/v1/tickets',
        ticketBody({ requester: { email: `c${i}@example.com` }, priority: ['urgent', 'high', 'low'][i % 3] }),
      )
    }
    const count = async (first: number) => {
      ctx.queries.length = 0
      const res = await api.graphql(LIST, { first })
      t.equal(res.body.data.tickets.edges.length, first)
      t.ok(
        res.body.data.tickets.edges.every(
          (e: { node: { requester: { email: string } } }) => e.node.requester.email,
        ),
      )
      // Transaction control and the workspace binding of each transaction are not queries of the data.
      return ctx.queries.filter((q) => !/^(begin|commit)/i.test(q) && !q.includes("set_config('role'")).length
    }
    const few = await count(2)
    const many = await count(25)
    t.equal(many, few, `${many} statements for 25 tickets, ${few} for 2`)
    t.ok(many <= 5, `bounded: ${many} statements (auth, list, requester, priority, department)`)
  },
)

t.test('same tokens and policy: anonymous and under-scoped callers are refused', async (t) => {
  const ws = await ctx.createWorkspace()
  const anon = await ctx.anonymous.graphql('{ tickets { nodes { id } } }')
  t.equal(anon.body.errors[0].extensions.code, 'unauthorized')
  const readOnly = await ctx.withScopes(ws, ['tickets:read'])
  const denied = await readOnly.graphql(
    'mutation { createTicket(input: { subject: "x", message: { body: "x" }, requester: { email: "a@example.com" } }) { ticket { id } } }',
  )
  t.equal(denied.body.errors[0].extensions.code, 'forbidden')
  const other = await ctx.createWorkspace()
  await ws.api.post('/v1/tickets', ticketBody())
  t.equal(
    (await other.api.graphql('{ ticket(number: 1) { id } }')).body.data.ticket,
    null,
    'other workspaces see nothing',
  )
})

t.test('query depth is limited by GRAPHQL_DEPTH_LIMIT and syntax errors are client errors', async (t) => {
  const shallow = await buildTestApp(t, { GRAPHQL_DEPTH_LIMIT: '3' })
  const { api } = await shallow.createWorkspace()
  await api.post('/v1/tickets', ticketBody())
  const allowed = await api.graphql('{ tickets { nodes { number } } }')
  t.same(allowed.body.data.tickets.nodes, [{ number: 1 }], 'depth 3 is allowed')
  const deep = await api.graphql('{ tickets { nodes { requester { email } } } }')
  t.equal(deep.status, 400)
  t.match(deep.body.errors[0].message, /depth/i, 'depth 4 is refused')
  t.notOk(deep.body.data)
  const syntax = await api.graphql('{ tickets { ')
  t.equal(syntax.status, 400)
  t.ok(syntax.body.errors[0].message)
})

t.test('an ID argument that is no UUID is a validation error, never an internal one', async (t) => {
  // The schema types ids as strings: every query and command taking one must refuse a malformed one as
  // REST's path schemas do.
  const ws = await ctx.createWorkspace()
  await ws.api.post('/v1/tickets', ticketBody())
  const operations = (id: string) => [
    `{ ticket(id: "${id}") { id } }`,
    `{ agent(id: "${id}") { id } }`,
    `{ contact(id: "${id}") { id } }`,
    `{ organization(id: "${id}") { id } }`,
    `{ businessCalendar(id: "${id}") { id } }`,
    `{ slaPolicy(id: "${id}") { id } }`,
    `{ kbArticle(ref: "${id}") { id } }`,
    `{ tickets(filter: { requesterId: "${id}" }) { nodes { id } } }`,
    `{ contacts(filter: { organizationId: "${id}" }) { nodes { id } } }`,
    `mutation { updateTicket(ticket: { id: "${id}" }, input: { subject: "x" }) { userErrors { code } } }`,
    `mutation { addMessage(ticket: { id: "${id}" }, input: { body: "x" }) { userErrors { code } } }`,
    `mutation { linkKbArticle(ticket: { id: "${id}" }, articleId: "${id}") { userErrors { code } } }`,
    `mutation { updateContact(id: "${id}", input: { name: "x" }) { userErrors { code } } }`,
    `mutation { updateOrganization(id: "${id}", input: { name: "x" }) { userErrors { code } } }`,
    `mutation { updateAgent(id: "${id}", input: { name: "x" }) { userErrors { code } } }`,
  ]
  const codes = new Set<string>()
  for (const id of ['nope', '1.5', '00000000-0000-0000-0000-00000000000g']) {
    for (const operation of operations(id)) {
      const res = await ws.api.graphql(operation)
      t.equal(res.status, 200)
      const errors = [
        ...(res.body.errors ?? []),
        ...Object.values(res.body.data ?? {}).flatMap((v: any) => v?.userErrors ?? []),
      ]
      const found = errors.map((e: any) => e.extensions?.code ?? e.code)
      for (const code of found) codes.add(code)
      if (
        found.includes('internal') ||
        (found.length === 0 && !JSON.stringify(res.body.data).includes('null'))
      ) {
        t.fail(`${operation} → ${JSON.stringify(res.body).slice(0, 200)}`)
      }
    }
  }
  t.notOk(codes.has('internal'), 'no internal error')
  t.ok(codes.has('validation'), 'malformed ids are validation errors')
})
