import { and, asc, eq, inArray, or, sql } from 'drizzle-orm'
import type { Actor } from '../../auth/actor.ts'
import { authorize, authorizeScoped } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { violatedConstraint } from '../../db/errors.ts'
import { departments, priorities } from '../../db/schema/index.ts'
import { readInWorkspace, writeInWorkspace } from '../../db/tenant.ts'
import type { Executor, Tx } from '../../db/transaction.ts'
import { paginate, readCursor } from '../../lib/cursor.ts'
import { invalid, Problem, problem } from '../../lib/problem.ts'
import { isUuid } from '../../lib/refs.ts'
import { diff, recordEvent } from '../events/service.ts'
import { releaseTickets } from '../tickets/move.ts'

export type PriorityRow = typeof priorities.$inferSelect
export const PriorityNotFound = problem('not_found', 'Priority %s not found')

export interface PriorityInput {
  name?: string
  slug?: string
  rank?: number
  color?: string | null
  isDefault?: boolean
}

export const defaultPriorities = [
  { slug: 'urgent', name: 'Urgent', rank: 1, color: '#d93025', isDefault: false },
  { slug: 'high', name: 'High', rank: 2, color: '#f29900', isDefault: false },
  { slug: 'normal', name: 'Normal', rank: 3, color: '#1a73e8', isDefault: true },
  { slug: 'low', name: 'Low', rank: 4, color: '#5f6368', isDefault: false },
]

export async function seedPriorities(tx: Tx, workspaceId: string): Promise<void> {
  await tx.insert(priorities).values(defaultPriorities.map((p) => ({ ...p, workspaceId })))
}

const match = (ref: string) =>
  isUuid(ref) ? or(eq(priorities.id, ref), eq(priorities.slug, ref)) : eq(priorities.slug, ref)

/** Finds a priority by id or slug, or answers 400 naming it. (Defaults for new tickets: `insertTickets`.) */
export async function resolvePriority(q: Executor, workspaceId: string, ref: string, path = '/priority') {
  const [row] = await q
    .select()
    .from(priorities)
    .where(and(eq(priorities.workspaceId, workspaceId), match(ref)))
    .limit(1)
  if (!row) throw invalid(path, `names no priority of this workspace: ${ref}`)
  return row
}

export const toPriority = ({ workspaceId: _ws, createdAt, updatedAt, ...row }: PriorityRow) => ({
  ...row,
  createdAt: createdAt.toISOString(),
  updatedAt: updatedAt.toISOString(),
})

function conflict(error: unknown) {
  const constraint = violatedConstraint(error)
  if (constraint === 'priorities_slug_key') {
    return new Problem('conflict', 'Another priority of this workspace has this slug.', {
      errors: [{ path: '/slug', message: 'belongs to another priority' }],
    })
  }
  if (constraint === 'priorities_rank_key') {
    return new Problem('conflict', 'Another priority of this workspace has this rank.', {
      errors: [{ path: '/rank', message: 'belongs to another priority' }],
    })
  }
  return null
}

