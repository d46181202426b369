import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { type Actor, anonymous } from '../auth/actor.ts'
import { Problem } from '../lib/problem.ts'
import { digest } from '../lib/secrets.ts'

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor
  }
}

export interface AuthOptions {
  platformToken: string | undefined
  /** Any other bearer token: an API key, an agent access token or a contact token. */
  authenticate: (token: string) => Promise<Actor | null>
}

/** Resolves `Authorization: Bearer …` to an actor. A token that is present but wrong is a 401 at once. */
export default fp<AuthOptions>(
  async function auth(app: FastifyInstance, options) {
    app.decorateRequest('actor', null as never)
    // Hashed once: each request then costs one hash of its token for this comparison.
    const platformDigest = options.platformToken ? digest(options.platformToken) : undefined
    const platformMayLookLikeKey = options.platformToken?.startsWith('atk_') === true
    app.addHook('onRequest', async (request) => {
      request.actor = anonymous
      const header = request.headers.authorization
      if (header === undefined) return
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
      if (!match?.[1]) throw new Problem('unauthorized', 'Authorization must be "Bearer <token>".')
      const token = match[1]
      // API keys carry their prefix, so they skip the platform check's hash (unless the operator chose
      // a platform token with the same prefix).
      const mayBePlatform = platformDigest && (!token.startsWith('atk_') || platformMayLookLikeKey)
      if (mayBePlatform && timingSafeEqual(digest(token), platformDigest)) {
        request.actor = { kind: 'platform' }
        return
      }
      const actor = await options.authenticate(token)
      if (!actor) throw new Problem('unauthorized', 'The bearer token is invalid, expired or revoked.')
      request.actor = actor
    })
  },
  { name: 'auth', dependencies: ['errors'] },
)
