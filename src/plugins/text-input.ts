import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Problem } from '../lib/problem.ts'

/** A JSON `\u0000` escape: one preceded by an even number of backslashes (`\\u0000` is plain text). */
const jsonNulEscape = /(?<!\\)(?:\\\\)*\\u0000/

/** A JSON escape of a UTF-16 surrogate (U+D800–U+DFFF): fine in a pair, invalid alone. */
const jsonSurrogateEscape = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/
const unpairedSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Every string (and key) in a parsed JSON value is valid Unicode. */
function wellFormed(value: unknown): boolean {
  if (typeof value === 'string') return !unpairedSurrogate.test(value)
  if (Array.isArray(value)) return value.every(wellFormed)
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).every(([k, v]) => wellFormed(k) && wellFormed(v))
  }
  return true
}

const nulProblem = (where: string) =>
  new Problem('validation', `${where} may not contain the NUL character (U+0000): text cannot hold it.`)

/**
 * PostgreSQL text and jsonb cannot hold U+0000 or an unpaired UTF-16 surrogate, so a string carrying
 * one would fail at the database (as a 500) instead of being refused as bad input. They are refused
 * here for every route at once: in a JSON body, and NUL in the URL (query and path) before routing.
 */
export default fp(
  async function textInput(app: FastifyInstance) {
    const parseJson = app.getDefaultJsonParser('error', 'error')
    app.removeContentTypeParser('application/json')
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      const text = body as string
      if (jsonNulEscape.test(text)) return done(nulProblem('The request body'), undefined)
      if (!jsonSurrogateEscape.test(text)) return parseJson(request, text, done)
      // Only a body that escapes a surrogate can hold an unpaired one: checked after parsing.
      return parseJson(request, text, (err, parsed) => {
        if (err || wellFormed(parsed)) return done(err, parsed)
        return done(
          new Problem(
            'validation',
            'The request body has an unpaired UTF-16 surrogate: it is not valid Unicode text.',
          ),
          undefined,
        )
      })
    })
    app.addHook('onRequest', async (request) => {
      if (request.url.includes('%00')) throw nulProblem('The URL')
    })
  },
  { name: 'text-input', dependencies: ['errors'] },
)
