import cors from '@fastify/cors'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Problem } from '../lib/problem.ts'
import type { WorkspaceSettings } from '../modules/workspaces/service.ts'

export interface BrowserOptions {
  settings: (workspaceId: string) => Promise<WorkspaceSettings>
  /** Every origin some workspace allows. */
  knownOrigins: () => Promise<Set<string>>
}

/** The request's own origin: a page served by this host (the API docs, say) is not a foreign one. */
function sameOrigin(request: FastifyRequest, origin: string) {
  try {
    const { protocol, host } = new URL(origin)
    return host === new URL(`${protocol}//${request.headers.host}`).host
  } catch {
    return false
  }
}

/**
 * Browsers. Contact tokens are made for shop pages, so each workspace lists the origins it serves and
 * the API answers CORS for those. A preflight carries no token, so it is answered for any origin some
 * workspace lists; the request that follows is then refused (403) unless its own workspace lists the
 * origin. The same check catches an API key pasted into a web page: a request with a key and a
 * foreign `Origin` is refused before it does anything.
 */
export default fp<BrowserOptions>(
  async function browsers(app: FastifyInstance, { settings, knownOrigins }) {
    await app.register(cors, {
      hook: 'onRequest',
      // Static options with an origin function: nothing is rebuilt per request, and a request without
      // an Origin (a server's) is passed at once. A page's own origin needs no CORS headers.
      origin: (origin, callback) => {
        if (!origin) return callback(null, false)
        knownOrigins().then(
          (known) => callback(null, known.has(origin.toLowerCase()) ? origin : false),
          (error: Error) => callback(error, false),
        )
      },
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'if-match', 'x-request-id'],
      exposedHeaders: [
        'etag',
        'location',
        'retry-after',
        'ratelimit-limit',
        'ratelimit-remaining',
        'ratelimit-reset',
        'x-request-id',
      ],
      maxAge: 600,
    })

    // Most requests come from servers, without an Origin: they pass without awaiting anything.
    app.addHook('preHandler', (request, _reply, done) => {
      const origin = request.headers.origin
      const { actor } = request
      if (!origin || !('workspaceId' in actor) || sameOrigin(request, origin)) return done()
      settings(actor.workspaceId).then(({ allowedOrigins }) => {
        if (allowedOrigins.includes(origin.toLowerCase())) return done()
        done(
          new Problem(
            'forbidden',
            actor.kind === 'apiKey'
              ? `API keys are for servers: this request came from the browser origin ${origin}, which the workspace does not allow. Revoke the key if it was published.`
              : `The origin ${origin} is not one this workspace allows.`,
          ),
        )
      }, done)
    })
  },
  { name: 'browsers', dependencies: ['auth', 'errors'] },
)
