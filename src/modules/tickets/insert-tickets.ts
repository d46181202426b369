import { uuidv7 } from 'uuidv7'
import type { Actor } from '../../auth/actor.ts'
import { preparedStatement } from '../../db/raw.ts'
import type { Executor } from '../../db/transaction.ts'
import { isUuid } from '../../lib/refs.ts'
import type { RequesterRef } from '../contacts/service.ts'
import { actorColumns, diff } from '../events/service.ts'
import type { TicketRow, TicketViewRow } from './view.ts'

export interface NewTicket {
  actor: Actor
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
  /** `slaVersion`: the workspace's SLA settings version the insert saw (see `ticketCounters`). */
  | { kind: 'created'; view: TicketViewRow; slaVersion: number }
  | { kind: 'invalid'; field: 'department' | 'priority' | 'requester'; ref: string }
  /** The requester could not be settled inside the statement (a concurrent insert, or an e-mail owned by a contact without this externalId). */
  | { kind: 'requester_unsettled' }

interface OutcomeRow {
  department_ok: boolean
  priority_ok: boolean
  number: number | null
  requester: TicketViewRow['requester'] | null
  department: TicketViewRow['department']
  priority: TicketViewRow['priority']
  organization_id: string | null
  sla_version: number | null
}

/**
 * Creates any number of tickets of one workspace in one statement. For each input it resolves the
 * department and priority (the department's default priority, then the workspace's, when none is
 * named), finds or creates the requester with its `contact.created` event, and writes the ticket, its
 * first message and its `ticket.created` event; an input with a bad reference writes nothing. The
 * workspace's counter row is updated once, by the number of tickets written, and each takes the next
 * number in input order. One statement commits atomically by itself, so the counter row is locked only
 * while the server runs it, and a failure gives every number back: numbers never skip.
 *
 * Every input has the same shape (a JSON record), so there is one statement text, prepared once per
 * connection, whether it carries one ticket or a group (see `createGroupCommitter`).
 */
const insertStatement = preparedStatement<OutcomeRow & { ord: number }>(`
with input as (
  select * from jsonb_to_recordset($2::jsonb) as x(
    ord int, ticket_id uuid, message_id uuid, contact_id uuid, contact_event_id uuid, ticket_event_id uuid,
    now timestamptz, actor_kind text, actor_id uuid, subject text, type text, channel text, tags jsonb,
    external_ref text, metadata jsonb, dept_ref text, dept_id uuid, prio_ref text, prio_id uuid,
    req_id uuid, req_external_id text, req_email text, req_name text, body text, body_html text,
    known_changes jsonb, event_data jsonb)
), resolved as (
  select i.*, d.id as department_id, d.slug as department_slug, d.name as department_name,
    p.id as priority_id, p.slug as priority_slug, p.name as priority_name, p.rank as priority_rank,
    i.dept_ref is null or d.id is not null as department_ok,
    i.prio_ref is null or p.id is not null as priority_ok,
    f.id as found_id, f.name as found_name, f.email as found_email, f.external_id as found_external_id,
    f.organization_id as found_organization_id
  from input i
  left join lateral (
    select id, slug, name, default_priority_id from departments
    where workspace_id = $1 and (i.dept_ref is null or slug = i.dept_ref or id = i.dept_id)
    order by position, created_at limit 1
  ) d on true
  left join lateral (
    select id, slug, name, rank from priorities
    where workspace_id = $1 and case when i.prio_ref is null then id = d.default_priority_id or is_default
      else slug = i.prio_ref or id = i.prio_id end
    order by (id = d.default_priority_id) desc nulls last limit 1
  ) p on true
  left join lateral (
    select id, name, email, external_id, organization_id from contacts
    where workspace_id = $1 and i.req_id is not null and id = i.req_id
    union all
    select id, name, email, external_id, organization_id from contacts
    where workspace_id = $1 and i.req_id is null and external_id = i.req_external_id
    union all
    select id, name, email, external_id, organization_id from contacts
    where workspace_id = $1 and i.req_id is null and i.req_external_id is null and email_key = lower(i.req_email)
    limit 1
  ) f on true
), new_contact as (
  -- A new customer whose e-mail domain an organization claims joins it as a member.
  insert into contacts (workspace_id, id, external_id, email, name, organization_id, organization_role,
    created_at, updated_at)
  select $1, contact_id, req_external_id, req_email, req_name, o.id, case when o.id is not null then 'member' end,
    now, now
  from resolved
  left join lateral (select id from organizations where workspace_id = $1 and req_email is not null
    and domains @> array[lower(split_part(req_email, '@', 2))] order by created_at, id limit 1) o on true
  where req_id is null and department_ok and priority_ok and found_id is null
    and exists (select 1 from ticket_counters where workspace_id = $1)
  -- The same order in every group, so two groups (two instances) inserting the same new customers
  -- take their unique-index locks in the same order and cannot deadlock.
  order by lower(req_email), req_external_id
  on conflict do nothing
  returning id, name, email, external_id, organization_id
), contact_created as (
  insert into events (workspace_id, id, type, subject_type, subject_id, actor_kind, actor_id, changes, created_at)
  select $1, r.contact_event_id, 'contact.created', 'contact', n.id, r.actor_kind, r.actor_id,
    jsonb_build_object('externalId', jsonb_build_array(null, n.external_id), 'email', jsonb_build_array(null, n.email),
      'name', jsonb_build_array(null, n.name)),
    r.now
  from new_contact n join resolved r on r.contact_id = n.id
  order by r.ord
), ready as (
  select r.*, row_number() over (order by r.ord) as position,
    coalesce(r.found_id, n.id) as requester_id,
    case when r.found_id is null then n.organization_id else r.found_organization_id end as organization_id
  from resolved r left join new_contact n on n.id = r.contact_id
  where r.department_ok and r.priority_ok and (r.found_id is not null or n.id is not null)
), counter as (
  update ticket_counters set last_number = last_number + (select count(*) from ready)
  where workspace_id = $1 and exists (select 1 from ready)
  returning last_number - (select count(*) from ready) as base, sla_version
), ticket as (
  insert into tickets (workspace_id, id, number, subject, status, type, channel, priority_id, department_id,
    requester_id, organization_id, tags, external_ref, metadata, version, created_at, updated_at,
    last_customer_message_at)
  select $1, r.ticket_id, counter.base + r.position, r.subject, 'new', r.type, r.channel, r.priority_id,
    r.department_id, r.requester_id, r.organization_id, array(select jsonb_array_elements_text(r.tags)),
    r.external_ref, r.metadata, 1, r.now, r.now, r.now
  from ready r, counter
  order by r.ord
  returning id, number
), first_message as (
  insert into messages (workspace_id, id, ticket_id, visibility, author_kind, author_id, body, body_html, channel,
    created_at)
  select $1, r.message_id, r.ticket_id, 'public', 'contact', r.requester_id, r.body, r.body_html, r.channel, r.now
  from ready r join ticket t on t.id = r.ticket_id
  order by r.ord
), ticket_created as (
  insert into events (workspace_id, id, type, subject_type, subject_id, actor_kind, actor_id, changes, data,
    created_at)
  select $1, r.ticket_event_id, 'ticket.created', 'ticket', r.ticket_id, r.actor_kind, r.actor_id,
    jsonb_build_object('number', jsonb_build_array(null, t.number), 'requesterId', jsonb_build_array(null, r.requester_id))
      || jsonb_strip_nulls(jsonb_build_object(
        'priorityId', case when r.priority_id is not null then jsonb_build_array(null, r.priority_id) end,
        'departmentId', case when r.department_id is not null then jsonb_build_array(null, r.department_id) end,
        'organizationId', case when r.organization_id is not null then jsonb_build_array(null, r.organization_id) end))
      || r.known_changes,
    r.event_data, r.now
  from ready r join ticket t on t.id = r.ticket_id
  order by r.ord
)
select r.ord, r.department_ok, r.priority_ok, t.number,
  case when ready.requester_id is not null then json_build_object('id', ready.requester_id,
    'name', coalesce(r.found_name, n.name), 'email', coalesce(r.found_email, n.email),
    'externalId', coalesce(r.found_external_id, n.external_id)) end as requester,
  case when r.department_id is not null then json_build_object('id', r.department_id, 'slug', r.department_slug,
    'name', r.department_name) end as department,
  case when r.priority_id is not null then json_build_object('id', r.priority_id, 'slug', r.priority_slug,
    'name', r.priority_name, 'rank', r.priority_rank) end as priority,
  ready.organization_id, (select sla_version from counter) as sla_version
from resolved r
  left join new_contact n on n.id = r.contact_id
  left join ready on ready.ord = r.ord
  left join ticket t on t.id = r.ticket_id
order by r.ord`)

/** Creates the tickets (see `insertStatement`); outcomes come back in input order. */
export async function insertTickets(
  q: Executor,
  workspaceId: string,
  inputs: readonly NewTicket[],
  now = new Date(),
): Promise<InsertOutcome[]> {
  const records = inputs.map((input, ord) => toRecord(input, ord, now))
  const rows = await insertStatement(q, [workspaceId, JSON.stringify(records)])
  if (rows.length !== inputs.length)
    throw new Error(`ticket insert returned ${rows.length} of ${inputs.length} rows`)
  return rows.map((row, i) => toOutcome(workspaceId, inputs[i] as NewTicket, records[i] as InsertRecord, row))
}

type InsertRecord = ReturnType<typeof toRecord>

function toRecord(input: NewTicket, ord: number, now: Date) {
  const { actorKind, actorId } = actorColumns(input.actor)
  const ref = input.requester
  const ticketId = uuidv7()
  const messageId = uuidv7()
  return {
    ord,
    ticket_id: ticketId,
    message_id: messageId,
    contact_id: uuidv7(),
    contact_event_id: uuidv7(),
    ticket_event_id: uuidv7(),
    now,
    actor_kind: actorKind,
    actor_id: actorId,
    subject: input.subject,
    type: input.type,
    channel: input.channel,
    tags: input.tags,
    external_ref: input.externalRef,
    metadata: input.metadata,
    dept_ref: input.department ?? null,
    dept_id: input.department !== undefined && isUuid(input.department) ? input.department : null,
    prio_ref: input.priority ?? null,
    prio_id: input.priority !== undefined && isUuid(input.priority) ? input.priority : null,
    req_id: 'id' in ref ? ref.id : null,
    req_external_id: 'externalId' in ref ? ref.externalId : null,
    req_email: 'id' in ref ? null : (ref.email ?? null),
    req_name: 'id' in ref ? null : (ref.name ?? null),
    body: input.message.body,
    body_html: input.message.bodyHtml,
    // Fields known before the statement runs; the ids it resolves are added to the event in SQL.
    known_changes: diff(
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
    ),
    event_data: { messageId, visibility: 'public' },
  }
}

function toOutcome(
  workspaceId: string,
  input: NewTicket,
  record: InsertRecord,
  row: OutcomeRow,
): InsertOutcome {
  if (!row.department_ok) return { kind: 'invalid', field: 'department', ref: input.department ?? '' }
  if (!row.priority_ok) return { kind: 'invalid', field: 'priority', ref: input.priority ?? '' }
  const ref = input.requester
  if (!row.requester) {
    return 'id' in ref
      ? { kind: 'invalid', field: 'requester', ref: ref.id }
      : { kind: 'requester_unsettled' }
  }
  if (row.number === null) throw new Error(`workspace ${workspaceId} has no ticket counter`)
  return {
    kind: 'created',
    slaVersion: row.sla_version ?? 0,
    view: {
      ticket: {
        workspaceId,
        id: record.ticket_id,
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
        createdAt: record.now,
        updatedAt: record.now,
        firstRespondedAt: null,
        solvedAt: null,
        closedAt: null,
        lastCustomerMessageAt: record.now,
        slaNextDueAt: null,
        slaBreached: false,
      },
      priority: row.priority,
      department: row.department,
      requester: row.requester,
    },
  }
}
