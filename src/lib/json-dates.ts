type Jsonified<T> = {
  [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K]
}

/** Turns a row's Date fields into ISO 8601 strings, the form every API surface sends. */
export function jsonDates<T extends object>(row: T): Jsonified<T> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(row)) out[k] = v instanceof Date ? v.toISOString() : v
  return out as Jsonified<T>
}
