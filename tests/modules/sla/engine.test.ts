import fc from 'fast-check'
import t from 'tap'
import type { SlaConditions, SlaMetric, SlaTarget } from '../../../src/db/schema/index.ts'
import { BusinessCalendar, type DayIntervals } from '../../../src/modules/sla/business-time.ts'
import {
  conditionsMatch,
  type Happening,
  matchPolicy,
  moveToCalendar,
  type PolicyRow,
  planTimers,
  type SlaContext,
  type SlaTicket,
  type TimerDraft,
  type TimerPlan,
  type TimerRow,
  targetsFor,
  timerUsage,
} from '../../../src/modules/sla/engine.ts'

/**
 * The pure SLA engine: which policy and targets apply to a ticket, and how its timers move as things
 * happen to it. Each plan's upserts are fed back as the stored rows of the next step, as `timers.ts`
 * does with the database, so a test follows a ticket through its life.
 *
 * Dates: every instant in March 2024 before the 31st is in Madrid winter time (CET = UTC+1); from
 * 31 March it is summer time (CEST = UTC+2). 2024-03-01 is a Friday, 2024-03-04 a Monday.
 */

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const WS = 'workspace-1'
const EPOCH = new Date('2024-01-01T00:00:00Z')

const at = (instant: string) => new Date(instant)
const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null)

const weekdays = (start: number, end: number): DayIntervals[] => [
  [[start, end]],
  [[start, end]],
  [[start, end]],
  [[start, end]],
  [[start, end]],
  [],
  [],
]

/** Madrid office: Monday to Friday 09:00–18:00 local (9 business hours a day). */
const OFFICE = 'cal-office'
const office = new BusinessCalendar({ timeZone: 'Europe/Madrid', weekly: weekdays(9 * 60, 18 * 60) })
/** Madrid mornings: Monday to Friday 10:00–14:00 local (4 business hours a day). */
const MORNINGS = 'cal-mornings'
const mornings = new BusinessCalendar({ timeZone: 'Europe/Madrid', weekly: weekdays(10 * 60, 14 * 60) })
const calendars = new Map<string, BusinessCalendar>([
  [OFFICE, office],
  [MORNINGS, mornings],
])

function contextOf(policies: PolicyRow[], more: Partial<SlaContext> = {}): SlaContext {
  return {
    policies,
    defaultCalendarId: OFFICE,
    departmentCalendars: new Map(),
    calendar: (id) => {
      if (id === null) return BusinessCalendar.ALWAYS
      const calendar = calendars.get(id)
      if (!calendar) throw new Error(`the test has no calendar ${id}`)
      return calendar
    },
    ...more,
  }
}

const target = (metric: SlaMetric, minutes: number, more: Partial<SlaTarget> = {}): SlaTarget => ({
  priorityId: null,
  metric,
  minutes,
  businessHours: true,
  calendarId: null,
  warnBeforeMinutes: null,
  pauseOn: [],
  ...more,
})

let position = 0
const policy = (
  id: string,
  targets: SlaTarget[],
  conditions: SlaConditions = {},
  enabled = true,
): PolicyRow => ({
  workspaceId: WS,
  id,
  name: id,
  description: null,
  position: position++,
  enabled,
  conditions,
  targets,
  version: 1,
  createdAt: EPOCH,
  updatedAt: EPOCH,
})

const ticketOf = (more: Partial<SlaTicket> = {}): SlaTicket => ({
  id: 'ticket-1',
  status: 'new',
  priorityId: 'normal',
  departmentId: null,
  channel: 'email',
  type: 'question',
  organizationId: null,
  tags: [],
  firstRespondedAt: null,
  ...more,
})

function idSequence() {
  let n = 0
  return () => `timer-${++n}`
}

/** The stored rows after a plan: deletes removed, upserts written (as `storePlans` does). */
function applyPlan(rows: readonly TimerRow[], plan: TimerPlan, now: Date): TimerRow[] {
  const byId = new Map(rows.map((row) => [row.id, row]))
  for (const gone of plan.deletes) byId.delete(gone.id)
  for (const { isNew: _new, ...draft } of plan.upserts) {
    byId.set(draft.id, { ...draft, createdAt: byId.get(draft.id)?.createdAt ?? now, updatedAt: now })
  }
  return [...byId.values()]
}

/** One ticket's life: its SLA fields and its stored timers. */
class Life {
  rows: TimerRow[] = []
  readonly newId = idSequence()

  constructor(
    readonly context: SlaContext,
    public ticket: SlaTicket,
  ) {}

  step(happening: Happening, now: Date, change: Partial<SlaTicket> = {}): TimerPlan {
    this.ticket = { ...this.ticket, ...change }
    const before = JSON.stringify(this.rows)
    const plan = planTimers(this.context, this.ticket, this.rows, happening, now, this.newId, WS)
    if (JSON.stringify(this.rows) !== before) throw new Error('planTimers changed the rows it was given')
    this.rows = applyPlan(this.rows, plan, now)
    return plan
  }

  /** The breach sweep (`sweep.ts`): active timers past their deadline breach at the deadline itself. */
  sweep(now: Date): TimerRow[] {
    const breached: TimerRow[] = []
    this.rows = this.rows.map((row) => {
      if (row.stage !== 'active' || row.dueAt === null || row.dueAt > now) return row
      const swept = { ...row, stage: 'breached' as const, breachedAt: row.dueAt, updatedAt: now }
      breached.push(swept)
      return swept
    })
    return breached
  }

  timer(metric: SlaMetric, instance = 1): TimerRow {
    const found = this.rows.find((row) => row.metric === metric && row.instance === instance)
    if (!found) throw new Error(`no ${metric} #${instance}`)
    return found
  }
}

/** The fields a test compares, dates as ISO strings. */
const view = (timer: TimerDraft | TimerRow) => ({
  id: timer.id,
  metric: timer.metric,
  instance: timer.instance,
  policyId: timer.policyId,
  stage: timer.stage,
  targetMinutes: timer.targetMinutes,
  calendarId: timer.calendarId,
  usedMs: timer.usedMs,
  startedAt: iso(timer.startedAt),
  anchorAt: iso(timer.anchorAt),
  dueAt: iso(timer.dueAt),
  warnAt: iso(timer.warnAt),
  pausedAt: iso(timer.pausedAt),
  fulfilledAt: iso(timer.fulfilledAt),
  breachedAt: iso(timer.breachedAt),
})

const ofMetric = (plan: TimerPlan, metric: SlaMetric, instance = 1) => {
  const found = plan.upserts.find((timer) => timer.metric === metric && timer.instance === instance)
  if (!found) throw new Error(`the plan writes no ${metric} #${instance}`)
  return found
}
const written = (plan: TimerPlan) => plan.upserts.map((timer) => `${timer.metric}#${timer.instance}`)

/** A stored timer for the calendar tests, defaults: a 9-hour resolution started Monday 09:00 Madrid. */
function row(more: Partial<TimerRow> = {}): TimerRow {
  const start = at('2024-03-04T08:00:00Z')
  return {
    workspaceId: WS,
    id: 'timer-x',
    ticketId: 'ticket-1',
    metric: 'resolution',
    instance: 1,
    policyId: 'policy',
    stage: 'active',
    targetMinutes: 540,
    calendarId: OFFICE,
    warnBeforeMinutes: null,
    pauseOn: [],
    startedAt: start,
    anchorAt: start,
    usedMs: 0,
    dueAt: at('2024-03-04T17:00:00Z'),
    warnAt: null,
    pausedAt: null,
    fulfilledAt: null,
    breachedAt: null,
    warnedAt: null,
    createdAt: start,
    updatedAt: start,
    ...more,
  }
}

// ---------------------------------------------------------------------------------------------------
// Which policy and which targets

t.test('matchPolicy: the first enabled policy, in order, whose conditions the ticket meets', async (t) => {
  const urgent = policy('urgent', [], { priorities: ['urgent'] })
  const off = policy('off', [], {}, false)
  const general = policy('general', [])
  const later = policy('later', [])
  const policies = [urgent, off, general, later]

  t.equal(
    matchPolicy(policies, ticketOf({ priorityId: 'urgent' }))?.id,
    'urgent',
    'the first one that matches',
  )
  t.equal(
    matchPolicy(policies, ticketOf({ priorityId: 'normal' }))?.id,
    'general',
    'a disabled policy is skipped, and an earlier match beats a later one',
  )
  t.equal(matchPolicy([later, general], ticketOf())?.id, 'later', 'the order is the array order')
  t.equal(
    matchPolicy(
      [policy('urgent-off', [], { priorities: ['urgent'] }, false), general],
      ticketOf({ priorityId: 'urgent' }),
    )?.id,
    'general',
    'a disabled policy is skipped even when its conditions hold',
  )
  t.equal(matchPolicy([off], ticketOf()), null, 'only disabled policies: none')
  t.equal(matchPolicy([], ticketOf()), null, 'no policies: none')
})

