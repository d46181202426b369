import { sql } from 'drizzle-orm'
import { index, integer, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { id, instant, workspaceId } from './columns.ts'
import { users, workspaces } from './workspaces.ts'

/**
 * A sign-in of an agent in one workspace: the family of refresh tokens it rotates through. Access
 * tokens name it (`sid`), so revoking it (logout, reuse of a rotated refresh token) ends them at once.
 */
export const authSessions = pgTable(
  'auth_sessions',
  {
    id: id().primaryKey(),
    workspaceId: workspaceId().references(() => workspaces.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: instant('created_at').notNull().defaultNow(),
    expiresAt: instant('expires_at').notNull(),
    revokedAt: instant('revoked_at'),
    revokedReason: text('revoked_reason'),
  },
  (t) => [index('auth_sessions_user_idx').on(t.userId)],
)

/** Refresh tokens, stored as SHA-256 of the secret. A token is used once; its successor has `used_at` null. */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => authSessions.id, { onDelete: 'cascade' }),
    createdAt: instant('created_at').notNull().defaultNow(),
    usedAt: instant('used_at'),
  },
  (t) => [index('refresh_tokens_session_idx').on(t.sessionId)],
)

/** Failed sign-ins per account and per address, in fixed windows; shared by every instance. */
export const loginThrottle = pgTable('login_throttle', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull(),
  windowStartedAt: instant('window_started_at').notNull(),
})

/** Secrets the service itself owns (the access-token signing key when none is configured). */
export const serviceSecrets = pgTable('service_secrets', {
  name: text('name').primaryKey(),
  secret: text('secret').notNull(),
  createdAt: instant('created_at').notNull().defaultNow(),
})

/**
 * The HS256 secrets with which a workspace's backend mints contact tokens. The current one has no
 * `expires_at`; a rotated one keeps verifying until its `expires_at`. The id is the tokens' `kid`.
 */
export const contactTokenSecrets = pgTable(
  'contact_token_secrets',
  {
    workspaceId: workspaceId().references(() => workspaces.id, { onDelete: 'cascade' }),
    id: id(),
    secret: text('secret').notNull(),
    createdAt: instant('created_at').notNull().defaultNow(),
    expiresAt: instant('expires_at'),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    uniqueIndex('contact_token_secrets_id_key').on(t.id),
    uniqueIndex('contact_token_secrets_current_key').on(t.workspaceId).where(sql`${t.expiresAt} is null`),
  ],
)
