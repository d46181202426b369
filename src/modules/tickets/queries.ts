import { and, arrayContains, asc, desc, eq, gte, ilike, inArray, or, type SQL, sql } from 'drizzle-orm'
import type { Actor } from '../../auth/actor.ts'
import { authorize } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { statementName } from '../../db/raw.ts'
import { messages, priorities, tickets } from '../../db/schema/index.ts'
import { currentExecutor, type Tx } from '../../db/transaction.ts'
import { type CursorValue, decodeCursor, paginate } from '../../lib/cursor.ts'
import { jsonDates } from '../../lib/json-dates.ts'
import { problem } from '../../lib/problem.ts'
import { isUuid, type TicketRef } from '../../lib/refs.ts'
import { createEventsService } from '../events/service.ts'
import { normalizeTags } from './tags.ts'
import { selectTicketDocuments, selectTicketViews, type TicketRow, toTicket } from './view.ts'

export const TicketNotFound = problem('not_found', 'Ticket %s not found')
export const MessageNotFound = problem('not_found', 'Message %s not found')

export const ticketSortFields = ['createdAt', 'updatedAt', 'number'] as const
export type TicketSort = (typeof ticketSortFields)[number] | `-${(typeof ticketSortFields)[number]}`

export interface TicketFilter {
  status?: string[]
  priority?: string[]
  departmentId?: string[]
  assigneeId?: string[]
  requesterId?: string[]
  organizationId?: string[]
  tag?: string[]
  externalRef?: string
  createdAfter?: string
  updatedAfter?: string
  q?: string
}

export interface Page {
  limit: number
  cursor?: string | undefined
}

const sortColumns = { createdAt: tickets.createdAt, updatedAt: tickets.updatedAt, number: tickets.number }

/** Rows a list statement fetches: the page plus one (to know whether another page follows), rounded up. */
const fetchSizes = [11, 26, 51, 101]

export const refCondition = (workspaceId: string, ref: TicketRef) =>
  and(
    eq(tickets.workspaceId, workspaceId),
    'id' in ref ? eq(tickets.id, ref.id) : eq(tickets.number, ref.number),
  )

export const describeRef = (ref: TicketRef) => ('id' in ref ? ref.id : `#${ref.number}`)

function filterConditions(q: Db | Tx, workspaceId: string, f: TicketFilter): (SQL | undefined)[] {
  const priorityIds = f.priority?.filter(isUuid) ?? []
  const prioritySlugs = f.priority?.filter((p) => !isUuid(p)) ?? []
  const prioritiesBySlug = q
    .select({ id: priorities.id })
    .from(priorities)
    .where(and(eq(priorities.workspaceId, workspaceId), inArray(priorities.slug, prioritySlugs)))
  const escapedQ = f.q?.replace(/[\\%_]/g, '\\$&')
  return [
    eq(tickets.workspaceId, workspaceId),
    f.status ? inArray(tickets.status, f.status as TicketRow['status'][]) : undefined,
    f.priority
      ? or(
          priorityIds.length ? inArray(tickets.priorityId, priorityIds) : undefined,
          prioritySlugs.length ? inArray(tickets.priorityId, prioritiesBySlug) : undefined,
        )
      : undefined,
    f.departmentId ? inArray(tickets.departmentId, f.departmentId) : undefined,
    f.assigneeId ? inArray(tickets.assigneeId, f.assigneeId) : undefined,
    f.requesterId ? inArray(tickets.requesterId, f.requesterId) : undefined,
    f.organizationId ? inArray(tickets.organizationId, f.organizationId) : undefined,
    f.tag ? arrayContains(tickets.tags, normalizeTags(f.tag)) : undefined,
    f.externalRef !== undefined ? eq(tickets.externalRef, f.externalRef) : undefined,
    f.createdAfter ? gte(tickets.createdAt, new Date(f.createdAfter)) : undefined,
    f.updatedAfter ? gte(tickets.updatedAt, new Date(f.updatedAfter)) : undefined,
    f.q
      ? or(
          ilike(tickets.subject, `%${escapedQ}%`),
          eq(tickets.externalRef, f.q),
          /^\d{1,9}$/.test(f.q) ? eq(tickets.number, Number(f.q)) : undefined,
        )
      : undefined,
  ]
}