t.test(
  'conditions: each field is any-of its list, tagsAll all-of, tagsAny any-of; empty matches all',
  async (t) => {
    const cases: [string, SlaConditions, Partial<SlaTicket>, boolean][] = [
      ['priorities: listed', { priorities: ['high', 'urgent'] }, { priorityId: 'urgent' }, true],
      ['priorities: not listed', { priorities: ['high', 'urgent'] }, { priorityId: 'normal' }, false],
      ['priorities: a ticket without priority', { priorities: ['high'] }, { priorityId: null }, false],
      ['departments: listed', { departments: ['sales', 'billing'] }, { departmentId: 'billing' }, true],
      ['departments: not listed', { departments: ['sales'] }, { departmentId: 'support' }, false],
      ['departments: a ticket without department', { departments: ['sales'] }, { departmentId: null }, false],
      ['channels: listed', { channels: ['email', 'web'] }, { channel: 'web' }, true],
      ['channels: not listed', { channels: ['email', 'web'] }, { channel: 'chat' }, false],
      ['types: listed', { types: ['incident'] }, { type: 'incident' }, true],
      ['types: not listed', { types: ['incident'] }, { type: 'question' }, false],
      ['types: a ticket without type', { types: ['incident'] }, { type: null }, false],
      ['organizations: listed', { organizations: ['acme'] }, { organizationId: 'acme' }, true],
      ['organizations: not listed', { organizations: ['acme'] }, { organizationId: 'globex' }, false],
      [
        'organizations: a ticket without organization',
        { organizations: ['acme'] },
        { organizationId: null },
        false,
      ],
      [
        'tagsAll: every tag (and more)',
        { tagsAll: ['vip', 'billing'] },
        { tags: ['billing', 'x', 'vip'] },
        true,
      ],
      ['tagsAll: only some of the tags', { tagsAll: ['vip', 'billing'] }, { tags: ['vip'] }, false],
      ['tagsAll: no tags', { tagsAll: ['vip'] }, { tags: [] }, false],
      ['tagsAny: one of the tags', { tagsAny: ['vip', 'billing'] }, { tags: ['billing'] }, true],
      ['tagsAny: none of the tags', { tagsAny: ['vip', 'billing'] }, { tags: ['x'] }, false],
      ['tagsAny: no tags', { tagsAny: ['vip'] }, { tags: [] }, false],
      [
        'empty conditions match a ticket with nothing set',
        {},
        { priorityId: null, departmentId: null, type: null, organizationId: null, tags: [] },
        true,
      ],
      [
        'empty lists match a ticket with nothing set',
        {
          priorities: [],
          departments: [],
          channels: [],
          types: [],
          organizations: [],
          tagsAll: [],
          tagsAny: [],
        },
        { priorityId: null, departmentId: null, type: null, organizationId: null, tags: [] },
        true,
      ],
      [
        'several fields: all must hold (one fails)',
        { priorities: ['urgent'], channels: ['email'], tagsAny: ['vip'] },
        { priorityId: 'urgent', channel: 'chat', tags: ['vip'] },
        false,
      ],
      [
        'several fields: all hold',
        { priorities: ['urgent'], channels: ['email'], tagsAny: ['vip'] },
        { priorityId: 'urgent', channel: 'email', tags: ['vip'] },
        true,
      ],
    ]
    for (const [name, conditions, ticket, expected] of cases) {
      t.equal(conditionsMatch(conditions, ticketOf(ticket)), expected, name)
      t.equal(
        matchPolicy([policy('only', [], conditions)], ticketOf(ticket))?.id ?? null,
        expected ? 'only' : null,
        `${name} (through matchPolicy)`,
      )
    }
  },
)

t.test('targetsFor: the priority’s own target beats the target for every priority', async (t) => {
  const standard = policy('standard', [
    target('firstResponse', 60),
    target('resolution', 2700, { pauseOn: ['pending'], warnBeforeMinutes: 120 }),
    // Listed after the general ones: the position in the list does not decide, the priority does.
    target('firstResponse', 15, { priorityId: 'urgent' }),
    target('resolution', 5400, { priorityId: 'low' }),
    target('nextResponse', 30, { priorityId: 'urgent' }),
  ])
  const context = contextOf([standard])

  const urgent = targetsFor(context, ticketOf({ priorityId: 'urgent' }))
  t.equal(urgent.get('firstResponse')?.minutes, 15, 'urgent: its own first response target')
  t.equal(urgent.get('resolution')?.minutes, 2700, 'urgent: no resolution of its own, the general one')
  t.equal(urgent.get('nextResponse')?.minutes, 30, 'urgent: a metric only it has')

  const normal = targetsFor(context, ticketOf({ priorityId: 'normal' }))
  t.equal(normal.get('firstResponse')?.minutes, 60, 'normal: the general first response target')
  t.equal(normal.has('nextResponse'), false, 'normal: no next response target (only urgent has one)')
  t.strictSame(
    normal.get('resolution'),
    { policyId: 'standard', minutes: 2700, calendarId: OFFICE, warnBeforeMinutes: 120, pauseOn: ['pending'] },
    'the resolved target carries the policy, minutes, calendar, warning and pauses',
  )

  t.equal(targetsFor(context, ticketOf({ priorityId: 'low' })).get('resolution')?.minutes, 5400, 'low')
  const none = targetsFor(context, ticketOf({ priorityId: null }))
  t.equal(none.get('firstResponse')?.minutes, 60, 'no priority: the general target')
  t.equal(none.has('nextResponse'), false, 'no priority never takes a priority’s target')

  const unmatched = contextOf([policy('chat', [target('resolution', 60)], { channels: ['chat'] })])
  t.equal(targetsFor(unmatched, ticketOf()).size, 0, 'no policy matches: no targets')
})

t.test(
  'targetsFor: the target’s calendar, else the department’s, else the default; none for calendar time',
  async (t) => {
    const calendarsPolicy = policy('calendars', [
      target('firstResponse', 60),
      target('nextResponse', 60, { calendarId: 'cal-explicit' }),
      target('resolution', 60, { businessHours: false, calendarId: 'cal-explicit' }),
    ])
    const context = contextOf([calendarsPolicy], {
      defaultCalendarId: 'cal-default',
      departmentCalendars: new Map([
        ['sales', 'cal-sales'],
        ['support', null],
      ]),
    })
    const sales = targetsFor(context, ticketOf({ departmentId: 'sales' }))
    t.equal(
      sales.get('firstResponse')?.calendarId,
      'cal-sales',
      'no calendar on the target: the department’s',
    )
    t.equal(
      sales.get('nextResponse')?.calendarId,
      'cal-explicit',
      'the target’s own calendar beats the department’s',
    )
    t.equal(
      sales.get('resolution')?.calendarId,
      null,
      'businessHours false: calendar time, whatever calendar is named',
    )

    t.equal(
      targetsFor(context, ticketOf({ departmentId: 'support' })).get('firstResponse')?.calendarId,
      'cal-default',
      'a department without a calendar: the default',
    )
    t.equal(
      targetsFor(context, ticketOf({ departmentId: 'unknown' })).get('firstResponse')?.calendarId,
      'cal-default',
      'a department not in the map: the default',
    )
    t.equal(
      targetsFor(context, ticketOf({ departmentId: null })).get('firstResponse')?.calendarId,
      'cal-default',
      'no department: the default',
    )
    t.equal(
      targetsFor({ ...context, defaultCalendarId: null }, ticketOf({ departmentId: null })).get(
        'firstResponse',
      )?.calendarId,
      null,
      'no department and no default: calendar time',
    )
  },
)

// ---------------------------------------------------------------------------------------------------
// Creation

/** The Madrid policy of the ticket-life tests: office hours, resolution paused while waiting on the customer. */
const madridPolicy = () =>
  policy('madrid', [
    target('firstResponse', 480, { warnBeforeMinutes: 60 }),
    target('nextResponse', 240),
    target('resolution', 2700, { pauseOn: ['pending', 'on_hold'] }),
  ])

t.test(
  'created: first response and resolution start now on the business calendar; next response does not',
  async (t) => {
    const context = contextOf([madridPolicy()])
    // Friday 2024-03-01 17:00 Madrid (CET) = 16:00Z.
    const now = at('2024-03-01T16:00:00Z')
    const plan = planTimers(context, ticketOf(), [], { kind: 'created' }, now, idSequence(), WS)

    t.strictSame(written(plan), ['firstResponse#1', 'resolution#1'], 'no next response timer on creation')
    const first = ofMetric(plan, 'firstResponse')
    t.equal(first.isNew, true)
    t.equal(first.workspaceId, WS)
    t.equal(first.ticketId, 'ticket-1')
    // 8 business hours from Friday 17:00: Friday 17–18 (1 h), then Monday 09:00 + 7 h = Monday 16:00 CET
    // (2024-03-04T15:00Z). The warning 60 business minutes before: Monday 15:00 CET = 14:00Z.
    t.strictSame(view(first), {
      id: 'timer-1',
      metric: 'firstResponse',
      instance: 1,
      policyId: 'madrid',
      stage: 'active',
      targetMinutes: 480,
      calendarId: OFFICE,
      usedMs: 0,
      startedAt: '2024-03-01T16:00:00.000Z',
      anchorAt: '2024-03-01T16:00:00.000Z',
      dueAt: '2024-03-04T15:00:00.000Z',
      warnAt: '2024-03-04T14:00:00.000Z',
      pausedAt: null,
      fulfilledAt: null,
      breachedAt: null,
    })
    t.strictSame(first.pauseOn, [])
    t.equal(first.warnBeforeMinutes, 60)
    // 45 business hours from Friday 17:00: Friday 1 h, Monday–Thursday 4 × 9 h = 36 h (37 h), then Friday
    // 2024-03-08 09:00 + 8 h = 17:00 CET = 16:00Z. No warning configured.
    const resolution = ofMetric(plan, 'resolution')
    t.hasStrict(view(resolution), {
      id: 'timer-2',
      stage: 'active',
      targetMinutes: 2700,
      calendarId: OFFICE,
      startedAt: '2024-03-01T16:00:00.000Z',
      dueAt: '2024-03-08T16:00:00.000Z',
      warnAt: null,
    })
    t.strictSame(resolution.pauseOn, ['pending', 'on_hold'])
    t.equal(iso(plan.nextDueAt), '2024-03-04T15:00:00.000Z', 'the earliest deadline')
    t.equal(plan.breached, false)
    t.strictSame(plan.deletes, [])
    t.strictSame(plan.breachedNow, [])
  },
)

t.test(
  'created: across the change to summer time the deadline lands on Madrid wall-clock hours',
  async (t) => {
    const context = contextOf([madridPolicy()])
    // Friday 2024-03-29 17:00 CET = 16:00Z; clocks go forward on Sunday the 31st. 8 business hours:
    // Friday 17–18, then Monday 2024-04-01 09:00 + 7 h = 16:00 CEST = 14:00Z; warning 15:00 CEST = 13:00Z.
    const plan = planTimers(
      context,
      ticketOf(),
      [],
      { kind: 'created' },
      at('2024-03-29T16:00:00Z'),
      idSequence(),
      WS,
    )
    const first = ofMetric(plan, 'firstResponse')
    t.equal(iso(first.dueAt), '2024-04-01T14:00:00.000Z')
    t.equal(iso(first.warnAt), '2024-04-01T13:00:00.000Z')
  },
)

