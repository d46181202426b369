import { and, asc, eq, inArray, notInArray, or, sql } from 'drizzle-orm'
import type { Actor } from '../../auth/actor.ts'
import { authorize, authorizeScoped } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { violatedConstraint } from '../../db/errors.ts'
import { departmentMembers, departments, memberships, tickets } from '../../db/schema/index.ts'
import { readInWorkspace, writeInWorkspace } from '../../db/tenant.ts'
import type { Executor, Tx } from '../../db/transaction.ts'
import { paginate, readCursor } from '../../lib/cursor.ts'
import { invalid, Problem, problem } from '../../lib/problem.ts'
import { isUuid } from '../../lib/refs.ts'
import { diff, recordEvent } from '../events/service.ts'
import { resolvePriority } from '../priorities/service.ts'
import { findCalendar } from '../sla/calendars-service.ts'
import { bumpSlaVersion, rematchOpenTickets } from '../sla/timers.ts'
import { releaseTickets } from '../tickets/move.ts'

export type DepartmentRow = typeof departments.$inferSelect
export const DepartmentNotFound = problem('not_found', 'Department %s not found')

export interface DepartmentInput {
  name?: string
  slug?: string
  description?: string | null
  email?: string | null
  public?: boolean
  defaultPriority?: string | null
  /** The business-hours calendar its tickets' SLA counts on (null: the workspace default). */
  calendarId?: string | null
  position?: number
  memberIds?: string[]
}

export async function seedDepartments(tx: Tx, workspaceId: string): Promise<void> {
  await tx
    .insert(departments)
    .values({ workspaceId, slug: 'general', name: 'General', public: true, position: 0 })
}

const match = (ref: string) =>
  isUuid(ref) ? or(eq(departments.id, ref), eq(departments.slug, ref)) : eq(departments.slug, ref)

/** Finds a department by id or slug, or answers 400 naming it. (Defaults for new tickets: `insertTickets`.) */
export async function resolveDepartment(q: Executor, workspaceId: string, ref: string, path = '/department') {
  const [row] = await q
    .select()
    .from(departments)
    .where(and(eq(departments.workspaceId, workspaceId), match(ref)))
    .limit(1)
  if (!row) throw invalid(path, `names no department of this workspace: ${ref}`)
  return row
}

const memberIdsOf = sql<
  string[]
>`coalesce((select array_agg(m.user_id order by m.user_id) from ${departmentMembers} m
  where m.workspace_id = ${departments.workspaceId} and m.department_id = ${departments.id}), '{}')`

/** A department as the API shows it; a customer is not told who works in it. */
function toDepartment(row: DepartmentRow & { memberIds: string[] }, forCustomer: boolean) {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    description: row.description,
    email: row.email,
    public: row.public,
    defaultPriorityId: row.defaultPriorityId,
    calendarId: forCustomer ? null : row.calendarId,
    position: row.position,
    memberIds: forCustomer ? [] : row.memberIds,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}

function conflict(error: unknown) {
  if (violatedConstraint(error) === 'departments_slug_key') {
    return new Problem('conflict', 'Another department of this workspace has this slug.', {
      errors: [{ path: '/slug', message: 'belongs to another department' }],
    })
  }
  return null
}

