import { readFileSync } from 'node:fs'
import fastifyJwt from '@fastify/jwt'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyServerOptions, LogController } from 'fastify'
import type { DestinationStream } from 'pino'
import { uuidv7 } from 'uuidv7'
import type { Config } from './config.ts'
import type { Database } from './db/client.ts'
import { pendingMigrations } from './db/migrate.ts'
import { startJobs } from './jobs/queue.ts'
import { ProblemDetails } from './lib/api-schemas.ts'
import { requestValidatorCompiler } from './lib/validate.ts'
import { agentRoutes } from './modules/agents/routes.ts'
import { Agent, AgentPage } from './modules/agents/schemas.ts'
import { apiKeyRoutes } from './modules/api-keys/routes.ts'
import { ApiKey, ApiKeyPage, ApiKeyWithSecret } from './modules/api-keys/schemas.ts'
import { authRoutes } from './modules/auth/routes.ts'
import {
  ContactToken,
  ContactTokenSecret,
  ContactTokenSecretList,
  ContactTokenSecretWithValue,
  Me,
  RotatedContactTokenSecret,
  TokenPair,
} from './modules/auth/schemas.ts'
import { accessTokenKey } from './modules/auth/service.ts'
import { contactRoutes } from './modules/contacts/routes.ts'
import { Contact, ContactPage } from './modules/contacts/schemas.ts'
import { catalogRoutes } from './modules/departments/routes.ts'
import { Department, DepartmentPage } from './modules/departments/schemas.ts'
import { healthRoutes } from './modules/health/routes.ts'
import { kbPublicRoutes } from './modules/kb/public-routes.ts'
import { kbRoutes } from './modules/kb/routes.ts'
import { kbSchemas } from './modules/kb/schemas.ts'
import { organizationRoutes } from './modules/organizations/routes.ts'
import { Organization, OrganizationPage } from './modules/organizations/schemas.ts'
import { Priority, PriorityPage } from './modules/priorities/schemas.ts'
import { problemRoutes } from './modules/problems/routes.ts'
import { slaRoutes } from './modules/sla/routes.ts'
import {
  BusinessCalendar,
  BusinessCalendarPage,
  SlaPolicy,
  SlaPolicyPage,
  SlaReport,
  SlaTimer,
  TicketSla,
} from './modules/sla/schemas.ts'
import { ticketRoutes } from './modules/tickets/routes.ts'
import {
  Message,
  MessagePage,
  Ticket,
  TicketEvent,
  TicketEventPage,
  TicketPage,
} from './modules/tickets/schemas.ts'
import { workspaceRoutes } from './modules/workspaces/routes.ts'
import { CreatedWorkspace, Workspace, WorkspacePage } from './modules/workspaces/schemas.ts'
import auth from './plugins/auth.ts'
import browsers from './plugins/browsers.ts'
import errors, { frameworkError, MAX_PARAM_LENGTH } from './plugins/errors.ts'
import graphql from './plugins/graphql.ts'
import idempotency from './plugins/idempotency.ts'
import metrics from './plugins/metrics.ts'
import openapi from './plugins/openapi.ts'
import rateLimits from './plugins/rate-limit.ts'
import requestLog from './plugins/request-log.ts'
import routeRegistry from './plugins/route-registry.ts'
import textInput from './plugins/text-input.ts'
import { createServices, type Services } from './services.ts'

declare module 'fastify' {
  interface FastifyInstance {
    services: Services
  }
}

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string
}

/** Schemas referenced by name from routes; each becomes a component of the OpenAPI document. */
const sharedSchemas = [
  ProblemDetails,
  Workspace,
  ApiKey,
  ApiKeyWithSecret,
  CreatedWorkspace,
  WorkspacePage,
  ApiKeyPage,
  Contact,
  ContactPage,
  Organization,
  OrganizationPage,
  Department,
  DepartmentPage,
  Priority,
  PriorityPage,
  Agent,
  AgentPage,
  TokenPair,
  Me,
  ContactTokenSecret,
  ContactTokenSecretWithValue,
  RotatedContactTokenSecret,
  ContactTokenSecretList,
  ContactToken,
  Ticket,
  TicketPage,
  Message,
  MessagePage,
  TicketEvent,
  TicketEventPage,
  BusinessCalendar,
  BusinessCalendarPage,
  SlaPolicy,
  SlaPolicyPage,
  SlaTimer,
  TicketSla,
  SlaReport,
  ...kbSchemas,
]

const incomingRequestId = /^[\w.:-]{1,128}$/

