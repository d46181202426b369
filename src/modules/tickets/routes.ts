import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type Static, Type } from '@sinclair/typebox'
import type { FastifyReply } from 'fastify'
import type { Actor } from '../../auth/actor.ts'
import { errorResponses, Id, PageOnlyQuery, splitList } from '../../lib/api-schemas.ts'
import { etag, parseIfMatch } from '../../lib/etag.ts'
import { parseTicketRef } from '../../lib/refs.ts'
import type { TicketSort } from './queries.ts'
import {
  AddMessageBody,
  CreateTicketBody,
  Message,
  MessagePage,
  Ticket,
  TicketEventPage,
  TicketListQuery,
  TicketPage,
  TicketParams,
  UpdateTicketBody,
} from './schemas.ts'

const tags = ['tickets']

/**
 * Sends JSON text that PostgreSQL wrote to the route's response schema (see `ticketDocument`): Fastify
 * sends a string as it is, and the type provider, which only knows the schema's object type, is told so.
 */
const sendJsonText = (reply: FastifyReply, text: string) =>
  reply.type('application/json; charset=utf-8').send(text)
const security = [{ bearer: [] }]

export const ticketRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tickets = app.services.tickets

  async function sendTicketPage(reply: FastifyReply, actor: Actor, query: Static<typeof TicketListQuery>) {
    const {
      sort,
      limit,
      cursor,
      status,
      priority,
      departmentId,
      assigneeId,
      assignee,
      requesterId,
      organizationId,
      tag,
      ...rest
    } = query
    const filter = {
      ...rest,
      status: splitList(status),
      priority: splitList(priority),
      departmentId: splitList(departmentId),
      assigneeId: splitList(assigneeId),
      assignee: splitList(assignee),
      requesterId: splitList(requesterId),
      organizationId: splitList(organizationId),
      tag: splitList(tag),
    }
    const page = await tickets.listDocuments(actor, filter, (sort ?? '-createdAt') as TicketSort, {
      limit,
      cursor,
    })
    return sendJsonText(
      reply,
      `{"data":[${page.documents.join(',')}],"nextCursor":${JSON.stringify(page.nextCursor)}}`,
    )
  }

  app.post(
    '/v1/tickets',
    {
      schema: {
        tags,
        summary: 'Create a ticket',
        description:
          'Creates a ticket with its first message. The requester is found or created by id, externalId or e-mail.',
        security,
        body: CreateTicketBody,
        response: { 201: Type.Ref(Ticket), ...errorResponses(409, 422) },
      },
    },
    async (request, reply) => {
      const ticket = await tickets.create(request.actor, request.body)
      reply.code(201).header('location', `/v1/tickets/${ticket.id}`).header('etag', etag(ticket.version))
      return ticket
    },
  )

  app.get(
    '/v1/tickets',
    {
      schema: {
        tags,
        summary: 'List tickets',
        description:
          "Filters are comma-separated lists; `sort` names one field, `-` for descending (`priority`: most urgent first). A contact sees only their own tickets (an authorized member: their organization's too).",
        security,
        querystring: TicketListQuery,
        response: { 200: Type.Ref(TicketPage), ...errorResponses() },
      },
    },
    async (request, reply) => sendTicketPage(reply, request.actor, request.query),
  )

  /** A list of tickets narrowed to one requester or organization, with every filter of `GET /v1/tickets`. */
  const subList = (url: string, summary: string, field: 'requesterId' | 'organizationId') =>
    app.get(
      url,
      {
        schema: {
          tags,
          summary,
          security,
          params: Type.Object({ id: Id }),
          querystring: Type.Omit(TicketListQuery, [field]),
          response: { 200: Type.Ref(TicketPage), ...errorResponses(404) },
        },
      },
      async (request, reply) => {
        if (field === 'requesterId')
          await app.services.contacts.assertExists(request.actor, request.params.id)
        else await app.services.organizations.assertExists(request.actor, request.params.id)
        return sendTicketPage(reply, request.actor, { ...request.query, [field]: request.params.id })
      },
    )
  subList('/v1/contacts/:id/tickets', "A contact's tickets", 'requesterId')
  subList('/v1/organizations/:id/tickets', "An organization's tickets", 'organizationId')

  app.get(
    '/v1/tickets/:idOrNumber',
    {
      schema: {
        tags,
        summary: 'Get a ticket by id or number',
        security,
        params: TicketParams,
        response: { 200: Type.Ref(Ticket), ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      const { document, version } = await tickets.getDocument(
        request.actor,
        parseTicketRef(request.params.idOrNumber),
      )
      reply.header('etag', etag(version))
      return sendJsonText(reply, document)
    },
  )

  app.patch(
    '/v1/tickets/:idOrNumber',
    {
      schema: {
        tags,
        summary: 'Update a ticket',
        description:
          'Changes the given fields. With `If-Match` (the ETag of a previous read), a stale version answers 412. Status changes follow the lifecycle; a closed ticket is read-only (409).',
        security,
        params: TicketParams,
        headers: Type.Object({ 'if-match': Type.Optional(Type.String({ maxLength: 200 })) }),
        body: UpdateTicketBody,
        response: { 200: Type.Ref(Ticket), ...errorResponses(404, 409, 412) },
      },
    },
    async (request, reply) => {
      const ref = parseTicketRef(request.params.idOrNumber)
      const ticket = await tickets.update(
        request.actor,
        ref,
        request.body,
        parseIfMatch(request.headers['if-match']),
      )
      reply.header('etag', etag(ticket.version))
      return ticket
    },
  )

  app.post(
    '/v1/tickets/:idOrNumber/messages',
    {
      schema: {
        tags,
        summary: 'Add a public reply or an internal note',
        security,
        params: TicketParams,
        body: AddMessageBody,
        response: { 201: Type.Ref(Message), ...errorResponses(404, 409, 422) },
      },
    },
    async (request, reply) => {
      const ref = parseTicketRef(request.params.idOrNumber)
      const message = await tickets.addMessage(request.actor, ref, request.body)
      reply.code(201).header('location', `/v1/tickets/${message.ticketId}/messages/${message.id}`)
      return message
    },
  )

  app.get(
    '/v1/tickets/:idOrNumber/messages',
    {
      schema: {
        tags,
        summary: "List a ticket's messages, oldest first",
        security,
        params: TicketParams,
        querystring: PageOnlyQuery,
        response: { 200: Type.Ref(MessagePage), ...errorResponses(404) },
      },
    },
    async (request) =>
      tickets.listMessages(request.actor, parseTicketRef(request.params.idOrNumber), request.query),
  )

  app.get(
    '/v1/tickets/:idOrNumber/messages/:messageId',
    {
      schema: {
        tags,
        summary: 'Get one message',
        security,
        params: Type.Object({ ...TicketParams.properties, messageId: Id }),
        response: { 200: Type.Ref(Message), ...errorResponses(404) },
      },
    },
    async (request) =>
      tickets.getMessage(request.actor, parseTicketRef(request.params.idOrNumber), request.params.messageId),
  )

  app.get(
    '/v1/tickets/:idOrNumber/events',
    {
      schema: {
        tags,
        summary: "A ticket's written history",
        description: 'Every change, oldest first, with actor, time and `changes` as `{ field: [from, to] }`.',
        security,
        params: TicketParams,
        querystring: PageOnlyQuery,
        response: { 200: Type.Ref(TicketEventPage), ...errorResponses(404) },
      },
    },
    async (request) =>
      tickets.listEvents(request.actor, parseTicketRef(request.params.idOrNumber), request.query),
  )
}