export function createPrioritiesService(db: Db) {
  const write = <T>(workspaceId: string, fn: (tx: Tx) => Promise<T>) =>
    writeInWorkspace(db, workspaceId, fn, conflict)

  async function find(q: Executor, workspaceId: string, ref: string) {
    const [row] = await q
      .select()
      .from(priorities)
      .where(and(eq(priorities.workspaceId, workspaceId), match(ref)))
      .limit(1)
    if (!row) throw PriorityNotFound(ref)
    return row
  }

  /** Exactly one priority is the default: naming a new one unsets the old in the same transaction. */
  async function takeDefault(tx: Tx, actor: Actor, workspaceId: string) {
    const previous = await tx
      .update(priorities)
      .set({ isDefault: false, updatedAt: new Date() })
      .where(and(eq(priorities.workspaceId, workspaceId), eq(priorities.isDefault, true)))
      .returning({ id: priorities.id })
    for (const { id } of previous) {
      await recordEvent(tx, {
        workspaceId,
        type: 'priority.updated',
        subjectType: 'priority',
        subjectId: id,
        actor,
        changes: { isDefault: [true, false] },
      })
    }
  }

  return {
    /** Most urgent first. Contacts read them too: they name the priority of their own tickets. */
    async list(actor: Actor, page: { limit: number; cursor?: string | undefined }) {
      const { workspaceId } = authorizeScoped(actor, 'catalog:read')
      const after = page.cursor ? readCursor(page.cursor, ['int'])[0] : undefined
      const rows = await readInWorkspace(db, workspaceId, (q) =>
        q
          .select()
          .from(priorities)
          .where(
            and(
              eq(priorities.workspaceId, workspaceId),
              after !== undefined ? sql`${priorities.rank} > ${after}` : undefined,
            ),
          )
          .orderBy(asc(priorities.rank))
          .limit(page.limit + 1),
      )
      const result = paginate(rows, page.limit, (row) => [row.rank])
      return { data: result.data.map(toPriority), nextCursor: result.nextCursor, cursors: result.cursors }
    },

    async get(actor: Actor, ref: string) {
      const { workspaceId } = authorizeScoped(actor, 'catalog:read')
      return toPriority(await readInWorkspace(db, workspaceId, (q) => find(q, workspaceId, ref)))
    },

    create(actor: Actor, input: PriorityInput & { name: string; slug: string; rank: number }) {
      const { workspaceId } = authorize(actor, 'catalog:write')
      return write(workspaceId, async (tx) => {
        if (input.isDefault) await takeDefault(tx, actor, workspaceId)
        const [row] = await tx
          .insert(priorities)
          .values({ ...input, workspaceId })
          .returning()
        if (!row) throw new Error('insert returned no row')
        await recordEvent(tx, {
          workspaceId,
          type: 'priority.created',
          subjectType: 'priority',
          subjectId: row.id,
          actor,
          changes: diff({} as PriorityRow, {
            name: row.name,
            slug: row.slug,
            rank: row.rank,
            isDefault: row.isDefault,
          }),
        })
        return toPriority(row)
      })
    },

    update(actor: Actor, ref: string, input: PriorityInput) {
      const { workspaceId } = authorize(actor, 'catalog:write')
      return write(workspaceId, async (tx) => {
        const current = await find(tx, workspaceId, ref)
        if (input.isDefault === false && current.isDefault) {
          throw invalid('/isDefault', 'cannot be unset: make another priority the default instead')
        }
        const changes = diff(current, input)
        if (Object.keys(changes).length === 0) return toPriority(current)
        if (input.isDefault && !current.isDefault) await takeDefault(tx, actor, workspaceId)
        const [row] = await tx
          .update(priorities)
          .set({ ...input, updatedAt: new Date() })
          .where(and(eq(priorities.workspaceId, workspaceId), eq(priorities.id, current.id)))
          .returning()
        if (!row) throw PriorityNotFound(ref)
        await recordEvent(tx, {
          workspaceId,
          type: 'priority.updated',
          subjectType: 'priority',
          subjectId: row.id,
          actor,
          changes,
        })
        return toPriority(row)
      })
    },

    /**
     * Deletes a priority. Its tickets move to `moveTo`; without one, a priority that still has unsolved
     * tickets answers 409. The default priority stays until another is made the default.
     */
    remove(actor: Actor, ref: string, moveTo: string | undefined) {
      const { workspaceId } = authorize(actor, 'catalog:write')
      return write(workspaceId, async (tx) => {
        const current = await find(tx, workspaceId, ref)
        await tx
          .select({ id: priorities.id })
          .from(priorities)
          .where(and(eq(priorities.workspaceId, workspaceId), eq(priorities.id, current.id)))
          .for('update')
        if (current.isDefault) {
          throw new Problem(
            'conflict',
            'The default priority cannot be deleted; make another the default first.',
          )
        }
        const target = moveTo ? await resolvePriority(tx, workspaceId, moveTo, '/moveTo') : null
        if (target?.id === current.id) throw invalid('/moveTo', 'must be another priority')
        await releaseTickets(
          tx,
          actor,
          workspaceId,
          'priorityId',
          { id: current.id, label: `Priority "${current.slug}"` },
          target?.id ?? null,
        )
        const released = await tx
          .update(departments)
          .set({ defaultPriorityId: null, updatedAt: new Date() })
          .where(and(eq(departments.workspaceId, workspaceId), eq(departments.defaultPriorityId, current.id)))
          .returning({ id: departments.id })
        for (const { id } of released) {
          await recordEvent(tx, {
            workspaceId,
            type: 'department.updated',
            subjectType: 'department',
            subjectId: id,
            actor,
            changes: { defaultPriorityId: [current.id, null] },
          })
        }
        await tx
          .delete(priorities)
          .where(and(eq(priorities.workspaceId, workspaceId), eq(priorities.id, current.id)))
        await recordEvent(tx, {
          workspaceId,
          type: 'priority.deleted',
          subjectType: 'priority',
          subjectId: current.id,
          actor,
          data: { slug: current.slug, movedTo: target?.id ?? null },
        })
      })
    },

    /** Batch read for GraphQL loaders: one query for many tickets. */
    async byIds(actor: Actor, ids: readonly string[]): Promise<PriorityRow[]> {
      const { workspaceId } = authorizeScoped(actor, 'tickets:read')
      if (ids.length === 0) return []
      return readInWorkspace(db, workspaceId, (q) =>
        q
          .select()
          .from(priorities)
          .where(and(eq(priorities.workspaceId, workspaceId), inArray(priorities.id, [...new Set(ids)]))),
      )
    },
  }
}
export type PrioritiesService = ReturnType<typeof createPrioritiesService>
