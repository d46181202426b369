import { Type } from '@sinclair/typebox'
import {
  channels,
  slaMetrics,
  ticketStatuses,
  ticketTypes,
  timerStages,
  weekdays,
} from '../../db/schema/index.ts'
import { Id, Instant, Nullable, Page, PageQuery, StringEnum } from '../../lib/api-schemas.ts'
import { reportGroupings } from './report.ts'

const Clock = Type.String({ pattern: '^([01][0-9]|2[0-4]):[0-5][0-9]$', description: 'Local time, HH:MM.' })
const Interval = Type.Object(
  {
    day: StringEnum(weekdays),
    start: Clock,
    end: { ...Clock, description: 'After start, 24:00 at most: an interval never crosses midnight.' },
  },
  { additionalProperties: false },
)
const HolidayItem = Type.Object(
  {
    date: Type.String({ format: 'date', description: 'A local date, YYYY-MM-DD.' }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
)

export const BusinessCalendar = Type.Object(
  {
    id: Id,
    name: Type.String(),
    timeZone: Type.String({ description: 'IANA time zone, e.g. Europe/Madrid.' }),
    intervals: Type.Array(Interval),
    holidays: Type.Array(HolidayItem),
    holidayRegions: Type.Array(Type.String(), {
      description:
        'Regions whose public holidays close the calendar (date-holidays codes: ES, ES-MD, ES-CT).',
    }),
    isDefault: Type.Boolean({ description: 'The calendar of business-hours targets that name none.' }),
    builtIn: Type.Boolean({ description: 'The built-in 24/7 calendar, which cannot change.' }),
    version: Type.Integer({ description: 'Increases when the hours, zone or holidays change.' }),
    createdAt: Instant,
    updatedAt: Instant,
  },
  { $id: 'BusinessCalendar', additionalProperties: false },
)
export const BusinessCalendarPage = Page(BusinessCalendar)

const calendarFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  timeZone: Type.String({ minLength: 1, maxLength: 64 }),
  intervals: Type.Array(Interval, { maxItems: 100 }),
  holidays: Type.Array(HolidayItem, { maxItems: 1000 }),
  holidayRegions: Type.Array(Type.String({ minLength: 2, maxLength: 20 }), {
    maxItems: 20,
    uniqueItems: true,
  }),
  isDefault: Type.Boolean({ description: 'Making one the default unsets the previous default.' }),
}
export const CreateCalendarBody = Type.Composite(
  [
    Type.Pick(Type.Object(calendarFields), ['name', 'timeZone', 'intervals']),
    Type.Partial(Type.Pick(Type.Object(calendarFields), ['holidays', 'holidayRegions', 'isDefault'])),
  ],
  { additionalProperties: false },
)
export const UpdateCalendarBody = Type.Partial(Type.Object(calendarFields), {
  additionalProperties: false,
  minProperties: 1,
})

const Ref = Type.String({ minLength: 1, maxLength: 64 })
const Conditions = Type.Object(
  {
    priorities: Type.Array(Ref, { maxItems: 50, description: 'Priority ids or slugs.' }),
    departments: Type.Array(Ref, { maxItems: 50, description: 'Department ids or slugs.' }),
    channels: Type.Array(StringEnum(channels), { maxItems: channels.length }),
    types: Type.Array(StringEnum(ticketTypes), { maxItems: ticketTypes.length }),
    organizations: Type.Array(Id, { maxItems: 200 }),
    tagsAll: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
      maxItems: 50,
      description: 'The ticket has every one of these tags.',
    }),
    tagsAny: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
      maxItems: 50,
      description: 'The ticket has at least one of these tags.',
    }),
  },
  { additionalProperties: false },
)
const pausable = ticketStatuses.filter((s) => s !== 'solved' && s !== 'closed')
const TargetFields = {
  metric: StringEnum(slaMetrics, {
    description:
      'firstResponse: created → first public staff reply; nextResponse: oldest unanswered customer message → next public staff reply; resolution: created → solved (a reopen resumes it).',
  }),
  minutes: Type.Integer({ minimum: 1, maximum: 525_600 }),
  businessHours: Type.Boolean({
    description: 'Count business time (default) or calendar time. Solving a ticket fulfils every clock.',
  }),
  calendarId: Nullable({
    ...Id,
    description: "The calendar to count on; by default the ticket department's, else the workspace default.",
  }),
  warnBeforeMinutes: Nullable(
    Type.Integer({
      minimum: 1,
      maximum: 525_600,
      description: 'An `sla.warning` event this much (business) time before the deadline.',
    }),
  ),
  pauseOn: Type.Array(StringEnum(pausable), {
    uniqueItems: true,
    description:
      'Statuses that stop the clock. Default: pending and on_hold for resolution, none for the response metrics (they run while the customer waits for an answer).',
  }),
}
const TargetInput = Type.Composite(
  [
    Type.Pick(Type.Object(TargetFields), ['metric', 'minutes']),
    Type.Partial(Type.Omit(Type.Object(TargetFields), ['metric', 'minutes'])),
    Type.Object({
      priority: Type.Optional(
        Nullable({ ...Ref, description: 'Priority id or slug; null or absent: every other priority.' }),
      ),
    }),
  ],
  { additionalProperties: false },
)
const Target = Type.Object(
  {
    priorityId: Nullable(Id),
    metric: TargetFields.metric,
    minutes: TargetFields.minutes,
    businessHours: TargetFields.businessHours,
    calendarId: Nullable(Id),
    warnBeforeMinutes: Nullable(Type.Integer()),
    pauseOn: Type.Array(Type.String()),
  },
  { additionalProperties: false },
)