export function createDepartmentsService(db: Db) {
  const write = <T>(workspaceId: string, fn: (tx: Tx) => Promise<T>) =>
    writeInWorkspace(db, workspaceId, fn, conflict)

  async function find(q: Executor, workspaceId: string, ref: string, publicOnly: boolean) {
    const [row] = await q
      .select({ department: departments, memberIds: memberIdsOf })
      .from(departments)
      .where(
        and(
          eq(departments.workspaceId, workspaceId),
          match(ref),
          publicOnly ? eq(departments.public, true) : undefined,
        ),
      )
      .limit(1)
    if (!row) throw DepartmentNotFound(ref)
    return { ...row.department, memberIds: row.memberIds }
  }

  async function setMembers(tx: Tx, workspaceId: string, departmentId: string, memberIds: string[]) {
    const ids = [...new Set(memberIds.map((id) => id.toLowerCase()))]
    if (ids.length > 0) {
      const agents = await tx
        .select({ id: memberships.userId })
        .from(memberships)
        .where(and(eq(memberships.workspaceId, workspaceId), inArray(memberships.userId, ids)))
      const missing = ids.filter((id) => !agents.some((a) => a.id === id))
      if (missing.length > 0)
        throw invalid('/memberIds', `names no agent of this workspace: ${missing.join(', ')}`)
    }
    await tx
      .delete(departmentMembers)
      .where(
        and(
          eq(departmentMembers.workspaceId, workspaceId),
          eq(departmentMembers.departmentId, departmentId),
          ids.length > 0 ? notInArray(departmentMembers.userId, ids) : undefined,
        ),
      )
    if (ids.length > 0) {
      await tx
        .insert(departmentMembers)
        .values(ids.map((userId) => ({ workspaceId, departmentId, userId })))
        .onConflictDoNothing()
    }
  }

  async function values(tx: Tx, workspaceId: string, input: DepartmentInput) {
    const { defaultPriority, memberIds: _members, calendarId, ...fields } = input
    const next: Partial<DepartmentRow> = { ...fields }
    if (calendarId !== undefined) {
      next.calendarId =
        calendarId === null
          ? null
          : await findCalendar(tx, workspaceId, calendarId).then(
              (c) => c.id,
              () => {
                throw invalid(
                  '/calendarId',
                  `names no business-hours calendar of this workspace: ${calendarId}`,
                )
              },
            )
    }
    if (defaultPriority !== undefined) {
      next.defaultPriorityId =
        defaultPriority === null
          ? null
          : (await resolvePriority(tx, workspaceId, defaultPriority, '/defaultPriority')).id
    }
    return next
  }

  return {
    async list(actor: Actor, page: { limit: number; cursor?: string | undefined }) {
      const { workspaceId, customer } = authorizeScoped(actor, 'catalog:read')
      const after = page.cursor ? readCursor(page.cursor, ['int', 'uuid']) : undefined
      const rows = await readInWorkspace(db, workspaceId, (q) =>
        q
          .select({ department: departments, memberIds: memberIdsOf })
          .from(departments)
          .where(
            and(
              eq(departments.workspaceId, workspaceId),
              customer ? eq(departments.public, true) : undefined,
              after
                ? sql`(${departments.position}, ${departments.id}) > (${after[0]}, ${after[1]})`
                : undefined,
            ),
          )
          .orderBy(asc(departments.position), asc(departments.id))
          .limit(page.limit + 1),
      )
      const result = paginate(rows, page.limit, (r) => [r.department.position, r.department.id])
      return {
        data: result.data.map((r) =>
          toDepartment({ ...r.department, memberIds: r.memberIds }, customer !== null),
        ),
        nextCursor: result.nextCursor,
        cursors: result.cursors,
      }
    },

    /** By id or slug; a customer finds public departments only. */
    async get(actor: Actor, ref: string) {
      const { workspaceId, customer } = authorizeScoped(actor, 'catalog:read')
      return toDepartment(
        await readInWorkspace(db, workspaceId, (q) => find(q, workspaceId, ref, customer !== null)),
        customer !== null,
      )
    },

    create(actor: Actor, input: DepartmentInput & { name: string; slug: string }) {
      const { workspaceId } = authorize(actor, 'catalog:write')
      return write(workspaceId, async (tx) => {
        const [row] = await tx
          .insert(departments)
          .values({
            ...(await values(tx, workspaceId, input)),
            name: input.name,
            slug: input.slug,
            workspaceId,
          })
          .returning()
        if (!row) throw new Error('insert returned no row')
        if (input.memberIds) await setMembers(tx, workspaceId, row.id, input.memberIds)
        if (row.calendarId) await bumpSlaVersion(tx, workspaceId)
        await recordEvent(tx, {
          workspaceId,
          type: 'department.created',
          subjectType: 'department',
          subjectId: row.id,
          actor,
          changes: diff({} as DepartmentRow, { name: row.name, slug: row.slug, public: row.public }),
        })
        return toDepartment(await find(tx, workspaceId, row.id, false), false)
      })
    },

    update(actor: Actor, ref: string, input: DepartmentInput) {
      const { workspaceId } = authorize(actor, 'catalog:write')
      return write(workspaceId, async (tx) => {
        const current = await find(tx, workspaceId, ref, false)
        const next = await values(tx, workspaceId, input)
        const changes = diff(current, next)
        if (input.memberIds !== undefined) {
          const members = [...new Set(input.memberIds.map((id) => id.toLowerCase()))].sort()
          if (members.join() !== current.memberIds.join()) {
            await setMembers(tx, workspaceId, current.id, members)
            changes.memberIds = [current.memberIds, members]
          }
        }
        if (Object.keys(changes).length === 0) return toDepartment(current, false)
        await tx
          .update(departments)
          .set({ ...next, updatedAt: new Date() })
          .where(and(eq(departments.workspaceId, workspaceId), eq(departments.id, current.id)))
        await recordEvent(tx, {
          workspaceId,
          type: 'department.updated',
          subjectType: 'department',
          subjectId: current.id,
          actor,
          changes,
        })
        // Its open tickets' clocks now count on the department's new calendar.
        if ('calendarId' in changes) {
          await bumpSlaVersion(tx, workspaceId)
          await rematchOpenTickets(tx, workspaceId, eq(tickets.departmentId, current.id))
        }
        return toDepartment(await find(tx, workspaceId, current.id, false), false)
      })
    },

    /**
     * Deletes a department. Its tickets move to `moveTo`; without one, a department that still has
     * unsolved tickets answers 409, and solved or closed ones are left without a department.
     */
    remove(actor: Actor, ref: string, moveTo: string | undefined) {
      const { workspaceId } = authorize(actor, 'catalog:write')
      return write(workspaceId, async (tx) => {
        const current = await find(tx, workspaceId, ref, false)
        // Holds off new tickets for this department while it goes.
        await tx
          .select({ id: departments.id })
          .from(departments)
          .where(and(eq(departments.workspaceId, workspaceId), eq(departments.id, current.id)))
          .for('update')
        const target = moveTo ? await resolveDepartment(tx, workspaceId, moveTo, '/moveTo') : null
        if (target?.id === current.id) throw invalid('/moveTo', 'must be another department')
        await releaseTickets(
          tx,
          actor,
          workspaceId,
          'departmentId',
          { id: current.id, label: `Department "${current.slug}"` },
          target?.id ?? null,
        )
        await tx
          .delete(departments)
          .where(and(eq(departments.workspaceId, workspaceId), eq(departments.id, current.id)))
        await recordEvent(tx, {
          workspaceId,
          type: 'department.deleted',
          subjectType: 'department',
          subjectId: current.id,
          actor,
          data: { slug: current.slug, movedTo: target?.id ?? null },
        })
      })
    },

    /** Batch read for GraphQL loaders: one query for many tickets (a contact's tickets name these too). */
    async byIds(actor: Actor, ids: readonly string[]) {
      const { workspaceId, customer } = authorizeScoped(actor, 'tickets:read')
      if (ids.length === 0) return []
      const rows = await readInWorkspace(db, workspaceId, (q) =>
        q
          .select({ department: departments, memberIds: memberIdsOf })
          .from(departments)
          .where(and(eq(departments.workspaceId, workspaceId), inArray(departments.id, [...new Set(ids)]))),
      )
      return rows.map((r) => toDepartment({ ...r.department, memberIds: r.memberIds }, customer !== null))
    },
  }
}
export type DepartmentsService = ReturnType<typeof createDepartmentsService>
