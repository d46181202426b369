import type { SlaConditions, SlaMetric, SlaTarget, slaPolicies, slaTimers } from '../../db/schema/index.ts'
import { slaMetrics } from '../../db/schema/index.ts'
import { BusinessCalendar } from './business-time.ts'

/**
 * The SLA rules, as pure functions: which policy applies to a ticket, what its targets are, and how a
 * ticket's timers move when something happens to it. The database layer (`timers.ts`) loads and stores;
 * everything decided is decided here.
 */

const MINUTE = 60_000

export type PolicyRow = typeof slaPolicies.$inferSelect
export type TimerRow = typeof slaTimers.$inferSelect

/** The ticket fields a policy looks at: a command that changes one re-matches the ticket's timers. */
export const slaFields = ['status', 'priorityId', 'departmentId', 'type', 'tags', 'organizationId'] as const

/** The fields of a ticket an SLA depends on. */
export interface SlaTicket {
  id: string
  status: string
  priorityId: string | null
  departmentId: string | null
  channel: string
  type: string | null
  organizationId: string | null
  tags: string[]
  firstRespondedAt: Date | null
}

export type Happening = (
  | { kind: 'created' }
  /** A public message of the customer (or relayed for them). `answered`: the ticket had a staff reply before. */
  | { kind: 'customerMessage'; answered: boolean }
  /** A public reply of staff. */
  | { kind: 'staffReply' }
  /** Fields or the status changed. */
  | { kind: 'changed' }
  /** A policy or calendar changed: targets are matched again. */
  | { kind: 'rematched' }
) & {
  /** The status before, when it changed. */
  from?: string | undefined
}

/** A target made concrete for one ticket: the calendar resolved (null: calendar time). */
export interface ResolvedTarget {
  policyId: string
  minutes: number
  calendarId: string | null
  warnBeforeMinutes: number | null
  pauseOn: string[]
}

export interface SlaContext {
  policies: PolicyRow[]
  defaultCalendarId: string | null
  departmentCalendars: ReadonlyMap<string, string | null>
  calendar: (id: string | null) => BusinessCalendar
}

const overlaps = (wanted: string[] | undefined, value: string | null) =>
  wanted === undefined || wanted.length === 0 || (value !== null && wanted.includes(value))

export function conditionsMatch(conditions: SlaConditions, ticket: SlaTicket): boolean {
  return (
    overlaps(conditions.priorities, ticket.priorityId) &&
    overlaps(conditions.departments, ticket.departmentId) &&
    overlaps(conditions.channels, ticket.channel) &&
    overlaps(conditions.types, ticket.type) &&
    overlaps(conditions.organizations, ticket.organizationId) &&
    (conditions.tagsAll ?? []).every((tag) => ticket.tags.includes(tag)) &&
    ((conditions.tagsAny ?? []).length === 0 ||
      (conditions.tagsAny ?? []).some((tag) => ticket.tags.includes(tag)))
  )
}

/** The first enabled policy, in position order, whose conditions the ticket meets. */
export function matchPolicy(policies: readonly PolicyRow[], ticket: SlaTicket): PolicyRow | null {
  for (const policy of policies)
    if (policy.enabled && conditionsMatch(policy.conditions, ticket)) return policy
  return null
}

/** Per metric, the policy's target for the ticket's priority, else its target for every priority. */
export function targetsFor(context: SlaContext, ticket: SlaTicket): Map<SlaMetric, ResolvedTarget> {
  const policy = matchPolicy(context.policies, ticket)
  const targets = new Map<SlaMetric, ResolvedTarget>()
  if (!policy) return targets
  for (const metric of slaMetrics) {
    const target =
      policy.targets.find(
        (t) => t.metric === metric && t.priorityId !== null && t.priorityId === ticket.priorityId,
      ) ?? policy.targets.find((t) => t.metric === metric && t.priorityId === null)
    if (target) targets.set(metric, resolve(context, policy.id, target, ticket))
  }
  return targets
}

