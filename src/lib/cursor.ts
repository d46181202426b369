import { storableInstant } from './instant.ts'
import { Problem } from './problem.ts'
import { isUuid } from './refs.ts'

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
  throw malformedCursor()
}

/** The 400 for a cursor no list returned. */
export const malformedCursor = () =>
  new Problem('validation', 'cursor is not a cursor this list returned', {
    errors: [{ path: '/cursor', message: 'is malformed' }],
  })

/**
 * What a value of a cursor must be for the column it stands for: `int` an integer column's value (int4),
 * `seq` a bigint sequence's (a non-negative safe integer), `uuid` an id, `text` a text column's (no NUL,
 * which PostgreSQL text cannot hold), `instant` a timestamp PostgreSQL can store.
 */
export type CursorKind = 'int' | 'seq' | 'uuid' | 'text' | 'instant'
interface CursorKinds {
  int: number
  seq: number
  uuid: string
  text: string
  instant: Date
}

const INT4_MAX = 2 ** 31 - 1

function cursorValue(kind: CursorKind, value: CursorValue): number | string | Date | null {
  switch (kind) {
    case 'int':
      return Number.isInteger(value) && Math.abs(value as number) <= INT4_MAX ? value : null
    case 'seq':
      return Number.isSafeInteger(value) && (value as number) >= 0 ? value : null
    case 'uuid':
      return typeof value === 'string' && isUuid(value) ? value : null
    case 'text':
      return typeof value === 'string' && value.length <= 1000 && !value.includes('\u0000') ? value : null
    case 'instant': {
      const instant = typeof value === 'string' ? new Date(value) : null
      return instant && storableInstant(instant) ? instant : null
    }
  }
}

/**
 * A cursor whose values have the kinds given, one per value: a cursor this list could have returned.
 * A value of another kind (a forged or foreign cursor) is the same 400 as garbage, never a value the
 * database would refuse with a 5xx.
 */
export function readCursor<const K extends readonly CursorKind[]>(
  cursor: string,
  kinds: K,
): { -readonly [I in keyof K]: CursorKinds[K[I]] } {
  const values = decodeCursor(cursor, kinds.length)
  return kinds.map((kind, i) => {
    const value = cursorValue(kind, values[i] as CursorValue)
    if (value === null) throw malformedCursor()
    return value
  }) as { -readonly [I in keyof K]: CursorKinds[K[I]] }
}

/** Splits a fetched page of limit + 1 rows into the page and the cursor for the next one. */
export function paginate<T>(rows: T[], limit: number, cursorOf: (row: T) => CursorValue[]) {
  const hasMore = rows.length > limit
  const data = hasMore ? rows.slice(0, limit) : rows
  const cursors = data.map((row) => encodeCursor(cursorOf(row)))
  return { data, nextCursor: hasMore ? (cursors.at(-1) ?? null) : null, cursors }
}
