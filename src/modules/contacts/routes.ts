import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errorResponses, Id } from '../../lib/api-schemas.ts'
import {
  Contact,
  ContactListQuery,
  ContactPage,
  CreateContactBody,
  ExternalIdParams,
  UpdateContactBody,
  UpsertContactBody,
} from './schemas.ts'

export const contactRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const contacts = app.services.contacts
  const tags = ['contacts']
  const security = [{ bearer: [] }]
  const params = Type.Object({ id: Id })

  app.post(
    '/v1/contacts',
    {
      schema: {
        tags,
        summary: 'Create a contact',
        security,
        body: CreateContactBody,
        response: { 201: Type.Ref(Contact), ...errorResponses(409, 422) },
      },
    },
    async (request, reply) => {
      const contact = await contacts.create(request.actor, request.body)
      return reply.code(201).header('location', `/v1/contacts/${contact.id}`).send(contact)
    },
  )

  app.get(
    '/v1/contacts',
    {
      schema: {
        tags,
        summary: 'List contacts',
        description: 'Newest first. `email` matches whatever its case; `q` finds part of a name or e-mail.',
        security,
        querystring: ContactListQuery,
        response: { 200: Type.Ref(ContactPage), ...errorResponses() },
      },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query
      return contacts.list(request.actor, filter, { limit, cursor })
    },
  )

  app.get(
    '/v1/contacts/:id',
    {
      schema: {
        tags,
        summary: 'Get a contact',
        security,
        params,
        response: { 200: Type.Ref(Contact), ...errorResponses(404) },
      },
    },
    async (request) => contacts.get(request.actor, request.params.id),
  )

  app.patch(
    '/v1/contacts/:id',
    {
      schema: {
        tags,
        summary: 'Change a contact',
        security,
        params,
        body: UpdateContactBody,
        response: { 200: Type.Ref(Contact), ...errorResponses(404, 409) },
      },
    },
    async (request) => contacts.update(request.actor, request.params.id, request.body),
  )

  app.delete(
    '/v1/contacts/:id',
    {
      schema: {
        tags,
        summary: 'Delete a contact',
        description: 'Only a contact without tickets; one with tickets answers 409.',
        security,
        params,
        response: { 204: Type.Null(), ...errorResponses(404, 409) },
      },
    },
    async (request, reply) => {
      await contacts.remove(request.actor, request.params.id)
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/v1/contacts/by-external-id/:externalId',
    {
      schema: {
        tags,
        summary: 'Get a contact by externalId',
        security,
        params: ExternalIdParams,
        response: { 200: Type.Ref(Contact), ...errorResponses(404) },
      },
    },
    async (request) => contacts.getByExternalId(request.actor, request.params.externalId),
  )

  app.put(
    '/v1/contacts/by-external-id/:externalId',
    {
      schema: {
        tags,
        summary: 'Create or update a contact by externalId',
        description:
          'The call a shop makes on every order: creates the contact (201) or updates the given fields (200). Safe under concurrency. A contact known only by the same e-mail address is given the externalId rather than a twin.',
        security,
        params: ExternalIdParams,
        body: UpsertContactBody,
        response: { 200: Type.Ref(Contact), 201: Type.Ref(Contact), ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const { created, contact } = await contacts.upsertByExternalId(
        request.actor,
        request.params.externalId,
        request.body,
      )
      if (created) reply.code(201).header('location', `/v1/contacts/${contact.id}`)
      return contact
    },
  )
}
