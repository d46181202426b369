import {
  and,
  arrayContains,
  asc,
  desc,
  eq,
  gte,
  ilike,
  inArray,
  isNull,
  or,
  type SQL,
  sql,
} from 'drizzle-orm'
import type { Actor } from '../../auth/actor.ts'
import { authorize, authorizeScoped, type Grant } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { statementName } from '../../db/raw.ts'
import { messages, priorities, tickets } from '../../db/schema/index.ts'
import { readInWorkspace } from '../../db/tenant.ts'
import type { Executor, Tx } from '../../db/transaction.ts'
import { type CursorValue, paginate, readCursor } from '../../lib/cursor.ts'
import { jsonDates } from '../../lib/json-dates.ts'
import { invalid, Problem, problem } from '../../lib/problem.ts'
import { isUuid, type TicketRef } from '../../lib/refs.ts'
import { events } from '../events/service.ts'
import { customerTickets, forCustomer } from './access.ts'
import { normalizeTags } from './tags.ts'
import {
  joinTicketView,
  selectTicketDocuments,
  selectTicketViews,
  type TicketRow,
  type TicketViewRow,
  ticketColumns,
  toTicket,
} from './view.ts'

export const TicketNotFound = problem('not_found', 'Ticket %s not found')
export const MessageNotFound = problem('not_found', 'Message %s not found')

export const ticketSortFields = ['createdAt', 'updatedAt', 'number', 'priority', 'slaDueAt'] as const
export type TicketSort = (typeof ticketSortFields)[number] | `-${(typeof ticketSortFields)[number]}`

export interface TicketFilter {
  status?: string[]
  priority?: string[]
  departmentId?: string[]
  assigneeId?: string[]
  /** `me` (the calling agent), `none` (unassigned) or agent ids. */
  assignee?: string[]
  requesterId?: string[]
  organizationId?: string[]
  tag?: string[]
  externalRef?: string
  createdAfter?: string
  updatedAfter?: string
  /** Tickets that have (true) or have not (false) breached a target. */
  slaBreached?: boolean
  q?: string
}

export interface Page {
  limit: number
  cursor?: string | undefined
}

/** Tickets without a priority sort after the least urgent one. */
const UNRANKED = 2_147_483_647
/** Tickets without a running SLA deadline sort as if it were this far away (also in the index, 0008). */
export const NO_DEADLINE = '9999-12-31T00:00:00Z'

const sortColumns = {
  createdAt: tickets.createdAt,
  updatedAt: tickets.updatedAt,
  number: tickets.number,
  priority: sql<number>`coalesce(${priorities.rank}, ${sql.raw(String(UNRANKED))})`,
  // The work queue: the nearest deadline first; tickets without one after every ticket with one.
  slaDueAt: sql<Date>`coalesce(${tickets.slaNextDueAt}, ${sql.raw(`'${NO_DEADLINE}'::timestamptz`)})`.mapWith(
    tickets.slaNextDueAt,
  ),
}

/** Rows a list statement fetches: the page plus one (to know whether another page follows), rounded up. */
const fetchSizes = [11, 26, 51, 101]

export const refCondition = (workspaceId: string, ref: TicketRef) =>
  and(
    eq(tickets.workspaceId, workspaceId),
    'id' in ref ? eq(tickets.id, ref.id) : eq(tickets.number, ref.number),
  )

export const describeRef = (ref: TicketRef) => ('id' in ref ? ref.id : `#${ref.number}`)

/** `assignee=me,none,<id>`: `me` is the calling agent; any other caller has no `me`. */
function assigneeCondition(grant: Grant, values: string[]) {
  const ids = values.filter(isUuid)
  if (values.includes('me')) {
    if (grant.actor.kind !== 'agent') throw invalid('/assignee', '"me" needs an agent\'s access token')
    ids.push(grant.actor.userId)
  }
  const bad = values.find((v) => v !== 'me' && v !== 'none' && !isUuid(v))
  if (bad) throw invalid('/assignee', `must be me, none or agent ids: ${bad}`)
  return or(
    ids.length > 0 ? inArray(tickets.assigneeId, ids) : undefined,
    values.includes('none') ? isNull(tickets.assigneeId) : undefined,
  )
}

function filterConditions(q: Executor, grant: Grant, f: TicketFilter): (SQL | undefined)[] {
  const { workspaceId } = grant
  // A customer never sees assignees or tags, so may not filter by them either (the answer would tell).
  const staffOnly = (['assignee', 'assigneeId', 'tag', 'slaBreached'] as const).filter(
    (field) => f[field] !== undefined,
  )
  if (grant.customer && staffOnly.length > 0) {
    throw new Problem('forbidden', `A contact may not filter tickets by ${staffOnly.join(', ')}.`)
  }
  const priorityIds = f.priority?.filter(isUuid) ?? []
  const prioritySlugs = f.priority?.filter((p) => !isUuid(p)) ?? []
  const prioritiesBySlug = q
    .select({ id: priorities.id })
    .from(priorities)
    .where(and(eq(priorities.workspaceId, workspaceId), inArray(priorities.slug, prioritySlugs)))
  const escapedQ = f.q?.replace(/[\\%_]/g, '\\$&')
  return [
    eq(tickets.workspaceId, workspaceId),
    customerTickets(grant.customer),
    f.assignee ? assigneeCondition(grant, f.assignee) : undefined,
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
    f.slaBreached !== undefined ? eq(tickets.slaBreached, f.slaBreached) : undefined,
    f.q
      ? or(
          ilike(tickets.subject, `%${escapedQ}%`),
          eq(tickets.externalRef, f.q),
          /^\d{1,9}$/.test(f.q) ? eq(tickets.number, Number(f.q)) : undefined,
        )
      : undefined,
  ]
}