/** The Fastify options of the service, used unchanged by the tests. */
export function fastifyOptions(config: Config, logStream?: DestinationStream): FastifyServerOptions {
  return {
    logger: {
      level: config.LOG_LEVEL,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          '*.password',
          '*.token',
          '*.secret',
          '*.apiKey.secret',
        ],
        censor: '[redacted]',
      },
      ...(logStream && { stream: logStream }),
    },
    genReqId: (req) => {
      const incoming = req.headers['x-request-id']
      return typeof incoming === 'string' && incomingRequestId.test(incoming) ? incoming : uuidv7()
    },
    // One line per request comes from the request-log plugin, with the workspace and route in it.
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    trustProxy: config.TRUST_PROXY,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkError,
  }
}

/** Builds the whole service on an open, migrated database; closing the app closes the database. */
export async function buildApp(config: Config, database: Database, logStream?: DestinationStream) {
  const app = Fastify(fastifyOptions(config, logStream)).withTypeProvider<TypeBoxTypeProvider>()
  await app.register(fastifyJwt, {
    secret: await accessTokenKey(database.db, config.ATIENDE_JWT_SECRET),
    sign: { algorithm: 'HS256' },
    verify: { algorithms: ['HS256'] },
  })
  const services = createServices(database.db, {
    jwt: app.jwt,
    passwordCost: { memoryKib: config.PASSWORD_HASH_MEMORY_KIB, iterations: config.PASSWORD_HASH_ITERATIONS },
    sessions: {
      accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlDays: config.REFRESH_TOKEN_TTL_DAYS,
      failuresPerAccount: config.LOGIN_FAILURES_PER_ACCOUNT,
      failuresPerIp: config.LOGIN_FAILURES_PER_IP,
      failureWindowSeconds: config.LOGIN_FAILURE_WINDOW_SECONDS,
    },
  })
  app.decorate('services', services)
  const stopWatching = await services.apiKeys.watchRevocations(database.listen).catch((err: unknown) => {
    app.log.warn({ err }, 'cannot hear API key revocations; authenticating without a cache')
    return async () => {}
  })
  const jobs =
    config.JOBS === 'in-process' ? await startJobs(database, { log: app.log, workers: true }) : null
  app.addHook('onClose', async () => {
    await jobs?.stop()
    await stopWatching()
    await database.close()
  })
  for (const schema of sharedSchemas) app.addSchema(schema)
  app.setValidatorCompiler(requestValidatorCompiler)

  await app.register(routeRegistry)
  await app.register(errors)
  await app.register(textInput)
  await app.register(requestLog)
  await app.register(auth, {
    platformToken: config.ATIENDE_PLATFORM_TOKEN,
    authenticate: services.authenticate,
  })
  await app.register(browsers, {
    settings: (id) => services.workspaces.settings(id),
    knownOrigins: () => services.workspaces.knownOrigins(),
  })
  await app.register(rateLimits, {
    settings: (id) => services.workspaces.settings(id),
    cachedSettings: (id) => services.workspaces.cachedSettings(id),
    defaults: {
      apiKey: config.RATE_LIMIT_API_KEY_PER_MINUTE,
      agent: config.RATE_LIMIT_AGENT_PER_MINUTE,
      contact: config.RATE_LIMIT_CONTACT_PER_MINUTE,
      anonymous: config.RATE_LIMIT_ANONYMOUS_PER_MINUTE,
    },
  })
  await app.register(idempotency, { db: database.db })
  await app.register(metrics, { poolStats: () => database.poolStats() })
  await app.register(openapi, { version })
  await app.register(graphql, {
    services,
    depthLimit: config.GRAPHQL_DEPTH_LIMIT,
    graphiql: config.NODE_ENV !== 'production',
  })

  await app.register(healthRoutes, {
    ready: async () => {
      await database.ping()
      const pending = await pendingMigrations(database.db)
      if (pending > 0) throw new Error(`${pending} migrations are not applied`)
    },
  })
  await app.register(problemRoutes)
  await app.register(workspaceRoutes)
  await app.register(apiKeyRoutes)
  await app.register(authRoutes)
  await app.register(agentRoutes)
  await app.register(contactRoutes)
  await app.register(organizationRoutes)
  await app.register(catalogRoutes)
  await app.register(ticketRoutes)
  await app.register(slaRoutes)
  await app.register(kbRoutes)
  await app.register(kbPublicRoutes)
  return app
}
export type App = Awaited<ReturnType<typeof buildApp>>
