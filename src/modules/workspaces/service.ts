import { asc, eq, gt, sql } from 'drizzle-orm'
import type { Actor } from '../../auth/actor.ts'
import { authorize } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { rowsOf } from '../../db/raw.ts'
import { ticketCounters, workspaces } from '../../db/schema/index.ts'
import { inWorkspace, readInWorkspace } from '../../db/tenant.ts'
import { currentExecutor, inTransaction } from '../../db/transaction.ts'
import { paginate, readCursor } from '../../lib/cursor.ts'
import { jsonDates } from '../../lib/json-dates.ts'
import { invalid, Problem } from '../../lib/problem.ts'
import { addMember, toAgent } from '../agents/service.ts'
import { issueApiKey } from '../api-keys/service.ts'
import { createContactTokenSecret } from '../auth/contact-tokens.ts'
import type { Passwords } from '../auth/passwords.ts'
import { seedDepartments } from '../departments/service.ts'
import { diff, recordEvent } from '../events/service.ts'
import { canonicalLocale } from '../kb/locales.ts'
import { seedPriorities } from '../priorities/service.ts'
import { seedSla } from '../sla/defaults.ts'

/** What a workspace decides for itself: the browser origins it serves and its request rates. */
export interface WorkspaceSettings {
  allowedOrigins: string[]
  /** Requests per minute per credential; unset kinds use the service's defaults. */
  rateLimits: { apiKey?: number; agent?: number; contact?: number }
  /** The locale readers fall back to when an article has no text in theirs (BCP 47). */
  defaultLocale: string
}

type WorkspaceRow = typeof workspaces.$inferSelect

export function settingsOf(row: Pick<WorkspaceRow, 'settings'>): WorkspaceSettings {
  const stored = row.settings as Partial<WorkspaceSettings>
  return {
    allowedOrigins: stored.allowedOrigins ?? [],
    rateLimits: stored.rateLimits ?? {},
    defaultLocale: stored.defaultLocale ?? 'en',
  }
}

const toWorkspace = ({ settings, ...row }: WorkspaceRow) => ({
  ...jsonDates(row),
  ...settingsOf({ settings }),
})

/** An origin as browsers send it: scheme, host and port, lower case, no path or trailing slash. */
export function normalizeOrigin(origin: string) {
  try {
    return new URL(origin).origin.toLowerCase()
  } catch {
    throw invalid('/allowedOrigins', `is not a browser origin: ${origin}`)
  }
}

const SETTINGS_CACHE_MS = 30_000

export interface CreateWorkspaceInput {
  slug: string
  name: string
  owner?: { email: string; name: string; password?: string | undefined } | undefined
}

export function createWorkspacesService(db: Db, passwords: Passwords) {
  // Settings are read on every request (rate limits, origins): cached briefly, and dropped at once
  // by this instance when it changes them (other instances follow within the cache's lifetime).
  const settingsCache = new Map<string, { settings: WorkspaceSettings; until: number }>()
  let originsCache: { origins: Set<string>; until: number } | undefined

  return {
    /** The settings when this instance holds them fresh, without a round trip (hot paths ask this first). */
    cachedSettings(workspaceId: string): WorkspaceSettings | undefined {
      const cached = settingsCache.get(workspaceId)
      return cached && cached.until > Date.now() ? cached.settings : undefined
    },

    async settings(workspaceId: string): Promise<WorkspaceSettings> {
      const cached = settingsCache.get(workspaceId)
      if (cached && cached.until > Date.now()) return cached.settings
      // In an idempotent request's transaction when there is one (embedded PGlite has one connection).
      const [row] = await currentExecutor(db)
        .select({ settings: workspaces.settings })
        .from(workspaces)
        .where(eq(workspaces.id, workspaceId))
      const settings = settingsOf(row ?? { settings: {} })
      if (settingsCache.size > 10_000) settingsCache.clear()
      settingsCache.set(workspaceId, { settings, until: Date.now() + SETTINGS_CACHE_MS })
      return settings
    },

    /** Every origin some workspace allows: a CORS preflight carries no token, so it is answered for these. */
    async knownOrigins(): Promise<Set<string>> {
      if (originsCache && originsCache.until > Date.now()) return originsCache.origins
      const rows = await rowsOf<{ origin: string }>(
        db,
        sql`select distinct jsonb_array_elements_text(settings -> 'allowedOrigins') as origin from workspaces
          where jsonb_typeof(settings -> 'allowedOrigins') = 'array'`,
      )
      const origins = new Set(rows.map((r) => r.origin))
      originsCache = { origins, until: Date.now() + SETTINGS_CACHE_MS }
      return origins
    },

    /** Renames the caller's workspace or changes its settings (admins). */
    update(
      actor: Actor,
      input: {
        name?: string
        allowedOrigins?: string[]
        rateLimits?: WorkspaceSettings['rateLimits']
        defaultLocale?: string
      },
    ) {
      const { workspaceId } = authorize(actor, 'workspace:admin')
      return inWorkspace(db, workspaceId, async (tx) => {
        const [current] = await tx
          .select()
          .from(workspaces)
          .where(eq(workspaces.id, workspaceId))
          .for('update')
        if (!current) throw new Problem('not_found', 'This workspace no longer exists.')
        const before = { name: current.name, ...settingsOf(current) }
        const next = {
          name: input.name ?? before.name,
          allowedOrigins:
            input.allowedOrigins === undefined
              ? before.allowedOrigins
              : [...new Set(input.allowedOrigins.map(normalizeOrigin))].sort(),
          rateLimits: input.rateLimits ?? before.rateLimits,
          defaultLocale:
            input.defaultLocale === undefined
              ? before.defaultLocale
              : canonicalLocale(input.defaultLocale, '/defaultLocale'),
        }
        const changes = diff(before, next)
        if (Object.keys(changes).length === 0) return toWorkspace(current)
        const [row] = await tx
          .update(workspaces)
          .set({
            name: next.name,
            settings: {
              ...current.settings,
              allowedOrigins: next.allowedOrigins,
              rateLimits: next.rateLimits,
              defaultLocale: next.defaultLocale,
            },
            updatedAt: new Date(),
          })
          .where(eq(workspaces.id, workspaceId))
          .returning()
        if (!row) throw new Problem('not_found', 'This workspace no longer exists.')
        await recordEvent(tx, {
          workspaceId,
          type: 'workspace.updated',
          subjectType: 'workspace',
          subjectId: workspaceId,
          actor,
          changes,
        })
        settingsCache.delete(workspaceId)
        originsCache = undefined
        return toWorkspace(row)
      })
    },

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
        await seedSla(tx, workspace.id)
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
      const after = page.cursor ? readCursor(page.cursor, ['text'])[0] : undefined
      // The platform operator's view across workspaces: no workspace to bind to.
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
      const [row] = await readInWorkspace(db, workspaceId, (q) =>
        q.select().from(workspaces).where(eq(workspaces.id, workspaceId)),
      )
      if (!row) throw new Problem('not_found', 'This workspace no longer exists.')
      return toWorkspace(row)
    },

    async bySlug(slug: string) {
      const [row] = await currentExecutor(db).select().from(workspaces).where(eq(workspaces.slug, slug))
      return row ?? null
    },
  }
}
