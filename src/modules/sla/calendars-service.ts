import { and, asc, eq, gt, sql } from 'drizzle-orm'
import type { Actor } from '../../auth/actor.ts'
import { authorize, authorizeScoped } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { violatedConstraint } from '../../db/errors.ts'
import {
  businessCalendars,
  departments,
  type Holiday,
  type OpeningInterval,
  slaPolicies,
  slaTimers,
} from '../../db/schema/index.ts'
import { inWorkspace, readInWorkspace } from '../../db/tenant.ts'
import type { Executor, Tx } from '../../db/transaction.ts'
import { paginate, readCursor } from '../../lib/cursor.ts'
import { Problem, problem } from '../../lib/problem.ts'
import { isUuid } from '../../lib/refs.ts'
import { diff, recordEvent } from '../events/service.ts'
import { businessCalendarOf, calendarErrors } from './calendars.ts'
import { bumpSlaVersion, moveTimersToCalendar, rematchOpenTickets } from './timers.ts'

export type CalendarRow = typeof businessCalendars.$inferSelect
export const CalendarNotFound = problem('not_found', 'Business-hours calendar %s not found')

export interface CalendarInput {
  name?: string
  timeZone?: string
  intervals?: OpeningInterval[]
  holidays?: Holiday[]
  holidayRegions?: string[]
  isDefault?: boolean
}

const timing = ['timeZone', 'intervals', 'holidays', 'holidayRegions'] as const

export const toCalendar = ({ workspaceId: _ws, createdAt, updatedAt, ...row }: CalendarRow) => ({
  ...row,
  createdAt: createdAt.toISOString(),
  updatedAt: updatedAt.toISOString(),
})

function validate(input: CalendarInput) {
  const errors = calendarErrors(input)
  if (errors.length > 0) {
    throw new Problem('validation', errors.map((e) => `${e.path.slice(1)} ${e.message}`).join('; '), {
      errors,
    })
  }
}

export async function findCalendar(q: Executor, workspaceId: string, id: string): Promise<CalendarRow> {
  if (!isUuid(id)) throw CalendarNotFound(id)
  const [row] = await q
    .select()
    .from(businessCalendars)
    .where(and(eq(businessCalendars.workspaceId, workspaceId), eq(businessCalendars.id, id)))
  if (!row) throw CalendarNotFound(id)
  return row
}

/**
 * Business-hours calendars. Editing a calendar's hours, zone or holidays moves the deadlines of the
 * running timers that count on it, in the same transaction: each keeps the business time it used under
 * the old hours and counts what remains under the new ones. Changing which calendar is the default
 * re-matches every open ticket.
 */
