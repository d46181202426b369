import fc from 'fast-check'
import Fastify from 'fastify'
import t from 'tap'
import errors from '../../src/plugins/errors.ts'
import { renderOpenApi } from '../../src/plugins/openapi.ts'
import routeRegistry from '../../src/plugins/route-registry.ts'
import { buildTestApp, PLATFORM_TOKEN, ticketBody } from '../helpers/app.ts'

const ctx = await buildTestApp(t)
const ws = await ctx.createWorkspace()
await ws.api.post('/v1/tickets', ticketBody())
const problemType = 'application/problem+json; charset=utf-8'

t.test('a validation error is RFC 9457 problem details listing each field', async (t) => {
  const res = await ws.api.post('/v1/tickets', {
    subject: '',
    message: { body: 'x' },
    requester: { email: 'a@example.com' },
    extra: 1,
  })
  t.equal(res.status, 400)
  t.equal(res.headers['content-type'], problemType)
  t.match(res.body, {
    type: '/problems/validation',
    title: 'Request is invalid',
    status: 400,
    code: 'validation',
    detail: String,
    instance: '/v1/tickets',
  })
  const paths = res.body.errors.map((e: { path: string }) => e.path)
  t.ok(paths.includes('/subject'), 'names the short subject')
  t.ok(paths.includes('/extra'), 'names the unknown property')
  const missing = await ws.api.post('/v1/tickets', {
    message: { body: 'x' },
    requester: { email: 'a@example.com' },
  })
  t.same(missing.body.errors, [{ path: '/subject', message: 'is required' }])
  t.equal(missing.body.detail, 'body/subject is required')
})

t.test('unknown routes are 404, known paths with another method 405 with Allow', async (t) => {
  const notFound = await ws.api.get('/v1/nothing-here')
  t.equal(notFound.status, 404)
  t.equal(notFound.headers['content-type'], problemType)
  t.equal(notFound.body.code, 'not_found')
  const wrongMethod = await ws.api.delete('/v1/tickets/1')
  t.equal(wrongMethod.status, 405)
  t.equal(wrongMethod.body.code, 'method_not_allowed')
  t.match(wrongMethod.headers.allow, /GET/)
  t.match(wrongMethod.headers.allow, /PATCH/)
  const missingTicket = await ws.api.get('/v1/tickets/424242')
  t.match(missingTicket.body, { status: 404, code: 'not_found', detail: 'Ticket #424242 not found' })
})

t.test('malformed JSON, wrong media types and oversized bodies are client errors', async (t) => {
  const inject = (payload: string, headers: Record<string, string>) =>
    ctx.app.inject({
      method: 'POST',
      url: '/v1/tickets',
      payload,
      headers: { authorization: `Bearer ${ws.apiKey}`, ...headers },
    })
  const broken = await inject('{"subject": ', { 'content-type': 'application/json' })
  t.equal(broken.statusCode, 400)
  t.equal(broken.json().code, 'validation')
  const xml = await inject('<ticket/>', { 'content-type': 'application/xml' })
  t.equal(xml.statusCode, 415)
  t.equal(xml.json().code, 'unsupported_media_type')
  const huge = await inject(JSON.stringify(ticketBody({ message: { body: 'x'.repeat(2_000_000) } })), {
    'content-type': 'application/json',
  })
  t.equal(huge.statusCode, 413)
  t.equal(huge.json().code, 'payload_too_large')
})

t.test('authentication problems are 401, missing scopes 403', async (t) => {
  const none = await ctx.anonymous.get('/v1/tickets')
  t.equal(none.status, 401)
  t.equal(none.body.code, 'unauthorized')
  const malformed = await ctx.app.inject({
    method: 'GET',
    url: '/v1/tickets',
    headers: { authorization: 'Basic abc' },
  })
  t.equal(malformed.statusCode, 401)
  const unknownKey = await ctx.as('atk_not_a_real_key_000000000000000000000000').get('/v1/tickets')
  t.equal(unknownKey.status, 401)
  const readOnly = await ctx.withScopes(ws, ['tickets:read'])
  const denied = await readOnly.post('/v1/tickets', ticketBody())
  t.equal(denied.status, 403)
  t.equal(denied.body.code, 'forbidden')
})

