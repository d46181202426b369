import { and, desc, eq, ilike, inArray, isNull, lt, or, sql } from 'drizzle-orm'
import type { Actor } from '../../auth/actor.ts'
import { authorize, authorizeScoped } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { violatedConstraint } from '../../db/errors.ts'
import { contacts, tickets } from '../../db/schema/index.ts'
import { readInWorkspace, writeInWorkspace } from '../../db/tenant.ts'
import type { Executor, Tx } from '../../db/transaction.ts'
import { paginate, readCursor } from '../../lib/cursor.ts'
import { jsonDates } from '../../lib/json-dates.ts'
import { invalid, Problem, problem } from '../../lib/problem.ts'
import { diff, recordEvent } from '../events/service.ts'
import { organizationOfEmail } from '../organizations/domains.ts'

export const ContactNotFound = problem('not_found', 'Contact %s not found')
export type ContactRow = typeof contacts.$inferSelect

export function toContact(row: ContactRow) {
  const { workspaceId: _ws, anonymizedAt: _anonymized, emailKey: _key, ...visible } = row
  return jsonDates(visible)
}

export type RequesterRef =
  | { id: string }
  | { externalId: string; email?: string; name?: string }
  | { email: string; name?: string }

const byEmail = (workspaceId: string, email: string) =>
  and(eq(contacts.workspaceId, workspaceId), sql`${contacts.emailKey} = lower(${email})`)
const byExternalId = (workspaceId: string, externalId: string) =>
  and(eq(contacts.workspaceId, workspaceId), eq(contacts.externalId, externalId))

/**
 * Finds the requester, creating the contact when it does not exist yet. Safe under concurrency: the
 * insert relies on the unique indexes and falls back to reading the row a concurrent request created.
 */
export async function findOrCreateRequester(
  q: Executor,
  actor: Actor,
  workspaceId: string,
  ref: Exclude<RequesterRef, { id: string }>,
): Promise<ContactRow> {
  const externalId = 'externalId' in ref ? ref.externalId : undefined
  const lookup = externalId
    ? byExternalId(workspaceId, externalId)
    : byEmail(workspaceId, ref.email as string)
  const [found] = await q.select().from(contacts).where(lookup)
  if (found) return found

  const organizationId = ref.email ? organizationOfEmail(workspaceId, ref.email) : null
  const [created] = await q
    .insert(contacts)
    .values({
      workspaceId,
      externalId,
      email: ref.email ?? null,
      name: ref.name ?? null,
      organizationId,
      organizationRole: ref.email ? sql`case when ${organizationId} is not null then 'member' end` : null,
    })
    .onConflictDoNothing()
    .returning()
  if (created) {
    await recordEvent(q, {
      workspaceId,
      type: 'contact.created',
      subjectType: 'contact',
      subjectId: created.id,
      actor,
      changes: {
        externalId: [null, created.externalId],
        email: [null, created.email],
        name: [null, created.name],
      },
    })
    return created
  }
  const [raced] = await q.select().from(contacts).where(lookup)
  if (raced) return raced
  // The e-mail is taken by a contact without this externalId: link them if it has none yet.
  if (externalId && ref.email) {
    const [linked] = await q
      .update(contacts)
      .set({ externalId, updatedAt: new Date() })
      .where(and(byEmail(workspaceId, ref.email), sql`${contacts.externalId} is null`))
      .returning()
    if (linked) {
      await recordEvent(q, {
        workspaceId,
        type: 'contact.updated',
        subjectType: 'contact',
        subjectId: linked.id,
        actor,
        changes: { externalId: [null, externalId] },
      })
      return linked
    }
  }
  throw new Problem(
    'conflict',
    'The e-mail address belongs to another contact with a different externalId.',
    {
      errors: [{ path: '/requester/email', message: 'belongs to another contact' }],
    },
  )
}