t.test('created: calendar-time targets, a warning not shorter than the target, a paused start', async (t) => {
  const context = contextOf([
    policy('clock', [
      target('firstResponse', 90, { businessHours: false, warnBeforeMinutes: 30 }),
      target('resolution', 60, { businessHours: false, warnBeforeMinutes: 60, pauseOn: ['pending'] }),
    ]),
  ])
  // Saturday 2024-03-02 22:30Z: calendar time counts the weekend.
  const now = at('2024-03-02T22:30:00Z')
  const plan = planTimers(context, ticketOf(), [], { kind: 'created' }, now, idSequence(), WS)
  const first = ofMetric(plan, 'firstResponse')
  t.equal(first.calendarId, null, 'calendar time')
  t.equal(iso(first.dueAt), '2024-03-03T00:00:00.000Z', '22:30 + 90 min')
  t.equal(iso(first.warnAt), '2024-03-02T23:30:00.000Z', '30 min before the deadline')
  const resolution = ofMetric(plan, 'resolution')
  t.equal(iso(resolution.dueAt), '2024-03-02T23:30:00.000Z', '22:30 + 60 min')
  t.equal(resolution.warnAt, null, 'a warning as long as the target is no warning')

  // Created while pending: the resolution starts paused (no deadline), the first response runs.
  const pending = planTimers(
    context,
    ticketOf({ status: 'pending' }),
    [],
    { kind: 'created' },
    now,
    idSequence(),
    WS,
  )
  t.hasStrict(view(ofMetric(pending, 'resolution')), {
    stage: 'paused',
    usedMs: 0,
    anchorAt: null,
    dueAt: null,
    warnAt: null,
    pausedAt: '2024-03-02T22:30:00.000Z',
  })
  t.equal(iso(pending.nextDueAt), '2024-03-03T00:00:00.000Z', 'only the first response is owed')

  const none = planTimers(
    contextOf([policy('chat', [target('resolution', 60)], { channels: ['chat'] })]),
    ticketOf(),
    [],
    { kind: 'created' },
    now,
    idSequence(),
    WS,
  )
  t.strictSame(none.upserts, [], 'no policy matches: no timers')
  t.equal(none.nextDueAt, null)
})

// ---------------------------------------------------------------------------------------------------
// A ticket's life on the Madrid office calendar

t.test('a ticket’s life: replies, customer turns, a pause, solving and reopening', async (t) => {
  const life = new Life(contextOf([madridPolicy()]), ticketOf())

  // T0 Friday 2024-03-01 17:00 CET (16:00Z): created. First response due Monday 16:00 CET, resolution
  // due Friday 2024-03-08 17:00 CET (see the creation test).
  life.step({ kind: 'created' }, at('2024-03-01T16:00:00Z'))

  // T1 Monday 2024-03-04 10:30 CET (09:30Z): staff reply, new → open. The first response used
  // Friday 17–18 (1 h) + Monday 09:00–10:30 (1.5 h) = 2.5 h = 9,000,000 ms.
  let plan = life.step({ kind: 'staffReply', from: 'new' }, at('2024-03-04T09:30:00Z'), {
    status: 'open',
    firstRespondedAt: at('2024-03-04T09:30:00Z'),
  })
  t.strictSame(written(plan), ['firstResponse#1'], 'T1: the reply touches the first response only')
  t.hasStrict(view(life.timer('firstResponse')), {
    stage: 'fulfilled',
    fulfilledAt: '2024-03-04T09:30:00.000Z',
    usedMs: 9_000_000,
    anchorAt: null,
    breachedAt: null,
  })
  t.hasStrict(
    view(life.timer('resolution')),
    { stage: 'active', fulfilledAt: null },
    'T1: resolution runs on',
  )
  t.equal(iso(plan.nextDueAt), '2024-03-08T16:00:00.000Z', 'T1: the resolution is the deadline owed')

  // T2 Monday 12:00 CET (11:00Z): the customer writes, the ticket was answered: next response #1,
  // 4 business hours → Monday 16:00 CET = 15:00Z.
  plan = life.step({ kind: 'customerMessage', answered: true, from: 'open' }, at('2024-03-04T11:00:00Z'))
  t.strictSame(written(plan), ['nextResponse#1'])
  t.hasStrict(view(ofMetric(plan, 'nextResponse')), {
    id: 'timer-3',
    stage: 'active',
    startedAt: '2024-03-04T11:00:00.000Z',
    dueAt: '2024-03-04T15:00:00.000Z',
    usedMs: 0,
  })
  t.equal(iso(plan.nextDueAt), '2024-03-04T15:00:00.000Z', 'T2: the next response is now the earliest')

  // T3 Monday 13:00 CET: another customer message while the next response is open starts nothing.
  plan = life.step({ kind: 'customerMessage', answered: true, from: 'open' }, at('2024-03-04T12:00:00Z'))
  t.strictSame(written(plan), [], 'T3: no second clock for the same turn')
  t.equal(iso(plan.nextDueAt), '2024-03-04T15:00:00.000Z')

  // T4 Monday 14:00 CET (13:00Z): staff reply fulfils next response #1 after 2 h = 7,200,000 ms.
  plan = life.step({ kind: 'staffReply', from: 'open' }, at('2024-03-04T13:00:00Z'))
  t.strictSame(written(plan), ['nextResponse#1'], 'T4: not the resolution')
  t.hasStrict(view(life.timer('nextResponse', 1)), {
    stage: 'fulfilled',
    fulfilledAt: '2024-03-04T13:00:00.000Z',
    usedMs: 7_200_000,
  })

  // T5 Monday 17:00 CET (16:00Z): a new customer turn: next response #2. 4 business hours: Monday
  // 17–18 (1 h), Tuesday 09:00 + 3 h = Tuesday 2024-03-05 12:00 CET = 11:00Z.
  plan = life.step({ kind: 'customerMessage', answered: true, from: 'open' }, at('2024-03-04T16:00:00Z'))
  t.strictSame(written(plan), ['nextResponse#2'], 'T5: the second instance')
  t.hasStrict(view(ofMetric(plan, 'nextResponse', 2)), {
    id: 'timer-4',
    stage: 'active',
    dueAt: '2024-03-05T11:00:00.000Z',
  })

  // T6 Tuesday 10:00 CET (09:00Z): open → pending. The resolution pauses after Friday 1 h + Monday 9 h +
  // Tuesday 1 h = 11 h = 39,600,000 ms. The next response (pauseOn []) keeps running.
  plan = life.step({ kind: 'changed', from: 'open' }, at('2024-03-05T09:00:00Z'), { status: 'pending' })
  t.strictSame(written(plan), ['resolution#1'], 'T6: only the resolution pauses')
  t.hasStrict(view(life.timer('resolution')), {
    stage: 'paused',
    usedMs: 39_600_000,
    pausedAt: '2024-03-05T09:00:00.000Z',
    anchorAt: null,
    dueAt: null,
    warnAt: null,
    fulfilledAt: null,
  })
  t.hasStrict(view(life.timer('nextResponse', 2)), { stage: 'active', dueAt: '2024-03-05T11:00:00.000Z' })
  t.equal(iso(plan.nextDueAt), '2024-03-05T11:00:00.000Z', 'T6: a paused timer owes no deadline')

  // T7 Tuesday 10:30 CET (09:30Z): staff replies while pending: next response #2 used Monday 17–18 +
  // Tuesday 09:00–10:30 = 2.5 h. The paused resolution is left alone.
  plan = life.step({ kind: 'staffReply', from: 'pending' }, at('2024-03-05T09:30:00Z'))
  t.strictSame(written(plan), ['nextResponse#2'])
  t.hasStrict(view(life.timer('nextResponse', 2)), { stage: 'fulfilled', usedMs: 9_000_000 })
  t.equal(life.timer('resolution').stage, 'paused', 'T7: still paused')
  t.equal(plan.nextDueAt, null, 'T7: nothing running')

  // T8 Wednesday 2024-03-06 11:00 CET (10:00Z): pending → open. 45 − 11 = 34 h remain: Wednesday
  // 11–18 (7 h), Thursday 9 h (16), Friday 9 h (25), Monday 2024-03-11 9 h (34) → 18:00 CET = 17:00Z.
  plan = life.step({ kind: 'changed', from: 'pending' }, at('2024-03-06T10:00:00Z'), { status: 'open' })
  t.strictSame(written(plan), ['resolution#1'])
  t.hasStrict(view(life.timer('resolution')), {
    stage: 'active',
    usedMs: 39_600_000,
    anchorAt: '2024-03-06T10:00:00.000Z',
    pausedAt: null,
    dueAt: '2024-03-11T17:00:00.000Z',
  })
  t.equal(iso(plan.nextDueAt), '2024-03-11T17:00:00.000Z')
  // Wednesday 15:00 CET: 11 h + 4 h = 15 h used (900 min), 2700 − 900 = 1800 remain.
  t.strictSame(timerUsage(life.context, life.timer('resolution'), at('2024-03-06T14:00:00Z')), {
    usedMinutes: 900,
    remainingMinutes: 1800,
  })

  // T9 Thursday 2024-03-07 12:00 CET (11:00Z): solved. The resolution used 11 h + Wednesday 7 h +
  // Thursday 3 h = 21 h = 75,600,000 ms.
  plan = life.step({ kind: 'changed', from: 'open' }, at('2024-03-07T11:00:00Z'), { status: 'solved' })
  t.strictSame(written(plan), ['resolution#1'], 'T9: the fulfilled timers are not written again')
  t.hasStrict(view(life.timer('resolution')), {
    stage: 'fulfilled',
    fulfilledAt: '2024-03-07T11:00:00.000Z',
    usedMs: 75_600_000,
  })
  t.equal(plan.nextDueAt, null)
  t.equal(plan.breached, false)

  // T10 Monday 2024-03-11 09:00 CET (08:00Z): the customer writes on the solved ticket, which reopens
  // (as the ticket service does: solved → open). Next response #3 due 13:00 CET = 12:00Z. The resolution
  // resumes with its 21 h: 24 h remain: Monday 9, Tuesday 9, Wednesday 09:00 + 6 h = 15:00 CET = 14:00Z.
  plan = life.step({ kind: 'customerMessage', answered: true, from: 'solved' }, at('2024-03-11T08:00:00Z'), {
    status: 'open',
  })
  t.strictSame(written(plan).sort(), ['nextResponse#3', 'resolution#1'])
  t.hasStrict(view(ofMetric(plan, 'nextResponse', 3)), { id: 'timer-5', dueAt: '2024-03-11T12:00:00.000Z' })
  t.hasStrict(view(life.timer('resolution')), {
    id: 'timer-2',
    stage: 'active',
    fulfilledAt: null,
    usedMs: 75_600_000,
    startedAt: '2024-03-01T16:00:00.000Z',
    anchorAt: '2024-03-11T08:00:00.000Z',
    dueAt: '2024-03-13T14:00:00.000Z',
  })
  t.equal(ofMetric(plan, 'resolution').isNew, undefined, 'the same row, not a new one')
  t.equal(life.timer('firstResponse').stage, 'fulfilled', 'the first response stays fulfilled')
  t.equal(iso(plan.nextDueAt), '2024-03-11T12:00:00.000Z')
  t.strictSame(
    life.rows.map((row) => `${row.metric}#${row.instance}`).sort(),
    ['firstResponse#1', 'nextResponse#1', 'nextResponse#2', 'nextResponse#3', 'resolution#1'],
    'one first response, one resolution, next responses numbered without gaps',
  )
})

