import { AsyncLocalStorage } from 'node:async_hooks'
import type { Db } from './client.ts'

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]
/** Where a statement runs: the open transaction, or the database (one statement, one transaction). */
export type Executor = Db | Tx

const ambient = new AsyncLocalStorage<Tx>()

/**
 * Runs fn in a transaction. When an ambient one is open in this async context (an idempotent request
 * wraps its whole command in one, so the stored response commits with the change), fn joins it.
 * fn passes its `tx` on explicitly, so its own transaction needs no async context.
 */
export function inTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const open = ambient.getStore()
  if (open) return fn(open)
  return db.transaction(fn)
}

/**
 * Opens a transaction that every `inTransaction` and `currentExecutor` call inside fn joins. Only the
 * idempotency plugin needs this; on Node 20 entering an AsyncLocalStorage turns promise hooks on for
 * the whole process, so plain commands do not.
 */
export function inAmbientTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const open = ambient.getStore()
  if (open) return fn(open)
  return db.transaction((tx) => ambient.run(tx, () => fn(tx)))
}

/** The open transaction of this async context, or the database itself for plain reads. */
export function currentExecutor(db: Db): Executor {
  return ambient.getStore() ?? db
}

/** The ambient transaction of an idempotent request, if one is open in this async context. */
export const currentTransaction = (): Tx | undefined => ambient.getStore()