export const toMessage = ({ workspaceId: _ws, ...row }: typeof messages.$inferSelect) => jsonDates(row)

export function createTicketQueries(db: Db) {
  const events = createEventsService(db)

  // A ticket by id or by number, with placeholders: the hot reads are statements prepared once.
  const inWorkspace = eq(tickets.workspaceId, sql.placeholder('workspaceId'))
  const byId = and(inWorkspace, eq(tickets.id, sql.placeholder('id')))
  const byNumber = and(inWorkspace, eq(tickets.number, sql.placeholder('number')))
  const viewById = selectTicketViews(db).where(byId).limit(1).prepare('ticket_view_by_id')
  const viewByNumber = selectTicketViews(db).where(byNumber).limit(1).prepare('ticket_view_by_number')
  const documentColumns = { version: tickets.version }
  const documentById = selectTicketDocuments(db, documentColumns)
    .where(byId)
    .limit(1)
    .prepare('ticket_document_by_id')
  const documentByNumber = selectTicketDocuments(db, documentColumns)
    .where(byNumber)
    .limit(1)
    .prepare('ticket_document_by_number')

  /** Where, order and cursor of a list request, shared by the list of views and the list of documents. */
  function listShape(q: Db | Tx, workspaceId: string, filter: TicketFilter, sort: TicketSort, page: Page) {
    const descending = sort.startsWith('-')
    const field = (descending ? sort.slice(1) : sort) as keyof typeof sortColumns
    const column = sortColumns[field]
    const conditions = filterConditions(q, workspaceId, filter)
    if (page.cursor) {
      const [value, id] = decodeCursor(page.cursor, 2)
      const bound = field === 'number' ? Number(value) : new Date(String(value))
      if (field !== 'number' && Number.isNaN((bound as Date).getTime())) decodeCursor('', 2)
      conditions.push(
        descending
          ? sql`(${column}, ${tickets.id}) < (${bound}, ${id})`
          : sql`(${column}, ${tickets.id}) > (${bound}, ${id})`,
      )
    }
    const order = descending ? [desc(column), desc(tickets.id)] : [asc(column), asc(tickets.id)]
    const cursorOf = (value: unknown, id: string): CursorValue[] => [
      value instanceof Date ? value.toISOString() : (value as CursorValue),
      id,
    ]
    // The limit goes into the text, not a parameter: with `limit $n` PostgreSQL costs a generic plan as
    // if it fetched a tenth of the table, never prefers it, and plans the statement again on every
    // request (measured: 2 ms of a 5.6 ms list). Rounded up to a few sizes, so page sizes do not each
    // become a prepared statement on every connection; `paginate` drops the extra rows. drizzle
    // inlines an SQL chunk where it expects a number.
    const fetch = fetchSizes.find((n) => n > page.limit) ?? Math.trunc(page.limit) + 1
    const limit = sql.raw(String(fetch)) as unknown as number
    return { where: and(...conditions), order, field, column, cursorOf, limit }
  }

  async function findView(q: Db | Tx, workspaceId: string, ref: TicketRef) {
    const [row] = await selectTicketViews(q).where(refCondition(workspaceId, ref)).limit(1)
    if (!row) throw TicketNotFound(describeRef(ref))
    return row
  }

  /** The id of a ticket the caller may read, for sub-resources (messages, events). */
  async function readableTicketId(workspaceId: string, ref: TicketRef) {
    const [row] = await currentExecutor(db)
      .select({ id: tickets.id })
      .from(tickets)
      .where(refCondition(workspaceId, ref))
    if (!row) throw TicketNotFound(describeRef(ref))
    return row.id
  }

  return {
    findView,

    async get(actor: Actor, ref: TicketRef) {
      const { workspaceId } = authorize(actor, 'tickets:read')
      const q = currentExecutor(db)
      // Outside a transaction the hot path runs a query built once; inside one it must use that transaction.
      if (q !== db) return toTicket(await findView(q, workspaceId, ref))
      const [row] =
        'id' in ref
          ? await viewById.execute({ workspaceId, id: ref.id })
          : await viewByNumber.execute({ workspaceId, number: ref.number })
      if (!row) throw TicketNotFound(describeRef(ref))
      return toTicket(row)
    },

    /** `get` as a JSON document (see `ticketDocument`) with the version for the ETag. */
    async getDocument(actor: Actor, ref: TicketRef): Promise<{ document: string; version: number }> {
      const { workspaceId } = authorize(actor, 'tickets:read')
      const q = currentExecutor(db)
      const [row] =
        q !== db
          ? await selectTicketDocuments(q, documentColumns).where(refCondition(workspaceId, ref)).limit(1)
          : 'id' in ref
            ? await documentById.execute({ workspaceId, id: ref.id })
            : await documentByNumber.execute({ workspaceId, number: ref.number })
      if (!row) throw TicketNotFound(describeRef(ref))
      return row
    },

    async list(actor: Actor, filter: TicketFilter, sort: TicketSort, page: Page) {
      const { workspaceId } = authorize(actor, 'tickets:read')
      const q = currentExecutor(db)
      const { where, order, field, cursorOf, limit } = listShape(q, workspaceId, filter, sort, page)
      const query = selectTicketViews(q)
        .where(where)
        .orderBy(...order)
        .limit(limit)
      // Named by its text, so PostgreSQL plans each filter-and-sort shape once per connection.
      const rows = await query.prepare(statementName(query.toSQL().sql)).execute()
      const result = paginate(rows, page.limit, ({ ticket }) => cursorOf(ticket[field], ticket.id))
      return { ...result, data: result.data.map(toTicket) }
    },

    /** `list` as JSON documents (see `ticketDocument`), for REST to send as they are. */
    async listDocuments(actor: Actor, filter: TicketFilter, sort: TicketSort, page: Page) {
      const { workspaceId } = authorize(actor, 'tickets:read')
      const q = currentExecutor(db)
      const { where, order, column, cursorOf, limit } = listShape(q, workspaceId, filter, sort, page)
      const query = selectTicketDocuments(q, { id: tickets.id, sortValue: column })
        .where(where)
        .orderBy(...order)
        .limit(limit)
      const rows = await query.prepare(statementName(query.toSQL().sql)).execute()
      const { data, nextCursor } = paginate(rows, page.limit, (row) => cursorOf(row.sortValue, row.id))
      return { documents: data.map((row) => row.document), nextCursor }
    },

    async listMessages(actor: Actor, ref: TicketRef, page: Page) {
      const { workspaceId } = authorize(actor, 'tickets:read')
      const ticketId = await readableTicketId(workspaceId, ref)
      const after = page.cursor ? decodeCursor(page.cursor, 2) : undefined
      const rows = await currentExecutor(db)
        .select()
        .from(messages)
        .where(
          and(
            eq(messages.workspaceId, workspaceId),
            eq(messages.ticketId, ticketId),
            after
              ? sql`(${messages.createdAt}, ${messages.id}) > (${new Date(String(after[0]))}, ${after[1]})`
              : undefined,
          ),
        )
        .orderBy(asc(messages.createdAt), asc(messages.id))
        .limit(page.limit + 1)
      const result = paginate(rows, page.limit, (m) => [m.createdAt.toISOString(), m.id])
      return { ...result, data: result.data.map(toMessage) }
    },

    async getMessage(actor: Actor, ref: TicketRef, messageId: string) {
      const { workspaceId } = authorize(actor, 'tickets:read')
      const ticketId = await readableTicketId(workspaceId, ref)
      const [row] = await currentExecutor(db)
        .select()
        .from(messages)
        .where(
          and(
            eq(messages.workspaceId, workspaceId),
            eq(messages.ticketId, ticketId),
            eq(messages.id, messageId),
          ),
        )
      if (!row) throw MessageNotFound(messageId)
      return toMessage(row)
    },

    async listEvents(actor: Actor, ref: TicketRef, page: Page) {
      const { workspaceId } = authorize(actor, 'tickets:read')
      const ticketId = await readableTicketId(workspaceId, ref)
      return events.listForSubject(workspaceId, 'ticket', ticketId, page)
    },
  }
}
