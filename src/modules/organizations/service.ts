import { and, desc, eq, ilike, inArray, lt, ne, sql } from 'drizzle-orm'
import type { Actor } from '../../auth/actor.ts'
import { authorize, authorizeScoped, can } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { violatedConstraint } from '../../db/errors.ts'
import { contacts, organizations, tickets } from '../../db/schema/index.ts'
import { readInWorkspace, writeInWorkspace } from '../../db/tenant.ts'
import type { Tx } from '../../db/transaction.ts'
import { paginate, readCursor } from '../../lib/cursor.ts'
import { jsonDates } from '../../lib/json-dates.ts'
import { Problem, problem } from '../../lib/problem.ts'
import { ContactNotFound, toContact, updateContact } from '../contacts/service.ts'
import { diff, recordEvent } from '../events/service.ts'
import { normalizeDomain } from './domains.ts'

export const OrganizationNotFound = problem('not_found', 'Organization %s not found')
type OrganizationRow = typeof organizations.$inferSelect

export interface OrganizationInput {
  name?: string
  externalId?: string | null
  domains?: string[]
  metadata?: Record<string, unknown>
}

export const toOrganization = ({ workspaceId: _ws, ...row }: OrganizationRow) => jsonDates(row)

function conflict(error: unknown): Problem | null {
  if (violatedConstraint(error) === 'organizations_external_id_key') {
    return new Problem('conflict', 'Another organization of this workspace has this externalId.', {
      errors: [{ path: '/externalId', message: 'belongs to another organization' }],
    })
  }
  return null
}

