import { and, eq, sql } from 'drizzle-orm'
import sanitizeHtml from 'sanitize-html'
import { type Actor, actorId } from '../../auth/actor.ts'
import { authorizeScoped, type Customer, type Grant } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { createGroupCommitter } from '../../db/group-commit.ts'
import {
  type channels,
  contacts,
  departmentMembers,
  memberships,
  messages,
  tickets,
  type ticketTypes,
} from '../../db/schema/index.ts'
import { inWorkspace, readInWorkspace } from '../../db/tenant.ts'
import { currentExecutor, type Executor, type Tx } from '../../db/transaction.ts'
import { invalid, Problem } from '../../lib/problem.ts'
import type { TicketRef } from '../../lib/refs.ts'
import { findOrCreateRequester, type RequesterRef } from '../contacts/service.ts'
import { resolveDepartment } from '../departments/service.ts'
import { type Changes, diff, recordEvent } from '../events/service.ts'
import { resolvePriority } from '../priorities/service.ts'
import { slaFields } from '../sla/engine.ts'
import { slaTicketOf, startTimersOfNewTickets, syncTicketTimers } from '../sla/timers.ts'
import { customerTickets, forCustomer } from './access.ts'
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
  /** Required of staff; a contact's ticket is their own unless an authorized member names a colleague. */
  requester?: RequesterRef | undefined
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
  // A group is one statement in one transaction, bound to the workspace the group is keyed by.
  const insertInGroup = createGroupCommitter(db, (q, workspaceId, group: NewTicket[]) =>
    inWorkspace(q as Db, workspaceId, (tx) => insertWithTimers(tx, workspaceId, group)),
  )

  async function lockTicket(tx: Tx, grant: Grant, ref: TicketRef) {
    const [row] = await tx
      .select()
      .from(tickets)
      .where(and(refCondition(grant.workspaceId, ref), customerTickets(grant.customer)))
      .for('update')
    if (!row) throw TicketNotFound(describeRef(ref))
    return row
  }

  /**
   * Whether an agent may hold tickets of a department: an active member of the workspace, and of the
   * department when it has members (a department without members is open to every agent).
   */
  async function assignable(tx: Tx, workspaceId: string, userId: string, departmentId: string | null) {
    const [row] = await tx
      .select({
        active: sql<boolean>`${memberships.deactivatedAt} is null and ${memberships.role} <> 'viewer'`,
        inDepartment: departmentId
          ? sql<boolean>`not exists (select 1 from ${departmentMembers} d where d.workspace_id = ${workspaceId}
              and d.department_id = ${departmentId}) or exists (select 1 from ${departmentMembers} d
              where d.workspace_id = ${workspaceId} and d.department_id = ${departmentId} and d.user_id = ${userId})`
          : sql<boolean>`true`,
      })
      .from(memberships)
      .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)))
    if (!row?.active) return 'is not an active agent of this workspace'
    if (!row.inDepartment) return "is not a member of the ticket's department"
    return null
  }

  async function viewOf(tx: Tx, grant: Grant, ticket: TicketRow) {
    const view = toTicket(await queries.findView(tx, grant.workspaceId, { id: ticket.id }))
    return grant.customer ? forCustomer(view) : view
  }

  return {
    ...queries,

    async create(actor: Actor, input: CreateTicketInput) {
      const grant = authorizeScoped(actor, 'tickets:write')
      const { workspaceId } = grant
      const requester = grant.customer
        ? await readInWorkspace(db, workspaceId, (q) => customerRequester(q, grant, input))
        : input.requester
      if (!requester) throw invalid('/requester', 'is required')
      const ticket: NewTicket = {
        actor,
        subject: input.subject,
        type: input.type ?? null,
        channel: input.channel ?? (grant.customer ? 'web' : 'api'),
        tags: normalizeTags(input.tags ?? []),
        externalRef: input.externalRef ?? null,
        metadata: input.metadata ?? {},
        department: input.department,
        priority: input.priority,
        requester,
        message: {
          body: input.message.body,
          bodyHtml: input.message.bodyHtml === undefined ? null : sanitizeBodyHtml(input.message.bodyHtml),
        },
      }
      // An idempotent request runs in an ambient transaction of its own, which a group cannot join.
      const ambient = currentExecutor(db) !== db
      const insert = (t: NewTicket) =>
        ambient
          ? inWorkspace(db, workspaceId, (tx) => insertWithTimers(tx, workspaceId, [t])).then(
              ([o]) => o as InsertOutcome,
            )
          : insertInGroup(workspaceId, t)
      let outcome = await insert(ticket)
      if (outcome.kind === 'requester_unsettled' && !('id' in requester)) {
        // Settle the requester first (a race lost, or an e-mail to link to this externalId), then create.
        const contact = await inWorkspace(db, workspaceId, (tx) =>
          findOrCreateRequester(tx, actor, workspaceId, requester),
        )
        outcome = await insert({ ...ticket, requester: { id: contact.id } })
      }
      if (outcome.kind === 'invalid') {
        throw invalid(
          `/${outcome.field}${outcome.field === 'requester' ? '/id' : ''}`,
          `names no ${outcome.field === 'requester' ? 'contact' : outcome.field} of this workspace: ${outcome.ref}`,
        )
      }
      if (outcome.kind !== 'created') throw new Error('the requester could not be settled')
      const created = toTicket(outcome.view)
      return grant.customer ? forCustomer(created) : created
    },

    /** With `expectedVersions` (If-Match, or GraphQL's expectedVersion) the change applies only to one of them. */
    update(actor: Actor, ref: TicketRef, input: UpdateTicketInput, expectedVersions?: number[]) {
      const grant = authorizeScoped(actor, 'tickets:write')
      const { workspaceId } = grant
      if (grant.customer) {
        const others = Object.keys(input).filter((k) => k !== 'status')
        if (others.length > 0 || input.status !== 'solved') {
          throw new Problem('forbidden', 'A contact may only mark their ticket solved (status: "solved").')
        }
      }
      return inWorkspace(db, workspaceId, async (tx) => {
        const current = await lockTicket(tx, grant, ref)
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
        if (input.assigneeId !== undefined) next.assigneeId = input.assigneeId
        const assignee = next.assigneeId !== undefined ? next.assigneeId : current.assigneeId
        const departmentChanged =
          next.departmentId !== undefined && next.departmentId !== current.departmentId
        if (assignee && (input.assigneeId !== undefined || departmentChanged)) {
          const department = next.departmentId !== undefined ? next.departmentId : current.departmentId
          const refused = await assignable(tx, workspaceId, assignee, department)
          // Naming an agent who may not hold the ticket is an error; moving the ticket to a department
          // its assignee is not in leaves it unassigned there.
          if (refused && input.assigneeId !== undefined)
            throw invalid('/assigneeId', `${refused}: ${assignee}`)
          if (refused) next.assigneeId = null
        }
        if (input.tags !== undefined) next.tags = normalizeTags(input.tags)
        if (input.type !== undefined) next.type = input.type
        if (input.externalRef !== undefined) next.externalRef = input.externalRef
        if (input.metadata !== undefined) next.metadata = input.metadata

        const changes = diff(current, next)
        if (Object.keys(changes).length === 0) return viewOf(tx, grant, current)
        const now = new Date()
        const timestamps = next.status ? statusTimestamps(current.status, next.status, now) : {}
        if (slaFields.some((field) => field in changes)) {
          const plan = await syncTicketTimers(
            tx,
            workspaceId,
            slaTicketOf({ ...current, ...next, ...timestamps }),
            { kind: 'changed', from: current.status },
            now,
          )
          Object.assign(timestamps, { slaNextDueAt: plan.nextDueAt, slaBreached: plan.breached })
        }
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
          createdAt: now,
        })
        return viewOf(tx, grant, current)
      })
    },

    addMessage(actor: Actor, ref: TicketRef, input: NewMessage) {
      const grant = authorizeScoped(actor, 'tickets:write')
      const { workspaceId } = grant
      const visibility = input.visibility ?? 'public'
      if (grant.customer && (visibility !== 'public' || input.author !== undefined)) {
        throw new Problem('forbidden', 'A contact writes public replies in their own name only.')
      }
      return inWorkspace(db, workspaceId, async (tx) => {
        const ticket = await lockTicket(tx, grant, ref)
        assertWritable(ticket.status, ticket.number)
        const customerId = grant.customer
          ? grant.customer.contactId
          : await customerAuthor(tx, workspaceId, ticket, input.author)
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
        if (visibility === 'public') {
          const plan = await syncTicketTimers(
            tx,
            workspaceId,
            slaTicketOf({ ...ticket, ...next, ...timestamps }),
            customerId
              ? { kind: 'customerMessage', answered: ticket.firstRespondedAt !== null, from: ticket.status }
              : { kind: 'staffReply', from: ticket.status },
            now,
          )
          Object.assign(timestamps, { slaNextDueAt: plan.nextDueAt, slaBreached: plan.breached })
        }
        const [message] = await tx
          .insert(messages)
          .values({
            workspaceId,
            ticketId: ticket.id,
            visibility,
            authorKind: customerId ? 'contact' : actor.kind === 'agent' ? 'agent' : 'integration',
            authorId: customerId ?? actorId(actor),
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
          createdAt: now,
        })
        return toMessage(message)
      })
    },
  }
}

