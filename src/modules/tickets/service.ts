import { and, eq, isNull } from 'drizzle-orm'
import sanitizeHtml from 'sanitize-html'
import type { Actor } from '../../auth/actor.ts'
import { authorize } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { createGroupCommitter } from '../../db/group-commit.ts'
import {
  type channels,
  contacts,
  memberships,
  messages,
  tickets,
  type ticketTypes,
} from '../../db/schema/index.ts'
import { currentExecutor, inTransaction, type Tx } from '../../db/transaction.ts'
import { invalid, Problem } from '../../lib/problem.ts'
import type { TicketRef } from '../../lib/refs.ts'
import { findOrCreateRequester, type RequesterRef } from '../contacts/service.ts'
import { resolveDepartment } from '../departments/service.ts'
import { type Changes, diff, recordEvent } from '../events/service.ts'
import { resolvePriority } from '../priorities/service.ts'
import { type InsertOutcome, insertTickets, type NewTicket } from './insert-tickets.ts'
import { assertTransition, assertWritable, statusTimestamps, type TicketStatus } from './lifecycle.ts'
import { createTicketQueries, describeRef, refCondition, TicketNotFound, toMessage } from './queries.ts'
import { normalizeTags } from './tags.ts'
import { type TicketRow, toTicket } from './view.ts'

type Channel = (typeof channels)[number]
type TicketType = (typeof ticketTypes)[number]

export interface NewMessage {
  body: string
  bodyHtml?: string | undefined
  visibility?: 'public' | 'internal'
  /** An integration relaying the customer's own words names them here. */
  author?: 'requester' | { contactId: string } | undefined
}

export interface CreateTicketInput {
  subject: string
  message: Omit<NewMessage, 'visibility' | 'author'>
  requester: RequesterRef
  priority?: string
  department?: string
  type?: TicketType
  channel?: Channel
  tags?: string[]
  externalRef?: string
  metadata?: Record<string, unknown>
}

export interface UpdateTicketInput {
  subject?: string
  status?: TicketStatus
  priority?: string
  department?: string
  assigneeId?: string | null
  tags?: string[]
  type?: TicketType | null
  externalRef?: string | null
  metadata?: Record<string, unknown>
}

/** Stored HTML keeps formatting and links but never scripts, styles or event handlers. */
export function sanitizeBodyHtml(html: string): string {
  return sanitizeHtml(html, {
    allowedTags: [...sanitizeHtml.defaults.allowedTags, 'img'],
    allowedAttributes: {
      a: ['href', 'title', 'target', 'rel'],
      img: ['src', 'alt', 'title', 'width', 'height'],
    },
    allowedSchemes: ['http', 'https', 'mailto', 'tel'],
    allowedSchemesByTag: { img: ['https', 'data'] },
  })
}

