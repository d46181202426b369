import t from 'tap'
import { buildTestApp, type Client, ticketBody, type Workspace } from '../helpers/app.ts'

const ctx = await buildTestApp(t)

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000'

interface Listed {
  id: string
  slug: string
}

const slugs = (res: { body: { data: Listed[] } }) => res.body.data.map((d) => d.slug)

async function ok(res: Promise<{ status: number; text: string; body: any }>, status = 201) {
  const done = await res
  if (done.status !== status) throw new Error(`expected ${status}, got ${done.status}: ${done.text}`)
  return done.body
}

async function ticket(ws: Workspace, extra: Record<string, unknown> = {}) {
  return ok(ws.api.post('/v1/tickets', ticketBody(extra)))
}

async function ticketEvents(api: Client, id: string) {
  const res = await api.get(`/v1/tickets/${id}/events?limit=100`)
  return res.body.data as { type: string; changes: Record<string, [unknown, unknown]> }[]
}

/** Every ticket number a list query reaches, walking its pages. */
async function walk(api: Client, query: string, limit: number) {
  const numbers: number[] = []
  let cursor: string | null = null
  do {
    const res: { status: number; body: { data: { number: number }[]; nextCursor: string | null } } =
      await api.get(
        `/v1/tickets?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      )
    if (res.status !== 200) throw new Error(`list failed: ${res.status} ${JSON.stringify(res.body)}`)
    numbers.push(...res.body.data.map((d) => d.number))
    cursor = res.body.nextCursor
  } while (cursor)
  return numbers
}

t.test('priorities: listed most urgent first, read by id or slug', async (t) => {
  const ws = await ctx.createWorkspace()
  const list = await ws.api.get('/v1/priorities')
  t.equal(list.status, 200)
  t.same(slugs(list), ['urgent', 'high', 'normal', 'low'])
  t.same(
    list.body.data.map((p: { rank: number }) => p.rank),
    [1, 2, 3, 4],
  )
  t.same(
    list.body.data.filter((p: { isDefault: boolean }) => p.isDefault).map((p: Listed) => p.slug),
    ['normal'],
    'exactly one default',
  )

  await ok(ws.api.patch('/v1/priorities/low', { rank: 10 }), 200)
  const created = await ws.api.post('/v1/priorities', {
    name: 'Somewhat low',
    slug: 'somewhat-low',
    rank: 7,
    color: '#00aa00',
  })
  t.equal(created.status, 201)
  t.equal(created.headers.location, `/v1/priorities/${created.body.id}`)
  t.match(created.body, {
    name: 'Somewhat low',
    slug: 'somewhat-low',
    rank: 7,
    color: '#00aa00',
    isDefault: false,
  })
  t.same(
    slugs(await ws.api.get('/v1/priorities')),
    ['urgent', 'high', 'normal', 'somewhat-low', 'low'],
    'by rank, not by creation',
  )

  const first = await ws.api.get('/v1/priorities?limit=2')
  t.same(slugs(first), ['urgent', 'high'])
  const second = await ws.api.get(
    `/v1/priorities?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`,
  )
  t.same(slugs(second), ['normal', 'somewhat-low'])
  const third = await ws.api.get(
    `/v1/priorities?limit=2&cursor=${encodeURIComponent(second.body.nextCursor)}`,
  )
  t.same(slugs(third), ['low'])
  t.equal(third.body.nextCursor, null)

  const bySlug = await ws.api.get('/v1/priorities/somewhat-low')
  t.equal(bySlug.status, 200)
  t.same(bySlug.body, created.body)
  t.same((await ws.api.get(`/v1/priorities/${created.body.id}`)).body, created.body, 'by id')
  t.equal((await ws.api.get('/v1/priorities/nope')).status, 404)
  t.equal((await ws.api.get(`/v1/priorities/${UNKNOWN_ID}`)).status, 404)
  const other = await ctx.createWorkspace()
  t.equal((await other.api.get(`/v1/priorities/${created.body.id}`)).status, 404, 'per workspace')
  t.equal((await other.api.get('/v1/priorities/somewhat-low')).status, 404)
})

t.test('departments: listed by position, read by id or slug', async (t) => {
  const ws = await ctx.createWorkspace()
  const general = await ws.api.get('/v1/departments/general')
  t.equal(general.status, 200)
  t.match(general.body, { slug: 'general', name: 'General', public: true, position: 0, memberIds: [] })

  const billing = await ws.api.post('/v1/departments', {
    name: 'Billing',
    slug: 'billing',
    position: 5,
    description: 'Invoices and refunds',
    email: 'billing@shop.test',
    public: false,
  })
  t.equal(billing.status, 201)
  t.equal(billing.headers.location, `/v1/departments/${billing.body.id}`)
  t.match(billing.body, {
    name: 'Billing',
    slug: 'billing',
    position: 5,
    description: 'Invoices and refunds',
    email: 'billing@shop.test',
    public: false,
    defaultPriorityId: null,
    memberIds: [],
  })
  await ok(ws.api.post('/v1/departments', { name: 'Sales', slug: 'sales', position: 2 }))
  await ok(ws.api.post('/v1/departments', { name: 'Zeta', slug: 'zeta', position: 2 }))

  const list = await ws.api.get('/v1/departments')
  t.equal(list.status, 200)
  const bySales = slugs(list)
  t.same(bySales.slice(0, 1), ['general'])
  t.same([...bySales.slice(1, 3)].sort(), ['sales', 'zeta'], 'position 2 comes after 0')
  t.same(bySales.slice(3), ['billing'], 'position 5 last')

  const paged: string[] = []
  let cursor: string | null = null
  do {
    const page: { body: { data: Listed[]; nextCursor: string | null } } = await ws.api.get(
      `/v1/departments?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    )
    paged.push(...page.body.data.map((d) => d.slug))
    cursor = page.body.nextCursor
  } while (cursor)
  t.same(paged, bySales, 'pages walk the same order')

  t.same((await ws.api.get(`/v1/departments/${billing.body.id}`)).body, billing.body, 'by id')
  t.same((await ws.api.get('/v1/departments/billing')).body, billing.body, 'by slug')
  t.equal((await ws.api.get('/v1/departments/nope')).status, 404)

  const patched = await ws.api.patch('/v1/departments/billing', { position: 1, name: 'Billing & refunds' })
  t.equal(patched.status, 200)
  t.match(patched.body, { position: 1, name: 'Billing & refunds', slug: 'billing' })
  t.same(slugs(await ws.api.get('/v1/departments')).slice(0, 2), ['general', 'billing'])

  const contact = ctx.as(ctx.contactToken(ws, { sub: 'catalog-customer' }))
  const seen = await contact.get('/v1/departments')
  t.equal(seen.status, 200)
  t.notOk(slugs(seen).includes('billing'), 'a contact sees public departments only')
  t.ok(slugs(seen).includes('general'))
  t.equal((await contact.get('/v1/departments/billing')).status, 404)
  t.equal((await contact.get('/v1/priorities')).status, 200, 'and every priority')
  t.equal((await contact.post('/v1/departments', { name: 'X', slug: 'x' })).status, 403)
})

