import { GraphQLScalarType, Kind, type ValueNode } from 'graphql'
import { isProblem, Problem } from '../lib/problem.ts'
import { isUuid, type TicketRef } from '../lib/refs.ts'

/** A single-object query answers null, not an error, for what does not exist (or is not the caller's to see). */
export const nullIfNotFound = <T>(promise: Promise<T>) =>
  promise.catch((error: unknown) => {
    if (isProblem(error) && error.code === 'not_found') return null
    throw error
  })

/** Turns a service page into a Relay connection. */
export function toConnection<T>(page: { data: T[]; nextCursor: string | null; cursors: string[] }) {
  return {
    edges: page.data.map((node, i) => ({ node, cursor: page.cursors[i] })),
    nodes: page.data,
    pageInfo: { hasNextPage: page.nextCursor !== null, endCursor: page.cursors.at(-1) ?? null },
  }
}

export function pageArgs(args: { first?: number | null; after?: string | null }) {
  const limit = args.first ?? 25
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new Problem('validation', 'first must be between 1 and 100', {
      errors: [{ path: '/first', message: 'must be between 1 and 100' }],
    })
  }
  return { limit, cursor: args.after ?? undefined }
}

/** Runs a mutation; problems with the input come back as `userErrors`, not as a failed request. */
export async function withUserErrors<T extends object>(
  run: () => Promise<T>,
  empty: { [K in keyof T]: null },
) {
  try {
    return { ...(await run()), userErrors: [] }
  } catch (error) {
    if (!isProblem(error) || error.status === 401 || error.status === 403 || error.status >= 500) throw error
    const details = error.errors?.length ? error.errors : [{ path: null, message: error.message }]
    return {
      ...empty,
      userErrors: details.map((e) => ({
        code: error.code,
        message: e.path ? `${e.path} ${e.message}` : e.message,
        path: e.path,
      })),
    }
  }
}

/** A delete mutation's payload: the id deleted, or userErrors (`DeletePayload`). */
export const removed = (run: () => Promise<void>, id: string) =>
  withUserErrors(
    async () => {
      await run()
      return { deletedId: id }
    },
    { deletedId: null },
  )

/** GraphQL arguments are null when sent as null and absent when omitted; services expect absent. */
export function withoutNulls<T extends Record<string, unknown>>(input: T, keep: readonly string[] = []) {
  return Object.fromEntries(Object.entries(input).filter(([k, v]) => v !== null || keep.includes(k))) as {
    [K in keyof T]: Exclude<T[K], null>
  }
}

export const DateTime = new GraphQLScalarType({
  name: 'DateTime',
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue(value) {
    if (typeof value !== 'string' || Number.isNaN(Date.parse(value)))
      throw new TypeError('DateTime must be an ISO 8601 string')
    return new Date(value).toISOString()
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING || Number.isNaN(Date.parse(ast.value)))
      throw new TypeError('DateTime must be an ISO 8601 string')
    return new Date(ast.value).toISOString()
  },
})

function literalValue(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value)
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalValue(f.value)]))
    case Kind.LIST:
      return ast.values.map(literalValue)
    default:
      return null
  }
}

export const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: literalValue,
})

/**
 * A `TicketRef` input (exactly one of `id` and `number`), checked as REST checks `{idOrNumber}`: an id
 * that is no UUID is a validation error, not a query the database refuses.
 */
export function ticketRefInput(
  { id, number }: { id?: string | null; number?: number | null },
  path: string,
): TicketRef {
  if ((id == null) === (number == null)) {
    throw new Problem('validation', `${path} needs exactly one of id or number`, {
      errors: [{ path: `/${path}`, message: 'needs exactly one of id or number' }],
    })
  }
  if (id == null) return { number: number as number }
  if (!isUuid(id)) {
    throw new Problem('validation', `${path}.id is not a ticket id: ${id}`, {
      errors: [{ path: `/${path}/id`, message: 'is not a UUID' }],
    })
  }
  return { id: id.toLowerCase() }
}
