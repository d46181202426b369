import { format } from 'node:util'

export interface FieldError {
  path: string
  message: string
}

/** Every error a caller can see, with a stable code. Rendered as RFC 9457 problem details and GraphQL extensions. */
export const problemCatalog = {
  validation: { status: 400, title: 'Request is invalid' },
  unauthorized: { status: 401, title: 'Authentication is required' },
  forbidden: { status: 403, title: 'Not allowed' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  not_acceptable: { status: 406, title: 'Not acceptable' },
  conflict: { status: 409, title: 'Conflict' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  precondition_failed: { status: 412, title: 'Precondition failed' },
  idempotency_mismatch: { status: 422, title: 'Idempotency key reused with a different request' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal error' },
  unavailable: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string }>

export type ProblemCode = keyof typeof problemCatalog

export class Problem extends Error {
  readonly code: ProblemCode
  readonly status: number
  readonly title: string
  readonly errors: FieldError[] | undefined
  readonly headers: Record<string, string> | undefined

  constructor(
    code: ProblemCode,
    detail: string,
    extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail)
    this.name = 'Problem'
    this.code = code
    this.status = problemCatalog[code].status
    this.title = problemCatalog[code].title
    this.errors = extra.errors
    this.headers = extra.headers
  }
}

/** Declares a reusable error once: `const TicketNotFound = problem('not_found', 'Ticket %s not found')`. */
export function problem(code: ProblemCode, template: string) {
  return (...args: unknown[]) => new Problem(code, format(template, ...args))
}

export const invalid = (path: string, message: string) =>
  new Problem('validation', `${path.replace(/^\//, '')} ${message}`, { errors: [{ path, message }] })

export const isProblem = (error: unknown): error is Problem => error instanceof Problem

/** PostgreSQL's refusals of text it cannot store (U+0000, invalid Unicode escapes). */
const unstorableText = new Set(['22021', '22P05'])

/**
 * A database error that the caller's input caused, as the validation problem it is. The text-input
 * plugin refuses NUL in bodies and URLs up front; this catches what reaches the database another way
 * (a GraphQL string literal with an escape, say). Follows `cause`, where drizzle keeps pg's error.
 */
export function inputRefusedByDatabase(error: unknown): Problem | null {
  let current = error
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: string }).code ?? ''
    if (unstorableText.has(code)) {
      return new Problem('validation', 'Text may not contain the NUL character (U+0000) or invalid Unicode.')
    }
    // Every id the service makes is a UUID, so one PostgreSQL cannot read as one came from the caller
    // (a GraphQL ID argument, which the schema types only as a string).
    if (code === '22P02' && /invalid input syntax for type uuid/.test(current.message)) {
      return new Problem('validation', 'An id is not a UUID.', {
        errors: [{ path: '/id', message: 'is not a UUID' }],
      })
    }
    current = current.cause
  }
  return null
}
