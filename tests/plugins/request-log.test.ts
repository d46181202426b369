import { Writable } from 'node:stream'
import t from 'tap'
import { buildTestApp, ticketBody } from '../helpers/app.ts'

t.test('one log line per request with id, route, status and workspace; tokens never logged', async (t) => {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line))
      done()
    },
  })
  const ctx = await buildTestApp(t, { LOG_LEVEL: 'info' }, stream)
  const ws = await ctx.createWorkspace()
  lines.length = 0
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/v1/tickets',
    headers: { authorization: `Bearer ${ws.apiKey}`, 'x-request-id': 'req-42' },
    payload: ticketBody(),
  })
  t.equal(res.statusCode, 201)
  await ctx.as('atk_wrong_key_that_should_not_be_logged_0000000').get('/v1/tickets')
  await ctx.anonymous.get('/healthz')
  await ctx.app.inject({ method: 'GET', url: '/metrics' })
  const completed = lines.filter((l) => l.msg === 'request completed')
  t.equal(completed.length, 2, 'one line per request, none for health and metrics probes')
  t.match(completed[0], {
    requestId: 'req-42',
    method: 'POST',
    route: '/v1/tickets',
    status: 201,
    workspaceId: ws.id,
  })
  t.match(completed[1], { status: 401 })
  const all = JSON.stringify(lines)
  t.notOk(all.includes(ws.apiKey), 'the API key is not in the logs')
  t.notOk(all.includes('atk_wrong_key'), 'a rejected token is not in the logs')
})
