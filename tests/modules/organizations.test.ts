import t from 'tap'
import { buildTestApp, type Client, ticketBody } from '../helpers/app.ts'

const ctx = await buildTestApp(t)

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000'

async function organization(api: Client, body: Record<string, unknown>) {
  const res = await api.post('/v1/organizations', body)
  if (res.status !== 201) throw new Error(`organization creation failed: ${res.status} ${res.text}`)
  return res.body as { id: string; name: string; domains: string[]; externalId: string | null }
}

const ids = (res: { body: { data: { id: string }[] } }) => res.body.data.map((d) => d.id)

t.test('POST creates an organization; GET, PATCH and DELETE act on it', async (t) => {
  const ws = await ctx.createWorkspace()
  const created = await ws.api.post('/v1/organizations', {
    name: 'Acme Corp',
    externalId: 'crm-1',
    domains: ['acme.test'],
    metadata: { tier: 'enterprise' },
  })
  t.equal(created.status, 201)
  t.equal(created.headers.location, `/v1/organizations/${created.body.id}`)
  t.match(created.body, {
    id: String,
    name: 'Acme Corp',
    externalId: 'crm-1',
    domains: ['acme.test'],
    metadata: { tier: 'enterprise' },
    createdAt: String,
    updatedAt: String,
  })
  t.notOk('workspaceId' in created.body)

  const read = await ws.api.get(`/v1/organizations/${created.body.id}`)
  t.equal(read.status, 200)
  t.same(read.body, created.body)

  const patched = await ws.api.patch(`/v1/organizations/${created.body.id}`, {
    name: 'Acme Corporation',
    externalId: null,
    metadata: { tier: 'smb' },
  })
  t.equal(patched.status, 200)
  t.match(patched.body, {
    id: created.body.id,
    name: 'Acme Corporation',
    externalId: null,
    domains: ['acme.test'],
    metadata: { tier: 'smb' },
  })
  t.same((await ws.api.get(`/v1/organizations/${created.body.id}`)).body, patched.body)
  t.equal((await ws.api.patch(`/v1/organizations/${created.body.id}`, {})).status, 400)
  t.equal((await ws.api.patch(`/v1/organizations/${UNKNOWN_ID}`, { name: 'x' })).status, 404)
  t.equal((await ws.api.post('/v1/organizations', {})).status, 400, 'a name is required')
  t.equal((await ws.api.post('/v1/organizations', { name: 'x', domains: ['not a domain'] })).status, 400)

  const other = await ctx.createWorkspace()
  t.equal((await other.api.get(`/v1/organizations/${created.body.id}`)).status, 404)
  t.equal((await other.api.delete(`/v1/organizations/${created.body.id}`)).status, 404)

  const deleted = await ws.api.delete(`/v1/organizations/${created.body.id}`)
  t.equal(deleted.status, 204)
  t.equal(deleted.text, '')
  t.equal((await ws.api.get(`/v1/organizations/${created.body.id}`)).status, 404)
  t.equal((await ws.api.delete(`/v1/organizations/${created.body.id}`)).status, 404)
})

t.test('externalId is unique per workspace', async (t) => {
  const ws = await ctx.createWorkspace()
  const first = await organization(ws.api, { name: 'First', externalId: 'crm-7' })
  const clash = await ws.api.post('/v1/organizations', { name: 'Second', externalId: 'crm-7' })
  t.equal(clash.status, 409)
  t.equal(clash.body.code, 'conflict')
  t.match(clash.body.errors, [{ path: '/externalId' }])

  const second = await organization(ws.api, { name: 'Second', externalId: 'crm-8' })
  const patched = await ws.api.patch(`/v1/organizations/${second.id}`, { externalId: 'crm-7' })
  t.equal(patched.status, 409)
  t.match(patched.body.errors, [{ path: '/externalId' }])
  t.equal((await ws.api.get(`/v1/organizations/${second.id}`)).body.externalId, 'crm-8')
  t.equal((await ws.api.get(`/v1/organizations/${first.id}`)).body.externalId, 'crm-7')

  const other = await ctx.createWorkspace()
  t.equal((await other.api.post('/v1/organizations', { name: 'Same', externalId: 'crm-7' })).status, 201)
})

