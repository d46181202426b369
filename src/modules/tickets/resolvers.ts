import type { IResolvers, MercuriusLoaders } from 'mercurius'
import { validate } from '../../lib/validate.ts'
import {
  nullIfNotFound,
  pageArgs,
  ticketRefInput,
  toConnection,
  withoutNulls,
  withUserErrors,
} from '../graphql-support.ts'
import type { TicketFilter, TicketSort } from './queries.ts'
import { AddMessageBody, CreateTicketBody, UpdateTicketBody } from './schemas.ts'
import type { Ticket } from './view.ts'

type RefArgs = { id?: string | null; number?: number | null }

export const ticketResolvers: IResolvers = {
  Query: {
    ticket: (_root, args: RefArgs, { actor, services }) =>
      nullIfNotFound(services.tickets.get(actor, ticketRefInput(args, 'ticket'))),

    tickets: async (_root, args, { actor, services }) => {
      const sort: TicketSort = args.sort
        ? (`${args.sort.direction === 'ASC' ? '' : '-'}${args.sort.field}` as TicketSort)
        : '-createdAt'
      const filter = withoutNulls((args.filter ?? {}) as Record<string, unknown>) as TicketFilter
      return toConnection(await services.tickets.list(actor, filter, sort, pageArgs(args)))
    },
  },

  Mutation: {
    createTicket: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => {
          const input = withoutNulls(args.input)
          if (input.requester) input.requester = withoutNulls(input.requester)
          return { ticket: await services.tickets.create(actor, validate(CreateTicketBody, input)) }
        },
        { ticket: null },
      ),

    updateTicket: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => {
          const ref = ticketRefInput(args.ticket, 'ticket')
          const input = validate(
            UpdateTicketBody,
            withoutNulls(args.input, ['assigneeId', 'type', 'externalRef']),
          )
          const expected = args.expectedVersion == null ? undefined : [args.expectedVersion as number]
          return { ticket: await services.tickets.update(actor, ref, input, expected) }
        },
        { ticket: null },
      ),

    addMessage: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => {
          const ref = ticketRefInput(args.ticket, 'ticket')
          const { asRequester, ...rest } = withoutNulls(args.input)
          const input = validate(AddMessageBody, { ...rest, ...(asRequester ? { author: 'requester' } : {}) })
          const message = await services.tickets.addMessage(actor, ref, input)
          return { message, ticket: await services.tickets.get(actor, { id: message.ticketId }) }
        },
        { message: null, ticket: null },
      ),
  },

  Ticket: {
    messages: async (ticket: Ticket, args, { actor, services }) =>
      toConnection(await services.tickets.listMessages(actor, { id: ticket.id }, pageArgs(args))),
    events: async (ticket: Ticket, args, { actor, services }) =>
      toConnection(await services.tickets.listEvents(actor, { id: ticket.id }, pageArgs(args))),
  },
}

/** One query per relation for all tickets of a response, whatever their number. */
export const ticketLoaders: MercuriusLoaders = {
  Ticket: {
    async requester(queries: { obj: Ticket }[], { actor, services }) {
      const rows = await services.contacts.byIds(
        actor,
        queries.map((q) => q.obj.requester.id),
      )
      const byId = new Map(rows.map((r) => [r.id, r]))
      return queries.map((q) => byId.get(q.obj.requester.id) ?? null)
    },
    async organization(queries: { obj: Ticket }[], { actor, services }) {
      const ids = queries.flatMap((q) => (q.obj.organizationId ? [q.obj.organizationId] : []))
      if (ids.length === 0) return queries.map(() => null)
      const byId = new Map((await services.organizations.byIds(actor, ids)).map((r) => [r.id, r]))
      return queries.map((q) => (q.obj.organizationId ? (byId.get(q.obj.organizationId) ?? null) : null))
    },
    // A contact's tickets carry no assignee, so a contact never asks for agents.
    async assignee(queries: { obj: Ticket }[], { actor, services }) {
      const ids = queries.flatMap((q) => (q.obj.assigneeId ? [q.obj.assigneeId] : []))
      if (ids.length === 0) return queries.map(() => null)
      const byId = new Map((await services.agents.byIds(actor, ids)).map((r) => [r.id, r]))
      return queries.map((q) => (q.obj.assigneeId ? (byId.get(q.obj.assigneeId) ?? null) : null))
    },
    async priority(queries: { obj: Ticket }[], { actor, services }) {
      const ids = queries.flatMap((q) => (q.obj.priority ? [q.obj.priority.id] : []))
      const byId = new Map((await services.priorities.byIds(actor, ids)).map((r) => [r.id, r]))
      return queries.map((q) => (q.obj.priority ? (byId.get(q.obj.priority.id) ?? null) : null))
    },
    async department(queries: { obj: Ticket }[], { actor, services }) {
      const ids = queries.flatMap((q) => (q.obj.department ? [q.obj.department.id] : []))
      const byId = new Map((await services.departments.byIds(actor, ids)).map((r) => [r.id, r]))
      return queries.map((q) => (q.obj.department ? (byId.get(q.obj.department.id) ?? null) : null))
    },
  },
}
