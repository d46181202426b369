import { sql } from 'drizzle-orm'
import { type Db, tenantRunnerOf } from './client.ts'
import { rowsOf } from './raw.ts'
import { currentTransaction, type Executor, inTransaction, type Tx } from './transaction.ts'

/** Transactions already bound, with their workspace: an idempotent request's ambient one is bound once. */
const bound = new WeakMap<Tx, string>()

/**
 * Binds a transaction to a workspace: for the rest of it, statements run as the role atiende_tenant,
 * under whose row-level security policies (migration 0004) only that workspace's rows can be read or
 * written, whatever a query forgets to say. One statement, prepared once per connection.
 */
export async function bindWorkspace(tx: Tx, workspaceId: string): Promise<void> {
  const current = bound.get(tx)
  if (current === workspaceId) return
  if (current) throw new Error('a transaction serves one workspace')
  await rowsOf(
    tx,
    sql`select set_config('role', 'atiende_tenant', true), set_config('atiende.workspace_id', ${workspaceId}, true)`,
  )
  bound.set(tx, workspaceId)
}

/**
 * Runs a service's work for one workspace: in a transaction bound to it (see `bindWorkspace`), or in
 * the ambient one of an idempotent request, bound likewise. Every read and write of tenant data goes
 * through here; only authentication and provisioning, which run before a workspace is known, do not.
 */
export function inWorkspace<T>(db: Db, workspaceId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const runner = tenantRunnerOf(db)
  if (runner && !currentTransaction()) return runner.run(workspaceId, true, fn as (q: Db) => Promise<T>)
  return inTransaction(db, async (tx) => {
    await bindWorkspace(tx, workspaceId)
    return fn(tx)
  })
}

/**
 * `inWorkspace` for writes that can break a unique or foreign key: `conflict` turns such an error into
 * the problem the caller should get (a 409 that names the field), or returns null to let it through.
 */
export async function writeInWorkspace<T>(
  db: Db,
  workspaceId: string,
  fn: (tx: Tx) => Promise<T>,
  conflict: (error: unknown) => Error | null,
): Promise<T> {
  try {
    return await inWorkspace(db, workspaceId, fn)
  } catch (error) {
    throw conflict(error) ?? error
  }
}

/**
 * `inWorkspace` for reads: on a server, statements run on a bound tenant connection without a
 * transaction of their own (one round trip for one statement). Embedded PGlite has one connection,
 * shared by every request, so there a read is a bound transaction too.
 */
export function readInWorkspace<T>(db: Db, workspaceId: string, fn: (q: Executor) => Promise<T>): Promise<T> {
  const runner = tenantRunnerOf(db)
  if (runner && !currentTransaction()) return runner.run(workspaceId, false, fn)
  return inWorkspace(db, workspaceId, fn)
}

/**
 * For a write that is one statement (an event's record, say): on a server it runs on a bound tenant
 * connection as a transaction of its own, one round trip where `inWorkspace` takes three (begin, the
 * statement, commit); inside a request's transaction (an idempotent one) it joins it. `readInWorkspace`
 * does exactly that; this name says that the statement writes.
 */
export const statementInWorkspace = readInWorkspace
