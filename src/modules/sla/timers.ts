import { and, asc, eq, gt, inArray, notInArray, type SQL, sql } from 'drizzle-orm'
import { uuidv7 } from 'uuidv7'
import { preparedStatement } from '../../db/raw.ts'
import { events, slaTimers, tickets } from '../../db/schema/index.ts'
import type { Executor } from '../../db/transaction.ts'
import type { BusinessCalendar } from './business-time.ts'
import { businessCalendarOf, type CalendarDefinition } from './calendars.ts'

type TicketRow = typeof tickets.$inferSelect

import {
  calendarTime,
  type Happening,
  moveToCalendar,
  type PolicyRow,
  planTimers,
  type SlaContext,
  type SlaTicket,
  type TimerDraft,
  type TimerPlan,
  type TimerRow,
} from './engine.ts'

interface ContextRow {
  policies: Pick<PolicyRow, 'id' | 'enabled' | 'conditions' | 'targets'>[]
  calendars: (CalendarDefinition & { isDefault: boolean })[]
  departments: Record<string, string>
}

/** The workspace's policies (in order), calendars and department calendars, in one statement. */
export async function loadSlaContext(q: Executor, workspaceId: string): Promise<SlaContext> {
  const result = await q.execute(sql`select
    (select coalesce(json_agg(json_build_object('id', p.id, 'enabled', p.enabled, 'conditions', p.conditions,
      'targets', p.targets) order by p.position, p.created_at), '[]') from sla_policies p
      where p.workspace_id = ${workspaceId}) as policies,
    (select coalesce(json_agg(json_build_object('id', c.id, 'version', c.version, 'timeZone', c.time_zone,
      'intervals', c.intervals, 'holidays', c.holidays, 'holidayRegions', c.holiday_regions,
      'isDefault', c.is_default)), '[]') from business_calendars c where c.workspace_id = ${workspaceId}) as calendars,
    (select coalesce(json_object_agg(d.id, d.calendar_id), '{}') from departments d
      where d.workspace_id = ${workspaceId} and d.calendar_id is not null) as departments`)
  const row = (result as unknown as { rows: ContextRow[] }).rows[0] as ContextRow
  return contextOf(row)
}

function contextOf(row: ContextRow): SlaContext {
  const calendars = new Map(row.calendars.map((c) => [c.id, c]))
  return {
    policies: row.policies as PolicyRow[],
    defaultCalendarId: row.calendars.find((c) => c.isDefault)?.id ?? null,
    departmentCalendars: new Map(Object.entries(row.departments)),
    calendar: (id) => {
      const definition = id === null ? undefined : calendars.get(id)
      return definition ? businessCalendarOf(definition) : calendarTime
    },
  }
}

/** The SLA fields of a ticket row (or of any object carrying them), and nothing else. */
export function slaTicketOf(row: SlaTicket): SlaTicket {
  return {
    id: row.id,
    status: row.status,
    priorityId: row.priorityId,
    departmentId: row.departmentId,
    channel: row.channel,
    type: row.type,
    organizationId: row.organizationId,
    tags: row.tags,
    firstRespondedAt: row.firstRespondedAt,
  }
}

/**
 * The timers of some tickets. `forUpdate` locks them for a command that changes them: taken after the
 * ticket's own lock, as everything that writes timers does, while the sweeps skip locked rows.
 */
export async function timersOf(
  q: Executor,
  workspaceId: string,
  ticketIds: string[],
  forUpdate = false,
): Promise<TimerRow[]> {
  if (ticketIds.length === 0) return []
  const query = q
    .select()
    .from(slaTimers)
    .where(and(eq(slaTimers.workspaceId, workspaceId), inArray(slaTimers.ticketId, ticketIds)))
    .orderBy(asc(slaTimers.ticketId), asc(slaTimers.metric), asc(slaTimers.instance))
  return forUpdate ? query.for('update') : query
}

/**
 * Moves one ticket's timers for what happened, in the caller's transaction, and returns the ticket's
 * SLA summary (`slaNextDueAt`, `slaBreached`) for the caller to write with the ticket's own update.
 */
