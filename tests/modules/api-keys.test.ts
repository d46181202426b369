import t from 'tap'
import { buildApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { openDatabase } from '../../src/db/client.ts'
import { buildTestApp, ticketBody } from '../helpers/app.ts'

const ctx = await buildTestApp(t)

t.test('a key is shown once, listed by prefix, and stops working when revoked', async (t) => {
  const ws = await ctx.createWorkspace()
  const created = await ws.api.post('/v1/api-keys', {
    name: 'Shop backend',
    scopes: ['tickets:write', 'tickets:read'],
  })
  t.equal(created.status, 201)
  t.equal(created.headers.location, `/v1/api-keys/${created.body.id}`)
  t.match(created.body, {
    name: 'Shop backend',
    scopes: ['tickets:write', 'tickets:read'],
    secret: /^atk_/,
    lastUsedAt: null,
  })
  t.equal(created.body.prefix, created.body.secret.slice(0, 12))

  const key = ctx.as(created.body.secret)
  t.equal((await key.post('/v1/tickets', ticketBody())).status, 201)

  const list = await ws.api.get('/v1/api-keys')
  t.equal(list.status, 200)
  const listed = list.body.data.find((k: { id: string }) => k.id === created.body.id)
  t.ok(listed)
  t.notOk('secret' in listed, 'the secret is never listed')
  t.notOk(list.text.includes(created.body.secret))
  t.ok(listed.lastUsedAt, 'using a key records lastUsedAt')

  const revoked = await ws.api.delete(`/v1/api-keys/${created.body.id}`)
  t.equal(revoked.status, 204)
  t.equal(revoked.text, '')
  const after = await key.get('/v1/tickets')
  t.equal(after.status, 401, 'a revoked key is refused at once')
  const again = await ws.api.get('/v1/api-keys')
  t.ok(again.body.data.find((k: { id: string }) => k.id === created.body.id).revokedAt)
  t.equal((await ws.api.delete(`/v1/api-keys/${created.body.id}`)).status, 204, 'revoking twice is harmless')
  t.equal((await ws.api.delete('/v1/api-keys/00000000-0000-4000-8000-000000000000')).status, 404)
})

t.test('each scope allows exactly its operations', async (t) => {
  const ws = await ctx.createWorkspace()
  await ws.api.post('/v1/tickets', ticketBody())
  const contactId = (await ws.api.get('/v1/tickets/1')).body.requester.id
  const operations: [
    string,
    (c: Awaited<ReturnType<typeof ctx.withScopes>>) => Promise<{ status: number }>,
  ][] = [
    ['list tickets', (c) => c.get('/v1/tickets')],
    ['read a ticket', (c) => c.get('/v1/tickets/1')],
    ['create a ticket', (c) => c.post('/v1/tickets', ticketBody())],
    ['update a ticket', (c) => c.patch('/v1/tickets/1', { tags: ['x'] })],
    ['reply', (c) => c.post('/v1/tickets/1/messages', { body: 'x' })],
    ['read a contact', (c) => c.get(`/v1/contacts/${contactId}`)],
    ['list api keys', (c) => c.get('/v1/api-keys')],
    ['create an api key', (c) => c.post('/v1/api-keys', { name: 'x', scopes: ['tickets:read'] })],
  ]
  const allowed: Record<string, string[]> = {
    'tickets:read': ['list tickets', 'read a ticket', 'read a contact'],
    'tickets:write': [
      'list tickets',
      'read a ticket',
      'create a ticket',
      'update a ticket',
      'reply',
      'read a contact',
    ],
    'contacts:read': ['read a contact'],
    'contacts:write': ['read a contact'],
    admin: operations.map(([name]) => name),
  }
  for (const [scope, names] of Object.entries(allowed)) {
    const client = await ctx.withScopes(ws, [scope])
    for (const [name, run] of operations) {
      const { status } = await run(client)
      if (names.includes(name)) t.ok(status < 400, `${scope} may ${name} (${status})`)
      else t.equal(status, 403, `${scope} may not ${name}`)
    }
  }
})

t.test('key creation is validated and needs admin', async (t) => {
  const ws = await ctx.createWorkspace()
  for (const body of [
    { name: 'x', scopes: [] },
    { name: 'x', scopes: ['root'] },
    { name: '', scopes: ['admin'] },
    { scopes: ['admin'] },
  ]) {
    t.equal((await ws.api.post('/v1/api-keys', body)).status, 400, JSON.stringify(body))
  }
  const other = await ctx.createWorkspace()
  const keys = (await ws.api.get('/v1/api-keys')).body.data
  t.equal(
    (await other.api.delete(`/v1/api-keys/${keys[0].id}`)).status,
    404,
    'another workspace cannot revoke it',
  )
  t.equal((await ws.api.get('/v1/tickets')).status, 200, 'and the key still works')
})

t.test(
  'authentication is cached, and a key revoked through one instance is refused by another',
  async (t) => {
    const ws = await ctx.createWorkspace()
    const created = await ws.api.post('/v1/api-keys', { name: 'Cached', scopes: ['tickets:read'] })
    const secret: string = created.body.secret

    // A second instance of the service on the same database.
    const shared = ctx.db.url
      ? await openDatabase({ url: ctx.db.url })
      : await openDatabase({ pglite: ctx.db.pglite! })
    // The embedded database belongs to the first app, which closes it.
    const database = ctx.db.url ? shared : { ...shared, close: async () => {} }
    const other = await buildApp(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }), database)
    t.teardown(() => other.close())
    const viaOther = () =>
      other.inject({ method: 'GET', url: '/v1/tickets', headers: { authorization: `Bearer ${secret}` } })
    t.equal((await viaOther()).statusCode, 200, 'the other instance accepts the key (and caches it)')

    const key = ctx.as(secret)
    await key.get('/v1/tickets')
    ctx.queries.length = 0
    await key.get('/v1/tickets')
    t.notOk(
      ctx.queries.some((q) => q.includes('"api_keys"')),
      'a cached key costs no query',
    )

    t.equal((await ws.api.delete(`/v1/api-keys/${created.body.id}`)).status, 204)
    t.equal((await key.get('/v1/tickets')).status, 401, 'the revoking instance refuses it at once')
    const started = Date.now()
    let status = (await viaOther()).statusCode
    while (status !== 401 && Date.now() - started < 2000) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      status = (await viaOther()).statusCode
    }
    t.equal(status, 401, 'the other instance refuses it too')
    t.ok(Date.now() - started < 1000, `within ${Date.now() - started} ms of the revocation`)
  },
)