export const SlaPolicy = Type.Object(
  {
    id: Id,
    name: Type.String(),
    description: Nullable(Type.String()),
    position: Type.Integer({
      description: 'The first enabled policy, by position, whose conditions match applies.',
    }),
    enabled: Type.Boolean(),
    conditions: Type.Object(
      {
        priorities: Type.Optional(Type.Array(Id)),
        departments: Type.Optional(Type.Array(Id)),
        channels: Type.Optional(Type.Array(Type.String())),
        types: Type.Optional(Type.Array(Type.String())),
        organizations: Type.Optional(Type.Array(Id)),
        tagsAll: Type.Optional(Type.Array(Type.String())),
        tagsAny: Type.Optional(Type.Array(Type.String())),
      },
      { additionalProperties: false },
    ),
    targets: Type.Array(Target),
    version: Type.Integer(),
    createdAt: Instant,
    updatedAt: Instant,
  },
  { $id: 'SlaPolicy', additionalProperties: false },
)
export const SlaPolicyPage = Page(SlaPolicy)

const policyFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Nullable(Type.String({ maxLength: 2000 })),
  enabled: Type.Boolean(),
  position: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    description: 'Where to put it; the others move down.',
  }),
  conditions: Type.Partial(Conditions, { additionalProperties: false }),
  targets: Type.Array(TargetInput, { maxItems: 100 }),
}
export const CreatePolicyBody = Type.Composite(
  [
    Type.Pick(Type.Object(policyFields), ['name', 'targets']),
    Type.Partial(Type.Omit(Type.Object(policyFields), ['name', 'targets'])),
  ],
  { additionalProperties: false },
)
export const UpdatePolicyBody = Type.Partial(Type.Object(policyFields), {
  additionalProperties: false,
  minProperties: 1,
})
export const ReorderPoliciesBody = Type.Object(
  {
    ids: Type.Array(Id, {
      minItems: 1,
      maxItems: 10_000,
      description: 'Every policy of the workspace, in the new order.',
    }),
  },
  { additionalProperties: false },
)

export const SlaTimer = Type.Object(
  {
    id: Id,
    metric: StringEnum(slaMetrics),
    instance: Type.Integer({ description: 'nextResponse counts each unanswered customer turn: 1, 2, …' }),
    stage: StringEnum(timerStages),
    policyId: Nullable(Id),
    targetMinutes: Type.Integer(),
    businessHours: Type.Boolean(),
    calendarId: Nullable(Id),
    startedAt: Instant,
    dueAt: Nullable({ ...Instant, description: 'When the remaining time runs out; null while paused.' }),
    warnAt: Nullable(Instant),
    pausedAt: Nullable(Instant),
    breachedAt: Nullable(Instant),
    fulfilledAt: Nullable(Instant),
    businessMinutesUsed: Type.Integer(),
    businessMinutesRemaining: Type.Integer(),
  },
  { $id: 'SlaTimer', additionalProperties: false },
)

export const TicketSla = Type.Object(
  {
    ticketId: Id,
    responseDueAt: Nullable({
      ...Instant,
      description: 'When the answer the customer waits for is due (all a contact sees).',
    }),
    nextDueAt: Type.Optional(Nullable(Instant)),
    breached: Type.Optional(Type.Boolean()),
    policy: Type.Optional(
      Nullable(Type.Object({ id: Id, name: Type.String() }, { additionalProperties: false })),
    ),
    timers: Type.Optional(Type.Array(Type.Ref(SlaTimer))),
  },
  { $id: 'TicketSla', additionalProperties: false },
)

const MetricFigures = Type.Object(
  {
    total: Type.Integer(),
    met: Type.Integer(),
    breached: Type.Integer(),
    open: Type.Integer(),
    metPercent: Nullable(Type.Number({ description: 'Met of those met or breached, in percent.' })),
    medianBusinessMinutes: Nullable(Type.Number()),
    p90BusinessMinutes: Nullable(Type.Number()),
  },
  { additionalProperties: false },
)
export const SlaReport = Type.Object(
  {
    from: Instant,
    to: Instant,
    groupBy: StringEnum(reportGroupings),
    groups: Type.Array(
      Type.Object(
        {
          id: Nullable(Id),
          name: Nullable(Type.String()),
          metrics: Type.Object(
            {
              firstResponse: Type.Optional(MetricFigures),
              nextResponse: Type.Optional(MetricFigures),
              resolution: Type.Optional(MetricFigures),
            },
            { additionalProperties: false },
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { $id: 'SlaReport', additionalProperties: false },
)
export const SlaReportQuery = Type.Object(
  {
    from: Type.Optional({
      ...Instant,
      description: 'Timers started at or after; default: 30 days before `to`.',
    }),
    to: Type.Optional({ ...Instant, description: 'Timers started before; default: now.' }),
    groupBy: Type.Optional(StringEnum(reportGroupings, { default: 'priority' })),
  },
  { additionalProperties: false },
)

export const IdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
)
export const ListQuery = Type.Object(PageQuery, { additionalProperties: false })
