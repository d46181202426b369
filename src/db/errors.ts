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
