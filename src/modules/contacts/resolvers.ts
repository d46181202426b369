import type { IResolvers, MercuriusLoaders } from 'mercurius'
import { validate } from '../../lib/validate.ts'
import { nullIfNotFound, pageArgs, toConnection, withoutNulls, withUserErrors } from '../graphql-support.ts'
import { CreateOrganizationBody, UpdateOrganizationBody } from '../organizations/schemas.ts'
import { CreateContactBody, UpdateContactBody, UpsertContactBody } from './schemas.ts'

/** Contact fields an explicit null clears. */
const clearable = ['email', 'name', 'externalId', 'phone', 'locale', 'organizationId', 'organizationRole']

type WithId = { id: string; organizationId?: string | null }

export const contactResolvers: IResolvers = {
  Query: {
    contact: (_root, args: { id: string }, { actor, services }) =>
      nullIfNotFound(services.contacts.get(actor, args.id)),
    contactByExternalId: (_root, args: { externalId: string }, { actor, services }) =>
      nullIfNotFound(services.contacts.getByExternalId(actor, args.externalId)),
    contacts: async (_root, args, { actor, services }) =>
      toConnection(await services.contacts.list(actor, withoutNulls(args.filter ?? {}), pageArgs(args))),
    organization: (_root, args: { id: string }, { actor, services }) =>
      nullIfNotFound(services.organizations.get(actor, args.id)),
    organizations: async (_root, args, { actor, services }) =>
      toConnection(await services.organizations.list(actor, withoutNulls(args.filter ?? {}), pageArgs(args))),
  },
  Mutation: {
    createContact: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => ({
          contact: await services.contacts.create(
            actor,
            validate(CreateContactBody, withoutNulls(args.input, clearable)),
          ),
        }),
        { contact: null },
      ),
    updateContact: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => ({
          contact: await services.contacts.update(
            actor,
            args.id,
            validate(UpdateContactBody, withoutNulls(args.input, clearable)),
          ),
        }),
        { contact: null },
      ),
    upsertContact: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => {
          const { externalId: _ignored, ...input } = withoutNulls(args.input, clearable)
          return services.contacts.upsertByExternalId(
            actor,
            args.externalId,
            validate(UpsertContactBody, input),
          )
        },
        { contact: null, created: null },
      ),
    deleteContact: (_root, args: { id: string }, { actor, services }) =>
      withUserErrors(
        async () => {
          await services.contacts.remove(actor, args.id)
          return { deletedId: args.id }
        },
        { deletedId: null },
      ),
    createContactToken: (_root, args: { contactId: string; expiresIn: number }, { actor, services }) =>
      withUserErrors(
        async () => {
          if (!Number.isInteger(args.expiresIn) || args.expiresIn < 60 || args.expiresIn > 86_400) {
            throw validate(
              { type: 'integer', minimum: 60, maximum: 86_400 } as never,
              args.expiresIn,
              'expiresIn',
            )
          }
          return services.contactTokens.mint(actor, args.contactId, args.expiresIn)
        },
        { token: null, expiresAt: null },
      ),
    createOrganization: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => ({
          organization: await services.organizations.create(
            actor,
            validate(CreateOrganizationBody, withoutNulls(args.input)),
          ),
        }),
        { organization: null },
      ),
    updateOrganization: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => ({
          organization: await services.organizations.update(
            actor,
            args.id,
            validate(UpdateOrganizationBody, withoutNulls(args.input, ['externalId'])),
          ),
        }),
        { organization: null },
      ),
    deleteOrganization: (_root, args: { id: string }, { actor, services }) =>
      withUserErrors(
        async () => {
          await services.organizations.remove(actor, args.id)
          return { deletedId: args.id }
        },
        { deletedId: null },
      ),
    setOrganizationMember: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => ({
          contact: await services.organizations.setMember(
            actor,
            args.organizationId,
            args.contactId,
            args.role ?? 'member',
          ),
        }),
        { contact: null },
      ),
    removeOrganizationMember: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => {
          await services.organizations.removeMember(actor, args.organizationId, args.contactId)
          return { deletedId: args.contactId }
        },
        { deletedId: null },
      ),
  },
  Contact: {
    tickets: async (contact: WithId, args, { actor, services }) =>
      toConnection(
        await services.tickets.list(actor, { requesterId: [contact.id] }, '-createdAt', pageArgs(args)),
      ),
  },
  Organization: {
    members: async (organization: WithId, args, { actor, services }) =>
      toConnection(await services.contacts.list(actor, { organizationId: organization.id }, pageArgs(args))),
    tickets: async (organization: WithId, args, { actor, services }) =>
      toConnection(
        await services.tickets.list(
          actor,
          { organizationId: [organization.id] },
          '-createdAt',
          pageArgs(args),
        ),
      ),
  },
}

export const contactLoaders: MercuriusLoaders = {
  Contact: {
    async organization(queries: { obj: WithId }[], { actor, services }) {
      const ids = queries.flatMap((q) => (q.obj.organizationId ? [q.obj.organizationId] : []))
      if (ids.length === 0) return queries.map(() => null)
      const byId = new Map((await services.organizations.byIds(actor, ids)).map((o) => [o.id, o]))
      return queries.map((q) => (q.obj.organizationId ? (byId.get(q.obj.organizationId) ?? null) : null))
    },
  },
}
