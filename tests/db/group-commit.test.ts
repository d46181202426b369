import t from 'tap'
import type { Db } from '../../src/db/client.ts'
import { createGroupCommitter } from '../../src/db/group-commit.ts'
import type { Executor } from '../../src/db/transaction.ts'

const db = {} as Db

function deferred() {
  let release!: () => void
  const promise = new Promise<void>((resolve) => {
    release = resolve
  })
  return { promise, release }
}

/** An error as PostgreSQL reports it: the statement was rolled back. */
const databaseError = (message: string) =>
  Object.assign(new Error(message), { code: '23514', severity: 'ERROR' })

/**
 * A command that doubles numbers, recording each group it runs; a group waits for `gate` if set. The
 * database refuses 13; 66 loses the connection (no SQLSTATE: the statement may have committed).
 */
function recorder() {
  const groups: { key: string; inputs: number[] }[] = []
  let gate: Promise<void> | undefined
  const run = async (_q: Executor, key: string, inputs: number[]) => {
    groups.push({ key, inputs })
    if (gate) await gate
    if (inputs.includes(13)) throw new Error('query failed', { cause: databaseError('13 is refused') })
    if (inputs.includes(66))
      throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'EPIPE' })
    return inputs.map((n) => n * 2)
  }
  return { groups, run, hold: (p: Promise<void> | undefined) => (gate = p) }
}

/**
 * Submits commands while the first one's group is still running, so the rest queue behind it; the
 * groups after the first run without waiting.
 */
function submitBehindFirst(
  r: ReturnType<typeof recorder>,
  submit: (key: string, n: number) => Promise<number>,
  inputs: number[],
) {
  const gate = deferred()
  r.hold(gate.promise)
  const submitted = inputs.map((n) => submit('ws', n))
  r.hold(undefined)
  gate.release()
  return submitted
}

t.test('commands arriving while a group runs go together in the next group, in order', async (t) => {
  const r = recorder()
  const submit = createGroupCommitter(db, r.run)
  t.same(await Promise.all(submitBehindFirst(r, submit, [1, 2, 3, 4, 5])), [2, 4, 6, 8, 10])
  t.same(r.groups, [
    { key: 'ws', inputs: [1] },
    { key: 'ws', inputs: [2, 3, 4, 5] },
  ])
})

t.test('different keys do not wait for each other', async (t) => {
  const r = recorder()
  const submit = createGroupCommitter(db, r.run)
  const gate = deferred()
  r.hold(gate.promise)
  const a = submit('a', 1)
  const b = submit('b', 2)
  await new Promise((resolve) => setImmediate(resolve))
  t.same(
    r.groups.map((g) => g.key),
    ['a', 'b'],
    'b started while a was still running',
  )
  gate.release()
  t.same(await Promise.all([a, b]), [2, 4])
})

t.test('a failing group runs each command alone, so only the bad one fails', async (t) => {
  const r = recorder()
  const submit = createGroupCommitter(db, r.run)
  const settled = await Promise.allSettled(submitBehindFirst(r, submit, [1, 12, 13, 14]))
  t.same(
    settled.map((s) => (s.status === 'fulfilled' ? s.value : ((s.reason as Error).cause as Error).message)),
    [2, 24, '13 is refused', 28],
  )
  t.same(
    r.groups.map((g) => g.inputs),
    [[1], [12, 13, 14], [12], [13], [14]],
  )
})

t.test('a group is bounded in size; the queue drains completely and starts afresh', async (t) => {
  const r = recorder()
  const submit = createGroupCommitter(db, r.run)
  const all = submitBehindFirst(
    r,
    submit,
    Array.from({ length: 150 }, (_, n) => 100 + n),
  )
  t.same(
    await Promise.all(all),
    Array.from({ length: 150 }, (_, n) => (100 + n) * 2),
  )
  t.same(
    r.groups.map((g) => g.inputs.length),
    [1, 64, 64, 21],
  )
  t.same(await submit('ws', 7), 14, 'a later command starts a new queue')
  t.same(r.groups.at(-1)?.inputs, [7])
})

t.test('a group whose outcome is unknown fails whole, and is not run twice', async (t) => {
  const r = recorder()
  const submit = createGroupCommitter(db, r.run)
  const [first, ...rest] = submitBehindFirst(r, submit, [1, 65, 66, 67])
  t.same(await first, 2)
  const settled = await Promise.allSettled(rest)
  t.same(
    settled.map((s) => s.status),
    ['rejected', 'rejected', 'rejected'],
  )
  t.same(
    r.groups.map((g) => g.inputs),
    [[1], [65, 66, 67]],
    'nothing ran again',
  )
  t.same(await submit('ws', 3), 6, 'the queue still works')
})

t.test('a command that answers for the wrong number of inputs fails its group, not the queue', async (t) => {
  let calls = 0
  const submit = createGroupCommitter(db, async (_q: Executor, _key: string, inputs: number[]) => {
    calls++
    return calls === 1 ? [] : inputs
  })
  await t.rejects(submit('ws', 1), /returned 0 outputs/)
  t.same(await submit('ws', 2), 2)
})
