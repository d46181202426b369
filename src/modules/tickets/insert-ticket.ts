import { type SQL, sql } from 'drizzle-orm'
import { uuidv7 } from 'uuidv7'
import type { Actor } from '../../auth/actor.ts'
import { rowsOf } from '../../db/raw.ts'
import {
  contacts,
  departments,
  events,
  messages,
  priorities,
  ticketCounters,
  tickets,
} from '../../db/schema/index.ts'
import type { Executor } from '../../db/transaction.ts'
import { isUuid } from '../../lib/refs.ts'
import type { RequesterRef } from '../contacts/service.ts'
import { actorColumns, diff } from '../events/service.ts'
import type { TicketRow, TicketViewRow } from './view.ts'

export interface NewTicket {
  workspaceId: string
  subject: string
  type: TicketRow['type']
  channel: TicketRow['channel']
  tags: string[]
  externalRef: string | null
  metadata: Record<string, unknown>
  /** Department and priority references (id or slug) as the caller gave them. */
  department: string | undefined
  priority: string | undefined
  requester: RequesterRef
  message: { body: string; bodyHtml: string | null }
}

export type InsertOutcome =
  | { kind: 'created'; view: TicketViewRow }
  | { kind: 'invalid'; field: 'department' | 'priority' | 'requester'; ref: string }
  /** The requester could not be settled inside one statement (a concurrent insert, or an e-mail owned by a contact without this externalId). */
  | { kind: 'requester_unsettled' }

const byRef = (ref: string) => (isUuid(ref) ? sql`(id = ${ref}::uuid or slug = ${ref})` : sql`slug = ${ref}`)

/**
 * Creates a ticket in one statement: resolves department and priority (the department's default
 * priority, then the workspace's, when none is named), finds or creates the requester with its
 * `contact.created` event, takes the next number, and writes the ticket, its first message and its
 * `ticket.created` event. Everything is gated on the references being valid, so a bad one writes
 * nothing. One statement commits atomically by itself: the workspace's counter row is locked only
 * while the server runs it, and a failure gives the number back, so numbers never skip.
 */
