import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export const apiDescription = `Headless customer-support API: tickets with messages and history, contacts, priorities and departments.

Authenticate with \`Authorization: Bearer <token>\`: an API key (\`atk_…\`) for a workspace, or the platform token for provisioning.
Errors are RFC 9457 problem details with a stable \`code\`. Lists are cursor-paginated (\`limit\`, \`cursor\` → \`nextCursor\`).
POST requests accept \`Idempotency-Key\`; single resources carry an \`ETag\` that \`PATCH\` checks through \`If-Match\`.`

/** OpenAPI 3.1 generated from the TypeBox route schemas, served at /openapi.json and rendered at /docs. */
export default fp<{ version: string }>(
  async function openapi(app: FastifyInstance, { version }) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: 'Atiende API', version, description: apiDescription },
        tags: [
          { name: 'tickets', description: 'Tickets, their messages and their history' },
          { name: 'contacts', description: 'Customers who request tickets' },
          { name: 'api-keys', description: 'Credentials of integrations' },
          { name: 'workspaces', description: 'Provisioning (platform token)' },
          { name: 'operations', description: 'Health, readiness and problem types' },
        ],
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', description: 'A workspace API key (`atk_…`).' },
            platformToken: {
              type: 'http',
              scheme: 'bearer',
              description: 'The platform token (ATIENDE_PLATFORM_TOKEN).',
            },
          },
        },
      },
      // GraphQL has its own contract (schema.graphql); only the tagged REST routes are documented here.
      hideUntagged: true,
      // Shared schemas keep their $id as their component name, so the document reads `#/components/schemas/Ticket`.
      refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    })
    await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } })
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  },
  { name: 'openapi' },
)

/** The OpenAPI document exactly as `npm run openapi` commits it to openapi/openapi.json. */
export function renderOpenApi(app: FastifyInstance): string {
  return `${JSON.stringify(app.swagger(), null, 2)}\n`
}
