import type { SlaMetric } from '../../db/schema/index.ts'
import {
  type Happening,
  planTimers,
  type SlaContext,
  type SlaTicket,
  slaFields,
  type TimerRow,
} from './engine.ts'

/** A ticket event as stored: what changed (`{ field: [from, to] }`), what else it said, and when. */
export interface HistoryEvent {
  type: string
  createdAt: Date
  changes: Record<string, [unknown, unknown]>
  data: Record<string, unknown>
}

function apply(ticket: SlaTicket, changes: HistoryEvent['changes']): SlaTicket {
  const next = { ...ticket } as SlaTicket & Record<string, unknown>
  for (const [field, [, to]] of Object.entries(changes)) {
    if (field === 'firstRespondedAt') next.firstRespondedAt = to === null ? null : new Date(String(to))
    else if (field in next) next[field] = to
  }
  return next
}

/**
 * A ticket's timers recomputed from its written history under the given policies and calendars: the
 * DOMAIN invariant "timers are derived state". Each ticket event is replayed as the command that wrote
 * it ran (created, a reply, a change of the fields an SLA looks at), and each breach a sweep recorded
 * is applied at its deadline. With the policies and calendars unchanged since, this gives the stored
 * timers (ids aside); after an edit, the difference is what the edit moved.
 */
export function replayTimers(
  context: SlaContext,
  workspaceId: string,
  ticketId: string,
  history: readonly HistoryEvent[],
): TimerRow[] {
  let ticket: SlaTicket | null = null
  let rows: TimerRow[] = []
  let ids = 0
  const newId = () => `replayed-${++ids}`
  const step = (state: SlaTicket, happening: Happening, at: Date) => {
    const plan = planTimers(context, state, rows, happening, at, newId, workspaceId)
    const gone = new Set(plan.deletes.map((t) => t.id))
    const changed = new Map(plan.upserts.map((t) => [t.id, t]))
    rows = rows.filter((t) => !gone.has(t.id)).map((t) => ({ ...t, ...(changed.get(t.id) ?? {}) }))
    for (const draft of plan.upserts) {
      if (!rows.some((t) => t.id === draft.id)) {
        const { isNew: _new, ...row } = draft
        rows.push({ ...row, createdAt: at, updatedAt: at })
      }
    }
  }
  for (const event of history) {
    if (event.type === 'ticket.created') {
      ticket = apply(
        {
          id: ticketId,
          status: 'new',
          priorityId: null,
          departmentId: null,
          channel: 'api',
          type: null,
          organizationId: null,
          tags: [],
          firstRespondedAt: null,
        },
        event.changes,
      )
      step(ticket, { kind: 'created' }, event.createdAt)
    } else if (ticket && event.type === 'ticket.updated') {
      const from = ticket.status
      ticket = apply(ticket, event.changes)
      if (slaFields.some((field) => field in event.changes))
        step(ticket, { kind: 'changed', from }, event.createdAt)
    } else if (ticket && event.type === 'ticket.message_added') {
      const from = ticket.status
      const answered = ticket.firstRespondedAt !== null
      ticket = apply(ticket, event.changes)
      if (event.data.visibility !== 'public') continue
      const happening: Happening =
        event.data.authorKind === 'contact'
          ? { kind: 'customerMessage', answered, from }
          : { kind: 'staffReply', from }
      step(ticket, happening, event.createdAt)
    } else if (event.type === 'sla.breached') {
      // A sweep's breach: of a clock due by then. (A command's comes just before the command's own
      // event, which replays it: a re-target past its time, or a clock found overdue.)
      const timer = rows.find(
        (t) => t.metric === (event.data.metric as SlaMetric) && t.instance === event.data.instance,
      )
      if (timer && timer.stage === 'active' && timer.dueAt && timer.dueAt <= event.createdAt) {
        timer.stage = 'breached'
        timer.breachedAt = timer.dueAt
      }
    }
  }
  return rows
}
