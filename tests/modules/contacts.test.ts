import t from 'tap'
import { buildTestApp, type Client, ticketBody } from '../helpers/app.ts'

const ctx = await buildTestApp(t)

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000'

/** Every contact a list query reaches, walking its pages with `limit` and `nextCursor`. */
async function walk(api: Client, query: string, limit: number) {
  const ids: string[] = []
  const pages: number[] = []
  let cursor: string | null = null
  do {
    const res: { status: number; body: { data: { id: string }[]; nextCursor: string | null } } =
      await api.get(
        `/v1/contacts?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      )
    if (res.status !== 200) throw new Error(`list failed: ${res.status} ${JSON.stringify(res.body)}`)
    ids.push(...res.body.data.map((c) => c.id))
    pages.push(res.body.data.length)
    cursor = res.body.nextCursor
  } while (cursor)
  return { ids, pages }
}

t.test('POST creates a contact; GET, PATCH and DELETE act on it', async (t) => {
  const ws = await ctx.createWorkspace()
  const created = await ws.api.post('/v1/contacts', {
    email: 'Lucia@Example.org',
    name: 'Lucía Pérez',
    phone: '+34 600 000 000',
    locale: 'es-ES',
    metadata: { plan: 'gold' },
  })
  t.equal(created.status, 201)
  t.equal(created.headers.location, `/v1/contacts/${created.body.id}`)
  t.match(created.body, {
    id: String,
    email: 'Lucia@Example.org',
    name: 'Lucía Pérez',
    externalId: null,
    phone: '+34 600 000 000',
    locale: 'es-ES',
    organizationId: null,
    organizationRole: null,
    blocked: false,
    metadata: { plan: 'gold' },
  })
  t.notOk('workspaceId' in created.body, 'the workspace is not part of the contact')

  const read = await ws.api.get(`/v1/contacts/${created.body.id}`)
  t.equal(read.status, 200)
  t.same(read.body, created.body, 'GET returns what POST returned')

  const patched = await ws.api.patch(`/v1/contacts/${created.body.id}`, {
    name: 'Lucía P.',
    blocked: true,
    externalId: 'shop-77',
  })
  t.equal(patched.status, 200)
  t.match(patched.body, {
    id: created.body.id,
    name: 'Lucía P.',
    blocked: true,
    externalId: 'shop-77',
    email: 'Lucia@Example.org',
    phone: '+34 600 000 000',
  })
  t.ok(patched.body.updatedAt >= created.body.updatedAt)
  t.match((await ws.api.get(`/v1/contacts/${created.body.id}`)).body, { name: 'Lucía P.', blocked: true })

  t.equal(
    (await ws.api.patch(`/v1/contacts/${created.body.id}`, {})).status,
    400,
    'an empty PATCH is refused',
  )
  const noOrganization = await ws.api.patch(`/v1/contacts/${created.body.id}`, { organizationId: UNKNOWN_ID })
  t.equal(noOrganization.status, 400, 'an unknown organization is refused')
  t.match(noOrganization.body.errors, [{ path: '/organizationId' }])
  const roleAlone = await ws.api.patch(`/v1/contacts/${created.body.id}`, { organizationRole: 'authorized' })
  t.equal(roleAlone.status, 400, 'a role needs an organization')
  t.match(roleAlone.body.errors, [{ path: '/organizationRole' }])
  t.match((await ws.api.get(`/v1/contacts/${created.body.id}`)).body, {
    organizationId: null,
    organizationRole: null,
  })
  t.equal((await ws.api.patch(`/v1/contacts/${UNKNOWN_ID}`, { name: 'x' })).status, 404)
  t.equal((await ws.api.get(`/v1/contacts/${UNKNOWN_ID}`)).status, 404)

  const other = await ctx.createWorkspace()
  t.equal(
    (await other.api.get(`/v1/contacts/${created.body.id}`)).status,
    404,
    'another workspace does not see it',
  )
  t.equal((await other.api.delete(`/v1/contacts/${created.body.id}`)).status, 404)
})

t.test('a contact needs an e-mail, an externalId or a phone', async (t) => {
  const ws = await ctx.createWorkspace()
  const none = await ws.api.post('/v1/contacts', { name: 'Nobody' })
  t.equal(none.status, 400)
  t.equal(none.body.status, 400)
  t.equal(none.body.code, 'validation')
  t.match(none.body.errors, [{ path: '/email' }])
  t.equal((await ws.api.post('/v1/contacts', { email: null, externalId: null, phone: null })).status, 400)
  t.equal((await ws.api.get('/v1/contacts')).body.data.length, 0, 'nothing was written')

  t.equal((await ws.api.post('/v1/contacts', { externalId: 'only-external' })).status, 201)
  t.equal((await ws.api.post('/v1/contacts', { phone: '+1 555 0100' })).status, 201)
  t.equal((await ws.api.post('/v1/contacts', { email: 'only@example.com' })).status, 201)
  t.equal((await ws.api.post('/v1/contacts', { email: 'not an email' })).status, 400)
  t.equal((await ws.api.post('/v1/contacts', { email: 'x@example.com', unknown: 1 })).status, 400)
})

t.test('e-mail is unique per workspace whatever its case; externalId is unique', async (t) => {
  const ws = await ctx.createWorkspace()
  const first = await ws.api.post('/v1/contacts', { email: 'dup@example.com', externalId: 'ext-1' })
  t.equal(first.status, 201)

  const sameEmail = await ws.api.post('/v1/contacts', { email: 'DUP@Example.COM' })
  t.equal(sameEmail.status, 409)
  t.equal(sameEmail.body.status, 409)
  t.equal(sameEmail.body.code, 'conflict')
  t.match(sameEmail.body.errors, [{ path: '/email' }])

  const sameExternal = await ws.api.post('/v1/contacts', { externalId: 'ext-1', email: 'other@example.com' })
  t.equal(sameExternal.status, 409)
  t.match(sameExternal.body.errors, [{ path: '/externalId' }])

  const second = await ws.api.post('/v1/contacts', { email: 'second@example.com' })
  t.equal(second.status, 201)
  const patchEmail = await ws.api.patch(`/v1/contacts/${second.body.id}`, { email: 'Dup@example.com' })
  t.equal(patchEmail.status, 409, 'PATCH is held to the same rule')
  t.match(patchEmail.body.errors, [{ path: '/email' }])
  const patchExternal = await ws.api.patch(`/v1/contacts/${second.body.id}`, { externalId: 'ext-1' })
  t.equal(patchExternal.status, 409)
  t.match(patchExternal.body.errors, [{ path: '/externalId' }])
  t.match(
    (await ws.api.get(`/v1/contacts/${second.body.id}`)).body,
    { email: 'second@example.com', externalId: null },
    'a refused change writes nothing',
  )

  const other = await ctx.createWorkspace()
  t.equal(
    (await other.api.post('/v1/contacts', { email: 'dup@example.com', externalId: 'ext-1' })).status,
    201,
    'another workspace may have the same e-mail and externalId',
  )
})

t.test('list filters', async (t) => {
  const ws = await ctx.createWorkspace()
  const org = await ws.api.post('/v1/organizations', { name: 'Acme' })
  const make = async (body: Record<string, unknown>) => {
    const res = await ws.api.post('/v1/contacts', body)
    if (res.status !== 201) throw new Error(`contact creation failed: ${res.text}`)
    return res.body.id as string
  }
  const ana = await make({ email: 'Ana.Garcia@Example.com', name: 'Ana García', externalId: 'c-1' })
  const bruno = await make({ email: 'bruno@shop.test', name: 'Bruno', organizationId: org.body.id })
  const carla = await make({ email: 'carla@example.com', name: 'Carla Anaya', blocked: true })
  const dario = await make({ phone: '+34 611 111 111', name: 'Darío', organizationId: org.body.id })

  const ids = async (query: string) => {
    const res = await ws.api.get(`/v1/contacts?${query}`)
    t.equal(res.status, 200, query)
    return (res.body.data as { id: string }[]).map((c) => c.id).sort()
  }
  t.same(await ids(''), [ana, bruno, carla, dario].sort())
  t.same(await ids('email=ana.garcia%40example.com'), [ana], 'e-mail matches whatever its case')
  t.same(await ids('email=ANA.GARCIA%40EXAMPLE.COM'), [ana])
  t.same(await ids('email=ana%40example.com'), [], 'e-mail is matched whole, not in part')
  t.same(await ids('externalId=c-1'), [ana])
  t.same(await ids('externalId=c-2'), [])
  t.same(await ids(`organizationId=${org.body.id}`), [bruno, dario].sort())
  t.same(await ids('blocked=true'), [carla])
  t.same(await ids('blocked=false'), [ana, bruno, dario].sort())
  t.same(await ids('q=ana'), [ana, carla].sort(), 'q finds part of a name, whatever its case')
  t.same(await ids('q=SHOP.TEST'), [bruno], 'q finds part of an e-mail')
  t.same(await ids('q=%25'), [], 'LIKE wildcards in q are literal')
  t.same(await ids('q=ana&blocked=false'), [ana], 'filters combine')

  const list = await ws.api.get('/v1/contacts')
  t.same(
    list.body.data.map((c: { id: string }) => c.id),
    [dario, carla, bruno, ana],
    'newest first',
  )
  t.equal(list.body.nextCursor, null)
  t.equal((await ws.api.get('/v1/contacts?limit=0')).status, 400)
  t.equal((await ws.api.get('/v1/contacts?limit=101')).status, 400)
  t.equal((await ws.api.get('/v1/contacts?organizationId=nope')).status, 400)
  t.equal((await ws.api.get('/v1/contacts?cursor=garbage')).status, 400, 'a forged cursor is refused')
})

t.test('cursor pagination walks every contact once', async (t) => {
  const ws = await ctx.createWorkspace()
  const created: string[] = []
  for (let i = 0; i < 11; i++) {
    created.push((await ws.api.post('/v1/contacts', { email: `page-${i}@example.com` })).body.id)
  }
  const whole = await walk(ws.api, '', 100)
  t.same(whole.pages, [11])
  const paged = await walk(ws.api, '', 3)
  t.same(paged.pages, [3, 3, 3, 2], 'pages of the limit, the last one short')
  t.same(paged.ids, whole.ids, 'the same contacts in the same order as one page')
  t.equal(new Set(paged.ids).size, 11, 'no duplicates')
  t.same([...paged.ids].sort(), [...created].sort(), 'none missing')

  const exact = await walk(ws.api, '', 11)
  t.same(exact.pages, [11], 'a page that ends the list has no nextCursor')

  const filtered = await walk(ws.api, 'q=page-1', 1)
  t.same(filtered.ids.length, 2, 'page-1 and page-10, one per page')
})

t.test('DELETE removes a contact without tickets only', async (t) => {
  const ws = await ctx.createWorkspace()
  const withTickets = await ws.api.post('/v1/contacts', { email: 'has-tickets@example.com' })
  const ticket = await ws.api.post('/v1/tickets', ticketBody({ requester: { id: withTickets.body.id } }))
  t.equal(ticket.status, 201)
  t.equal(ticket.body.requester.id, withTickets.body.id)

  const refused = await ws.api.delete(`/v1/contacts/${withTickets.body.id}`)
  t.equal(refused.status, 409)
  t.equal(refused.body.code, 'conflict')
  t.equal((await ws.api.get(`/v1/contacts/${withTickets.body.id}`)).status, 200, 'the contact stays')

  const without = await ws.api.post('/v1/contacts', { email: 'no-tickets@example.com' })
  const deleted = await ws.api.delete(`/v1/contacts/${without.body.id}`)
  t.equal(deleted.status, 204)
  t.equal(deleted.text, '')
  t.equal((await ws.api.get(`/v1/contacts/${without.body.id}`)).status, 404)
  t.equal((await ws.api.delete(`/v1/contacts/${without.body.id}`)).status, 404, 'deleting twice is 404')
  t.equal(
    (await ws.api.post('/v1/contacts', { email: 'no-tickets@example.com' })).status,
    201,
    'the e-mail is free again',
  )
})

t.test('PUT by externalId creates (201) and then updates (200)', async (t) => {
  const ws = await ctx.createWorkspace()
  const url = '/v1/contacts/by-external-id/shop-1001'
  t.equal((await ws.api.get(url)).status, 404)

  const created = await ws.api.put(url, { email: 'maria@example.com', name: 'María' })
  t.equal(created.status, 201)
  t.equal(created.headers.location, `/v1/contacts/${created.body.id}`)
  t.match(created.body, { externalId: 'shop-1001', email: 'maria@example.com', name: 'María', locale: null })

  const updated = await ws.api.put(url, { name: 'María López', locale: 'es' })
  t.equal(updated.status, 200)
  t.notOk(updated.headers.location)
  t.match(updated.body, {
    id: created.body.id,
    externalId: 'shop-1001',
    email: 'maria@example.com',
    name: 'María López',
    locale: 'es',
  })

  const read = await ws.api.get(url)
  t.equal(read.status, 200)
  t.same(read.body, updated.body, 'GET by externalId returns the contact')
  t.same((await ws.api.get(`/v1/contacts/${created.body.id}`)).body, updated.body)
  t.equal((await ws.api.get('/v1/contacts?externalId=shop-1001')).body.data.length, 1)

  const same = await ws.api.put(url, { name: 'María López' })
  t.equal(same.status, 200, 'an unchanged PUT is still 200')
  t.equal(same.body.updatedAt, updated.body.updatedAt, 'and changes nothing')

  t.equal((await ws.api.put(url, { externalId: 'other' })).status, 400, 'the externalId is the path')
  const taken = await ws.api.post('/v1/contacts', { email: 'taken@example.com', externalId: 'someone-else' })
  t.equal(taken.status, 201)
  const clash = await ws.api.put(url, { email: 'TAKEN@example.com' })
  t.equal(clash.status, 409, "an e-mail of another contact with its own externalId can't be taken")
  t.match(clash.body.errors, [{ path: '/email' }])
})

t.test('a contact known only by e-mail is given the externalId instead of a twin', async (t) => {
  const ws = await ctx.createWorkspace()
  const known = await ws.api.post('/v1/contacts', { email: 'wrote-first@example.com', name: 'Early' })
  t.equal(known.status, 201)

  const linked = await ws.api.put('/v1/contacts/by-external-id/shop-42', {
    email: 'Wrote-First@Example.com',
    name: 'Early Bird',
  })
  t.equal(linked.status, 200, 'linking is an update, not a creation')
  t.equal(linked.body.id, known.body.id)
  t.match(linked.body, { externalId: 'shop-42', name: 'Early Bird' })
  const all = await ws.api.get('/v1/contacts')
  t.equal(all.body.data.length, 1, 'no twin was made')
  t.equal((await ws.api.get('/v1/contacts/by-external-id/shop-42')).body.id, known.body.id)
})

t.test('concurrent PUTs for one new externalId create exactly one contact', async (t) => {
  const ws = await ctx.createWorkspace()
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      ws.api.put('/v1/contacts/by-external-id/race-1', { name: `Racer ${i}` }),
    ),
  )
  const statuses = results.map((r) => r.status)
  t.notOk(
    statuses.some((s) => s >= 500),
    `no server errors: ${statuses.join(',')} ${results.find((r) => r.status >= 500)?.text ?? ''}`,
  )
  t.equal(statuses.filter((s) => s === 201).length, 1, 'exactly one creates it')
  t.equal(statuses.filter((s) => s === 200).length, 19, 'the others update it')
  const listed = await ws.api.get('/v1/contacts?externalId=race-1')
  t.equal(listed.body.data.length, 1, 'one contact has the externalId')
  t.equal(new Set(results.map((r) => r.body.id)).size, 1, 'every answer names that contact')
})

t.test('concurrent PUTs for one new externalId with an e-mail create exactly one contact', async (t) => {
  const ws = await ctx.createWorkspace()
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      ws.api.put('/v1/contacts/by-external-id/race-2', { email: 'racer@example.com', name: `Racer ${i}` }),
    ),
  )
  const statuses = results.map((r) => r.status)
  t.notOk(
    statuses.some((s) => s >= 500),
    `no server errors: ${statuses.join(',')}`,
  )
  t.equal(statuses.filter((s) => s === 201).length, 1, 'exactly one creates it')
  t.same(
    statuses.filter((s) => s !== 201 && s !== 200),
    [],
    `the others update it (${results.find((r) => r.status === 409)?.text ?? 'no conflicts'})`,
  )
  const listed = await ws.api.get('/v1/contacts?externalId=race-2')
  t.equal(listed.body.data.length, 1, 'one contact has the externalId')
  t.equal((await ws.api.get('/v1/contacts')).body.data.length, 1, 'and no other contact was made')
})

t.test("GET /v1/contacts/{id}/tickets lists that contact's tickets only", async (t) => {
  const ws = await ctx.createWorkspace()
  const ana = await ws.api.post('/v1/contacts', { email: 'ana-t@example.com' })
  const ben = await ws.api.post('/v1/contacts', { email: 'ben-t@example.com' })
  const anas: string[] = []
  for (let i = 0; i < 3; i++) {
    const res = await ws.api.post(
      '/v1/tickets',
      ticketBody({ subject: `Ana ${i}`, requester: { id: ana.body.id } }),
    )
    anas.push(res.body.id)
  }
  await ws.api.post('/v1/tickets', ticketBody({ subject: 'Ben', requester: { id: ben.body.id } }))
  await ws.api.post('/v1/tickets', ticketBody({ requester: { email: 'ANA-T@example.com' } }))
  anas.push((await ws.api.get('/v1/tickets/5')).body.id)

  const list = await ws.api.get(`/v1/contacts/${ana.body.id}/tickets?sort=number`)
  t.equal(list.status, 200)
  t.same(
    list.body.data.map((d: { id: string }) => d.id),
    anas,
    'by id or by e-mail, her tickets and no one else’s',
  )
  t.ok(list.body.data.every((d: { requester: { id: string } }) => d.requester.id === ana.body.id))

  const paged: string[] = []
  let cursor: string | null = null
  do {
    const page: { body: { data: { id: string }[]; nextCursor: string | null } } = await ws.api.get(
      `/v1/contacts/${ana.body.id}/tickets?sort=number&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    )
    paged.push(...page.body.data.map((d) => d.id))
    cursor = page.body.nextCursor
  } while (cursor)
  t.same(paged, anas, 'pages walk the same tickets')

  const filtered = await ws.api.patch(`/v1/tickets/${anas[1]}`, { status: 'open' })
  t.equal(filtered.status, 200)
  const open = await ws.api.get(`/v1/contacts/${ana.body.id}/tickets?status=open`)
  t.same(
    open.body.data.map((d: { id: string }) => d.id),
    [anas[1]],
    'the ticket filters apply',
  )

  const none = await ws.api.post('/v1/contacts', { email: 'no-tickets-yet@example.com' })
  const empty = await ws.api.get(`/v1/contacts/${none.body.id}/tickets`)
  t.equal(empty.status, 200)
  t.same(empty.body, { data: [], nextCursor: null })

  t.equal(
    (await ws.api.get(`/v1/contacts/${ana.body.id}/tickets?requesterId=${ben.body.id}`)).status,
    400,
    'the requester is the path, not a filter',
  )
  t.equal((await ws.api.get(`/v1/contacts/${UNKNOWN_ID}/tickets`)).status, 404)
  const other = await ctx.createWorkspace()
  t.equal(
    (await other.api.get(`/v1/contacts/${ana.body.id}/tickets`)).status,
    404,
    "another workspace's contact is unknown",
  )
})