t.test('domains are normalized, and one domain belongs to one organization', async (t) => {
  const ws = await ctx.createWorkspace()
  const acme = await ws.api.post('/v1/organizations', {
    name: 'Acme',
    domains: ['@Example.COM', 'example.com.', 'Acme.test'],
  })
  t.equal(acme.status, 201)
  t.same(acme.body.domains, ['acme.test', 'example.com'], 'lower case, no @ or trailing dot, once each')

  const clash = await ws.api.post('/v1/organizations', { name: 'Copycat', domains: ['EXAMPLE.com'] })
  t.equal(clash.status, 409)
  t.equal(clash.body.code, 'conflict')
  t.match(clash.body.errors, [{ path: '/domains', message: /example\.com/ }])
  t.equal((await ws.api.get('/v1/organizations')).body.data.length, 1, 'nothing was created')

  const globex = await organization(ws.api, { name: 'Globex', domains: ['globex.test'] })
  const patchClash = await ws.api.patch(`/v1/organizations/${globex.id}`, {
    domains: ['globex.test', '@acme.TEST'],
  })
  t.equal(patchClash.status, 409, 'a PATCH cannot take a domain either')
  t.match(patchClash.body.errors, [{ path: '/domains' }])
  t.same((await ws.api.get(`/v1/organizations/${globex.id}`)).body.domains, ['globex.test'])

  const keep = await ws.api.patch(`/v1/organizations/${acme.body.id}`, {
    domains: ['EXAMPLE.COM', 'acme.test'],
  })
  t.equal(keep.status, 200, 'an organization keeps its own domains')
  t.same(keep.body.domains, ['acme.test', 'example.com'])

  const release = await ws.api.patch(`/v1/organizations/${acme.body.id}`, { domains: ['example.com'] })
  t.same(release.body.domains, ['example.com'])
  const taken = await ws.api.patch(`/v1/organizations/${globex.id}`, {
    domains: ['globex.test', 'acme.test'],
  })
  t.equal(taken.status, 200, 'a released domain can be claimed')
  t.same(taken.body.domains, ['acme.test', 'globex.test'])

  const racers = await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      ws.api.post('/v1/organizations', { name: `Racer ${i}`, domains: [i % 2 ? 'race.test' : '@RACE.test'] }),
    ),
  )
  t.same(
    racers.map((r) => r.status).sort(),
    [201, 409, 409, 409, 409, 409],
    'concurrent claims of one domain: one wins',
  )
  t.equal((await ws.api.get('/v1/organizations?domain=race.test')).body.data.length, 1)

  const other = await ctx.createWorkspace()
  t.equal(
    (await other.api.post('/v1/organizations', { name: 'Elsewhere', domains: ['example.com'] })).status,
    201,
    'domains are claimed per workspace',
  )
})

t.test('a new contact whose e-mail domain is claimed joins the organization as a member', async (t) => {
  const ws = await ctx.createWorkspace()
  const earlier = await ws.api.post('/v1/contacts', { email: 'before@acme.test' })
  const acme = await organization(ws.api, { name: 'Acme', domains: ['Acme.Test'] })

  const viaContacts = await ws.api.post('/v1/contacts', { email: 'Pat@ACME.test', name: 'Pat' })
  t.equal(viaContacts.status, 201)
  t.match(viaContacts.body, { organizationId: acme.id, organizationRole: 'member' })

  const elsewhere = await ws.api.post('/v1/contacts', { email: 'sam@other.test' })
  t.match(elsewhere.body, { organizationId: null, organizationRole: null }, 'other domains join nothing')
  const subdomain = await ws.api.post('/v1/contacts', { email: 'kim@mail.acme.test' })
  t.match(subdomain.body, { organizationId: null }, 'a subdomain is another domain')

  const viaPut = await ws.api.put('/v1/contacts/by-external-id/shop-9', { email: 'lee@acme.test' })
  t.equal(viaPut.status, 201)
  t.match(viaPut.body, { organizationId: acme.id, organizationRole: 'member' }, 'PUT by externalId too')

  const ticket = await ws.api.post(
    '/v1/tickets',
    ticketBody({ requester: { email: 'New.Person@Acme.TEST', name: 'New Person' } }),
  )
  t.equal(ticket.status, 201)
  t.equal(ticket.body.organizationId, acme.id, 'the ticket belongs to the organization')
  const requester = await ws.api.get(`/v1/contacts/${ticket.body.requester.id}`)
  t.match(requester.body, {
    email: 'New.Person@Acme.TEST',
    organizationId: acme.id,
    organizationRole: 'member',
  })
  t.equal(
    (await ws.api.get(`/v1/tickets/${ticket.body.id}`)).body.organizationId,
    acme.id,
    'and reads back so',
  )

  const byExternal = await ws.api.post(
    '/v1/tickets',
    ticketBody({ requester: { externalId: 'shop-10', email: 'ext@acme.test' } }),
  )
  t.equal(byExternal.body.organizationId, acme.id)
  t.match((await ws.api.get(`/v1/contacts/${byExternal.body.requester.id}`)).body, {
    externalId: 'shop-10',
    organizationId: acme.id,
    organizationRole: 'member',
  })

  const outsider = await ws.api.post('/v1/tickets', ticketBody({ requester: { email: 'x@nowhere.test' } }))
  t.equal(outsider.body.organizationId, null)

  const old = await ws.api.post('/v1/tickets', ticketBody({ requester: { email: 'before@acme.test' } }))
  t.equal(old.body.requester.id, earlier.body.id)
  t.equal(old.body.organizationId, null, 'a contact known before the domain was claimed stays outside')
  t.equal((await ws.api.get(`/v1/contacts/${earlier.body.id}`)).body.organizationId, null)

  const chosen = await organization(ws.api, { name: 'Chosen' })
  const explicit = await ws.api.post('/v1/contacts', {
    email: 'named@acme.test',
    organizationId: chosen.id,
    organizationRole: 'authorized',
  })
  t.match(
    explicit.body,
    { organizationId: chosen.id, organizationRole: 'authorized' },
    'a named organization wins over the domain',
  )
})

