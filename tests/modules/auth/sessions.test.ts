import t from 'tap'
import { AGENT_PASSWORD, buildTestApp, ticketBody } from '../../helpers/app.ts'

const ctx = await buildTestApp(t, { LOGIN_FAILURES_PER_ACCOUNT: '3', LOGIN_FAILURES_PER_IP: '1000' })

t.test('a workspace provisioned with an owner signs them in; the token acts as them', async (t) => {
  const slug = `owned-${process.pid}`
  const email = `Owner-${process.pid}@Example.com`
  const created = await ctx.platform.post('/v1/workspaces', {
    slug,
    name: 'Owned',
    owner: { email, name: 'Olga Owner', password: AGENT_PASSWORD },
  })
  t.equal(created.status, 201)
  t.match(created.body.owner, { email, name: 'Olga Owner', role: 'owner', active: true })
  t.match(created.body.contactTokenSecret, { id: String, secret: /^acs_/ })

  const login = await ctx.anonymous.post('/v1/auth/login', {
    email: email.toLowerCase(),
    password: AGENT_PASSWORD,
  })
  t.equal(login.status, 200, 'e-mail matches whatever its case')
  t.match(login.body, { tokenType: 'Bearer', accessToken: /^ey/, expiresIn: 900, refreshToken: /^atr_/ })
  const claims = ctx.app.jwt.decode<{ iat: number; exp: number }>(login.body.accessToken)
  t.equal((claims?.exp ?? 0) - (claims?.iat ?? 0), 900, 'the token lives as long as expiresIn says')
  const me = await ctx.as(login.body.accessToken).get('/v1/me')
  t.equal(me.status, 200)
  t.match(me.body, {
    kind: 'agent',
    workspaceId: created.body.workspace.id,
    agent: { id: created.body.owner.id, role: 'owner', name: 'Olga Owner' },
    contact: null,
    apiKey: null,
  })
  const ticket = await ctx.as(login.body.accessToken).post('/v1/tickets', ticketBody())
  t.equal(ticket.status, 201)
  const note = await ctx
    .as(login.body.accessToken)
    .post(`/v1/tickets/${ticket.body.id}/messages`, { body: 'Checking', visibility: 'internal' })
  t.match(note.body, { authorKind: 'agent', authorId: created.body.owner.id }, 'messages name the agent')
  const events = await ctx.as(login.body.accessToken).get(`/v1/tickets/${ticket.body.id}/events`)
  t.match(events.body.data[0].actor, { kind: 'agent', id: created.body.owner.id }, 'so does the history')
})

t.test('an unknown e-mail and a wrong password get the same answer, and failures are limited', async (t) => {
  const ws = await ctx.createWorkspace()
  const agent = await ctx.agent(ws, 'agent')
  const wrong = await ctx.anonymous.post('/v1/auth/login', {
    email: agent.email,
    password: 'not the password',
  })
  const unknown = await ctx.anonymous.post('/v1/auth/login', {
    email: `nobody-${process.pid}@example.com`,
    password: 'not the password',
  })
  t.equal(wrong.status, 401)
  t.equal(unknown.status, 401)
  t.same(
    { ...wrong.body, instance: null },
    { ...unknown.body, instance: null },
    'same problem, word for word, whether or not the account exists',
  )

  // The account has used one of its three failures; two more lock it, the right password included.
  await ctx.anonymous.post('/v1/auth/login', { email: agent.email, password: 'still wrong' })
  await ctx.anonymous.post('/v1/auth/login', { email: agent.email, password: 'still wrong' })
  const locked = await ctx.anonymous.post('/v1/auth/login', { email: agent.email, password: AGENT_PASSWORD })
  t.equal(locked.status, 429)
  t.match(locked.headers['retry-after'], /^\d+$/)
  t.ok(Number(locked.headers['retry-after']) <= 900)
  t.match(locked.headers['content-type'], /^application\/problem\+json/)

  for (let i = 0; i < 3; i++) {
    await ctx.anonymous.post('/v1/auth/login', { email: `nobody-${process.pid}@example.com`, password: 'x' })
  }
  const lockedUnknown = await ctx.anonymous.post('/v1/auth/login', {
    email: `nobody-${process.pid}@example.com`,
    password: 'x',
  })
  t.equal(lockedUnknown.status, 429, 'an unknown account locks the same way')
})

