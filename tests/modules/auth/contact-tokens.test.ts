import { createHmac } from 'node:crypto'
import { eq } from 'drizzle-orm'
import t from 'tap'
import { contactTokenSecrets } from '../../../src/db/schema/index.ts'
import { buildTestApp, signHs256, ticketBody, type Workspace } from '../../helpers/app.ts'

const ctx = await buildTestApp(t)
const now = () => Math.floor(Date.now() / 1000)

/** An HS512 JWT written by hand, as an integrator's library configured for HS512 would write it. */
function signHs512(header: Record<string, unknown>, claims: Record<string, unknown>, key: string) {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const input = `${part(header)}.${part(claims)}`
  return `${input}.${createHmac('sha512', key).update(input).digest('base64url')}`
}

/** The header and claims of a JWT, read without verifying it. */
function decode(token: string) {
  const [header, claims] = token
    .split('.')
    .slice(0, 2)
    .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()))
  return { header, claims }
}

const me = (token: string) => ctx.as(token).get('/v1/me')

/** A token for this secret (not necessarily the workspace's first one). */
const tokenWith = (ws: Workspace, secret: { id: string; secret: string }, claims: Record<string, unknown>) =>
  ctx.contactToken(ws, claims, { kid: secret.id, key: secret.secret })

t.test('a token naming an externalId creates the contact on first use and finds it after', async (t) => {
  const ws = await ctx.createWorkspace()
  const claims = { sub: 'shop-user-17', email: 'lucia@example.com', name: 'Lucía' }
  const first = await me(ctx.contactToken(ws, claims))
  t.equal(first.status, 200)
  t.match(first.body, {
    kind: 'contact',
    workspaceId: ws.id,
    agent: null,
    apiKey: null,
    contact: { id: String, externalId: 'shop-user-17', email: 'lucia@example.com', name: 'Lucía' },
  })
  const stored = await ws.api.get(`/v1/contacts/${first.body.contact.id}`)
  t.equal(stored.status, 200, 'the contact is a real row the staff can see')
  t.equal(stored.body.externalId, 'shop-user-17')

  const again = await me(ctx.contactToken(ws, claims))
  t.equal(again.status, 200)
  t.equal(again.body.contact.id, first.body.contact.id, 'the same contact on a later use')
  const bySubOnly = await me(ctx.contactToken(ws, { sub: 'shop-user-17' }))
  t.equal(bySubOnly.body.contact.id, first.body.contact.id, 'sub alone finds them')
  const list = await ws.api.get('/v1/contacts?externalId=shop-user-17')
  t.equal(list.body.data.length, 1, 'no twin was created')
})

t.test('a token whose sub is an e-mail address finds or creates the contact by e-mail', async (t) => {
  const ws = await ctx.createWorkspace()
  const created = await me(ctx.contactToken(ws, { sub: 'pedro@example.com', name: 'Pedro' }))
  t.equal(created.status, 200)
  t.match(created.body.contact, { email: 'pedro@example.com', name: 'Pedro', externalId: null })
  const again = await me(ctx.contactToken(ws, { sub: 'pedro@example.com' }))
  t.equal(again.body.contact.id, created.body.contact.id)

  const existing = await ws.api.post('/v1/contacts', { email: 'marta@example.com', name: 'Marta' })
  t.equal(existing.status, 201)
  const found = await me(ctx.contactToken(ws, { sub: 'marta@example.com', email: 'marta@example.com' }))
  t.equal(found.status, 200)
  t.equal(found.body.contact.id, existing.body.id, 'an existing contact is found by e-mail')
  t.equal(found.body.contact.externalId, null, 'and the e-mail is not taken for an externalId')
  const otherCase = await me(ctx.contactToken(ws, { sub: 'Marta@Example.com' }))
  t.equal(otherCase.body.contact?.id, existing.body.id, 'e-mail addresses match whatever their case')
})