/** Creates tickets (see `insertTickets`) and starts their SLA timers in the same transaction. */
async function insertWithTimers(tx: Tx, workspaceId: string, group: NewTicket[]): Promise<InsertOutcome[]> {
  const outcomes = await insertTickets(tx, workspaceId, group)
  const created = outcomes.flatMap((o) => (o.kind === 'created' ? [o] : []))
  if (created.length > 0) {
    const version = (created[0] as { slaVersion: number }).slaVersion
    await startTimersOfNewTickets(
      tx,
      workspaceId,
      created.map((o) => o.view.ticket),
      version,
    )
  }
  return outcomes
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

/**
 * The requester of a ticket a contact opens: themself, or (for an authorized member of an organization)
 * a colleague of that organization named by id. Fields only staff set are refused.
 */
async function customerRequester(q: Executor, grant: Grant, input: CreateTicketInput): Promise<RequesterRef> {
  const customer = grant.customer as Customer
  const staffOnly = (['priority', 'tags', 'metadata'] as const).filter((field) => input[field] !== undefined)
  if (staffOnly.length > 0) {
    throw new Problem('forbidden', `A contact may not set ${staffOnly.join(', ')} on a ticket.`)
  }
  // A contact may file under a public department only; the others do not exist for them.
  if (input.department !== undefined) {
    const department = await resolveDepartment(q, grant.workspaceId, input.department)
    if (!department.public)
      throw invalid('/department', `names no department of this workspace: ${input.department}`)
  }
  const self = { id: customer.contactId }
  const named = input.requester
  if (!named || ('id' in named && named.id === customer.contactId)) return self
  if (customer.organizationId && 'id' in named) {
    const [colleague] = await q
      .select({ id: contacts.id })
      .from(contacts)
      .where(
        and(
          eq(contacts.workspaceId, grant.workspaceId),
          eq(contacts.id, named.id),
          eq(contacts.organizationId, customer.organizationId),
        ),
      )
    if (colleague) return { id: colleague.id }
  }
  throw new Problem(
    'forbidden',
    "A contact opens tickets for themself (an authorized member: for their organization's contacts, by id).",
  )
}
