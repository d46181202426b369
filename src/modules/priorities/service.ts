import { and, eq, inArray, or } from 'drizzle-orm'
import type { Actor } from '../../auth/actor.ts'
import { authorizeScoped } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { priorities } from '../../db/schema/index.ts'
import { currentExecutor, type Executor, type Tx } from '../../db/transaction.ts'
import { invalid } from '../../lib/problem.ts'
import { isUuid } from '../../lib/refs.ts'

export type PriorityRow = typeof priorities.$inferSelect

export const defaultPriorities = [
  { slug: 'urgent', name: 'Urgent', rank: 1, color: '#d93025', isDefault: false },
  { slug: 'high', name: 'High', rank: 2, color: '#f29900', isDefault: false },
  { slug: 'normal', name: 'Normal', rank: 3, color: '#1a73e8', isDefault: true },
  { slug: 'low', name: 'Low', rank: 4, color: '#5f6368', isDefault: false },
]

export async function seedPriorities(tx: Tx, workspaceId: string): Promise<void> {
  await tx.insert(priorities).values(defaultPriorities.map((p) => ({ ...p, workspaceId })))
}

/** Finds a priority by id or slug, or answers 400 naming it. (Defaults for new tickets: `insertTickets`.) */
export async function resolvePriority(q: Executor, workspaceId: string, ref: string) {
  const match = isUuid(ref) ? or(eq(priorities.id, ref), eq(priorities.slug, ref)) : eq(priorities.slug, ref)
  const [row] = await q
    .select()
    .from(priorities)
    .where(and(eq(priorities.workspaceId, workspaceId), match))
    .limit(1)
  if (!row) throw invalid('/priority', `names no priority of this workspace: ${ref}`)
  return row
}

export function createPrioritiesService(db: Db) {
  return {
    /** Batch read for GraphQL loaders: one query for many tickets. */
    async byIds(actor: Actor, ids: readonly string[]): Promise<PriorityRow[]> {
      // A contact's tickets name these too, so whoever reads tickets reads them.
      const { workspaceId } = authorizeScoped(actor, 'tickets:read')
      if (ids.length === 0) return []
      return currentExecutor(db)
        .select()
        .from(priorities)
        .where(and(eq(priorities.workspaceId, workspaceId), inArray(priorities.id, [...new Set(ids)])))
    },
  }
}
