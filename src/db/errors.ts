/**
 * The constraint a PostgreSQL error names when its SQLSTATE is `code` (23505: unique violation,
 * 23503: foreign key), or null. Follows `cause`, where drizzle keeps pg's error.
 */
export function violatedConstraint(error: unknown, code: '23505' | '23503' = '23505'): string | null {
  let current = error
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const { code: sqlstate, constraint } = current as { code?: string; constraint?: string }
    if (sqlstate === code) return constraint ?? ''
    current = current.cause
  }
  return null
}

/** SQLSTATEs and socket errors that say the database cannot take the statement now, not that it is wrong. */
const unavailableCodes = new Set([
  '53300', // too_many_connections
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
])

/**
 * Whether the database is out of reach or out of connections (a pool that waited its whole connection
 * timeout, a server restarting): a 503 to retry later, not an internal error.
 */
export function databaseUnavailable(error: unknown): boolean {
  let current = error
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const { code } = current as { code?: string }
    if (code && unavailableCodes.has(code)) return true
    if (/^timeout exceeded when trying to connect$|^Connection terminated/.test(current.message)) return true
    current = current.cause
  }
  return false
}