t.test('every response carries x-request-id; a sane incoming one is kept', async (t) => {
  const own = await ctx.app.inject({
    method: 'GET',
    url: '/healthz',
    headers: { 'x-request-id': 'trace-abc.123' },
  })
  t.equal(own.headers['x-request-id'], 'trace-abc.123')
  const hostile = await ctx.app.inject({
    method: 'GET',
    url: '/healthz',
    headers: { 'x-request-id': 'bad id\n' },
  })
  t.not(hostile.headers['x-request-id'], 'bad id\n')
  t.match(hostile.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  const error = await ws.api.get('/v1/nope')
  t.ok(error.headers['x-request-id'])
})

t.test('the problem types are documented by the service', async (t) => {
  const res = await ctx.anonymous.get('/problems/idempotency_mismatch')
  t.equal(res.status, 200)
  t.match(res.body, { type: '/problems/idempotency_mismatch', status: 422, description: String })
})

t.test('no malformed request to any documented operation answers 5xx', async (t) => {
  const doc = JSON.parse(renderOpenApi(ctx.app))
  const operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
    ([path, ops]) => Object.keys(ops).map((method) => ({ path, method: method.toUpperCase() })),
  )
  const junkSegment = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.constantFrom(
      '1',
      '0',
      '-1',
      '99999999999',
      '1e3',
      'null',
      '%00',
      'a\u0000b',
      "' or 1=1 --",
      '00000000-0000-0000-0000-000000000000',
    ),
  )
  const junkBody = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.record({
      subject: fc.anything(),
      message: fc.anything(),
      requester: fc.anything(),
      status: fc.anything(),
    }),
    // PostgreSQL text cannot hold U+0000: a well-formed body carrying it must still be a 400.
    fc.constantFrom(ticketBody({ subject: 'a\u0000b' }), { body: 'x\u0000', visibility: 'public' }),
  )
  const junkQuery = fc.dictionary(
    fc.constantFrom(
      'limit',
      'cursor',
      'status',
      'sort',
      'priority',
      'q',
      'createdAfter',
      'tag',
      'requesterId',
      'x',
    ),
    fc.oneof(fc.string({ maxLength: 30 }), fc.constant('open\u0000')),
  )
  let requests = 0
  for (const { path, method } of operations) {
    const token = path === '/v1/workspaces' ? PLATFORM_TOKEN : ws.apiKey
    await fc.assert(
      fc.asyncProperty(junkSegment, junkBody, junkQuery, async (segment, body, query) => {
        const url = `${path.replace(/\{\w+\}/g, encodeURIComponent(segment) || 'x')}?${new URLSearchParams(query)}`
        const res = await ctx.app.inject({
          method: method as 'GET',
          url,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          ...(method === 'GET' || method === 'DELETE' ? {} : { payload: JSON.stringify(body) ?? 'null' }),
        })
        requests++
        if (res.statusCode >= 500) throw new Error(`${method} ${url} → ${res.statusCode} ${res.body}`)
        if (res.statusCode >= 400 && res.headers['content-type'] !== problemType) {
          throw new Error(`${method} ${url} → ${res.statusCode} without problem details`)
        }
        if (res.body.includes(' at ') && /\.ts:\d+/.test(res.body)) throw new Error('stack trace leaked')
      }),
      { numRuns: 25, seed: 20261122 },
    )
  }
  t.ok(
    requests >= operations.length * 25,
    `${requests} malformed requests over ${operations.length} operations`,
  )
})

t.test('a database out of reach or out of connections is 503 with Retry-After, not 500', async (t) => {
  // The errors plugin alone, on routes that fail the way pg and drizzle do.
  const app = Fastify({ logger: false })
  await app.register(routeRegistry)
  await app.register(errors)
  const unavailable = [
    Object.assign(new Error('too many clients'), { code: '53300' }),
    Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    new Error('timeout exceeded when trying to connect'),
    new Error('Failed query', { cause: Object.assign(new Error('terminating'), { code: '57P01' }) }),
  ]
  for (const [i, error] of unavailable.entries()) {
    app.get(`/v1/unavailable/${i}`, async () => {
      throw error
    })
  }
  app.get('/v1/broken', async () => {
    throw new Error('a bug')
  })
  t.teardown(() => app.close())
  for (const [i] of unavailable.entries()) {
    const res = await app.inject({ method: 'GET', url: `/v1/unavailable/${i}` })
    t.equal(res.statusCode, 503, `${i}: ${res.body}`)
    t.equal(JSON.parse(res.body).code, 'unavailable')
    t.equal(res.headers['retry-after'], '1')
  }
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/broken' })).statusCode,
    500,
    'anything else is still a 500',
  )
})