export function createOrganizationsService(db: Db) {
  const write = <T>(workspaceId: string, fn: (tx: Tx) => Promise<T>) =>
    writeInWorkspace(db, workspaceId, fn, conflict)

  async function lock(tx: Tx, workspaceId: string, id: string) {
    const [row] = await tx
      .select()
      .from(organizations)
      .where(and(eq(organizations.workspaceId, workspaceId), eq(organizations.id, id)))
      .for('update')
    if (!row) throw OrganizationNotFound(id)
    return row
  }

  /** A domain belongs to one organization of a workspace, or new contacts could not be placed. */
  async function assertDomainsFree(tx: Tx, workspaceId: string, domains: string[], except?: string) {
    if (domains.length === 0) return
    // Serializes domain claims within the workspace, so two concurrent writes cannot both take one.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`organization-domains:${workspaceId}`}))`)
    const [taken] = await tx
      .select({ name: organizations.name, domains: organizations.domains })
      .from(organizations)
      .where(
        and(
          eq(organizations.workspaceId, workspaceId),
          sql`${organizations.domains} && ${sql`array[${sql.join(
            domains.map((d) => sql`${d}`),
            sql`, `,
          )}]::text[]`}`,
          except ? ne(organizations.id, except) : undefined,
        ),
      )
      .limit(1)
    if (taken) {
      const domain = domains.find((d) => taken.domains.includes(d))
      throw new Problem(
        'conflict',
        `The domain ${domain} already belongs to the organization "${taken.name}".`,
        {
          errors: [{ path: '/domains', message: `${domain} belongs to another organization` }],
        },
      )
    }
  }

  async function get(actor: Actor, id: string) {
    const { workspaceId } = authorize(actor, 'contacts:read')
    const [row] = await readInWorkspace(db, workspaceId, (q) =>
      q
        .select()
        .from(organizations)
        .where(and(eq(organizations.workspaceId, workspaceId), eq(organizations.id, id))),
    )
    if (!row) throw OrganizationNotFound(id)
    return toOrganization(row)
  }

  const normalized = (domains: string[] | undefined) =>
    domains === undefined ? undefined : [...new Set(domains.map(normalizeDomain))].sort()

  return {
    create(actor: Actor, input: OrganizationInput & { name: string }) {
      const { workspaceId } = authorize(actor, 'contacts:write')
      const domains = normalized(input.domains) ?? []
      return write(workspaceId, async (tx) => {
        await assertDomainsFree(tx, workspaceId, domains)
        const [row] = await tx
          .insert(organizations)
          .values({ ...input, domains, workspaceId })
          .returning()
        if (!row) throw new Error('insert returned no row')
        await recordEvent(tx, {
          workspaceId,
          type: 'organization.created',
          subjectType: 'organization',
          subjectId: row.id,
          actor,
          changes: diff({} as OrganizationRow, {
            name: row.name,
            externalId: row.externalId,
            domains: row.domains,
          }),
        })
        return toOrganization(row)
      })
    },

    get,

    async assertExists(actor: Actor, id: string) {
      await get(actor, id)
    },

    async list(
      actor: Actor,
      filter: { externalId?: string | undefined; domain?: string | undefined; q?: string | undefined },
      page: { limit: number; cursor?: string | undefined },
    ) {
      const { workspaceId } = authorize(actor, 'contacts:read')
      const before = page.cursor ? readCursor(page.cursor, ['uuid'])[0] : undefined
      const rows = await readInWorkspace(db, workspaceId, (q) =>
        q
          .select()
          .from(organizations)
          .where(
            and(
              eq(organizations.workspaceId, workspaceId),
              filter.externalId ? eq(organizations.externalId, filter.externalId) : undefined,
              filter.domain
                ? sql`${organizations.domains} @> array[${normalizeDomain(filter.domain)}]::text[]`
                : undefined,
              filter.q ? ilike(organizations.name, `%${filter.q.replace(/[\\%_]/g, '\\$&')}%`) : undefined,
              before ? lt(organizations.id, before) : undefined,
            ),
          )
          .orderBy(desc(organizations.id))
          .limit(page.limit + 1),
      )
      const result = paginate(rows, page.limit, (row) => [row.id])
      return { data: result.data.map(toOrganization), nextCursor: result.nextCursor, cursors: result.cursors }
    },

    update(actor: Actor, id: string, input: OrganizationInput) {
      const { workspaceId } = authorize(actor, 'contacts:write')
      return write(workspaceId, async (tx) => {
        const current = await lock(tx, workspaceId, id)
        const next = { ...input, domains: normalized(input.domains) }
        if (next.domains) await assertDomainsFree(tx, workspaceId, next.domains, id)
        const changes = diff(current, next)
        if (Object.keys(changes).length === 0) return toOrganization(current)
        const [row] = await tx
          .update(organizations)
          .set({ ...next, updatedAt: new Date() })
          .where(and(eq(organizations.workspaceId, workspaceId), eq(organizations.id, id)))
          .returning()
        if (!row) throw OrganizationNotFound(id)
        await recordEvent(tx, {
          workspaceId,
          type: 'organization.updated',
          subjectType: 'organization',
          subjectId: id,
          actor,
          changes,
        })
        return toOrganization(row)
      })
    },

    /** Deletes an organization without tickets; its contacts stay, as contacts of no organization. */
    remove(actor: Actor, id: string) {
      const { workspaceId } = authorize(actor, 'contacts:write')
      return write(workspaceId, async (tx) => {
        await lock(tx, workspaceId, id)
        const [ticket] = await tx
          .select({ id: tickets.id })
          .from(tickets)
          .where(and(eq(tickets.workspaceId, workspaceId), eq(tickets.organizationId, id)))
          .limit(1)
        if (ticket) throw new Problem('conflict', 'This organization has tickets and cannot be deleted.')
        const released = await tx
          .update(contacts)
          .set({ organizationId: null, organizationRole: null, updatedAt: new Date() })
          .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.organizationId, id)))
          .returning({ id: contacts.id, role: contacts.organizationRole })
        for (const contact of released) {
          await recordEvent(tx, {
            workspaceId,
            type: 'contact.updated',
            subjectType: 'contact',
            subjectId: contact.id,
            actor,
            changes: { organizationId: [id, null] },
          })
        }
        await tx
          .delete(organizations)
          .where(and(eq(organizations.workspaceId, workspaceId), eq(organizations.id, id)))
        await recordEvent(tx, {
          workspaceId,
          type: 'organization.deleted',
          subjectType: 'organization',
          subjectId: id,
          actor,
        })
      })
    },

    /** Makes a contact a member (or authorized member) of the organization, moving them from any other. */
    setMember(actor: Actor, id: string, contactId: string, role: 'member' | 'authorized') {
      const { workspaceId } = authorize(actor, 'contacts:write')
      return write(workspaceId, async (tx) => {
        await lock(tx, workspaceId, id)
        const [contact] = await tx
          .select()
          .from(contacts)
          .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, contactId)))
          .for('update')
        if (!contact) throw ContactNotFound(contactId)
        return toContact(
          await updateContact(tx, actor, workspaceId, contact, {
            organizationId: id,
            organizationRole: role,
          }),
        )
      })
    },

    removeMember(actor: Actor, id: string, contactId: string) {
      const { workspaceId } = authorize(actor, 'contacts:write')
      return write(workspaceId, async (tx) => {
        await lock(tx, workspaceId, id)
        const [member] = await tx
          .select()
          .from(contacts)
          .where(
            and(
              eq(contacts.workspaceId, workspaceId),
              eq(contacts.id, contactId),
              eq(contacts.organizationId, id),
            ),
          )
          .for('update')
        if (!member)
          throw new Problem('not_found', `Contact ${contactId} is not a member of this organization.`)
        await updateContact(tx, actor, workspaceId, member, { organizationId: null })
      })
    },

    /** Batch read for GraphQL loaders; a customer sees their own organization only. */
    async byIds(actor: Actor, ids: readonly string[]) {
      // Read through a contact (contacts:read) or a ticket (tickets:read, a customer's own included).
      const { workspaceId, customer } = can(actor, 'contacts:read')
        ? { workspaceId: authorize(actor, 'contacts:read').workspaceId, customer: null }
        : authorizeScoped(actor, 'tickets:read')
      if (ids.length === 0) return []
      if (customer && actor.kind === 'contact') {
        ids = ids.filter((id) => id === actor.organizationId)
        if (ids.length === 0) return []
      }
      const rows = await readInWorkspace(db, workspaceId, (q) =>
        q
          .select()
          .from(organizations)
          .where(
            and(eq(organizations.workspaceId, workspaceId), inArray(organizations.id, [...new Set(ids)])),
          ),
      )
      // A customer learns their organization's name, not how the staff describe it.
      return rows.map((row) =>
        customer
          ? { ...toOrganization(row), externalId: null, domains: [], metadata: {} }
          : toOrganization(row),
      )
    },
  }
}
export type OrganizationsService = ReturnType<typeof createOrganizationsService>
