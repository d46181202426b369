import type { Db } from './db/client.ts'
import { createApiKeysService } from './modules/api-keys/service.ts'
import { createContactsService } from './modules/contacts/service.ts'
import { createDepartmentsService } from './modules/departments/service.ts'
import { createPrioritiesService } from './modules/priorities/service.ts'
import { createTicketsService } from './modules/tickets/service.ts'
import { createWorkspacesService } from './modules/workspaces/service.ts'

/** The services both API faces call: REST routes and GraphQL resolvers reach the data only through these. */
export function createServices(db: Db) {
  return {
    workspaces: createWorkspacesService(db),
    apiKeys: createApiKeysService(db),
    contacts: createContactsService(db),
    priorities: createPrioritiesService(db),
    departments: createDepartmentsService(db),
    tickets: createTicketsService(db),
  }
}
export type Services = ReturnType<typeof createServices>
