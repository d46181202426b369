import { and, eq, notInArray, sql } from 'drizzle-orm'
import type { Actor } from '../../auth/actor.ts'
import { tickets } from '../../db/schema/index.ts'
import type { Tx } from '../../db/transaction.ts'
import { Problem } from '../../lib/problem.ts'
import { actorColumns } from '../events/service.ts'
import { rematchOpenTickets } from '../sla/timers.ts'

/**
 * Moves every ticket of a department (or priority) to another one, or to none, in one statement,
 * recording a `ticket.updated` event for each ticket as any other change would. Moving to a
 * department with members unassigns the tickets whose assignee is not one of them.
 */
export async function moveTickets(
  tx: Tx,
  actor: Actor,
  workspaceId: string,
  field: 'departmentId' | 'priorityId',
  from: string,
  to: string | null,
) {
  const { actorKind, actorId } = actorColumns(actor)
  const column = sql.raw(field === 'departmentId' ? 'department_id' : 'priority_id')
  const assignee =
    field === 'departmentId' && to
      ? sql`case when exists (select 1 from department_members m where m.workspace_id = ${workspaceId}
          and m.department_id = ${to}) and not exists (select 1 from department_members m
          where m.workspace_id = ${workspaceId} and m.department_id = ${to} and m.user_id = t.assignee_id)
          then null else t.assignee_id end`
      : sql`t.assignee_id`
  // In id order, as every re-match locks tickets, so a move and a workspace-wide re-match cannot deadlock.
  await tx.execute(sql`select id from tickets where workspace_id = ${workspaceId} and ${column} = ${from}::uuid
    order by id for update`)
  await tx.execute(sql`
    with moved as (
      update tickets t set ${column} = ${to}::uuid, assignee_id = ${assignee},
        version = t.version + 1, updated_at = now()
      from tickets before
      where t.workspace_id = ${workspaceId} and t.${column} = ${from}::uuid
        and before.workspace_id = t.workspace_id and before.id = t.id
      returning t.id, before.assignee_id as assignee_before, t.assignee_id as assignee_after
    )
    insert into events (workspace_id, id, type, subject_type, subject_id, actor_kind, actor_id, changes, created_at)
    select ${workspaceId}, gen_random_uuid(), 'ticket.updated', 'ticket', id, ${actorKind}, ${actorId}::uuid,
      jsonb_build_object(${field}::text, jsonb_build_array(${from}::uuid, ${to}::uuid))
        || case when assignee_before is distinct from assignee_after
          then jsonb_build_object('assigneeId', jsonb_build_array(assignee_before, assignee_after)) else '{}' end,
      now()
    from moved order by id`)
  // Their SLA follows: the moved tickets are matched again (the others there come out unchanged).
  if (to !== null) await rematchOpenTickets(tx, workspaceId, eq(tickets[field], to))
}

/**
 * Empties a department or priority that is going away: its tickets move to `to`; without a target,
 * unsolved tickets make it a 409 (they must go somewhere), and solved or closed ones are left without.
 */
export async function releaseTickets(
  tx: Tx,
  actor: Actor,
  workspaceId: string,
  field: 'departmentId' | 'priorityId',
  from: { id: string; label: string },
  to: string | null,
) {
  if (to === null) {
    const [open] = await tx
      .select({ id: tickets.id })
      .from(tickets)
      .where(
        and(
          eq(tickets.workspaceId, workspaceId),
          eq(tickets[field], from.id),
          notInArray(tickets.status, ['solved', 'closed']),
        ),
      )
      .limit(1)
    if (open) throw new Problem('conflict', `${from.label} still has open tickets; give moveTo to move them.`)
  }
  await moveTickets(tx, actor, workspaceId, field, from.id, to)
}
