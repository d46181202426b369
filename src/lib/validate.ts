import type { Static, TSchema } from '@sinclair/typebox'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import ajvFormats from 'ajv-formats'
import { type FieldError, Problem } from './problem.ts'

// ajv-formats ships CommonJS; under ESM its function is the `default` property of the module.
const addFormats = ajvFormats.default

const options = { useDefaults: true, allErrors: true, removeAdditional: false, strict: false } as const
/** JSON bodies are typed already: a string where an array belongs is an error, never coerced. */
const strict = addFormats(new Ajv({ ...options, coerceTypes: false }))
/** Query strings, params and headers arrive as text, so they are coerced (`limit=5`, `a,b` lists stay strings). */
const coercing = addFormats(new Ajv({ ...options, coerceTypes: 'array' }))
const ajv = strict

/** Fastify's validator compiler: strict for bodies, coercing for the textual parts of a request. */
export function requestValidatorCompiler({ schema, httpPart }: { schema: object; httpPart?: string }) {
  return (httpPart === 'body' ? strict : coercing).compile(schema)
}
const compiled = new WeakMap<TSchema, ValidateFunction>()

/** Maps Ajv's errors to `{ path, message }` pairs, naming the missing or unknown property itself. */
export function fieldErrors(errors: readonly ErrorObject[] | null | undefined, prefix = ''): FieldError[] {
  return (errors ?? []).map((e) => {
    const params = e.params as { missingProperty?: string; additionalProperty?: string }
    const leaf =
      e.keyword === 'required'
        ? `/${params.missingProperty}`
        : e.keyword === 'additionalProperties'
          ? `/${params.additionalProperty}`
          : ''
    const message =
      e.keyword === 'additionalProperties'
        ? 'is not a known property'
        : e.keyword === 'required'
          ? 'is required'
          : (e.message ?? 'is invalid')
    return { path: `${prefix}${e.instancePath}${leaf}` || '/', message }
  })
}

export function validationProblem(errors: FieldError[], context = ''): Problem {
  const first = errors[0]
  const where = [context, first && first.path !== '/' ? first.path.replace(/^\//, '') : '']
    .filter(Boolean)
    .join('/')
  return new Problem(
    'validation',
    first ? `${where ? `${where} ` : ''}${first.message}` : 'input is invalid',
    { errors },
  )
}

/** Validates (and fills defaults into) a value against a TypeBox schema, or throws a validation Problem. */
export function validate<T extends TSchema>(schema: T, value: unknown, context = ''): Static<T> {
  const check = compiled.get(schema) ?? ajv.compile(schema)
  compiled.set(schema, check)
  if (!check(value)) throw validationProblem(fieldErrors(check.errors), context)
  return value as Static<T>
}