t.test('members are added, listed, given roles and removed', async (t) => {
  const ws = await ctx.createWorkspace()
  const acme = await organization(ws.api, { name: 'Acme' })
  const globex = await organization(ws.api, { name: 'Globex' })
  const ana = (await ws.api.post('/v1/contacts', { email: 'ana@free.test' })).body
  const ben = (await ws.api.post('/v1/contacts', { email: 'ben@free.test' })).body
  const cy = (await ws.api.post('/v1/contacts', { email: 'cy@free.test' })).body

  const authorized = await ws.api.put(`/v1/organizations/${acme.id}/members/${ana.id}`, {
    role: 'authorized',
  })
  t.equal(authorized.status, 200)
  t.match(authorized.body, { id: ana.id, organizationId: acme.id, organizationRole: 'authorized' })
  const member = await ws.api.put(`/v1/organizations/${acme.id}/members/${ben.id}`, {})
  t.equal(member.status, 200)
  t.match(
    member.body,
    { id: ben.id, organizationId: acme.id, organizationRole: 'member' },
    'member by default',
  )
  await ws.api.put(`/v1/organizations/${globex.id}/members/${cy.id}`, {})

  const members = await ws.api.get(`/v1/organizations/${acme.id}/members`)
  t.equal(members.status, 200)
  t.same(ids(members).sort(), [ana.id, ben.id].sort(), "the organization's contacts, no one else")
  t.match(
    members.body.data.find((c: { id: string }) => c.id === ana.id),
    { organizationRole: 'authorized' },
  )
  const first = await ws.api.get(`/v1/organizations/${acme.id}/members?limit=1`)
  t.equal(first.body.data.length, 1)
  const second = await ws.api.get(
    `/v1/organizations/${acme.id}/members?limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`,
  )
  t.same([...ids(first), ...ids(second)].sort(), [ana.id, ben.id].sort(), 'members page with cursors')
  t.equal(second.body.nextCursor, null)

  const demoted = await ws.api.put(`/v1/organizations/${acme.id}/members/${ana.id}`, { role: 'member' })
  t.match(demoted.body, { organizationId: acme.id, organizationRole: 'member' }, 'the role changes')

  const moved = await ws.api.put(`/v1/organizations/${globex.id}/members/${ben.id}`, { role: 'authorized' })
  t.match(moved.body, { organizationId: globex.id, organizationRole: 'authorized' }, 'adding moves a contact')
  t.same(ids(await ws.api.get(`/v1/organizations/${acme.id}/members`)), [ana.id])

  const removed = await ws.api.delete(`/v1/organizations/${acme.id}/members/${ana.id}`)
  t.equal(removed.status, 204)
  t.equal(removed.text, '')
  t.match((await ws.api.get(`/v1/contacts/${ana.id}`)).body, { organizationId: null, organizationRole: null })
  t.same((await ws.api.get(`/v1/organizations/${acme.id}/members`)).body, { data: [], nextCursor: null })

  t.equal(
    (await ws.api.delete(`/v1/organizations/${acme.id}/members/${ana.id}`)).status,
    404,
    'removing a non-member is 404',
  )
  t.equal((await ws.api.delete(`/v1/organizations/${acme.id}/members/${cy.id}`)).status, 404)
  t.equal(
    (await ws.api.get(`/v1/contacts/${cy.id}`)).body.organizationId,
    globex.id,
    "another organization's member is untouched",
  )
  t.equal((await ws.api.put(`/v1/organizations/${acme.id}/members/${UNKNOWN_ID}`, {})).status, 404)
  t.equal((await ws.api.put(`/v1/organizations/${UNKNOWN_ID}/members/${ana.id}`, {})).status, 404)
  t.equal((await ws.api.get(`/v1/organizations/${UNKNOWN_ID}/members`)).status, 404)
  t.equal((await ws.api.put(`/v1/organizations/${acme.id}/members/${ana.id}`, { role: 'owner' })).status, 400)

  const other = await ctx.createWorkspace()
  const stranger = (await other.api.post('/v1/contacts', { email: 'stranger@free.test' })).body
  t.equal(
    (await ws.api.put(`/v1/organizations/${acme.id}/members/${stranger.id}`, {})).status,
    404,
    "another workspace's contact cannot join",
  )
})