export async function syncTicketTimers(
  q: Executor,
  workspaceId: string,
  ticket: SlaTicket,
  happening: Happening,
  now: Date,
  context?: SlaContext,
): Promise<TimerPlan> {
  const resolved = context ?? (await loadSlaContext(q, workspaceId))
  const existing = happening.kind === 'created' ? [] : await timersOf(q, workspaceId, [ticket.id], true)
  const plan = planTimers(resolved, ticket, existing, happening, now, uuidv7, workspaceId)
  await storePlans(q, workspaceId, [plan])
  return plan
}

/** Writes the timers of one or more tickets' plans, and an `sla.breached` event for each breached now. */
export async function storePlans(q: Executor, workspaceId: string, plans: TimerPlan[]): Promise<void> {
  const upserts = plans.flatMap((p) => p.upserts)
  const deletes = plans.flatMap((p) => p.deletes)
  const breached = plans.flatMap((p) => p.breachedNow)
  if (deletes.length > 0) {
    await q.delete(slaTimers).where(
      and(
        eq(slaTimers.workspaceId, workspaceId),
        inArray(
          slaTimers.id,
          deletes.map((t) => t.id),
        ),
      ),
    )
  }
  if (upserts.length > 0) {
    const now = new Date()
    await q
      .insert(slaTimers)
      .values(upserts.map(({ isNew: _new, ...timer }) => ({ ...timer, createdAt: now, updatedAt: now })))
      .onConflictDoUpdate({
        target: [slaTimers.workspaceId, slaTimers.id],
        set: {
          policyId: sql`excluded.policy_id`,
          stage: sql`excluded.stage`,
          targetMinutes: sql`excluded.target_minutes`,
          calendarId: sql`excluded.calendar_id`,
          warnBeforeMinutes: sql`excluded.warn_before_minutes`,
          pauseOn: sql`excluded.pause_on`,
          anchorAt: sql`excluded.anchor_at`,
          usedMs: sql`excluded.used_ms`,
          dueAt: sql`excluded.due_at`,
          warnAt: sql`excluded.warn_at`,
          pausedAt: sql`excluded.paused_at`,
          fulfilledAt: sql`excluded.fulfilled_at`,
          breachedAt: sql`excluded.breached_at`,
          updatedAt: sql`excluded.updated_at`,
        },
      })
  }
  if (breached.length > 0) await q.insert(events).values(breached.map(breachEvent))
  announceNearDeadlines(upserts)
}

/** The event of a timer found past its deadline by a command, recorded by the system (as a sweep would). */
function breachEvent(timer: TimerDraft | TimerRow) {
  return {
    workspaceId: timer.workspaceId,
    id: uuidv7(),
    type: 'sla.breached',
    subjectType: 'ticket',
    subjectId: timer.ticketId,
    actorKind: 'system',
    actorId: null,
    changes: {},
    data: {
      timerId: timer.id,
      metric: timer.metric,
      instance: timer.instance,
      policyId: timer.policyId,
      dueAt: timer.dueAt?.toISOString() ?? null,
    },
  }
}

/** Writes tickets' SLA summaries (after a create, or a re-match that does not otherwise touch them). */
export async function storeSummaries(
  q: Executor,
  workspaceId: string,
  summaries: { ticketId: string; nextDueAt: Date | null; breached: boolean }[],
): Promise<void> {
  if (summaries.length === 0) return
  // Array literals of uuids, instants (or NULL) and booleans: nothing in them needs quoting.
  const ids = `{${summaries.map((s) => s.ticketId).join(',')}}`
  const dues = `{${summaries.map((s) => s.nextDueAt?.toISOString() ?? 'NULL').join(',')}}`
  const flags = `{${summaries.map((s) => s.breached).join(',')}}`
  await q.execute(sql`update ${tickets} t set sla_next_due_at = x.due, sla_breached = x.breached
    from unnest(${ids}::uuid[], ${dues}::timestamptz[], ${flags}::boolean[]) as x(id, due, breached)
    where t.workspace_id = ${workspaceId} and t.id = x.id
      and (t.sla_next_due_at is distinct from x.due or t.sla_breached is distinct from x.breached)`)
}

/** Parsed SLA settings per workspace, valid while the workspace's `sla_version` is the one they were read at. */
const cachedContexts = new Map<string, { version: number; context: SlaContext }>()
const CACHED_CONTEXTS = 1_000

