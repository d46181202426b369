import type { IResolvers, MercuriusLoaders } from 'mercurius'
import type { Role } from '../../auth/actor.ts'
import { validate } from '../../lib/validate.ts'
import { nullIfNotFound, pageArgs, toConnection, withoutNulls, withUserErrors } from '../graphql-support.ts'
import { CreateAgentBody, UpdateAgentBody } from './schemas.ts'
import type { Agent } from './service.ts'

export const agentResolvers: IResolvers = {
  Query: {
    me: (_root, _args, { actor, services }) => services.me(actor),
    agent: (_root, args: { id: string }, { actor, services }) =>
      nullIfNotFound(services.agents.get(actor, args.id)),
    agents: async (_root, args, { actor, services }) => {
      const filter = withoutNulls(
        (args.filter ?? {}) as { role?: Role[]; active?: boolean; departmentId?: string },
      )
      return toConnection(await services.agents.list(actor, filter, pageArgs(args)))
    },
  },
  Mutation: {
    createAgent: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => ({
          agent: await services.agents.create(actor, validate(CreateAgentBody, withoutNulls(args.input))),
        }),
        { agent: null },
      ),
    updateAgent: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => ({
          agent: await services.agents.update(
            actor,
            args.id,
            validate(UpdateAgentBody, withoutNulls(args.input)),
          ),
        }),
        { agent: null },
      ),
  },
  Me: {
    // The agent's full record, read as themself (every role may read agents).
    agent: (me: { kind: string; agent: { id: string } | null }, _args, { actor, services }) =>
      me.agent ? services.agents.get(actor, me.agent.id) : null,
  },
}

export const agentLoaders: MercuriusLoaders = {
  Agent: {
    async departments(queries: { obj: Agent }[], { actor, services }) {
      const ids = queries.flatMap((q) => q.obj.departmentIds)
      const byId = new Map((await services.departments.byIds(actor, ids)).map((d) => [d.id, d]))
      return queries.map((q) => q.obj.departmentIds.flatMap((id) => byId.get(id) ?? []))
    },
  },
}
