import { sql } from 'drizzle-orm'
import t from 'tap'
import type { Actor } from '../../../src/auth/actor.ts'
import { Ticket } from '../../../src/modules/tickets/schemas.ts'
import { buildTestApp, ticketBody } from '../../helpers/app.ts'

const ctx = await buildTestApp(t)
const { api, id: workspaceId } = await ctx.createWorkspace()
const actor: Actor = {
  kind: 'apiKey',
  workspaceId,
  apiKeyId: '01a20000-0000-7000-8000-000000000000',
  scopes: ['tickets:read'],
}
const tickets = ctx.app.services.tickets
const properties = Object.keys(Ticket.properties)
/** What REST showed of the object path: the `Ticket` schema's properties, as JSON. */
const shown = (ticket: object) =>
  JSON.parse(
    JSON.stringify(Object.fromEntries(properties.map((k) => [k, (ticket as Record<string, unknown>)[k]]))),
  )

// Tickets in every shape a document has to render: nulls and values, nested metadata, odd text.
const bodies = [
  ticketBody(),
  ticketBody({
    subject: 'Ünïcødé "quoted" \\ back\\slash \n newline 🚚',
    type: 'incident',
    channel: 'web',
    priority: 'urgent',
    tags: ['vip', 'shipping'],
    externalRef: 'A-1093',
    metadata: { total: 129.5, big: 12345678901234, nested: { list: [1, 'two', null, true] }, empty: {} },
    requester: { externalId: 'cust-7', email: 'seven@example.com', name: 'Seven' },
  }),
  ticketBody({ requester: { email: 'noname@example.com' }, priority: 'low' }),
]
const created: { id: string; number: number }[] = []
for (const body of bodies) created.push((await api.post('/v1/tickets', body)).body)
const [plain, detailed, nameless] = created as [(typeof created)[0], (typeof created)[0], (typeof created)[0]]
await api.patch(`/v1/tickets/${detailed.id}`, { status: 'solved' })
await api.patch(`/v1/tickets/${nameless.id}`, { status: 'closed' })
// A time written by SQL (microseconds, as now() gives) must print as the object path prints it.
await ctx.db.database.db.execute(
  sql`update tickets set first_responded_at = '2026-01-02 03:04:05.123999+00' where id = ${plain.id}`,
)

t.test('GET sends the same ticket, property for property, as the object path shows it', async (t) => {
  for (const { id, number } of created) {
    const expected = await tickets.get(actor, { id })
    const byId = await api.get(`/v1/tickets/${id}`)
    const byNumber = await api.get(`/v1/tickets/${number}`)
    t.equal(byId.headers['content-type'], 'application/json; charset=utf-8')
    t.equal(byId.headers.etag, `"${expected.version}"`)
    t.strictSame(byId.body, shown(expected), `ticket #${number}`)
    t.strictSame(Object.keys(byId.body), properties, 'exactly the schema properties, in order')
    t.same(byNumber.body, byId.body)
  }
  const first = await api.get(`/v1/tickets/${plain.id}`)
  t.equal(first.body.firstRespondedAt, '2026-01-02T03:04:05.124Z', 'rounded to the millisecond')
})

t.test('a list page sends the same tickets and cursor as the object path', async (t) => {
  for (const sort of ['-createdAt', 'number', '-updatedAt'] as const) {
    const expected = await tickets.list(actor, {}, sort, { limit: 2 })
    const page = await api.get(`/v1/tickets?sort=${sort}&limit=2`)
    t.strictSame(page.body.data, expected.data.map(shown), sort)
    t.equal(page.body.nextCursor, expected.nextCursor)
    const next = await api.get(`/v1/tickets?sort=${sort}&limit=2&cursor=${page.body.nextCursor}`)
    const expectedNext = await tickets.list(actor, {}, sort, { limit: 2, cursor: expected.nextCursor ?? '' })
    t.strictSame(next.body, { data: expectedNext.data.map(shown), nextCursor: expectedNext.nextCursor })
  }
  const empty = await api.get('/v1/tickets?status=pending')
  t.same(empty.body, { data: [], nextCursor: null })
})