export async function insertTicket(
  q: Executor,
  actor: Actor,
  input: NewTicket,
  now: Date,
): Promise<InsertOutcome> {
  const ws = input.workspaceId
  const ticketId = uuidv7()
  const messageId = uuidv7()
  const { actorKind, actorId } = actorColumns(actor)
  const ref = input.requester
  const requesterMatch: SQL =
    'id' in ref
      ? sql`id = ${ref.id}::uuid`
      : 'externalId' in ref
        ? sql`external_id = ${ref.externalId}`
        : sql`lower(email) = lower(${ref.email})`
  const mayInsertRequester = !('id' in ref)
  const insertValues =
    'id' in ref
      ? { externalId: null, email: null, name: null }
      : {
          externalId: 'externalId' in ref ? ref.externalId : null,
          email: ref.email ?? null,
          name: ref.name ?? null,
        }
  // Fields known before the statement runs; the ids it resolves are added to the event in SQL.
  const knownChanges = diff(
    {},
    {
      subject: input.subject,
      status: 'new',
      type: input.type,
      channel: input.channel,
      tags: input.tags,
      externalRef: input.externalRef,
      metadata: input.metadata,
    },
  )
  const changeOf = (field: string, value: SQL) =>
    sql`case when ${value} is null then '{}'::jsonb else jsonb_build_object(${field}::text, jsonb_build_array(null, ${value})) end`

  const [row] = await rowsOf<{
    department_ok: boolean
    priority_ok: boolean
    number: number | null
    requester: TicketViewRow['requester'] | null
    department: TicketViewRow['department']
    priority: TicketViewRow['priority']
    organization_id: string | null
  }>(
    q,
    sql`with dept as (
      select id, slug, name, default_priority_id from ${departments}
      where workspace_id = ${ws}::uuid and ${input.department === undefined ? sql`true` : byRef(input.department)}
      order by position, created_at limit 1
    ), prio as (
      select id, slug, name, rank from ${priorities}
      where workspace_id = ${ws}::uuid and ${
        input.priority === undefined
          ? sql`(id = (select default_priority_id from dept) or is_default)`
          : byRef(input.priority)
      }
      order by (id = (select default_priority_id from dept)) desc nulls last limit 1
    ), checks as (
      select ${input.department === undefined}::boolean or exists (select 1 from dept) as department_ok,
        ${input.priority === undefined}::boolean or exists (select 1 from prio) as priority_ok
    ), found as (
      select id, name, email, external_id, organization_id from ${contacts}
      where workspace_id = ${ws}::uuid and ${requesterMatch} limit 1
    ), new_contact as (
      insert into ${contacts} (workspace_id, id, external_id, email, name, created_at, updated_at)
      select ${ws}::uuid, ${uuidv7()}::uuid, ${insertValues.externalId}::text, ${insertValues.email}::text,
        ${insertValues.name}::text, ${now}::timestamptz, ${now}::timestamptz
      from checks
      where ${mayInsertRequester}::boolean and department_ok and priority_ok and not exists (select 1 from found)
      on conflict do nothing
      returning id, name, email, external_id, organization_id
    ), contact_created as (
      insert into ${events} (workspace_id, id, type, subject_type, subject_id, actor_kind, actor_id, changes, created_at)
      select ${ws}::uuid, ${uuidv7()}::uuid, 'contact.created', 'contact', id, ${actorKind}::text, ${actorId}::uuid,
        jsonb_build_object('externalId', jsonb_build_array(null, external_id), 'email', jsonb_build_array(null, email),
          'name', jsonb_build_array(null, name)),
        ${now}::timestamptz
      from new_contact
    ), requester as (
      select * from found union all select * from new_contact
    ), counter as (
      update ${ticketCounters} set last_number = last_number + 1
      where workspace_id = ${ws}::uuid and exists (select 1 from requester)
        and (select department_ok and priority_ok from checks)
      returning last_number
    ), ticket as (
      insert into ${tickets} (workspace_id, id, number, subject, status, type, channel, priority_id, department_id,
        requester_id, organization_id, tags, external_ref, metadata, version, created_at, updated_at,
        last_customer_message_at)
      select ${ws}::uuid, ${ticketId}::uuid, counter.last_number, ${input.subject}::text, 'new', ${input.type}::text,
        ${input.channel}::text, (select id from prio), (select id from dept), requester.id, requester.organization_id,
        array(select jsonb_array_elements_text(${JSON.stringify(input.tags)}::jsonb)), ${input.externalRef}::text,
        ${JSON.stringify(input.metadata)}::jsonb, 1, ${now}::timestamptz, ${now}::timestamptz, ${now}::timestamptz
      from counter, requester
      returning number, priority_id, department_id, requester_id, organization_id
    ), first_message as (
      insert into ${messages} (workspace_id, id, ticket_id, visibility, author_kind, author_id, body, body_html,
        channel, created_at)
      select ${ws}::uuid, ${messageId}::uuid, ${ticketId}::uuid, 'public', 'contact', requester_id,
        ${input.message.body}::text, ${input.message.bodyHtml}::text, ${input.channel}::text, ${now}::timestamptz
      from ticket
    ), ticket_created as (
      insert into ${events} (workspace_id, id, type, subject_type, subject_id, actor_kind, actor_id, changes, data,
        created_at)
      select ${ws}::uuid, ${uuidv7()}::uuid, 'ticket.created', 'ticket', ${ticketId}::uuid, ${actorKind}::text,
        ${actorId}::uuid,
        jsonb_build_object('number', jsonb_build_array(null, number), 'requesterId', jsonb_build_array(null, requester_id))
          || ${changeOf('priorityId', sql`priority_id`)} || ${changeOf('departmentId', sql`department_id`)}
          || ${changeOf('organizationId', sql`organization_id`)} || ${JSON.stringify(knownChanges)}::jsonb,
        ${JSON.stringify({ messageId, visibility: 'public' })}::jsonb, ${now}::timestamptz
      from ticket
    )
    select checks.department_ok, checks.priority_ok,
      (select number from ticket) as number,
      (select json_build_object('id', id, 'name', name, 'email', email, 'externalId', external_id) from requester) as requester,
      (select json_build_object('id', id, 'slug', slug, 'name', name) from dept) as department,
      (select json_build_object('id', id, 'slug', slug, 'name', name, 'rank', rank) from prio) as priority,
      (select organization_id from requester) as organization_id
    from checks`,
  )
  if (!row) throw new Error('ticket insert returned no row')
  if (!row.department_ok) return { kind: 'invalid', field: 'department', ref: input.department ?? '' }
  if (!row.priority_ok) return { kind: 'invalid', field: 'priority', ref: input.priority ?? '' }
  if (!row.requester) {
    return 'id' in ref
      ? { kind: 'invalid', field: 'requester', ref: ref.id }
      : { kind: 'requester_unsettled' }
  }
  if (row.number === null) throw new Error(`workspace ${ws} has no ticket counter`)
  return {
    kind: 'created',
    view: {
      ticket: {
        workspaceId: ws,
        id: ticketId,
        number: row.number,
        subject: input.subject,
        status: 'new',
        type: input.type,
        channel: input.channel,
        priorityId: row.priority?.id ?? null,
        departmentId: row.department?.id ?? null,
        requesterId: row.requester.id,
        organizationId: row.organization_id,
        assigneeId: null,
        tags: input.tags,
        externalRef: input.externalRef,
        metadata: input.metadata,
        version: 1,
        createdAt: now,
        updatedAt: now,
        firstRespondedAt: null,
        solvedAt: null,
        closedAt: null,
        lastCustomerMessageAt: now,
        slaNextDueAt: null,
        slaBreached: false,
      },
      priority: row.priority,
      department: row.department,
      requester: row.requester,
    },
  }
}