t.test('a contact known only by e-mail is linked to the externalId a token names', async (t) => {
  const ws = await ctx.createWorkspace()
  const existing = await ws.api.post('/v1/contacts', { email: 'rosa@example.com', name: 'Rosa' })
  t.equal(existing.status, 201)
  t.equal(existing.body.externalId, null)
  const linked = await me(ctx.contactToken(ws, { sub: 'crm-rosa', email: 'rosa@example.com' }))
  t.equal(linked.status, 200)
  t.equal(linked.body.contact.id, existing.body.id, 'no second contact')
  t.equal(linked.body.contact.externalId, 'crm-rosa')
  t.equal((await ws.api.get(`/v1/contacts/${existing.body.id}`)).body.externalId, 'crm-rosa', 'stored')
  const bySub = await me(ctx.contactToken(ws, { sub: 'crm-rosa' }))
  t.equal(bySub.body.contact.id, existing.body.id)

  const taken = await ws.api.post('/v1/contacts', { email: 'ines@example.com', externalId: 'crm-ines' })
  t.equal(taken.status, 201)
  const conflict = await me(ctx.contactToken(ws, { sub: 'crm-other', email: 'ines@example.com' }))
  t.equal(conflict.status, 401, "an e-mail that belongs to another externalId's contact is refused")
  t.equal((await ws.api.get(`/v1/contacts/${taken.body.id}`)).body.externalId, 'crm-ines', 'and not relinked')
})

t.test('tokens that are not valid contact tokens are refused with 401', async (t) => {
  const ws = await ctx.createWorkspace()
  const other = await ctx.createWorkspace()
  const { id: kid, secret } = ws.contactTokenSecret
  const sub = { sub: 'refused-1' }
  const valid = ctx.contactToken(ws, sub)
  t.equal((await me(valid)).status, 200, 'the well-formed token works, so the refusals below are the point')

  const refused = async (token: string, why: string) => {
    const res = await me(token)
    t.equal(res.status, 401, why)
    t.match(res.headers['content-type'], /^application\/problem\+json/, `${why}: a problem document`)
  }
  await refused(ctx.contactToken(ws, sub, { key: 'acs_some-other-key-entirely-0123456789' }), 'wrong key')
  await refused(ctx.contactToken(ws, sub, { kid: '00000000-0000-4000-8000-000000000000' }), 'unknown kid')
  await refused(ctx.contactToken(ws, sub, { kid: 'not-a-uuid' }), 'kid that is not an id')
  await refused(
    signHs256({ alg: 'HS256', typ: 'JWT', kid: 17 }, { ...sub, exp: now() + 60 }, secret),
    'kid that is not a string',
  )
  await refused(
    ctx.contactToken(ws, sub, { kid: other.contactTokenSecret.id }),
    "another workspace's kid with this workspace's key",
  )
  await refused(
    ctx.contactToken(ws, {
      ...sub,
      cid: (await me(ctx.contactToken(other, { sub: 'theirs' }))).body.contact.id,
    }),
    "this workspace's key naming another workspace's contact by cid",
  )
  await refused(ctx.contactToken(ws, { ...sub, exp: undefined }), 'no exp')
  await refused(ctx.contactToken(ws, { ...sub, exp: String(now() + 60) }), 'exp that is not a number')
  await refused(ctx.contactToken(ws, { ...sub, exp: now() + 86_400 + 600 }), 'exp more than a day ahead')
  await refused(ctx.contactToken(ws, { ...sub, exp: now() - 10 }), 'exp in the past')
  await refused(
    ctx.contactToken(ws, { ...sub, iat: now() - 3600, exp: now() + 86_400 - 120 }),
    'iat to exp spans more than a day',
  )
  await refused(ctx.contactToken(ws, { ...sub, nbf: now() + 3600 }), 'not valid before an hour from now')

  const [head, body, signature] = valid.split('.')
  const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid })).toString('base64url')
  await refused(`${none}.${body}.`, 'alg none, no signature')
  await refused(`${none}.${body}.${signature}`, 'alg none with the HS256 signature left on')
  await refused(
    `${head}.${Buffer.from('{"sub":"someone-else"}').toString('base64url')}.${signature}`,
    'claims edited',
  )
  await refused(
    signHs512({ alg: 'HS512', typ: 'JWT', kid }, { ...sub, exp: now() + 3600 }, secret),
    'HS512 with the right key',
  )
  await refused('garbage', 'garbage')
  await refused('eyJhbGciOi.not-json.at-all', 'three parts, none of them JSON')
  await refused(`${head}.${body}`, 'two parts')

  // Limits that are not refusals: a token living just under a day is fine, and so is one without sub
  // (it names no contact, so it is refused: there is nobody to speak for).
  t.equal((await me(ctx.contactToken(ws, { ...sub, exp: now() + 86_400 - 5 }))).status, 200, 'a day is fine')
  t.equal(
    (await me(ctx.contactToken(ws, { ...sub, iat: now(), exp: now() + 86_400 - 5 }))).status,
    200,
    'iat to exp of just under a day is fine',
  )
  await refused(ctx.contactToken(ws, {}), 'no sub and no cid: nobody to speak for')
})