/** The messages a caller may read: a customer never receives an internal note. */
const visibleTo = (grant: Grant) => (grant.customer ? eq(messages.visibility, 'public') : undefined)

export const toMessage = ({ workspaceId: _ws, ...row }: typeof messages.$inferSelect) => jsonDates(row)

export function createTicketQueries(db: Db) {
  // A ticket by id or by number, with placeholders: the hot reads are statements named once, so each
  // connection parses and plans them once (they run in the request's workspace-bound transaction).
  const inWorkspaceParam = eq(tickets.workspaceId, sql.placeholder('workspaceId'))
  const byId = and(inWorkspaceParam, eq(tickets.id, sql.placeholder('id')))
  const byNumber = and(inWorkspaceParam, eq(tickets.number, sql.placeholder('number')))
  const documentColumns = { version: tickets.version }
  // Built once per connection (a tenant connection keeps its drizzle handle), not once per request.
  const prepared = new WeakMap<Executor, ReturnType<typeof prepareHot>>()
  const prepareHot = (q: Executor) => ({
    viewById: selectTicketViews(q).where(byId).limit(1).prepare('ticket_view_by_id'),
    viewByNumber: selectTicketViews(q).where(byNumber).limit(1).prepare('ticket_view_by_number'),
    documentById: selectTicketDocuments(q, documentColumns)
      .where(byId)
      .limit(1)
      .prepare('ticket_document_by_id'),
    documentByNumber: selectTicketDocuments(q, documentColumns)
      .where(byNumber)
      .limit(1)
      .prepare('ticket_document_by_number'),
  })
  const hot = (q: Executor) => {
    let statements = prepared.get(q)
    if (!statements) {
      statements = prepareHot(q)
      prepared.set(q, statements)
    }
    return statements
  }
  const viewByRef = (q: Executor, workspaceId: string, ref: TicketRef) =>
    'id' in ref
      ? hot(q).viewById.execute({ workspaceId, id: ref.id })
      : hot(q).viewByNumber.execute({ workspaceId, number: ref.number })
  const documentByRef = (q: Executor, workspaceId: string, ref: TicketRef) =>
    'id' in ref
      ? hot(q).documentById.execute({ workspaceId, id: ref.id })
      : hot(q).documentByNumber.execute({ workspaceId, number: ref.number })

  /** Where, order and cursor of a list request, shared by the list of views and the list of documents. */
  function listShape(q: Executor, grant: Grant, filter: TicketFilter, sort: TicketSort, page: Page) {
    const descending = sort.startsWith('-')
    const field = (descending ? sort.slice(1) : sort) as keyof typeof sortColumns
    const column = sortColumns[field]
    // SLA deadlines are the staff's: the order, and a cursor carrying one, would tell a customer.
    if (grant.customer && field === 'slaDueAt') {
      throw new Problem('forbidden', 'A contact may not sort tickets by slaDueAt.')
    }
    const numeric = field === 'number' || field === 'priority'
    const conditions = filterConditions(q, grant, filter)
    if (page.cursor) {
      // (An instant PostgreSQL cannot hold, year 0 say, is as bad a cursor as garbage.)
      const [bound, id] = numeric
        ? readCursor(page.cursor, ['int', 'uuid'])
        : readCursor(page.cursor, ['instant', 'uuid'])
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

  async function findView(
    q: Db | Tx,
    workspaceId: string,
    ref: TicketRef,
    customer: Grant['customer'] = null,
  ) {
    const [row] = await selectTicketViews(q)
      .where(and(refCondition(workspaceId, ref), customerTickets(customer)))
      .limit(1)
    if (!row) throw TicketNotFound(describeRef(ref))
    return row
  }

  /** The id of a ticket the caller may read, for sub-resources (messages, events). */
  async function readableTicketId(q: Executor, grant: Grant, ref: TicketRef) {
    const [row] = await q
      .select({ id: tickets.id })
      .from(tickets)
      .where(and(refCondition(grant.workspaceId, ref), customerTickets(grant.customer)))
    if (!row) throw TicketNotFound(describeRef(ref))
    return row.id
  }

  async function list(actor: Actor, filter: TicketFilter, sort: TicketSort, page: Page) {
    const grant = authorizeScoped(actor, 'tickets:read')
    return readInWorkspace(db, grant.workspaceId, (q) => listIn(q, grant, filter, sort, page))
  }

  async function listIn(q: Executor, grant: Grant, filter: TicketFilter, sort: TicketSort, page: Page) {
    const { where, order, column, cursorOf, limit } = listShape(q, grant, filter, sort, page)
    const query = q
      .select({ ...ticketColumns, sortValue: column })
      .from(tickets)
      .$dynamic()
    const shaped = joinTicketView(query)
      .where(where)
      .orderBy(...order)
      .limit(limit)
    // Named by its text, so PostgreSQL plans each filter-and-sort shape once per connection.
    const rows = await shaped.prepare(statementName(shaped.toSQL().sql)).execute()
    const result = paginate(rows, page.limit, (row) => cursorOf(row.sortValue, row.ticket.id))
    const view = grant.customer ? (row: TicketViewRow) => forCustomer(toTicket(row)) : toTicket
    return { ...result, data: result.data.map(view) }
  }

  return {
    findView,

    async get(actor: Actor, ref: TicketRef) {
      const { workspaceId, customer } = authorizeScoped(actor, 'tickets:read')
      return readInWorkspace(db, workspaceId, async (q) => {
        if (customer) return forCustomer(toTicket(await findView(q, workspaceId, ref, customer)))
        const [row] = await viewByRef(q, workspaceId, ref)
        if (!row) throw TicketNotFound(describeRef(ref))
        return toTicket(row)
      })
    },

    /** `get` as a JSON document (see `ticketDocument`) with the version for the ETag. */
    async getDocument(actor: Actor, ref: TicketRef): Promise<{ document: string; version: number }> {
      const { workspaceId, customer } = authorizeScoped(actor, 'tickets:read')
      return readInWorkspace(db, workspaceId, async (q) => {
        if (customer) {
          const ticket = forCustomer(toTicket(await findView(q, workspaceId, ref, customer)))
          return { document: JSON.stringify(ticket), version: ticket.version }
        }
        const [row] = await documentByRef(q, workspaceId, ref)
        if (!row) throw TicketNotFound(describeRef(ref))
        return row
      })
    },

    list,

    /** `list` as JSON documents (see `ticketDocument`), for REST to send as they are. */
    async listDocuments(actor: Actor, filter: TicketFilter, sort: TicketSort, page: Page) {
      const grant = authorizeScoped(actor, 'tickets:read')
      if (grant.customer) {
        const { data, nextCursor } = await list(actor, filter, sort, page)
        return { documents: data.map((ticket) => JSON.stringify(ticket)), nextCursor }
      }
      const { rows, cursorOf } = await readInWorkspace(db, grant.workspaceId, async (q) => {
        const { where, order, column, limit, cursorOf } = listShape(q, grant, filter, sort, page)
        const query = selectTicketDocuments(q, { id: tickets.id, sortValue: column })
          .where(where)
          .orderBy(...order)
          .limit(limit)
        return { rows: await query.prepare(statementName(query.toSQL().sql)).execute(), cursorOf }
      })
      const { data, nextCursor } = paginate(rows, page.limit, (row) => cursorOf(row.sortValue, row.id))
      return { documents: data.map((row) => row.document), nextCursor }
    },

    async listMessages(actor: Actor, ref: TicketRef, page: Page) {
      const grant = authorizeScoped(actor, 'tickets:read')
      const { workspaceId } = grant
      const after = page.cursor ? readCursor(page.cursor, ['instant', 'uuid']) : undefined
      const rows = await readInWorkspace(db, workspaceId, async (q) => {
        const ticketId = await readableTicketId(q, grant, ref)
        return q
          .select()
          .from(messages)
          .where(
            and(
              eq(messages.workspaceId, workspaceId),
              eq(messages.ticketId, ticketId),
              visibleTo(grant),
              after ? sql`(${messages.createdAt}, ${messages.id}) > (${after[0]}, ${after[1]})` : undefined,
            ),
          )
          .orderBy(asc(messages.createdAt), asc(messages.id))
          .limit(page.limit + 1)
      })
      const result = paginate(rows, page.limit, (m) => [m.createdAt.toISOString(), m.id])
      return { ...result, data: result.data.map(toMessage) }
    },

    async getMessage(actor: Actor, ref: TicketRef, messageId: string) {
      const grant = authorizeScoped(actor, 'tickets:read')
      const { workspaceId } = grant
      const [row] = await readInWorkspace(db, workspaceId, async (q) => {
        const ticketId = await readableTicketId(q, grant, ref)
        return q
          .select()
          .from(messages)
          .where(
            and(
              eq(messages.workspaceId, workspaceId),
              eq(messages.ticketId, ticketId),
              eq(messages.id, messageId),
              visibleTo(grant),
            ),
          )
      })
      if (!row) throw MessageNotFound(messageId)
      return toMessage(row)
    },

    /** The full change history is the staff's: it names assignees, tags and internal notes. */
    async listEvents(actor: Actor, ref: TicketRef, page: Page) {
      const staff = authorize(actor, 'tickets:read')
      const grant: Grant = { workspaceId: staff.workspaceId, actor: staff, customer: null }
      return readInWorkspace(db, grant.workspaceId, async (q) => {
        const ticketId = await readableTicketId(q, grant, ref)
        return events.listForSubject(q, grant.workspaceId, 'ticket', ticketId, page)
      })
    },
  }
}