t.test('parallel guesses are counted before any password is checked', async (t) => {
  const ws = await ctx.createWorkspace()
  const agent = await ctx.agent(ws, 'agent')
  const guesses = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      ctx.anonymous.post('/v1/auth/login', { email: agent.email, password: `guess number ${i}` }),
    ),
  )
  const statuses = guesses.map((g) => g.status)
  t.equal(statuses.filter((s) => s === 401).length, 3, 'exactly the three allowed guesses were checked')
  t.equal(statuses.filter((s) => s === 429).length, 7)
})

t.test('a success clears the account failures; the address limit is separate', async (t) => {
  const strict = await buildTestApp(t, { LOGIN_FAILURES_PER_ACCOUNT: '2', LOGIN_FAILURES_PER_IP: '4' })
  const ws = await strict.createWorkspace()
  const agent = await strict.agent(ws, 'agent')
  await strict.anonymous.post('/v1/auth/login', { email: agent.email, password: 'wrong' })
  t.equal(
    (await strict.anonymous.post('/v1/auth/login', { email: agent.email, password: AGENT_PASSWORD })).status,
    200,
  )
  await strict.anonymous.post('/v1/auth/login', { email: agent.email, password: 'wrong' })
  t.equal(
    (await strict.anonymous.post('/v1/auth/login', { email: agent.email, password: AGENT_PASSWORD })).status,
    200,
    'one failure after a success is not two in a row',
  )
  // Two more failures for other accounts from the same address reach its limit of four.
  await strict.anonymous.post('/v1/auth/login', { email: 'a@example.com', password: 'x' })
  await strict.anonymous.post('/v1/auth/login', { email: 'b@example.com', password: 'x' })
  const fromAddress = await strict.anonymous.post('/v1/auth/login', {
    email: agent.email,
    password: AGENT_PASSWORD,
  })
  t.equal(fromAddress.status, 429, 'the address is limited across accounts')
})

t.test('refresh rotates; replaying a used refresh token revokes the whole session', async (t) => {
  const ws = await ctx.createWorkspace()
  const agent = await ctx.agent(ws, 'agent')
  const first = await ctx.anonymous.post('/v1/auth/refresh', { refreshToken: agent.refreshToken })
  t.equal(first.status, 200)
  t.not(first.body.refreshToken, agent.refreshToken)
  t.equal((await ctx.as(first.body.accessToken).get('/v1/me')).status, 200)
  const second = await ctx.anonymous.post('/v1/auth/refresh', { refreshToken: first.body.refreshToken })
  t.equal(second.status, 200, 'the successor works once')

  const replay = await ctx.anonymous.post('/v1/auth/refresh', { refreshToken: agent.refreshToken })
  t.equal(replay.status, 401, 'a used token is refused')
  t.equal(
    (await ctx.anonymous.post('/v1/auth/refresh', { refreshToken: second.body.refreshToken })).status,
    401,
    'and its newest descendant no longer works',
  )
  t.equal((await ctx.as(second.body.accessToken).get('/v1/me')).status, 401, 'nor do its access tokens')
  t.equal((await ctx.as(agent.accessToken).get('/v1/me')).status, 401)

  const other = await ctx.anonymous.post('/v1/auth/login', { email: agent.email, password: AGENT_PASSWORD })
  t.equal((await ctx.as(other.body.accessToken).get('/v1/me')).status, 200, 'a new sign-in is a new session')
  t.equal((await ctx.anonymous.post('/v1/auth/refresh', { refreshToken: 'atr_nonsense' })).status, 401)
})

