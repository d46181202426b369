import { and, asc, eq, gt } from 'drizzle-orm'
import type { Actor } from '../../auth/actor.ts'
import { authorize } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { ticketCounters, workspaces } from '../../db/schema/index.ts'
import { currentExecutor, inTransaction } from '../../db/transaction.ts'
import { decodeCursor, paginate } from '../../lib/cursor.ts'
import { jsonDates } from '../../lib/json-dates.ts'
import { Problem } from '../../lib/problem.ts'
import { issueApiKey } from '../api-keys/service.ts'
import { seedDepartments } from '../departments/service.ts'
import { recordEvent } from '../events/service.ts'
import { seedPriorities } from '../priorities/service.ts'

const toWorkspace = ({ settings: _settings, ...row }: typeof workspaces.$inferSelect) => jsonDates(row)

export function createWorkspacesService(db: Db) {
  return {
    /** Provisions a workspace with default priorities, a `general` department and an owner API key. */
    create(actor: Actor, input: { slug: string; name: string }) {
      authorize(actor, 'platform:workspaces')
      return inTransaction(db, async (tx) => {
        const [workspace] = await tx.insert(workspaces).values(input).onConflictDoNothing().returning()
        if (!workspace) throw new Problem('conflict', `A workspace with slug "${input.slug}" already exists.`)
        await tx.insert(ticketCounters).values({ workspaceId: workspace.id, lastNumber: 0 })
        await seedPriorities(tx, workspace.id)
        await seedDepartments(tx, workspace.id)
        await recordEvent(tx, {
          workspaceId: workspace.id,
          type: 'workspace.created',
          subjectType: 'workspace',
          subjectId: workspace.id,
          actor,
          data: { slug: workspace.slug, name: workspace.name },
        })
        const apiKey = await issueApiKey(tx, actor, workspace.id, 'Owner key', ['admin'])
        return { workspace: toWorkspace(workspace), apiKey }
      })
    },

    async list(actor: Actor, page: { limit: number; cursor?: string }) {
      authorize(actor, 'platform:workspaces')
      const after = page.cursor ? String(decodeCursor(page.cursor, 1)[0]) : undefined
      const rows = await currentExecutor(db)
        .select()
        .from(workspaces)
        .where(after ? gt(workspaces.slug, after) : undefined)
        .orderBy(asc(workspaces.slug))
        .limit(page.limit + 1)
      const result = paginate(rows, page.limit, (row) => [row.slug])
      return { ...result, data: result.data.map(toWorkspace) }
    },

    async bySlug(slug: string) {
      const [row] = await currentExecutor(db)
        .select()
        .from(workspaces)
        .where(and(eq(workspaces.slug, slug)))
      return row ?? null
    },
  }
}
