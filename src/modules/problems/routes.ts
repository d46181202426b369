import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { problemResponse } from '../../lib/api-schemas.ts'
import { type ProblemCode, problemCatalog } from '../../lib/problem.ts'

const descriptions: Record<ProblemCode, string> = {
  validation: 'The request does not match its schema; `errors` lists each field and what is wrong with it.',
  unauthorized: 'No bearer token was sent, or it is invalid, expired or revoked.',
  forbidden: 'The token is valid but lacks the scope or role this operation needs.',
  not_found: 'The resource does not exist in this workspace, or the caller may not see it.',
  method_not_allowed:
    'The path exists but not with this method; the `Allow` header lists the methods it has.',
  not_acceptable: 'The service cannot produce a representation the request accepts.',
  conflict:
    'The request conflicts with the current state: a duplicate, a forbidden status change, a closed ticket, or an Idempotency-Key still in progress.',
  payload_too_large: 'The request body is larger than the service accepts.',
  unsupported_media_type: 'Send JSON with `Content-Type: application/json`.',
  precondition_failed:
    '`If-Match` names a version that is no longer current: read the resource again and retry.',
  idempotency_mismatch: 'The Idempotency-Key was used before with a different request; use a new key.',
  rate_limited: 'Too many requests; wait for `Retry-After` seconds.',
  internal: 'An unexpected error. It was logged with the request id found in `x-request-id`.',
  unavailable: 'A dependency (the database) is not available; retry later.',
}

/** Documents every problem `type` URI the API returns (RFC 9457 asks that they resolve to documentation). */
export const problemRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const codes = Object.keys(problemCatalog) as ProblemCode[]
  app.get(
    '/problems/:code',
    {
      schema: {
        tags: ['operations'],
        summary: 'Describe a problem type',
        params: Type.Object({ code: Type.Unsafe<ProblemCode>({ type: 'string', enum: codes }) }),
        response: {
          200: Type.Object({
            type: Type.String(),
            code: Type.String(),
            status: Type.Integer(),
            title: Type.String(),
            description: Type.String(),
          }),
          400: problemResponse,
        },
      },
    },
    async (request) => {
      const code = request.params.code
      return { type: `/problems/${code}`, code, ...problemCatalog[code], description: descriptions[code] }
    },
  )
}
