import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { GraphQLError } from 'graphql'
import mercurius, { type IResolvers, type MercuriusLoaders } from 'mercurius'
import type { Actor } from '../auth/actor.ts'
import { inputRefusedByDatabase, isProblem } from '../lib/problem.ts'
import { agentLoaders, agentResolvers } from '../modules/agents/resolvers.ts'
import { contactLoaders, contactResolvers } from '../modules/contacts/resolvers.ts'
import { catalogLoaders, catalogResolvers } from '../modules/departments/resolvers.ts'
import { DateTime, JSONScalar } from '../modules/graphql-support.ts'
import { kbLoaders, kbResolvers } from '../modules/kb/resolvers.ts'
import { slaLoaders, slaResolvers } from '../modules/sla/resolvers.ts'
import { ticketLoaders, ticketResolvers } from '../modules/tickets/resolvers.ts'
import type { Services } from '../services.ts'

declare module 'mercurius' {
  interface MercuriusContext {
    actor: Actor
    services: Services
  }
}

export const schemaPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schema.graphql')

export const allResolvers: IResolvers = merge(
  ticketResolvers,
  agentResolvers,
  contactResolvers,
  catalogResolvers,
  slaResolvers,
  kbResolvers,
)

export interface GraphqlOptions {
  services: Services
  depthLimit: number
  graphiql: boolean
}

/** Every resolver and loader of the schema, module by module (the contract test checks them against it). */
export const allLoaders: MercuriusLoaders = mergeLoaders(
  ticketLoaders,
  agentLoaders,
  contactLoaders,
  catalogLoaders,
  slaLoaders,
  kbLoaders,
)

function mergeLoaders(...parts: MercuriusLoaders[]): MercuriusLoaders {
  return merge(...(parts as IResolvers[])) as MercuriusLoaders
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
    await app.register(mercurius, {
      schema: readFileSync(schemaPath, 'utf8'),
      resolvers: merge({ DateTime, JSON: JSONScalar } as unknown as IResolvers, allResolvers),
      loaders: allLoaders,
      queryDepth: depthLimit,
      graphiql,
      context: (request) => ({ actor: request.actor, services }),
      errorFormatter: (execution, context) => {
        const log = context.reply?.request.log ?? app.log
        // Mercurius wraps syntax, validation and depth errors in one 400 error that lists them: all the client's.
        const flat = (execution.errors ?? []).flatMap((error) => {
          const wrapper = error.originalError as { code?: string; errors?: unknown } | undefined
          return wrapper?.code === 'MER_ERR_GQL_VALIDATION' && Array.isArray(wrapper.errors)
            ? (wrapper.errors as GraphQLError[]).map((inner) => ({ error: inner, clients: true }))
            : [{ error, clients: false }]
        })
        const errors = flat.map(({ error, clients }) => {
          const raw: unknown = (error as GraphQLError).originalError ?? error
          const original = inputRefusedByDatabase(raw) ?? raw
          const at = { nodes: error.nodes, path: error.path }
          if (isProblem(original)) {
            return new GraphQLError(original.message, {
              ...at,
              extensions: { code: original.code, ...(original.errors ? { errors: original.errors } : {}) },
            })
          }
          const status = (original as { statusCode?: unknown }).statusCode
          if (clients || original instanceof GraphQLError || (typeof status === 'number' && status < 500)) {
            return new GraphQLError((original as Error).message, {
              ...at,
              extensions: { code: 'graphql_validation' },
            })
          }
          log.error({ err: original }, 'graphql resolver failed')
          return new GraphQLError('An internal error occurred.', { ...at, extensions: { code: 'internal' } })
        })
        const executed = 'data' in execution && execution.data !== undefined
        // Refused before it ran (a spent rate limit, say): the problem's own status, as REST answers.
        const refusal = flat
          .map(({ error }) => (error as GraphQLError).originalError ?? error)
          .find(isProblem)
        const statusCode = executed ? 200 : (refusal?.status ?? 400)
        return { statusCode, response: { data: execution.data ?? null, errors } }
      },
    })
  },
  { name: 'graphql', dependencies: ['auth'] },
)