t.test("GET /v1/organizations/{id}/tickets lists that organization's tickets only", async (t) => {
  const ws = await ctx.createWorkspace()
  const acme = await organization(ws.api, { name: 'Acme', domains: ['acme.test'] })
  const globex = await organization(ws.api, { name: 'Globex', domains: ['globex.test'] })
  const acmeTickets: string[] = []
  for (const email of ['a@acme.test', 'b@acme.test', 'a@acme.test']) {
    acmeTickets.push((await ws.api.post('/v1/tickets', ticketBody({ requester: { email } }))).body.id)
  }
  await ws.api.post('/v1/tickets', ticketBody({ requester: { email: 'g@globex.test' } }))
  await ws.api.post('/v1/tickets', ticketBody({ requester: { email: 'solo@nowhere.test' } }))

  const list = await ws.api.get(`/v1/organizations/${acme.id}/tickets?sort=number`)
  t.equal(list.status, 200)
  t.same(ids(list), acmeTickets)
  t.ok(list.body.data.every((d: { organizationId: string }) => d.organizationId === acme.id))
  const globexList = await ws.api.get(`/v1/organizations/${globex.id}/tickets`)
  t.equal(globexList.body.data.length, 1)
  const paged = await ws.api.get(`/v1/organizations/${acme.id}/tickets?sort=number&limit=2`)
  t.same(ids(paged), acmeTickets.slice(0, 2))
  const rest = await ws.api.get(
    `/v1/organizations/${acme.id}/tickets?sort=number&limit=2&cursor=${encodeURIComponent(paged.body.nextCursor)}`,
  )
  t.same(ids(rest), acmeTickets.slice(2))

  const empty = await organization(ws.api, { name: 'Empty' })
  t.same((await ws.api.get(`/v1/organizations/${empty.id}/tickets`)).body, { data: [], nextCursor: null })
  t.equal((await ws.api.get(`/v1/organizations/${UNKNOWN_ID}/tickets`)).status, 404)
})

