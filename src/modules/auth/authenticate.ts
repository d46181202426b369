import type { JWT } from '@fastify/jwt'
import type { Actor } from '../../auth/actor.ts'
import type { ApiKeysService } from '../api-keys/service.ts'
import type { ContactTokensService } from './contact-tokens.ts'
import type { SessionsService } from './service.ts'

/**
 * Tells the bearer tokens apart and has each verified by its owner: `atk_…` is an API key; a JWT with
 * a `kid` header was minted with a workspace's contact-token secret; any other JWT is an agent access
 * token signed by the service. Null when the token is none of them, or no longer valid.
 */
export function createAuthenticator(
  jwt: JWT,
  apiKeys: ApiKeysService,
  sessions: SessionsService,
  contactTokens: ContactTokensService,
) {
  return async (token: string): Promise<Actor | null> => {
    if (token.startsWith('atk_')) return apiKeys.authenticate(token)
    if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) return null
    let kid: unknown
    try {
      kid = (jwt.decode(token, { complete: true }) as { header: { kid?: unknown } }).header.kid
    } catch {
      return null
    }
    if (kid !== undefined) return typeof kid === 'string' ? contactTokens.authenticate(token, kid) : null
    return sessions.authenticate(token)
  }
}
