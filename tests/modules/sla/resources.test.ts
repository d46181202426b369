import t, { type Test } from 'tap'
import { buildTestApp, type Client, ticketBody, type Workspace } from '../../helpers/app.ts'

/**
 * The SLA resources: business-hours calendars and SLA policies, over REST and GraphQL, with what a new
 * workspace is seeded with and how policy changes move the open tickets' timers.
 */
const ctx = await buildTestApp(t)

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000'
const MINUTE = 60_000
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

async function ok(res: Promise<{ status: number; text: string; body: any }>, status = 201) {
  const done = await res
  if (done.status !== status) throw new Error(`expected ${status}, got ${done.status}: ${done.text}`)
  return done.body
}

const weekdays = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']
const officeDays = weekdays.slice(0, 5).map((day) => ({ day, start: '09:00', end: '18:00' }))
const allDay = weekdays.map((day) => ({ day, start: '00:00', end: '24:00' }))

const splitShifts = [
  { day: 'monday', start: '09:00', end: '14:00' },
  { day: 'monday', start: '16:00', end: '19:00' },
  { day: 'tuesday', start: '09:00', end: '14:00' },
]

function calendarBody(overrides: Record<string, unknown> = {}) {
  return {
    name: 'Madrid office',
    timeZone: 'Europe/Madrid',
    intervals: splitShifts,
    ...overrides,
  }
}

interface Named {
  id: string
  name: string
  position: number
  isDefault: boolean
}

async function calendarsOf(api: Client): Promise<Named[]> {
  return (await ok(api.get('/v1/business-hours?limit=100'), 200)).data
}

async function policiesOf(api: Client): Promise<Named[]> {
  return (await ok(api.get('/v1/sla-policies?limit=100'), 200)).data
}

const order = (list: Named[]) => list.map((p) => [p.position, p.name])

/** A stored target with the documented defaults; override any field. */
function storedTarget(metric: string, minutes: number, overrides: Record<string, unknown> = {}) {
  return {
    priorityId: null,
    metric,
    minutes,
    businessHours: true,
    calendarId: null,
    warnBeforeMinutes: null,
    pauseOn: metric === 'resolution' ? ['pending', 'on_hold'] : [],
    ...overrides,
  }
}

async function prioritiesOf(ws: Workspace): Promise<Record<string, string>> {
  const list = await ok(ws.api.get('/v1/priorities'), 200)
  return Object.fromEntries(list.data.map((p: { slug: string; id: string }) => [p.slug, p.id]))
}

/** A 400 problem whose `errors[].path` are exactly these. */
function isInvalid(
  t: Test,
  res: { status: number; body: any; text: string },
  paths: string[],
  message?: string,
) {
  t.equal(res.status, 400, message ?? paths.join(', '))
  t.equal(res.body?.code, 'validation', `${message ?? paths.join(', ')}: code`)
  t.same(
    (res.body?.errors ?? []).map((e: { path: string }) => e.path),
    paths,
    `${message ?? paths.join(', ')}: paths`,
  )
}

t.test('a new workspace: office hours (default), 24/7, and the Chat and Standard policies', async (t) => {
  const ws = await ctx.createWorkspace()
  const list = await ws.api.get('/v1/business-hours')
  t.equal(list.status, 200)
  t.equal(list.body.data.length, 2)
  t.equal(list.body.nextCursor, null)
  const office = list.body.data.find((c: Named) => c.name === 'Office hours')
  const always = list.body.data.find((c: Named) => c.name === '24/7')
  t.match(office, {
    timeZone: 'UTC',
    isDefault: true,
    builtIn: false,
    holidays: [],
    holidayRegions: [],
    version: 1,
    createdAt: ISO,
  })
  t.same(office.intervals, officeDays, 'Monday to Friday, 09:00–18:00')
  t.match(always, { timeZone: 'UTC', isDefault: false, builtIn: true, holidays: [], holidayRegions: [] })
  t.same(always.intervals, allDay, 'every day, all day')

  const p = await prioritiesOf(ws)
  const policies = await ws.api.get('/v1/sla-policies')
  t.equal(policies.status, 200)
  t.same(order(policies.body.data), [
    [1, 'Chat'],
    [2, 'Standard'],
  ])
  const [chat, standard] = policies.body.data
  t.match(chat, { enabled: true, version: 1, description: /minutes/ })
  t.same(chat.conditions, { channels: ['chat'] })
  t.same(chat.targets, [
    storedTarget('firstResponse', 5, { businessHours: false }),
    storedTarget('nextResponse', 5, { businessHours: false }),
  ])
  t.same(standard.conditions, {}, 'Standard takes every other ticket')
  t.same(standard.targets, [
    storedTarget('firstResponse', 1440, { warnBeforeMinutes: 120 }),
    storedTarget('nextResponse', 1440, { warnBeforeMinutes: 120 }),
    storedTarget('resolution', 4320, { warnBeforeMinutes: 480 }),
    storedTarget('firstResponse', 480, { priorityId: p.high, warnBeforeMinutes: 60 }),
    storedTarget('nextResponse', 480, { priorityId: p.high, warnBeforeMinutes: 60 }),
    storedTarget('resolution', 2880, { priorityId: p.high, warnBeforeMinutes: 240 }),
    storedTarget('firstResponse', 60, { priorityId: p.urgent, warnBeforeMinutes: 15, businessHours: false }),
    storedTarget('nextResponse', 120, { priorityId: p.urgent, warnBeforeMinutes: 15, businessHours: false }),
    storedTarget('resolution', 1440, { priorityId: p.urgent, warnBeforeMinutes: 120, businessHours: false }),
  ])
})