t.test('DELETE refuses an organization with tickets; without, its contacts remain', async (t) => {
  const ws = await ctx.createWorkspace()
  const busy = await organization(ws.api, { name: 'Busy', domains: ['busy.test'] })
  const ticket = await ws.api.post('/v1/tickets', ticketBody({ requester: { email: 'x@busy.test' } }))
  t.equal(ticket.body.organizationId, busy.id)
  const refused = await ws.api.delete(`/v1/organizations/${busy.id}`)
  t.equal(refused.status, 409)
  t.equal(refused.body.code, 'conflict')
  t.equal((await ws.api.get(`/v1/organizations/${busy.id}`)).status, 200)
  await ws.api.delete(`/v1/organizations/${busy.id}/members/${ticket.body.requester.id}`)
  t.equal(
    (await ws.api.delete(`/v1/organizations/${busy.id}`)).status,
    409,
    'its tickets keep it even once the requester left',
  )

  const quiet = await organization(ws.api, { name: 'Quiet', domains: ['quiet.test'] })
  const a = (await ws.api.post('/v1/contacts', { email: 'a@quiet.test' })).body
  const b = (await ws.api.post('/v1/contacts', { email: 'b@free.test' })).body
  await ws.api.put(`/v1/organizations/${quiet.id}/members/${b.id}`, { role: 'authorized' })
  t.equal(a.organizationId, quiet.id)

  const deleted = await ws.api.delete(`/v1/organizations/${quiet.id}`)
  t.equal(deleted.status, 204)
  t.equal((await ws.api.get(`/v1/organizations/${quiet.id}`)).status, 404)
  for (const contact of [a, b]) {
    const read = await ws.api.get(`/v1/contacts/${contact.id}`)
    t.equal(read.status, 200, 'the contact remains')
    t.match(read.body, { organizationId: null, organizationRole: null })
  }
  const newcomer = await ws.api.post('/v1/contacts', { email: 'c@quiet.test' })
  t.equal(newcomer.body.organizationId, null, 'its domain places no one any more')
  t.equal(
    (await ws.api.post('/v1/organizations', { name: 'Heir', domains: ['quiet.test'] })).status,
    201,
    'its domain is free',
  )
})

t.test('list filters and pages', async (t) => {
  const ws = await ctx.createWorkspace()
  const acme = await organization(ws.api, { name: 'Acme Tools', externalId: 'o-1', domains: ['acme.test'] })
  const globex = await organization(ws.api, { name: 'Globex', domains: ['globex.test', 'gx.test'] })
  const tools = await organization(ws.api, { name: 'Tools 100%', externalId: 'o-3' })

  const query = async (q: string) => {
    const res = await ws.api.get(`/v1/organizations?${q}`)
    t.equal(res.status, 200, q)
    return ids(res)
  }
  t.same(await query(''), [tools.id, globex.id, acme.id], 'newest first')
  t.same(await query('domain=gx.test'), [globex.id])
  t.same(await query('domain=%40GX.Test'), [globex.id], 'the domain filter is normalized too')
  t.same(await query('domain=other.test'), [])
  t.same(await query('externalId=o-1'), [acme.id])
  t.same(await query('externalId=o-2'), [])
  t.same(await query('q=tools'), [tools.id, acme.id], 'q finds part of the name, whatever its case')
  t.same(await query('q=100%25'), [tools.id])
  t.same(await query('q=%25'), [tools.id], 'a % in q is literal')
  t.same(await query('q=tools&externalId=o-3'), [tools.id])

  const first = await ws.api.get('/v1/organizations?limit=2')
  t.same(ids(first), [tools.id, globex.id])
  const rest = await ws.api.get(
    `/v1/organizations?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`,
  )
  t.same(ids(rest), [acme.id])
  t.equal(rest.body.nextCursor, null)
  t.equal((await ws.api.get('/v1/organizations?domain=not_a_domain')).status, 400)
})

t.test('organizations are read with any contacts scope and written with contacts:write', async (t) => {
  const ws = await ctx.createWorkspace()
  const acme = await organization(ws.api, { name: 'Acme' })
  const contact = (await ws.api.post('/v1/contacts', { email: 'm@free.test' })).body
  const reader = await ctx.withScopes(ws, ['tickets:read'])
  t.equal((await reader.get('/v1/organizations')).status, 200)
  t.equal((await reader.get(`/v1/organizations/${acme.id}`)).status, 200)
  t.equal((await reader.get(`/v1/organizations/${acme.id}/members`)).status, 200)
  t.equal((await reader.post('/v1/organizations', { name: 'No' })).status, 403)
  t.equal((await reader.patch(`/v1/organizations/${acme.id}`, { name: 'No' })).status, 403)
  t.equal((await reader.put(`/v1/organizations/${acme.id}/members/${contact.id}`, {})).status, 403)
  t.equal((await reader.delete(`/v1/organizations/${acme.id}`)).status, 403)
  t.equal((await ws.api.get(`/v1/contacts/${contact.id}`)).body.organizationId, null, 'nothing changed')

  const writer = await ctx.withScopes(ws, ['contacts:write'])
  t.equal((await writer.put(`/v1/organizations/${acme.id}/members/${contact.id}`, {})).status, 200)
  t.equal((await writer.post('/v1/organizations', { name: 'Yes' })).status, 201)
})
