import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Problem } from '../lib/problem.ts'

/** A JSON `\u0000` escape: one preceded by an even number of backslashes (`\\u0000` is plain text). */
const jsonNulEscape = /(?<!\\)(?:\\\\)*\\u0000/i

const nulProblem = (where: string) =>
  new Problem('validation', `${where} may not contain the NUL character (U+0000): text cannot hold it.`)

/**
 * PostgreSQL text and jsonb cannot hold U+0000, so a string carrying it would fail at the database
 * (as a 500) instead of being refused as bad input. It is refused here for every route at once: in a
 * JSON body before parsing, and in the URL (query and path) before routing.
 */
export default fp(
  async function textInput(app: FastifyInstance) {
    const parseJson = app.getDefaultJsonParser('error', 'error')
    app.removeContentTypeParser('application/json')
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      if (jsonNulEscape.test(body as string)) return done(nulProblem('The request body'), undefined)
      return parseJson(request, body as string, done)
    })
    app.addHook('onRequest', async (request) => {
      if (request.url.includes('%00')) throw nulProblem('The URL')
    })
  },
  { name: 'text-input', dependencies: ['errors'] },
)