export function createTicketsService(db: Db) {
  const queries = createTicketQueries(db)
  const insertInGroup = createGroupCommitter(db, insertTickets)

  async function lockTicket(tx: Tx, workspaceId: string, ref: TicketRef) {
    const [row] = await tx.select().from(tickets).where(refCondition(workspaceId, ref)).for('update')
    if (!row) throw TicketNotFound(describeRef(ref))
    return row
  }

  async function assertAssignable(tx: Tx, workspaceId: string, userId: string) {
    const [member] = await tx
      .select({ userId: memberships.userId })
      .from(memberships)
      .where(
        and(
          eq(memberships.workspaceId, workspaceId),
          eq(memberships.userId, userId),
          isNull(memberships.deactivatedAt),
        ),
      )
    if (!member) throw invalid('/assigneeId', `is not an active agent of this workspace: ${userId}`)
  }

  async function viewOf(tx: Tx, workspaceId: string, ticket: TicketRow) {
    return toTicket(await queries.findView(tx, workspaceId, { id: ticket.id }))
  }

  return {
    ...queries,

    async create(actor: Actor, input: CreateTicketInput) {
      const { workspaceId } = authorize(actor, 'tickets:write')
      const q = currentExecutor(db)
      const ticket: NewTicket = {
        actor,
        subject: input.subject,
        type: input.type ?? null,
        channel: input.channel ?? 'api',
        tags: normalizeTags(input.tags ?? []),
        externalRef: input.externalRef ?? null,
        metadata: input.metadata ?? {},
        department: input.department,
        priority: input.priority,
        requester: input.requester,
        message: {
          body: input.message.body,
          bodyHtml: input.message.bodyHtml === undefined ? null : sanitizeBodyHtml(input.message.bodyHtml),
        },
      }
      // An idempotent request runs in an ambient transaction of its own, which a group cannot join.
      const insert = (t: NewTicket) =>
        q === db
          ? insertInGroup(workspaceId, t)
          : insertTickets(q, workspaceId, [t]).then(([o]) => o as InsertOutcome)
      let outcome = await insert(ticket)
      if (outcome.kind === 'requester_unsettled' && !('id' in input.requester)) {
        // Settle the requester first (a race lost, or an e-mail to link to this externalId), then create.
        const contact = await findOrCreateRequester(q, actor, workspaceId, input.requester)
        outcome = await insert({ ...ticket, requester: { id: contact.id } })
      }
      if (outcome.kind === 'invalid') {
        throw invalid(
          `/${outcome.field}${outcome.field === 'requester' ? '/id' : ''}`,
          `names no ${outcome.field === 'requester' ? 'contact' : outcome.field} of this workspace: ${outcome.ref}`,
        )
      }
      if (outcome.kind !== 'created') throw new Error('the requester could not be settled')
      return toTicket(outcome.view)
    },

    /** With `expectedVersions` (If-Match, or GraphQL's expectedVersion) the change applies only to one of them. */
    update(actor: Actor, ref: TicketRef, input: UpdateTicketInput, expectedVersions?: number[]) {
      const { workspaceId } = authorize(actor, 'tickets:write')
      return inTransaction(db, async (tx) => {
        const current = await lockTicket(tx, workspaceId, ref)
        if (expectedVersions && !expectedVersions.includes(current.version)) {
          throw new Problem(
            'precondition_failed',
            `Ticket #${current.number} is at version ${current.version}; reload it and retry.`,
          )
        }
        assertWritable(current.status, current.number)
        const next: Partial<TicketRow> = {}
        if (input.subject !== undefined) next.subject = input.subject
        if (input.status !== undefined) {
          assertTransition(current.status, input.status, current.number)
          next.status = input.status
        }
        if (input.priority !== undefined)
          next.priorityId = (await resolvePriority(tx, workspaceId, input.priority)).id
        if (input.department !== undefined) {
          next.departmentId = (await resolveDepartment(tx, workspaceId, input.department)).id
        }
        if (input.assigneeId !== undefined) {
          if (input.assigneeId !== null) await assertAssignable(tx, workspaceId, input.assigneeId)
          next.assigneeId = input.assigneeId
        }
        if (input.tags !== undefined) next.tags = normalizeTags(input.tags)
        if (input.type !== undefined) next.type = input.type
        if (input.externalRef !== undefined) next.externalRef = input.externalRef
        if (input.metadata !== undefined) next.metadata = input.metadata

        const changes = diff(current, next)
        if (Object.keys(changes).length === 0) return viewOf(tx, workspaceId, current)
        const now = new Date()
        const timestamps = next.status ? statusTimestamps(current.status, next.status, now) : {}
        Object.assign(changes, diff(current, timestamps))
        await tx
          .update(tickets)
          .set({ ...next, ...timestamps, updatedAt: now, version: current.version + 1 })
          .where(and(eq(tickets.workspaceId, workspaceId), eq(tickets.id, current.id)))
        await recordEvent(tx, {
          workspaceId,
          type: 'ticket.updated',
          subjectType: 'ticket',
          subjectId: current.id,
          actor,
          changes,
        })
        return viewOf(tx, workspaceId, current)
      })
    },

    addMessage(actor: Actor, ref: TicketRef, input: NewMessage) {
      const { workspaceId } = authorize(actor, 'tickets:write')
      const visibility = input.visibility ?? 'public'
      return inTransaction(db, async (tx) => {
        const ticket = await lockTicket(tx, workspaceId, ref)
        assertWritable(ticket.status, ticket.number)
        const customerId = await customerAuthor(tx, workspaceId, ticket, input.author)
        if (customerId && visibility === 'internal') {
          throw invalid('/visibility', 'must be public for a message written by the customer')
        }
        const now = new Date()
        const next: Partial<TicketRow> = {}
        if (customerId) {
          next.lastCustomerMessageAt = now
          if (ticket.status === 'pending' || ticket.status === 'solved') next.status = 'open'
        } else if (visibility === 'public') {
          if (!ticket.firstRespondedAt) next.firstRespondedAt = now
          if (ticket.status === 'new') next.status = 'open'
        }
        const timestamps = next.status ? statusTimestamps(ticket.status, next.status, now) : {}
        const [message] = await tx
          .insert(messages)
          .values({
            workspaceId,
            ticketId: ticket.id,
            visibility,
            authorKind: customerId ? 'contact' : 'integration',
            authorId: customerId ?? (actor.kind === 'apiKey' ? actor.apiKeyId : null),
            body: input.body,
            bodyHtml: input.bodyHtml === undefined ? null : sanitizeBodyHtml(input.bodyHtml),
            channel: 'api',
            createdAt: now,
          })
          .returning()
        if (!message) throw new Error('insert returned no row')
        await tx
          .update(tickets)
          .set({ ...next, ...timestamps, updatedAt: now, version: ticket.version + 1 })
          .where(and(eq(tickets.workspaceId, workspaceId), eq(tickets.id, ticket.id)))
        const changes: Changes = diff(ticket, { ...next, ...timestamps })
        await recordEvent(tx, {
          workspaceId,
          type: 'ticket.message_added',
          subjectType: 'ticket',
          subjectId: ticket.id,
          actor,
          changes,
          data: { messageId: message.id, visibility, authorKind: message.authorKind },
        })
        return toMessage(message)
      })
    },
  }
}

/** The contact whose words a message carries, when an integration relays the customer; null for staff. */
async function customerAuthor(tx: Tx, workspaceId: string, ticket: TicketRow, author: NewMessage['author']) {
  if (author === undefined) return null
  if (author === 'requester') return ticket.requesterId
  const [contact] = await tx
    .select({ id: contacts.id })
    .from(contacts)
    .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, author.contactId)))
  if (!contact) throw invalid('/author/contactId', `names no contact of this workspace: ${author.contactId}`)
  return contact.id
}
