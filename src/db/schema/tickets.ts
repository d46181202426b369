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
import { contacts, departments, organizations, priorities } from './people.ts'
import { users, workspaces } from './workspaces.ts'

export const ticketStatuses = ['new', 'open', 'pending', 'on_hold', 'solved', 'closed'] as const
export const ticketTypes = ['question', 'incident', 'problem', 'task', 'complaint'] as const
export const channels = ['api', 'web', 'email', 'chat', 'phone'] as const

/** One row per workspace; incremented inside the ticket's own transaction, so numbers never skip. */
export const ticketCounters = pgTable('ticket_counters', {
  workspaceId: workspaceId()
    .primaryKey()
    .references(() => workspaces.id, { onDelete: 'cascade' }),
  lastNumber: integer('last_number').notNull(),
  /**
   * Goes up whenever something SLA timers are computed from changes (policies, calendars, department
   * calendars). Read by the ticket insert from this row it locks anyway, so a cached copy of the SLA
   * settings is checked for free, and an edit (which bumps it) waits for inserts in flight.
   */
  slaVersion: integer('sla_version').notNull().default(0),
})

export const tickets = pgTable(
  'tickets',
  {
    workspaceId: workspaceId().references(() => workspaces.id, { onDelete: 'cascade' }),
    id: id(),
    number: integer('number').notNull(),
    subject: text('subject').notNull(),
    status: text('status', { enum: ticketStatuses }).notNull(),
    type: text('type', { enum: ticketTypes }),
    channel: text('channel', { enum: channels }).notNull(),
    priorityId: uuid('priority_id'),
    departmentId: uuid('department_id'),
    requesterId: uuid('requester_id').notNull(),
    organizationId: uuid('organization_id'),
    assigneeId: uuid('assignee_id').references(() => users.id),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    externalRef: text('external_ref'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    version: integer('version').notNull().default(1),
    ...timestamps,
    firstRespondedAt: instant('first_responded_at'),
    solvedAt: instant('solved_at'),
    closedAt: instant('closed_at'),
    lastCustomerMessageAt: instant('last_customer_message_at'),
    slaNextDueAt: instant('sla_next_due_at'),
    slaBreached: boolean('sla_breached').notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    uniqueIndex('tickets_number_key').on(t.workspaceId, t.number),
    foreignKey({
      columns: [t.workspaceId, t.requesterId],
      foreignColumns: [contacts.workspaceId, contacts.id],
    }),
    foreignKey({
      columns: [t.workspaceId, t.organizationId],
      foreignColumns: [organizations.workspaceId, organizations.id],
    }),
    foreignKey({
      columns: [t.workspaceId, t.priorityId],
      foreignColumns: [priorities.workspaceId, priorities.id],
    }),
    foreignKey({
      columns: [t.workspaceId, t.departmentId],
      foreignColumns: [departments.workspaceId, departments.id],
    }),
    index('tickets_status_updated_idx').on(t.workspaceId, t.status, t.updatedAt, t.id),
    index('tickets_updated_idx').on(t.workspaceId, t.updatedAt, t.id),
    index('tickets_created_idx').on(t.workspaceId, t.createdAt, t.id),
    index('tickets_requester_idx').on(t.workspaceId, t.requesterId),
    // Sparse columns are indexed only where set: a new ticket (no assignee, often no organization)
    // writes no entry, and a lookup by value never mistakes these for a workspace-wide scan.
    index('tickets_organization_idx')
      .on(t.workspaceId, t.organizationId)
      .where(sql`${t.organizationId} is not null`),
    index('tickets_assignee_idx').on(t.workspaceId, t.assigneeId).where(sql`${t.assigneeId} is not null`),
    index('tickets_external_ref_idx')
      .on(t.workspaceId, t.externalRef)
      .where(sql`${t.externalRef} is not null`),
    index('tickets_tags_idx').using('gin', t.tags),
    // The work queue (`sort=slaDueAt`): nearest deadline first, tickets without one last (see NO_DEADLINE).
    // `sla_breached` is deliberately in no index: the breach sweep flags tickets with heap-only updates
    // (fillfactor 90, migration 0007), which an index on the flag would turn into twelve index writes each.
    index('tickets_sla_due_idx').on(
      t.workspaceId,
      sql`coalesce(${t.slaNextDueAt}, '9999-12-31T00:00:00Z'::timestamptz)`,
      t.id,
    ),
  ],
)

export const messages = pgTable(
  'messages',
  {
    workspaceId: workspaceId(),
    id: id(),
    ticketId: uuid('ticket_id').notNull(),
    visibility: text('visibility', { enum: ['public', 'internal'] }).notNull(),
    authorKind: text('author_kind', { enum: ['agent', 'contact', 'integration', 'system'] }).notNull(),
    authorId: uuid('author_id'),
    body: text('body').notNull(),
    bodyHtml: text('body_html'),
    channel: text('channel', { enum: channels }).notNull(),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({
      columns: [t.workspaceId, t.ticketId],
      foreignColumns: [tickets.workspaceId, tickets.id],
    }).onDelete('cascade'),
    index('messages_ticket_idx').on(t.workspaceId, t.ticketId, t.createdAt, t.id),
  ],
)

/** The audit history, the outbox for reactions (webhooks, mail, SLA) and the change feed, in one table. */
export const events = pgTable(
  'events',
  {
    workspaceId: workspaceId().references(() => workspaces.id, { onDelete: 'cascade' }),
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity(),
    id: id(),
    type: text('type').notNull(),
    subjectType: text('subject_type').notNull(),
    subjectId: uuid('subject_id').notNull(),
    actorKind: text('actor_kind').notNull(),
    actorId: uuid('actor_id'),
    changes: jsonb('changes').$type<Record<string, [unknown, unknown]>>().notNull().default({}),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.seq] }),
    index('events_subject_idx').on(t.workspaceId, t.subjectType, t.subjectId, t.seq),
  ],
)

/** Remembers POST responses per caller and key for 24 h (API.md "Safe retries"). */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    workspaceId: uuid('workspace_id'),
    requestHash: text('request_hash').notNull(),
    state: text('state', { enum: ['processing', 'completed'] }).notNull(),
    responseStatus: integer('response_status'),
    responseHeaders: jsonb('response_headers').$type<Record<string, string>>(),
    responseBody: text('response_body'),
    lockedAt: instant('locked_at').notNull().defaultNow(),
    createdAt: instant('created_at').notNull().defaultNow(),
    expiresAt: instant('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index('idempotency_keys_expires_idx').on(t.expiresAt)],
)
