import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Actor } from '../auth/actor.ts'
import { Problem } from '../lib/problem.ts'
import type { WorkspaceSettings } from '../modules/workspaces/service.ts'

/** Requests per minute per credential when a workspace sets none (`RATE_LIMIT_*_PER_MINUTE`). */
export interface RateLimitDefaults {
  apiKey: number
  agent: number
  contact: number
  /** Per address, for callers without a token. */
  anonymous: number
}

export interface RateLimitOptions {
  defaults: RateLimitDefaults
  settings: (workspaceId: string) => Promise<WorkspaceSettings>
  /** The settings if held fresh in memory: most requests then decide without awaiting anything. */
  cachedSettings: (workspaceId: string) => WorkspaceSettings | undefined
}

/** Whose budget a request spends: its credential's, or its address's when it has none. */
function budgetKey(actor: Actor, ip: string): string {
  switch (actor.kind) {
    case 'apiKey':
      return `key:${actor.apiKeyId}`
    case 'agent':
      return `agent:${actor.workspaceId}:${actor.userId}`
    case 'contact':
      return `contact:${actor.workspaceId}:${actor.contactId}`
    default:
      return `ip:${ip}`
  }
}

const limited = (url: string) => url.startsWith('/v1/') || url.startsWith('/graphql')

/**
 * Rate limits per API key, agent and contact token (per address for anonymous callers) on the API
 * routes, with `RateLimit-*` headers and 429 + `Retry-After` when a budget is spent. Each workspace may
 * set its own per-minute budgets. Counted in memory per instance (@fastify/rate-limit's store).
 */
export default fp<RateLimitOptions>(
  async function limits(app: FastifyInstance, { defaults, settings, cachedSettings }) {
    await app.register(rateLimit, {
      global: true,
      // After authentication, so the budget is the credential's.
      hook: 'preHandler',
      timeWindow: 60_000,
      enableDraftSpec: true,
      allowList: (request: FastifyRequest) => request.actor.kind === 'platform' || !limited(request.url),
      keyGenerator: (request: FastifyRequest) => budgetKey(request.actor, request.ip),
      max: ((request: FastifyRequest): number | Promise<number> => {
        const { actor } = request
        if (actor.kind === 'anonymous' || actor.kind === 'platform') return defaults.anonymous
        const kind = actor.kind
        const held = cachedSettings(actor.workspaceId)
        if (held) return held.rateLimits[kind] ?? defaults[kind]
        return settings(actor.workspaceId).then((own) => own.rateLimits[kind] ?? defaults[kind])
      }) as (request: FastifyRequest) => number, // the plugin awaits whatever `max` returns
      errorResponseBuilder: (_request, context) =>
        new Problem(
          'rate_limited',
          `Rate limit of ${context.max} requests a minute reached; retry in ${context.after}.`,
          {
            headers: { 'retry-after': String(Math.max(1, Math.ceil(context.ttl / 1000))) },
          },
        ),
    })
  },
  { name: 'rate-limit', dependencies: ['auth', 'errors'] },
)
