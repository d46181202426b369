import { sql } from 'drizzle-orm'
import t from 'tap'
import { buildTestApp, ticketBody } from '../helpers/app.ts'

const ctx = await buildTestApp(t)

t.test('healthz answers while the process is up; readyz checks the database and migrations', async (t) => {
  const health = await ctx.anonymous.get('/healthz')
  t.same([health.status, health.body], [200, { status: 'ok' }])
  const ready = await ctx.anonymous.get('/readyz')
  t.same([ready.status, ready.body], [200, { status: 'ready' }])

  await ctx.db.database.db.execute(sql`delete from drizzle.__drizzle_migrations`)
  const unmigrated = await ctx.anonymous.get('/readyz')
  t.equal(unmigrated.status, 503, 'not ready when migrations are missing')
  t.equal(unmigrated.body.code, 'unavailable')
})

t.test('metrics expose request counts and latency by route, and pool usage', async (t) => {
  const ws = await ctx.createWorkspace()
  await ws.api.post('/v1/tickets', ticketBody())
  await ws.api.get('/v1/tickets/1')
  await ws.api.get('/v1/tickets/2')
  const res = await ctx.app.inject({ method: 'GET', url: '/metrics' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain/)
  t.match(
    res.body,
    /http_requests_total\{method="GET",route="\/v1\/tickets\/:idOrNumber",status_code="200"\} 1/,
  )
  t.match(
    res.body,
    /http_requests_total\{method="GET",route="\/v1\/tickets\/:idOrNumber",status_code="404"\} 1/,
  )
  t.match(
    res.body,
    /http_request_duration_seconds_bucket\{le="\+Inf",method="POST",route="\/v1\/tickets",status_code="201"\} 1/,
  )
  t.match(
    res.body,
    /http_request_duration_seconds_count\{method="POST",route="\/v1\/tickets",status_code="201"\} 1/,
  )
  t.match(res.body, /db_pool_total_connections \d+/)
  t.match(res.body, /db_pool_waiting_requests \d+/)
  t.match(res.body, /process_resident_memory_bytes \d+/)
})