t.test('calendars: create with split shifts, holidays and regions; get; paginate', async (t) => {
  const ws = await ctx.createWorkspace()
  const body = calendarBody({
    holidays: [{ date: '2026-12-24', name: 'Christmas Eve' }],
    holidayRegions: ['ES', 'ES-MD'],
  })
  const created = await ws.api.post('/v1/business-hours', body)
  t.equal(created.status, 201, created.text)
  t.equal(created.headers.location, `/v1/business-hours/${created.body.id}`)
  t.match(created.body, {
    name: 'Madrid office',
    timeZone: 'Europe/Madrid',
    isDefault: false,
    builtIn: false,
    version: 1,
    createdAt: ISO,
    updatedAt: ISO,
  })
  t.same(created.body.intervals, splitShifts, 'both Monday shifts kept')
  t.same(created.body.holidays, [{ date: '2026-12-24', name: 'Christmas Eve' }])
  t.same(created.body.holidayRegions, ['ES', 'ES-MD'])

  const got = await ws.api.get(`/v1/business-hours/${created.body.id}`)
  t.equal(got.status, 200)
  t.same(got.body, created.body)

  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const page: { status: number; body: { data: Named[]; nextCursor: string | null } } = await ws.api.get(
      `/v1/business-hours?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    )
    t.equal(page.status, 200)
    t.ok(page.body.data.length <= 1, 'at most limit items')
    seen.push(...page.body.data.map((c) => c.id))
    cursor = page.body.nextCursor
    pages++
  } while (cursor && pages < 10)
  t.equal(pages, 3, 'three calendars, one per page (the last has no next cursor)')
  t.equal(new Set(seen).size, 3, 'no calendar twice')
  t.ok(seen.includes(created.body.id), 'the new calendar is listed')

  t.equal((await ws.api.get(`/v1/business-hours/${UNKNOWN_ID}`)).status, 404)
  t.equal((await ws.api.get('/v1/business-hours/not-a-uuid')).status, 404)
  const other = await ctx.createWorkspace()
  t.equal((await other.api.get(`/v1/business-hours/${created.body.id}`)).status, 404, 'per workspace')
})

t.test('calendars: invalid definitions are 400 problems naming the field', async (t) => {
  const ws = await ctx.createWorkspace()
  const post = (overrides: Record<string, unknown>) =>
    ws.api.post('/v1/business-hours', calendarBody(overrides))
  const monday = (start: string, end: string) => ({ day: 'monday', start, end })

  isInvalid(t, await post({ intervals: [monday('09:00', '14:00'), monday('13:00', '19:00')] }), [
    '/intervals/1',
  ])
  isInvalid(
    t,
    await post({
      intervals: [
        monday('13:00', '19:00'),
        { day: 'tuesday', start: '13:00', end: '19:00' },
        monday('09:00', '14:00'),
      ],
    }),
    ['/intervals/0'],
    'the later interval of the pair is named, whatever the order sent',
  )
  isInvalid(
    t,
    await post({ intervals: [monday('10:00', '09:00')] }),
    ['/intervals/0/end'],
    'end before start',
  )
  isInvalid(t, await post({ intervals: [monday('10:00', '10:00')] }), ['/intervals/0/end'], 'empty interval')
  isInvalid(t, await post({ intervals: [monday('22:00', '24:30')] }), ['/intervals/0/end'], 'end after 24:00')
  isInvalid(t, await post({ intervals: [monday('24:00', '24:00')] }), ['/intervals/0/start'], 'start 24:00')
  isInvalid(t, await post({ timeZone: 'Mars/Olympus_Mons' }), ['/timeZone'])
  isInvalid(t, await post({ holidayRegions: ['ES-XX'] }), ['/holidayRegions/0'])
  isInvalid(t, await post({ holidayRegions: ['ES', 'XX'] }), ['/holidayRegions/1'])
  const badDate = await post({ holidays: [{ date: '2026-02-30', name: 'Nope' }] })
  t.equal(badDate.status, 400)
  t.ok(
    badDate.body.errors.length > 0 &&
      badDate.body.errors.every((e: { path: string }) => e.path === '/holidays/0/date'),
    '2026-02-30 is not a date',
  )
  isInvalid(t, await post({ intervals: [] }), ['/intervals'], 'a calendar must open at least once')
  isInvalid(t, await post({ color: 'red' }), ['/color'], 'unknown top-level field')
  isInvalid(
    t,
    await post({ intervals: [{ day: 'monday', start: '09:00', end: '10:00', note: 'x' }] }),
    ['/intervals/0/note'],
    'unknown interval field',
  )
  isInvalid(t, await post({ intervals: [monday('9:00', '10:00')] }), ['/intervals/0/start'], 'HH:MM only')
  const missing = await ws.api.post('/v1/business-hours', { name: 'No hours', timeZone: 'UTC' })
  isInvalid(t, missing, ['/intervals'], 'intervals are required')
  t.equal((await calendarsOf(ws.api)).length, 2, 'nothing was created')
})

t.test('calendars: every overlapping interval is reported', async (t) => {
  // 10–11 and 12–13 both fall inside 09–18: each overlaps interval 0.
  const ws = await ctx.createWorkspace()
  const res = await ws.api.post(
    '/v1/business-hours',
    calendarBody({
      intervals: [
        { day: 'monday', start: '09:00', end: '18:00' },
        { day: 'monday', start: '10:00', end: '11:00' },
        { day: 'monday', start: '12:00', end: '13:00' },
      ],
    }),
  )
  isInvalid(t, res, ['/intervals/1', '/intervals/2'])
})

t.test('calendars: the built-in and the default, and making another the default', async (t) => {
  const ws = await ctx.createWorkspace()
  const seeded = await calendarsOf(ws.api)
  const office = seeded.find((c) => c.name === 'Office hours') as Named
  const always = seeded.find((c) => c.name === '24/7') as Named

  const builtIn = await ws.api.patch(`/v1/business-hours/${always.id}`, { name: 'Always' })
  t.equal(builtIn.status, 409)
  t.equal(builtIn.body.code, 'conflict')
  const builtInHours = await ws.api.patch(`/v1/business-hours/${always.id}`, { timeZone: 'Europe/Madrid' })
  t.equal(builtInHours.status, 409)
  t.equal((await ok(ws.api.get(`/v1/business-hours/${always.id}`), 200)).name, '24/7', 'unchanged')

  isInvalid(t, await ws.api.patch(`/v1/business-hours/${office.id}`, { isDefault: false }), ['/isDefault'])
  t.equal((await ok(ws.api.get(`/v1/business-hours/${office.id}`), 200)).isDefault, true)

  const madrid = await ok(ws.api.post('/v1/business-hours', calendarBody({ isDefault: true })))
  t.equal(madrid.isDefault, true)
  let defaults = (await calendarsOf(ws.api)).filter((c) => c.isDefault).map((c) => c.id)
  t.same(defaults, [madrid.id], 'the new default unset the previous one')

  const back = await ws.api.patch(`/v1/business-hours/${office.id}`, { isDefault: true })
  t.equal(back.status, 200)
  t.equal(back.body.isDefault, true)
  t.equal(back.body.version, 1, 'becoming the default does not change the hours')
  defaults = (await calendarsOf(ws.api)).filter((c) => c.isDefault).map((c) => c.id)
  t.same(defaults, [office.id])

  t.equal((await ws.api.patch(`/v1/business-hours/${UNKNOWN_ID}`, { name: 'x' })).status, 404)
  isInvalid(t, await ws.api.patch(`/v1/business-hours/${office.id}`, {}), ['/'], 'an empty patch')
})

t.test('calendars: version follows the hours, zone and holidays, not the name', async (t) => {
  const ws = await ctx.createWorkspace()
  const cal = await ok(ws.api.post('/v1/business-hours', calendarBody()))
  const patch = async (body: Record<string, unknown>) =>
    ok(ws.api.patch(`/v1/business-hours/${cal.id}`, body), 200)

  const renamed = await patch({ name: 'Madrid HQ' })
  t.equal(renamed.name, 'Madrid HQ')
  t.equal(renamed.version, 1, 'a rename keeps the version')
  t.equal((await patch({ intervals: officeDays })).version, 2, 'new hours')
  t.equal((await patch({ timeZone: 'America/New_York' })).version, 3, 'new zone')
  t.equal((await patch({ holidays: [{ date: '2026-07-04', name: 'Independence Day' }] })).version, 4)
  t.equal((await patch({ holidayRegions: ['US'] })).version, 5)
  t.equal((await patch({ name: 'New York' })).version, 5)
  const got = await ok(ws.api.get(`/v1/business-hours/${cal.id}`), 200)
  t.same(got.intervals, officeDays)
  t.equal(got.timeZone, 'America/New_York')
  t.same(got.holidayRegions, ['US'])

  isInvalid(
    t,
    await ws.api.patch(`/v1/business-hours/${cal.id}`, {
      intervals: [
        { day: 'friday', start: '09:00', end: '12:00' },
        { day: 'friday', start: '11:00', end: '13:00' },
      ],
    }),
    ['/intervals/1'],
    'a PATCH is checked like a create',
  )
  t.equal((await ok(ws.api.get(`/v1/business-hours/${cal.id}`), 200)).version, 5, 'refused: unchanged')
})

t.test('PATCHing what is already stored changes nothing (calendar hours, policy targets)', async (t) => {
  const ws = await ctx.createWorkspace()
  const cal = await ok(ws.api.post('/v1/business-hours', calendarBody()))
  const same = await ok(ws.api.patch(`/v1/business-hours/${cal.id}`, { intervals: splitShifts }), 200)
  t.equal(same.version, 1, 'the same intervals are not new hours')
  t.equal(same.updatedAt, cal.updatedAt, 'nothing was written')

  // The same with a policy's targets, sent back as GET shows them.
  const standard = (await policiesOf(ws.api)).find((x) => x.name === 'Standard') as Named & {
    targets: ({ priorityId: string | null } & Record<string, unknown>)[]
    version: number
    updatedAt: string
  }
  const targets = standard.targets.map(({ priorityId, ...rest }) => ({ ...rest, priority: priorityId }))
  const resent = await ok(ws.api.patch(`/v1/sla-policies/${standard.id}`, { targets }), 200)
  t.same(resent.targets, standard.targets, 'the targets read back the same')
  t.equal(resent.version, standard.version, 'the same targets are no change')
  t.equal(resent.updatedAt, standard.updatedAt, 'nothing was written')
})

t.test('calendars: deleting, and what may not be deleted', async (t) => {
  const ws = await ctx.createWorkspace()
  const seeded = await calendarsOf(ws.api)
  const office = seeded.find((c) => c.name === 'Office hours') as Named
  const always = seeded.find((c) => c.name === '24/7') as Named

  t.equal((await ws.api.delete(`/v1/business-hours/${always.id}`)).status, 409, 'built in')
  const isDefault = await ws.api.delete(`/v1/business-hours/${office.id}`)
  t.equal(isDefault.status, 409, 'the default')
  t.equal(isDefault.body.code, 'conflict')

  // A department's calendar.
  const forDept = await ok(ws.api.post('/v1/business-hours', calendarBody({ name: 'Support hours' })))
  const assigned = await ws.api.patch('/v1/departments/general', { calendarId: forDept.id })
  t.equal(assigned.status, 200, assigned.text)
  t.equal((await ok(ws.api.get('/v1/departments/general'), 200)).calendarId, forDept.id)
  const inUse = await ws.api.delete(`/v1/business-hours/${forDept.id}`)
  t.equal(inUse.status, 409, 'named by a department')
  t.match(inUse.body.detail, /1 departments/)
  await ok(ws.api.patch('/v1/departments/general', { calendarId: null }), 200)
  t.equal((await ok(ws.api.get('/v1/departments/general'), 200)).calendarId, null)
  t.equal((await ws.api.delete(`/v1/business-hours/${forDept.id}`)).status, 204, 'free once unassigned')

  // A department's calendar must exist in the workspace.
  isInvalid(t, await ws.api.patch('/v1/departments/general', { calendarId: UNKNOWN_ID }), ['/calendarId'])
  isInvalid(
    t,
    await ws.api.patch('/v1/departments/general', { calendarId: forDept.id }),
    ['/calendarId'],
    'deleted',
  )
  const other = await ctx.createWorkspace()
  const foreign = (await calendarsOf(other.api))[0] as Named
  isInvalid(
    t,
    await ws.api.patch('/v1/departments/general', { calendarId: foreign.id }),
    ['/calendarId'],
    'foreign',
  )
  t.equal((await ok(ws.api.get('/v1/departments/general'), 200)).calendarId, null)

  // A policy target's calendar.
  const forPolicy = await ok(ws.api.post('/v1/business-hours', calendarBody({ name: 'VIP hours' })))
  const policy = await ok(
    ws.api.post('/v1/sla-policies', {
      name: 'VIP',
      conditions: { tagsAll: ['vip'] },
      targets: [{ metric: 'firstResponse', minutes: 60, calendarId: forPolicy.id }],
    }),
  )
  t.equal(policy.targets[0].calendarId, forPolicy.id)
  const named = await ws.api.delete(`/v1/business-hours/${forPolicy.id}`)
  t.equal(named.status, 409, 'named by a policy target')
  t.match(named.body.detail, /1 SLA policies/)
  t.equal((await ws.api.delete(`/v1/sla-policies/${policy.id}`)).status, 204)
  t.equal((await ws.api.delete(`/v1/business-hours/${forPolicy.id}`)).status, 204)

  // An unused one.
  const unused = await ok(ws.api.post('/v1/business-hours', calendarBody({ name: 'Unused' })))
  const gone = await ws.api.delete(`/v1/business-hours/${unused.id}`)
  t.equal(gone.status, 204)
  t.equal(gone.text, '')
  t.equal((await ws.api.get(`/v1/business-hours/${unused.id}`)).status, 404)
  t.equal((await ws.api.delete(`/v1/business-hours/${unused.id}`)).status, 404)
  t.same(
    (await calendarsOf(ws.api)).map((c) => c.name).sort(),
    ['24/7', 'Office hours'],
    'only the seeded calendars remain',
  )
})

t.test('policies: create by slugs, stored by ids, with the documented defaults', async (t) => {
  const ws = await ctx.createWorkspace()
  const p = await prioritiesOf(ws)
  const general = await ok(ws.api.get('/v1/departments/general'), 200)
  const created = await ws.api.post('/v1/sla-policies', {
    name: 'Urgent general',
    conditions: { priorities: ['urgent'], departments: ['general'] },
    targets: [
      { priority: 'urgent', metric: 'firstResponse', minutes: 30 },
      { metric: 'firstResponse', minutes: 90, warnBeforeMinutes: 10 },
      { metric: 'resolution', minutes: 600 },
      { metric: 'nextResponse', minutes: 60, businessHours: false, pauseOn: ['on_hold'] },
    ],
  })
  t.equal(created.status, 201, created.text)
  t.equal(created.headers.location, `/v1/sla-policies/${created.body.id}`)
  t.match(created.body, {
    name: 'Urgent general',
    description: null,
    enabled: true,
    position: 3,
    version: 1,
    createdAt: ISO,
  })
  t.same(
    created.body.conditions,
    { priorities: [p.urgent], departments: [general.id] },
    'slugs stored as ids',
  )
  t.same(created.body.targets, [
    storedTarget('firstResponse', 30, { priorityId: p.urgent }),
    storedTarget('firstResponse', 90, { warnBeforeMinutes: 10 }),
    storedTarget('resolution', 600),
    storedTarget('nextResponse', 60, { businessHours: false, pauseOn: ['on_hold'] }),
  ])
  t.same(await ok(ws.api.get(`/v1/sla-policies/${created.body.id}`), 200), created.body)

  const first = await ws.api.get('/v1/sla-policies?limit=2')
  t.same(order(first.body.data), [
    [1, 'Chat'],
    [2, 'Standard'],
  ])
  t.type(first.body.nextCursor, 'string')
  const second = await ws.api.get(
    `/v1/sla-policies?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`,
  )
  t.same(order(second.body.data), [[3, 'Urgent general']])
  t.equal(second.body.nextCursor, null)

  t.equal((await ws.api.get(`/v1/sla-policies/${UNKNOWN_ID}`)).status, 404)
  t.equal((await ws.api.get('/v1/sla-policies/nope')).status, 404)
  const other = await ctx.createWorkspace()
  t.equal((await other.api.get(`/v1/sla-policies/${created.body.id}`)).status, 404, 'per workspace')
})

t.test('policies: invalid targets and conditions are 400 problems', async (t) => {
  const ws = await ctx.createWorkspace()
  const p = await prioritiesOf(ws)
  const mine = await ok(ws.api.post('/v1/business-hours', calendarBody()))
  const other = await ctx.createWorkspace()
  const foreign = (await calendarsOf(other.api))[0] as Named
  const post = (body: Record<string, unknown>) =>
    ws.api.post('/v1/sla-policies', {
      name: 'Bad',
      targets: [{ metric: 'firstResponse', minutes: 60 }],
      ...body,
    })

  isInvalid(
    t,
    await post({
      targets: [
        { priority: 'urgent', metric: 'firstResponse', minutes: 30 },
        { metric: 'firstResponse', minutes: 60 },
        { priority: p.urgent, metric: 'firstResponse', minutes: 40 },
      ],
    }),
    ['/targets/2'],
    'the same (priority, metric) twice, by slug and by id',
  )
  isInvalid(
    t,
    await post({
      targets: [
        { metric: 'resolution', minutes: 30 },
        { metric: 'resolution', minutes: 60 },
      ],
    }),
    ['/targets/1'],
    'the same metric twice for every priority',
  )
  isInvalid(
    t,
    await post({ targets: [{ metric: 'firstResponse', minutes: 30, warnBeforeMinutes: 30 }] }),
    ['/targets/0/warnBeforeMinutes'],
    'warning as long as the target',
  )
  isInvalid(
    t,
    await post({ targets: [{ metric: 'firstResponse', minutes: 30, warnBeforeMinutes: 45 }] }),
    ['/targets/0/warnBeforeMinutes'],
    'warning longer than the target',
  )
  isInvalid(t, await post({ conditions: { priorities: ['nope'] } }), ['/conditions/priorities/0'])
  isInvalid(t, await post({ conditions: { departments: ['general', 'nope'] } }), [
    '/conditions/departments/1',
  ])
  isInvalid(t, await post({ targets: [{ priority: 'nope', metric: 'firstResponse', minutes: 30 }] }), [
    '/targets/0/priority',
  ])
  isInvalid(
    t,
    await post({ targets: [{ metric: 'firstResponse', minutes: 30, calendarId: foreign.id }] }),
    ['/targets/0/calendarId'],
    "another workspace's calendar",
  )
  isInvalid(
    t,
    await post({ targets: [{ metric: 'firstResponse', minutes: 30, calendarId: UNKNOWN_ID }] }),
    ['/targets/0/calendarId'],
    'a random uuid',
  )
  isInvalid(
    t,
    await post({
      targets: [{ metric: 'firstResponse', minutes: 30, calendarId: mine.id, businessHours: false }],
    }),
    ['/targets/0/calendarId'],
    'a calendar for calendar time',
  )
  isInvalid(
    t,
    await post({ targets: [{ metric: 'firstResponse', minutes: 30, pauseOn: ['solved'] }] }),
    ['/targets/0/pauseOn/0'],
    'solved cannot pause',
  )
  isInvalid(t, await post({ targets: [{ metric: 'firstResponse', minutes: 0 }] }), ['/targets/0/minutes'])
  isInvalid(t, await post({ priority: 'urgent' }), ['/priority'], 'unknown field')
  t.same(
    order(await policiesOf(ws.api)),
    [
      [1, 'Chat'],
      [2, 'Standard'],
    ],
    'nothing was created',
  )

  const chat = (await policiesOf(ws.api))[0] as Named
  isInvalid(
    t,
    await ws.api.patch(`/v1/sla-policies/${chat.id}`, {
      targets: [{ metric: 'firstResponse', minutes: 5, businessHours: false, warnBeforeMinutes: 5 }],
    }),
    ['/targets/0/warnBeforeMinutes'],
    'a PATCH is checked too',
  )
  t.equal((await ws.api.patch(`/v1/sla-policies/${UNKNOWN_ID}`, { name: 'x' })).status, 404)
})

t.test('policies: positions stay 1..n through insert, move, reorder and delete', async (t) => {
  const ws = await ctx.createWorkspace()
  const target = [{ metric: 'firstResponse', minutes: 60 }]
  const top = await ok(ws.api.post('/v1/sla-policies', { name: 'Top', position: 1, targets: target }))
  t.equal(top.position, 1)
  t.same(
    order(await policiesOf(ws.api)),
    [
      [1, 'Top'],
      [2, 'Chat'],
      [3, 'Standard'],
    ],
    'inserting at 1 moves the others down',
  )
  const far = await ok(ws.api.post('/v1/sla-policies', { name: 'Far', position: 99, targets: target }))
  t.equal(far.position, 4, 'a position past the end appends')
  const mid = await ok(ws.api.post('/v1/sla-policies', { name: 'Mid', position: 3, targets: target }))
  t.equal(mid.position, 3)
  t.same(order(await policiesOf(ws.api)), [
    [1, 'Top'],
    [2, 'Chat'],
    [3, 'Mid'],
    [4, 'Standard'],
    [5, 'Far'],
  ])

  const moved = await ws.api.patch(`/v1/sla-policies/${top.id}`, { position: 4 })
  t.equal(moved.status, 200)
  t.equal(moved.body.position, 4)
  t.same(
    order(await policiesOf(ws.api)),
    [
      [1, 'Chat'],
      [2, 'Mid'],
      [3, 'Standard'],
      [4, 'Top'],
      [5, 'Far'],
    ],
    'moving down',
  )
  await ok(ws.api.patch(`/v1/sla-policies/${far.id}`, { position: 1 }), 200)
  t.same(
    order(await policiesOf(ws.api)),
    [
      [1, 'Far'],
      [2, 'Chat'],
      [3, 'Mid'],
      [4, 'Standard'],
      [5, 'Top'],
    ],
    'moving up',
  )

  const ids = (await policiesOf(ws.api)).map((x) => x.id)
  const reversed = [...ids].reverse()
  const reordered = await ws.api.post('/v1/sla-policies/reorder', { ids: reversed })
  t.equal(reordered.status, 200, reordered.text)
  t.same(
    reordered.body.data.map((x: Named) => x.id),
    reversed,
  )
  t.same(
    reordered.body.data.map((x: Named) => x.position),
    [1, 2, 3, 4, 5],
  )
  t.same(order(await policiesOf(ws.api)), [
    [1, 'Top'],
    [2, 'Standard'],
    [3, 'Mid'],
    [4, 'Chat'],
    [5, 'Far'],
  ])

  isInvalid(
    t,
    await ws.api.post('/v1/sla-policies/reorder', { ids: reversed.slice(1) }),
    ['/ids'],
    'one missing',
  )
  isInvalid(
    t,
    await ws.api.post('/v1/sla-policies/reorder', { ids: [...reversed.slice(1), reversed[1]] }),
    ['/ids'],
    'one repeated',
  )
  isInvalid(
    t,
    await ws.api.post('/v1/sla-policies/reorder', { ids: [...reversed.slice(1), UNKNOWN_ID] }),
    ['/ids'],
    'one unknown',
  )
  const foreign = (await policiesOf((await ctx.createWorkspace()).api))[0] as Named
  isInvalid(
    t,
    await ws.api.post('/v1/sla-policies/reorder', { ids: [...reversed.slice(1), foreign.id] }),
    ['/ids'],
    "another workspace's",
  )
  t.same(
    (await policiesOf(ws.api)).map((x) => x.id),
    reversed,
    'a refused reorder changes nothing',
  )

  const gone = await ws.api.delete(`/v1/sla-policies/${mid.id}`)
  t.equal(gone.status, 204)
  t.same(
    order(await policiesOf(ws.api)),
    [
      [1, 'Top'],
      [2, 'Standard'],
      [3, 'Chat'],
      [4, 'Far'],
    ],
    'the gap closes',
  )
  t.equal((await ws.api.get(`/v1/sla-policies/${mid.id}`)).status, 404)
  t.equal((await ws.api.delete(`/v1/sla-policies/${mid.id}`)).status, 404)
  t.equal((await ws.api.delete(`/v1/sla-policies/${UNKNOWN_ID}`)).status, 404)
})

t.test('policy changes re-match the open tickets at once', async (t) => {
  const ws = await ctx.createWorkspace()
  const policies = await policiesOf(ws.api)
  const standard = policies.find((x) => x.name === 'Standard') as Named
  const office = (await calendarsOf(ws.api)).find((c) => c.isDefault) as Named
  const ticket = await ok(ws.api.post('/v1/tickets', ticketBody({ tags: ['vip'] })))

  const before = await ok(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
  t.same(before.policy, { id: standard.id, name: 'Standard' })
  const startedAt = Date.parse(
    before.timers.find((x: { metric: string }) => x.metric === 'firstResponse').startedAt,
  )

  const vip = await ok(
    ws.api.post('/v1/sla-policies', {
      name: 'VIP',
      position: 1,
      conditions: { tagsAll: ['VIP'] },
      targets: [{ metric: 'firstResponse', minutes: 30, businessHours: false }],
    }),
  )
  t.same(vip.conditions, { tagsAll: ['vip'] }, 'tags are stored lower-cased')
  const during = await ok(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
  t.same(during.policy, { id: vip.id, name: 'VIP' })
  const first = during.timers.find((x: { metric: string }) => x.metric === 'firstResponse')
  t.match(first, {
    stage: 'active',
    policyId: vip.id,
    targetMinutes: 30,
    businessHours: false,
    calendarId: null,
    instance: 1,
  })
  t.equal(Date.parse(first.startedAt), startedAt, 'the same clock, started at creation')
  const drift = Math.abs(Date.parse(first.dueAt) - (startedAt + 30 * MINUTE))
  t.ok(drift < 5_000, `due 30 calendar minutes after the start (off by ${drift} ms)`)
  t.equal(during.responseDueAt, first.dueAt)
  t.notOk(
    during.timers.some((x: { metric: string }) => x.metric === 'resolution'),
    'VIP has no resolution target: that clock goes',
  )
  const ticketRow = await ok(ws.api.get(`/v1/tickets/${ticket.id}`), 200)
  t.equal(ticketRow.sla.nextDueAt, first.dueAt, "the ticket's nearest deadline follows")

  const other = await ok(ws.api.post('/v1/tickets', ticketBody({ subject: 'Not VIP', tags: ['regular'] })))
  t.same((await ok(ws.api.get(`/v1/tickets/${other.id}/sla`), 200)).policy, {
    id: standard.id,
    name: 'Standard',
  })

  t.equal((await ws.api.delete(`/v1/sla-policies/${vip.id}`)).status, 204)
  const after = await ok(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
  t.same(after.policy, { id: standard.id, name: 'Standard' }, 'back to Standard')
  const back = after.timers.find((x: { metric: string }) => x.metric === 'firstResponse')
  t.match(back, {
    stage: 'active',
    policyId: standard.id,
    targetMinutes: 1440,
    businessHours: true,
    calendarId: office.id,
  })
  t.equal(Date.parse(back.startedAt), startedAt, 'still the clock started at creation')
  t.ok(Date.parse(back.dueAt) > Date.parse(first.dueAt), '24 business hours is later than 30 minutes')
})

t.test('a policy that newly applies starts the clocks it newly targets', async (t) => {
  // planTimers documents "a target that newly applies starts counting when it starts applying".
  const ws = await ctx.createWorkspace()
  const standard = (await policiesOf(ws.api)).find((x) => x.name === 'Standard') as Named
  const ticket = await ok(ws.api.post('/v1/tickets', ticketBody({ tags: ['vip'] })))
  const vip = await ok(
    ws.api.post('/v1/sla-policies', {
      name: 'VIP',
      position: 1,
      conditions: { tagsAll: ['vip'] },
      targets: [{ metric: 'firstResponse', minutes: 30, businessHours: false }],
    }),
  )
  const during = await ok(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
  t.same(
    during.timers.map((x: { metric: string }) => x.metric),
    ['firstResponse'],
  )
  await ok(ws.api.delete(`/v1/sla-policies/${vip.id}`), 204)
  const after = await ok(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
  t.same(after.policy, { id: standard.id, name: 'Standard' })
  const resolution = after.timers.find((x: { metric: string }) => x.metric === 'resolution')
  t.ok(resolution, "Standard's resolution target applies again: its clock runs")
  t.match(resolution ?? {}, { stage: 'active', policyId: standard.id, targetMinutes: 4320 })

  // A ticket no policy matched gets its clocks when one starts to match.
  await ok(ws.api.patch(`/v1/sla-policies/${standard.id}`, { enabled: false }), 200)
  const bare = await ok(ws.api.post('/v1/tickets', ticketBody({ subject: 'No SLA yet' })))
  const none = await ok(ws.api.get(`/v1/tickets/${bare.id}/sla`), 200)
  t.same([none.policy, none.timers], [null, []], 'no enabled policy matches: no clocks')
  const enabled = Date.now()
  await ok(ws.api.patch(`/v1/sla-policies/${standard.id}`, { enabled: true }), 200)
  const matched = await ok(ws.api.get(`/v1/tickets/${bare.id}/sla`), 200)
  t.same(matched.policy, { id: standard.id, name: 'Standard' }, 'Standard applies once enabled')
  t.same(
    matched.timers.map((x: { metric: string }) => x.metric).sort(),
    ['firstResponse', 'resolution'],
    'its first-response and resolution clocks start',
  )
  const started = matched.timers.map((x: { startedAt: string }) => Date.parse(x.startedAt))
  t.ok(
    started.length === 2 && started.every((at: number) => at >= enabled - 1000),
    'started when the policy began to apply, not back-dated',
  )
})

t.test('who may read and change calendars and policies', async (t) => {
  const ws = await ctx.createWorkspace()
  const agent = await ctx.agent(ws, 'agent')
  const office = (await calendarsOf(ws.api)).find((c) => c.isDefault) as Named
  const chat = (await policiesOf(ws.api))[0] as Named
  t.equal((await agent.api.get('/v1/business-hours')).status, 200, 'an agent reads calendars')
  t.equal((await agent.api.get('/v1/sla-policies')).status, 200, 'an agent reads policies')
  t.equal((await agent.api.post('/v1/business-hours', calendarBody())).status, 403)
  t.equal((await agent.api.patch(`/v1/business-hours/${office.id}`, { name: 'x' })).status, 403)
  t.equal((await agent.api.delete(`/v1/business-hours/${office.id}`)).status, 403)
  t.equal(
    (
      await agent.api.post('/v1/sla-policies', {
        name: 'x',
        targets: [{ metric: 'firstResponse', minutes: 5 }],
      })
    ).status,
    403,
  )
  t.equal((await agent.api.patch(`/v1/sla-policies/${chat.id}`, { name: 'x' })).status, 403)
  t.equal((await agent.api.post('/v1/sla-policies/reorder', { ids: [chat.id] })).status, 403)
  t.equal((await agent.api.delete(`/v1/sla-policies/${chat.id}`)).status, 403)
  t.equal((await ok(ws.api.get(`/v1/sla-policies/${chat.id}`), 200)).name, 'Chat', 'unchanged')

  await ok(ws.api.post('/v1/contacts', { externalId: 'reader', email: 'reader@example.com' }))
  const contact = ctx.as(ctx.contactToken(ws, { sub: 'reader' }))
  const seen = await contact.get('/v1/business-hours')
  t.equal(seen.status, 200, 'a contact reads the calendars')
  t.equal(seen.body.data.length, 2)
  t.equal((await contact.get('/v1/sla-policies')).status, 403, 'but not the policies')
})

const TICKET_SLA = `query($id: ID!) { ticket(id: $id) { id sla {
  nextDueAt breached responseDueAt policy { id name } timers { metric stage dueAt businessMinutesRemaining }
} } }`

t.test('GraphQL: calendars, policies, report, mutations and Ticket.sla', async (t) => {
  const ws = await ctx.createWorkspace()
  const admin = await ctx.agent(ws, 'admin')

  const calendars = await admin.api.graphql(
    '{ businessCalendars { nodes { id name isDefault builtIn timeZone intervals { day start end } } pageInfo { hasNextPage } } }',
  )
  t.equal(calendars.status, 200)
  t.notOk(calendars.body.errors, JSON.stringify(calendars.body.errors))
  const nodes = calendars.body.data.businessCalendars.nodes
  t.same(nodes.map((c: Named & { builtIn: boolean }) => [c.name, c.isDefault, c.builtIn]).sort(), [
    ['24/7', false, true],
    ['Office hours', true, false],
  ])
  t.equal(calendars.body.data.businessCalendars.pageInfo.hasNextPage, false)

  const overlap = await admin.api.graphql(
    `mutation($input: CreateBusinessCalendarInput!) { createBusinessCalendar(input: $input) {
      businessCalendar { id } userErrors { code path message } } }`,
    {
      input: {
        name: 'Overlapping',
        timeZone: 'Europe/Madrid',
        intervals: [
          { day: 'monday', start: '09:00', end: '14:00' },
          { day: 'monday', start: '13:00', end: '19:00' },
        ],
      },
    },
  )
  t.notOk(overlap.body.errors)
  t.equal(overlap.body.data.createBusinessCalendar.businessCalendar, null)
  t.match(overlap.body.data.createBusinessCalendar.userErrors, [
    { code: 'validation', path: '/intervals/1', message: /overlaps interval 0/ },
  ])
  t.equal(overlap.body.data.createBusinessCalendar.userErrors.length, 1)

  const made = await admin.api.graphql(
    `mutation($input: CreateBusinessCalendarInput!) { createBusinessCalendar(input: $input) {
      businessCalendar { id name holidayRegions version intervals { day start end } } userErrors { code } } }`,
    {
      input: { name: 'Split', timeZone: 'Europe/Madrid', intervals: splitShifts, holidayRegions: ['ES-MD'] },
    },
  )
  t.same(made.body.data.createBusinessCalendar.userErrors, [])
  t.match(made.body.data.createBusinessCalendar.businessCalendar, {
    name: 'Split',
    holidayRegions: ['ES-MD'],
    version: 1,
  })
  const madeId = made.body.data.createBusinessCalendar.businessCalendar.id
  t.equal((await ws.api.get(`/v1/business-hours/${madeId}`)).status, 200, 'REST sees it')

  const listed = await admin.api.graphql(
    '{ slaPolicies { nodes { id name position targets { metric minutes } } } }',
  )
  const [chat, standard] = listed.body.data.slaPolicies.nodes
  t.same(
    listed.body.data.slaPolicies.nodes.map((x: Named) => [x.position, x.name]),
    [
      [1, 'Chat'],
      [2, 'Standard'],
    ],
  )
  t.same(chat.targets, [
    { metric: 'firstResponse', minutes: 5 },
    { metric: 'nextResponse', minutes: 5 },
  ])

  const updated = await admin.api.graphql(
    `mutation($id: ID!, $input: UpdateSlaPolicyInput!) { updateSlaPolicy(id: $id, input: $input) {
      slaPolicy { id name description version targets { priorityId metric minutes businessHours pauseOn } }
      userErrors { code path } } }`,
    {
      id: chat.id,
      input: {
        name: 'Live chat',
        description: null,
        targets: [{ metric: 'firstResponse', minutes: 10, businessHours: false, priority: null }],
      },
    },
  )
  t.notOk(updated.body.errors, JSON.stringify(updated.body.errors))
  t.same(updated.body.data.updateSlaPolicy.userErrors, [])
  t.match(updated.body.data.updateSlaPolicy.slaPolicy, { name: 'Live chat', description: null, version: 2 })
  t.same(updated.body.data.updateSlaPolicy.slaPolicy.targets, [
    { priorityId: null, metric: 'firstResponse', minutes: 10, businessHours: false, pauseOn: [] },
  ])
  const badUpdate = await admin.api.graphql(
    `mutation($id: ID!, $input: UpdateSlaPolicyInput!) { updateSlaPolicy(id: $id, input: $input) {
      slaPolicy { id } userErrors { code path } } }`,
    { id: chat.id, input: { targets: [{ metric: 'firstResponse', minutes: 10, warnBeforeMinutes: 10 }] } },
  )
  t.same(badUpdate.body.data.updateSlaPolicy, {
    slaPolicy: null,
    userErrors: [{ code: 'validation', path: '/targets/0/warnBeforeMinutes' }],
  })

  const reorder = await admin.api.graphql(
    `mutation($ids: [ID!]!) { reorderSlaPolicies(ids: $ids) { slaPolicies { id position } userErrors { code path } } }`,
    { ids: [standard.id, chat.id] },
  )
  t.same(reorder.body.data.reorderSlaPolicies, {
    slaPolicies: [
      { id: standard.id, position: 1 },
      { id: chat.id, position: 2 },
    ],
    userErrors: [],
  })
  const badReorder = await admin.api.graphql(
    `mutation($ids: [ID!]!) { reorderSlaPolicies(ids: $ids) { slaPolicies { id } userErrors { code path } } }`,
    { ids: [chat.id, chat.id] },
  )
  t.same(badReorder.body.data.reorderSlaPolicies, {
    slaPolicies: null,
    userErrors: [{ code: 'validation', path: '/ids' }],
  })

  const deleted = await admin.api.graphql(
    'mutation($id: ID!) { deleteSlaPolicy(id: $id) { deletedId userErrors { code } } }',
    { id: chat.id },
  )
  t.same(deleted.body.data.deleteSlaPolicy, { deletedId: chat.id, userErrors: [] })
  const deletedAgain = await admin.api.graphql(
    'mutation($id: ID!) { deleteSlaPolicy(id: $id) { deletedId userErrors { code } } }',
    { id: chat.id },
  )
  t.same(deletedAgain.body.data.deleteSlaPolicy, { deletedId: null, userErrors: [{ code: 'not_found' }] })
  t.same(
    (await policiesOf(ws.api)).map((x) => [x.position, x.name]),
    [[1, 'Standard']],
  )

  // A contact's ticket, seen by the staff and by the contact.
  const contact = await ok(
    ws.api.post('/v1/contacts', { externalId: 'sla-cust', email: 'sla-cust@example.com' }),
  )
  const ticket = await ok(ws.api.post('/v1/tickets', ticketBody({ requester: { id: contact.id } })))
  const rest = await ok(ws.api.get(`/v1/tickets/${ticket.id}/sla`), 200)
  const restFirst = rest.timers.find((x: { metric: string }) => x.metric === 'firstResponse')

  const asAdmin = await admin.api.graphql(TICKET_SLA, { id: ticket.id })
  t.notOk(asAdmin.body.errors, JSON.stringify(asAdmin.body.errors))
  const sla = asAdmin.body.data.ticket.sla
  t.same(sla.policy, { id: standard.id, name: 'Standard' })
  t.equal(sla.breached, false)
  t.match(sla.nextDueAt, ISO)
  t.equal(sla.responseDueAt, restFirst.dueAt)
  t.equal(sla.nextDueAt, rest.nextDueAt)
  t.same(sla.timers.map((x: { metric: string; stage: string }) => [x.metric, x.stage]).sort(), [
    ['firstResponse', 'active'],
    ['resolution', 'active'],
  ])
  const gqlFirst = sla.timers.find((x: { metric: string }) => x.metric === 'firstResponse')
  t.equal(gqlFirst.dueAt, restFirst.dueAt)
  t.ok(
    gqlFirst.businessMinutesRemaining > 1430 && gqlFirst.businessMinutesRemaining <= 1440,
    `24 business hours left (${gqlFirst.businessMinutesRemaining})`,
  )

  const token = ctx.contactToken(ws, { sub: 'sla-cust' })
  const asContact = await ctx.as(token).graphql(TICKET_SLA, { id: ticket.id })
  t.notOk(asContact.body.errors, JSON.stringify(asContact.body.errors))
  t.same(asContact.body.data.ticket.sla, {
    nextDueAt: null,
    breached: false,
    responseDueAt: restFirst.dueAt,
    policy: null,
    timers: [],
  })
  const contactRest = await ctx.as(token).get(`/v1/tickets/${ticket.id}/sla`)
  t.equal(contactRest.status, 200)
  t.same(
    contactRest.body,
    { ticketId: ticket.id, responseDueAt: restFirst.dueAt },
    'REST shows a contact as much',
  )

  const report = await admin.api.graphql(
    `{ slaReport(groupBy: policy) { groupBy from to groups { id name metrics {
      firstResponse { total met breached open } resolution { total open } } } } }`,
  )
  t.notOk(report.body.errors, JSON.stringify(report.body.errors))
  t.equal(report.body.data.slaReport.groupBy, 'policy')
  t.match(report.body.data.slaReport.groups, [
    {
      id: standard.id,
      name: 'Standard',
      metrics: {
        firstResponse: { total: 1, met: 0, breached: 0, open: 1 },
        resolution: { total: 1, open: 1 },
      },
    },
  ])
  t.equal(report.body.data.slaReport.groups.length, 1)
})
