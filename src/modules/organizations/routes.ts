import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errorResponses, Id, PageQuery } from '../../lib/api-schemas.ts'
import { Contact, ContactPage } from '../contacts/schemas.ts'
import {
  CreateOrganizationBody,
  MemberBody,
  Organization,
  OrganizationListQuery,
  OrganizationPage,
  UpdateOrganizationBody,
} from './schemas.ts'

export const organizationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { organizations, contacts } = app.services
  const tags = ['organizations']
  const security = [{ bearer: [] }]
  const params = Type.Object({ id: Id })
  const memberParams = Type.Object({ id: Id, contactId: Id })

  app.post(
    '/v1/organizations',
    {
      schema: {
        tags,
        summary: 'Create an organization',
        security,
        body: CreateOrganizationBody,
        response: { 201: Type.Ref(Organization), ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const organization = await organizations.create(request.actor, request.body)
      return reply.code(201).header('location', `/v1/organizations/${organization.id}`).send(organization)
    },
  )

  app.get(
    '/v1/organizations',
    {
      schema: {
        tags,
        summary: 'List organizations',
        description: 'Newest first.',
        security,
        querystring: OrganizationListQuery,
        response: { 200: Type.Ref(OrganizationPage), ...errorResponses() },
      },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query
      return organizations.list(request.actor, filter, { limit, cursor })
    },
  )

  app.get(
    '/v1/organizations/:id',
    {
      schema: {
        tags,
        summary: 'Get an organization',
        security,
        params,
        response: { 200: Type.Ref(Organization), ...errorResponses(404) },
      },
    },
    async (request) => organizations.get(request.actor, request.params.id),
  )

  app.patch(
    '/v1/organizations/:id',
    {
      schema: {
        tags,
        summary: 'Change an organization',
        security,
        params,
        body: UpdateOrganizationBody,
        response: { 200: Type.Ref(Organization), ...errorResponses(404, 409) },
      },
    },
    async (request) => organizations.update(request.actor, request.params.id, request.body),
  )

  app.delete(
    '/v1/organizations/:id',
    {
      schema: {
        tags,
        summary: 'Delete an organization',
        description: 'Only one without tickets (409 otherwise); its contacts remain, in no organization.',
        security,
        params,
        response: { 204: Type.Null(), ...errorResponses(404, 409) },
      },
    },
    async (request, reply) => {
      await organizations.remove(request.actor, request.params.id)
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/v1/organizations/:id/members',
    {
      schema: {
        tags,
        summary: "An organization's contacts",
        security,
        params,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: Type.Ref(ContactPage), ...errorResponses(404) },
      },
    },
    async (request) => {
      await organizations.assertExists(request.actor, request.params.id)
      return contacts.list(request.actor, { organizationId: request.params.id }, request.query)
    },
  )

  app.put(
    '/v1/organizations/:id/members/:contactId',
    {
      schema: {
        tags,
        summary: 'Add a contact to the organization, or change their role',
        description: 'A contact belongs to one organization: adding them here moves them from any other.',
        security,
        params: memberParams,
        body: MemberBody,
        response: { 200: Type.Ref(Contact), ...errorResponses(404) },
      },
    },
    async (request) =>
      organizations.setMember(
        request.actor,
        request.params.id,
        request.params.contactId,
        request.body.role ?? 'member',
      ),
  )

  app.delete(
    '/v1/organizations/:id/members/:contactId',
    {
      schema: {
        tags,
        summary: 'Remove a contact from the organization',
        security,
        params: memberParams,
        response: { 204: Type.Null(), ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      await organizations.removeMember(request.actor, request.params.id, request.params.contactId)
      return reply.code(204).send(null)
    },
  )
}
