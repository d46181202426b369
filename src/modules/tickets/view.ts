import { and, eq, type SQL, sql } from 'drizzle-orm'
import type { PgColumn, PgSelect } from 'drizzle-orm/pg-core'
import type { Db } from '../../db/client.ts'
import { contacts, departments, priorities, tickets } from '../../db/schema/index.ts'
import type { Tx } from '../../db/transaction.ts'
import { jsonDates } from '../../lib/json-dates.ts'

export type TicketRow = typeof tickets.$inferSelect

/** The ticket as the API shows it: its row with the priority, department and requester summarised. */
export const ticketColumns = {
  ticket: tickets,
  priority: { id: priorities.id, slug: priorities.slug, name: priorities.name, rank: priorities.rank },
  department: { id: departments.id, slug: departments.slug, name: departments.name },
  requester: { id: contacts.id, name: contacts.name, email: contacts.email, externalId: contacts.externalId },
}

export type TicketViewRow = {
  ticket: TicketRow
  priority: { id: string; slug: string; name: string; rank: number } | null
  department: { id: string; slug: string; name: string } | null
  requester: { id: string; name: string | null; email: string | null; externalId: string | null }
}

/** The joins every ticket view needs: requester, priority and department of the ticket's workspace. */
export function joinTicketView<T extends PgSelect>(query: T) {
  return query
    .innerJoin(
      contacts,
      and(eq(contacts.workspaceId, tickets.workspaceId), eq(contacts.id, tickets.requesterId)),
    )
    .leftJoin(
      priorities,
      and(eq(priorities.workspaceId, tickets.workspaceId), eq(priorities.id, tickets.priorityId)),
    )
    .leftJoin(
      departments,
      and(eq(departments.workspaceId, tickets.workspaceId), eq(departments.id, tickets.departmentId)),
    )
}

export function selectTicketViews(q: Db | Tx) {
  return joinTicketView(q.select(ticketColumns).from(tickets).$dynamic())
}

/** An instant as the API writes it (`toISOString`): UTC, milliseconds, `Z`, whatever the session's time zone. */
const iso = (column: SQL) => sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

/**
 * The same ticket as `toTicket` gives, written by PostgreSQL as JSON text with exactly the properties
 * of the `Ticket` schema. The hot reads (one ticket, a page of them) send it on as it is: no rows to
 * map, no dates to parse and print again, nothing to serialize. A test holds it equal to `toTicket`.
 */
export const ticketDocument: SQL<string> = sql`json_build_object(
  'id', ${tickets.id}, 'number', ${tickets.number}, 'subject', ${tickets.subject}, 'status', ${tickets.status},
  'type', ${tickets.type}, 'channel', ${tickets.channel},
  'priority', case when ${priorities.id} is null then null else json_build_object('id', ${priorities.id},
    'slug', ${priorities.slug}, 'name', ${priorities.name}, 'rank', ${priorities.rank}) end,
  'department', case when ${departments.id} is null then null else json_build_object('id', ${departments.id},
    'slug', ${departments.slug}, 'name', ${departments.name}) end,
  'requester', json_build_object('id', ${contacts.id}, 'name', ${contacts.name}, 'email', ${contacts.email},
    'externalId', ${contacts.externalId}),
  'organizationId', ${tickets.organizationId}, 'assigneeId', ${tickets.assigneeId}, 'tags', ${tickets.tags},
  'externalRef', ${tickets.externalRef}, 'metadata', ${tickets.metadata}, 'version', ${tickets.version},
  'createdAt', ${iso(sql`${tickets.createdAt}`)}, 'updatedAt', ${iso(sql`${tickets.updatedAt}`)},
  'firstRespondedAt', ${iso(sql`${tickets.firstRespondedAt}`)}, 'solvedAt', ${iso(sql`${tickets.solvedAt}`)},
  'closedAt', ${iso(sql`${tickets.closedAt}`)},
  'sla', json_build_object('nextDueAt', ${iso(sql`${tickets.slaNextDueAt}`)}, 'breached', ${tickets.slaBreached})
)::text`

export function selectTicketDocuments<E extends Record<string, PgColumn | SQL>>(q: Db | Tx, extra: E) {
  return joinTicketView(
    q
      .select({ document: ticketDocument, ...extra })
      .from(tickets)
      .$dynamic(),
  )
}

export function toTicket({ ticket, priority, department, requester }: TicketViewRow) {
  const { workspaceId: _ws, slaNextDueAt, slaBreached, lastCustomerMessageAt: _last, ...fields } = ticket
  return {
    ...jsonDates(fields),
    priority,
    department,
    requester,
    sla: { nextDueAt: slaNextDueAt?.toISOString() ?? null, breached: slaBreached },
  }
}
export type Ticket = ReturnType<typeof toTicket>
