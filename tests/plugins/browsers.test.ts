import t from 'tap'
import { buildTestApp, ticketBody } from '../helpers/app.ts'

const ctx = await buildTestApp(t)
const shop = 'https://shop.example.com'

const preflight = (origin: string, method = 'POST') =>
  ctx.app.inject({
    method: 'OPTIONS',
    url: '/v1/tickets',
    headers: {
      origin,
      'access-control-request-method': method,
      'access-control-request-headers': 'authorization',
    },
  })

t.test('a workspace lists its origins; they are normalized and shown on the workspace', async (t) => {
  const ws = await ctx.createWorkspace()
  const res = await ws.api.patch('/v1/workspace', { allowedOrigins: ['https://Shop.Example.com/', shop] })
  t.equal(res.status, 200)
  t.same(res.body.allowedOrigins, [shop])
  t.same((await ws.api.get('/v1/workspace')).body.allowedOrigins, [shop])
  t.equal((await ws.api.patch('/v1/workspace', { allowedOrigins: ['not an origin'] })).status, 400)
  t.equal(
    (await ws.api.patch('/v1/workspace', { allowedOrigins: ['https://x.example.com/path'] })).status,
    400,
  )
  t.equal(
    (await ws.api.patch('/v1/workspace', { allowedOrigins: ['http://a:99999'] })).status,
    400,
    'a bad port',
  )
  const viewer = await ctx.agent(ws, 'viewer')
  t.equal((await viewer.api.patch('/v1/workspace', { name: 'Mine now' })).status, 403)
})

t.test('preflights are answered for listed origins only', async (t) => {
  const ws = await ctx.createWorkspace()
  await ws.api.patch('/v1/workspace', { allowedOrigins: ['https://pages.example.org'] })
  const ok = await preflight('https://pages.example.org')
  t.equal(ok.statusCode, 204)
  t.equal(ok.headers['access-control-allow-origin'], 'https://pages.example.org')
  t.match(String(ok.headers['access-control-allow-headers']), /authorization/)
  t.match(String(ok.headers['access-control-allow-methods']), /PATCH/)
  const unknown = await preflight('https://evil.example.net')
  t.equal(unknown.statusCode, 403)
  t.notOk(unknown.headers['access-control-allow-origin'], 'no CORS grant for an unknown origin')
})

t.test("a contact token works from its workspace's origin, and nowhere else", async (t) => {
  const ws = await ctx.createWorkspace()
  await ws.api.patch('/v1/workspace', { allowedOrigins: [shop] })
  const other = await ctx.createWorkspace()
  await other.api.patch('/v1/workspace', { allowedOrigins: ['https://other-shop.example.com'] })
  const token = ctx.contactToken(ws, { sub: `c-${process.pid}`, email: `c-${process.pid}@example.com` })
  const fromShop = await ctx.as(token).get('/v1/tickets', { origin: shop })
  t.equal(fromShop.status, 200)
  t.equal(fromShop.headers['access-control-allow-origin'], shop)
  t.match(String(fromShop.headers['access-control-expose-headers']), /ratelimit-remaining/)
  const created = await ctx
    .as(token)
    .post('/v1/tickets', { subject: 'Where is A-1093?', message: { body: 'Hi' } }, { origin: shop })
  t.equal(created.status, 201)

  // Another workspace's origin is known to the service, but not to this workspace.
  const elsewhere = await ctx
    .as(token)
    .post(
      '/v1/tickets',
      { subject: 'x', message: { body: 'x' } },
      { origin: 'https://other-shop.example.com' },
    )
  t.equal(elsewhere.status, 403)
  const tickets = await ws.api.get('/v1/tickets')
  t.equal(tickets.body.data.length, 1, 'the refused request created nothing')
  t.equal((await ctx.as(token).get('/v1/tickets')).status, 200, 'without an Origin (a server) it works')
})

t.test('an API key sent from a browser origin the workspace does not list is refused', async (t) => {
  const ws = await ctx.createWorkspace()
  const pasted = await ws.api.post('/v1/tickets', ticketBody(), { origin: 'https://blog.example.com' })
  t.equal(pasted.status, 403)
  t.match(pasted.body.detail, /API keys are for servers/)
  t.equal((await ws.api.get('/v1/tickets')).body.data.length, 0, 'nothing was created')
  await ws.api.patch('/v1/workspace', { allowedOrigins: ['https://admin.example.com'] })
  t.equal(
    (await ws.api.get('/v1/tickets', { origin: 'https://admin.example.com' })).status,
    200,
    'a listed origin works',
  )
  t.equal((await ws.api.post('/v1/tickets', ticketBody())).status, 201, 'a server sends no Origin')
  const sameHost = await ws.api.get('/v1/tickets', { origin: 'http://localhost:80', host: 'localhost:80' })
  t.equal(sameHost.status, 200, "the API's own pages (the docs) are not a foreign origin")
})