/** The workspace's SLA settings as of `version` (read from the ticket counter in this transaction). */
async function contextAt(q: Executor, workspaceId: string, version: number): Promise<SlaContext> {
  const cached = cachedContexts.get(workspaceId)
  if (cached?.version === version) return cached.context
  const [row] = await sqlRows<{ version: number }>(
    q,
    sql`select sla_version as version from ticket_counters where workspace_id = ${workspaceId}`,
  )
  const context = await loadSlaContext(q, workspaceId)
  // Kept only when nothing changed between the insert and this read (same transaction, same version).
  if (row?.version === version) {
    if (cachedContexts.size >= CACHED_CONTEXTS)
      cachedContexts.delete(cachedContexts.keys().next().value as string)
    cachedContexts.set(workspaceId, { version, context })
  }
  return context
}

async function sqlRows<T>(q: Executor, query: SQL): Promise<T[]> {
  return ((await q.execute(query)) as unknown as { rows: T[] }).rows
}

/** Marks the workspace's SLA settings changed (policies, calendars, department calendars); see `ticketCounters`. */
export async function bumpSlaVersion(q: Executor, workspaceId: string): Promise<void> {
  await q.execute(
    sql`update ticket_counters set sla_version = sla_version + 1 where workspace_id = ${workspaceId}`,
  )
}

/**
 * The timers of new tickets and the tickets' summaries, in one statement (prepared once per
 * connection): rows come as JSON shaped like `sla_timers`, summaries as parallel arrays.
 */
const insertNewTimers = preparedStatement(`
with timers as (
  insert into sla_timers select * from json_populate_recordset(null::sla_timers, $2::json)
)
update tickets t set sla_next_due_at = x.due
from unnest($3::uuid[], $4::timestamptz[]) as x(id, due)
where t.workspace_id = $1 and t.id = x.id and x.due is not null`)

/**
 * Starts the timers of tickets just created (one group, one workspace) and writes their summaries;
 * each ticket row given is updated in place with its `slaNextDueAt`. `version` is the SLA settings
 * version the insert read, so the settings come from the cache when they have not changed.
 */
export async function startTimersOfNewTickets(
  q: Executor,
  workspaceId: string,
  created: (Parameters<typeof slaTicketOf>[0] & { createdAt: Date; slaNextDueAt: Date | null })[],
  version: number,
): Promise<void> {
  if (created.length === 0) return
  const context = await contextAt(q, workspaceId, version)
  if (context.policies.length === 0) return
  const plans = created.map((ticket) => ({
    ticket,
    plan: planTimers(
      context,
      slaTicketOf(ticket),
      [],
      { kind: 'created' },
      ticket.createdAt,
      uuidv7,
      workspaceId,
    ),
  }))
  const rows = plans.flatMap(({ plan }) =>
    plan.upserts.map((t) => ({
      workspace_id: t.workspaceId,
      id: t.id,
      ticket_id: t.ticketId,
      metric: t.metric,
      instance: t.instance,
      policy_id: t.policyId,
      stage: t.stage,
      target_minutes: t.targetMinutes,
      calendar_id: t.calendarId,
      warn_before_minutes: t.warnBeforeMinutes,
      pause_on: t.pauseOn,
      started_at: t.startedAt,
      anchor_at: t.anchorAt,
      used_ms: t.usedMs,
      due_at: t.dueAt,
      warn_at: t.warnAt,
      paused_at: t.pausedAt,
      fulfilled_at: t.fulfilledAt,
      breached_at: t.breachedAt,
      warned_at: t.warnedAt,
      created_at: t.startedAt,
      updated_at: t.startedAt,
    })),
  )
  if (rows.length === 0) return
  await insertNewTimers(q, [
    workspaceId,
    JSON.stringify(rows),
    plans.map(({ ticket }) => ticket.id),
    plans.map(({ plan }) => plan.nextDueAt?.toISOString() ?? null),
  ])
  for (const { ticket, plan } of plans) ticket.slaNextDueAt = plan.nextDueAt
  announceNearDeadlines(plans.flatMap(({ plan }) => plan.upserts))
}

const REMATCH_BATCH = 500

/**
 * Matches the open tickets of a workspace (or those `where` selects) against the current policies
 * again, batch by batch in the caller's transaction, locking each batch of tickets as it goes.
 */
