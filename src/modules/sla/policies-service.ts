import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm'
import type { Actor } from '../../auth/actor.ts'
import { authorize } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import {
  businessCalendars,
  organizations,
  type SlaConditions,
  type SlaMetric,
  type SlaTarget,
  slaPolicies,
} from '../../db/schema/index.ts'
import { inWorkspace, readInWorkspace } from '../../db/tenant.ts'
import type { Executor, Tx } from '../../db/transaction.ts'
import { paginate, readCursor } from '../../lib/cursor.ts'
import { type FieldError, invalid, Problem, problem } from '../../lib/problem.ts'
import { isUuid } from '../../lib/refs.ts'
import { resolveDepartment } from '../departments/service.ts'
import { diff, recordEvent } from '../events/service.ts'
import { resolvePriority } from '../priorities/service.ts'
import { bumpSlaVersion, rematchOpenTickets } from './timers.ts'

export type PolicyRow = typeof slaPolicies.$inferSelect
export const PolicyNotFound = problem('not_found', 'SLA policy %s not found')

export interface ConditionsInput {
  priorities?: string[]
  departments?: string[]
  channels?: string[]
  types?: string[]
  organizations?: string[]
  tagsAll?: string[]
  tagsAny?: string[]
}

export interface TargetInput {
  priority?: string | null
  metric: SlaMetric
  minutes: number
  businessHours?: boolean
  calendarId?: string | null
  warnBeforeMinutes?: number | null
  pauseOn?: string[]
}

export interface PolicyInput {
  name?: string
  description?: string | null
  enabled?: boolean
  position?: number
  conditions?: ConditionsInput
  targets?: TargetInput[]
}

export const defaultPauseOn = (metric: SlaMetric) => (metric === 'resolution' ? ['pending', 'on_hold'] : [])

export const toPolicy = ({ workspaceId: _ws, createdAt, updatedAt, ...row }: PolicyRow) => ({
  ...row,
  createdAt: createdAt.toISOString(),
  updatedAt: updatedAt.toISOString(),
})

async function findPolicy(q: Executor, workspaceId: string, id: string) {
  if (!isUuid(id)) throw PolicyNotFound(id)
  const [row] = await q
    .select()
    .from(slaPolicies)
    .where(and(eq(slaPolicies.workspaceId, workspaceId), eq(slaPolicies.id, id)))
  if (!row) throw PolicyNotFound(id)
  return row
}

/** Conditions with priorities and departments resolved to ids (given by id or slug), organizations checked. */
async function resolveConditions(
  tx: Tx,
  workspaceId: string,
  input: ConditionsInput,
): Promise<SlaConditions> {
  const conditions: SlaConditions = {}
  if (input.priorities) {
    conditions.priorities = []
    for (const [i, ref] of input.priorities.entries()) {
      conditions.priorities.push(
        (await resolvePriority(tx, workspaceId, ref, `/conditions/priorities/${i}`)).id,
      )
    }
  }
  if (input.departments) {
    conditions.departments = []
    for (const [i, ref] of input.departments.entries()) {
      conditions.departments.push(
        (await resolveDepartment(tx, workspaceId, ref, `/conditions/departments/${i}`)).id,
      )
    }
  }
  if (input.organizations) {
    const ids = input.organizations.map((id) => id.toLowerCase())
    const found = ids.some((id) => !isUuid(id))
      ? []
      : await tx
          .select({ id: organizations.id })
          .from(organizations)
          .where(and(eq(organizations.workspaceId, workspaceId), inArray(organizations.id, ids)))
    const missing = ids.findIndex((id) => !found.some((o) => o.id === id))
    if (missing >= 0)
      throw invalid(`/conditions/organizations/${missing}`, `names no organization of this workspace`)
    conditions.organizations = ids
  }
  if (input.channels) conditions.channels = input.channels
  if (input.types) conditions.types = input.types
  if (input.tagsAll) conditions.tagsAll = input.tagsAll.map((t) => t.trim().toLowerCase())
  if (input.tagsAny) conditions.tagsAny = input.tagsAny.map((t) => t.trim().toLowerCase())
  return conditions
}

