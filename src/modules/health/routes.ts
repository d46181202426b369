import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { problemResponse } from '../../lib/api-schemas.ts'
import { Problem } from '../../lib/problem.ts'

export interface HealthOptions {
  ready: () => Promise<void>
}

const Status = Type.Object({ status: Type.String() })

/** Liveness (the process answers) and readiness (the database answers and is migrated). */
export const healthRoutes: FastifyPluginAsyncTypebox<HealthOptions> = async (app, { ready }) => {
  app.get(
    '/healthz',
    {
      config: { probe: true },
      schema: { tags: ['operations'], summary: 'The process is up', response: { 200: Status } },
    },
    async () => ({ status: 'ok' }),
  )
  app.get(
    '/readyz',
    {
      config: { probe: true },
      schema: {
        tags: ['operations'],
        summary: 'The database is reachable and migrated',
        response: { 200: Status, 503: problemResponse },
      },
    },
    async (request) => {
      try {
        await ready()
      } catch (err) {
        request.log.warn({ err }, 'readiness check failed')
        throw new Problem('unavailable', 'The database is not reachable or not migrated.')
      }
      return { status: 'ready' }
    },
  )
}
