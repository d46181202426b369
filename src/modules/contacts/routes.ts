import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errorResponses, Id } from '../../lib/api-schemas.ts'
import { Contact } from './schemas.ts'

export const contactRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const contacts = app.services.contacts

  app.get(
    '/v1/contacts/:id',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Get a contact',
        security: [{ bearer: [] }],
        params: Type.Object({ id: Id }),
        response: { 200: Type.Ref(Contact), ...errorResponses(404) },
      },
    },
    async (request) => contacts.get(request.actor, request.params.id),
  )
}
