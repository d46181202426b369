import { type TSchema, Type } from '@sinclair/typebox'

/** Shared building blocks of the REST contract. */
export const Id = Type.String({ format: 'uuid', description: 'A UUID.' })
export const Instant = Type.String({ format: 'date-time', description: 'ISO 8601 UTC instant.' })
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])
export const Metadata = Type.Record(Type.String(), Type.Unknown(), {
  description: "The integrator's own JSON object, stored as given.",
})
/** Lowercase words joined by hyphens; never shaped like a UUID, since a ref is an id or a slug. */
export const Slug = Type.String({
  pattern: '^(?![0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$)[a-z0-9]+(?:-[a-z0-9]+)*$',
  minLength: 1,
  maxLength: 64,
})

export const PageQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 25 }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
}

/** A page of a cursor-paginated list of a named schema: `{ data, nextCursor }`, registered as `<Name>Page`. */
export const Page = <T extends TSchema>(item: T) =>
  Type.Object(
    { data: Type.Array(Type.Ref(item)), nextCursor: Nullable(Type.String()) },
    { $id: `${item.$id}Page`, additionalProperties: false },
  )
export const PageOnlyQuery = Type.Object(PageQuery, { additionalProperties: false })

export const ProblemDetails = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { $id: 'ProblemDetails', description: 'RFC 9457 problem details.' },
)

export const problemResponse = {
  description: 'Problem details (RFC 9457)',
  content: { 'application/problem+json': { schema: Type.Ref('ProblemDetails') } },
}
/** Error responses every route may give, for the OpenAPI document. */
export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries([400, 401, 403, ...statuses].map((s) => [s, problemResponse]))

/** A string enum that OpenAPI shows as `enum` (TypeBox unions of literals render as anyOf). */
export const StringEnum = <const T extends readonly string[]>(values: T, options: object = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })

const uuidSource = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}'
/** A comma-separated list in a query string, e.g. `status=open,pending`. */
export const UuidList = Type.String({
  pattern: `^${uuidSource}(,${uuidSource})*$`,
  description: 'Comma-separated UUIDs.',
})
export const EnumList = (values: readonly string[]) =>
  Type.String({
    pattern: `^(${values.join('|')})(,(${values.join('|')}))*$`,
    description: `Comma-separated: ${values.join(', ')}.`,
  })
export const TokenList = Type.String({
  pattern: '^[^,]{1,64}(,[^,]{1,64})*$',
  description: 'Comma-separated values.',
})
export const splitList = (value: string | undefined) => (value === undefined ? undefined : value.split(','))
/** A BCP 47 language tag: `es`, `ca`, `pt-BR` (stored as Intl writes it). */
export const Locale = Type.String({
  pattern: '^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$',
  maxLength: 35,
  description: 'A BCP 47 language tag such as `es`, `ca`, `eu`, `en` or `pt-BR`.',
})
