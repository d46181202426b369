import t from 'tap'
import { buildTestApp } from '../helpers/app.ts'

t.test('each credential has its own budget, with RateLimit headers and 429 + Retry-After', async (t) => {
  const ctx = await buildTestApp(t, {
    RATE_LIMIT_API_KEY_PER_MINUTE: '3',
    RATE_LIMIT_CONTACT_PER_MINUTE: '2',
    RATE_LIMIT_AGENT_PER_MINUTE: '4',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000',
  })
  const ws = await ctx.createWorkspace()
  const key = await ctx.withScopes(ws, ['tickets:read'])
  const first = await key.get('/v1/tickets')
  t.equal(first.status, 200)
  t.equal(first.headers['ratelimit-limit'], '3')
  t.equal(first.headers['ratelimit-remaining'], '2')
  t.ok(Number(first.headers['ratelimit-reset']) <= 60)
  await key.get('/v1/tickets')
  await key.get('/v1/tickets')
  const over = await key.get('/v1/tickets')
  t.equal(over.status, 429)
  t.equal(over.body.code, 'rate_limited')
  t.match(over.headers['content-type'], /^application\/problem\+json/)
  t.ok(Number(over.headers['retry-after']) >= 1 && Number(over.headers['retry-after']) <= 60)

  const otherKey = await ctx.withScopes(ws, ['tickets:read'])
  t.equal((await otherKey.get('/v1/tickets')).status, 200, 'another key has its own budget')
  t.equal((await ctx.platform.get('/v1/workspaces')).status, 200, 'the platform operator is not limited')
  t.equal((await key.get('/healthz')).status, 200, 'probes are not limited')

  const contact = ctx.as(ctx.contactToken(ws, { sub: `rl-${process.pid}` }))
  t.equal(
    (await contact.get('/v1/tickets')).headers['ratelimit-limit'],
    '2',
    'contacts get the contact budget',
  )
  await contact.get('/v1/tickets')
  const graphql = await contact.graphql('{ me { kind } }')
  t.equal(graphql.status, 429, `GraphQL spends the same budget: ${graphql.text}`)

  const agent = await ctx.agent(ws, 'agent')
  t.equal((await agent.api.get('/v1/me')).headers['ratelimit-limit'], '4')
})

t.test('a workspace sets its own budgets', async (t) => {
  const ctx = await buildTestApp(t, { RATE_LIMIT_API_KEY_PER_MINUTE: '2' })
  const ws = await ctx.createWorkspace()
  const set = await ws.api.patch('/v1/workspace', { rateLimits: { apiKey: 50, contact: 10 } })
  t.equal(set.status, 200)
  t.same(set.body.rateLimits, { apiKey: 50, contact: 10 })
  const key = await ctx.withScopes(ws, ['tickets:read'])
  const res = await key.get('/v1/tickets')
  t.equal(res.headers['ratelimit-limit'], '50')
  t.equal((await ws.api.patch('/v1/workspace', { rateLimits: { apiKey: 0 } })).status, 400)
  const other = await ctx.createWorkspace()
  const otherKey = await ctx.withScopes(other, ['tickets:read'])
  t.equal(
    (await otherKey.get('/v1/tickets')).headers['ratelimit-limit'],
    '2',
    'other workspaces keep the default',
  )
})