export interface ContactInput {
  email?: string | null
  name?: string | null
  externalId?: string | null
  phone?: string | null
  locale?: string | null
  organizationId?: string | null
  organizationRole?: 'member' | 'authorized' | null
  blocked?: boolean
  metadata?: Record<string, unknown>
}

export interface ContactFilter {
  email?: string | undefined
  externalId?: string | undefined
  organizationId?: string | undefined
  blocked?: boolean | undefined
  q?: string | undefined
}

const contactFields = [
  'email',
  'name',
  'externalId',
  'phone',
  'locale',
  'organizationId',
  'organizationRole',
  'blocked',
  'metadata',
] as const

/** A unique index a contact write ran into, as the conflict the caller caused. */
function contactConflict(error: unknown): Problem | null {
  const constraint = violatedConstraint(error)
  if (constraint === 'contacts_email_key') {
    return new Problem('conflict', 'Another contact of this workspace has this e-mail address.', {
      errors: [{ path: '/email', message: 'belongs to another contact' }],
    })
  }
  if (constraint === 'contacts_external_id_key') {
    return new Problem('conflict', 'Another contact of this workspace has this externalId.', {
      errors: [{ path: '/externalId', message: 'belongs to another contact' }],
    })
  }
  if (violatedConstraint(error, '23503') !== null) {
    return invalid('/organizationId', 'names no organization of this workspace')
  }
  return null
}

/**
 * The row values an input sets. The organization role goes with the membership: a contact who joins
 * an organization is a `member` unless told otherwise, and one who leaves has no role.
 */
function contactValues(input: ContactInput, current?: ContactRow) {
  const values: Partial<typeof contacts.$inferInsert> = {}
  for (const field of contactFields)
    if (input[field] !== undefined) Object.assign(values, { [field]: input[field] })
  const organizationId =
    input.organizationId !== undefined ? input.organizationId : (current?.organizationId ?? null)
  if (organizationId === null) {
    if (input.organizationRole) throw invalid('/organizationRole', 'needs an organization')
    values.organizationRole = null
  } else {
    const joins = organizationId !== current?.organizationId
    values.organizationRole =
      input.organizationRole ?? (joins ? 'member' : (current?.organizationRole ?? 'member'))
  }
  return values
}

/** Applies a change to a locked contact and records it as one `contact.updated` event (none if nothing changes). */
export async function updateContact(
  tx: Tx,
  actor: Actor,
  workspaceId: string,
  current: ContactRow,
  input: ContactInput,
) {
  const next = contactValues(input, current)
  const changes = diff(current, next)
  if (Object.keys(changes).length === 0) return current
  const [row] = await tx
    .update(contacts)
    .set({ ...next, updatedAt: new Date() })
    .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, current.id)))
    .returning()
  if (!row) throw ContactNotFound(current.id)
  await recordEvent(tx, {
    workspaceId,
    type: 'contact.updated',
    subjectType: 'contact',
    subjectId: row.id,
    actor,
    changes,
  })
  return row
}

