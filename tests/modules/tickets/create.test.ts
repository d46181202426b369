import t from 'tap'
import { buildTestApp, ticketBody } from '../../helpers/app.ts'

const ctx = await buildTestApp(t)

t.test('creating a ticket returns it with its number, Location and ETag', async (t) => {
  const { api } = await ctx.createWorkspace()
  const res = await api.post(
    '/v1/tickets',
    ticketBody({
      type: 'incident',
      channel: 'web',
      tags: ['Shipping', 'vip', 'shipping '],
      externalRef: 'A-1093',
      metadata: { orderTotal: 129.5, items: ['sku-1'] },
      priority: 'high',
      department: 'general',
    }),
  )
  t.equal(res.status, 201)
  t.equal(res.headers.location, `/v1/tickets/${res.body.id}`)
  t.equal(res.headers.etag, '"1"')
  t.match(res.body, {
    number: 1,
    subject: 'Order A-1093 never arrived',
    status: 'new',
    type: 'incident',
    channel: 'web',
    tags: ['shipping', 'vip'],
    externalRef: 'A-1093',
    metadata: { orderTotal: 129.5, items: ['sku-1'] },
    priority: { slug: 'high', rank: 2 },
    department: { slug: 'general' },
    requester: { email: 'ana@example.com', name: 'Ana' },
    firstRespondedAt: null,
    version: 1,
    sla: { nextDueAt: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, breached: false },
  })
  t.match(res.body.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)

  const byNumber = await api.get('/v1/tickets/1')
  const byId = await api.get(`/v1/tickets/${res.body.id}`)
  t.same(byNumber.body, res.body, 'the number addresses the ticket')
  t.same(byId.body, res.body, 'the id addresses the ticket')

  const messages = await api.get('/v1/tickets/1/messages')
  t.equal(messages.body.data.length, 1)
  t.match(messages.body.data[0], {
    body: 'I ordered a week ago and nothing has come.',
    visibility: 'public',
    authorKind: 'contact',
    authorId: res.body.requester.id,
  })
})

t.test('the channel defaults to api and the priority to the workspace default', async (t) => {
  const { api } = await ctx.createWorkspace()
  const res = await api.post('/v1/tickets', ticketBody())
  t.equal(res.body.channel, 'api')
  t.equal(res.body.priority.slug, 'normal')
})

t.test('unknown priority or department is a validation problem naming the field', async (t) => {
  const { api } = await ctx.createWorkspace()
  const p = await api.post('/v1/tickets', ticketBody({ priority: 'critical' }))
  t.equal(p.status, 400)
  t.equal(p.body.errors[0].path, '/priority')
  const d = await api.post('/v1/tickets', ticketBody({ department: 'billing' }))
  t.equal(d.status, 400)
  t.equal(d.body.errors[0].path, '/department')
  t.equal((await api.get('/v1/tickets')).body.data.length, 0, 'nothing was created')
})

t.test('a requester is found by id, externalId or e-mail and created once', async (t) => {
  const { api } = await ctx.createWorkspace()
  const first = await api.post(
    '/v1/tickets',
    ticketBody({ requester: { externalId: 'cus_1', email: 'Ana@Example.com', name: 'Ana' } }),
  )
  const requesterId = first.body.requester.id
  const byExternal = await api.post('/v1/tickets', ticketBody({ requester: { externalId: 'cus_1' } }))
  const byEmail = await api.post('/v1/tickets', ticketBody({ requester: { email: 'ana@EXAMPLE.com' } }))
  const byId = await api.post('/v1/tickets', ticketBody({ requester: { id: requesterId } }))
  t.equal(byExternal.body.requester.id, requesterId)
  t.equal(byEmail.body.requester.id, requesterId, 'e-mail matches case-insensitively')
  t.equal(byId.body.requester.id, requesterId)

  const contact = await api.get(`/v1/contacts/${requesterId}`)
  t.equal(contact.status, 200)
  t.match(contact.body, { externalId: 'cus_1', email: 'Ana@Example.com', name: 'Ana', blocked: false })

  const missing = await api.post(
    '/v1/tickets',
    ticketBody({ requester: { id: '00000000-0000-4000-8000-000000000000' } }),
  )
  t.equal(missing.status, 400)
  t.equal(missing.body.errors[0].path, '/requester/id')
})

