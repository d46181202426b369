import t from 'tap'
import { buildTestApp, ticketBody } from '../../helpers/app.ts'

const ctx = await buildTestApp(t)

async function newTicket() {
  const ws = await ctx.createWorkspace()
  const created = await ws.api.post('/v1/tickets', ticketBody())
  return { ...ws, ticket: created.body }
}

t.test('PATCH changes the given fields, bumps the version and records each change', async (t) => {
  const { api } = await newTicket()
  const res = await api.patch('/v1/tickets/1', {
    subject: 'Order A-1093 lost in transit',
    status: 'open',
    priority: 'urgent',
    tags: ['Carrier', 'lost'],
    type: 'problem',
    externalRef: 'A-1093-B',
    metadata: { carrier: 'SEUR' },
  })
  t.equal(res.status, 200)
  t.equal(res.headers.etag, '"2"')
  t.match(res.body, {
    subject: 'Order A-1093 lost in transit',
    status: 'open',
    priority: { slug: 'urgent' },
    tags: ['carrier', 'lost'],
    type: 'problem',
    externalRef: 'A-1093-B',
    metadata: { carrier: 'SEUR' },
    version: 2,
  })
  const events = (await api.get('/v1/tickets/1/events')).body.data
  t.equal(events.length, 2)
  t.match(events[1], {
    type: 'ticket.updated',
    actor: { kind: 'api_key' },
    changes: {
      subject: ['Order A-1093 never arrived', 'Order A-1093 lost in transit'],
      status: ['new', 'open'],
      tags: [[], ['carrier', 'lost']],
      type: [null, 'problem'],
      externalRef: [null, 'A-1093-B'],
      metadata: [{}, { carrier: 'SEUR' }],
    },
  })
  t.equal(events[1].changes.priorityId[1], res.body.priority.id)

  const cleared = await api.patch('/v1/tickets/1', { type: null, externalRef: null })
  t.match(cleared.body, { type: null, externalRef: null, version: 3 })
})

t.test('a PATCH that changes nothing writes no event and keeps the version', async (t) => {
  const { api } = await newTicket()
  const res = await api.patch('/v1/tickets/1', { subject: 'Order A-1093 never arrived' })
  t.equal(res.body.version, 1)
  t.equal((await api.get('/v1/tickets/1/events')).body.data.length, 1)
})

t.test('If-Match with a stale version is 412 and changes nothing', async (t) => {
  const { api } = await newTicket()
  const read = await api.get('/v1/tickets/1')
  const etag = read.headers.etag as string
  t.equal(etag, '"1"')
  const first = await api.patch('/v1/tickets/1', { subject: 'First editor' }, { 'if-match': etag })
  t.equal(first.status, 200)
  const second = await api.patch('/v1/tickets/1', { subject: 'Second editor' }, { 'if-match': etag })
  t.equal(second.status, 412)
  t.equal(second.body.code, 'precondition_failed')
  t.equal((await api.get('/v1/tickets/1')).body.subject, 'First editor')
  const star = await api.patch('/v1/tickets/1', { subject: 'Any version' }, { 'if-match': '*' })
  t.equal(star.status, 200, 'If-Match: * matches any version')
  const list = await api.patch('/v1/tickets/1', { subject: 'Listed' }, { 'if-match': '"1", "3"' })
  t.equal(list.status, 200, 'a list of ETags matches when one is current')
})

t.test('without If-Match concurrent edits to different fields both land', async (t) => {
  const { api } = await newTicket()
  await Promise.all([
    api.patch('/v1/tickets/1', { subject: 'New subject' }),
    api.patch('/v1/tickets/1', { tags: ['x'] }),
  ])
  const ticket = (await api.get('/v1/tickets/1')).body
  t.equal(ticket.subject, 'New subject')
  t.same(ticket.tags, ['x'])
  t.equal(ticket.version, 3)
})

t.test('solving sets solvedAt, reopening clears it, closing makes the ticket read-only', async (t) => {
  const { api } = await newTicket()
  const solved = await api.patch('/v1/tickets/1', { status: 'solved' })
  t.equal(solved.status, 200)
  t.ok(solved.body.solvedAt)
  const reopened = await api.patch('/v1/tickets/1', { status: 'open' })
  t.equal(reopened.body.solvedAt, null, 'reopen clears solvedAt')
  const again = await api.patch('/v1/tickets/1', { status: 'solved' })
  t.ok(again.body.solvedAt)
  const closed = await api.patch('/v1/tickets/1', { status: 'closed' })
  t.equal(closed.status, 200)
  t.ok(closed.body.closedAt)
  t.ok(closed.body.solvedAt, 'a closed ticket keeps when it was solved')

  for (const body of [{ status: 'open' }, { subject: 'Edit' }, { tags: ['late'] }]) {
    const res = await api.patch('/v1/tickets/1', body)
    t.equal(res.status, 409, `closed ticket refuses ${JSON.stringify(body)}`)
    t.equal(res.body.code, 'conflict')
  }
  const reply = await api.post('/v1/tickets/1/messages', { body: 'Too late' })
  t.equal(reply.status, 409, 'a closed ticket takes no messages')
  const events = (await api.get('/v1/tickets/1/events')).body.data
  t.same(
    events.map((e: { changes: { status?: unknown[] } }) => e.changes.status?.[1]),
    ['new', 'solved', 'open', 'solved', 'closed'],
  )
})

t.test('the lifecycle refuses transitions it does not allow', async (t) => {
  const { api } = await newTicket()
  const toClosed = await api.patch('/v1/tickets/1', { status: 'closed' })
  t.equal(toClosed.status, 409, 'only a solved ticket can be closed')
  t.equal(toClosed.body.errors[0].path, '/status')
  await api.patch('/v1/tickets/1', { status: 'open' })
  const toNew = await api.patch('/v1/tickets/1', { status: 'new' })
  t.equal(toNew.status, 409, 'nothing returns to new')
  for (const status of ['pending', 'on_hold', 'open', 'solved']) {
    t.equal((await api.patch('/v1/tickets/1', { status })).status, 200, `→ ${status}`)
  }
})

t.test('assignee must be an active agent of the workspace', async (t) => {
  const { api } = await newTicket()
  const res = await api.patch('/v1/tickets/1', { assigneeId: '00000000-0000-4000-8000-000000000001' })
  t.equal(res.status, 400)
  t.equal(res.body.errors[0].path, '/assigneeId')
  t.equal(
    (await api.patch('/v1/tickets/1', { assigneeId: null })).status,
    200,
    'unassigning is always allowed',
  )
})

t.test('PATCH validates its body', async (t) => {
  const { api } = await newTicket()
  for (const body of [
    {},
    { status: 'done' },
    { subject: '' },
    { unknownField: 1 },
    { tags: 'x' },
    { metadata: [] },
  ]) {
    const res = await api.patch('/v1/tickets/1', body)
    t.equal(res.status, 400, JSON.stringify(body))
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  }
  t.equal((await api.patch('/v1/tickets/999', { subject: 'x' })).status, 404)
  t.equal((await api.patch('/v1/tickets/not-a-ref', { subject: 'x' })).status, 400)
})