t.test('POST /v1/contacts/{id}/token mints a token for the contact', async (t) => {
  const ws = await ctx.createWorkspace()
  const contact = await ws.api.post('/v1/contacts', { email: 'mint@example.com', name: 'Minted' })
  t.equal(contact.status, 201)

  const before = Date.now()
  const minted = await ws.api.post(`/v1/contacts/${contact.body.id}/token`, { expiresIn: 600 })
  t.equal(minted.status, 201)
  t.same(Object.keys(minted.body).sort(), ['expiresAt', 'token'])
  const expiresAt = Date.parse(minted.body.expiresAt)
  t.ok(expiresAt >= before + 599_000 && expiresAt <= Date.now() + 601_000, 'expiresAt is expiresIn from now')
  const { header, claims } = decode(minted.body.token)
  t.match(
    header,
    { alg: 'HS256', kid: ws.contactTokenSecret.id },
    "signed with the workspace's current secret",
  )
  t.ok(Math.abs(claims.exp * 1000 - expiresAt) < 2000, 'the exp claim says what expiresAt says')
  const who = await me(minted.body.token)
  t.equal(who.status, 200, 'the minted token works')
  t.match(who.body, { kind: 'contact', contact: { id: contact.body.id, email: 'mint@example.com' } })

  const byDefault = await ws.api.post(`/v1/contacts/${contact.body.id}/token`)
  t.equal(byDefault.status, 201)
  const defaultLife = Date.parse(byDefault.body.expiresAt) - Date.now()
  t.ok(defaultLife > 3590_000 && defaultLife <= 3600_000, 'an hour unless told')
  const day = await ws.api.post(`/v1/contacts/${contact.body.id}/token`, { expiresIn: 86_400 })
  t.equal(day.status, 201)
  t.equal((await me(day.body.token)).status, 200, 'the longest lifetime still verifies')

  const tooLong = await ws.api.post(`/v1/contacts/${contact.body.id}/token`, { expiresIn: 86_401 })
  t.equal(tooLong.status, 400)
  const unknown = await ws.api.post('/v1/contacts/00000000-0000-4000-8000-000000000000/token', {})
  t.equal(unknown.status, 404)
  const foreign = await ctx.createWorkspace()
  t.equal(
    (await foreign.api.post(`/v1/contacts/${contact.body.id}/token`, {})).status,
    404,
    "another workspace's contact is unknown here",
  )
  const reader = await ctx.withScopes(ws, ['tickets:read'])
  t.equal((await reader.post(`/v1/contacts/${contact.body.id}/token`, {})).status, 403, 'tickets:read key')
  const agent = await ctx.agent(ws, 'agent')
  t.equal((await agent.api.post(`/v1/contacts/${contact.body.id}/token`, {})).status, 403, 'a plain agent')
  // Signed by hand, so this holds whatever becomes of the minted token above.
  const contactToken = ctx.contactToken(ws, { sub: 'mint@example.com' })
  t.equal((await me(contactToken)).body.contact?.id, contact.body.id)
  const asContact = await ctx.as(contactToken).post(`/v1/contacts/${contact.body.id}/token`, {})
  t.equal(asContact.status, 403, 'a contact cannot mint tokens, not even for themself')
})

