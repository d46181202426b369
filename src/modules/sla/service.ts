import { and, eq, inArray } from 'drizzle-orm'
import type { Actor } from '../../auth/actor.ts'
import { authorizeScoped, type Grant } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { slaPolicies, tickets } from '../../db/schema/index.ts'
import { readInWorkspace } from '../../db/tenant.ts'
import type { Executor } from '../../db/transaction.ts'
import type { TicketRef } from '../../lib/refs.ts'
import { customerTickets } from '../tickets/access.ts'
import { describeRef, refCondition, TicketNotFound } from '../tickets/queries.ts'
import { createCalendarsService } from './calendars-service.ts'
import { type SlaContext, type TimerRow, timerUsage } from './engine.ts'
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
          .select({ id: tickets.id })
          .from(tickets)
          .where(and(refCondition(workspaceId, ref), customerTickets(grant.customer)))
        if (!ticket) throw TicketNotFound(describeRef(ref))
        return (await slasOf(q, grant, [ticket.id], now)).get(ticket.id) as TicketSlaView
      })
    },

    /** `ticketSla` of many tickets at once (GraphQL's loader); tickets the caller may not see are left out. */
    async ticketSlas(actor: Actor, ids: readonly string[], now = new Date()) {
      const grant = authorizeScoped(actor, 'tickets:read')
      return readInWorkspace(db, grant.workspaceId, (q) => slasOf(q, grant, [...new Set(ids)], now))
    },
  }
}

export interface TicketSlaView {
  ticketId: string
  responseDueAt: string | null
  nextDueAt?: string | null
  breached?: boolean
  policy?: { id: string; name: string } | null
  timers?: ReturnType<typeof toTimer>[]
}

async function slasOf(
  q: Executor,
  grant: Grant,
  ids: string[],
  now: Date,
): Promise<Map<string, TicketSlaView>> {
  const { workspaceId } = grant
  const views = new Map<string, TicketSlaView>()
  if (ids.length === 0) return views
  const rows = await q
    .select({ id: tickets.id, nextDueAt: tickets.slaNextDueAt, breached: tickets.slaBreached })
    .from(tickets)
    .where(
      and(eq(tickets.workspaceId, workspaceId), inArray(tickets.id, ids), customerTickets(grant.customer)),
    )
  const timers = await timersOf(
    q,
    workspaceId,
    rows.map((r) => r.id),
  )
  const context = grant.customer || timers.length === 0 ? null : await loadSlaContext(q, workspaceId)
  const policyIds = [...new Set(timers.flatMap((t) => (t.policyId ? [t.policyId] : [])))]
  const policies =
    grant.customer || policyIds.length === 0
      ? []
      : await q
          .select({ id: slaPolicies.id, name: slaPolicies.name })
          .from(slaPolicies)
          .where(and(eq(slaPolicies.workspaceId, workspaceId), inArray(slaPolicies.id, policyIds)))
  for (const row of rows) {
    const own = timers.filter((t) => t.ticketId === row.id)
    const waiting = own.find(
      (t) => responseMetrics.has(t.metric) && t.fulfilledAt === null && t.stage !== 'paused',
    )
    const responseDueAt = iso(waiting?.dueAt ?? null)
    if (grant.customer) {
      views.set(row.id, { ticketId: row.id, responseDueAt })
      continue
    }
    const policyId = own.findLast((t) => t.fulfilledAt === null)?.policyId ?? own.at(-1)?.policyId
    views.set(row.id, {
      ticketId: row.id,
      responseDueAt,
      nextDueAt: iso(row.nextDueAt),
      breached: row.breached,
      policy: policies.find((p) => p.id === policyId) ?? null,
      timers: own.map((timer) => toTimer(timer, timerUsage(context as SlaContext, timer, now))),
    })
  }
  return views
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
