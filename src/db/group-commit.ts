import type { Db } from './client.ts'
import type { Executor } from './transaction.ts'

/** Most commands one group carries: bounds one statement's size and how long it holds its row locks. */
const MAX_GROUP = 64

/**
 * PostgreSQL reported the error (pg's and PGlite's errors carry a SQLSTATE and a severity; a dropped
 * connection's do not), so the statement was rolled back. drizzle keeps the driver's error as `cause`.
 */
function rolledBack(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const { code, severity } = e as { code?: unknown; severity?: unknown }
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && typeof severity === 'string') return true
  }
  return false
}

interface Waiting<I, O> {
  input: I
  resolve(output: O): void
  reject(err: unknown): void
}

/**
 * Group commit for a command that serializes on one row per key (a workspace's ticket counter). Run
 * one statement per command, concurrent commands queue on the row lock in PostgreSQL, each commit wakes
 * every waiter to fight over the row again, and the row is held for a statement and a WAL flush per
 * command. Here the commands of one key that arrive while a statement runs wait in memory and then run
 * together as the next statement: one lock hand-over and one WAL flush per group. Different keys run
 * in parallel, and other instances still meet the same row lock, so correctness never rests on this
 * queue.
 *
 * `run` executes a whole group as one statement and returns one output per input, in order. If the
 * server reports that a group's statement failed (so it rolled back), each of its commands runs again
 * alone, so a failure reaches only the caller whose input caused it. Any other failure (the connection
 * dropped: the statement may have committed) fails the whole group, as it would have failed each
 * command alone; running them again could create everything twice.
 */
export function createGroupCommitter<I, O>(
  db: Db,
  run: (q: Executor, key: string, inputs: I[]) => Promise<O[]>,
) {
  const queues = new Map<string, Waiting<I, O>[]>()

  /** Runs a group as one statement; every waiter is settled, whatever `run` does. */
  async function runGroup(key: string, group: Waiting<I, O>[]) {
    let outputs: O[]
    try {
      outputs = await run(
        db,
        key,
        group.map((w) => w.input),
      )
      if (!Array.isArray(outputs) || outputs.length !== group.length) {
        throw new Error(`a group of ${group.length} commands returned ${String(outputs?.length)} outputs`)
      }
    } catch (err) {
      if (group.length === 1 || !rolledBack(err)) {
        for (const w of group) w.reject(err)
        return
      }
      // One command's input made the statement fail: each runs alone, one after another (together they
      // would queue on the row lock again), so the failure reaches only the caller who caused it.
      for (const w of group) await runGroup(key, [w])
      return
    }
    for (const [i, w] of group.entries()) w.resolve(outputs[i] as O)
  }

  async function drain(key: string, queue: Waiting<I, O>[]) {
    try {
      while (queue.length > 0) await runGroup(key, queue.splice(0, MAX_GROUP))
    } finally {
      queues.delete(key)
      // Only reachable if settling itself threw: nobody may wait for a queue that no longer drains.
      for (const w of queue.splice(0)) w.reject(new Error('the command queue stopped'))
    }
  }

  return function submit(key: string, input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const queued = queues.get(key)
      if (queued) {
        queued.push({ input, resolve, reject })
        return
      }
      const queue = [{ input, resolve, reject }]
      queues.set(key, queue)
      void drain(key, queue)
    })
  }
}