async function resolveTargets(tx: Tx, workspaceId: string, input: TargetInput[]): Promise<SlaTarget[]> {
  const targets: SlaTarget[] = []
  const errors: FieldError[] = []
  const seen = new Set<string>()
  for (const [i, target] of input.entries()) {
    const priorityId =
      target.priority === undefined || target.priority === null
        ? null
        : (await resolvePriority(tx, workspaceId, target.priority, `/targets/${i}/priority`)).id
    const key = `${priorityId}:${target.metric}`
    if (seen.has(key))
      errors.push({ path: `/targets/${i}`, message: 'repeats the metric for the same priority' })
    seen.add(key)
    const businessHours = target.businessHours ?? true
    const calendarId = target.calendarId?.toLowerCase() ?? null
    if (calendarId !== null) {
      if (!businessHours)
        errors.push({ path: `/targets/${i}/calendarId`, message: 'needs businessHours: true' })
      const [calendar] = isUuid(calendarId)
        ? await tx
            .select({ id: businessCalendars.id })
            .from(businessCalendars)
            .where(and(eq(businessCalendars.workspaceId, workspaceId), eq(businessCalendars.id, calendarId)))
        : []
      if (!calendar)
        errors.push({ path: `/targets/${i}/calendarId`, message: 'names no calendar of this workspace' })
    }
    const warn = target.warnBeforeMinutes ?? null
    if (warn !== null && warn >= target.minutes) {
      errors.push({ path: `/targets/${i}/warnBeforeMinutes`, message: 'must be less than minutes' })
    }
    targets.push({
      priorityId,
      metric: target.metric,
      minutes: target.minutes,
      businessHours,
      calendarId,
      warnBeforeMinutes: warn,
      pauseOn: [...new Set(target.pauseOn ?? defaultPauseOn(target.metric))],
    })
  }
  if (errors.length > 0) {
    throw new Problem('validation', errors.map((e) => `${e.path.slice(1)} ${e.message}`).join('; '), {
      errors,
    })
  }
  return targets
}

/**
 * SLA policies, in order: the first enabled policy whose conditions a ticket meets applies to it. Every
 * change here re-matches the workspace's open tickets in the same transaction, so their timers follow
 * at once (time used stays used; the remaining time counts on the new target).
 */
