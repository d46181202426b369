import { sql } from 'drizzle-orm'
import t from 'tap'
import { canonicalJson } from '../../src/lib/canonical-json.ts'
import { sha256 } from '../../src/lib/secrets.ts'
import { buildTestApp, ticketBody, type Workspace } from '../helpers/app.ts'

const ctx = await buildTestApp(t)
const db = ctx.db.database.db

async function rows<T>(query: ReturnType<typeof sql>): Promise<T[]> {
  const result = await db.execute(query)
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[]
}

async function ownerKeyScope(ws: Workspace) {
  const keys = await ws.api.get('/v1/api-keys')
  return `key:${keys.body.data.find((k: { name: string }) => k.name === 'Owner key').id}`
}

const ticketCount = async (ws: Workspace) => (await ws.api.get('/v1/tickets?limit=100')).body.data.length

t.test('a retried POST with the same key returns the first response and creates nothing new', async (t) => {
  const ws = await ctx.createWorkspace()
  const headers = { 'idempotency-key': 'order-A-1093' }
  const first = await ws.api.post('/v1/tickets', ticketBody(), headers)
  const retry = await ws.api.post('/v1/tickets', ticketBody(), headers)
  t.equal(first.status, 201)
  t.equal(retry.status, 201)
  t.equal(retry.text, first.text, 'the same body, byte for byte')
  t.equal(retry.headers['idempotent-replayed'], 'true')
  t.notOk(first.headers['idempotent-replayed'])
  t.equal(retry.headers.location, first.headers.location)
  t.equal(retry.headers['content-type'], 'application/json; charset=utf-8')
  t.equal(await ticketCount(ws), 1)

  const reordered = {
    requester: ticketBody().requester,
    message: ticketBody().message,
    subject: ticketBody().subject,
  }
  const sameBodyOtherOrder = await ws.api.post('/v1/tickets', reordered, headers)
  t.equal(sameBodyOtherOrder.headers['idempotent-replayed'], 'true', 'key order in the JSON does not matter')
})

t.test('the same key with a different body is 422 idempotency_mismatch', async (t) => {
  const ws = await ctx.createWorkspace()
  const headers = { 'idempotency-key': 'k-1' }
  await ws.api.post('/v1/tickets', ticketBody(), headers)
  const other = await ws.api.post('/v1/tickets', ticketBody({ subject: 'Another' }), headers)
  t.equal(other.status, 422)
  t.equal(other.body.code, 'idempotency_mismatch')
  const otherPath = await ws.api.post('/v1/tickets/1/messages', { body: 'x' }, headers)
  t.equal(otherPath.status, 422, 'a different route with the same key is a different request')
  t.equal(await ticketCount(ws), 1)
})

t.test('a request while the first with the same key is in flight is 409 with Retry-After', async (t) => {
  const ws = await ctx.createWorkspace()
  const body = ticketBody()
  const scope = await ownerKeyScope(ws)
  const hash = sha256(`POST /v1/tickets\n${canonicalJson(body)}`)
  await db.execute(sql`insert into idempotency_keys (scope, key, request_hash, state, locked_at, expires_at)
    values (${scope}, 'in-flight', ${hash}, 'processing', now(), now() + interval '1 day')`)
  const res = await ws.api.post('/v1/tickets', body, { 'idempotency-key': 'in-flight' })
  t.equal(res.status, 409)
  t.equal(res.body.code, 'conflict')
  t.equal(res.headers['retry-after'], '1')
  t.equal(await ticketCount(ws), 0)
})

t.test('parallel requests with one key create exactly one ticket', async (t) => {
  const ws = await ctx.createWorkspace()
  const results = await Promise.all(
    Array.from({ length: 10 }, () =>
      ws.api.post('/v1/tickets', ticketBody(), { 'idempotency-key': 'burst' }),
    ),
  )
  const statuses = results.map((r) => r.status)
  t.ok(
    statuses.every((s) => s === 201 || s === 409),
    `only 201 or 409: ${statuses}`,
  )
  const created = results.filter((r) => r.status === 201)
  t.ok(created.length >= 1)
  t.equal(new Set(created.map((r) => r.body.id)).size, 1, 'every 201 is the same ticket')
  t.equal(await ticketCount(ws), 1)
})

t.test('the stored response commits in the same transaction as the ticket', async (t) => {
  const ws = await ctx.createWorkspace()
  const res = await ws.api.post('/v1/tickets', ticketBody(), { 'idempotency-key': 'atomic' })
  const [ticket] = await rows<{ xmin: string }>(sql`select xmin::text from tickets where id = ${res.body.id}`)
  const [key] = await rows<{ xmin: string; state: string }>(
    sql`select xmin::text, state from idempotency_keys where key = 'atomic'`,
  )
  t.equal(key?.state, 'completed')
  t.equal(key?.xmin, ticket?.xmin, 'one transaction wrote both, so a crash cannot keep one without the other')
})