function resolve(
  context: SlaContext,
  policyId: string,
  target: SlaTarget,
  ticket: SlaTicket,
): ResolvedTarget {
  const departmentCalendar = ticket.departmentId ? context.departmentCalendars.get(ticket.departmentId) : null
  return {
    policyId,
    minutes: target.minutes,
    calendarId: target.businessHours
      ? (target.calendarId ?? departmentCalendar ?? context.defaultCalendarId)
      : null,
    warnBeforeMinutes: target.warnBeforeMinutes,
    pauseOn: target.pauseOn,
  }
}

/** A timer as the engine changes it; `isNew` rows are inserted, changed ones updated. */
export interface TimerDraft extends Omit<TimerRow, 'createdAt' | 'updatedAt'> {
  isNew?: boolean
}

export interface TimerPlan {
  /** Timers to insert or update. */
  upserts: TimerDraft[]
  /** Timers that no longer apply (their policy stopped matching, or lost the target). */
  deletes: TimerDraft[]
  /** Timers whose remaining time was already gone when they were (re)targeted: breached now. */
  breachedNow: TimerDraft[]
  /** The earliest deadline still owed (null when none runs) and whether any timer has breached. */
  nextDueAt: Date | null
  breached: boolean
}

const isOpen = (timer: TimerDraft) => timer.fulfilledAt === null
const closingStatuses = new Set(['solved', 'closed'])

/**
 * How a ticket's timers move at `now`. Time already used stays used when a target changes: the
 * remaining time counts on the new target and calendar. A target that newly applies starts counting
 * when it starts applying (never back-dated); one that no longer applies is removed.
 */
