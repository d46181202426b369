import { type SQL, sql } from 'drizzle-orm'

/** A domain as stored and compared: lower case, no leading `@` or trailing dot. */
export const normalizeDomain = (domain: string) =>
  domain.trim().toLowerCase().replace(/^@/, '').replace(/\.$/, '')

/**
 * The organization whose `domains` include the domain of an e-mail address (the oldest, should two
 * claim it), as a scalar subquery: a new contact with that address joins it as a member.
 */
export const organizationOfEmail = (workspaceId: string | SQL, email: SQL | string | null): SQL =>
  sql`(select o.id from organizations o where o.workspace_id = ${workspaceId}
    and o.domains @> array[lower(split_part(${email}, '@', 2))] order by o.created_at, o.id limit 1)`
