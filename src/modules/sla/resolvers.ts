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
import type { Ticket } from '../tickets/view.ts'
import type { CalendarInput } from './calendars-service.ts'
import type { PolicyInput, TargetInput } from './policies-service.ts'
import type { ReportGrouping } from './report.ts'
import {
  CreateCalendarBody,
  CreatePolicyBody,
  ReorderPoliciesBody,
  UpdateCalendarBody,
  UpdatePolicyBody,
} from './schemas.ts'

/** A policy input as REST takes it: nested nulls dropped, a target's `priority: null` kept (every priority). */
function policyInput(input: Record<string, unknown>) {
  const body = withoutNulls(input, ['description'])
  const targets = body.targets as Record<string, unknown>[] | undefined
  return {
    ...body,
    ...(body.conditions !== undefined && {
      conditions: withoutNulls(body.conditions as Record<string, unknown>),
    }),
    ...(targets !== undefined && {
      targets: targets.map((t) => withoutNulls(t, ['priority', 'calendarId', 'warnBeforeMinutes'])),
    }),
  }
}

export const slaResolvers: IResolvers = {
  Query: {
    businessCalendar: (_root, args: { id: string }, { actor, services }) =>
      nullIfNotFound(services.sla.calendars.get(actor, args.id)),
    businessCalendars: async (_root, args, { actor, services }) =>
      toConnection(
        await services.sla.calendars.list(actor, pageArgs({ first: args.first ?? 100, after: args.after })),
      ),
    slaPolicy: (_root, args: { id: string }, { actor, services }) =>
      nullIfNotFound(services.sla.policies.get(actor, args.id)),
    slaPolicies: async (_root, args, { actor, services }) =>
      toConnection(
        await services.sla.policies.list(actor, pageArgs({ first: args.first ?? 100, after: args.after })),
      ),
    slaReport: (
      _root,
      args: { from?: string | null; to?: string | null; groupBy?: ReportGrouping | null },
      { actor, services },
    ) => services.sla.reports.sla(actor, withoutNulls(args)),
  },
  TicketSla: {
    policy: (sla: { policy: { id: string } | null }, _args, { actor, services }) =>
      sla.policy ? nullIfNotFound(services.sla.policies.get(actor, sla.policy.id)) : null,
  },
  Mutation: {
    createBusinessCalendar: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => ({
          businessCalendar: await services.sla.calendars.create(
            actor,
            validate(CreateCalendarBody, withoutNulls(args.input)),
          ),
        }),
        { businessCalendar: null },
      ),
    updateBusinessCalendar: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => ({
          businessCalendar: await services.sla.calendars.update(
            actor,
            args.id,
            validate(UpdateCalendarBody, withoutNulls(args.input)) as CalendarInput,
          ),
        }),
        { businessCalendar: null },
      ),
    deleteBusinessCalendar: (_root, args: { id: string }, { actor, services }) =>
      removed(() => services.sla.calendars.remove(actor, args.id), args.id),
    createSlaPolicy: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => ({
          slaPolicy: await services.sla.policies.create(
            actor,
            validate(CreatePolicyBody, policyInput(args.input)) as PolicyInput & {
              name: string
              targets: TargetInput[]
            },
          ),
        }),
        { slaPolicy: null },
      ),
    updateSlaPolicy: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => ({
          slaPolicy: await services.sla.policies.update(
            actor,
            args.id,
            validate(UpdatePolicyBody, policyInput(args.input)) as PolicyInput,
          ),
        }),
        { slaPolicy: null },
      ),
    deleteSlaPolicy: (_root, args: { id: string }, { actor, services }) =>
      removed(() => services.sla.policies.remove(actor, args.id), args.id),
    reorderSlaPolicies: (_root, args: { ids: string[] }, { actor, services }) =>
      withUserErrors(
        async () => ({
          slaPolicies: (await services.sla.policies.reorder(actor, validate(ReorderPoliciesBody, args).ids))
            .data,
        }),
        { slaPolicies: null },
      ),
  },
}

export const slaLoaders: MercuriusLoaders = {
  Ticket: {
    /** The SLA of every ticket of a response in one read; a contact gets only the due date of their answer. */
    async sla(queries: { obj: Ticket }[], { actor, services }) {
      const views = await services.sla.ticketSlas(
        actor,
        queries.map((q) => q.obj.id),
      )
      return queries.map((q) => {
        const view = views.get(q.obj.id)
        return {
          nextDueAt: view?.nextDueAt ?? null,
          breached: view?.breached ?? false,
          responseDueAt: view?.responseDueAt ?? null,
          policy: view?.policy ?? null,
          timers: view?.timers ?? [],
        }
      })
    },
  },
  Department: {
    async calendar(queries: { obj: { calendarId: string | null } }[], { actor, services }) {
      return Promise.all(
        queries.map((q) =>
          q.obj.calendarId ? nullIfNotFound(services.sla.calendars.get(actor, q.obj.calendarId)) : null,
        ),
      )
    },
  },
}