export function createCalendarsService(db: Db) {
  async function write<T>(workspaceId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    try {
      return await inWorkspace(db, workspaceId, fn)
    } catch (error) {
      if (violatedConstraint(error) === 'business_calendars_one_default_key') {
        throw new Problem('conflict', 'Another calendar became the default at the same moment; retry.')
      }
      throw error
    }
  }

  async function takeDefault(tx: Tx, actor: Actor, workspaceId: string) {
    const previous = await tx
      .update(businessCalendars)
      .set({ isDefault: false, updatedAt: new Date() })
      .where(and(eq(businessCalendars.workspaceId, workspaceId), eq(businessCalendars.isDefault, true)))
      .returning({ id: businessCalendars.id })
    for (const { id } of previous) {
      await recordEvent(tx, {
        workspaceId,
        type: 'business_calendar.updated',
        subjectType: 'business_calendar',
        subjectId: id,
        actor,
        changes: { isDefault: [true, false] },
      })
    }
  }

  return {
    async list(actor: Actor, page: { limit: number; cursor?: string | undefined }) {
      const { workspaceId } = authorizeScoped(actor, 'catalog:read')
      const after = page.cursor ? readCursor(page.cursor, ['uuid'])[0] : undefined
      const rows = await readInWorkspace(db, workspaceId, (q) =>
        q
          .select()
          .from(businessCalendars)
          .where(
            and(
              eq(businessCalendars.workspaceId, workspaceId),
              after ? gt(businessCalendars.id, after) : undefined,
            ),
          )
          .orderBy(asc(businessCalendars.id))
          .limit(page.limit + 1),
      )
      const result = paginate(rows, page.limit, (row) => [row.id])
      return { data: result.data.map(toCalendar), nextCursor: result.nextCursor, cursors: result.cursors }
    },

    async get(actor: Actor, id: string) {
      const { workspaceId } = authorizeScoped(actor, 'catalog:read')
      return toCalendar(await readInWorkspace(db, workspaceId, (q) => findCalendar(q, workspaceId, id)))
    },

    create(
      actor: Actor,
      input: CalendarInput & { name: string; timeZone: string; intervals: OpeningInterval[] },
    ) {
      const { workspaceId } = authorize(actor, 'catalog:write')
      validate(input)
      return write(workspaceId, async (tx) => {
        if (input.isDefault) await takeDefault(tx, actor, workspaceId)
        const [row] = await tx
          .insert(businessCalendars)
          .values({
            workspaceId,
            name: input.name,
            timeZone: input.timeZone,
            intervals: input.intervals,
            holidays: input.holidays ?? [],
            holidayRegions: input.holidayRegions ?? [],
            isDefault: input.isDefault ?? false,
          })
          .returning()
        if (!row) throw new Error('insert returned no row')
        await recordEvent(tx, {
          workspaceId,
          type: 'business_calendar.created',
          subjectType: 'business_calendar',
          subjectId: row.id,
          actor,
          changes: diff({} as CalendarRow, {
            name: row.name,
            timeZone: row.timeZone,
            isDefault: row.isDefault,
          }),
        })
        await bumpSlaVersion(tx, workspaceId)
        if (row.isDefault) await rematchOpenTickets(tx, workspaceId)
        return toCalendar(row)
      })
    },

    update(actor: Actor, id: string, input: CalendarInput) {
      const { workspaceId } = authorize(actor, 'catalog:write')
      validate(input)
      return write(workspaceId, async (tx) => {
        // Locked before it is read: two edits at once apply one after the other, each to the other's result.
        if (isUuid(id)) {
          await tx.execute(sql`select 1 from ${businessCalendars} where workspace_id = ${workspaceId}
            and id = ${id.toLowerCase()} for update`)
        }
        const current = await findCalendar(tx, workspaceId, id)
        if (current.builtIn) throw new Problem('conflict', 'The built-in 24/7 calendar cannot change.')
        if (input.isDefault === false && current.isDefault) {
          throw new Problem(
            'validation',
            'isDefault cannot be unset: make another calendar the default instead',
            {
              errors: [
                { path: '/isDefault', message: 'cannot be unset: make another calendar the default instead' },
              ],
            },
          )
        }
        const changes = diff(current, input)
        if (Object.keys(changes).length === 0) return toCalendar(current)
        if (input.isDefault && !current.isDefault) await takeDefault(tx, actor, workspaceId)
        const retimed = timing.some((field) => field in changes)
        const [row] = await tx
          .update(businessCalendars)
          .set({ ...input, version: retimed ? current.version + 1 : current.version, updatedAt: new Date() })
          .where(and(eq(businessCalendars.workspaceId, workspaceId), eq(businessCalendars.id, current.id)))
          .returning()
        if (!row) throw CalendarNotFound(id)
        await recordEvent(tx, {
          workspaceId,
          type: 'business_calendar.updated',
          subjectType: 'business_calendar',
          subjectId: row.id,
          actor,
          changes,
        })
        await bumpSlaVersion(tx, workspaceId)
        if (retimed) {
          await moveTimersToCalendar(
            tx,
            workspaceId,
            businessCalendarOf(current),
            businessCalendarOf(row),
            row.id,
          )
        }
        if (input.isDefault && !current.isDefault) await rematchOpenTickets(tx, workspaceId)
        return toCalendar(row)
      })
    },

    /** Deletes a calendar nothing counts on: not built in, not the default, named by no department, target or running timer. */
    remove(actor: Actor, id: string) {
      const { workspaceId } = authorize(actor, 'catalog:write')
      return inWorkspace(db, workspaceId, async (tx) => {
        const current = await findCalendar(tx, workspaceId, id)
        if (current.builtIn) throw new Problem('conflict', 'The built-in 24/7 calendar cannot be deleted.')
        if (current.isDefault) {
          throw new Problem(
            'conflict',
            'The default calendar cannot be deleted; make another the default first.',
          )
        }
        const [use] = await tx
          .execute(sql`select
            (select count(*) from ${departments} where workspace_id = ${workspaceId} and calendar_id = ${current.id})::int as departments,
            (select count(*) from ${slaPolicies} p where p.workspace_id = ${workspaceId}
              and exists (select 1 from jsonb_array_elements(p.targets) t where t->>'calendarId' = ${current.id}::text))::int as policies,
            (select count(*) from ${slaTimers} where workspace_id = ${workspaceId} and calendar_id = ${current.id}
              and stage in ('active', 'paused'))::int as timers`)
          .then(
            (r) =>
              (r as unknown as { rows: { departments: number; policies: number; timers: number }[] }).rows,
          )
        if (use && (use.departments > 0 || use.policies > 0 || use.timers > 0)) {
          throw new Problem(
            'conflict',
            `Calendar "${current.name}" is in use (${use.departments} departments, ${use.policies} SLA policies, ${use.timers} running timers).`,
          )
        }
        await tx
          .delete(businessCalendars)
          .where(and(eq(businessCalendars.workspaceId, workspaceId), eq(businessCalendars.id, current.id)))
        await recordEvent(tx, {
          workspaceId,
          type: 'business_calendar.deleted',
          subjectType: 'business_calendar',
          subjectId: current.id,
          actor,
          data: { name: current.name },
        })
        await bumpSlaVersion(tx, workspaceId)
      })
    },
  }
}
