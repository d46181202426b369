import { and, eq } from 'drizzle-orm'
import type { Actor } from '../../auth/actor.ts'
import { authorizeScoped } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { slaPolicies, tickets } from '../../db/schema/index.ts'
import { readInWorkspace } from '../../db/tenant.ts'
import type { TicketRef } from '../../lib/refs.ts'
import { customerTickets } from '../tickets/access.ts'
import { describeRef, refCondition, TicketNotFound } from '../tickets/queries.ts'
import { createCalendarsService } from './calendars-service.ts'
import { type TimerRow, timerUsage } from './engine.ts'
import { createPoliciesService } from './policies-service.ts'
import { createSlaReports } from './report.ts'
import { loadSlaContext, timersOf } from './timers.ts'

const iso = (date: Date | null) => date?.toISOString() ?? null
const responseMetrics = new Set(['firstResponse', 'nextResponse'])

export function createSlaService(db: Db) {
  return {
    calendars: createCalendarsService(db),
    policies: createPoliciesService(db),
    reports: createSlaReports(db),

    /**
     * A ticket's SLA: the applied policy and every timer (staff), or only the due date of the answer the
     * customer is waiting for (a contact).
     */
    async ticketSla(actor: Actor, ref: TicketRef, now = new Date()) {
      const grant = authorizeScoped(actor, 'tickets:read')
      const { workspaceId } = grant
      return readInWorkspace(db, workspaceId, async (q) => {
        const [ticket] = await q
          .select({ id: tickets.id, nextDueAt: tickets.slaNextDueAt, breached: tickets.slaBreached })
          .from(tickets)
          .where(and(refCondition(workspaceId, ref), customerTickets(grant.customer)))
        if (!ticket) throw TicketNotFound(describeRef(ref))
        const timers = await timersOf(q, workspaceId, [ticket.id])
        const waiting = timers.find(
          (t) => responseMetrics.has(t.metric) && t.fulfilledAt === null && t.stage !== 'paused',
        )
        const responseDueAt = iso(waiting?.dueAt ?? null)
        if (grant.customer) return { ticketId: ticket.id, responseDueAt }
        const context = await loadSlaContext(q, workspaceId)
        const policyId = timers.findLast((t) => t.fulfilledAt === null)?.policyId ?? timers.at(-1)?.policyId
        const [policy] = policyId
          ? await q
              .select({ id: slaPolicies.id, name: slaPolicies.name })
              .from(slaPolicies)
              .where(and(eq(slaPolicies.workspaceId, workspaceId), eq(slaPolicies.id, policyId)))
          : []
        return {
          ticketId: ticket.id,
          responseDueAt,
          nextDueAt: iso(ticket.nextDueAt),
          breached: ticket.breached,
          policy: policy ?? null,
          timers: timers.map((timer) => toTimer(timer, timerUsage(context, timer, now))),
        }
      })
    },
  }
}

export function toTimer(timer: TimerRow, usage: { usedMinutes: number; remainingMinutes: number }) {
  return {
    id: timer.id,
    metric: timer.metric,
    instance: timer.instance,
    stage: timer.stage,
    policyId: timer.policyId,
    targetMinutes: timer.targetMinutes,
    businessHours: timer.calendarId !== null,
    calendarId: timer.calendarId,
    startedAt: timer.startedAt.toISOString(),
    dueAt: iso(timer.dueAt),
    warnAt: iso(timer.warnAt),
    pausedAt: iso(timer.pausedAt),
    breachedAt: iso(timer.breachedAt),
    fulfilledAt: iso(timer.fulfilledAt),
    businessMinutesUsed: usage.usedMinutes,
    businessMinutesRemaining: usage.remainingMinutes,
  }
}
