import type { FastifyBaseLogger } from 'fastify'
import PgBoss from 'pg-boss'
import type { Database } from '../db/client.ts'
import { nextDeadline, sweepDueTimers } from '../modules/sla/sweep.ts'
import { onNearDeadline } from '../modules/sla/timers.ts'

export const SLA_SWEEP = 'sla-sweep'

/** A deadline closer than this is not left to the next minute's sweep: a sweep is sent for its instant. */
const NEAR_MS = 65_000

export interface Jobs {
  /** Sends a sweep to run at `at` (now when past); any instance's worker takes it. */
  sweepAt(at: Date): Promise<void>
  stop(): Promise<void>
}

/**
 * The background jobs on pg-boss, in the service's own database (schema `pgboss`). The SLA sweep runs
 * every minute (a pg-boss schedule, which one instance fires), and again at the instant of any
 * deadline or warning that falls before the next minute: after each sweep, and whenever a command
 * sets one. Workers poll every second, so a breach is recorded within about a second of its deadline
 * (and at the deadline itself, `breachedAt = dueAt`). Every instance may work; the sweep's row locks
 * make it exactly-once (see `sweepDueTimers`).
 */
export async function startJobs(
  database: Database,
  options: { log: FastifyBaseLogger; workers: boolean },
): Promise<Jobs> {
  const boss = new PgBoss({
    ...('connectionString' in database.jobConnection
      ? {
          connectionString: database.jobConnection.connectionString,
          max: 3,
          application_name: 'atiende-jobs',
        }
      : { db: database.jobConnection }),
  } as PgBoss.ConstructorOptions)
  boss.on('error', (err) => options.log.error({ err }, 'job queue error'))
  await boss.start()
  await boss.createQueue(SLA_SWEEP)

  async function sweepAt(at: Date) {
    const delay = at.getTime() - Date.now()
    await boss.send(SLA_SWEEP, {}, delay > 0 ? { startAfter: at } : {})
  }

  let stopNear: (() => void) | undefined
  if (options.workers) {
    await boss.schedule(SLA_SWEEP, '* * * * *')
    await boss.work(SLA_SWEEP, { pollingIntervalSeconds: 1, batchSize: 1 }, async () => {
      const swept = await sweepDueTimers(database.db)
      if (swept.breached + swept.warned > 0) options.log.info(swept, 'SLA sweep')
      const next = await nextDeadline(database.db)
      // A due timer a command holds (the sweep skips it) is taken again a second later, not in a loop.
      if (next && next.getTime() - Date.now() < NEAR_MS)
        await sweepAt(new Date(Math.max(next.getTime(), Date.now() + 1000)))
    })
    // Deadlines that passed while no instance ran are recorded at once, at their own instants.
    await sweepAt(new Date())
    // A command that sets a deadline before the next minute's sweep asks for one at that instant.
    stopNear = onNearDeadline(NEAR_MS, (at) => {
      sweepAt(at).catch((err) => options.log.error({ err }, 'could not schedule an SLA sweep'))
    })
  }

  return {
    sweepAt,
    async stop() {
      stopNear?.()
      await boss.stop({ graceful: true, wait: true, timeout: 5_000 })
    },
  }
}
