import type { ticketStatuses } from '../../db/schema/index.ts'
import { Problem } from '../../lib/problem.ts'

export type TicketStatus = (typeof ticketStatuses)[number]

/**
 * new → open → pending | on_hold → solved → closed. Any active status may be solved; a solved ticket
 * may be reopened or closed; a closed ticket is read-only; nothing returns to `new`.
 */
const allowed: Record<TicketStatus, readonly TicketStatus[]> = {
  new: ['open', 'pending', 'on_hold', 'solved'],
  open: ['pending', 'on_hold', 'solved'],
  pending: ['open', 'on_hold', 'solved'],
  on_hold: ['open', 'pending', 'solved'],
  solved: ['open', 'pending', 'on_hold', 'closed'],
  closed: [],
}

export const canTransition = (from: TicketStatus, to: TicketStatus) =>
  from === to || allowed[from].includes(to)

export function assertWritable(status: TicketStatus, number: number) {
  if (status === 'closed')
    throw new Problem('conflict', `Ticket #${number} is closed and can no longer change.`)
}

export function assertTransition(from: TicketStatus, to: TicketStatus, number: number) {
  assertWritable(from, number)
  if (!canTransition(from, to)) {
    throw new Problem('conflict', `Ticket #${number} cannot go from ${from} to ${to}.`, {
      errors: [{ path: '/status', message: `allowed from ${from}: ${allowed[from].join(', ')}` }],
    })
  }
}

/** The timestamps that follow a status change: solvedAt is cleared on reopen, closedAt set on close. */
export function statusTimestamps(from: TicketStatus, to: TicketStatus, now: Date) {
  if (from === to) return {}
  if (to === 'solved') return { solvedAt: now }
  if (to === 'closed') return { closedAt: now }
  if (from === 'solved') return { solvedAt: null }
  return {}
}