t.test('slug and rank are unique', async (t) => {
  const ws = await ctx.createWorkspace()
  const slug = await ws.api.post('/v1/priorities', { name: 'Again', slug: 'urgent', rank: 9 })
  t.equal(slug.status, 409)
  t.equal(slug.body.code, 'conflict')
  t.match(slug.body.errors, [{ path: '/slug' }])
  const rank = await ws.api.post('/v1/priorities', { name: 'Clash', slug: 'clash', rank: 1 })
  t.equal(rank.status, 409)
  t.match(rank.body.errors, [{ path: '/rank' }])
  t.equal((await ws.api.patch('/v1/priorities/high', { rank: 1 })).status, 409)
  const patchSlug = await ws.api.patch('/v1/priorities/high', { slug: 'low' })
  t.equal(patchSlug.status, 409)
  t.match(patchSlug.body.errors, [{ path: '/slug' }])
  t.match((await ws.api.get('/v1/priorities/high')).body, { rank: 2, slug: 'high' }, 'unchanged')
  t.equal((await ws.api.get('/v1/priorities')).body.data.length, 4, 'nothing created')

  const dept = await ws.api.post('/v1/departments', { name: 'General again', slug: 'general' })
  t.equal(dept.status, 409)
  t.match(dept.body.errors, [{ path: '/slug' }])
  await ok(ws.api.post('/v1/departments', { name: 'Sales', slug: 'sales' }))
  const patchDept = await ws.api.patch('/v1/departments/sales', { slug: 'general' })
  t.equal(patchDept.status, 409)
  t.match(patchDept.body.errors, [{ path: '/slug' }])

  t.equal((await ws.api.post('/v1/priorities', { name: 'x', slug: 'Bad Slug', rank: 9 })).status, 400)
  t.equal((await ws.api.post('/v1/priorities', { name: 'x', slug: 'zero', rank: 0 })).status, 400)
  t.equal((await ws.api.post('/v1/priorities', { name: 'x', slug: 'c', rank: 9, color: 'red' })).status, 400)

  const other = await ctx.createWorkspace()
  t.equal(
    (await other.api.post('/v1/priorities', { name: 'Mine', slug: 'mine', rank: 5 })).status,
    201,
    'slug and rank are per workspace',
  )
})