export function planTimers(
  context: SlaContext,
  ticket: SlaTicket,
  existing: readonly TimerRow[],
  happening: Happening,
  now: Date,
  newId: () => string,
  workspaceId: string,
): TimerPlan {
  const targets = targetsFor(context, ticket)
  const timers: TimerDraft[] = existing.map((t) => ({ ...t }))
  const touched = new Set<TimerDraft>()
  const deletes: TimerDraft[] = []
  const breachedNow: TimerDraft[] = []
  const latest = (metric: SlaMetric) =>
    timers.filter((t) => t.metric === metric).sort((a, b) => b.instance - a.instance)[0]
  const closing = closingStatuses.has(ticket.status)

  const start = (metric: SlaMetric, target: ResolvedTarget) => {
    const timer: TimerDraft = {
      isNew: true,
      workspaceId,
      id: newId(),
      ticketId: ticket.id,
      metric,
      instance: (latest(metric)?.instance ?? 0) + 1,
      policyId: target.policyId,
      stage: 'active',
      targetMinutes: target.minutes,
      calendarId: target.calendarId,
      warnBeforeMinutes: target.warnBeforeMinutes,
      pauseOn: target.pauseOn,
      startedAt: now,
      anchorAt: now,
      usedMs: 0,
      dueAt: null,
      warnAt: null,
      pausedAt: null,
      fulfilledAt: null,
      breachedAt: null,
      warnedAt: null,
    }
    timers.push(timer)
    touched.add(timer)
  }
  const fulfil = (timer: TimerDraft | undefined) => {
    if (!timer || !isOpen(timer)) return
    settle(context, timer, now)
    timer.fulfilledAt = now
    if (timer.stage !== 'breached') timer.stage = 'fulfilled'
    timer.anchorAt = null
    timer.pausedAt = null
    touched.add(timer)
  }

  // 0. A clock whose deadline passed before a sweep saw it breached at its deadline, whatever happens
  //    now (an answer, a pause, a new target): the sweep would have said so, and nothing hides it.
  for (const timer of timers) {
    if (
      isOpen(timer) &&
      timer.stage === 'active' &&
      timer.dueAt !== null &&
      timer.dueAt.getTime() <= now.getTime()
    ) {
      timer.stage = 'breached'
      timer.breachedAt = timer.dueAt
      breachedNow.push(timer)
      touched.add(timer)
    }
  }

  // 1. What happened starts or fulfils clocks.
  const response = () => {
    const first = latest('firstResponse')
    const next = latest('nextResponse')
    return [first, next].filter((t): t is TimerDraft => t !== undefined && isOpen(t))
  }
  switch (happening.kind) {
    case 'created':
      // Its clocks start below, as any target that newly applies does.
      break
    case 'staffReply':
      for (const timer of response()) fulfil(timer)
      break
    case 'customerMessage': {
      const target = targets.get('nextResponse')
      if (target && happening.answered && response().length === 0) start('nextResponse', target)
      break
    }
    case 'changed':
      break
    case 'rematched':
      break
  }
  if (happening.from !== undefined && happening.from !== ticket.status) {
    if (closing) for (const timer of timers) fulfil(timer)
    else if (closingStatuses.has(happening.from)) {
      // A reopened ticket resumes its resolution clock with the time it had used.
      const resolution = latest('resolution')
      const target = targets.get('resolution')
      if (resolution?.fulfilledAt && target) {
        resolution.fulfilledAt = null
        resolution.anchorAt = now
        // A breached clock keeps the deadline it missed; a met one gets a new one.
        if (resolution.stage === 'fulfilled') {
          resolution.stage = 'active'
          resolution.dueAt = null
        }
        touched.add(resolution)
      }
    }
  }

  // A target that newly applies (a policy began to match, or gained the metric) starts now, never
  // back-dated: the first response while nobody has answered yet, resolution while unsolved.
  if (!closing) {
    if (!latest('firstResponse') && ticket.firstRespondedAt === null) {
      const target = targets.get('firstResponse')
      if (target) start('firstResponse', target)
    }
    if (!latest('resolution')) {
      const target = targets.get('resolution')
      if (target) start('resolution', target)
    }
  }

  // 2. Open timers follow the current targets, and pause or run with the status.
  for (const timer of timers) {
    if (!isOpen(timer)) continue
    const target = targets.get(timer.metric)
    if (!target) {
      // A clock that no longer applies goes, unless it has breached: a breach stays on the record
      // (and the clock stays owed until answered or solved), whatever the ticket matches now.
      if (timer.stage !== 'breached') deletes.push(timer)
      continue
    }
    if (!sameTarget(timer, target)) {
      settle(context, timer, now)
      timer.policyId = target.policyId
      timer.targetMinutes = target.minutes
      timer.calendarId = target.calendarId
      timer.warnBeforeMinutes = target.warnBeforeMinutes
      timer.pauseOn = target.pauseOn
      if (timer.stage === 'breached') timer.anchorAt = now
      else if (timer.stage === 'active') {
        timer.anchorAt = now
        timer.dueAt = null
      }
      touched.add(timer)
    }
    if (timer.stage === 'breached') continue
    const paused = timer.pauseOn.includes(ticket.status)
    if (paused && timer.stage === 'active') {
      settle(context, timer, now)
      timer.stage = 'paused'
      timer.pausedAt = now
      timer.anchorAt = null
      timer.dueAt = null
      timer.warnAt = null
      touched.add(timer)
    } else if (!paused && timer.stage === 'paused') {
      timer.stage = 'active'
      timer.pausedAt = null
      timer.anchorAt = now
      touched.add(timer)
    }
    if (timer.stage === 'paused' && timer.usedMs >= timer.targetMinutes * MINUTE) {
      // Paused with its time already spent (re-targeted below what it used, or reopened into a
      // pausing status): late as of now, and owed from now on, counting like any breached clock.
      timer.stage = 'breached'
      timer.breachedAt = now
      timer.dueAt = now
      timer.anchorAt = now
      timer.pausedAt = null
      breachedNow.push(timer)
      touched.add(timer)
    }
  }

  // 3. Running timers get their deadlines; one whose time is already spent breaches now.
  for (const timer of touched) {
    if (deletes.includes(timer) || timer.stage !== 'active' || timer.anchorAt === null) continue
    const calendar = context.calendar(timer.calendarId)
    const anchor = timer.anchorAt.getTime()
    const remaining = timer.targetMinutes * MINUTE - timer.usedMs
    timer.dueAt = new Date(calendar.addMs(anchor, Math.max(remaining, 0)))
    timer.warnAt =
      timer.warnBeforeMinutes !== null && timer.warnBeforeMinutes < timer.targetMinutes
        ? new Date(calendar.addMs(anchor, Math.max(remaining - timer.warnBeforeMinutes * MINUTE, 0)))
        : null
    if (timer.dueAt.getTime() <= now.getTime() && !timer.isNew) {
      timer.stage = 'breached'
      timer.breachedAt = now
      breachedNow.push(timer)
    }
  }

  const kept = timers.filter((t) => !deletes.includes(t))
  const owed = kept.filter((t) => isOpen(t) && (t.stage === 'active' || t.stage === 'breached') && t.dueAt)
  const nextDue = owed.reduce<Date | null>(
    (min, t) => (min === null || (t.dueAt as Date) < min ? (t.dueAt as Date) : min),
    null,
  )
  return {
    upserts: [...touched].filter((t) => !deletes.includes(t)),
    deletes: deletes.filter((t) => !t.isNew),
    breachedNow,
    nextDueAt: nextDue,
    breached: kept.some((t) => t.breachedAt !== null),
  }
}

