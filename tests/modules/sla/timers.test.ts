import { sql } from 'drizzle-orm'
import t, { type Test } from 'tap'
import { BusinessCalendar } from '../../../src/modules/sla/business-time.ts'
import { sweepDueTimers } from '../../../src/modules/sla/sweep.ts'
import { buildTestApp, ticketBody } from '../../helpers/app.ts'

/**
 * A ticket's clocks through its life, over REST: what starts them, what fulfils, pauses and resumes
 * them, what a re-target keeps, and what a contact sees. Elapsed time is simulated by moving a timer's
 * running stretch into the past (the engine measures from `anchorAt`), so no test waits on the clock.
 */
const ctx = await buildTestApp(t)
const system = ctx.db.database.db
const MINUTE = 60_000

async function must(res: Promise<{ status: number; text: string; body: any }>, status: number) {
  const r = await res
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status} ${r.text}`)
  return r.body
}

/** A workspace whose Standard policy counts calendar time, so deadlines are plain arithmetic. */
async function clockWorkspace(app = ctx) {
  const ws = await app.createWorkspace()
  const policies = await must(ws.api.get('/v1/sla-policies'), 200)
  const standard = policies.data.find((p: { name: string }) => p.name === 'Standard')
  await must(
    ws.api.patch(`/v1/sla-policies/${standard.id}`, {
      targets: [
        { metric: 'firstResponse', minutes: 60, businessHours: false, warnBeforeMinutes: 10 },
        { metric: 'nextResponse', minutes: 30, businessHours: false },
        { metric: 'resolution', minutes: 240, businessHours: false },
        { priority: 'urgent', metric: 'resolution', minutes: 120, businessHours: false },
      ],
    }),
    200,
  )
  return { ws, standard }
}

const timerOf = (sla: any, metric: string, instance = 1) =>
  sla.timers.find((x: { metric: string; instance: number }) => x.metric === metric && x.instance === instance)

/** Moves a timer `minutes` into the past (start, running stretch, deadlines), as if that much time had gone by. */
async function age(timerId: string, minutes: number, on = system) {
  await on.execute(sql`update sla_timers set anchor_at = anchor_at - make_interval(mins => ${minutes}),
    started_at = started_at - make_interval(mins => ${minutes}), due_at = due_at - make_interval(mins => ${minutes}),
    warn_at = warn_at - make_interval(mins => ${minutes}) where id = ${timerId}`)
}

const near = (t: Test, actual: string | null, expected: number, message: string, slackMs = 5_000) =>
  t.ok(
    actual !== null && Math.abs(Date.parse(actual) - expected) <= slackMs,
    `${message} (got ${actual}, expected ≈ ${new Date(expected).toISOString()})`,
  )

t.test('create starts first response and resolution; a staff reply fulfils the first response', async (t) => {
  const { ws, standard } = await clockWorkspace()
  const ticket = await must(ws.api.post('/v1/tickets', ticketBody()), 201)
  const created = Date.parse(ticket.createdAt)
  const sla = await must(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
  t.equal(sla.policy.id, standard.id)
  t.same(sla.timers.map((x: { metric: string }) => x.metric).sort(), ['firstResponse', 'resolution'])
  const first = timerOf(sla, 'firstResponse')
  t.match(first, { stage: 'active', targetMinutes: 60, businessHours: false, calendarId: null })
  t.equal(Date.parse(first.dueAt), created + 60 * MINUTE, 'due an hour after creation')
  t.equal(Date.parse(first.warnAt), created + 50 * MINUTE, 'warned ten minutes before')
  t.equal(Date.parse(timerOf(sla, 'resolution').dueAt), created + 240 * MINUTE)
  t.equal(ticket.sla.nextDueAt, first.dueAt, 'the ticket carries its nearest deadline')
  t.equal(sla.responseDueAt, first.dueAt)

  // An internal note is no answer; a public reply is.
  await must(
    ws.api.post(`/v1/tickets/${ticket.id}/messages`, { body: 'checking', visibility: 'internal' }),
    201,
  )
  t.equal(
    timerOf(await must(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200), 'firstResponse').stage,
    'active',
  )
  await must(ws.api.post(`/v1/tickets/${ticket.id}/messages`, { body: 'On its way.' }), 201)
  const after = await must(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
  t.match(timerOf(after, 'firstResponse'), { stage: 'fulfilled', fulfilledAt: String })
  t.equal(after.responseDueAt, null, 'nobody waits for an answer')
  t.equal(after.nextDueAt, timerOf(after, 'resolution').dueAt, 'the resolution deadline is next')
  const events = await must(ws.api.get(`/v1/tickets/${ticket.id}/events`), 200)
  const reply = events.data.find(
    (e: { type: string; data: { visibility?: string } }) =>
      e.type === 'ticket.message_added' && e.data.visibility === 'public',
  )
  t.same(
    reply.changes.slaNextDueAt,
    [first.dueAt, timerOf(after, 'resolution').dueAt],
    'the history shows the move',
  )
})

t.test('each unanswered customer turn starts one next-response clock', async (t) => {
  const { ws } = await clockWorkspace()
  const ticket = await must(ws.api.post('/v1/tickets', ticketBody()), 201)
  const say = (body: string) =>
    must(ws.api.post(`/v1/tickets/${ticket.id}/messages`, { body, author: 'requester' }), 201)
  await say('Any news?')
  let sla = await must(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
  t.notOk(timerOf(sla, 'nextResponse'), 'before the first answer, the first-response clock covers it')
  await must(ws.api.post(`/v1/tickets/${ticket.id}/messages`, { body: 'Looking.' }), 201)
  const asked = Date.now()
  await say('Still nothing.')
  await say('Hello?')
  sla = await must(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
  const next = timerOf(sla, 'nextResponse')
  t.match(next, { instance: 1, stage: 'active', targetMinutes: 30 })
  t.notOk(timerOf(sla, 'nextResponse', 2), 'the second message waits on the same clock')
  near(t, next.dueAt, asked + 30 * MINUTE, 'due 30 minutes after the oldest unanswered message')
  t.equal(sla.responseDueAt, next.dueAt)
  await must(ws.api.post(`/v1/tickets/${ticket.id}/messages`, { body: 'Found it.' }), 201)
  await say('Thanks, one more thing.')
  sla = await must(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
  t.equal(timerOf(sla, 'nextResponse', 1).stage, 'fulfilled')
  t.equal(timerOf(sla, 'nextResponse', 2).stage, 'active', 'a new turn, a new instance')
})

t.test(
  'pending pauses resolution and keeps the time used; reopening a solved ticket resumes it',
  async (t) => {
    const { ws } = await clockWorkspace()
    const ticket = await must(ws.api.post('/v1/tickets', ticketBody()), 201)
    let sla = await must(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
    await age(timerOf(sla, 'resolution').id, 100)
    await age(timerOf(sla, 'firstResponse').id, 30)

    await must(ws.api.patch(`/v1/tickets/${ticket.id}`, { status: 'pending' }), 200)
    sla = await must(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
    t.match(timerOf(sla, 'resolution'), { stage: 'paused', dueAt: null, businessMinutesUsed: 100 })
    t.equal(timerOf(sla, 'firstResponse').stage, 'active', 'the customer still waits for an answer')

    const resumed = Date.now()
    await must(ws.api.patch(`/v1/tickets/${ticket.id}`, { status: 'open' }), 200)
    sla = await must(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
    const resolution = timerOf(sla, 'resolution')
    t.match(resolution, {
      stage: 'active',
      pausedAt: null,
      businessMinutesUsed: 100,
      businessMinutesRemaining: 140,
    })
    near(t, resolution.dueAt, resumed + 140 * MINUTE, 'the remaining 140 minutes count from the resume')

    // An urgent ticket's resolution target is 120 minutes: 100 used, 20 remain, from now.
    const retargeted = Date.now()
    await must(ws.api.patch(`/v1/tickets/${ticket.id}`, { priority: 'urgent' }), 200)
    sla = await must(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
    t.match(timerOf(sla, 'resolution'), {
      targetMinutes: 120,
      businessMinutesUsed: 100,
      businessMinutesRemaining: 20,
    })
    near(t, timerOf(sla, 'resolution').dueAt, retargeted + 20 * MINUTE, 'time used stays used')

    await must(ws.api.patch(`/v1/tickets/${ticket.id}`, { status: 'solved' }), 200)
    sla = await must(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
    t.ok(
      sla.timers.every((x: { fulfilledAt: string | null }) => x.fulfilledAt !== null),
      'solving fulfils every clock',
    )
    t.equal(sla.nextDueAt, null)
    await must(ws.api.patch(`/v1/tickets/${ticket.id}`, { status: 'open' }), 200)
    sla = await must(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
    t.match(timerOf(sla, 'resolution'), { stage: 'active', fulfilledAt: null, businessMinutesUsed: 100 })
    t.equal(timerOf(sla, 'firstResponse').stage, 'fulfilled', 'a reopen resumes resolution only')
  },
)

t.test('a re-target whose time is already spent breaches now, never earlier', async (t) => {
  const { ws } = await clockWorkspace()
  const ticket = await must(ws.api.post('/v1/tickets', ticketBody()), 201)
  let sla = await must(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
  await age(timerOf(sla, 'resolution').id, 150)
  const before = Date.now()
  await must(ws.api.patch(`/v1/tickets/${ticket.id}`, { priority: 'urgent' }), 200)
  sla = await must(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
  const resolution = timerOf(sla, 'resolution')
  t.equal(resolution.stage, 'breached')
  t.ok(Date.parse(resolution.breachedAt) >= before, 'recorded when the new target made it late')
  t.equal(sla.breached, true)
  const events = await must(ws.api.get(`/v1/tickets/${ticket.id}/events`), 200)
  const breaches = events.data.filter((e: { type: string }) => e.type === 'sla.breached')
  t.equal(breaches.length, 1)
  t.match(breaches[0], { actor: { kind: 'system' }, data: { metric: 'resolution', timerId: resolution.id } })
})

t.test(
  'the sweep breaches at the deadline, once; the queue sorts by deadline and filters breaches',
  async (t) => {
    // The sweep serves every workspace of a database: this test has a database of its own.
    const own = await buildTestApp(t)
    const system = own.db.database.db
    const { ws } = await clockWorkspace(own)
    const early = await must(ws.api.post('/v1/tickets', ticketBody({ subject: 'early' })), 201)
    const late = await must(ws.api.post('/v1/tickets', ticketBody({ subject: 'late' })), 201)
    const none = await must(ws.api.post('/v1/tickets', ticketBody({ subject: 'solved' })), 201)
    await must(ws.api.patch(`/v1/tickets/${none.id}`, { status: 'solved' }), 200)
    const earlySla = await must(ws.api.get(`/v1/tickets/${early.id}/sla`), 200)
    await age(timerOf(earlySla, 'firstResponse').id, 30, system)

    const queue = await must(ws.api.get('/v1/tickets?sort=slaDueAt&limit=2'), 200)
    t.same(
      queue.data.map((x: { subject: string }) => x.subject),
      ['early', 'late'],
      'the nearest deadline first',
    )
    const rest = await must(ws.api.get(`/v1/tickets?sort=slaDueAt&limit=2&cursor=${queue.nextCursor}`), 200)
    t.same(
      rest.data.map((x: { subject: string }) => x.subject),
      ['solved'],
      'no deadline: last',
    )

    // The early ticket's first response was due an hour after it was (as if) created: half an hour from now.
    const due = Date.parse(
      timerOf(await must(ws.api.get(`/v1/tickets/${early.id}/sla`), 200), 'firstResponse').dueAt,
    )
    t.same(
      await sweepDueTimers(system, new Date(due - 1)),
      { warned: 1, breached: 0 },
      'ten minutes before: a warning',
    )
    const swept = await sweepDueTimers(system, new Date(due + 5 * MINUTE))
    t.same(swept, { warned: 0, breached: 1 }, 'five minutes after the deadline: one breach')
    t.same(
      await sweepDueTimers(system, new Date(due + 6 * MINUTE)),
      { warned: 0, breached: 0 },
      'and only once',
    )
    const sla = await must(ws.api.get(`/v1/tickets/${early.id}/sla`), 200)
    t.equal(
      timerOf(sla, 'firstResponse').breachedAt,
      new Date(due).toISOString(),
      'breached at the deadline itself',
    )
    const breached = await must(ws.api.get('/v1/tickets?slaBreached=true'), 200)
    t.same(
      breached.data.map((x: { id: string }) => x.id),
      [early.id],
    )
    const kept = await must(ws.api.get('/v1/tickets?slaBreached=false'), 200)
    t.same(kept.data.map((x: { id: string }) => x.id).sort(), [late.id, none.id].sort())
    const events = await must(ws.api.get(`/v1/tickets/${early.id}/events`), 200)
    t.same(
      events.data
        .filter((e: { type: string }) => e.type.startsWith('sla.'))
        .map((e: { type: string }) => e.type),
      ['sla.warning', 'sla.breached'],
    )

    // Answering late fulfils the clock but the breach stands, and the report counts it.
    await must(ws.api.post(`/v1/tickets/${early.id}/messages`, { body: 'Sorry for the wait.' }), 201)
    await must(ws.api.post(`/v1/tickets/${late.id}/messages`, { body: 'Here you go.' }), 201)
    const report = await must(ws.api.get('/v1/reports/sla?groupBy=policy'), 200)
    t.equal(report.groups.length, 1)
    t.match(report.groups[0], {
      name: 'Standard',
      metrics: {
        firstResponse: { total: 3, met: 2, breached: 1, open: 0, metPercent: 66.7 },
        resolution: { total: 3, met: 1, breached: 0, open: 2 },
      },
    })
    const figures = report.groups[0].metrics.firstResponse
    // Answered after 0, 0 and 30 minutes: the 90th percentile interpolates to 0.8 × 30 = 24.
    t.ok(
      figures.p90BusinessMinutes >= 24 && figures.p90BusinessMinutes < 25,
      `p90 reflects the late answer (${figures.p90BusinessMinutes})`,
    )
    t.ok(figures.medianBusinessMinutes < 1, 'the median answer was immediate')
  },
)

t.test('a breach stays on the record when the clock stops applying', async (t) => {
  const { ws, standard } = await clockWorkspace()
  const ticket = await must(ws.api.post('/v1/tickets', ticketBody()), 201)
  let sla = await must(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
  const first = timerOf(sla, 'firstResponse')
  await age(first.id, 90)
  // The policy goes away while the first response is 30 minutes late, before any sweep saw it.
  await must(ws.api.patch(`/v1/sla-policies/${standard.id}`, { enabled: false }), 200)
  sla = await must(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
  t.same(
    sla.timers.map((x: { metric: string; stage: string }) => [x.metric, x.stage]),
    [['firstResponse', 'breached']],
    'the breached clock stays; the resolution clock that no longer applies goes',
  )
  t.equal(
    timerOf(sla, 'firstResponse').breachedAt,
    first.dueAt ? new Date(Date.parse(first.dueAt) - 90 * MINUTE).toISOString() : null,
    'breached at its own deadline',
  )
  t.equal(sla.breached, true)
  const report = await must(ws.api.get('/v1/reports/sla?groupBy=policy'), 200)
  t.match(
    report.groups[0],
    { name: 'Standard', metrics: { firstResponse: { breached: 1 } } },
    'and the report counts it',
  )
  // Answering fulfils it; the breach stands.
  await must(ws.api.post(`/v1/tickets/${ticket.id}/messages`, { body: 'Sorry.' }), 201)
  sla = await must(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
  t.match(timerOf(sla, 'firstResponse'), { stage: 'breached', fulfilledAt: String })
})

t.test('SLA internals stay out of reach of contacts and of impossible dates', async (t) => {
  const { ws } = await clockWorkspace()
  await must(ws.api.post('/v1/contacts', { externalId: 'sla-d', email: 'sla-d@example.com' }), 201)
  const customer = ctx.as(ctx.contactToken(ws, { sub: 'sla-d' }))
  await must(customer.post('/v1/tickets', { subject: 'Help', message: { body: 'Please' } }), 201)
  t.equal((await customer.get('/v1/tickets?slaBreached=true')).status, 403, 'no filtering by breach')
  t.equal(
    (await customer.get('/v1/tickets?sort=slaDueAt')).status,
    403,
    'no ordering (or cursors) by deadline',
  )
  const graphql = await customer.post('/graphql', {
    query: '{ tickets(sort: { field: slaDueAt, direction: ASC }) { nodes { id } } }',
  })
  t.equal(graphql.body.errors?.[0]?.extensions?.code, 'forbidden', 'nor over GraphQL')
  t.equal((await customer.get('/v1/tickets')).status, 200)
  for (const query of [
    'from=0000-01-01T00:00:00Z',
    'to=0001-01-10T00:00:00Z',
    'from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z',
  ]) {
    const res = await ws.api.get(`/v1/reports/sla?${query}`)
    t.equal(res.status, 400, `report ${query}: 400`)
  }
  const cursor = Buffer.from(
    JSON.stringify(['0000-06-01T00:00:00.000Z', '00000000-0000-0000-0000-000000000000']),
  ).toString('base64url')
  t.equal(
    (await ws.api.get(`/v1/tickets?sort=slaDueAt&cursor=${cursor}`)).status,
    400,
    'a cursor from year 0 is garbage',
  )
})

t.test('a contact sees when their answer is due, and nothing else of the SLA', async (t) => {
  const { ws } = await clockWorkspace()
  await must(ws.api.post('/v1/contacts', { externalId: 'sla-c', email: 'sla-c@example.com' }), 201)
  const customer = ctx.as(ctx.contactToken(ws, { sub: 'sla-c' }))
  const ticket = await must(
    customer.post('/v1/tickets', { subject: 'Help', message: { body: 'Please' } }),
    201,
  )
  t.same(ticket.sla, { nextDueAt: null, breached: false }, 'the ticket shows no SLA internals')
  const sla = await must(customer.get(`/v1/tickets/${ticket.id}/sla`), 200)
  const staff = await must(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
  t.same(sla, { ticketId: ticket.id, responseDueAt: timerOf(staff, 'firstResponse').dueAt })
  const other = await must(ws.api.post('/v1/tickets', ticketBody()), 201)
  t.equal(
    (await customer.get(`/v1/tickets/${other.id}/sla`)).status,
    404,
    "another customer's ticket is not there",
  )
})

t.test('editing a calendar moves the deadlines of the timers that count on it', async (t) => {
  const ws = await ctx.createWorkspace()
  const calendars = await must(ws.api.get('/v1/business-hours'), 200)
  const office = calendars.data.find((c: { isDefault: boolean }) => c.isDefault)
  const ticket = await must(ws.api.post('/v1/tickets', ticketBody()), 201)
  let sla = await must(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
  const first = timerOf(sla, 'firstResponse')
  t.match(first, { calendarId: office.id, businessHours: true, targetMinutes: 1440 })
  const weekdays = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday']
  const nineToSix = new BusinessCalendar({
    timeZone: 'UTC',
    weekly: [...weekdays.map(() => [[540, 1080]] as [number, number][]), [], []],
  })
  t.equal(
    Date.parse(first.dueAt),
    nineToSix.addMs(Date.parse(ticket.createdAt), 1440 * MINUTE),
    '24 business hours on Monday–Friday 09:00–18:00 UTC',
  )

  // Open around the clock every day from now on: what remains counts on the new hours, from the edit.
  const edited = Date.now()
  const used = nineToSix.msBetween(Date.parse(ticket.createdAt), edited)
  const changed = await must(
    ws.api.patch(`/v1/business-hours/${office.id}`, {
      intervals: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map(
        (day) => ({
          day,
          start: '00:00',
          end: '24:00',
        }),
      ),
    }),
    200,
  )
  t.equal(changed.version, office.version + 1)
  sla = await must(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
  near(
    t,
    timerOf(sla, 'firstResponse').dueAt,
    edited + 1440 * MINUTE - used,
    'the rest of the 24 hours, around the clock',
  )
  t.equal(sla.nextDueAt, timerOf(sla, 'firstResponse').dueAt, "the ticket's summary follows")

  // A department's own calendar takes over for its tickets.
  const night = await must(
    ws.api.post('/v1/business-hours', {
      name: 'Nights',
      timeZone: 'Europe/Madrid',
      intervals: [{ day: 'sunday', start: '22:00', end: '23:00' }],
    }),
    201,
  )
  await must(ws.api.patch('/v1/departments/general', { calendarId: night.id }), 200)
  sla = await must(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
  t.equal(timerOf(sla, 'firstResponse').calendarId, night.id, 'the open ticket of the department moved')
  t.ok(
    Date.parse(timerOf(sla, 'firstResponse').dueAt) > Date.now() + 20 * 7 * 86_400_000,
    'an hour a week: months away',
  )
})
