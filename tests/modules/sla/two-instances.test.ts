import { sql } from 'drizzle-orm'
import t from 'tap'
import { buildApp } from '../../../src/app.ts'
import { loadConfig } from '../../../src/config.ts'
import { type Database, openDatabase } from '../../../src/db/client.ts'
import { sweepDueTimers } from '../../../src/modules/sla/sweep.ts'
import { buildTestApp, ticketBody } from '../../helpers/app.ts'

/**
 * Two service instances on one database, both running the job workers: every timer that reaches its
 * deadline gets exactly one `sla.breached` event, recorded at the deadline, whichever instance sees it.
 */
const ctx = await buildTestApp(t)
const system = ctx.db.database.db
const TIMERS = 40

/** Another connection to the test's database, as a second process would open it. */
async function secondDatabase(): Promise<Database> {
  if (ctx.db.url) return openDatabase({ url: ctx.db.url, poolSize: 4 })
  // Embedded: one process owns the database, so a second instance shares its connection (not its close).
  const shared = await openDatabase({ pglite: ctx.db.pglite })
  return { ...shared, close: async () => {} }
}

async function instance() {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', JOBS: 'in-process' })
  const app = await buildApp(config, await secondDatabase())
  await app.ready()
  return app
}

async function breachEvents() {
  const result = await system.execute(sql`select data->>'timerId' as timer, count(*)::int as n
    from events where type = 'sla.breached' group by 1`)
  return (result as unknown as { rows: { timer: string; n: number }[] }).rows
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  return false
}

t.test('two instances, each sweeping: every due timer breaches once, at its deadline', async (t) => {
  const ws = await ctx.createWorkspace()
  for (let i = 0; i < TIMERS / 2; i++) {
    const res = await ws.api.post('/v1/tickets', ticketBody({ subject: `ticket ${i}` }))
    t.equal(res.status, 201)
  }
  // As if the service had been down: every resolution clock fell due an hour ago or more, while the
  // first-response clocks fall due within the next few seconds, spread over two seconds.
  await system.execute(sql`update sla_timers set warn_at = null, due_at = case when metric = 'resolution'
    then now() - interval '1 hour' - (random() * interval '1 hour')
    else now() + interval '2 seconds' + (random() * interval '2 seconds') end`)
  const dues = new Map(
    (
      (await system.execute(sql`select id, due_at from sla_timers`)) as unknown as {
        rows: { id: string; due_at: string | Date }[]
      }
    ).rows.map((r) => [r.id, new Date(r.due_at).getTime()]),
  )
  t.equal(dues.size, TIMERS)

  const first = await instance()
  const second = await instance()
  t.teardown(async () => {
    await first.close()
    await second.close()
  })
  const allBreached = await waitFor(async () => (await breachEvents()).length === TIMERS, 30_000)
  t.ok(allBreached, `all ${TIMERS} timers breached by the workers`)
  // Both instances keep sweeping for a while longer: still one event per timer.
  await new Promise((resolve) => setTimeout(resolve, 2_500))
  const events = await breachEvents()
  t.equal(events.length, TIMERS, 'one timer, one breach')
  t.ok(
    events.every((e) => e.n === 1),
    'no timer has two events',
  )
  const rows = (
    (await system.execute(sql`select id, stage, due_at, breached_at from sla_timers`)) as unknown as {
      rows: { id: string; stage: string; due_at: string | Date; breached_at: string | Date }[]
    }
  ).rows
  t.ok(
    rows.every((r) => r.stage === 'breached' && new Date(r.breached_at).getTime() === dues.get(r.id)),
    'each recorded at its own deadline: the missed ones at theirs, not when the instances came back',
  )
  const lag = (
    (await system.execute(sql`select max(extract(epoch from e.created_at - t.due_at))::float as seconds
      from events e join sla_timers t on t.id = (e.data->>'timerId')::uuid
      where e.type = 'sla.breached' and t.metric = 'firstResponse'`)) as unknown as {
      rows: { seconds: number }[]
    }
  ).rows[0]?.seconds
  t.comment(`the latest breach was seen ${lag?.toFixed(2)} s after its deadline`)
  // Workers poll every second and a sweep is sent for each near deadline: seen within seconds, not at
  // the next minute's schedule.
  t.ok(lag !== undefined && lag >= 0 && lag < 15, 'seen within seconds of the deadline, never before it')
  const flagged = await ws.api.get('/v1/tickets?slaBreached=true&limit=100')
  t.equal(flagged.body.data.length, TIMERS / 2, 'every ticket carries the breach')
})

t.test('sweeps racing on two connections never take the same timer twice', async (t) => {
  const ws = await ctx.createWorkspace()
  for (let i = 0; i < 25; i++) await ws.api.post('/v1/tickets', ticketBody({ subject: `race ${i}` }))
  const other = await secondDatabase()
  t.teardown(() => other.close())
  const future = new Date(Date.now() + 400 * 86_400_000)
  const before = (await breachEvents()).length
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, i) => sweepDueTimers(i % 2 === 0 ? system : other.db, future)),
  )
  const breached = results.reduce((sum, r) => sum + r.breached, 0)
  t.equal(breached, 50, 'the 50 clocks of this workspace breached, split between the sweeps')
  const events = await breachEvents()
  t.equal(events.length - before, 50, 'and 50 events')
  t.ok(
    events.every((e) => e.n === 1),
    'none twice',
  )
})
