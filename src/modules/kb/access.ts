import { sql } from 'drizzle-orm'
import type { Actor } from '../../auth/actor.ts'
import { authorizeScoped } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { type ArticleVisibility, workspaces } from '../../db/schema/index.ts'
import { currentExecutor } from '../../db/transaction.ts'
import { problem } from '../../lib/problem.ts'
import type { WorkspaceSettings } from '../workspaces/service.ts'

/**
 * Who reads the knowledge base, and so what they may see:
 * - `staff` (API keys, agents): everything, drafts and archived articles included;
 * - `contact` (a signed-in customer): published `public` and `contacts` articles, not archived;
 * - `public` (anyone, through `/v1/public/{workspaceSlug}/kb`): published `public` articles only.
 */
export interface Reader {
  workspaceId: string
  audience: 'staff' | 'contact' | 'public'
  actor: Actor
  /** The workspace's default locale: what a reader falls back to. */
  defaultLocale: string
}

export const visibilitiesFor = (audience: Reader['audience']): ArticleVisibility[] =>
  audience === 'staff'
    ? ['public', 'contacts', 'internal']
    : audience === 'contact'
      ? ['public', 'contacts']
      : ['public']

export const WorkspaceNotFound = problem('not_found', 'Workspace %s not found')

const CACHE_MS = 60_000

/** Reader lookups: the workspace's default locale (its cached settings), and workspaces by slug. */
export function createReaders(db: Db, settings: (workspaceId: string) => Promise<WorkspaceSettings>) {
  // A slug names one workspace for good (slugs do not change), so only the id is held.
  const bySlug = new Map<string, { id: string; until: number }>()
  const defaultLocaleOf = async (workspaceId: string) => (await settings(workspaceId)).defaultLocale

  return {
    /** An authenticated caller as a reader (`kb:read`): staff, or a contact. */
    async of(actor: Actor): Promise<Reader> {
      const grant = authorizeScoped(actor, 'kb:read')
      return {
        workspaceId: grant.workspaceId,
        audience: grant.customer ? 'contact' : 'staff',
        actor,
        defaultLocale: await defaultLocaleOf(grant.workspaceId),
      }
    },

    /** An anonymous caller of a workspace's public knowledge base; 404 for a slug that names none. */
    async public(workspaceSlug: string, actor: Actor): Promise<Reader> {
      const key = workspaceSlug.toLowerCase()
      let held = bySlug.get(key)
      if (!held || held.until <= Date.now()) {
        const [row] = await currentExecutor(db)
          .select({ id: workspaces.id })
          .from(workspaces)
          .where(sql`${workspaces.slug} = ${key}`)
        if (!row) throw WorkspaceNotFound(workspaceSlug)
        if (bySlug.size > 10_000) bySlug.clear()
        held = { id: row.id, until: Date.now() + CACHE_MS }
        bySlug.set(key, held)
      }
      return {
        workspaceId: held.id,
        audience: 'public',
        actor,
        defaultLocale: await defaultLocaleOf(held.id),
      }
    },
  }
}
export type Readers = ReturnType<typeof createReaders>