t.test(
  'an e-mail contact without externalId is linked, not duplicated, when an externalId arrives',
  async (t) => {
    const { api } = await ctx.createWorkspace()
    const byEmail = await api.post('/v1/tickets', ticketBody({ requester: { email: 'bo@example.com' } }))
    const linked = await api.post(
      '/v1/tickets',
      ticketBody({ requester: { externalId: 'cus_9', email: 'bo@example.com' } }),
    )
    t.equal(linked.status, 201)
    t.equal(linked.body.requester.id, byEmail.body.requester.id)
    t.equal(linked.body.requester.externalId, 'cus_9')
    const other = await api.post(
      '/v1/tickets',
      ticketBody({ requester: { externalId: 'cus_10', email: 'bo@example.com' } }),
    )
    t.equal(other.status, 409, 'an e-mail owned by another externalId is a conflict')
  },
)

t.test('100 parallel creates get exactly the numbers 1..100', async (t) => {
  const { api } = await ctx.createWorkspace()
  const results = await Promise.all(
    Array.from({ length: 100 }, (_, i) => api.post('/v1/tickets', ticketBody({ subject: `Parallel ${i}` }))),
  )
  t.same(
    results.map((r) => r.status).filter((s) => s !== 201),
    [],
    'all created',
  )
  const numbers = results.map((r) => r.body.number as number).sort((a, b) => a - b)
  t.same(
    numbers,
    Array.from({ length: 100 }, (_, i) => i + 1),
  )
})

t.test('numbers are per workspace, and a failed create does not use one up', async (t) => {
  const a = await ctx.createWorkspace()
  const b = await ctx.createWorkspace()
  await a.api.post('/v1/tickets', ticketBody())
  await a.api.post('/v1/tickets', ticketBody({ priority: 'no-such-priority' }))
  t.equal((await a.api.post('/v1/tickets', ticketBody())).body.number, 2, 'no gap after a failed create')
  t.equal((await b.api.post('/v1/tickets', ticketBody())).body.number, 1, 'another workspace starts at 1')
})

t.test('concurrent creates for a new requester make one contact', async (t) => {
  const { api } = await ctx.createWorkspace()
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      api.post(
        '/v1/tickets',
        ticketBody({
          subject: `Same customer ${i}`,
          requester: { externalId: 'cus_race', email: 'race@example.com' },
        }),
      ),
    ),
  )
  t.same([...new Set(results.map((r) => r.status))], [201])
  t.equal(new Set(results.map((r) => r.body.requester.id)).size, 1)
  const emailOnly = await Promise.all(
    Array.from({ length: 20 }, () =>
      api.post('/v1/tickets', ticketBody({ requester: { email: 'Only@Example.com' } })),
    ),
  )
  t.equal(new Set(emailOnly.map((r) => r.body.requester.id)).size, 1)
})

t.test('HTML bodies are sanitized and the plain body kept', async (t) => {
  const { api } = await ctx.createWorkspace()
  await api.post(
    '/v1/tickets',
    ticketBody({
      message: {
        body: 'Hello',
        bodyHtml:
          '<p onclick="steal()">Hello <script>alert(1)</script><a href="javascript:x()">link</a> <b>bold</b></p>',
      },
    }),
  )
  const [message] = (await api.get('/v1/tickets/1/messages')).body.data
  t.equal(message.body, 'Hello')
  t.notMatch(message.bodyHtml, /script|onclick|javascript:/)
  t.match(message.bodyHtml, /<b>bold<\/b>/)
})

t.test('the creation is in the history with every initial field', async (t) => {
  const { api } = await ctx.createWorkspace()
  await api.post('/v1/tickets', ticketBody({ tags: ['a'], externalRef: 'X-1' }))
  const events = (await api.get('/v1/tickets/1/events')).body.data
  t.equal(events.length, 1)
  t.match(events[0], {
    type: 'ticket.created',
    actor: { kind: 'api_key' },
    changes: {
      subject: [null, 'Order A-1093 never arrived'],
      status: [null, 'new'],
      tags: [null, ['a']],
      externalRef: [null, 'X-1'],
    },
  })
  t.notOk('type' in events[0].changes, 'unset fields are not listed as changes')
})
