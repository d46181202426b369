import { createHash } from 'node:crypto'
import type { SQL } from 'drizzle-orm'
import type { Executor } from './transaction.ts'

/** The parts of drizzle's database and transaction objects a named statement needs (internal API). */
interface DrizzleInternals {
  dialect: { sqlToQuery(query: SQL): { sql: string; params: unknown[] } }
  session: {
    prepareQuery(
      query: { sql: string; params: unknown[] },
      fields: undefined,
      name: string,
      isResponseInArrayMode: boolean,
    ): { all(): Promise<unknown[]> }
  }
}

/** A prepared statement's name derived from its text: one name per distinct text, never two texts per name. */
export const statementName = (text: string) =>
  `atd_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`

/**
 * Rows of a hand-written statement, run as a named prepared statement: PostgreSQL parses and plans
 * it once per connection, which for the large single-statement commands costs more than running
 * them (measured 3.5 ms unprepared against 1.1 ms prepared for the ticket insert). The name is a hash
 * of the text, so each distinct text gets its own statement; callers keep their texts to a few shapes.
 */
export async function rowsOf<T>(q: Executor, query: SQL): Promise<T[]> {
  const { dialect, session } = q as unknown as DrizzleInternals
  const built = dialect.sqlToQuery(query)
  return (await session.prepareQuery(built, undefined, statementName(built.sql), false).all()) as T[]
}

/**
 * A statement whose text never changes, named once: callers pass only its parameters, and PostgreSQL
 * parses and plans it once per connection.
 */
export function preparedStatement<T>(text: string) {
  const name = statementName(text)
  return async (q: Executor, params: unknown[]): Promise<T[]> => {
    const { session } = q as unknown as DrizzleInternals
    return (await session.prepareQuery({ sql: text, params }, undefined, name, false).all()) as T[]
  }
}

/**
 * A PostgreSQL array literal of texts (`{"a","b \"c\""}`), for `${pgTextArray(values)}::text[]`: one
 * parameter whatever the length, read the same by pg and PGlite.
 */
export const pgTextArray = (values: readonly string[]) =>
  `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`
