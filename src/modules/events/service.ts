import { and, asc, eq, gt } from 'drizzle-orm'
import { type Actor, actorId } from '../../auth/actor.ts'
import { events as eventsTable } from '../../db/schema/index.ts'
import type { Executor } from '../../db/transaction.ts'
import { canonicalJson } from '../../lib/canonical-json.ts'
import { paginate, readCursor } from '../../lib/cursor.ts'

/** Events own the written history: one row per command and changed subject, in the command's transaction. */
export type Changes = Record<string, [unknown, unknown]>
export type EventRow = typeof eventsTable.$inferSelect

export interface NewEvent {
  workspaceId: string
  type: string
  subjectType:
    | 'workspace'
    | 'ticket'
    | 'contact'
    | 'organization'
    | 'api_key'
    | 'agent'
    | 'department'
    | 'priority'
    | 'contact_token_secret'
    | 'business_calendar'
    | 'sla_policy'
    | 'kb_category'
    | 'kb_article'
    | 'kb_suggestion'
  subjectId: string
  actor: Actor
  changes?: Changes
  data?: Record<string, unknown>
  /** The command's own instant (the database's clock when absent). */
  createdAt?: Date
}

export function actorColumns(actor: Actor): { actorKind: string; actorId: string | null } {
  return { actorKind: actor.kind === 'apiKey' ? 'api_key' : actor.kind, actorId: actorId(actor) }
}

export function toEvent(row: EventRow) {
  return {
    id: row.id,
    seq: row.seq,
    type: row.type,
    actor: { kind: row.actorKind, id: row.actorId },
    changes: row.changes,
    data: row.data,
    createdAt: row.createdAt.toISOString(),
  }
}

export async function recordEvent(tx: Executor, event: NewEvent): Promise<void> {
  const { actor, ...rest } = event
  await tx
    .insert(eventsTable)
    .values({ ...rest, ...actorColumns(actor), changes: rest.changes ?? {}, data: rest.data ?? {} })
}

/** Field-by-field differences between two snapshots, as `{ field: [from, to] }`. */
export function diff<T extends Record<string, unknown>>(before: T, after: Partial<T>): Changes {
  const changes: Changes = {}
  for (const [field, to] of Object.entries(after)) {
    if (to === undefined) continue
    const from = before[field]
    // Key order is not a change: jsonb gives objects back in its own order.
    if (canonicalJson(from ?? null) !== canonicalJson(to)) changes[field] = [from ?? null, to]
  }
  return changes
}

/** Reads of the event log, inside the caller's workspace-bound transaction. */
export const events = {
  async listForSubject(
    q: Executor,
    workspaceId: string,
    subjectType: string,
    subjectId: string,
    page: { limit: number; cursor?: string },
  ) {
    const after = page.cursor ? readCursor(page.cursor, ['seq'])[0] : 0
    const rows = await q
      .select()
      .from(eventsTable)
      .where(
        and(
          eq(eventsTable.workspaceId, workspaceId),
          eq(eventsTable.subjectType, subjectType),
          eq(eventsTable.subjectId, subjectId),
          gt(eventsTable.seq, after),
        ),
      )
      .orderBy(asc(eventsTable.seq))
      .limit(page.limit + 1)
    const result = paginate(rows, page.limit, (row) => [row.seq])
    return { ...result, data: result.data.map(toEvent) }
  },
}
