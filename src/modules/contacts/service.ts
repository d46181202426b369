import { and, eq, inArray, or, sql } from 'drizzle-orm'
import type { Actor } from '../../auth/actor.ts'
import { authorize, authorizeScoped } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { contacts } from '../../db/schema/index.ts'
import { currentExecutor, type Executor } from '../../db/transaction.ts'
import { jsonDates } from '../../lib/json-dates.ts'
import { Problem, problem } from '../../lib/problem.ts'
import { recordEvent } from '../events/service.ts'

export const ContactNotFound = problem('not_found', 'Contact %s not found')
export type ContactRow = typeof contacts.$inferSelect

export function toContact(row: ContactRow) {
  const { workspaceId: _ws, anonymizedAt: _anonymized, ...visible } = row
  return jsonDates(visible)
}

export type RequesterRef =
  | { id: string }
  | { externalId: string; email?: string; name?: string }
  | { email: string; name?: string }

const byEmail = (workspaceId: string, email: string) =>
  and(eq(contacts.workspaceId, workspaceId), sql`lower(${contacts.email}) = lower(${email})`)
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

  const [created] = await q
    .insert(contacts)
    .values({ workspaceId, externalId, email: ref.email ?? null, name: ref.name ?? null })
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

export function createContactsService(db: Db) {
  return {
    async get(actor: Actor, id: string) {
      const { workspaceId } = authorize(actor, 'contacts:read')
      const [row] = await currentExecutor(db)
        .select()
        .from(contacts)
        .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, id)))
      if (!row) throw ContactNotFound(id)
      return toContact(row)
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
      const rows = await currentExecutor(db)
        .select()
        .from(contacts)
        .where(and(eq(contacts.workspaceId, workspaceId), inArray(contacts.id, [...new Set(ids)]), visible))
      return rows.map(toContact)
    },
  }
}
