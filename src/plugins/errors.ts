import type { ErrorObject } from 'ajv'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { databaseUnavailable } from '../db/errors.ts'
import {
  inputRefusedByDatabase,
  isProblem,
  Problem,
  type ProblemCode,
  problemCatalog,
} from '../lib/problem.ts'
import { fieldErrors, validationProblem } from '../lib/validate.ts'

const fastifyCodes: Partial<Record<string, ProblemCode>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'validation',
  FST_ERR_CTP_INVALID_JSON_BODY: 'validation',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation',
}

function fromValidation(error: FastifyError): Problem {
  const context = error.validationContext ?? 'body'
  // A body's fields are named as they are (`/subject`), the others with where they are (`/querystring/q`),
  // which the detail then says once.
  const errors = fieldErrors(error.validation as ErrorObject[], context === 'body' ? '' : `/${context}`)
  return validationProblem(errors, context === 'body' ? context : '')
}

function toProblem(error: FastifyError): Problem | null {
  if (isProblem(error)) return error
  if (error.validation) return fromValidation(error)
  const refused = inputRefusedByDatabase(error)
  if (refused) return refused
  if (databaseUnavailable(error)) {
    return new Problem('unavailable', 'The database is busy or out of reach; retry shortly.', {
      headers: { 'retry-after': '1' },
    })
  }
  const code = error.code ? fastifyCodes[error.code] : undefined
  if (code) return new Problem(code, error.message)
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    const byStatus = Object.entries(problemCatalog).find(([, p]) => p.status === error.statusCode)
    return new Problem((byStatus?.[0] as ProblemCode | undefined) ?? 'validation', error.message)
  }
  return null
}

/**
 * Errors Fastify meets before any route (Fastify's `frameworkErrors`): a path that does not decode, or a
 * path segment longer than `MAX_PARAM_LENGTH`. Problem details, as every other refusal.
 */
export function frameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const detail =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? `A segment of the path is longer than ${MAX_PARAM_LENGTH} characters.`
      : 'The path is not valid percent-encoded UTF-8.'
  return sendProblem(
    request,
    reply,
    new Problem('validation', detail, { errors: [{ path: '/path', message: 'is malformed' }] }),
  )
}

/** The longest path segment routed: longer than any id, slug or ref a route's schema accepts, so those
 * are refused by the schema, with the field named. */
export const MAX_PARAM_LENGTH = 1000

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: Problem) {
  const body = {
    type: `/problems/${problem.code}`,
    title: problem.title,
    status: problem.status,
    code: problem.code,
    detail: problem.message,
    instance: request.url.split('?')[0],
    ...(problem.errors ? { errors: problem.errors } : {}),
  }
  return reply
    .code(problem.status)
    .headers(problem.headers ?? {})
    .type('application/problem+json; charset=utf-8')
    .serializer(JSON.stringify)
    .send(body)
}

/**
 * Turns every error into RFC 9457 problem details: thrown Problems, schema validation, Fastify's
 * own client errors, unknown routes (404) and known paths with the wrong method (405 with Allow).
 */
export default fp(
  async function errors(app: FastifyInstance) {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const problem = toProblem(error)
      if (problem) {
        if (problem.status >= 500) request.log.error({ err: error }, 'request failed')
        return sendProblem(request, reply, problem)
      }
      request.log.error({ err: error }, 'unhandled error')
      return sendProblem(
        request,
        reply,
        new Problem('internal', `An internal error occurred (request ${request.id}).`),
      )
    })

    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0] ?? '/'
      // The CORS plugin passes on the preflights of origins no workspace allows.
      if (
        request.method === 'OPTIONS' &&
        request.headers.origin &&
        request.headers['access-control-request-method']
      ) {
        return sendProblem(
          request,
          reply,
          new Problem('forbidden', `No workspace allows requests from the origin ${request.headers.origin}.`),
        )
      }
      const allowed = app.allowedMethods(path)
      if (allowed && !allowed.includes(request.method)) {
        const allow = allowed.join(', ')
        return sendProblem(
          request,
          reply,
          new Problem('method_not_allowed', `${request.method} is not allowed on ${path}; use ${allow}`, {
            headers: { allow },
          }),
        )
      }
      return sendProblem(request, reply, new Problem('not_found', `No route ${request.method} ${path}`))
    })
  },
  { name: 'errors', dependencies: ['route-registry'] },
)
