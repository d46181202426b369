import { sql } from 'drizzle-orm'
import {
  bigint,
  boolean,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import { id, instant, timestamps, workspaceId } from './columns.ts'
import { tickets } from './tickets.ts'
import { workspaces } from './workspaces.ts'

export const weekdays = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const
export type Weekday = (typeof weekdays)[number]
export interface OpeningInterval {
  day: Weekday
  /** `HH:MM`, local time. */
  start: string
  /** `HH:MM` after `start`, `24:00` at most: an interval never crosses midnight. */
  end: string
}
export interface Holiday {
  /** `YYYY-MM-DD`, a local date. */
  date: string
  name: string
}

export const businessCalendars = pgTable(
  'business_calendars',
  {
    workspaceId: workspaceId().references(() => workspaces.id, { onDelete: 'cascade' }),
    id: id(),
    name: text('name').notNull(),
    timeZone: text('time_zone').notNull(),
    intervals: jsonb('intervals').$type<OpeningInterval[]>().notNull(),
    holidays: jsonb('holidays').$type<Holiday[]>().notNull().default([]),
    holidayRegions: text('holiday_regions').array().notNull().default(sql`'{}'::text[]`),
    isDefault: boolean('is_default').notNull().default(false),
    /** The built-in 24/7 calendar: every workspace has one, and it cannot change. */
    builtIn: boolean('built_in').notNull().default(false),
    version: integer('version').notNull().default(1),
    ...timestamps,
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    uniqueIndex('business_calendars_one_default_key').on(t.workspaceId).where(sql`${t.isDefault}`),
  ],
)

export const slaMetrics = ['firstResponse', 'nextResponse', 'resolution'] as const
export type SlaMetric = (typeof slaMetrics)[number]

export interface SlaConditions {
  priorities?: string[]
  departments?: string[]
  channels?: string[]
  types?: string[]
  organizations?: string[]
  /** The ticket carries every one of these tags. */
  tagsAll?: string[]
  /** The ticket carries at least one of these tags. */
  tagsAny?: string[]
}

export interface SlaTarget {
  /** A priority id, or null for every priority without a target of its own. */
  priorityId: string | null
  metric: SlaMetric
  minutes: number
  /** Business time of a calendar (the department's, else the workspace default, unless one is named) or calendar time. */
  businessHours: boolean
  calendarId: string | null
  warnBeforeMinutes: number | null
  /** Statuses during which the clock stops. */
  pauseOn: string[]
}

export const slaPolicies = pgTable(
  'sla_policies',
  {
    workspaceId: workspaceId().references(() => workspaces.id, { onDelete: 'cascade' }),
    id: id(),
    name: text('name').notNull(),
    description: text('description'),
    position: integer('position').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    conditions: jsonb('conditions').$type<SlaConditions>().notNull().default({}),
    targets: jsonb('targets').$type<SlaTarget[]>().notNull(),
    version: integer('version').notNull().default(1),
    ...timestamps,
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    index('sla_policies_position_idx').on(t.workspaceId, t.position),
  ],
)

export const timerStages = ['active', 'paused', 'fulfilled', 'breached'] as const
export type TimerStage = (typeof timerStages)[number]

/**
 * One clock of one ticket: a metric's instance (`nextResponse` counts each unanswered customer turn).
 * While it runs, `anchorAt` is when the current stretch began, `usedMs` the business time spent before
 * it, and `dueAt` when the remaining time runs out. A pause folds the stretch into `usedMs`.
 */
export const slaTimers = pgTable(
  'sla_timers',
  {
    workspaceId: workspaceId(),
    id: id(),
    ticketId: uuid('ticket_id').notNull(),
    metric: text('metric', { enum: slaMetrics }).notNull(),
    instance: integer('instance').notNull(),
    policyId: uuid('policy_id'),
    stage: text('stage', { enum: timerStages }).notNull(),
    targetMinutes: integer('target_minutes').notNull(),
    /** null: calendar time. */
    calendarId: uuid('calendar_id'),
    warnBeforeMinutes: integer('warn_before_minutes'),
    pauseOn: text('pause_on').array().notNull(),
    startedAt: instant('started_at').notNull(),
    anchorAt: instant('anchor_at'),
    usedMs: bigint('used_ms', { mode: 'number' }).notNull().default(0),
    dueAt: instant('due_at'),
    warnAt: instant('warn_at'),
    pausedAt: instant('paused_at'),
    fulfilledAt: instant('fulfilled_at'),
    breachedAt: instant('breached_at'),
    warnedAt: instant('warned_at'),
    ...timestamps,
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    uniqueIndex('sla_timers_ticket_metric_key').on(t.workspaceId, t.ticketId, t.metric, t.instance),
    foreignKey({
      columns: [t.workspaceId, t.ticketId],
      foreignColumns: [tickets.workspaceId, tickets.id],
    }).onDelete('cascade'),
    // The sweeps read only what is due: their cost follows the due timers, not the open ones.
    index('sla_timers_due_idx').on(t.dueAt).where(sql`${t.stage} = 'active'`),
    index('sla_timers_warn_idx').on(t.warnAt).where(sql`${t.stage} = 'active' and ${t.warnedAt} is null`),
    index('sla_timers_policy_idx')
      .on(t.workspaceId, t.policyId)
      .where(sql`${t.stage} in ('active', 'paused')`),
    index('sla_timers_calendar_idx')
      .on(t.workspaceId, t.calendarId)
      .where(sql`${t.stage} in ('active', 'paused')`),
  ],
)