t.test('contact routes need the contacts scopes', async (t) => {
  const ws = await ctx.createWorkspace()
  const contact = await ws.api.post('/v1/contacts', { email: 'scoped@example.com', externalId: 'scoped' })
  const reader = await ctx.withScopes(ws, ['contacts:read'])
  t.equal((await reader.get('/v1/contacts')).status, 200)
  t.equal((await reader.get(`/v1/contacts/${contact.body.id}`)).status, 200)
  t.equal((await reader.get('/v1/contacts/by-external-id/scoped')).status, 200)
  t.equal((await reader.post('/v1/contacts', { email: 'r@example.com' })).status, 403)
  t.equal((await reader.patch(`/v1/contacts/${contact.body.id}`, { name: 'x' })).status, 403)
  t.equal((await reader.put('/v1/contacts/by-external-id/scoped', { name: 'x' })).status, 403)
  t.equal((await reader.delete(`/v1/contacts/${contact.body.id}`)).status, 403)

  const writer = await ctx.withScopes(ws, ['contacts:write'])
  t.equal((await writer.post('/v1/contacts', { email: 'w@example.com' })).status, 201)
  t.equal((await writer.put('/v1/contacts/by-external-id/scoped', { name: 'Scoped' })).status, 200)

  const viewer = await ctx.agent(ws, 'viewer')
  t.equal((await viewer.api.get(`/v1/contacts/${contact.body.id}`)).status, 200)
  t.equal((await viewer.api.patch(`/v1/contacts/${contact.body.id}`, { name: 'y' })).status, 403)
  t.equal((await ctx.anonymous.get('/v1/contacts')).status, 401)
  t.equal((await reader.get(`/v1/contacts/${contact.body.id}`)).body.name, 'Scoped')
})
