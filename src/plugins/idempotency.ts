import { and, eq, lt, or } from 'drizzle-orm'
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify'
import fp from 'fastify-plugin'
import { actorScope } from '../auth/actor.ts'
import type { Db } from '../db/client.ts'
import { idempotencyKeys } from '../db/schema/index.ts'
import { inAmbientTransaction } from '../db/transaction.ts'
import { canonicalJson } from '../lib/canonical-json.ts'
import { Problem } from '../lib/problem.ts'
import { sha256 } from '../lib/secrets.ts'

const TTL_MS = 24 * 60 * 60 * 1000
/** A claim older than this belongs to a request that died before committing; its work was rolled back. */
const LEASE_MS = 60_000
const REPLAYED_HEADERS = ['location', 'etag', 'content-type']

export interface IdempotencyOptions {
  db: Db
}

/**
 * `Idempotency-Key` on POST (API.md "Safe retries"). The first request claims the key; its handler then
 * runs in one transaction together with the stored response, so a crash after commit can neither lose
 * the response nor let a retry create the resource twice.
 */
export default fp<IdempotencyOptions>(
  async function idempotency(app: FastifyInstance, { db }) {
    app.addHook('onRoute', (route) => {
      // REST commands only: /graphql is a POST too, but it is a query language, not one command. Sign-in
      // is not replayable: a replay would hand out the same tokens again, and a refresh must commit its
      // revocation of a reused token even though it answers 401.
      if (route.method !== 'POST' || !route.url.startsWith('/v1/') || route.config?.notIdempotent === true)
        return
      const handler = route.handler as RouteHandlerMethod
      route.handler = async function idempotentHandler(this: FastifyInstance, request, reply) {
        const key = request.headers['idempotency-key']
        if (key === undefined) return handler.call(this, request, reply)
        if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
          throw new Problem('validation', 'Idempotency-Key must be 1 to 255 characters.', {
            errors: [{ path: '/headers/idempotency-key', message: 'must be 1 to 255 characters' }],
          })
        }
        const workspaceOf = route.config?.workspaceOf
        const workspaceId =
          'workspaceId' in request.actor
            ? request.actor.workspaceId
            : workspaceOf
              ? await workspaceOf(request)
              : null
        return runOnce(
          db,
          handler.bind(this),
          request,
          reply,
          key,
          workspaceId,
          route.config?.revealsSecret === true,
        )
      }
    })

    const sweep = setInterval(() => {
      db.delete(idempotencyKeys)
        .where(lt(idempotencyKeys.expiresAt, new Date()))
        .catch((err: unknown) => app.log.warn({ err }, 'idempotency sweep failed'))
    }, 3_600_000)
    sweep.unref()
    app.addHook('onClose', async () => clearInterval(sweep))
  },
  { name: 'idempotency', dependencies: ['auth'] },
)

