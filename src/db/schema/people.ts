import { sql } from 'drizzle-orm'
import {
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
import { users, workspaces } from './workspaces.ts'

export const organizations = pgTable(
  'organizations',
  {
    workspaceId: workspaceId().references(() => workspaces.id, { onDelete: 'cascade' }),
    id: id(),
    name: text('name').notNull(),
    externalId: text('external_id'),
    domains: text('domains').array().notNull().default(sql`'{}'::text[]`),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    ...timestamps,
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    uniqueIndex('organizations_external_id_key')
      .on(t.workspaceId, t.externalId)
      .where(sql`${t.externalId} is not null`),
    // Finding the organization of a new contact's e-mail domain.
    index('organizations_domains_idx').using('gin', t.domains),
  ],
)

export const contacts = pgTable(
  'contacts',
  {
    workspaceId: workspaceId().references(() => workspaces.id, { onDelete: 'cascade' }),
    id: id(),
    email: text('email'),
    /** lower(email), kept by PostgreSQL: what e-mail lookups and uniqueness compare. */
    emailKey: text('email_key').generatedAlwaysAs(sql`lower(email)`),
    name: text('name'),
    externalId: text('external_id'),
    phone: text('phone'),
    locale: text('locale'),
    organizationId: uuid('organization_id'),
    organizationRole: text('organization_role', { enum: ['member', 'authorized'] }),
    blocked: boolean('blocked').notNull().default(false),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    anonymizedAt: instant('anonymized_at'),
    ...timestamps,
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({
      columns: [t.workspaceId, t.organizationId],
      foreignColumns: [organizations.workspaceId, organizations.id],
    }),
    // E-mail is unique per workspace regardless of case, on a stored lower-case copy: under row-level
    // security a condition like lower(email) = … (a function of the row that is not leakproof) may not
    // be used as an index condition, while email_key = lower($1) may.
    uniqueIndex('contacts_email_key').on(t.workspaceId, t.emailKey).where(sql`${t.emailKey} is not null`),
    uniqueIndex('contacts_external_id_key')
      .on(t.workspaceId, t.externalId)
      .where(sql`${t.externalId} is not null`),
    index('contacts_organization_idx')
      .on(t.workspaceId, t.organizationId)
      .where(sql`${t.organizationId} is not null`),
  ],
)

export const priorities = pgTable(
  'priorities',
  {
    workspaceId: workspaceId().references(() => workspaces.id, { onDelete: 'cascade' }),
    id: id(),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    rank: integer('rank').notNull(),
    color: text('color'),
    isDefault: boolean('is_default').notNull().default(false),
    ...timestamps,
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    uniqueIndex('priorities_slug_key').on(t.workspaceId, t.slug),
    uniqueIndex('priorities_rank_key').on(t.workspaceId, t.rank),
    uniqueIndex('priorities_one_default_key').on(t.workspaceId).where(sql`${t.isDefault}`),
  ],
)

export const departments = pgTable(
  'departments',
  {
    workspaceId: workspaceId().references(() => workspaces.id, { onDelete: 'cascade' }),
    id: id(),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    description: text('description'),
    email: text('email'),
    public: boolean('public').notNull().default(true),
    defaultPriorityId: uuid('default_priority_id'),
    calendarId: uuid('calendar_id'),
    position: integer('position').notNull().default(0),
    ...timestamps,
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    uniqueIndex('departments_slug_key').on(t.workspaceId, t.slug),
    foreignKey({
      columns: [t.workspaceId, t.defaultPriorityId],
      foreignColumns: [priorities.workspaceId, priorities.id],
    }),
  ],
)

export const departmentMembers = pgTable(
  'department_members',
  {
    workspaceId: workspaceId(),
    departmentId: uuid('department_id').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.departmentId, t.userId] }),
    foreignKey({
      columns: [t.workspaceId, t.departmentId],
      foreignColumns: [departments.workspaceId, departments.id],
    }).onDelete('cascade'),
  ],
)