t.test('exactly one priority is the default', async (t) => {
  const ws = await ctx.createWorkspace()
  const defaults = async () =>
    (await ws.api.get('/v1/priorities')).body.data
      .filter((p: { isDefault: boolean }) => p.isDefault)
      .map((p: Listed) => p.slug)

  const made = await ws.api.patch('/v1/priorities/high', { isDefault: true })
  t.equal(made.status, 200)
  t.equal(made.body.isDefault, true)
  t.same(await defaults(), ['high'], 'making another default unsets the old')
  t.equal((await ticket(ws)).priority.slug, 'high', 'new tickets take the default')

  const unset = await ws.api.patch('/v1/priorities/high', { isDefault: false })
  t.equal(unset.status, 400)
  t.match(unset.body.errors, [{ path: '/isDefault' }])
  t.same(await defaults(), ['high'])
  t.equal((await ws.api.patch('/v1/priorities/low', { isDefault: false })).status, 200, 'a no-op elsewhere')

  const removed = await ws.api.delete('/v1/priorities/high')
  t.equal(removed.status, 409, 'the default cannot be deleted')
  t.equal((await ws.api.get('/v1/priorities/high')).status, 200)

  const refused = await ws.api.post('/v1/priorities', { name: 'X', slug: 'x', rank: 1, isDefault: true })
  t.equal(refused.status, 409)
  t.same(await defaults(), ['high'], 'a refused creation leaves the default alone')

  const createdDefault = await ws.api.post('/v1/priorities', {
    name: 'Standard',
    slug: 'standard',
    rank: 5,
    isDefault: true,
  })
  t.equal(createdDefault.status, 201)
  t.equal(createdDefault.body.isDefault, true)
  t.same(await defaults(), ['standard'], 'a new default takes over')
  t.equal((await ws.api.get('/v1/priorities/high')).body.isDefault, false)
  t.equal((await ws.api.delete('/v1/priorities/high?moveTo=urgent')).status, 204, 'the old one can go now')
})

t.test("a department's default priority applies to its new tickets", async (t) => {
  const ws = await ctx.createWorkspace()
  const special = await ok(ws.api.post('/v1/priorities', { name: 'Special', slug: 'special', rank: 7 }))
  const vip = await ws.api.post('/v1/departments', { name: 'VIP', slug: 'vip', defaultPriority: 'special' })
  t.equal(vip.status, 201)
  t.equal(vip.body.defaultPriorityId, special.id)
  t.equal(
    (await ws.api.post('/v1/departments', { name: 'X', slug: 'x', defaultPriority: 'nope' })).status,
    400,
  )

  t.equal((await ticket(ws, { department: 'vip' })).priority.slug, 'special')
  t.equal((await ticket(ws, { department: 'vip', priority: 'low' })).priority.slug, 'low', 'unless named')
  t.equal((await ticket(ws)).priority.slug, 'normal', 'other departments take the workspace default')

  t.equal((await ws.api.delete('/v1/priorities/special?moveTo=high')).status, 204)
  t.equal((await ws.api.get('/v1/departments/vip')).body.defaultPriorityId, null, 'no dangling default')
  t.equal((await ticket(ws, { department: 'vip' })).priority.slug, 'normal')
})

