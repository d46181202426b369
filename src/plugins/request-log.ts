import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Logger } from 'pino'

/** One log line per request (id, route, status, workspace, duration) and `x-request-id` on every response. */
export default fp(
  async function requestLog(app: FastifyInstance) {
    app.addHook('onRequest', async (request, reply) => {
      reply.header('x-request-id', request.id)
    })
    app.addHook('onResponse', async (request, reply) => {
      if (request.routeOptions.config.probe || !(request.log as Logger).isLevelEnabled('info')) return
      const actor = request.actor
      request.log.info(
        {
          method: request.method,
          url: request.url,
          route: request.routeOptions.url,
          status: reply.statusCode,
          workspaceId: actor && 'workspaceId' in actor ? actor.workspaceId : undefined,
          actor: actor?.kind,
          ms: Math.round(reply.elapsedTime * 10) / 10,
        },
        'request completed',
      )
    })
  },
  { name: 'request-log' },
)

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Health and metrics probes: called every few seconds, so not one log line each. */
    probe?: boolean
  }
}
