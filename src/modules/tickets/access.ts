import { eq, or, type SQL } from 'drizzle-orm'
import type { Customer } from '../../auth/policy.ts'
import { tickets } from '../../db/schema/index.ts'
import type { Ticket } from './view.ts'

/**
 * The tickets a customer may see: those they requested and, for an authorized member of an
 * organization, the organization's. Undefined (no limit) for the workspace's staff.
 */
export function customerTickets(customer: Customer | null): SQL | undefined {
  if (!customer) return undefined
  return customer.organizationId
    ? or(eq(tickets.requesterId, customer.contactId), eq(tickets.organizationId, customer.organizationId))
    : eq(tickets.requesterId, customer.contactId)
}

/**
 * A ticket as its customer sees it: the staff's own fields (assignee, tags, integrator metadata, the SLA
 * summary) are emptied, not omitted, so the shape stays the documented `Ticket`. The customer asks
 * `GET /v1/tickets/{id}/sla` for the due date of the answer they wait for.
 */
export function forCustomer(ticket: Ticket): Ticket {
  return { ...ticket, assigneeId: null, tags: [], metadata: {}, sla: { nextDueAt: null, breached: false } }
}