export function createPoliciesService(db: Db) {
  async function lockAll(tx: Tx, workspaceId: string) {
    // One policy change at a time per workspace: positions stay 1…n and re-matches do not interleave.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`sla-policies:${workspaceId}`}))`)
    const [row] = await tx
      .select({ count: sql<number>`count(*)::int` })
      .from(slaPolicies)
      .where(eq(slaPolicies.workspaceId, workspaceId))
    return row?.count ?? 0
  }

  async function place(tx: Tx, workspaceId: string, id: string, from: number | null, to: number) {
    // Close the gap left at `from`, open one at `to`, then put the policy there.
    if (from !== null) {
      await tx.execute(sql`update ${slaPolicies} set position = position - 1
        where workspace_id = ${workspaceId} and position > ${from} and id <> ${id}`)
    }
    await tx.execute(sql`update ${slaPolicies} set position = position + 1
      where workspace_id = ${workspaceId} and position >= ${to} and id <> ${id}`)
    await tx
      .update(slaPolicies)
      .set({ position: to })
      .where(and(eq(slaPolicies.workspaceId, workspaceId), eq(slaPolicies.id, id)))
  }

  const listAll = (q: Executor, workspaceId: string) =>
    q
      .select()
      .from(slaPolicies)
      .where(eq(slaPolicies.workspaceId, workspaceId))
      .orderBy(asc(slaPolicies.position), asc(slaPolicies.createdAt))

  return {
    async list(actor: Actor, page: { limit: number; cursor?: string | undefined }) {
      const { workspaceId } = authorize(actor, 'sla:read')
      const after = page.cursor ? readCursor(page.cursor, ['int'])[0] : undefined
      const rows = await readInWorkspace(db, workspaceId, (q) =>
        q
          .select()
          .from(slaPolicies)
          .where(
            and(
              eq(slaPolicies.workspaceId, workspaceId),
              after !== undefined ? gt(slaPolicies.position, after) : undefined,
            ),
          )
          .orderBy(asc(slaPolicies.position))
          .limit(page.limit + 1),
      )
      const result = paginate(rows, page.limit, (row) => [row.position])
      return { data: result.data.map(toPolicy), nextCursor: result.nextCursor, cursors: result.cursors }
    },

    async get(actor: Actor, id: string) {
      const { workspaceId } = authorize(actor, 'sla:read')
      return toPolicy(await readInWorkspace(db, workspaceId, (q) => findPolicy(q, workspaceId, id)))
    },

    create(actor: Actor, input: PolicyInput & { name: string; targets: TargetInput[] }) {
      const { workspaceId } = authorize(actor, 'sla:write')
      return inWorkspace(db, workspaceId, async (tx) => {
        const count = await lockAll(tx, workspaceId)
        const conditions = await resolveConditions(tx, workspaceId, input.conditions ?? {})
        const targets = await resolveTargets(tx, workspaceId, input.targets)
        const position = Math.min(input.position ?? count + 1, count + 1)
        const [row] = await tx
          .insert(slaPolicies)
          .values({
            workspaceId,
            name: input.name,
            description: input.description ?? null,
            enabled: input.enabled ?? true,
            position: count + 1,
            conditions,
            targets,
          })
          .returning()
        if (!row) throw new Error('insert returned no row')
        if (position !== count + 1) await place(tx, workspaceId, row.id, count + 1, position)
        await recordEvent(tx, {
          workspaceId,
          type: 'sla_policy.created',
          subjectType: 'sla_policy',
          subjectId: row.id,
          actor,
          changes: diff({} as PolicyRow, { name: row.name, position, conditions, targets }),
        })
        await bumpSlaVersion(tx, workspaceId)
        await rematchOpenTickets(tx, workspaceId)
        return toPolicy(await findPolicy(tx, workspaceId, row.id))
      })
    },

    update(actor: Actor, id: string, input: PolicyInput) {
      const { workspaceId } = authorize(actor, 'sla:write')
      return inWorkspace(db, workspaceId, async (tx) => {
        const count = await lockAll(tx, workspaceId)
        const current = await findPolicy(tx, workspaceId, id)
        const next: Partial<PolicyRow> = {}
        if (input.name !== undefined) next.name = input.name
        if (input.description !== undefined) next.description = input.description
        if (input.enabled !== undefined) next.enabled = input.enabled
        if (input.conditions !== undefined)
          next.conditions = await resolveConditions(tx, workspaceId, input.conditions)
        if (input.targets !== undefined) next.targets = await resolveTargets(tx, workspaceId, input.targets)
        if (input.position !== undefined) next.position = Math.min(input.position, count)
        const changes = diff(current, next)
        if (Object.keys(changes).length === 0) return toPolicy(current)
        const { position, ...fields } = next
        await tx
          .update(slaPolicies)
          .set({ ...fields, version: current.version + 1, updatedAt: new Date() })
          .where(and(eq(slaPolicies.workspaceId, workspaceId), eq(slaPolicies.id, current.id)))
        if (position !== undefined && position !== current.position) {
          await place(tx, workspaceId, current.id, current.position, position)
        }
        await recordEvent(tx, {
          workspaceId,
          type: 'sla_policy.updated',
          subjectType: 'sla_policy',
          subjectId: current.id,
          actor,
          changes,
        })
        await bumpSlaVersion(tx, workspaceId)
        await rematchOpenTickets(tx, workspaceId)
        return toPolicy(await findPolicy(tx, workspaceId, current.id))
      })
    },

    /** Puts the policies in the order given; every policy of the workspace must be named once. */
    reorder(actor: Actor, ids: string[]) {
      const { workspaceId } = authorize(actor, 'sla:write')
      return inWorkspace(db, workspaceId, async (tx) => {
        await lockAll(tx, workspaceId)
        const all = await listAll(tx, workspaceId)
        const wanted = ids.map((id) => id.toLowerCase())
        const known = new Set(all.map((p) => p.id))
        if (
          new Set(wanted).size !== wanted.length ||
          wanted.length !== all.length ||
          wanted.some((id) => !known.has(id))
        ) {
          throw invalid('/ids', `must name each of the workspace's ${all.length} SLA policies exactly once`)
        }
        for (const [index, id] of wanted.entries()) {
          const before = all.find((p) => p.id === id)
          if (before?.position === index + 1) continue
          await tx
            .update(slaPolicies)
            .set({ position: index + 1, updatedAt: new Date() })
            .where(and(eq(slaPolicies.workspaceId, workspaceId), eq(slaPolicies.id, id)))
          await recordEvent(tx, {
            workspaceId,
            type: 'sla_policy.updated',
            subjectType: 'sla_policy',
            subjectId: id,
            actor,
            changes: { position: [before?.position ?? null, index + 1] },
          })
        }
        await bumpSlaVersion(tx, workspaceId)
        await rematchOpenTickets(tx, workspaceId)
        const rows = await listAll(tx, workspaceId)
        return { data: rows.map(toPolicy), nextCursor: null }
      })
    },

    remove(actor: Actor, id: string) {
      const { workspaceId } = authorize(actor, 'sla:write')
      return inWorkspace(db, workspaceId, async (tx) => {
        await lockAll(tx, workspaceId)
        const current = await findPolicy(tx, workspaceId, id)
        await tx
          .delete(slaPolicies)
          .where(and(eq(slaPolicies.workspaceId, workspaceId), eq(slaPolicies.id, current.id)))
        await tx.execute(sql`update ${slaPolicies} set position = position - 1
          where workspace_id = ${workspaceId} and position > ${current.position}`)
        await recordEvent(tx, {
          workspaceId,
          type: 'sla_policy.deleted',
          subjectType: 'sla_policy',
          subjectId: current.id,
          actor,
          data: { name: current.name },
        })
        await bumpSlaVersion(tx, workspaceId)
        await rematchOpenTickets(tx, workspaceId)
      })
    },
  }
}