t.test('a failed request releases its key so the client can retry', async (t) => {
  const ws = await ctx.createWorkspace()
  const headers = { 'idempotency-key': 'fix-and-retry' }
  const failed = await ws.api.post('/v1/tickets', ticketBody({ priority: 'nope' }), headers)
  t.equal(failed.status, 400)
  const [left] = await rows(sql`select 1 from idempotency_keys where key = 'fix-and-retry'`)
  t.notOk(left, 'no row remains for a failed request')
  const fixed = await ws.api.post('/v1/tickets', ticketBody(), headers)
  t.equal(fixed.status, 201)
  t.notOk(fixed.headers['idempotent-replayed'])
})

t.test('keys expire after 24 hours, and an abandoned claim is taken over', async (t) => {
  const ws = await ctx.createWorkspace()
  await ws.api.post('/v1/tickets', ticketBody(), { 'idempotency-key': 'old' })
  const [row] = await rows<{ created: string; expires: string }>(
    sql`select created_at::text as created, expires_at::text as expires from idempotency_keys where key = 'old'`,
  )
  const hours = (Date.parse(row?.expires ?? '') - Date.parse(row?.created ?? '')) / 3_600_000
  t.equal(Math.round(hours), 24)
  await db.execute(
    sql`update idempotency_keys set expires_at = now() - interval '1 second' where key = 'old'`,
  )
  const again = await ws.api.post('/v1/tickets', ticketBody(), { 'idempotency-key': 'old' })
  t.equal(again.status, 201)
  t.notOk(again.headers['idempotent-replayed'], 'an expired key runs the request again')
  t.equal(await ticketCount(ws), 2)

  const body = ticketBody({ subject: 'Abandoned' })
  const scope = await ownerKeyScope(ws)
  const hash = sha256(`POST /v1/tickets\n${canonicalJson(body)}`)
  await db.execute(sql`insert into idempotency_keys (scope, key, request_hash, state, locked_at, expires_at)
    values (${scope}, 'crashed', ${hash}, 'processing', now() - interval '5 minutes', now() + interval '1 day')`)
  const taken = await ws.api.post('/v1/tickets', body, { 'idempotency-key': 'crashed' })
  t.equal(taken.status, 201, 'a claim whose request died before committing is taken over')
})

t.test('keys belong to one credential, and are validated', async (t) => {
  const ws = await ctx.createWorkspace()
  const second = await ctx.withScopes(ws, ['tickets:write'])
  const a = await ws.api.post('/v1/tickets', ticketBody(), { 'idempotency-key': 'shared' })
  const b = await second.post('/v1/tickets', ticketBody(), { 'idempotency-key': 'shared' })
  t.not(a.body.id, b.body.id)
  t.equal(await ticketCount(ws), 2)
  const tooLong = await ws.api.post('/v1/tickets', ticketBody(), { 'idempotency-key': 'x'.repeat(256) })
  t.equal(tooLong.status, 400)
})

t.test('every POST route honours the key (messages, api keys, workspaces)', async (t) => {
  const ws = await ctx.createWorkspace()
  await ws.api.post('/v1/tickets', ticketBody())
  const m1 = await ws.api.post('/v1/tickets/1/messages', { body: 'once' }, { 'idempotency-key': 'm' })
  const m2 = await ws.api.post('/v1/tickets/1/messages', { body: 'once' }, { 'idempotency-key': 'm' })
  t.equal(m2.body.id, m1.body.id)
  t.equal((await ws.api.get('/v1/tickets/1/messages')).body.data.length, 2)
})

t.test(
  'a response holding a secret is never stored: its replay is a 409 pointing at the resource',
  async (t) => {
    const ws = await ctx.createWorkspace()
    const k1 = await ws.api.post(
      '/v1/api-keys',
      { name: 'ci', scopes: ['tickets:read'] },
      { 'idempotency-key': 'k' },
    )
    const k2 = await ws.api.post(
      '/v1/api-keys',
      { name: 'ci', scopes: ['tickets:read'] },
      { 'idempotency-key': 'k' },
    )
    t.equal(k1.status, 201)
    t.equal(k2.status, 409)
    t.equal(k2.headers.location, k1.headers.location)
    const keys = (await ws.api.get('/v1/api-keys')).body.data
    t.equal(keys.filter((k: { name: string }) => k.name === 'ci').length, 1, 'no second key was made')

    const w1 = await ctx.platform.post(
      '/v1/workspaces',
      { slug: 'idem-ws', name: 'x' },
      { 'idempotency-key': 'w' },
    )
    const w2 = await ctx.platform.post(
      '/v1/workspaces',
      { slug: 'idem-ws', name: 'x' },
      { 'idempotency-key': 'w' },
    )
    t.equal(w1.status, 201)
    t.equal(w2.status, 409)
    t.equal(w2.headers.location, w1.headers.location)
    const stored = await rows<{ body: string | null }>(
      sql`select response_body as body from idempotency_keys`,
    )
    t.notOk(
      stored.some((r) => r.body?.includes('atk_')),
      'no API key secret is kept in the idempotency store',
    )
  },
)