t.test('two refreshes racing with one token: one wins, and the session is then revoked', async (t) => {
  const ws = await ctx.createWorkspace()
  const agent = await ctx.agent(ws, 'agent')
  const results = await Promise.all([
    ctx.anonymous.post('/v1/auth/refresh', { refreshToken: agent.refreshToken }),
    ctx.anonymous.post('/v1/auth/refresh', { refreshToken: agent.refreshToken }),
  ])
  t.same(results.map((r) => r.status).sort(), [200, 401])
})

t.test('logout ends the session by access token or by refresh token', async (t) => {
  const ws = await ctx.createWorkspace()
  const agent = await ctx.agent(ws, 'agent')
  t.equal((await agent.api.post('/v1/auth/logout', {})).status, 204)
  t.equal((await agent.api.get('/v1/me')).status, 401, 'the access token stops at once')
  t.equal((await ctx.anonymous.post('/v1/auth/refresh', { refreshToken: agent.refreshToken })).status, 401)

  const again = await ctx.anonymous.post('/v1/auth/login', { email: agent.email, password: AGENT_PASSWORD })
  const out = await ctx.anonymous.post('/v1/auth/logout', { refreshToken: again.body.refreshToken })
  t.equal(out.status, 204)
  t.equal((await ctx.as(again.body.accessToken).get('/v1/me')).status, 401)
  t.equal((await ctx.anonymous.post('/v1/auth/logout', {})).status, 401, 'logout needs one of them')
  t.equal((await ws.api.post('/v1/auth/logout', {})).status, 400, 'an API key has no session to end')
})

