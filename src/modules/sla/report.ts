import { sql } from 'drizzle-orm'
import type { Actor } from '../../auth/actor.ts'
import { authorize } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { type SlaMetric, slaMetrics } from '../../db/schema/index.ts'
import { readInWorkspace } from '../../db/tenant.ts'
import { storableInstant } from '../../lib/instant.ts'
import { invalid } from '../../lib/problem.ts'

export const reportGroupings = ['department', 'priority', 'policy'] as const
export type ReportGrouping = (typeof reportGroupings)[number]

interface ReportRow {
  group_id: string | null
  group_name: string | null
  metric: SlaMetric
  total: number
  met: number
  breached: number
  open: number
  median: number | null
  p90: number | null
}

const DAY = 86_400_000

const groupings = {
  department: { id: sql`k.department_id`, name: sql`d.name` },
  priority: { id: sql`k.priority_id`, name: sql`p.name` },
  policy: { id: sql`t.policy_id`, name: sql`s.name` },
}

/**
 * How the SLA was kept over the timers started in [from, to): per group and metric, how many were met
 * (answered or resolved in time), breached and still open; the share met of those decided; and the
 * median and 90th percentile of the business minutes the fulfilled ones took.
 */
export function createSlaReports(db: Db) {
  return {
    async sla(
      actor: Actor,
      query: { from?: string; to?: string; groupBy?: ReportGrouping },
      now = new Date(),
    ) {
      const { workspaceId } = authorize(actor, 'sla:read')
      // By default everything recorded so far (a Date's milliseconds round PostgreSQL's microseconds down).
      const to = query.to ? new Date(query.to) : new Date(now.getTime() + 1)
      const from = query.from ? new Date(query.from) : new Date(to.getTime() - 30 * DAY)
      if (!storableInstant(to)) throw invalid('/to', 'must be between the years 1 and 9999')
      if (!storableInstant(from)) throw invalid('/from', 'must be between the years 1 and 9999')
      if (from >= to) throw invalid('/from', 'must be before to')
      const groupBy = query.groupBy ?? 'priority'
      const group = groupings[groupBy]
      const rows = await readInWorkspace(db, workspaceId, async (q) => {
        const result =
          await q.execute(sql`select ${group.id} as group_id, min(${group.name}) as group_name, t.metric,
            count(*)::int as total,
            (count(*) filter (where t.fulfilled_at is not null and t.breached_at is null))::int as met,
            (count(*) filter (where t.breached_at is not null))::int as breached,
            (count(*) filter (where t.fulfilled_at is null and t.breached_at is null))::int as open,
            percentile_cont(0.5) within group (order by t.used_ms) filter (where t.fulfilled_at is not null) as median,
            percentile_cont(0.9) within group (order by t.used_ms) filter (where t.fulfilled_at is not null) as p90
          from sla_timers t
          join tickets k on k.workspace_id = t.workspace_id and k.id = t.ticket_id
          left join departments d on d.workspace_id = k.workspace_id and d.id = k.department_id
          left join priorities p on p.workspace_id = k.workspace_id and p.id = k.priority_id
          left join sla_policies s on s.workspace_id = t.workspace_id and s.id = t.policy_id
          where t.workspace_id = ${workspaceId} and t.started_at >= ${from.toISOString()}::timestamptz
            and t.started_at < ${to.toISOString()}::timestamptz
          group by ${group.id}, t.metric
          order by min(${group.name}) nulls last, ${group.id}`)
        return (result as unknown as { rows: ReportRow[] }).rows
      })
      const groups = new Map<
        string,
        { id: string | null; name: string | null; metrics: Record<string, unknown> }
      >()
      for (const row of rows) {
        const key = row.group_id ?? ''
        let entry = groups.get(key)
        if (!entry) {
          entry = { id: row.group_id, name: row.group_name, metrics: {} }
          groups.set(key, entry)
        }
        const decided = row.met + row.breached
        entry.metrics[row.metric] = {
          total: row.total,
          met: row.met,
          breached: row.breached,
          open: row.open,
          metPercent: decided === 0 ? null : Math.round((row.met / decided) * 1000) / 10,
          medianBusinessMinutes: minutes(row.median),
          p90BusinessMinutes: minutes(row.p90),
        }
      }
      return {
        from: from.toISOString(),
        to: to.toISOString(),
        groupBy,
        groups: [...groups.values()].map((g) => ({
          id: g.id,
          name: g.name,
          metrics: Object.fromEntries(slaMetrics.filter((m) => m in g.metrics).map((m) => [m, g.metrics[m]])),
        })),
      }
    },
  }
}

const minutes = (ms: number | string | null) =>
  ms === null ? null : Math.round((Number(ms) / 60_000) * 10) / 10