async function runOnce(
  db: Db,
  handler: (request: FastifyRequest, reply: FastifyReply) => unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  key: string,
  workspaceId: string | null,
  revealsSecret: boolean,
) {
  const actor = request.actor
  const scope = actorScope(actor, request.ip)
  const requestHash = sha256(`${request.method} ${request.url}\n${canonicalJson(request.body ?? null)}`)
  const now = new Date()
  // (workspaceId: the workspace the command runs bound to; its stored response is written under the same binding.)
  const [claimed] = await db
    .insert(idempotencyKeys)
    .values({
      scope,
      key,
      workspaceId,
      requestHash,
      state: 'processing',
      lockedAt: now,
      expiresAt: new Date(now.getTime() + TTL_MS),
    })
    .onConflictDoUpdate({
      target: [idempotencyKeys.scope, idempotencyKeys.key],
      set: {
        workspaceId,
        requestHash,
        state: 'processing',
        lockedAt: now,
        createdAt: now,
        expiresAt: new Date(now.getTime() + TTL_MS),
        responseStatus: null,
        responseHeaders: null,
        responseBody: null,
      },
      setWhere: or(
        lt(idempotencyKeys.expiresAt, now),
        and(
          eq(idempotencyKeys.state, 'processing'),
          lt(idempotencyKeys.lockedAt, new Date(now.getTime() - LEASE_MS)),
        ),
      ),
    })
    .returning()

  if (!claimed) return replayOrRefuse(db, scope, key, requestHash, reply)

  const ours = and(
    eq(idempotencyKeys.scope, scope),
    eq(idempotencyKeys.key, key),
    eq(idempotencyKeys.lockedAt, now),
  )
  try {
    return await inAmbientTransaction(db, async (tx) => {
      const payload = await responseOf(handler, request, reply)
      const body = typeof payload === 'string' ? payload : String(reply.serialize(payload))
      const headers: Record<string, string> = {}
      for (const name of REPLAYED_HEADERS) {
        const value = reply.getHeader(name)
        if (value !== undefined) headers[name] = String(value)
      }
      headers['content-type'] ??= 'application/json; charset=utf-8'
      const stored = await tx
        .update(idempotencyKeys)
        .set({
          state: 'completed',
          responseStatus: reply.statusCode,
          responseHeaders: headers,
          // A secret is shown once and stored only as a hash, so a response carrying one is never kept.
          responseBody: revealsSecret ? null : body,
        })
        .where(ours)
        .returning({ key: idempotencyKeys.key })
      // Another request took the lease over, so this one must not commit its work too.
      if (stored.length === 0) throw new Problem('conflict', 'The idempotency key was taken over by a retry.')
      reply.type(headers['content-type'])
      return body
    })
  } catch (error) {
    // Nothing was committed: release the key so the client can retry it.
    await db.delete(idempotencyKeys).where(ours)
    throw error
  }
}

/** What a held-back `reply.send` returns: not the reply, which is a thenable that settles once sent. */
const HELD = Object.freeze({ held: true })

/**
 * What the handler answers, whether it returns the payload or hands it to `reply.send`: the response
 * must not leave before the transaction that stores it commits, so a `send` is held back and its
 * payload taken instead.
 */
async function responseOf(
  handler: (request: FastifyRequest, reply: FastifyReply) => unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  let sent: { payload: unknown } | undefined
  const send = reply.send
  reply.send = ((payload?: unknown) => {
    sent = { payload }
    return HELD
  }) as unknown as FastifyReply['send']
  try {
    const returned = await handler(request, reply)
    return sent && (returned === HELD || returned === undefined) ? sent.payload : returned
  } finally {
    reply.send = send
  }
}

async function replayOrRefuse(db: Db, scope: string, key: string, requestHash: string, reply: FastifyReply) {
  const [existing] = await db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)))
  if (!existing) {
    throw new Problem('conflict', 'The idempotency key changed hands; retry the request.', {
      headers: { 'retry-after': '1' },
    })
  }
  if (existing.requestHash !== requestHash) {
    throw new Problem('idempotency_mismatch', 'This Idempotency-Key was used with a different request.')
  }
  if (existing.state === 'processing') {
    throw new Problem('conflict', 'A request with this Idempotency-Key is still in progress.', {
      headers: { 'retry-after': '1' },
    })
  }
  if (existing.responseBody === null) {
    throw new Problem(
      'conflict',
      'This request already succeeded. Its response held a secret that is shown only once, so it is not replayed; the created resource is at Location.',
      { headers: existing.responseHeaders?.location ? { location: existing.responseHeaders.location } : {} },
    )
  }
  reply.code(existing.responseStatus ?? 200)
  reply.headers({ ...(existing.responseHeaders ?? {}), 'idempotent-replayed': 'true' })
  return existing.responseBody ?? ''
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The response carries a one-time secret: remember that the request ran, never what it answered. */
    revealsSecret?: boolean
    /** The route ignores `Idempotency-Key` (sign-in). */
    notIdempotent?: boolean
    /**
     * The workspace a command of a caller without one (an anonymous caller of a public route) runs bound
     * to, from the request: its key is claimed and its response stored under that workspace, as the
     * transaction's row-level security requires.
     */
    workspaceOf?: (request: FastifyRequest) => Promise<string>
  }
}
