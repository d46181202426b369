import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm'
import type { Actor, Scope } from '../../auth/actor.ts'
import { authorize } from '../../auth/policy.ts'
import type { Database, Db } from '../../db/client.ts'
import { apiKeys } from '../../db/schema/index.ts'
import { inWorkspace, readInWorkspace } from '../../db/tenant.ts'
import type { Tx } from '../../db/transaction.ts'
import { paginate, readCursor } from '../../lib/cursor.ts'
import { jsonDates } from '../../lib/json-dates.ts'
import { problem } from '../../lib/problem.ts'
import { generateSecret, sha256 } from '../../lib/secrets.ts'
import { recordEvent } from '../events/service.ts'

export const ApiKeyNotFound = problem('not_found', 'API key %s not found')

type ApiKeyRow = typeof apiKeys.$inferSelect
const LAST_USED_RESOLUTION_MS = 60_000

export function toApiKey(row: ApiKeyRow) {
  const { secretHash: _hidden, workspaceId: _ws, ...visible } = row
  return jsonDates(visible)
}

/** Creates a key inside the caller's transaction; the secret is returned this once and stored only as a hash. */
export async function issueApiKey(tx: Tx, actor: Actor, workspaceId: string, name: string, scopes: Scope[]) {
  const secret = generateSecret('atk')
  const [row] = await tx
    .insert(apiKeys)
    .values({
      workspaceId,
      name,
      scopes: [...new Set(scopes)],
      prefix: secret.slice(0, 12),
      secretHash: sha256(secret),
    })
    .returning()
  if (!row) throw new Error('insert returned no row')
  await recordEvent(tx, {
    workspaceId,
    type: 'api_key.created',
    subjectType: 'api_key',
    subjectId: row.id,
    actor,
    data: { name, scopes: row.scopes },
  })
  return { ...toApiKey(row), secret }
}

/** Channel on which every instance hears, on commit, which key was revoked. */
export const REVOCATION_CHANNEL = 'atiende_api_key_revoked'
const CACHE_LIMIT = 10_000
const CACHE_TTL_MS = 60_000

type ApiKeyActor = Extract<Actor, { kind: 'apiKey' }>

export function createApiKeysService(db: Db) {
  const lastUsedWrites = new Map<string, number>()
  // Authenticated keys by secret hash. Trusted only while revocations are being heard, so a revoked
  // key is refused at once by every instance; `generation` keeps a lookup that raced a revocation
  // from being cached after it.
  const cache = new Map<string, { actor: ApiKeyActor; row: ApiKeyRow; expiresAt: number }>()
  let cacheTrusted = false
  let generation = 0
  function forget(keyId: string) {
    generation++
    for (const [hash, entry] of cache) if (entry.actor.apiKeyId === keyId) cache.delete(hash)
  }
  function distrust() {
    cacheTrusted = false
    generation++
    cache.clear()
  }
  // Every request authenticates, so its query is built and prepared once.
  const keyByHash = db
    .select()
    .from(apiKeys)
    .where(eq(apiKeys.secretHash, sql.placeholder('hash')))
    .limit(1)
    .prepare('api_key_by_hash')

  /** Marks a key used at most once a minute per process, so authentication stays one indexed read. */
  function touch(row: ApiKeyRow) {
    const now = Date.now()
    if (row.lastUsedAt && now - row.lastUsedAt.getTime() < LAST_USED_RESOLUTION_MS) return
    if (now - (lastUsedWrites.get(row.id) ?? 0) < LAST_USED_RESOLUTION_MS) return
    lastUsedWrites.set(row.id, now)
    db.update(apiKeys)
      .set({ lastUsedAt: new Date(now) })
      .where(and(eq(apiKeys.workspaceId, row.workspaceId), eq(apiKeys.id, row.id)))
      .catch(() => lastUsedWrites.delete(row.id))
  }

  return {
    /** Starts caching authenticated keys, evicting each one when any instance revokes it. */
    async watchRevocations(listen: Database['listen']) {
      const stop = await listen(REVOCATION_CHANNEL, forget, distrust)
      cacheTrusted = true
      return async () => {
        distrust()
        await stop()
      }
    },

    async authenticate(secret: string): Promise<Actor | null> {
      const hash = sha256(secret)
      const cached = cacheTrusted ? cache.get(hash) : undefined
      if (cached && cached.expiresAt > Date.now()) {
        touch(cached.row)
        return cached.actor
      }
      const seen = generation
      const [row] = await keyByHash.execute({ hash })
      if (!row || row.revokedAt) return null
      touch(row)
      const actor: ApiKeyActor = {
        kind: 'apiKey',
        workspaceId: row.workspaceId,
        apiKeyId: row.id,
        scopes: row.scopes,
      }
      if (cacheTrusted && seen === generation) {
        if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string)
        cache.set(hash, { actor, row, expiresAt: Date.now() + CACHE_TTL_MS })
      }
      return actor
    },

    create(actor: Actor, input: { name: string; scopes: Scope[] }) {
      const { workspaceId } = authorize(actor, 'workspace:admin')
      // An admin key can make owners, so only an owner (or the root key) issues one.
      if (input.scopes.includes('admin')) authorize(actor, 'workspace:owner')
      return inWorkspace(db, workspaceId, (tx) =>
        issueApiKey(tx, actor, workspaceId, input.name, input.scopes),
      )
    },

    async list(actor: Actor, page: { limit: number; cursor?: string }) {
      const { workspaceId } = authorize(actor, 'workspace:admin')
      const [afterCreated, afterId] = page.cursor ? readCursor(page.cursor, ['instant', 'uuid']) : []
      const rows = await readInWorkspace(db, workspaceId, (q) =>
        q
          .select()
          .from(apiKeys)
          .where(
            and(
              eq(apiKeys.workspaceId, workspaceId),
              afterCreated
                ? or(
                    lt(apiKeys.createdAt, afterCreated),
                    and(eq(apiKeys.createdAt, afterCreated), lt(apiKeys.id, afterId as string)),
                  )
                : undefined,
            ),
          )
          .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
          .limit(page.limit + 1),
      )
      const result = paginate(rows, page.limit, (r) => [r.createdAt.toISOString(), r.id])
      return { ...result, data: result.data.map(toApiKey) }
    },

    async revoke(actor: Actor, id: string) {
      const { workspaceId } = authorize(actor, 'workspace:admin')
      await inWorkspace(db, workspaceId, async (tx) => {
        const [target] = await tx
          .select({ scopes: apiKeys.scopes })
          .from(apiKeys)
          .where(and(eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.id, id)))
        if (target?.scopes.includes('admin')) authorize(actor, 'workspace:owner')
        const [row] = await tx
          .update(apiKeys)
          .set({ revokedAt: new Date() })
          .where(and(eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
          .returning()
        if (!row) {
          const [existing] = await tx
            .select({ id: apiKeys.id })
            .from(apiKeys)
            .where(and(eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.id, id)))
          if (!existing) throw ApiKeyNotFound(id)
          return
        }
        await recordEvent(tx, {
          workspaceId,
          type: 'api_key.revoked',
          subjectType: 'api_key',
          subjectId: id,
          actor,
        })
        // Delivered to every instance when this transaction commits.
        await tx.execute(sql`select pg_notify(${REVOCATION_CHANNEL}, ${id})`)
      })
      forget(id)
    },
  }
}
export type ApiKeysService = ReturnType<typeof createApiKeysService>