t.test('access tokens: expired, forged or malformed ones are refused', async (t) => {
  const ws = await ctx.createWorkspace()
  const agent = await ctx.agent(ws, 'agent')
  const me = await agent.api.get('/v1/me')
  const claims = ctx.app.jwt.decode<Record<string, unknown>>(agent.accessToken)
  t.ok(claims)
  const expired = ctx.app.jwt.sign({ ...claims, iat: 1, exp: Math.floor(Date.now() / 1000) - 5 })
  t.equal((await ctx.as(expired).get('/v1/me')).status, 401, 'expired')
  const forged = ctx.app.jwt.sign(
    { ...claims, exp: undefined },
    { key: 'some-other-key-of-thirty-two-chars!' },
  )
  t.equal((await ctx.as(forged).get('/v1/me')).status, 401, 'signed with another key')
  const [head, , sig] = agent.accessToken.split('.')
  const otherWs = Buffer.from(
    JSON.stringify({
      ...claims,
      ws: me.body.workspaceId.replace(/.$/, (c: string) => (c === '0' ? '1' : '0')),
    }),
  ).toString('base64url')
  t.equal((await ctx.as(`${head}.${otherWs}.${sig}`).get('/v1/me')).status, 401, 'claims edited')
  t.equal((await ctx.as('ey.not.ajwt').get('/v1/me')).status, 401)
  const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${agent.accessToken.split('.')[1]}.`
  t.equal((await ctx.as(none).get('/v1/me')).status, 401, 'alg none')
})

t.test('deactivation and role changes take effect on the next request', async (t) => {
  const ws = await ctx.createWorkspace()
  const agent = await ctx.agent(ws, 'agent')
  t.equal((await agent.api.post('/v1/tickets', ticketBody())).status, 201)

  const viewer = await ws.api.patch(`/v1/agents/${agent.id}`, { role: 'viewer' })
  t.equal(viewer.status, 200)
  t.equal((await agent.api.post('/v1/tickets', ticketBody())).status, 403, 'a viewer reads only')
  t.equal((await agent.api.get('/v1/tickets')).status, 200)

  const off = await ws.api.patch(`/v1/agents/${agent.id}`, { active: false })
  t.match(off.body, { active: false, deactivatedAt: String })
  t.equal((await agent.api.get('/v1/tickets')).status, 401, 'a deactivated agent is refused at once')
  t.equal((await ctx.anonymous.post('/v1/auth/refresh', { refreshToken: agent.refreshToken })).status, 401)
  t.equal(
    (await ctx.anonymous.post('/v1/auth/login', { email: agent.email, password: AGENT_PASSWORD })).status,
    401,
    'and cannot sign in',
  )
  await ws.api.patch(`/v1/agents/${agent.id}`, { active: true })
  t.equal((await agent.api.get('/v1/tickets')).status, 401, 'reactivating does not revive old sessions')
  const back = await ctx.anonymous.post('/v1/auth/login', { email: agent.email, password: AGENT_PASSWORD })
  t.equal(back.status, 200)
})

t.test('an agent of several workspaces names the one to sign in to', async (t) => {
  const a = await ctx.createWorkspace()
  const b = await ctx.createWorkspace()
  const agent = await ctx.agent(a, 'agent')
  const added = await b.api.post('/v1/agents', { email: agent.email, name: 'Same person', role: 'viewer' })
  t.equal(added.status, 201, 'an existing person is added without a password')
  t.equal(added.body.id, agent.id)
  const withPassword = await b.api.post('/v1/agents', {
    email: agent.email.toUpperCase(),
    name: 'x',
    role: 'agent',
    password: 'another password!',
  })
  t.equal(withPassword.status, 409, "no workspace sets another workspace's agent's password")

  const ambiguous = await ctx.anonymous.post('/v1/auth/login', {
    email: agent.email,
    password: AGENT_PASSWORD,
  })
  t.equal(ambiguous.status, 400)
  t.match(ambiguous.body.errors, [{ path: '/workspace' }])
  const intoB = await ctx.anonymous.post('/v1/auth/login', {
    email: agent.email,
    password: AGENT_PASSWORD,
    workspace: b.slug,
  })
  t.equal(intoB.status, 200)
  const me = await ctx.as(intoB.body.accessToken).get('/v1/me')
  t.match(me.body, { workspaceId: b.id, agent: { role: 'viewer' } })
  t.equal((await ctx.as(intoB.body.accessToken).get(`/v1/agents/${agent.id}`)).body.role, 'viewer')
  const byId = await ctx.anonymous.post('/v1/auth/login', {
    email: agent.email,
    password: AGENT_PASSWORD,
    workspace: a.id,
  })
  t.equal(byId.status, 200)
  const elsewhere = await ctx.anonymous.post('/v1/auth/login', {
    email: agent.email,
    password: AGENT_PASSWORD,
    workspace: 'not-mine',
  })
  t.equal(elsewhere.status, 400)
  const renamed = await b.api.patch(`/v1/agents/${agent.id}`, { name: 'Renamed by B' })
  t.equal(renamed.status, 409, 'nor renames a person who also works elsewhere')
  t.equal(
    (await b.api.patch(`/v1/agents/${agent.id}`, { role: 'viewer', departmentIds: [] })).status,
    200,
    'their role here is B’s',
  )
})

t.test('agents: owners alone make owners, and the last owner stays', async (t) => {
  const ws = await ctx.createWorkspace()
  const owner = await ctx.agent(ws, 'owner')
  const admin = await ctx.agent(ws, 'admin')
  const agent = await ctx.agent(ws, 'agent')
  t.equal((await admin.api.patch(`/v1/agents/${agent.id}`, { role: 'owner' })).status, 403)
  t.equal((await admin.api.patch(`/v1/agents/${owner.id}`, { active: false })).status, 403)
  const keyOnly = await ctx.withScopes(ws, ['contacts:write', 'tickets:write'])
  t.equal(
    (await keyOnly.patch(`/v1/agents/${agent.id}`, { role: 'owner' })).status,
    403,
    'nor a key without admin',
  )
  t.equal((await admin.api.patch(`/v1/agents/${agent.id}`, { role: 'admin' })).status, 200)
  t.equal((await agent.api.patch(`/v1/agents/${admin.id}`, { role: 'viewer' })).status, 200, 'now an admin')
  const lastOwner = await owner.api.patch(`/v1/agents/${owner.id}`, { role: 'admin' })
  t.equal(lastOwner.status, 409)
  t.equal((await owner.api.patch(`/v1/agents/${agent.id}`, { role: 'owner' })).status, 200)
  t.equal(
    (await owner.api.patch(`/v1/agents/${owner.id}`, { role: 'admin' })).status,
    200,
    'another owner exists now',
  )
  t.equal((await owner.api.get('/v1/me')).body.agent.role, 'admin')
})

t.test('agents are listed with filters and departments', async (t) => {
  const ws = await ctx.createWorkspace()
  const general = (await ws.api.get('/v1/tickets')).status === 200
  t.ok(general)
  const viewer = await ctx.agent(ws, 'viewer')
  const agent = await ctx.agent(ws, 'agent')
  await ws.api.patch(`/v1/agents/${viewer.id}`, { active: false })
  const all = await agent.api.get('/v1/agents?limit=1')
  t.equal(all.body.data.length, 1)
  const next = await agent.api.get(`/v1/agents?limit=1&cursor=${all.body.nextCursor}`)
  t.equal(next.body.data.length, 1)
  t.not(next.body.data[0].id, all.body.data[0].id)
  const active = await agent.api.get('/v1/agents?active=true')
  t.same(
    active.body.data.map((a: { id: string }) => a.id),
    [agent.id],
  )
  const viewers = await agent.api.get('/v1/agents?role=viewer')
  t.same(
    viewers.body.data.map((a: { id: string }) => a.id),
    [viewer.id],
  )
  t.equal(
    (
      await agent.api.post('/v1/agents', {
        email: 'x@example.com',
        name: 'x',
        role: 'agent',
        password: AGENT_PASSWORD,
      })
    ).status,
    403,
  )
  const badDept = await ws.api.patch(`/v1/agents/${agent.id}`, {
    departmentIds: ['00000000-0000-4000-8000-000000000000'],
  })
  t.equal(badDept.status, 400)
  t.equal((await ws.api.get('/v1/agents/00000000-0000-4000-8000-000000000000')).status, 404)
})

t.test(
  'an Idempotency-Key changes nothing for sign-in: a replayed refresh token still revokes',
  async (t) => {
    const ws = await ctx.createWorkspace()
    const agent = await ctx.agent(ws, 'agent')
    const next = await ctx.anonymous.post('/v1/auth/refresh', { refreshToken: agent.refreshToken })
    t.equal(next.status, 200)
    const replay = await ctx.anonymous.post(
      '/v1/auth/refresh',
      { refreshToken: agent.refreshToken },
      { 'idempotency-key': `replay-${process.pid}` },
    )
    t.equal(replay.status, 401)
    t.equal(
      (await ctx.anonymous.post('/v1/auth/refresh', { refreshToken: next.body.refreshToken })).status,
      401,
      'the session stays revoked',
    )
  },
)

t.test('only owners (or the root key) issue or revoke admin keys, which can make owners', async (t) => {
  const ws = await ctx.createWorkspace()
  const admin = await ctx.agent(ws, 'admin')
  const owner = await ctx.agent(ws, 'owner')
  t.equal((await admin.api.post('/v1/api-keys', { name: 'x', scopes: ['admin'] })).status, 403)
  t.equal((await admin.api.post('/v1/api-keys', { name: 'x', scopes: ['tickets:read'] })).status, 201)
  const rootKeys = await admin.api.get('/v1/api-keys')
  const root = rootKeys.body.data.find((k: { scopes: string[] }) => k.scopes.includes('admin'))
  t.equal(
    (await admin.api.delete(`/v1/api-keys/${root.id}`)).status,
    403,
    "an admin cannot revoke the owner's key",
  )
  const minted = await owner.api.post('/v1/api-keys', { name: 'y', scopes: ['admin'] })
  t.equal(minted.status, 201)
  t.equal((await owner.api.delete(`/v1/api-keys/${minted.body.id}`)).status, 204)
})