t.test('deleting a priority: 409 with open tickets, moveTo moves them and records it', async (t) => {
  const ws = await ctx.createWorkspace()
  const low = (await ws.api.get('/v1/priorities/low')).body
  const high = (await ws.api.get('/v1/priorities/high')).body
  const moved = [await ticket(ws, { priority: 'low' }), await ticket(ws, { priority: 'low' })]
  const untouched = await ticket(ws, { priority: 'urgent' })

  const refused = await ws.api.delete('/v1/priorities/low')
  t.equal(refused.status, 409)
  t.equal(refused.body.code, 'conflict')
  t.equal((await ws.api.get('/v1/priorities/low')).status, 200)
  t.equal((await ws.api.delete('/v1/priorities/low?moveTo=low')).status, 400, 'not onto itself')
  t.equal((await ws.api.delete('/v1/priorities/low?moveTo=nope')).status, 400)

  const deleted = await ws.api.delete('/v1/priorities/low?moveTo=high')
  t.equal(deleted.status, 204)
  t.equal((await ws.api.get('/v1/priorities/low')).status, 404)
  for (const before of moved) {
    const after = (await ws.api.get(`/v1/tickets/${before.id}`)).body
    t.match(after.priority, { id: high.id, slug: 'high' })
    t.equal(after.version, before.version + 1, 'a move is a change')
    const updates = (await ticketEvents(ws.api, before.id)).filter((e) => e.type === 'ticket.updated')
    t.equal(updates.length, 1, 'one ticket.updated event per ticket')
    t.same(updates[0]?.changes, { priorityId: [low.id, high.id] })
  }
  t.equal((await ws.api.get(`/v1/tickets/${untouched.id}`)).body.priority.slug, 'urgent')
  t.equal((await ticketEvents(ws.api, untouched.id)).length, 1, 'other tickets record nothing')
})

t.test(
  'deleting a department: 409 with open tickets, moveTo moves them, solved ones are released',
  async (t) => {
    const ws = await ctx.createWorkspace()
    const general = (await ws.api.get('/v1/departments/general')).body
    const returns = await ok(ws.api.post('/v1/departments', { name: 'Returns', slug: 'returns' }))
    const open = [await ticket(ws, { department: 'returns' }), await ticket(ws, { department: 'returns' })]

    const refused = await ws.api.delete('/v1/departments/returns')
    t.equal(refused.status, 409)
    t.equal(refused.body.code, 'conflict')
    t.equal((await ws.api.get('/v1/departments/returns')).status, 200)
    t.equal((await ws.api.delete('/v1/departments/returns?moveTo=returns')).status, 400)
    t.equal((await ws.api.delete('/v1/departments/returns?moveTo=nowhere')).status, 400)

    const deleted = await ws.api.delete(`/v1/departments/${returns.id}?moveTo=general`)
    t.equal(deleted.status, 204)
    t.equal((await ws.api.get('/v1/departments/returns')).status, 404)
    for (const before of open) {
      const after = (await ws.api.get(`/v1/tickets/${before.id}`)).body
      t.match(after.department, { id: general.id, slug: 'general' })
      const updates = (await ticketEvents(ws.api, before.id)).filter((e) => e.type === 'ticket.updated')
      t.equal(updates.length, 1)
      t.same(updates[0]?.changes, { departmentId: [returns.id, general.id] })
    }

    const archive = await ok(ws.api.post('/v1/departments', { name: 'Archive', slug: 'archive' }))
    const solved = await ticket(ws, { department: 'archive' })
    await ok(ws.api.patch(`/v1/tickets/${solved.id}`, { status: 'solved' }), 200)
    const closed = await ticket(ws, { department: 'archive' })
    await ok(ws.api.patch(`/v1/tickets/${closed.id}`, { status: 'solved' }), 200)
    await ok(ws.api.patch(`/v1/tickets/${closed.id}`, { status: 'closed' }), 200)
    const gone = await ws.api.delete('/v1/departments/archive')
    t.equal(gone.status, 204, 'only solved and closed tickets: no moveTo needed')
    for (const before of [solved, closed]) {
      const after = (await ws.api.get(`/v1/tickets/${before.id}`)).body
      t.equal(after.department, null, 'left without a department')
      t.equal(after.status, before.id === solved.id ? 'solved' : 'closed')
      const last = (await ticketEvents(ws.api, before.id)).at(-1)
      t.same(last?.changes, { departmentId: [archive.id, null] })
    }
  },
)