t.test('a forged cursor is a 400 on every list, never a 5xx', async (t) => {
  // Well-formed cursors (base64url JSON arrays of the right length) whose values no list ever returned:
  // out of an integer's range, fractional, of the wrong type, not a UUID, not a date.
  const forged = [
    [3_000_000_000, '00000000-0000-4000-8000-000000000000'],
    [1.5, '00000000-0000-4000-8000-000000000000'],
    [1e300, 'not-a-uuid'],
    ['1.5', 1.5],
    ['not-a-date', 'x'],
    ['2026-13-45T99:00:00Z', '00000000-0000-4000-8000-000000000000'],
    [-1, null],
    [3_000_000_000],
    ['not-a-uuid'],
    [1e300],
    ['exact', 1e300, 'x'],
    ['en', 3_000_000_000],
  ].map((values) => Buffer.from(JSON.stringify(values)).toString('base64url'))
  const ticket = await ws.api.post('/v1/tickets', ticketBody())
  const category = await ws.api.post('/v1/kb/categories', {
    translations: [{ locale: 'en', name: 'Cursors', slug: 'cursors' }],
  })
  const article = await ws.api.post('/v1/kb/articles', {
    categoryId: category.body.id,
    visibility: 'public',
    publish: true,
    translations: [{ locale: 'en', title: 'Forged cursors', body: 'A body.' }],
  })
  t.equal(article.status, 201)
  const ids: Record<string, string> = {
    id: String(ticket.body.id),
    ticketId: String(ticket.body.id),
    articleId: String(article.body.id),
    workspaceSlug: String(ws.slug),
  }
  const doc = JSON.parse(renderOpenApi(ctx.app))
  const lists = Object.entries(
    doc.paths as Record<string, Record<string, { parameters?: { name: string }[] }>>,
  )
    .filter(([, ops]) => ops.get?.parameters?.some((p) => p.name === 'cursor'))
    .map(([path]) => path)
  t.ok(lists.length >= 15, `${lists.length} lists take a cursor`)
  const failures: string[] = []
  const statuses = new Map<string, number[]>()
  for (const path of lists) {
    const kbArticle = path.includes('/kb/articles/')
    const url = path.replace(/\{(\w+)\}/g, (_, name: string) =>
      name === 'id' && kbArticle ? String(ids.articleId) : (ids[name] ?? 'x'),
    )
    const token = path === '/v1/workspaces' ? PLATFORM_TOKEN : ws.apiKey
    for (const cursor of forged) {
      const res = await ctx.app.inject({
        method: 'GET',
        url: `${url}?cursor=${cursor}${path.endsWith('/search') ? '&q=forged' : ''}`,
        headers: { authorization: `Bearer ${token}` },
      })
      statuses.set(path, [...(statuses.get(path) ?? []), res.statusCode])
      if (res.statusCode >= 500 || (res.statusCode >= 400 && res.headers['content-type'] !== problemType)) {
        failures.push(
          `${url} cursor ${Buffer.from(cursor, 'base64url')} → ${res.statusCode} ${res.body.slice(0, 120)}`,
        )
      }
    }
  }
  t.same(failures, [], 'no forged cursor is a 5xx, and every refusal is problem details')
  // Lists keyed on (position, id) and versions on (locale, version): none of the forged cursors is one
  // they could have returned, so each is refused as malformed.
  for (const path of [
    '/v1/kb/categories',
    '/v1/kb/articles',
    '/v1/kb/articles/{id}/versions',
    '/v1/departments',
  ]) {
    t.same(new Set(statuses.get(path)), new Set([400]), `${path}: every forged cursor is a 400`)
  }
})

t.test('paths Fastify refuses before any route are problem details too', async (t) => {
  const badUrl = await ctx.app.inject({
    method: 'GET',
    url: '/v1/kb/categories/%ZZ',
    headers: { authorization: `Bearer ${ws.apiKey}` },
  })
  t.equal(badUrl.statusCode, 400)
  t.equal(badUrl.headers['content-type'], problemType)
  t.match(JSON.parse(badUrl.body), { type: '/problems/validation', status: 400, detail: /percent-encoded/ })
  const huge = await ctx.app.inject({
    method: 'GET',
    url: `/v1/kb/articles/${'a'.repeat(1001)}`,
    headers: { authorization: `Bearer ${ws.apiKey}` },
  })
  t.equal(huge.statusCode, 400)
  t.equal(huge.headers['content-type'], problemType)
  t.match(JSON.parse(huge.body), { status: 400, detail: /longer than 1000 characters/ })
  // Longer than the schema allows, shorter than the router's limit: the schema names the parameter.
  const long = await ws.api.get(`/v1/kb/articles/${'a'.repeat(250)}`)
  t.equal(long.status, 400)
  t.equal(long.headers['content-type'], problemType)
  t.match(long.body.errors, [{ path: '/params/id' }])
  t.equal(long.body.detail, 'params/id must NOT have more than 200 characters')
})

t.test('a validation detail names where the field is once', async (t) => {
  const query = await ws.api.get('/v1/kb/search?q=')
  t.equal(query.status, 400)
  t.equal(query.body.detail, 'querystring/q must NOT have fewer than 1 characters')
  t.same(query.body.errors[0].path, '/querystring/q')
  const body = await ws.api.post('/v1/kb/suggestions', {})
  t.equal(body.body.detail, 'body/subject is required')
})