t.test(
  'rotation: the previous secret verifies during its grace, then a zero grace ends it at once',
  async (t) => {
    const ws = await ctx.createWorkspace()
    const first = ws.contactTokenSecret
    const oldToken = tokenWith(ws, first, { sub: 'rotating' })
    const contactId = (await me(oldToken)).body.contact.id

    const rotated = await ws.api.post('/v1/workspace/contact-token-secrets', { graceMinutes: 60 })
    t.equal(rotated.status, 201)
    t.match(rotated.body, { id: String, secret: /^acs_/, createdAt: String, previous: { id: first.id } })
    t.not(rotated.body.id, first.id)
    t.not(rotated.body.secret, first.secret)
    const graceEnds = Date.parse(rotated.body.previous.expiresAt) - Date.now()
    t.ok(graceEnds > 59 * 60_000 && graceEnds <= 60 * 60_000 + 1000, 'the previous secret ends in 60 minutes')
    const second = { id: rotated.body.id as string, secret: rotated.body.secret as string }

    const old = await me(oldToken)
    t.equal(old.status, 200, 'a token signed with the previous secret still works during the grace')
    t.equal(old.body.contact.id, contactId)
    const fresh = await me(tokenWith(ws, second, { sub: 'rotating' }))
    t.equal(fresh.status, 200, 'the new secret works')
    t.equal(fresh.body.contact.id, contactId, 'and speaks for the same contact')
    t.equal(
      (await me(tokenWith(ws, { id: second.id, secret: first.secret }, { sub: 'rotating' }))).status,
      401,
    )

    const listed = await ws.api.get('/v1/workspace/contact-token-secrets')
    t.equal(listed.status, 200)
    t.same(
      listed.body.data.map((s: { id: string }) => s.id),
      [second.id, first.id],
      'both, newest first',
    )
    t.equal(listed.body.data[0].expiresAt, null, 'the new one is current')
    t.equal(listed.body.data[1].expiresAt, rotated.body.previous.expiresAt)
    t.notOk(listed.text.includes(first.secret), 'the old secret value is not listed')
    t.notOk(listed.text.includes(second.secret), 'nor the new one')
    t.notOk(/"secret"/.test(listed.text), 'no secret field at all')
    const minted = await ws.api.post(`/v1/contacts/${contactId}/token`, {})
    t.equal(decode(minted.body.token).header.kid, second.id, 'minting uses the new secret')
    t.equal((await me(minted.body.token)).status, 200, 'and its token works')

    const agent = await ctx.agent(ws, 'agent')
    t.equal((await agent.api.get('/v1/workspace/contact-token-secrets')).status, 403, 'admins only')
    t.equal((await agent.api.post('/v1/workspace/contact-token-secrets', {})).status, 403)
    t.equal((await ctx.as(oldToken).get('/v1/workspace/contact-token-secrets')).status, 403, 'not contacts')

    const again = await ws.api.post('/v1/workspace/contact-token-secrets', { graceMinutes: 0 })
    t.equal(again.status, 201)
    t.equal(again.body.previous.id, second.id)
    const third = { id: again.body.id as string, secret: again.body.secret as string }
    t.equal((await me(tokenWith(ws, third, { sub: 'rotating' }))).status, 200, 'the newest secret works')
    t.equal(
      (await me(tokenWith(ws, second, { sub: 'rotating' }))).status,
      401,
      'the secret just replaced stops at once',
    )
    t.equal((await me(minted.body.token)).status, 401, 'so do tokens the API minted with it')

    // The first secret was in its grace period and verified a request above (so the service has it
    // cached); the rotation ended its grace in the table too, and it must stop at once as well.
    const [row] = await ctx.db.database.db
      .select({ expiresAt: contactTokenSecrets.expiresAt })
      .from(contactTokenSecrets)
      .where(eq(contactTokenSecrets.id, first.id))
    const ended = row?.expiresAt != null && row.expiresAt.getTime() <= Date.now()
    t.equal(ended, true, "the table ends the older secret's grace")
    t.equal(
      (await me(oldToken)).status,
      401,
      'a token signed with a secret still in its grace when the zero-grace rotation came stops at once',
    )

    const after = await ws.api.get('/v1/workspace/contact-token-secrets')
    t.same(
      after.body.data.map((s: { id: string }) => s.id),
      [third.id],
      'only the current secret is left',
    )
  },
)