t.test(
  'customerMessage: starts a next response only when answered and no response clock is open',
  async (t) => {
    const context = contextOf([madridPolicy()])
    const life = new Life(context, ticketOf())
    life.step({ kind: 'created' }, at('2024-03-04T08:00:00Z'))

    // The first response is still open: a customer message (even flagged answered) adds no clock.
    let plan = life.step({ kind: 'customerMessage', answered: true, from: 'new' }, at('2024-03-04T08:30:00Z'))
    t.strictSame(written(plan), [], 'the first response is still owed')

    life.step({ kind: 'staffReply', from: 'new' }, at('2024-03-04T09:00:00Z'), { status: 'open' })
    plan = life.step({ kind: 'customerMessage', answered: false, from: 'open' }, at('2024-03-04T09:30:00Z'))
    t.strictSame(written(plan), [], 'answered: false starts nothing')
    plan = life.step({ kind: 'customerMessage', answered: true, from: 'open' }, at('2024-03-04T10:00:00Z'))
    // Monday 11:00 CET + 4 business hours = 15:00 CET = 14:00Z.
    t.strictSame(written(plan), ['nextResponse#1'], 'answered: true starts the first instance')
    t.equal(iso(ofMetric(plan, 'nextResponse').dueAt), '2024-03-04T14:00:00.000Z')

    // Without a next response target nothing starts.
    const noNext = new Life(
      contextOf([policy('short', [target('firstResponse', 60), target('resolution', 600)])]),
      ticketOf(),
    )
    noNext.step({ kind: 'created' }, at('2024-03-04T08:00:00Z'))
    noNext.step({ kind: 'staffReply', from: 'new' }, at('2024-03-04T08:30:00Z'), { status: 'open' })
    plan = noNext.step({ kind: 'customerMessage', answered: true, from: 'open' }, at('2024-03-04T09:00:00Z'))
    t.strictSame(written(plan), [], 'no target, no clock')
  },
)

// ---------------------------------------------------------------------------------------------------
// Solving, reopening, breaches

/** Calendar time, so deadlines are plain arithmetic. */
const clockPolicy = (conditions: SlaConditions = {}) =>
  policy(
    'clock',
    [
      target('firstResponse', 60, { businessHours: false }),
      target('nextResponse', 30, { businessHours: false }),
      target('resolution', 240, { businessHours: false, pauseOn: ['pending', 'on_hold'] }),
    ],
    conditions,
  )

t.test(
  'solving fulfils every open timer, paused or breached; reopening resumes only the resolution',
  async (t) => {
    const life = new Life(contextOf([clockPolicy()]), ticketOf())
    // 08:00Z created: first response due 09:00Z, resolution due 12:00Z.
    life.step({ kind: 'created' }, at('2024-05-06T08:00:00Z'))
    // 09:30Z the sweep breaches the first response at its deadline.
    t.strictSame(
      life.sweep(at('2024-05-06T09:30:00Z')).map((row) => row.metric),
      ['firstResponse'],
    )
    // 10:00Z on hold: the resolution pauses after 2 h.
    life.step({ kind: 'changed', from: 'new' }, at('2024-05-06T10:00:00Z'), { status: 'on_hold' })
    t.hasStrict(view(life.timer('resolution')), { stage: 'paused', usedMs: 2 * HOUR })

    // 11:00Z solved: both are fulfilled. The breached first response keeps its stage and breach instant
    // and its usage counts its whole 3 h; the paused resolution keeps its 2 h.
    let plan = life.step({ kind: 'changed', from: 'on_hold' }, at('2024-05-06T11:00:00Z'), {
      status: 'solved',
    })
    t.strictSame(written(plan).sort(), ['firstResponse#1', 'resolution#1'])
    t.hasStrict(view(life.timer('firstResponse')), {
      stage: 'breached',
      breachedAt: '2024-05-06T09:00:00.000Z',
      fulfilledAt: '2024-05-06T11:00:00.000Z',
      usedMs: 3 * HOUR,
      anchorAt: null,
    })
    t.hasStrict(view(life.timer('resolution')), {
      stage: 'fulfilled',
      fulfilledAt: '2024-05-06T11:00:00.000Z',
      usedMs: 2 * HOUR,
      pausedAt: null,
      anchorAt: null,
    })
    t.equal(plan.nextDueAt, null, 'nothing owed once solved')
    t.equal(plan.breached, true, 'a fulfilled timer that breached still counts as a breach')

    // 12:00Z reopened (solved → open): the resolution resumes with 2 h used; 2 h remain → 14:00Z.
    plan = life.step({ kind: 'changed', from: 'solved' }, at('2024-05-06T12:00:00Z'), { status: 'open' })
    t.strictSame(written(plan), ['resolution#1'], 'the first response is not reopened')
    t.hasStrict(view(life.timer('resolution')), {
      stage: 'active',
      fulfilledAt: null,
      usedMs: 2 * HOUR,
      anchorAt: '2024-05-06T12:00:00.000Z',
      dueAt: '2024-05-06T14:00:00.000Z',
    })
    t.equal(iso(plan.nextDueAt), '2024-05-06T14:00:00.000Z')

    // Reopened straight into a pause status (solved → pending): active, then paused at once, no deadline.
    life.step({ kind: 'changed', from: 'open' }, at('2024-05-06T13:00:00Z'), { status: 'solved' })
    plan = life.step({ kind: 'changed', from: 'solved' }, at('2024-05-06T15:00:00Z'), { status: 'pending' })
    t.hasStrict(view(life.timer('resolution')), {
      stage: 'paused',
      fulfilledAt: null,
      usedMs: 3 * HOUR,
      pausedAt: '2024-05-06T15:00:00.000Z',
      dueAt: null,
    })
    t.equal(plan.nextDueAt, null)

    // A status change that is no change (from equals status) does nothing.
    plan = life.step({ kind: 'changed', from: 'pending' }, at('2024-05-06T16:00:00Z'))
    t.strictSame(written(plan), [])
  },
)

t.test(
  'reopening a ticket whose resolution no longer has time left breaches it at the reopening',
  async (t) => {
    const tiered = policy('tiered', [
      target('resolution', 240, { businessHours: false }),
      target('resolution', 60, { businessHours: false, priorityId: 'urgent' }),
    ])
    const life = new Life(contextOf([tiered]), ticketOf({ status: 'open' }))
    life.step({ kind: 'created' }, at('2024-05-06T08:00:00Z'))
    // Solved at 11:00Z after 3 h of its 4.
    life.step({ kind: 'changed', from: 'open' }, at('2024-05-06T11:00:00Z'), { status: 'solved' })
    t.hasStrict(view(life.timer('resolution')), { stage: 'fulfilled', usedMs: 3 * HOUR })
    // Made urgent (1 h) while solved: a fulfilled timer is not re-targeted.
    let plan = life.step({ kind: 'changed', from: 'solved' }, at('2024-05-06T12:00:00Z'), {
      priorityId: 'urgent',
    })
    t.strictSame(written(plan), [])
    t.equal(life.timer('resolution').targetMinutes, 240)
    // Reopened the next day: it takes the urgent target, 3 h used ≥ 1 h, so it breaches at the
    // reopening (2024-05-07T08:00Z), not when an hour had gone on the first day.
    plan = life.step({ kind: 'changed', from: 'solved' }, at('2024-05-07T08:00:00Z'), { status: 'open' })
    t.strictSame(
      plan.breachedNow.map((timer) => timer.id),
      [life.timer('resolution').id],
    )
    t.hasStrict(view(life.timer('resolution')), {
      stage: 'breached',
      targetMinutes: 60,
      usedMs: 3 * HOUR,
      fulfilledAt: null,
      breachedAt: '2024-05-07T08:00:00.000Z',
      dueAt: '2024-05-07T08:00:00.000Z',
    })
    t.equal(plan.breached, true)
  },
)

