import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errorResponses } from '../../lib/api-schemas.ts'
import { parseTicketRef } from '../../lib/refs.ts'
import { TicketParams } from '../tickets/schemas.ts'
import type { CalendarInput } from './calendars-service.ts'
import type { PolicyInput, TargetInput } from './policies-service.ts'
import {
  BusinessCalendar,
  BusinessCalendarPage,
  CreateCalendarBody,
  CreatePolicyBody,
  IdParams,
  ListQuery,
  ReorderPoliciesBody,
  SlaPolicy,
  SlaPolicyPage,
  SlaReport,
  SlaReportQuery,
  TicketSla,
  UpdateCalendarBody,
  UpdatePolicyBody,
} from './schemas.ts'

const security = [{ bearer: [] }]

/** Business-hours calendars, SLA policies, a ticket's timers and the SLA report. */
export const slaRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { calendars, policies, reports } = app.services.sla

  const calendarTags = ['business hours']
  app.get(
    '/v1/business-hours',
    {
      schema: {
        tags: calendarTags,
        summary: 'List business-hours calendars',
        description:
          'Includes the built-in 24/7 calendar. Readable by the whole workspace, contacts included.',
        security,
        querystring: ListQuery,
        response: { 200: Type.Ref(BusinessCalendarPage), ...errorResponses() },
      },
    },
    async (request) => calendars.list(request.actor, request.query),
  )
  app.post(
    '/v1/business-hours',
    {
      schema: {
        tags: calendarTags,
        summary: 'Create a business-hours calendar',
        description:
          "Weekly intervals in the calendar's time zone (any number a day; none may cross midnight or overlap another), explicit holidays, and holiday regions resolved with date-holidays (public and bank holidays).",
        security,
        body: CreateCalendarBody,
        response: { 201: Type.Ref(BusinessCalendar), ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const created = await calendars.create(request.actor, request.body)
      return reply.code(201).header('location', `/v1/business-hours/${created.id}`).send(created)
    },
  )
  app.get(
    '/v1/business-hours/:id',
    {
      schema: {
        tags: calendarTags,
        summary: 'Get a business-hours calendar',
        security,
        params: IdParams,
        response: { 200: Type.Ref(BusinessCalendar), ...errorResponses(404) },
      },
    },
    async (request) => calendars.get(request.actor, request.params.id),
  )
  app.patch(
    '/v1/business-hours/:id',
    {
      schema: {
        tags: calendarTags,
        summary: 'Change a business-hours calendar',
        description:
          'Running timers that count on the calendar move at once: the business time each used under the old hours stays used, and what remains counts on the new hours from now.',
        security,
        params: IdParams,
        body: UpdateCalendarBody,
        response: { 200: Type.Ref(BusinessCalendar), ...errorResponses(404, 409) },
      },
    },
    async (request) => calendars.update(request.actor, request.params.id, request.body as CalendarInput),
  )
  app.delete(
    '/v1/business-hours/:id',
    {
      schema: {
        tags: calendarTags,
        summary: 'Delete a business-hours calendar',
        description:
          'Refused (409) for the built-in and the default calendar, and for one a department, policy or running timer uses.',
        security,
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(404, 409) },
      },
    },
    async (request, reply) => {
      await calendars.remove(request.actor, request.params.id)
      return reply.code(204).send(null)
    },
  )

  const policyTags = ['SLA policies']
  app.get(
    '/v1/sla-policies',
    {
      schema: {
        tags: policyTags,
        summary: 'List SLA policies',
        description:
          'In position order: the first enabled policy whose conditions a ticket meets applies to it.',
        security,
        querystring: ListQuery,
        response: { 200: Type.Ref(SlaPolicyPage), ...errorResponses() },
      },
    },
    async (request) => policies.list(request.actor, request.query),
  )
  app.post(
    '/v1/sla-policies',
    {
      schema: {
        tags: policyTags,
        summary: 'Create an SLA policy',
        description: 'Open tickets are matched again at once.',
        security,
        body: CreatePolicyBody,
        response: { 201: Type.Ref(SlaPolicy), ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const created = await policies.create(
        request.actor,
        request.body as PolicyInput & { name: string; targets: TargetInput[] },
      )
      return reply.code(201).header('location', `/v1/sla-policies/${created.id}`).send(created)
    },
  )
  app.post(
    '/v1/sla-policies/reorder',
    {
      schema: {
        tags: policyTags,
        summary: 'Reorder the SLA policies',
        description: 'Names every policy once, in the new order; open tickets are matched again.',
        security,
        body: ReorderPoliciesBody,
        response: { 200: Type.Ref(SlaPolicyPage), ...errorResponses(409) },
      },
    },
    async (request) => policies.reorder(request.actor, request.body.ids),
  )
  app.get(
    '/v1/sla-policies/:id',
    {
      schema: {
        tags: policyTags,
        summary: 'Get an SLA policy',
        security,
        params: IdParams,
        response: { 200: Type.Ref(SlaPolicy), ...errorResponses(404) },
      },
    },
    async (request) => policies.get(request.actor, request.params.id),
  )
  app.patch(
    '/v1/sla-policies/:id',
    {
      schema: {
        tags: policyTags,
        summary: 'Change an SLA policy',
        description:
          'Open tickets are matched again at once; time used stays used, the remaining time counts on the new target.',
        security,
        params: IdParams,
        body: UpdatePolicyBody,
        response: { 200: Type.Ref(SlaPolicy), ...errorResponses(404, 409) },
      },
    },
    async (request) => policies.update(request.actor, request.params.id, request.body as PolicyInput),
  )
  app.delete(
    '/v1/sla-policies/:id',
    {
      schema: {
        tags: policyTags,
        summary: 'Delete an SLA policy',
        description: 'Its open tickets are matched against the remaining policies.',
        security,
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(404, 409) },
      },
    },
    async (request, reply) => {
      await policies.remove(request.actor, request.params.id)
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/v1/tickets/:idOrNumber/sla',
    {
      schema: {
        tags: ['tickets'],
        summary: "A ticket's SLA: its policy and timers",
        description:
          'Staff see the applied policy and every timer with its stage, deadline and business minutes used and remaining. A contact sees only when the answer they wait for is due.',
        security,
        params: TicketParams,
        response: { 200: Type.Ref(TicketSla), ...errorResponses(404) },
      },
    },
    async (request) => app.services.sla.ticketSla(request.actor, parseTicketRef(request.params.idOrNumber)),
  )

  app.get(
    '/v1/reports/sla',
    {
      schema: {
        tags: ['reports'],
        summary: 'How the SLA was kept',
        description:
          'Over the timers started in [from, to), per department, priority or policy and metric: counts met, breached and open, the percentage met of those decided, and the median and 90th percentile business minutes of the fulfilled ones.',
        security,
        querystring: SlaReportQuery,
        response: { 200: Type.Ref(SlaReport), ...errorResponses() },
      },
    },
    async (request) => reports.sla(request.actor, request.query),
  )
}
