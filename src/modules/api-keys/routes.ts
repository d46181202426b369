import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errorResponses, Id, PageOnlyQuery } from '../../lib/api-schemas.ts'
import { ApiKeyPage, ApiKeyWithSecret, CreateApiKeyBody } from './schemas.ts'

export const apiKeyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const apiKeys = app.services.apiKeys
  const tags = ['api-keys']
  const security = [{ bearer: [] }]

  app.post(
    '/v1/api-keys',
    {
      config: { revealsSecret: true },
      schema: {
        tags,
        summary: 'Create an API key',
        description: 'The secret is in this response only; it is stored as a hash.',
        security,
        body: CreateApiKeyBody,
        response: { 201: Type.Ref(ApiKeyWithSecret), ...errorResponses(409, 422) },
      },
    },
    async (request, reply) => {
      const key = await apiKeys.create(request.actor, request.body)
      reply.code(201).header('location', `/v1/api-keys/${key.id}`)
      return key
    },
  )

  app.get(
    '/v1/api-keys',
    {
      schema: {
        tags,
        summary: 'List API keys',
        description: 'Newest first; never includes secrets.',
        security,
        querystring: PageOnlyQuery,
        response: { 200: Type.Ref(ApiKeyPage), ...errorResponses() },
      },
    },
    async (request) => apiKeys.list(request.actor, request.query),
  )

  app.delete(
    '/v1/api-keys/:id',
    {
      schema: {
        tags,
        summary: 'Revoke an API key',
        description: 'The key stops working at once.',
        security,
        params: Type.Object({ id: Id }),
        response: { 204: Type.Null(), ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      await apiKeys.revoke(request.actor, request.params.id)
      return reply.code(204).send(null)
    },
  )
}