t.test(
  're-target: the priority changes; used time stays used, the rest counts on the new target',
  async (t) => {
    const tiers = policy('tiers', [
      target('resolution', 2700),
      target('resolution', 540, { priorityId: 'urgent', warnBeforeMinutes: 60 }),
    ])
    const life = new Life(contextOf([tiers]), ticketOf({ status: 'open' }))
    // Monday 2024-03-04 09:00 CET (08:00Z): 45 business hours → Friday 2024-03-08 18:00 CET = 17:00Z.
    let plan = life.step({ kind: 'created' }, at('2024-03-04T08:00:00Z'))
    t.equal(iso(ofMetric(plan, 'resolution').dueAt), '2024-03-08T17:00:00.000Z')
    const id = life.timer('resolution').id

    // Monday 12:00 CET (11:00Z) → urgent (9 h). 3 h used; 6 h remain → Monday 18:00 CET = 17:00Z; the
    // warning 1 h before: 17:00 CET = 16:00Z.
    plan = life.step({ kind: 'changed' }, at('2024-03-04T11:00:00Z'), { priorityId: 'urgent' })
    t.strictSame(written(plan), ['resolution#1'])
    t.equal(ofMetric(plan, 'resolution').isNew, undefined, 'the same timer is updated')
    t.hasStrict(view(life.timer('resolution')), {
      id,
      stage: 'active',
      targetMinutes: 540,
      usedMs: 3 * HOUR,
      startedAt: '2024-03-04T08:00:00.000Z',
      anchorAt: '2024-03-04T11:00:00.000Z',
      dueAt: '2024-03-04T17:00:00.000Z',
      warnAt: '2024-03-04T16:00:00.000Z',
    })
    t.equal(life.timer('resolution').warnBeforeMinutes, 60)
    t.strictSame(plan.breachedNow, [])

    // Monday 15:00 CET (14:00Z) → normal again: 6 h used, 39 h remain: Monday 3 h, Tuesday–Friday 4 × 9 h
    // → Friday 18:00 CET = 17:00Z, the original deadline: switching back and forth loses nothing.
    plan = life.step({ kind: 'changed' }, at('2024-03-04T14:00:00Z'), { priorityId: 'normal' })
    t.hasStrict(view(life.timer('resolution')), {
      targetMinutes: 2700,
      usedMs: 6 * HOUR,
      dueAt: '2024-03-08T17:00:00.000Z',
      warnAt: null,
    })

    // Tuesday 10:00 CET (09:00Z) → urgent: 6 h + Monday 3 h + Tuesday 1 h = 10 h ≥ 9 h. It breaches now, at
    // the re-target, not back-dated to Monday 18:00 CET when 9 h had gone.
    plan = life.step({ kind: 'changed' }, at('2024-03-05T09:00:00Z'), { priorityId: 'urgent' })
    t.strictSame(
      plan.breachedNow.map((timer) => timer.id),
      [id],
    )
    t.hasStrict(view(life.timer('resolution')), {
      stage: 'breached',
      targetMinutes: 540,
      usedMs: 10 * HOUR,
      breachedAt: '2024-03-05T09:00:00.000Z',
      dueAt: '2024-03-05T09:00:00.000Z',
    })
    t.equal(plan.breached, true)
    t.equal(iso(plan.nextDueAt), '2024-03-05T09:00:00.000Z', 'a breached open timer still owes its deadline')

    // Tuesday 12:00 CET (11:00Z) → normal: a breach stays a breach (recorded once); the time keeps counting.
    plan = life.step({ kind: 'changed' }, at('2024-03-05T11:00:00Z'), { priorityId: 'normal' })
    t.strictSame(plan.breachedNow, [], 'not breached again')
    t.hasStrict(view(life.timer('resolution')), {
      stage: 'breached',
      targetMinutes: 2700,
      usedMs: 12 * HOUR,
      anchorAt: '2024-03-05T11:00:00.000Z',
      breachedAt: '2024-03-05T09:00:00.000Z',
    })
    t.equal(plan.breached, true)
  },
)

t.test('re-target: a new calendar (the department’s) measures the rest of the time', async (t) => {
  const context = contextOf([policy('by-department', [target('resolution', 540)])], {
    departmentCalendars: new Map([['mornings-team', MORNINGS]]),
  })
  const life = new Life(context, ticketOf({ status: 'open' }))
  // Monday 2024-03-04 09:00 CET on the office calendar (the default).
  life.step({ kind: 'created' }, at('2024-03-04T08:00:00Z'))
  t.equal(life.timer('resolution').calendarId, OFFICE)
  // Monday 12:00 CET: moved to a department on mornings (10–14). 3 office hours used; 6 h remain on
  // mornings from 12:00: Monday 12–14 (2 h), Tuesday 10:00 + 4 h = 14:00 CET = 13:00Z.
  life.step({ kind: 'changed' }, at('2024-03-04T11:00:00Z'), { departmentId: 'mornings-team' })
  t.hasStrict(view(life.timer('resolution')), {
    calendarId: MORNINGS,
    usedMs: 3 * HOUR,
    dueAt: '2024-03-05T13:00:00.000Z',
  })
})

t.test('re-match: a policy edited to pause on the current status pauses the running timer', async (t) => {
  const before = policy('edited', [target('resolution', 240, { businessHours: false })])
  const life = new Life(contextOf([before]), ticketOf({ status: 'pending' }))
  life.step({ kind: 'created' }, at('2024-05-06T08:00:00Z'))
  t.equal(life.timer('resolution').stage, 'active', 'no pause configured yet')
  const after = {
    ...before,
    targets: [target('resolution', 240, { businessHours: false, pauseOn: ['pending'] })],
  }
  const edited = new Life(contextOf([after]), life.ticket)
  edited.rows = life.rows
  const plan = edited.step({ kind: 'rematched' }, at('2024-05-06T09:00:00Z'))
  t.hasStrict(view(edited.timer('resolution')), { stage: 'paused', usedMs: HOUR, dueAt: null })
  t.strictSame(edited.timer('resolution').pauseOn, ['pending'])
  t.equal(plan.nextDueAt, null)
})

t.test('a target that no longer applies: its open timer is deleted, fulfilled ones stay', async (t) => {
  const life = new Life(contextOf([clockPolicy({ channels: ['email'] })]), ticketOf())
  life.step({ kind: 'created' }, at('2024-05-06T08:00:00Z'))
  life.step({ kind: 'staffReply', from: 'new' }, at('2024-05-06T08:30:00Z'), { status: 'open' })
  const resolutionId = life.timer('resolution').id

  // The channel changes: the policy stops matching. The open resolution goes; the fulfilled first
  // response is history and stays.
  const plan = life.step({ kind: 'changed' }, at('2024-05-06T09:00:00Z'), { channel: 'chat' })
  t.strictSame(
    plan.deletes.map((timer) => timer.id),
    [resolutionId],
  )
  t.strictSame(plan.upserts, [])
  t.equal(plan.nextDueAt, null)
  t.strictSame(
    life.rows.map((row) => row.metric),
    ['firstResponse'],
  )

  // A disabled policy, re-matched: the clocks that did not breach go; a breach stays on the record.
  const other = new Life(contextOf([clockPolicy()]), ticketOf())
  other.step({ kind: 'created' }, at('2024-05-06T08:00:00Z'))
  other.sweep(at('2024-05-06T09:30:00Z'))
  const breachedBefore = other.rows.filter((row) => row.stage === 'breached').map((row) => row.metric)
  t.ok(breachedBefore.length > 0, `the sweep breached ${breachedBefore.join(', ')}`)
  const disabled = new Life(contextOf([{ ...clockPolicy(), enabled: false }]), other.ticket)
  disabled.rows = other.rows
  const rematched = disabled.step({ kind: 'rematched' }, at('2024-05-06T10:00:00Z'))
  t.strictSame(
    rematched.deletes.map((timer) => timer.metric).sort(),
    ['firstResponse', 'resolution'].filter((metric) => !(breachedBefore as string[]).includes(metric)),
    'only the clocks that did not breach go',
  )
  t.equal(rematched.breached, true, 'the breach stays with its timer')
})

t.test('a target that newly applies starts counting when it starts applying, never back-dated', async (t) => {
  // Created before the policy matched: no clocks. Tagged vip at 09:00Z: the policy matches, the
  // unanswered ticket's first response (60 min → 10:00Z) and its resolution (240 min → 13:00Z) start.
  const life = new Life(contextOf([clockPolicy({ tagsAny: ['vip'] })]), ticketOf({ status: 'open' }))
  t.strictSame(written(life.step({ kind: 'created' }, at('2024-05-06T08:00:00Z'))), [], 'nothing matched yet')
  let plan = life.step({ kind: 'changed', from: 'open' }, at('2024-05-06T09:00:00Z'), { tags: ['vip'] })
  t.strictSame(written(plan), ['firstResponse#1', 'resolution#1'])
  t.hasStrict(view(ofMetric(plan, 'firstResponse')), {
    startedAt: '2024-05-06T09:00:00.000Z',
    dueAt: '2024-05-06T10:00:00.000Z',
  })
  t.hasStrict(view(ofMetric(plan, 'resolution')), {
    startedAt: '2024-05-06T09:00:00.000Z',
    dueAt: '2024-05-06T13:00:00.000Z',
  })
  t.equal(ofMetric(plan, 'resolution').isNew, true)
  t.equal(iso(plan.nextDueAt), '2024-05-06T10:00:00.000Z')

  // An answered ticket gets no first response clock when the policy starts to match; a solved one none.
  const answered = new Life(contextOf([clockPolicy({ tagsAny: ['vip'] })]), ticketOf({ status: 'open' }))
  answered.step({ kind: 'created' }, at('2024-05-06T08:00:00Z'))
  plan = answered.step({ kind: 'changed' }, at('2024-05-06T09:00:00Z'), {
    tags: ['vip'],
    firstRespondedAt: at('2024-05-06T08:30:00Z'),
  })
  t.strictSame(written(plan), ['resolution#1'], 'already answered: resolution only')
  const solved = new Life(contextOf([clockPolicy({ tagsAny: ['vip'] })]), ticketOf({ status: 'solved' }))
  plan = solved.step({ kind: 'rematched' }, at('2024-05-06T09:00:00Z'), { tags: ['vip'] })
  t.strictSame(written(plan), [], 'solved: nothing starts')

  // A target lost and found again: the channel moves away (the open resolution is deleted) and back;
  // the resolution starts afresh at 08:30Z (240 min → 12:30Z). The fulfilled first response stays as it is.
  const moved = new Life(contextOf([clockPolicy({ channels: ['email'] })]), ticketOf({ status: 'open' }))
  moved.step({ kind: 'created' }, at('2024-05-06T08:00:00Z'))
  moved.step({ kind: 'staffReply', from: 'open' }, at('2024-05-06T08:10:00Z'), {
    firstRespondedAt: at('2024-05-06T08:10:00Z'),
  })
  moved.step({ kind: 'changed' }, at('2024-05-06T08:20:00Z'), { channel: 'chat' })
  t.strictSame(
    moved.rows.map((row) => row.metric),
    ['firstResponse'],
    'the open resolution went with the policy',
  )
  plan = moved.step({ kind: 'changed' }, at('2024-05-06T08:30:00Z'), { channel: 'email' })
  t.strictSame(written(plan), ['resolution#1'])
  t.hasStrict(view(ofMetric(plan, 'resolution')), {
    usedMs: 0,
    startedAt: '2024-05-06T08:30:00.000Z',
    dueAt: '2024-05-06T12:30:00.000Z',
  })
})

