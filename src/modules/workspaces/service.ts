import { and, asc, eq, gt } from 'drizzle-orm'
import type { Actor } from '../../auth/actor.ts'
import { authorize } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { ticketCounters, workspaces } from '../../db/schema/index.ts'
import { currentExecutor, inTransaction } from '../../db/transaction.ts'
import { decodeCursor, paginate } from '../../lib/cursor.ts'
import { jsonDates } from '../../lib/json-dates.ts'
import { Problem } from '../../lib/problem.ts'
import { addMember, toAgent } from '../agents/service.ts'
import { issueApiKey } from '../api-keys/service.ts'
import { createContactTokenSecret } from '../auth/contact-tokens.ts'
import type { Passwords } from '../auth/passwords.ts'
import { seedDepartments } from '../departments/service.ts'
import { recordEvent } from '../events/service.ts'
import { seedPriorities } from '../priorities/service.ts'

const toWorkspace = ({ settings: _settings, ...row }: typeof workspaces.$inferSelect) => jsonDates(row)

export interface CreateWorkspaceInput {
  slug: string
  name: string
  owner?: { email: string; name: string; password?: string | undefined } | undefined
}

export function createWorkspacesService(db: Db, passwords: Passwords) {
  return {
    /**
     * Provisions a workspace with default priorities, a `general` department, an owner API key, a
     * contact-token secret and, when named, its owner agent.
     */
    create(actor: Actor, input: CreateWorkspaceInput) {
      authorize(actor, 'platform:workspaces')
      return inTransaction(db, async (tx) => {
        const { owner, ...fields } = input
        const [workspace] = await tx.insert(workspaces).values(fields).onConflictDoNothing().returning()
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
        const contactTokenSecret = await createContactTokenSecret(tx, workspace.id)
        const ownerAgent = owner
          ? toAgent(await addMember(tx, actor, workspace.id, passwords, { ...owner, role: 'owner' }))
          : null
        return { workspace: toWorkspace(workspace), apiKey, contactTokenSecret, owner: ownerAgent }
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

    /** The caller's own workspace. */
    async current(actor: Actor) {
      const { workspaceId } = authorize(actor, 'workspace:read')
      const [row] = await currentExecutor(db).select().from(workspaces).where(eq(workspaces.id, workspaceId))
      if (!row) throw new Problem('not_found', 'This workspace no longer exists.')
      return toWorkspace(row)
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
