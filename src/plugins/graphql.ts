import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { GraphQLError } from 'graphql'
import mercurius, { type IResolvers, type MercuriusLoaders } from 'mercurius'
import type { Actor } from '../auth/actor.ts'
import { isProblem } from '../lib/problem.ts'
import { DateTime, JSONScalar } from '../modules/graphql-support.ts'
import { ticketLoaders, ticketResolvers } from '../modules/tickets/resolvers.ts'
import type { Services } from '../services.ts'

declare module 'mercurius' {
  interface MercuriusContext {
    actor: Actor
    services: Services
  }
}

export const schemaPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schema.graphql')

export interface GraphqlOptions {
  services: Services
  depthLimit: number
  graphiql: boolean
}

function merge(...parts: IResolvers[]): IResolvers {
  const merged: Record<string, Record<string, unknown>> = {}
  for (const part of parts) {
    for (const [type, fields] of Object.entries(part))
      merged[type] = { ...merged[type], ...(fields as object) }
  }
  return merged as IResolvers
}

/** `/graphql` over the same services and policy as REST; errors carry the REST problem codes. */
export default fp<GraphqlOptions>(
  async function graphql(app: FastifyInstance, { services, depthLimit, graphiql }) {
    const loaders: MercuriusLoaders = { ...ticketLoaders }
    await app.register(mercurius, {
      schema: readFileSync(schemaPath, 'utf8'),
      resolvers: merge({ DateTime, JSON: JSONScalar } as unknown as IResolvers, ticketResolvers),
      loaders,
      queryDepth: depthLimit,
      graphiql,
      context: (request) => ({ actor: request.actor, services }),
      errorFormatter: (execution, context) => {
        const log = context.reply?.request.log ?? app.log
        const errors = (execution.errors ?? []).map((error) => {
          const original = error.originalError
          if (isProblem(original)) {
            return new GraphQLError(original.message, {
              nodes: error.nodes,
              path: error.path,
              extensions: { code: original.code, ...(original.errors ? { errors: original.errors } : {}) },
            })
          }
          if (original && !(original instanceof GraphQLError) && !('extensions' in original)) {
            log.error({ err: original }, 'graphql resolver failed')
            return new GraphQLError('An internal error occurred.', {
              nodes: error.nodes,
              path: error.path,
              extensions: { code: 'internal' },
            })
          }
          return new GraphQLError(error.message, {
            nodes: error.nodes,
            path: error.path,
            extensions: { code: 'graphql_validation', ...error.extensions },
          })
        })
        const executed = 'data' in execution && execution.data !== undefined
        return { statusCode: executed ? 200 : 400, response: { data: execution.data ?? null, errors } }
      },
    })
  },
  { name: 'graphql', dependencies: ['auth'] },
)