t.test('nextDueAt and breached follow the open running and breached timers', async (t) => {
  const life = new Life(contextOf([clockPolicy()]), ticketOf())
  // 08:00Z created: first response due 09:00Z, resolution due 12:00Z.
  let plan = life.step({ kind: 'created' }, at('2024-05-06T08:00:00Z'))
  t.equal(iso(plan.nextDueAt), '2024-05-06T09:00:00.000Z')
  plan = life.step({ kind: 'staffReply', from: 'new' }, at('2024-05-06T08:30:00Z'), { status: 'open' })
  t.equal(iso(plan.nextDueAt), '2024-05-06T12:00:00.000Z', 'a fulfilled timer owes nothing')
  // 08:45Z customer turn: next response due 09:15Z.
  plan = life.step({ kind: 'customerMessage', answered: true, from: 'open' }, at('2024-05-06T08:45:00Z'))
  t.equal(iso(plan.nextDueAt), '2024-05-06T09:15:00.000Z')
  t.equal(plan.breached, false)

  // 10:00Z the sweep breaches the next response at 09:15Z; a plan now sees it.
  life.sweep(at('2024-05-06T10:00:00Z'))
  plan = life.step({ kind: 'rematched' }, at('2024-05-06T10:00:00Z'))
  t.strictSame(written(plan), [], 'nothing changed')
  t.equal(iso(plan.nextDueAt), '2024-05-06T09:15:00.000Z', 'the breached deadline is the earliest owed')
  t.equal(plan.breached, true)

  // 10:30Z pending: the resolution pauses, the breached next response is still owed.
  plan = life.step({ kind: 'changed', from: 'open' }, at('2024-05-06T10:30:00Z'), { status: 'pending' })
  t.equal(iso(plan.nextDueAt), '2024-05-06T09:15:00.000Z')
  // 11:00Z staff reply: the breached one is fulfilled (and stays breached); only a paused timer is open.
  plan = life.step({ kind: 'staffReply', from: 'pending' }, at('2024-05-06T11:00:00Z'))
  t.hasStrict(view(life.timer('nextResponse')), {
    stage: 'breached',
    breachedAt: '2024-05-06T09:15:00.000Z',
    fulfilledAt: '2024-05-06T11:00:00.000Z',
  })
  t.equal(plan.nextDueAt, null)
  t.equal(plan.breached, true)
})

// ---------------------------------------------------------------------------------------------------
// Calendar changes and usage

t.test('moveToCalendar: used time on the old calendar, the rest on the new one from now', async (t) => {
  // A 9-hour timer started Monday 2024-03-04 09:00 CET; the calendar changes at 12:00 CET (11:00Z).
  const now = at('2024-03-04T11:00:00Z')
  const timer = row({ warnBeforeMinutes: 60 })
  const moved = moveToCalendar(timer, office, mornings, now)
  // Used: 09:00–12:00 on the office calendar = 3 h (mornings would have counted 2 h). 6 h remain on
  // mornings from 12:00: Monday 12–14 (2 h), Tuesday 10:00 + 4 h = 14:00 CET = 13:00Z. Warning 1 h
  // earlier in business time: Tuesday 13:00 CET = 12:00Z.
  t.equal(moved.breached, false)
  t.hasStrict(view(moved.timer), {
    stage: 'active',
    usedMs: 3 * HOUR,
    anchorAt: '2024-03-04T11:00:00.000Z',
    dueAt: '2024-03-05T13:00:00.000Z',
    warnAt: '2024-03-05T12:00:00.000Z',
    breachedAt: null,
  })
  t.equal(timer.usedMs, 0, 'the row given is not changed')
  t.equal(iso(timer.dueAt), '2024-03-04T17:00:00.000Z')

  // Paused and fulfilled timers are left as they are.
  const paused = row({ stage: 'paused', anchorAt: null, dueAt: null, usedMs: 3 * HOUR, pausedAt: now })
  const pausedMove = moveToCalendar(paused, office, mornings, at('2024-03-05T11:00:00Z'))
  t.strictSame(pausedMove, { timer: paused, breached: false })
  const fulfilled = row({ stage: 'fulfilled', anchorAt: null, usedMs: 2 * HOUR, fulfilledAt: now })
  t.strictSame(moveToCalendar(fulfilled, office, mornings, at('2024-03-05T11:00:00Z')), {
    timer: fulfilled,
    breached: false,
  })

  // 7 h used before, anchored Monday 09:00 CET, moved at 11:30 CET: 9.5 h ≥ 9 h → breached now.
  const late = moveToCalendar(row({ usedMs: 7 * HOUR }), office, mornings, at('2024-03-04T10:30:00Z'))
  t.equal(late.breached, true)
  t.hasStrict(view(late.timer), {
    stage: 'breached',
    usedMs: 9.5 * HOUR,
    breachedAt: '2024-03-04T10:30:00.000Z',
    dueAt: '2024-03-04T10:30:00.000Z',
  })
  // Exactly used up (7 h + 09:00–11:00 CET = 9 h): nothing remains, breached.
  const exact = moveToCalendar(row({ usedMs: 7 * HOUR }), office, mornings, at('2024-03-04T10:00:00Z'))
  t.equal(exact.breached, true)
  t.equal(exact.timer.usedMs, 9 * HOUR)
  // 1 minute short of it: still running, due in one business minute on the new calendar. Monday 10:59
  // CET is inside mornings (10–14), so due 11:00 CET = 10:00Z.
  const short = moveToCalendar(row({ usedMs: 7 * HOUR }), office, mornings, at('2024-03-04T09:59:00Z'))
  t.equal(short.breached, false)
  t.equal(iso(short.timer.dueAt), '2024-03-04T10:00:00.000Z')

  // Already breached: the time is folded in and re-anchored, the deadline kept, not breached again.
  const breached = row({
    stage: 'breached',
    usedMs: 9 * HOUR,
    breachedAt: at('2024-03-04T17:00:00Z'),
    anchorAt: at('2024-03-05T08:00:00Z'),
  })
  const again = moveToCalendar(breached, office, mornings, at('2024-03-05T10:00:00Z'))
  t.equal(again.breached, false)
  t.hasStrict(view(again.timer), {
    stage: 'breached',
    usedMs: 11 * HOUR,
    anchorAt: '2024-03-05T10:00:00.000Z',
    dueAt: '2024-03-04T17:00:00.000Z',
    breachedAt: '2024-03-04T17:00:00.000Z',
  })
})

t.test(
  'timerUsage: used and remaining business minutes of running, paused and fulfilled timers',
  async (t) => {
    const context = contextOf([])
    // Active, 1 h used before, anchored Friday 2024-03-01 17:00 CET, read Monday 10:30:59 CET: 1 h + Friday
    // 17–18 + Monday 09:00–10:30:59 = 3 h 30 min 59 s → 210 whole minutes; 480 − 210 = 270 remain.
    t.strictSame(
      timerUsage(
        context,
        row({ targetMinutes: 480, usedMs: HOUR, anchorAt: at('2024-03-01T16:00:00Z') }),
        at('2024-03-04T09:30:59Z'),
      ),
      { usedMinutes: 210, remainingMinutes: 270 },
    )
    // Paused: only what was used, whenever it is read.
    t.strictSame(
      timerUsage(
        context,
        row({ targetMinutes: 480, stage: 'paused', anchorAt: null, usedMs: 2 * HOUR }),
        at('2024-03-20T10:00:00Z'),
      ),
      { usedMinutes: 120, remainingMinutes: 360 },
    )
    // Fulfilled: what it took, whenever it is read.
    t.strictSame(
      timerUsage(
        context,
        row({
          targetMinutes: 480,
          stage: 'fulfilled',
          anchorAt: null,
          usedMs: 450 * MINUTE,
          fulfilledAt: at('2024-03-04T16:00:00Z'),
        }),
        at('2024-03-20T10:00:00Z'),
      ),
      { usedMinutes: 450, remainingMinutes: 30 },
    )
    // Breached and still open: it keeps counting; nothing remains (never negative).
    t.strictSame(
      timerUsage(
        context,
        row({ stage: 'breached', usedMs: 9 * HOUR, anchorAt: at('2024-03-05T08:00:00Z') }),
        at('2024-03-05T09:00:00Z'),
      ),
      { usedMinutes: 600, remainingMinutes: 0 },
    )
    // Calendar time counts a Saturday.
    t.strictSame(
      timerUsage(
        context,
        row({ calendarId: null, targetMinutes: 240, anchorAt: at('2024-03-02T10:00:00Z') }),
        at('2024-03-02T12:00:00Z'),
      ),
      { usedMinutes: 120, remainingMinutes: 120 },
    )
  },
)

// ---------------------------------------------------------------------------------------------------
// Property: random lives on a 24/7 calendar

const statuses = ['new', 'open', 'pending', 'on_hold', 'solved'] as const
type Action =
  | { kind: 'status'; to: (typeof statuses)[number] }
  | { kind: 'staffReply' }
  | { kind: 'customerMessage' }
  | { kind: 'priority'; to: 'normal' | 'urgent' }
  | { kind: 'sweep' }

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('status' as const), to: fc.constantFrom(...statuses) }),
  fc.constant({ kind: 'staffReply' as const }),
  fc.constant({ kind: 'customerMessage' as const }),
  fc.record({
    kind: fc.constant('priority' as const),
    to: fc.constantFrom('normal' as const, 'urgent' as const),
  }),
  fc.constant({ kind: 'sweep' as const }),
)

