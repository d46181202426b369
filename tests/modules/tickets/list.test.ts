import t from 'tap'
import { buildTestApp, type Client, ticketBody } from '../../helpers/app.ts'

const ctx = await buildTestApp(t)

async function collect(api: Client, query: string, limit = 2) {
  const numbers: number[] = []
  let cursor: string | null = null
  do {
    const res: { status: number; body: { data: { number: number }[]; nextCursor: string | null } } =
      await api.get(
        `/v1/tickets?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      )
    if (res.status !== 200) throw new Error(JSON.stringify(res.body))
    numbers.push(...res.body.data.map((d) => d.number))
    cursor = res.body.nextCursor
  } while (cursor)
  return numbers
}

const ws = await ctx.createWorkspace()
const api = ws.api
// #1..#6 with varied fields
const created: any[] = []
for (const [i, extra] of [
  { priority: 'urgent', tags: ['vip'], externalRef: 'A-1', requester: { email: 'a@example.com' } },
  {
    priority: 'low',
    tags: ['vip', 'shipping'],
    requester: { email: 'b@example.com' },
    subject: 'Refund for order',
  },
  { priority: 'urgent', requester: { email: 'a@example.com' } },
  { tags: ['shipping'], requester: { email: 'c@example.com' }, subject: 'Where is my refund?' },
  { requester: { email: 'b@example.com' } },
  { priority: 'high', requester: { email: 'c@example.com' } },
].entries()) {
  created.push((await api.post('/v1/tickets', ticketBody({ subject: `Ticket ${i + 1}`, ...extra }))).body)
}
await api.patch('/v1/tickets/2', { status: 'open' })
await api.patch('/v1/tickets/4', { status: 'pending' })
await api.patch('/v1/tickets/5', { status: 'solved' })

t.test('the default order is newest first and pages cover everything once', async (t) => {
  t.same(await collect(api, ''), [6, 5, 4, 3, 2, 1])
})

t.test('filters narrow the list', async (t) => {
  t.same(await collect(api, 'status=open,pending&sort=number'), [2, 4])
  t.same(await collect(api, 'priority=urgent&sort=number'), [1, 3])
  t.same(await collect(api, `priority=low,${created[5].priority.id}&sort=number`), [2, 6], 'by slug or id')
  t.same(await collect(api, 'tag=vip&sort=number'), [1, 2])
  t.same(await collect(api, 'tag=VIP%20&sort=number'), [1, 2], 'tag filters are normalized like stored tags')
  t.same(await collect(api, 'tag=vip,shipping&sort=number'), [2], 'tags are all-of')
  t.same(await collect(api, `requesterId=${created[0].requester.id}&sort=number`), [1, 3])
  t.same(await collect(api, 'externalRef=A-1'), [1])
  t.same(await collect(api, 'q=refund&sort=number'), [2, 4], 'q searches the subject case-insensitively')
  t.same(await collect(api, 'q=4'), [4], 'q finds a number')
  t.same(await collect(api, `departmentId=${created[0].department.id}&sort=number`), [1, 2, 3, 4, 5, 6])
  t.same(
    await collect(api, `createdAfter=${encodeURIComponent(created[3].createdAt)}&sort=number`),
    [4, 5, 6],
  )
  t.same(await collect(api, 'q=100%25'), [], 'LIKE wildcards in q are literal')
})

t.test('sorts by number, createdAt and updatedAt in both directions', async (t) => {
  t.same(await collect(api, 'sort=number'), [1, 2, 3, 4, 5, 6])
  t.same(await collect(api, 'sort=-number'), [6, 5, 4, 3, 2, 1])
  t.same(await collect(api, 'sort=createdAt'), [1, 2, 3, 4, 5, 6])
  t.same((await collect(api, 'sort=-updatedAt')).slice(0, 3), [5, 4, 2], 'last changed first')
})

t.test('pages stay stable while tickets are inserted and updated', async (t) => {
  const other = await ctx.createWorkspace()
  for (let i = 0; i < 5; i++) await other.api.post('/v1/tickets', ticketBody())
  const first = await other.api.get('/v1/tickets?limit=2')
  t.same(
    first.body.data.map((d: { number: number }) => d.number),
    [5, 4],
  )
  await other.api.post('/v1/tickets', ticketBody())
  await other.api.post('/v1/tickets', ticketBody())
  const numbers: number[] = []
  let cursor = first.body.nextCursor
  while (cursor) {
    const res = await other.api.get(`/v1/tickets?limit=2&cursor=${encodeURIComponent(cursor)}`)
    numbers.push(...res.body.data.map((d: { number: number }) => d.number))
    cursor = res.body.nextCursor
  }
  t.same(numbers, [3, 2, 1], 'new tickets do not shift or repeat later pages')
})

t.test('list query parameters are validated', async (t) => {
  for (const q of [
    'limit=0',
    'limit=101',
    'sort=subject',
    'status=done',
    'departmentId=abc',
    'createdAfter=yesterday',
    'unknown=1',
    'cursor=%%%',
  ]) {
    const res = await api.get(`/v1/tickets?${q}`)
    t.equal(res.status, 400, q)
    t.equal(res.body.code, 'validation')
  }
  t.equal(
    (await api.get('/v1/tickets?cursor=bm90LWEtY3Vyc29y')).status,
    400,
    'a forged cursor is a 400, not a 500',
  )
})

t.test('another workspace never sees these tickets', async (t) => {
  const other = await ctx.createWorkspace()
  t.same((await other.api.get('/v1/tickets')).body.data, [])
  t.equal((await other.api.get('/v1/tickets/1')).status, 404)
  t.equal((await other.api.get(`/v1/tickets/${created[0].id}`)).status, 404)
  t.equal((await other.api.get(`/v1/contacts/${created[0].requester.id}`)).status, 404)
})
