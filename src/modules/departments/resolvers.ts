import type { IResolvers, MercuriusLoaders } from 'mercurius'
import { validate } from '../../lib/validate.ts'
import {
  nullIfNotFound,
  pageArgs,
  removed,
  toConnection,
  withoutNulls,
  withUserErrors,
} from '../graphql-support.ts'
import { CreatePriorityBody, UpdatePriorityBody } from '../priorities/schemas.ts'
import { CreateDepartmentBody, UpdateDepartmentBody } from './schemas.ts'

type DepartmentView = { memberIds: string[]; defaultPriorityId: string | null }

export const catalogResolvers: IResolvers = {
  Query: {
    department: (_root, args: { ref: string }, { actor, services }) =>
      nullIfNotFound(services.departments.get(actor, args.ref)),
    departments: async (_root, args, { actor, services }) =>
      toConnection(
        await services.departments.list(actor, pageArgs({ first: args.first ?? 100, after: args.after })),
      ),
    priority: (_root, args: { ref: string }, { actor, services }) =>
      nullIfNotFound(services.priorities.get(actor, args.ref)),
    priorities: async (_root, args, { actor, services }) =>
      toConnection(
        await services.priorities.list(actor, pageArgs({ first: args.first ?? 100, after: args.after })),
      ),
  },
  Mutation: {
    createDepartment: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => ({
          department: await services.departments.create(
            actor,
            validate(CreateDepartmentBody, withoutNulls(args.input)),
          ),
        }),
        { department: null },
      ),
    updateDepartment: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => ({
          department: await services.departments.update(
            actor,
            args.ref,
            validate(
              UpdateDepartmentBody,
              withoutNulls(args.input, ['description', 'email', 'defaultPriority']),
            ),
          ),
        }),
        { department: null },
      ),
    deleteDepartment: async (_root, args: { ref: string; moveTo?: string | null }, { actor, services }) =>
      removed(() => services.departments.remove(actor, args.ref, args.moveTo ?? undefined), args.ref),
    createPriority: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => ({
          priority: await services.priorities.create(
            actor,
            validate(CreatePriorityBody, withoutNulls(args.input)),
          ),
        }),
        { priority: null },
      ),
    updatePriority: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => ({
          priority: await services.priorities.update(
            actor,
            args.ref,
            validate(UpdatePriorityBody, withoutNulls(args.input, ['color'])),
          ),
        }),
        { priority: null },
      ),
    deletePriority: async (_root, args: { ref: string; moveTo?: string | null }, { actor, services }) =>
      removed(() => services.priorities.remove(actor, args.ref, args.moveTo ?? undefined), args.ref),
  },
}

export const catalogLoaders: MercuriusLoaders = {
  Department: {
    async members(queries: { obj: DepartmentView }[], { actor, services }) {
      const ids = queries.flatMap((q) => q.obj.memberIds)
      if (ids.length === 0) return queries.map(() => [])
      const byId = new Map((await services.agents.byIds(actor, ids)).map((a) => [a.id, a]))
      return queries.map((q) => q.obj.memberIds.flatMap((id) => byId.get(id) ?? []))
    },
    async defaultPriority(queries: { obj: DepartmentView }[], { actor, services }) {
      const ids = queries.flatMap((q) => (q.obj.defaultPriorityId ? [q.obj.defaultPriorityId] : []))
      if (ids.length === 0) return queries.map(() => null)
      const byId = new Map((await services.priorities.byIds(actor, ids)).map((p) => [p.id, p]))
      return queries.map((q) =>
        q.obj.defaultPriorityId ? (byId.get(q.obj.defaultPriorityId) ?? null) : null,
      )
    },
  },
}
