import type { JWT } from '@fastify/jwt'
import type { Actor } from './auth/actor.ts'
import type { Db } from './db/client.ts'
import { createAgentsService } from './modules/agents/service.ts'
import { createApiKeysService } from './modules/api-keys/service.ts'
import { createAuthenticator } from './modules/auth/authenticate.ts'
import { createContactTokensService } from './modules/auth/contact-tokens.ts'
import { describeActor } from './modules/auth/me.ts'
import { createPasswords, type PasswordCost } from './modules/auth/passwords.ts'
import { createSessionsService, type SessionSettings } from './modules/auth/service.ts'
import { createContactsService } from './modules/contacts/service.ts'
import { createDepartmentsService } from './modules/departments/service.ts'
import { createKbService } from './modules/kb/service.ts'
import { createOrganizationsService } from './modules/organizations/service.ts'
import { createPrioritiesService } from './modules/priorities/service.ts'
import { createSlaService } from './modules/sla/service.ts'
import { createTicketsService } from './modules/tickets/service.ts'
import { createWorkspacesService } from './modules/workspaces/service.ts'

export interface ServiceSettings {
  /** Signs agent access tokens and verifies contact tokens (@fastify/jwt's instance). */
  jwt: JWT
  passwordCost: PasswordCost
  sessions: SessionSettings
}

/** The services both API faces call: REST routes and GraphQL resolvers reach the data only through these. */
export function createServices(db: Db, settings: ServiceSettings) {
  const passwords = createPasswords(settings.passwordCost)
  const apiKeys = createApiKeysService(db)
  const sessions = createSessionsService(db, settings.jwt, passwords, settings.sessions)
  const contactTokens = createContactTokensService(db, settings.jwt)
  const workspaces = createWorkspacesService(db, passwords)
  return {
    /** Who a token speaks for (`GET /v1/me`, `query { me }`). */
    me: (actor: Actor) => describeActor(db, actor),
    authenticate: createAuthenticator(settings.jwt, apiKeys, sessions, contactTokens),
    workspaces,
    apiKeys,
    sessions,
    contactTokens,
    agents: createAgentsService(db, passwords),
    contacts: createContactsService(db),
    organizations: createOrganizationsService(db),
    priorities: createPrioritiesService(db),
    departments: createDepartmentsService(db),
    tickets: createTicketsService(db),
    sla: createSlaService(db),
    kb: createKbService(db, (workspaceId) => workspaces.settings(workspaceId)),
  }
}
export type Services = ReturnType<typeof createServices>
