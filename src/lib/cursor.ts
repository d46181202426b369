import { Problem } from './problem.ts'

/** Opaque keyset cursor: the sort value and id of the last row of a page, so inserts never shift pages. */
export type CursorValue = string | number | null

export function encodeCursor(values: CursorValue[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url')
}

export function decodeCursor(cursor: string, arity: number): CursorValue[] {
  try {
    const values: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (
      Array.isArray(values) &&
      values.length === arity &&
      values.every((v) => v === null || typeof v === 'string' || typeof v === 'number')
    ) {
      return values as CursorValue[]
    }
  } catch {}
  throw new Problem('validation', 'cursor is not a cursor this list returned', {
    errors: [{ path: '/cursor', message: 'is malformed' }],
  })
}

/** Splits a fetched page of limit + 1 rows into the page and the cursor for the next one. */
export function paginate<T>(rows: T[], limit: number, cursorOf: (row: T) => CursorValue[]) {
  const hasMore = rows.length > limit
  const data = hasMore ? rows.slice(0, limit) : rows
  const cursors = data.map((row) => encodeCursor(cursorOf(row)))
  return { data, nextCursor: hasMore ? (cursors.at(-1) ?? null) : null, cursors }
}