/** Folds the running stretch into the used time (on the timer's own calendar) and restarts it at now. */
function settle(context: SlaContext, timer: TimerDraft, now: Date) {
  if (timer.stage === 'paused' || timer.anchorAt === null) return
  timer.usedMs += context.calendar(timer.calendarId).msBetween(timer.anchorAt.getTime(), now.getTime())
  timer.anchorAt = now
}

function sameTarget(timer: TimerDraft, target: ResolvedTarget) {
  return (
    timer.policyId === target.policyId &&
    timer.targetMinutes === target.minutes &&
    timer.calendarId === target.calendarId &&
    timer.warnBeforeMinutes === target.warnBeforeMinutes &&
    timer.pauseOn.length === target.pauseOn.length &&
    timer.pauseOn.every((s) => target.pauseOn.includes(s))
  )
}

/** Business minutes a timer has used by `now`, and what remains of its target. */
export function timerUsage(context: Pick<SlaContext, 'calendar'>, timer: TimerRow, now: Date) {
  let used = timer.usedMs
  const end = timer.fulfilledAt ?? now
  if (timer.anchorAt !== null && (timer.stage === 'active' || timer.stage === 'breached')) {
    used += context.calendar(timer.calendarId).msBetween(timer.anchorAt.getTime(), end.getTime())
  }
  const usedMinutes = Math.floor(used / MINUTE)
  return { usedMinutes, remainingMinutes: Math.max(timer.targetMinutes - usedMinutes, 0) }
}

export const calendarTime = BusinessCalendar.ALWAYS

/**
 * A running timer whose calendar changed (hours, zone or holidays): the business time it used up to
 * `now` is measured on the old calendar and kept; what remains counts on the new one from `now`.
 * A timer with nothing left breaches now. Paused timers have no deadline and resume on the new hours.
 */
export function moveToCalendar(
  timer: TimerRow,
  previous: BusinessCalendar,
  next: BusinessCalendar,
  now: Date,
): { timer: TimerDraft; breached: boolean } {
  const moved: TimerDraft = { ...timer }
  if (moved.anchorAt === null || moved.stage === 'paused' || moved.fulfilledAt !== null) {
    return { timer: moved, breached: false }
  }
  if (moved.stage === 'active' && moved.dueAt !== null && moved.dueAt.getTime() <= now.getTime()) {
    // Already past its deadline before the edit (no sweep saw it yet): breached at that deadline.
    moved.usedMs += previous.msBetween(moved.anchorAt.getTime(), now.getTime())
    moved.anchorAt = now
    moved.stage = 'breached'
    moved.breachedAt = moved.dueAt
    return { timer: moved, breached: true }
  }
  moved.usedMs += previous.msBetween(moved.anchorAt.getTime(), now.getTime())
  moved.anchorAt = now
  if (moved.stage !== 'active') return { timer: moved, breached: false }
  const remaining = moved.targetMinutes * MINUTE - moved.usedMs
  moved.dueAt = new Date(next.addMs(now.getTime(), Math.max(remaining, 0)))
  moved.warnAt =
    moved.warnBeforeMinutes !== null && moved.warnBeforeMinutes < moved.targetMinutes
      ? new Date(next.addMs(now.getTime(), Math.max(remaining - moved.warnBeforeMinutes * MINUTE, 0)))
      : null
  if (remaining <= 0) {
    moved.stage = 'breached'
    moved.breachedAt = now
    return { timer: moved, breached: true }
  }
  return { timer: moved, breached: false }
}