t.test('a first rotation with no grace ends the original secret at once', async (t) => {
  const ws = await ctx.createWorkspace()
  const oldToken = ctx.contactToken(ws, { sub: 'no-grace' })
  t.equal((await me(oldToken)).status, 200, 'verified (and cached) before the rotation')
  const rotated = await ws.api.post('/v1/workspace/contact-token-secrets', { graceMinutes: 0 })
  t.equal(rotated.status, 201)
  t.equal(rotated.body.previous.id, ws.contactTokenSecret.id)
  t.equal((await me(oldToken)).status, 401)
  t.equal((await me(tokenWith(ws, rotated.body, { sub: 'no-grace' }))).status, 200)
  const defaultGrace = await ws.api.post('/v1/workspace/contact-token-secrets')
  t.equal(defaultGrace.status, 201)
  const graceEnds = Date.parse(defaultGrace.body.previous.expiresAt) - Date.now()
  t.ok(graceEnds > 1439 * 60_000 && graceEnds <= 1440 * 60_000 + 1000, 'a day of grace unless told')
  t.equal((await ws.api.post('/v1/workspace/contact-token-secrets', { graceMinutes: -1 })).status, 400)
})

t.test('a blocked contact reads but does not write', async (t) => {
  const ws = await ctx.createWorkspace()
  const token = ctx.contactToken(ws, { sub: 'blocked-1', email: 'blocked@example.com' })
  const contactId = (await me(token)).body.contact.id
  const own = await ctx.as(token).post('/v1/tickets', ticketBody({ requester: undefined }))
  t.equal(own.status, 201, 'before the block they may write')

  const blocked = await ws.api.patch(`/v1/contacts/${contactId}`, { blocked: true })
  t.equal(blocked.status, 200)
  t.equal(blocked.body.blocked, true)
  const as = ctx.as(token)
  const list = await as.get('/v1/tickets')
  t.equal(list.status, 200, 'they still read')
  t.same(
    list.body.data.map((x: { id: string }) => x.id),
    [own.body.id],
  )
  t.equal((await as.get(`/v1/tickets/${own.body.id}`)).status, 200)
  t.equal((await me(token)).body.contact.blocked, true)
  const create = await as.post('/v1/tickets', ticketBody({ requester: undefined }))
  t.equal(create.status, 403, 'no new tickets')
  t.match(create.body.detail, /blocked/)
  t.equal(
    (await as.post(`/v1/tickets/${own.body.id}/messages`, { body: 'hello?' })).status,
    403,
    'no replies',
  )
  t.equal((await as.patch(`/v1/tickets/${own.body.id}`, { status: 'solved' })).status, 403, 'no solving')
  const messages = await ws.api.get(`/v1/tickets/${own.body.id}/messages`)
  t.equal(messages.body.data.length, 1, 'nothing was written')

  await ws.api.patch(`/v1/contacts/${contactId}`, { blocked: false })
  t.equal((await as.post(`/v1/tickets/${own.body.id}/messages`, { body: 'back' })).status, 201, 'unblocked')
})