t.test('writes need an admin; any key reads', async (t) => {
  const ws = await ctx.createWorkspace()
  for (const scopes of [['tickets:read'], ['tickets:write'], ['contacts:write']]) {
    const key = await ctx.withScopes(ws, scopes)
    const label = scopes.join()
    t.equal((await key.get('/v1/departments')).status, 200, `${label} lists departments`)
    t.equal((await key.get('/v1/departments/general')).status, 200)
    t.equal((await key.get('/v1/priorities')).status, 200)
    t.equal((await key.get('/v1/priorities/urgent')).status, 200)
    t.equal(
      (await key.post('/v1/departments', { name: 'X', slug: 'x' })).status,
      403,
      `${label} cannot create`,
    )
    t.equal((await key.patch('/v1/departments/general', { name: 'X' })).status, 403)
    t.equal((await key.delete('/v1/departments/general?moveTo=general')).status, 403)
    t.equal((await key.post('/v1/priorities', { name: 'X', slug: 'x', rank: 9 })).status, 403)
    t.equal((await key.patch('/v1/priorities/low', { name: 'X' })).status, 403)
    t.equal((await key.delete('/v1/priorities/low')).status, 403)
  }
  const agent = await ctx.agent(ws, 'agent')
  t.equal((await agent.api.get('/v1/priorities')).status, 200)
  t.equal((await agent.api.patch('/v1/priorities/low', { name: 'X' })).status, 403, 'an agent cannot write')
  t.match((await ws.api.get('/v1/priorities/low')).body, { name: 'Low' }, 'nothing changed')
  t.match((await ws.api.get('/v1/departments/general')).body, { name: 'General' })

  const admin = await ctx.agent(ws, 'admin')
  t.equal((await admin.api.patch('/v1/priorities/low', { name: 'Whenever' })).status, 200, 'an admin can')
  const adminKey = await ctx.withScopes(ws, ['admin'])
  t.equal((await adminKey.post('/v1/departments', { name: 'Y', slug: 'y' })).status, 201)
  t.equal((await adminKey.delete('/v1/departments/y')).status, 204)
})

t.test('sort=priority orders by rank, tickets without a priority last; -priority reverses', async (t) => {
  const ws = await ctx.createWorkspace()
  await ok(ws.api.post('/v1/priorities', { name: 'Trivial', slug: 'trivial', rank: 9 }))
  const plan = ['normal', 'urgent', 'low', 'high', 'urgent', 'trivial', 'normal', 'low', 'trivial', 'high']
  for (const priority of plan) await ticket(ws, { priority })
  // Tickets #6 and #9 are solved, then lose their priority with it.
  await ok(ws.api.patch('/v1/tickets/6', { status: 'solved' }), 200)
  await ok(ws.api.patch('/v1/tickets/9', { status: 'solved' }), 200)
  t.equal((await ws.api.delete('/v1/priorities/trivial')).status, 204)
  t.equal((await ws.api.get('/v1/tickets/6')).body.priority, null)

  const ascending = [2, 5, 4, 10, 1, 7, 3, 8, 6, 9]
  const whole = await ws.api.get('/v1/tickets?sort=priority&limit=100')
  t.equal(whole.status, 200)
  t.same(
    whole.body.data.map((d: { number: number }) => d.number),
    ascending,
    'urgent, high, normal, low, none; oldest first within a priority',
  )
  t.same(await walk(ws.api, 'sort=priority', 3), ascending, 'pages give the same order')
  t.same(await walk(ws.api, 'sort=priority', 1), ascending)

  const descending = [...ascending].reverse()
  t.same(
    (await ws.api.get('/v1/tickets?sort=-priority&limit=100')).body.data.map(
      (d: { number: number }) => d.number,
    ),
    descending,
  )
  t.same(await walk(ws.api, 'sort=-priority', 3), descending)
  t.same(await walk(ws.api, 'sort=-priority', 4), descending)

  t.same(await walk(ws.api, 'sort=priority&status=new', 2), [2, 5, 4, 10, 1, 7, 3, 8], 'with filters too')
})