t.test('routes that answer through reply.send are replayed too, and their work is kept', async (t) => {
  // Contacts, departments and the knowledge base answer with `reply.code(201).send(x)`: the response
  // must wait for the transaction that stores it, and the resource must exist once.
  const ws = await ctx.createWorkspace()
  const headers = { 'idempotency-key': 'contact-once' }
  const body = { email: 'once@example.com', name: 'Once' }
  const first = await ws.api.post('/v1/contacts', body, headers)
  t.equal(first.status, 201, first.text)
  t.equal(
    (await ws.api.get(`/v1/contacts/${first.body.id}`)).status,
    200,
    'the contact the 201 announced exists',
  )
  const retry = await ws.api.post('/v1/contacts', body, headers)
  t.equal(retry.status, 201)
  t.equal(retry.headers['idempotent-replayed'], 'true')
  t.equal(retry.text, first.text)
  t.equal(retry.headers.location, first.headers.location)
  const department = { name: 'Once', slug: 'once' }
  const created = await ws.api.post('/v1/departments', department, { 'idempotency-key': 'department-once' })
  const again = await ws.api.post('/v1/departments', department, { 'idempotency-key': 'department-once' })
  t.equal(created.status, 201, created.text)
  t.equal(again.headers['idempotent-replayed'], 'true')
  t.equal(again.body.id, created.body.id)
})

t.test('anonymous commands of the public knowledge base honour the key in their workspace', async (t) => {
  // An anonymous caller has no workspace of its own: its key is claimed, and its response stored, under
  // the workspace its route names, as the transaction bound to that workspace requires.
  const ws = await ctx.createWorkspace()
  const category = await ws.api.post('/v1/kb/categories', {
    translations: [{ locale: 'en', name: 'Orders', slug: 'orders' }],
  })
  const article = await ws.api.post('/v1/kb/articles', {
    categoryId: category.body.id,
    visibility: 'public',
    publish: true,
    translations: [{ locale: 'en', title: 'Refunds for an order', body: 'How refunds of an order work.' }],
  })
  t.equal(article.status, 201, article.text)
  const base = `/v1/public/${ws.slug}/kb`
  const vote = { helpful: false, sessionKey: 'browser-session-0001' }
  const firstVote = await ctx.anonymous.post(`${base}/articles/${article.body.id}/feedback`, vote, {
    'idempotency-key': 'vote-1',
  })
  const againVote = await ctx.anonymous.post(`${base}/articles/${article.body.id}/feedback`, vote, {
    'idempotency-key': 'vote-1',
  })
  t.equal(firstVote.status, 201, firstVote.text)
  t.equal(againVote.status, 201)
  t.equal(againVote.headers['idempotent-replayed'], 'true')
  t.equal(againVote.text, firstVote.text)
  const counted = await ws.api.get(`/v1/kb/articles/${article.body.id}`)
  t.match(counted.body, { helpfulCount: 0, notHelpfulCount: 1 }, 'the vote was kept, once')

  const ask = { subject: 'refund of my order', locale: 'en' }
  const shown = await ctx.anonymous.post(`${base}/suggestions`, ask, { 'idempotency-key': 'ask-1' })
  const shownAgain = await ctx.anonymous.post(`${base}/suggestions`, ask, { 'idempotency-key': 'ask-1' })
  t.equal(shown.status, 200, shown.text)
  t.equal(shownAgain.body.id, shown.body.id, 'the same suggestion, not a second one')
  const opened = { outcome: 'article_opened', articleId: article.body.id }
  const outcome = await ctx.anonymous.post(`${base}/suggestions/${shown.body.id}/outcomes`, opened, {
    'idempotency-key': 'opened-1',
  })
  t.equal(outcome.status, 204, outcome.text)
  const outcomeAgain = await ctx.anonymous.post(`${base}/suggestions/${shown.body.id}/outcomes`, opened, {
    'idempotency-key': 'opened-1',
  })
  t.equal(outcomeAgain.headers['idempotent-replayed'], 'true')
  const recorded = await rows<{ type: string; n: number }>(
    sql`select type, count(*)::int as n from events where subject_id = ${shown.body.id} group by type order by type`,
  )
  t.same(recorded, [
    { type: 'kb.suggestion.article_opened', n: 1 },
    { type: 'kb.suggestions.shown', n: 1 },
  ])
  const stored = await rows<{ workspace_id: string }>(
    sql`select workspace_id from idempotency_keys where key in ('vote-1', 'ask-1', 'opened-1')`,
  )
  t.same(
    stored.map((r) => r.workspace_id),
    [ws.id, ws.id, ws.id],
    'kept under the workspace of the route',
  )

  const nowhere = await ctx.anonymous.post('/v1/public/no-such-workspace/kb/suggestions', ask, {
    'idempotency-key': 'ask-2',
  })
  t.equal(nowhere.status, 404)
})
