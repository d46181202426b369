import { sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'

/**
 * The breach and warning sweeps. They run as the service's own role across every workspace (a
 * background job acts for no caller), claim what is due with `for update skip locked`, and change a
 * timer's stage in the same statement that records its event: two sweeps running at once (two
 * instances) never take the same timer, and a timer moves to `breached` once, so its event is written
 * once. Each reads only what is due through the partial indexes on `due_at` and `warn_at`, so its cost
 * follows the due timers, not the open ones. A breach is recorded at the deadline itself (`breachedAt =
 * dueAt`), also when the sweep runs late after a restart; the event's `createdAt` says when it was seen.
 */

const BATCH = 1000

const iso = (column: string) =>
  sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`)

function breachStatement(now: Date | undefined, limit: number) {
  const at = now ? sql`${now.toISOString()}::timestamptz` : sql`now()`
  return sql`with due as (
      -- The ticket is locked with its timer (both skipped while a command holds either): commands take
      -- a ticket, then its timers, so a sweep never waits on a command in the opposite order.
      select t.workspace_id, t.id from sla_timers t
      join tickets k on k.workspace_id = t.workspace_id and k.id = t.ticket_id
      where t.stage = 'active' and t.due_at <= ${at}
      order by t.due_at limit ${sql.raw(String(limit))}
      for update of t, k skip locked
    ), breached as (
      update sla_timers t set stage = 'breached', breached_at = t.due_at, updated_at = ${at}
      from due where t.workspace_id = due.workspace_id and t.id = due.id and t.stage = 'active'
      returning t.workspace_id, t.id, t.ticket_id, t.metric, t.instance, t.policy_id, t.due_at
    ), flagged as (
      update tickets k set sla_breached = true
      from (select distinct workspace_id, ticket_id from breached) b
      where k.workspace_id = b.workspace_id and k.id = b.ticket_id and not k.sla_breached
    ), logged as (
      insert into events (workspace_id, id, type, subject_type, subject_id, actor_kind, actor_id, changes, data, created_at)
      select workspace_id, gen_random_uuid(), 'sla.breached', 'ticket', ticket_id, 'system', null, '{}'::jsonb,
        jsonb_build_object('timerId', id, 'metric', metric, 'instance', instance, 'policyId', policy_id,
          'dueAt', ${iso('due_at')}), ${at}
      from breached order by due_at, id
    )
    select count(*)::int as count from breached`
}

function warningStatement(now: Date | undefined, limit: number) {
  const at = now ? sql`${now.toISOString()}::timestamptz` : sql`now()`
  return sql`with due as (
      select workspace_id, id from sla_timers
      where stage = 'active' and warned_at is null and warn_at <= ${at}
      order by warn_at limit ${sql.raw(String(limit))}
      for update skip locked
    ), warned as (
      update sla_timers t set warned_at = ${at}, updated_at = ${at}
      from due where t.workspace_id = due.workspace_id and t.id = due.id and t.warned_at is null
      returning t.workspace_id, t.id, t.ticket_id, t.metric, t.instance, t.policy_id, t.due_at, t.warn_at
    ), logged as (
      insert into events (workspace_id, id, type, subject_type, subject_id, actor_kind, actor_id, changes, data, created_at)
      select workspace_id, gen_random_uuid(), 'sla.warning', 'ticket', ticket_id, 'system', null, '{}'::jsonb,
        jsonb_build_object('timerId', id, 'metric', metric, 'instance', instance, 'policyId', policy_id,
          'dueAt', ${iso('due_at')}, 'warnAt', ${iso('warn_at')}), ${at}
      from warned order by warn_at, id
    )
    select count(*)::int as count from warned`
}

const countOf = (result: unknown) => (result as { rows: { count: number }[] }).rows[0]?.count ?? 0

/** One pass of both sweeps, batch after batch until nothing due is left. `now` only for tests. */
export async function sweepDueTimers(db: Db, now?: Date): Promise<{ warned: number; breached: number }> {
  let warned = 0
  let breached = 0
  for (;;) {
    const n = countOf(await db.execute(warningStatement(now, BATCH)))
    warned += n
    if (n < BATCH) break
  }
  for (;;) {
    const n = countOf(await db.execute(breachStatement(now, BATCH)))
    breached += n
    if (n < BATCH) break
  }
  return { warned, breached }
}

/** The statement a sweep runs, for benchmarks and EXPLAIN. */
export const breachSweepStatement = breachStatement

/** The earliest deadline or warning still ahead of any running timer, across workspaces. */
export async function nextDeadline(db: Db): Promise<Date | null> {
  const result = await db.execute(sql`select least(
      (select min(due_at) from sla_timers where stage = 'active'),
      (select min(warn_at) from sla_timers where stage = 'active' and warned_at is null)) as next`)
  const value = (result as unknown as { rows: { next: string | Date | null }[] }).rows[0]?.next ?? null
  return value === null ? null : new Date(value)
}