const roundTheClock = policy('round-the-clock', [
  target('firstResponse', 60, { warnBeforeMinutes: 10 }),
  target('firstResponse', 15, { priorityId: 'urgent' }),
  target('nextResponse', 30),
  target('nextResponse', 10, { priorityId: 'urgent' }),
  target('resolution', 240, { pauseOn: ['pending', 'on_hold'], warnBeforeMinutes: 30 }),
  target('resolution', 60, { priorityId: 'urgent', pauseOn: ['pending', 'on_hold'] }),
])
const ALWAYS_ID = 'cal-always'
const alwaysContext: SlaContext = {
  policies: [roundTheClock],
  defaultCalendarId: ALWAYS_ID,
  departmentCalendars: new Map(),
  calendar: (id) => {
    if (id !== ALWAYS_ID) throw new Error(`unexpected calendar ${id}`)
    return BusinessCalendar.ALWAYS
  },
}

function checkInvariants(
  previous: readonly TimerRow[],
  rows: readonly TimerRow[],
  plan: TimerPlan | null,
  happening: Happening | null,
  ticket: SlaTicket,
  now: Date,
) {
  const fail = (message: string) => {
    throw new Error(`${message}\n${JSON.stringify({ happening, ticket, now, previous, rows }, null, 1)}`)
  }
  const byId = new Map(rows.map((row) => [row.id, row]))
  for (const before of previous) {
    const after = byId.get(before.id)
    if (!after) fail(`timer ${before.id} disappeared (the policy always matches)`)
    if (!after) continue
    if (after.usedMs < before.usedMs) fail(`usedMs of ${after.id} went down`)
    if (before.breachedAt !== null && after.breachedAt?.getTime() !== before.breachedAt.getTime()) {
      fail(`the breach of ${after.id} moved or vanished`)
    }
    const reopened =
      happening?.from !== undefined &&
      (happening.from === 'solved' || happening.from === 'closed') &&
      ticket.status !== 'solved' &&
      ticket.status !== 'closed'
    if (
      before.fulfilledAt !== null &&
      after.fulfilledAt === null &&
      !(after.metric === 'resolution' && reopened)
    ) {
      fail(`fulfilled ${after.metric} ${after.id} became open again`)
    }
    if (
      before.stage === 'fulfilled' &&
      after.stage !== 'fulfilled' &&
      !(after.metric === 'resolution' && reopened)
    ) {
      fail(`fulfilled ${after.metric} ${after.id} became ${after.stage}`)
    }
  }
  for (const metric of ['firstResponse', 'nextResponse', 'resolution'] as const) {
    const ofMetric = rows.filter((row) => row.metric === metric)
    if (ofMetric.filter((row) => row.fulfilledAt === null).length > 1) fail(`more than one open ${metric}`)
    const instances = ofMetric.map((row) => row.instance).sort((a, b) => a - b)
    if (instances.some((instance, i) => instance !== i + 1)) fail(`${metric} instances ${instances}`)
    if (metric !== 'nextResponse' && instances.length > 1) fail(`more than one ${metric}`)
  }
  for (const row of rows) {
    if (row.breachedAt !== null && row.breachedAt < row.startedAt)
      fail(`${row.id} breached before it started`)
    if (row.usedMs < 0 || row.usedMs > now.getTime() - row.startedAt.getTime()) {
      fail(`${row.id} used ${row.usedMs} ms in ${now.getTime() - row.startedAt.getTime()} ms`)
    }
    if (row.fulfilledAt === null && row.stage === 'active') {
      // On calendar time a running deadline is its anchor plus what remains.
      const expected = (row.anchorAt?.getTime() ?? Number.NaN) + row.targetMinutes * MINUTE - row.usedMs
      if (row.dueAt?.getTime() !== expected) fail(`${row.id} due ${iso(row.dueAt)}, expected ${expected}`)
    }
    if (row.stage === 'paused' && (row.dueAt !== null || row.anchorAt !== null)) fail(`paused ${row.id} runs`)
    if (row.stage === 'fulfilled' && row.usedMs >= row.targetMinutes * MINUTE) {
      fail(`${row.id} is recorded as met after using ${row.usedMs} ms of ${row.targetMinutes} min`)
    }
    if ((row.stage === 'fulfilled') !== (row.fulfilledAt !== null && row.breachedAt === null)) {
      fail(
        `${row.id} is ${row.stage} with fulfilledAt ${iso(row.fulfilledAt)}, breachedAt ${iso(row.breachedAt)}`,
      )
    }
  }
  if (plan) {
    const owed = rows
      .filter((row) => row.fulfilledAt === null && (row.stage === 'active' || row.stage === 'breached'))
      .flatMap((row) => (row.dueAt ? [row.dueAt.getTime()] : []))
    const expected = owed.length === 0 ? null : Math.min(...owed)
    if ((plan.nextDueAt?.getTime() ?? null) !== expected) fail(`nextDueAt ${iso(plan.nextDueAt)}`)
    if (plan.breached !== rows.some((row) => row.breachedAt !== null)) fail(`breached ${plan.breached}`)
    // Each breach is reported once, in the plan that records it: at now (a re-target or resume with no
    // time left), or at the missed deadline of a clock found overdue (before a sweep saw it).
    const before = new Map(previous.map((row) => [row.id, row]))
    const newly = rows.filter((row) => row.breachedAt !== null && !before.get(row.id)?.breachedAt)
    const reported = plan.breachedNow.map((timer) => timer.id)
    if (JSON.stringify(newly.map((row) => row.id).sort()) !== JSON.stringify([...reported].sort())) {
      fail(`newly breached ${newly.map((row) => row.id)}, reported ${reported}`)
    }
    for (const row of newly) {
      const atNow = row.breachedAt?.getTime() === now.getTime()
      const missed = before.get(row.id)?.dueAt
      const atMissedDeadline =
        missed !== null &&
        missed !== undefined &&
        row.breachedAt?.getTime() === missed.getTime() &&
        missed <= now
      if (!atNow && !atMissedDeadline) fail(`${row.id} breached at ${iso(row.breachedAt)}`)
    }
  }
}

/** One step of a random life, as the ticket service would drive the engine (a sweep stands for the job). */
function act(life: Life, action: Action, now: Date): { plan: TimerPlan | null; happening: Happening | null } {
  const from = life.ticket.status
  switch (action.kind) {
    case 'sweep':
      life.sweep(now)
      return { plan: null, happening: null }
    case 'status': {
      const happening: Happening = { kind: 'changed', from }
      return { plan: life.step(happening, now, { status: action.to }), happening }
    }
    case 'priority': {
      const happening: Happening = { kind: 'changed', from }
      return { plan: life.step(happening, now, { priorityId: action.to }), happening }
    }
    case 'staffReply': {
      // The first public reply sets firstRespondedAt; a reply opens a new ticket.
      const happening: Happening = { kind: 'staffReply', from }
      const change: Partial<SlaTicket> = {
        firstRespondedAt: life.ticket.firstRespondedAt ?? now,
        ...(from === 'new' ? { status: 'open' } : {}),
      }
      return { plan: life.step(happening, now, change), happening }
    }
    case 'customerMessage': {
      // A customer message reopens a pending or solved ticket.
      const happening: Happening = {
        kind: 'customerMessage',
        answered: life.ticket.firstRespondedAt !== null,
        from,
      }
      const change: Partial<SlaTicket> = from === 'pending' || from === 'solved' ? { status: 'open' } : {}
      return { plan: life.step(happening, now, change), happening }
    }
  }
}

t.test('property: random lives on a 24/7 calendar keep the timer invariants', async (t) => {
  let reopenedResolutions = 0
  let breaches = 0
  let pauses = 0
  fc.assert(
    fc.property(
      fc.constantFrom('normal', 'urgent'),
      fc.array(fc.record({ gap: fc.integer({ min: 0, max: 120 }), action }), { maxLength: 40 }),
      (priority, steps) => {
        let now = at('2024-05-06T08:00:00Z')
        const life = new Life(alwaysContext, ticketOf({ priorityId: priority }))
        const created: Happening = { kind: 'created' }
        const first = life.step(created, now)
        checkInvariants([], life.rows, first, created, life.ticket, now)
        for (const { gap, action } of steps) {
          now = new Date(now.getTime() + gap * MINUTE)
          const previous = life.rows
          const from = life.ticket.status
          const { plan, happening } = act(life, action, now)
          checkInvariants(previous, life.rows, plan, happening, life.ticket, now)
          breaches += life.rows.filter((row) => row.breachedAt !== null).length
          pauses += life.rows.filter((row) => row.stage === 'paused').length
          if (from === 'solved' && life.ticket.status !== 'solved') reopenedResolutions++
        }
      },
    ),
    { numRuns: 300 },
  )
  // The runs reached the interesting paths (so the invariants were tested on them).
  t.ok(reopenedResolutions > 0, `reopened tickets: ${reopenedResolutions}`)
  t.ok(breaches > 0, `breached timers seen: ${breaches}`)
  t.ok(pauses > 0, `paused timers seen: ${pauses}`)
})

// ---------------------------------------------------------------------------------------------------
// Clocks found overdue (the sweep had not run yet) and reopened breaches.

