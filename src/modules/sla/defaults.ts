import { and, eq, inArray } from 'drizzle-orm'
import {
  businessCalendars,
  type OpeningInterval,
  priorities,
  type SlaTarget,
  slaPolicies,
  weekdays,
} from '../../db/schema/index.ts'
import type { Tx } from '../../db/transaction.ts'

const allDay = weekdays.map((day): OpeningInterval => ({ day, start: '00:00', end: '24:00' }))
const officeDays = weekdays.slice(0, 5).map((day): OpeningInterval => ({ day, start: '09:00', end: '18:00' }))

const target = (
  metric: SlaTarget['metric'],
  minutes: number,
  options: Partial<Omit<SlaTarget, 'metric' | 'minutes'>> = {},
): SlaTarget => ({
  priorityId: null,
  metric,
  minutes,
  businessHours: true,
  calendarId: null,
  warnBeforeMinutes: null,
  pauseOn: metric === 'resolution' ? ['pending', 'on_hold'] : [],
  ...options,
})

/**
 * What a new workspace starts with (documented in the README): office hours Monday to Friday
 * 09:00–18:00 UTC as the default calendar, the built-in 24/7 calendar, and two policies:
 * - "Chat": chat tickets are answered within 5 minutes, around the clock;
 * - "Standard", every other ticket: first and next response within 24 business hours, resolution within
 *   72; high priority 8 and 48 business hours; urgent 1 hour to respond and 24 hours to resolve, around
 *   the clock.
 */
export async function seedSla(tx: Tx, workspaceId: string): Promise<void> {
  await tx.insert(businessCalendars).values([
    { workspaceId, name: 'Office hours', timeZone: 'UTC', intervals: officeDays, isDefault: true },
    { workspaceId, name: '24/7', timeZone: 'UTC', intervals: allDay, builtIn: true },
  ])
  const ranked = await tx
    .select({ id: priorities.id, slug: priorities.slug })
    .from(priorities)
    .where(and(eq(priorities.workspaceId, workspaceId), inArray(priorities.slug, ['urgent', 'high'])))
  const urgent = ranked.find((p) => p.slug === 'urgent')?.id
  const high = ranked.find((p) => p.slug === 'high')?.id
  const clock = { businessHours: false }
  await tx.insert(slaPolicies).values([
    {
      workspaceId,
      name: 'Chat',
      description: 'Chat is answered within minutes, around the clock.',
      position: 1,
      conditions: { channels: ['chat'] },
      targets: [target('firstResponse', 5, clock), target('nextResponse', 5, clock)],
    },
    {
      workspaceId,
      name: 'Standard',
      description: 'E-mail and forms: 24 business hours to respond; urgent tickets within the hour.',
      position: 2,
      conditions: {},
      targets: [
        target('firstResponse', 24 * 60, { warnBeforeMinutes: 120 }),
        target('nextResponse', 24 * 60, { warnBeforeMinutes: 120 }),
        target('resolution', 72 * 60, { warnBeforeMinutes: 480 }),
        ...(high
          ? [
              target('firstResponse', 8 * 60, { priorityId: high, warnBeforeMinutes: 60 }),
              target('nextResponse', 8 * 60, { priorityId: high, warnBeforeMinutes: 60 }),
              target('resolution', 48 * 60, { priorityId: high, warnBeforeMinutes: 240 }),
            ]
          : []),
        ...(urgent
          ? [
              target('firstResponse', 60, { priorityId: urgent, warnBeforeMinutes: 15, ...clock }),
              target('nextResponse', 120, { priorityId: urgent, warnBeforeMinutes: 15, ...clock }),
              target('resolution', 24 * 60, { priorityId: urgent, warnBeforeMinutes: 120, ...clock }),
            ]
          : []),
      ],
    },
  ])
}
