import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm'
import type { Actor, Scope } from '../../auth/actor.ts'
import { authorize } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { apiKeys } from '../../db/schema/index.ts'
import { currentExecutor, inTransaction, type Tx } from '../../db/transaction.ts'
import { decodeCursor, paginate } from '../../lib/cursor.ts'
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

export function createApiKeysService(db: Db) {
  const lastUsedWrites = new Map<string, number>()
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
    async authenticate(secret: string): Promise<Actor | null> {
      const [row] = await keyByHash.execute({ hash: sha256(secret) })
      if (!row || row.revokedAt) return null
      touch(row)
      return { kind: 'apiKey', workspaceId: row.workspaceId, apiKeyId: row.id, scopes: row.scopes }
    },

    create(actor: Actor, input: { name: string; scopes: Scope[] }) {
      const { workspaceId } = authorize(actor, 'admin')
      return inTransaction(db, (tx) => issueApiKey(tx, actor, workspaceId, input.name, input.scopes))
    },

    async list(actor: Actor, page: { limit: number; cursor?: string }) {
      const { workspaceId } = authorize(actor, 'admin')
      const [afterCreated, afterId] = page.cursor ? decodeCursor(page.cursor, 2) : []
      const rows = await currentExecutor(db)
        .select()
        .from(apiKeys)
        .where(
          and(
            eq(apiKeys.workspaceId, workspaceId),
            afterCreated
              ? or(
                  lt(apiKeys.createdAt, new Date(String(afterCreated))),
                  and(eq(apiKeys.createdAt, new Date(String(afterCreated))), lt(apiKeys.id, String(afterId))),
                )
              : undefined,
          ),
        )
        .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
        .limit(page.limit + 1)
      const result = paginate(rows, page.limit, (r) => [r.createdAt.toISOString(), r.id])
      return { ...result, data: result.data.map(toApiKey) }
    },

    revoke(actor: Actor, id: string) {
      const { workspaceId } = authorize(actor, 'admin')
      return inTransaction(db, async (tx) => {
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
      })
    },
  }
}
