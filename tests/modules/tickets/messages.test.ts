import t from 'tap'
import { buildTestApp, ticketBody } from '../../helpers/app.ts'

const ctx = await buildTestApp(t)

t.test('the first public staff reply sets firstRespondedAt and opens a new ticket', async (t) => {
  const { api } = await ctx.createWorkspace()
  await api.post('/v1/tickets', ticketBody())
  const note = await api.post('/v1/tickets/1/messages', {
    body: 'Checking with the carrier',
    visibility: 'internal',
  })
  t.equal(note.status, 201)
  let ticket = (await api.get('/v1/tickets/1')).body
  t.equal(ticket.firstRespondedAt, null, 'an internal note is not a response')
  t.equal(ticket.status, 'new')

  const reply = await api.post('/v1/tickets/1/messages', { body: 'It ships tomorrow.' })
  t.equal(reply.status, 201)
  t.equal(reply.headers.location, `/v1/tickets/${ticket.id}/messages/${reply.body.id}`)
  t.match(reply.body, { visibility: 'public', authorKind: 'integration', body: 'It ships tomorrow.' })
  ticket = (await api.get('/v1/tickets/1')).body
  t.equal(ticket.firstRespondedAt, reply.body.createdAt)
  t.equal(ticket.status, 'open')

  await api.post('/v1/tickets/1/messages', { body: 'Second reply' })
  t.equal(
    (await api.get('/v1/tickets/1')).body.firstRespondedAt,
    reply.body.createdAt,
    'only the first reply counts',
  )

  const fetched = await api.get(`/v1/tickets/1/messages/${reply.body.id}`)
  t.same(fetched.body, reply.body)
})

t.test("an integration relaying the customer's words does not count as a response and reopens", async (t) => {
  const { api } = await ctx.createWorkspace()
  const created = (await api.post('/v1/tickets', ticketBody())).body
  const relayed = await api.post('/v1/tickets/1/messages', { body: 'Any news?', author: 'requester' })
  t.match(relayed.body, { authorKind: 'contact', authorId: created.requester.id })
  t.equal((await api.get('/v1/tickets/1')).body.firstRespondedAt, null)

  await api.patch('/v1/tickets/1', { status: 'pending' })
  await api.post('/v1/tickets/1/messages', {
    body: 'Here is the photo',
    author: { contactId: created.requester.id },
  })
  t.equal((await api.get('/v1/tickets/1')).body.status, 'open', 'a customer reply reopens a pending ticket')

  await api.patch('/v1/tickets/1', { status: 'solved' })
  await api.post('/v1/tickets/1/messages', { body: 'Still broken', author: 'requester' })
  const reopened = (await api.get('/v1/tickets/1')).body
  t.equal(reopened.status, 'open', 'a customer reply reopens a solved ticket')
  t.equal(reopened.solvedAt, null)

  const internal = await api.post('/v1/tickets/1/messages', {
    body: 'x',
    author: 'requester',
    visibility: 'internal',
  })
  t.equal(internal.status, 400, 'a customer cannot write an internal note')
  const stranger = await api.post('/v1/tickets/1/messages', {
    body: 'x',
    author: { contactId: '00000000-0000-4000-8000-000000000000' },
  })
  t.equal(stranger.status, 400)
  t.equal(stranger.body.errors[0].path, '/author/contactId')
})

t.test('every message is in the history with its visibility and the changes it caused', async (t) => {
  const { api } = await ctx.createWorkspace()
  await api.post('/v1/tickets', ticketBody())
  const note = await api.post('/v1/tickets/1/messages', { body: 'note', visibility: 'internal' })
  const reply = await api.post('/v1/tickets/1/messages', { body: 'reply' })
  const events = (await api.get('/v1/tickets/1/events')).body.data
  t.same(
    events.map((e: { type: string }) => e.type),
    ['ticket.created', 'ticket.message_added', 'ticket.message_added'],
  )
  t.match(events[1], { data: { messageId: note.body.id, visibility: 'internal' }, changes: {} })
  t.match(events[2], {
    data: { messageId: reply.body.id, visibility: 'public' },
    changes: { status: ['new', 'open'], firstRespondedAt: [null, reply.body.createdAt] },
  })
})

t.test('messages are listed oldest first with stable cursor pages', async (t) => {
  const { api } = await ctx.createWorkspace()
  await api.post('/v1/tickets', ticketBody())
  for (let i = 1; i <= 6; i++) await api.post('/v1/tickets/1/messages', { body: `reply ${i}` })
  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const res: { body: { data: { body: string }[]; nextCursor: string | null } } = await api.get(
      `/v1/tickets/1/messages?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
    )
    seen.push(...res.body.data.map((m) => m.body))
    cursor = res.body.nextCursor
    if (pages === 0) await api.post('/v1/tickets/1/messages', { body: 'reply 7' })
    pages++
  } while (cursor)
  t.same(seen, [
    'I ordered a week ago and nothing has come.',
    ...Array.from({ length: 7 }, (_, i) => `reply ${i + 1}`),
  ])
  t.equal(pages, 3)
})

t.test('message bodies are validated', async (t) => {
  const { api } = await ctx.createWorkspace()
  await api.post('/v1/tickets', ticketBody())
  for (const body of [
    {},
    { body: '' },
    { body: 'x', visibility: 'secret' },
    { body: 'x', extra: true },
    { body: 5 },
  ]) {
    t.equal((await api.post('/v1/tickets/1/messages', body)).status, 400, JSON.stringify(body))
  }
  t.equal((await api.post('/v1/tickets/2/messages', { body: 'x' })).status, 404)
  t.equal((await api.get('/v1/tickets/1/messages/00000000-0000-4000-8000-000000000000')).status, 404)
})