t.test('a reply after the deadline, before the sweep ran, is a breach at the deadline', async (t) => {
  // First response due 09:00Z; the staff reply comes at 09:30Z and the sweep has not run (it can run
  // late, see sweep.ts). Like the sweep, the engine records the breach at the deadline itself.
  const life = new Life(contextOf([clockPolicy()]), ticketOf())
  life.step({ kind: 'created' }, at('2024-05-06T08:00:00Z'))
  let plan = life.step({ kind: 'staffReply', from: 'new' }, at('2024-05-06T09:30:00Z'), { status: 'open' })
  t.hasStrict(view(life.timer('firstResponse')), {
    stage: 'breached',
    usedMs: 90 * MINUTE,
    fulfilledAt: '2024-05-06T09:30:00.000Z',
    breachedAt: '2024-05-06T09:00:00.000Z',
  })
  t.strictSame(
    plan.breachedNow.map((timer) => timer.metric),
    ['firstResponse'],
    'reported once, for its event',
  )
  t.equal(plan.breached, true)

  // Exactly at the deadline counts as late too (the sweep takes due_at <= now).
  const exact = new Life(contextOf([clockPolicy()]), ticketOf())
  exact.step({ kind: 'created' }, at('2024-05-06T08:00:00Z'))
  exact.step({ kind: 'staffReply', from: 'new' }, at('2024-05-06T09:00:00Z'), { status: 'open' })
  t.equal(iso(exact.timer('firstResponse').breachedAt), '2024-05-06T09:00:00.000Z')
  // One minute before: met.
  const early = new Life(contextOf([clockPolicy()]), ticketOf())
  early.step({ kind: 'created' }, at('2024-05-06T08:00:00Z'))
  plan = early.step({ kind: 'staffReply', from: 'new' }, at('2024-05-06T08:59:00Z'), { status: 'open' })
  t.hasStrict(view(early.timer('firstResponse')), { stage: 'fulfilled', breachedAt: null })
  t.strictSame(plan.breachedNow, [])

  // Solving late is the same: resolution due 12:00Z, solved at 12:30Z.
  const solved = new Life(contextOf([clockPolicy()]), ticketOf({ status: 'open' }))
  solved.step({ kind: 'created' }, at('2024-05-06T08:00:00Z'))
  solved.step({ kind: 'staffReply', from: 'open' }, at('2024-05-06T08:30:00Z'), {
    firstRespondedAt: at('2024-05-06T08:30:00Z'),
  })
  plan = solved.step({ kind: 'changed', from: 'open' }, at('2024-05-06T12:30:00Z'), { status: 'solved' })
  t.hasStrict(view(solved.timer('resolution')), {
    stage: 'breached',
    fulfilledAt: '2024-05-06T12:30:00.000Z',
    breachedAt: '2024-05-06T12:00:00.000Z',
  })
  t.strictSame(
    plan.breachedNow.map((timer) => timer.metric),
    ['resolution'],
  )
})

t.test(
  'a clock found overdue breaches at its deadline, whatever happens: a pause, a new target',
  async (t) => {
    // Resolution due 12:00Z; pending at 12:30Z before any sweep. It breaches at 12:00Z instead of
    // pausing (a breached clock does not pause), and keeps counting from its anchor (08:00Z).
    const life = new Life(contextOf([clockPolicy()]), ticketOf({ status: 'open' }))
    life.step({ kind: 'created' }, at('2024-05-06T08:00:00Z'))
    life.step({ kind: 'staffReply', from: 'open' }, at('2024-05-06T08:30:00Z'), {
      firstRespondedAt: at('2024-05-06T08:30:00Z'),
    })
    let plan = life.step({ kind: 'changed', from: 'open' }, at('2024-05-06T12:30:00Z'), { status: 'pending' })
    t.strictSame(
      plan.breachedNow.map((timer) => timer.metric),
      ['resolution'],
    )
    t.hasStrict(view(life.timer('resolution')), {
      stage: 'breached',
      breachedAt: '2024-05-06T12:00:00.000Z',
      dueAt: '2024-05-06T12:00:00.000Z',
      pausedAt: null,
    })
    t.equal(plan.breached, true)
    t.equal(iso(plan.nextDueAt), '2024-05-06T12:00:00.000Z', 'still owed')
    // 08:00Z → 13:00Z = 300 minutes of 240.
    t.strictSame(timerUsage(life.context, life.timer('resolution'), at('2024-05-06T13:00:00Z')), {
      usedMinutes: 300,
      remainingMinutes: 0,
    })
    // Solved at 13:00Z: fulfilled, still a breach, 5 h used.
    plan = life.step({ kind: 'changed', from: 'pending' }, at('2024-05-06T13:00:00Z'), { status: 'solved' })
    t.hasStrict(view(life.timer('resolution')), { stage: 'breached', usedMs: 5 * HOUR })
    t.strictSame(plan.breachedNow, [], 'the breach was reported once, before')

    // Overdue at a re-target to a longer target: the breach stands, at the old deadline (12:00Z).
    const tiered = policy('tiered', [
      target('resolution', 240, { businessHours: false }),
      target('resolution', 480, { businessHours: false, priorityId: 'low' }),
    ])
    const late = new Life(contextOf([tiered]), ticketOf({ status: 'open' }))
    late.step({ kind: 'created' }, at('2024-05-06T08:00:00Z'))
    plan = late.step({ kind: 'changed' }, at('2024-05-06T12:30:00Z'), { priorityId: 'low' })
    t.hasStrict(view(late.timer('resolution')), {
      stage: 'breached',
      targetMinutes: 480,
      usedMs: 4.5 * HOUR,
      anchorAt: '2024-05-06T12:30:00.000Z',
      breachedAt: '2024-05-06T12:00:00.000Z',
    })
    t.equal(plan.breachedNow.length, 1)
  },
)

t.test('reopening a ticket whose resolution had breached keeps the missed deadline owed', async (t) => {
  // Resolution due 12:00Z, breached by the sweep; solved at 13:00Z; reopened at 14:00Z: it is open and
  // breached again, keeps its missed deadline (so nextDueAt still shows it) and counts from 14:00Z.
  const life = new Life(contextOf([clockPolicy()]), ticketOf({ status: 'open' }))
  life.step({ kind: 'created' }, at('2024-05-06T08:00:00Z'))
  life.step({ kind: 'staffReply', from: 'open' }, at('2024-05-06T08:30:00Z'), {
    firstRespondedAt: at('2024-05-06T08:30:00Z'),
  })
  life.sweep(at('2024-05-06T12:30:00Z'))
  life.step({ kind: 'changed', from: 'open' }, at('2024-05-06T13:00:00Z'), { status: 'solved' })
  t.equal(life.timer('resolution').usedMs, 5 * HOUR)
  const plan = life.step({ kind: 'changed', from: 'solved' }, at('2024-05-06T14:00:00Z'), { status: 'open' })
  t.hasStrict(view(life.timer('resolution')), {
    stage: 'breached',
    fulfilledAt: null,
    usedMs: 5 * HOUR,
    anchorAt: '2024-05-06T14:00:00.000Z',
    dueAt: '2024-05-06T12:00:00.000Z',
    breachedAt: '2024-05-06T12:00:00.000Z',
  })
  t.strictSame(plan.breachedNow, [], 'not a new breach')
  t.equal(iso(plan.nextDueAt), '2024-05-06T12:00:00.000Z')
  t.equal(plan.breached, true)
  // 15:00Z it counts on: 5 h + 1 h = 360 minutes of 240.
  t.strictSame(timerUsage(life.context, life.timer('resolution'), at('2024-05-06T15:00:00Z')), {
    usedMinutes: 360,
    remainingMinutes: 0,
  })
})

// ---------------------------------------------------------------------------------------------------
// A paused clock re-targeted below the time it used (a bug this section found: it breached with no
// deadline and no anchor, and stopped counting for good).

/** 3 h used of a 4 h resolution, then pending (paused) at 11:00Z, then made urgent (1 h) at 11:30Z. */
function pausedThenUrgent() {
  const tiered = policy('tiered', [
    target('resolution', 240, { businessHours: false, pauseOn: ['pending'] }),
    target('resolution', 60, { businessHours: false, pauseOn: ['pending'], priorityId: 'urgent' }),
  ])
  const life = new Life(contextOf([tiered]), ticketOf({ status: 'open' }))
  life.step({ kind: 'created' }, at('2024-05-06T08:00:00Z'))
  life.step({ kind: 'changed', from: 'open' }, at('2024-05-06T11:00:00Z'), { status: 'pending' })
  const plan = life.step({ kind: 'changed', from: 'pending' }, at('2024-05-06T11:30:00Z'), {
    priorityId: 'urgent',
  })
  return { life, plan }
}

t.test('a paused clock re-targeted below its used time breaches now, and keeps counting', async (t) => {
  const { life, plan } = pausedThenUrgent()
  // What works: with 3 h used of its new 1 h it breaches at the re-target, reported once.
  t.hasStrict(view(life.timer('resolution')), {
    stage: 'breached',
    targetMinutes: 60,
    usedMs: 3 * HOUR,
    breachedAt: '2024-05-06T11:30:00.000Z',
  })
  t.equal(plan.breachedNow.length, 1)
  t.equal(plan.breached, true)
  // Like every other open breached clock, it keeps a deadline (nextDueAt shows it) and is not paused.
  t.equal(iso(life.timer('resolution').dueAt), '2024-05-06T11:30:00.000Z', 'its deadline is owed')
  t.equal(iso(plan.nextDueAt), '2024-05-06T11:30:00.000Z', 'the ticket shows it')
  t.equal(life.timer('resolution').pausedAt, null, 'a breached clock is not paused')
  // It counts on: back to open at 12:00Z and solved at 13:00Z, that time is used too.
  life.step({ kind: 'changed', from: 'pending' }, at('2024-05-06T12:00:00Z'), { status: 'open' })
  t.ok(
    timerUsage(life.context, life.timer('resolution'), at('2024-05-06T13:00:00Z')).usedMinutes >= 240,
    'open 12:00–13:00Z counts (3 h + at least 1 h)',
  )
  life.step({ kind: 'changed', from: 'open' }, at('2024-05-06T13:00:00Z'), { status: 'solved' })
  t.ok(life.timer('resolution').usedMs >= 4 * HOUR, 'solved at 13:00Z, at least 4 h used')
})

t.test('property: an open breached clock keeps a deadline and keeps counting', async (t) => {
  // Random lives as in the property above (24/7), checked for what every other path gives an open
  // breached clock: a deadline (for nextDueAt) and an anchor (its time counts). fast-check finds the
  // paused re-target above on its own.
  const result = fc.check(
    fc.property(
      fc.constantFrom('normal', 'urgent'),
      fc.array(fc.record({ gap: fc.integer({ min: 0, max: 120 }), action }), { maxLength: 30 }),
      (priority, steps) => {
        let now = at('2024-05-06T08:00:00Z')
        const life = new Life(alwaysContext, ticketOf({ priorityId: priority }))
        life.step({ kind: 'created' }, now)
        for (const { gap, action } of steps) {
          now = new Date(now.getTime() + gap * MINUTE)
          act(life, action, now)
          for (const row of life.rows) {
            const openBreached = row.stage === 'breached' && row.fulfilledAt === null
            if (openBreached && (row.dueAt === null || row.anchorAt === null)) return false
          }
        }
        return true
      },
    ),
    { numRuns: 300, seed: 42 },
  )
  t.equal(result.failed, false, `counterexample: ${JSON.stringify(result.counterexample)}`)
})
