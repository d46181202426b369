import t from 'tap'
import { buildTestApp, ticketBody } from '../helpers/app.ts'

const ctx = await buildTestApp(t)
const { api } = await ctx.createWorkspace()

const count = async () => (await api.get('/v1/tickets?limit=100')).body.data.length

t.test('a NUL character anywhere in a JSON body is a 400 and writes nothing', async (t) => {
  const before = await count()
  for (const body of [
    ticketBody({ subject: 'Order\u0000 A-1' }),
    ticketBody({ message: { body: 'hello\u0000' } }),
    ticketBody({ metadata: { nested: ['ok', 'n\u0000'] } }),
    ticketBody({ requester: { email: 'nul@example.com', name: '\u0000' } }),
  ]) {
    const res = await api.post('/v1/tickets', body)
    t.equal(res.status, 400, JSON.stringify(body).slice(0, 60))
    t.equal(res.body.code, 'validation')
    t.match(res.body.detail, /NUL character/)
  }
  t.equal(await count(), before)
})

t.test('an escaped backslash before u0000 is ordinary text and is kept', async (t) => {
  const res = await api.post('/v1/tickets', ticketBody({ subject: 'path C:\\u0000\\x' }))
  t.equal(res.status, 201)
  t.equal(res.body.subject, 'path C:\\u0000\\x')
})

t.test('an unpaired UTF-16 surrogate in a JSON body is a 400; an escaped pair is text', async (t) => {
  const before = await count()
  for (const body of [
    ticketBody({ subject: 'bad \ud800' }),
    ticketBody({ metadata: { 'key\udc00': 1 } }),
    ticketBody({ tags: ['ok', 'x\udbff'] }),
  ]) {
    const res = await api.post('/v1/tickets', body)
    t.equal(res.status, 400, JSON.stringify(body).slice(0, 60))
    t.match(res.body.detail, /unpaired UTF-16 surrogate/)
  }
  t.equal(await count(), before)
  const pair = JSON.stringify(ticketBody()).replace('"Order A-1093', '"\\ud83d\\ude9a Order A-1093')
  const res = await api.post('/v1/tickets', pair, { 'content-type': 'application/json' })
  t.equal(res.status, 201)
  t.equal(res.body.subject, '🚚 Order A-1093 never arrived')
})

t.test('a NUL character in the URL is a 400', async (t) => {
  for (const url of ['/v1/tickets?tag=a%00', '/v1/tickets?externalRef=%00', '/v1/tickets/1%00']) {
    const res = await api.get(url)
    t.equal(res.status, 400, url)
    t.equal(res.body.code, 'validation')
  }
})

t.test('a NUL written as a GraphQL string escape is a validation error, not an internal one', async (t) => {
  const res = await api.graphql(
    `mutation { createTicket(input: { subject: "a\\u0000b", message: { body: "x" },
      requester: { email: "gql-nul@example.com" } }) { ticket { id } userErrors { message } } }`,
  )
  t.equal(res.status, 200)
  const codes = (res.body.errors ?? []).map((e: { extensions: { code: string } }) => e.extensions.code)
  t.notOk(codes.includes('internal'), JSON.stringify(res.body))
  t.ok(codes.includes('validation') || res.body.data?.createTicket?.userErrors?.length > 0)
})