export async function rematchOpenTickets(q: Executor, workspaceId: string, where?: SQL): Promise<number> {
  const context = await loadSlaContext(q, workspaceId)
  const now = new Date()
  let after: string | null = null
  let count = 0
  for (;;) {
    const batch: TicketRow[] = await q
      .select()
      .from(tickets)
      .where(
        and(
          eq(tickets.workspaceId, workspaceId),
          notInArray(tickets.status, ['solved', 'closed']),
          after ? gt(tickets.id, after) : undefined,
          where,
        ),
      )
      .orderBy(asc(tickets.id))
      .limit(REMATCH_BATCH)
      .for('update')
    if (batch.length === 0) return count
    const existing = await timersOf(
      q,
      workspaceId,
      batch.map((t) => t.id),
      true,
    )
    const plans = batch.map((ticket) => ({
      ticketId: ticket.id,
      plan: planTimers(
        context,
        slaTicketOf(ticket),
        existing.filter((t) => t.ticketId === ticket.id),
        { kind: 'rematched' },
        now,
        uuidv7,
        workspaceId,
      ),
    }))
    await storePlans(
      q,
      workspaceId,
      plans.map((p) => p.plan),
    )
    await storeSummaries(
      q,
      workspaceId,
      plans.map(({ ticketId, plan }) => ({ ticketId, nextDueAt: plan.nextDueAt, breached: plan.breached })),
    )
    count += batch.length
    after = batch[batch.length - 1]?.id ?? null
    if (batch.length < REMATCH_BATCH) return count
  }
}

/** Moves the deadlines of the running timers that count on a calendar whose hours changed (see `moveToCalendar`). */
export async function moveTimersToCalendar(
  q: Executor,
  workspaceId: string,
  previous: BusinessCalendar,
  next: BusinessCalendar,
  calendarId: string,
): Promise<void> {
  const now = new Date()
  // Tickets first, then their timers: the order every command takes its locks in.
  await q.execute(sql`select id from ${tickets} where workspace_id = ${workspaceId} and id in (
      select ticket_id from ${slaTimers} where workspace_id = ${workspaceId} and calendar_id = ${calendarId}
        and stage in ('active', 'paused'))
    order by id for update`)
  const running = await q
    .select()
    .from(slaTimers)
    .where(
      and(
        eq(slaTimers.workspaceId, workspaceId),
        eq(slaTimers.calendarId, calendarId),
        inArray(slaTimers.stage, ['active', 'paused']),
      ),
    )
    .for('update')
  if (running.length === 0) return
  const moved = running.map((timer) => moveToCalendar(timer, previous, next, now))
  const plan: TimerPlan = {
    upserts: moved.map((m) => m.timer),
    deletes: [],
    breachedNow: moved.filter((m) => m.breached).map((m) => m.timer),
    nextDueAt: null,
    breached: false,
  }
  await storePlans(q, workspaceId, [plan])
  // Each affected ticket's summary follows its timers.
  await q.execute(sql`update ${tickets} t set sla_next_due_at = s.due, sla_breached = s.breached
    from (select ticket_id, min(due_at) filter (where fulfilled_at is null and stage in ('active', 'breached')) as due,
      bool_or(breached_at is not null) as breached
      from ${slaTimers} where workspace_id = ${workspaceId} and ticket_id in (
        select ticket_id from ${slaTimers} where workspace_id = ${workspaceId} and calendar_id = ${calendarId})
      group by ticket_id) s
    where t.workspace_id = ${workspaceId} and t.id = s.ticket_id`)
}

type NearDeadlineListener = { withinMs: number; notify: (at: Date) => void }
const nearDeadlineListeners = new Set<NearDeadlineListener>()

/**
 * Calls `notify` after a command stores a timer whose deadline or warning falls within `withinMs`
 * (the job queue sends a sweep for that instant). Returns the function that stops it.
 */
export function onNearDeadline(withinMs: number, notify: (at: Date) => void): () => void {
  const listener = { withinMs, notify }
  nearDeadlineListeners.add(listener)
  return () => nearDeadlineListeners.delete(listener)
}

function announceNearDeadlines(timers: readonly TimerDraft[]) {
  if (nearDeadlineListeners.size === 0) return
  const now = Date.now()
  for (const listener of nearDeadlineListeners) {
    const near = timers
      .flatMap((t) => (t.stage === 'active' ? [t.warnedAt === null ? t.warnAt : null, t.dueAt] : []))
      .filter((at): at is Date => at !== null && at.getTime() - now < listener.withinMs)
    if (near.length > 0) listener.notify(new Date(Math.min(...near.map((at) => at.getTime()))))
  }
}