export function createContactsService(db: Db) {
  const write = <T>(workspaceId: string, fn: (tx: Tx) => Promise<T>) =>
    writeInWorkspace(db, workspaceId, fn, contactConflict)

  async function lockContact(tx: Tx, workspaceId: string, id: string) {
    const [row] = await tx
      .select()
      .from(contacts)
      .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, id)))
      .for('update')
    if (!row) throw ContactNotFound(id)
    return row
  }

  async function insertContact(tx: Tx, actor: Actor, workspaceId: string, input: ContactInput) {
    const values = contactValues(input)
    // Without an organization named, an organization claiming the e-mail's domain takes the contact in.
    const byDomain =
      input.organizationId === undefined && input.email ? organizationOfEmail(workspaceId, input.email) : null
    const [row] = await tx
      .insert(contacts)
      .values({
        ...values,
        workspaceId,
        ...(byDomain && {
          organizationId: byDomain,
          organizationRole: sql`case when ${byDomain} is not null then 'member' end`,
        }),
      })
      .returning()
    if (!row) throw new Error('insert returned no row')
    await recordEvent(tx, {
      workspaceId,
      type: 'contact.created',
      subjectType: 'contact',
      subjectId: row.id,
      actor,
      changes: diff({} as ContactRow, pick(row)),
    })
    return row
  }

  return {
    async get(actor: Actor, id: string) {
      const { workspaceId } = authorize(actor, 'contacts:read')
      const [row] = await readInWorkspace(db, workspaceId, (q) =>
        q
          .select()
          .from(contacts)
          .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, id))),
      )
      if (!row) throw ContactNotFound(id)
      return toContact(row)
    },

    async getByExternalId(actor: Actor, externalId: string) {
      const { workspaceId } = authorize(actor, 'contacts:read')
      const [row] = await readInWorkspace(db, workspaceId, (q) =>
        q.select().from(contacts).where(byExternalId(workspaceId, externalId)),
      )
      if (!row) throw new Problem('not_found', `No contact has externalId "${externalId}".`)
      return toContact(row)
    },

    async list(actor: Actor, filter: ContactFilter, page: { limit: number; cursor?: string | undefined }) {
      const { workspaceId } = authorize(actor, 'contacts:read')
      const before = page.cursor ? readCursor(page.cursor, ['uuid'])[0] : undefined
      const pattern = filter.q ? `%${filter.q.replace(/[\\%_]/g, '\\$&')}%` : undefined
      const rows = await readInWorkspace(db, workspaceId, (q) =>
        q
          .select()
          .from(contacts)
          .where(
            and(
              eq(contacts.workspaceId, workspaceId),
              filter.email ? sql`${contacts.emailKey} = lower(${filter.email})` : undefined,
              filter.externalId ? eq(contacts.externalId, filter.externalId) : undefined,
              filter.organizationId ? eq(contacts.organizationId, filter.organizationId) : undefined,
              filter.blocked === undefined ? undefined : eq(contacts.blocked, filter.blocked),
              pattern ? or(ilike(contacts.name, pattern), ilike(contacts.email, pattern)) : undefined,
              before ? lt(contacts.id, before) : undefined,
            ),
          )
          .orderBy(desc(contacts.id))
          .limit(page.limit + 1),
      )
      const result = paginate(rows, page.limit, (row) => [row.id])
      return { data: result.data.map(toContact), nextCursor: result.nextCursor, cursors: result.cursors }
    },

    create(actor: Actor, input: ContactInput) {
      const { workspaceId } = authorize(actor, 'contacts:write')
      if (!input.email && !input.externalId && !input.phone) {
        throw invalid('/email', 'is required unless an externalId or a phone number is given')
      }
      return write(workspaceId, async (tx) => toContact(await insertContact(tx, actor, workspaceId, input)))
    },

    update(actor: Actor, id: string, input: ContactInput) {
      const { workspaceId } = authorize(actor, 'contacts:write')
      return write(workspaceId, async (tx) => {
        const current = await lockContact(tx, workspaceId, id)
        return toContact(await updateContact(tx, actor, workspaceId, current, input))
      })
    },

    /**
     * Creates or updates the contact with this externalId (`PUT /v1/contacts/by-external-id/…`), the
     * call a shop makes on every order. Safe under concurrency: the unique index decides who inserts, and
     * the loser updates the row the winner wrote. A contact known only by this e-mail address (one who
     * wrote in before the shop knew them) gets the externalId rather than a twin.
     */
    upsertByExternalId(actor: Actor, externalId: string, input: ContactInput) {
      const { workspaceId } = authorize(actor, 'contacts:write')
      const fields = { ...input, externalId }
      return write(workspaceId, async (tx) => {
        let lastError: unknown
        for (let attempt = 0; attempt < 3; attempt++) {
          const [existing] = await tx
            .select()
            .from(contacts)
            .where(byExternalId(workspaceId, externalId))
            .for('update')
          if (existing)
            return {
              created: false,
              contact: toContact(await updateContact(tx, actor, workspaceId, existing, fields)),
            }
          if (input.email) {
            const [known] = await tx
              .select()
              .from(contacts)
              .where(and(byEmail(workspaceId, input.email), isNull(contacts.externalId)))
              .for('update')
            if (known)
              return {
                created: false,
                contact: toContact(await updateContact(tx, actor, workspaceId, known, fields)),
              }
          }
          // A concurrent PUT may insert first: the savepoint lets this one look again and update.
          const inserted = await tx
            .transaction(async (savepoint) => insertContact(savepoint, actor, workspaceId, fields))
            .catch((error: unknown) => {
              // A concurrent PUT took the externalId (or the same new e-mail, whose index is checked
              // first): look again, and update what it wrote.
              const constraint = violatedConstraint(error)
              if (constraint === 'contacts_external_id_key' || constraint === 'contacts_email_key') {
                lastError = error
                return null
              }
              throw error
            })
          if (inserted) return { created: true, contact: toContact(inserted) }
        }
        // Still taken after looking again: the e-mail belongs to a contact with another externalId.
        throw (
          contactConflict(lastError) ?? new Problem('conflict', 'The contact changed concurrently; retry.')
        )
      })
    },

    /** Deletes a contact who has no tickets; one with tickets is kept (anonymization is its own command). */
    remove(actor: Actor, id: string) {
      const { workspaceId } = authorize(actor, 'contacts:write')
      return write(workspaceId, async (tx) => {
        await lockContact(tx, workspaceId, id)
        const [ticket] = await tx
          .select({ id: tickets.id })
          .from(tickets)
          .where(and(eq(tickets.workspaceId, workspaceId), eq(tickets.requesterId, id)))
          .limit(1)
        if (ticket) {
          throw new Problem(
            'conflict',
            'This contact has tickets and cannot be deleted; anonymize them instead.',
          )
        }
        await tx.delete(contacts).where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, id)))
        await recordEvent(tx, {
          workspaceId,
          type: 'contact.deleted',
          subjectType: 'contact',
          subjectId: id,
          actor,
        })
      })
    },

    /** Asserts the contact exists in the caller's workspace (for `/v1/contacts/{id}/tickets`). */
    async assertExists(actor: Actor, id: string) {
      const { workspaceId } = authorize(actor, 'contacts:read')
      const [row] = await readInWorkspace(db, workspaceId, (q) =>
        q
          .select({ id: contacts.id })
          .from(contacts)
          .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, id))),
      )
      if (!row) throw ContactNotFound(id)
    },

    /** Batch read for GraphQL loaders: one query for many tickets' requesters. */
    async byIds(actor: Actor, ids: readonly string[]) {
      const { workspaceId, customer } = authorizeScoped(actor, 'tickets:read')
      if (ids.length === 0) return []
      // A customer sees themself and, as an authorized member, their organization's contacts.
      const visible = customer
        ? customer.organizationId
          ? or(eq(contacts.id, customer.contactId), eq(contacts.organizationId, customer.organizationId))
          : eq(contacts.id, customer.contactId)
        : undefined
      const rows = await readInWorkspace(db, workspaceId, (q) =>
        q
          .select()
          .from(contacts)
          .where(
            and(eq(contacts.workspaceId, workspaceId), inArray(contacts.id, [...new Set(ids)]), visible),
          ),
      )
      // A colleague's phone and the integrator's metadata are the staff's, not another customer's.
      return rows.map((row) =>
        customer && row.id !== customer.contactId
          ? { ...toContact(row), phone: null, metadata: {} }
          : toContact(row),
      )
    },
  }
}
export type ContactsService = ReturnType<typeof createContactsService>

const pick = (row: ContactRow) =>
  Object.fromEntries(contactFields.map((f) => [f, row[f]])) as Partial<ContactRow>