t.test('an assignee is an active, non-viewer agent of the workspace and of the department', async (t) => {
  const ws = await ctx.createWorkspace()
  const a1 = await ctx.agent(ws, 'agent')
  const a2 = await ctx.agent(ws, 'agent')
  const viewer = await ctx.agent(ws, 'viewer')
  const leaver = await ctx.agent(ws, 'agent')
  await ok(ws.api.patch(`/v1/agents/${leaver.id}`, { active: false }), 200)
  const foreign = await ctx.agent(await ctx.createWorkspace(), 'agent')
  const tk = await ticket(ws)

  for (const [label, id] of [
    ['a viewer', viewer.id],
    ['a deactivated agent', leaver.id],
    ['an agent of another workspace', foreign.id],
    ['no agent at all', UNKNOWN_ID],
  ] as const) {
    const res = await ws.api.patch(`/v1/tickets/${tk.id}`, { assigneeId: id })
    t.equal(res.status, 400, `${label} is refused`)
    t.match(res.body.errors, [{ path: '/assigneeId' }])
  }
  t.equal((await ws.api.get(`/v1/tickets/${tk.id}`)).body.assigneeId, null)

  const assigned = await ws.api.patch(`/v1/tickets/${tk.id}`, { assigneeId: a1.id })
  t.equal(assigned.status, 200)
  t.equal(assigned.body.assigneeId, a1.id)

  const members = await ws.api.patch('/v1/departments/general', { memberIds: [a1.id] })
  t.equal(members.status, 200)
  t.same(members.body.memberIds, [a1.id])
  t.equal(
    (await ws.api.patch('/v1/departments/general', { memberIds: [foreign.id] })).status,
    400,
    "another workspace's agent cannot be a member",
  )
  t.same((await ws.api.get('/v1/departments/general')).body.memberIds, [a1.id])

  const outsider = await ws.api.patch(`/v1/tickets/${tk.id}`, { assigneeId: a2.id })
  t.equal(outsider.status, 400, 'with members, only they are assigned')
  t.match(outsider.body.errors, [{ path: '/assigneeId' }])
  t.equal((await ws.api.get(`/v1/tickets/${tk.id}`)).body.assigneeId, a1.id)
  t.equal((await ws.api.patch(`/v1/tickets/${tk.id}`, { assigneeId: null })).body.assigneeId, null)
  t.equal((await ws.api.patch(`/v1/tickets/${tk.id}`, { assigneeId: a1.id })).status, 200)

  const vip = await ok(ws.api.post('/v1/departments', { name: 'VIP', slug: 'vip', memberIds: [a2.id] }))
  t.same(vip.memberIds, [a2.id])
  t.equal(
    (await ws.api.patch(`/v1/tickets/${tk.id}`, { department: 'vip', assigneeId: a1.id })).status,
    400,
    'naming a non-member with the move is refused',
  )
  const moved = await ws.api.patch(`/v1/tickets/${tk.id}`, { department: 'vip' })
  t.equal(moved.status, 200)
  t.equal(moved.body.department.slug, 'vip')
  t.equal(moved.body.assigneeId, null, 'moving to a department the assignee is not in unassigns')
  const last = (await ticketEvents(ws.api, tk.id)).at(-1)
  t.same(
    last?.changes,
    { departmentId: [members.body.id, vip.id], assigneeId: [a1.id, null] },
    'the move and the unassignment are recorded',
  )

  const both = await ws.api.patch(`/v1/tickets/${tk.id}`, { department: 'general', assigneeId: a1.id })
  t.equal(both.status, 200)
  t.match(both.body, { department: { slug: 'general' }, assigneeId: a1.id })
  const open = await ok(ws.api.post('/v1/departments', { name: 'Open', slug: 'open' }))
  const kept = await ws.api.patch(`/v1/tickets/${tk.id}`, { department: open.id })
  t.equal(kept.body.assigneeId, a1.id, 'a department without members keeps the assignee')

  const second = await ticket(ws, { department: 'open' })
  await ok(ws.api.patch(`/v1/tickets/${second.id}`, { assigneeId: a2.id }), 200)
  t.equal((await ws.api.delete('/v1/departments/open?moveTo=vip')).status, 204)
  const afterMove = [
    (await ws.api.get(`/v1/tickets/${tk.id}`)).body,
    (await ws.api.get(`/v1/tickets/${second.id}`)).body,
  ]
  t.match(afterMove[0], { department: { slug: 'vip' }, assigneeId: null }, 'a move by delete unassigns too')
  t.match(afterMove[1], { department: { slug: 'vip' }, assigneeId: a2.id }, 'but keeps a member')
  t.same((await ticketEvents(ws.api, tk.id)).at(-1)?.changes, {
    departmentId: [open.id, vip.id],
    assigneeId: [a1.id, null],
  })

  const cleared = await ws.api.patch('/v1/departments/vip', { memberIds: [] })
  t.same(cleared.body.memberIds, [])
  t.equal(
    (await ws.api.patch(`/v1/tickets/${tk.id}`, { assigneeId: a1.id })).status,
    200,
    'a department without members is open to every agent',
  )
})

