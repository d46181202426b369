import { and, count, eq } from 'drizzle-orm'
import t from 'tap'
import type { Actor } from '../../../src/auth/actor.ts'
import { apiKeys, contacts, events, messages, ticketCounters } from '../../../src/db/schema/index.ts'
import {
  type InsertOutcome,
  insertTickets,
  type NewTicket,
} from '../../../src/modules/tickets/insert-tickets.ts'
import { buildTestApp, ticketBody } from '../../helpers/app.ts'

const ctx = await buildTestApp(t)
const db = ctx.db.database.db

/** A valid new ticket from a new customer; override any field. */
const newTicket = (actor: Actor, over: Partial<NewTicket> = {}): NewTicket => ({
  actor,
  subject: 'Grouped',
  type: null,
  channel: 'api',
  tags: ['group'],
  externalRef: null,
  metadata: {},
  department: undefined,
  priority: undefined,
  requester: { email: 'new@example.com' },
  message: { body: 'hello', bodyHtml: null },
  ...over,
})

t.test('one statement creates a group: numbers in input order, bad inputs write nothing', async (t) => {
  const ws = await ctx.createWorkspace()
  const existing = await ws.api.post('/v1/tickets', ticketBody({ requester: { email: 'known@example.com' } }))
  const [key] = await db.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.workspaceId, ws.id))
  const actor: Actor = {
    kind: 'apiKey',
    workspaceId: ws.id,
    apiKeyId: key?.id ?? '',
    scopes: ['tickets:write'],
  }
  const input = (over: Partial<NewTicket>) => newTicket(actor, over)
  const outcomes = await insertTickets(db, ws.id, [
    input({ subject: 'first new customer' }),
    input({ department: 'no-such-department' }),
    input({ subject: 'same new customer again' }),
    input({ requester: { id: existing.body.requester.id }, priority: 'urgent' }),
    input({ requester: { id: '01a20000-0000-7000-8000-000000000000' } }),
    input({ priority: 'nope', requester: { email: 'never@example.com' } }),
    input({
      requester: { externalId: 'ext-9', email: 'ext9@example.com', name: 'Nine' },
      department: 'general',
    }),
  ])
  const summary = outcomes.map((o: InsertOutcome) =>
    o.kind === 'created' ? o.view.ticket.number : o.kind === 'invalid' ? `invalid ${o.field}` : o.kind,
  )
  t.same(summary, [
    2,
    'invalid department',
    'requester_unsettled',
    3,
    'invalid requester',
    'invalid priority',
    4,
  ])
  const created = outcomes.filter((o) => o.kind === 'created')
  t.same(
    created.map((o) => o.view.priority?.slug),
    ['normal', 'urgent', 'normal'],
  )
  t.equal(created[2]?.view.requester.externalId, 'ext-9')

  const [counter] = await db.select().from(ticketCounters).where(eq(ticketCounters.workspaceId, ws.id))
  t.equal(counter?.lastNumber, 4, 'the counter moved by the tickets written')
  const [msgs] = await db.select({ n: count() }).from(messages).where(eq(messages.workspaceId, ws.id))
  t.equal(msgs?.n, 4, 'one first message per ticket')
  const ticketEvents = await db
    .select({ subjectId: events.subjectId })
    .from(events)
    .where(and(eq(events.workspaceId, ws.id), eq(events.type, 'ticket.created')))
  t.equal(ticketEvents.length, 4)
  const people = await db
    .select({ email: contacts.email })
    .from(contacts)
    .where(eq(contacts.workspaceId, ws.id))
  t.same(people.map((c) => c.email).sort(), ['ext9@example.com', 'known@example.com', 'new@example.com'])
  const contactEvents = await db
    .select({ subjectId: events.subjectId })
    .from(events)
    .where(and(eq(events.workspaceId, ws.id), eq(events.type, 'contact.created')))
  t.equal(contactEvents.length, 3, 'a contact.created event per contact, none for refused inputs')
})

t.test('concurrent API creates for one workspace share statements and stay gapless', async (t) => {
  const ws = await ctx.createWorkspace()
  ctx.queries.length = 0
  const results = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      ws.api.post('/v1/tickets', ticketBody({ requester: { email: `g${i}@example.com` } })),
    ),
  )
  t.same(
    results.map((r) => r.status),
    Array(40).fill(201),
  )
  t.same(
    results.map((r) => r.body.number).sort((a, b) => a - b),
    Array.from({ length: 40 }, (_, i) => i + 1),
  )
  const inserts = ctx.queries.filter((q) => q.includes('jsonb_to_recordset')).length
  t.ok(inserts >= 1 && inserts <= 40, `${inserts} statements for 40 tickets`)
  // A server connection answers after a network round trip, so requests pile up behind the first
  // statement and go in groups; embedded PGlite answers each one before the next request arrives.
  if (ctx.db.engine !== 'pglite') t.ok(inserts < 40, 'requests that arrive together share statements')
})

t.test('a workspace without its counter row gets no ticket from the statement, and no contact', async (t) => {
  const ws = await ctx.createWorkspace()
  await db.delete(ticketCounters).where(eq(ticketCounters.workspaceId, ws.id))
  const actor: Actor = { kind: 'apiKey', workspaceId: ws.id, apiKeyId: ws.id, scopes: ['tickets:write'] }
  const outcomes = await insertTickets(db, ws.id, [
    newTicket(actor, { subject: 'Nowhere to number', tags: [], requester: { email: 'orphan@example.com' } }),
  ])
  t.same(
    outcomes.map((o) => o.kind),
    ['requester_unsettled'],
  )
  const people = await db.select({ id: contacts.id }).from(contacts).where(eq(contacts.workspaceId, ws.id))
  t.same(people, [])
})
