import { and, eq } from 'drizzle-orm'
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

export function selectTicketViews(q: Db | Tx) {
  return q
    .select(ticketColumns)
    .from(tickets)
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
    .$dynamic()
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