t.test('assignee=me, assignee=none', async (t) => {
  const ws = await ctx.createWorkspace()
  const a1 = await ctx.agent(ws, 'agent')
  const a2 = await ctx.agent(ws, 'agent')
  for (let i = 0; i < 5; i++) await ticket(ws)
  await ok(ws.api.patch('/v1/tickets/1', { assigneeId: a1.id }), 200)
  await ok(ws.api.patch('/v1/tickets/3', { assigneeId: a1.id }), 200)
  await ok(ws.api.patch('/v1/tickets/4', { assigneeId: a2.id }), 200)

  t.same(await walk(a1.api, 'assignee=me&sort=number', 1), [1, 3], "the agent's own tickets")
  t.same(await walk(a2.api, 'assignee=me&sort=number', 10), [4])
  t.same(await walk(a1.api, 'assignee=none&sort=number', 10), [2, 5], 'unassigned ones')
  t.same(await walk(ws.api, 'assignee=none&sort=number', 1), [2, 5], 'none works for a key too')
  t.same(await walk(a1.api, 'assignee=me,none&sort=number', 10), [1, 2, 3, 5])
  t.same(await walk(ws.api, `assignee=${a2.id}&sort=number`, 10), [4])

  const keyMe = await ws.api.get('/v1/tickets?assignee=me')
  t.equal(keyMe.status, 400, 'an API key has no "me"')
  t.equal(keyMe.body.code, 'validation')
  t.match(keyMe.body.errors, [{ path: '/assignee' }])
  t.equal((await ws.api.get('/v1/tickets?assignee=someone')).status, 400)
})

t.test('department members are UUIDs whatever their case', async (t) => {
  const ws = await ctx.createWorkspace()
  const agent = await ctx.agent(ws, 'agent')
  const res = await ws.api.patch('/v1/departments/general', { memberIds: [agent.id.toUpperCase()] })
  t.equal(res.status, 200, res.text)
  t.same(res.body.memberIds, [agent.id])
})
