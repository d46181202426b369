import type { Db } from './client.ts'
import type { Executor } from './transaction.ts'

/** Most commands one group carries: bounds one statement's size and how long it holds its row locks. */
const MAX_GROUP = 64

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
 * `run` executes a whole group as one statement and returns one output per input, in order. If a
 * group's statement fails, each of its commands runs again alone, so a failure reaches only the caller
 * whose input caused it.
 */
export function createGroupCommitter<I, O>(
  db: Db,
  run: (q: Executor, key: string, inputs: I[]) => Promise<O[]>,
) {
  const queues = new Map<string, Waiting<I, O>[]>()

  const runAlone = async (key: string, w: Waiting<I, O>) => {
    try {
      const [output] = await run(db, key, [w.input])
      w.resolve(output as O)
    } catch (err) {
      w.reject(err)
    }
  }

  async function drain(key: string, queue: Waiting<I, O>[]) {
    while (queue.length > 0) {
      const group = queue.splice(0, MAX_GROUP)
      if (group.length === 1) {
        await runAlone(key, group[0] as Waiting<I, O>)
        continue
      }
      let outputs: O[]
      try {
        outputs = await run(
          db,
          key,
          group.map((w) => w.input),
        )
      } catch {
        await Promise.all(group.map((w) => runAlone(key, w)))
        continue
      }
      for (const [i, w] of group.entries()) w.resolve(outputs[i] as O)
    }
    queues.delete(key)
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
