import { and, eq, inArray, or } from 'drizzle-orm'
import type { Actor } from '../../auth/actor.ts'
import { authorizeScoped } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { departments } from '../../db/schema/index.ts'
import { currentExecutor, type Executor, type Tx } from '../../db/transaction.ts'
import { invalid } from '../../lib/problem.ts'
import { isUuid } from '../../lib/refs.ts'

export type DepartmentRow = typeof departments.$inferSelect

export async function seedDepartments(tx: Tx, workspaceId: string): Promise<void> {
  await tx
    .insert(departments)
    .values({ workspaceId, slug: 'general', name: 'General', public: true, position: 0 })
}

/** Finds a department by id or slug, or answers 400 naming it. (Defaults for new tickets: `insertTickets`.) */
export async function resolveDepartment(q: Executor, workspaceId: string, ref: string) {
  const match = isUuid(ref)
    ? or(eq(departments.id, ref), eq(departments.slug, ref))
    : eq(departments.slug, ref)
  const [row] = await q
    .select()
    .from(departments)
    .where(and(eq(departments.workspaceId, workspaceId), match))
    .limit(1)
  if (!row) throw invalid('/department', `names no department of this workspace: ${ref}`)
  return row
}

export function createDepartmentsService(db: Db) {
  return {
    /** Batch read for GraphQL loaders: one query for many tickets. */
    async byIds(actor: Actor, ids: readonly string[]): Promise<DepartmentRow[]> {
      // A contact's tickets name these too, so whoever reads tickets reads them.
      const { workspaceId } = authorizeScoped(actor, 'tickets:read')
      if (ids.length === 0) return []
      return currentExecutor(db)
        .select()
        .from(departments)
        .where(and(eq(departments.workspaceId, workspaceId), inArray(departments.id, [...new Set(ids)])))
    },
  }
}
