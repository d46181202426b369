import fc from 'fast-check'
import t from 'tap'
import {
  addBusinessMinutes,
  BusinessCalendar,
  businessMinutesBetween,
  type DayIntervals,
  NEVER,
} from '../../../src/modules/sla/business-time.ts'

const MINUTE = 60_000
const DAY = 86_400_000
const FROM = Date.UTC(2020, 0, 1)
const TO = Date.UTC(2030, 0, 1)

/** Zones with daylight saving (some with half-hour shifts or odd offsets) and some without. */
const zones = [
  'Europe/Madrid',
  'America/New_York',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'America/Santiago',
  'Asia/Tehran',
  'Asia/Kolkata',
  'UTC',
]

// ---------------------------------------------------------------------------------------------------
// The oracle: minute by minute, each UTC minute is looked up on the wall clock with Intl (not luxon,
// which the module uses), and counts when its local weekday opens at that time and its date is no holiday.

const wallClocks = new Map<string, Intl.DateTimeFormat>()
const offsets = new Map<string, number>()

/** The zone's offset at a UTC minute. Zones change offset on quarter hours, so one lookup serves 15 minutes. */
function offsetAt(zone: string, at: number) {
  const bucket = Math.floor(at / (15 * MINUTE)) * 15 * MINUTE
  const key = `${zone}@${bucket}`
  let offset = offsets.get(key)
  if (offset === undefined) {
    let format = wallClocks.get(zone)
    if (!format) {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
      })
      wallClocks.set(zone, format)
    }
    const parts = Object.fromEntries(format.formatToParts(bucket).map((p) => [p.type, Number(p.value)]))
    offset =
      Date.UTC(parts.year as number, (parts.month as number) - 1, parts.day, parts.hour, parts.minute) -
      bucket
    offsets.set(key, offset)
  }
  return offset
}

interface Spec {
  zone: string
  weekly: DayIntervals[]
  holidays: Set<number>
}

function isBusinessMinute(spec: Spec, at: number) {
  const local = at + offsetAt(spec.zone, at)
  const day = Math.floor(local / DAY)
  if (spec.holidays.has(day)) return false
  const minute = (local - day * DAY) / MINUTE
  const weekday = (((day + 3) % 7) + 7) % 7
  return (spec.weekly[weekday] as DayIntervals).some(([start, end]) => start <= minute && minute < end)
}

function oracleBetween(spec: Spec, a: number, b: number) {
  let count = 0
  for (let at = a; at < b; at += MINUTE) if (isBusinessMinute(spec, at)) count++
  return count
}

function oracleAdd(spec: Spec, from: number, minutes: number) {
  let counted = 0
  for (let at = from; ; at += MINUTE) {
    if (isBusinessMinute(spec, at) && ++counted === minutes) return at + MINUTE
  }
}

const calendarOf = (spec: Spec) =>
  new BusinessCalendar({
    timeZone: spec.zone,
    weekly: spec.weekly,
    isHoliday: spec.holidays.size > 0 ? (day) => spec.holidays.has(day) : undefined,
  })

// ---------------------------------------------------------------------------------------------------

const dayIntervals: fc.Arbitrary<DayIntervals> = fc
  .uniqueArray(
    fc.oneof(
      fc.integer({ min: 0, max: 1440 }),
      fc.integer({ min: 0, max: 96 }).map((q) => q * 15),
    ),
    {
      maxLength: 6,
    },
  )
  .map((points) => {
    const sorted = [...points].sort((a, b) => a - b)
    const pairs: [number, number][] = []
    for (let i = 0; i + 1 < sorted.length; i += 2) pairs.push([sorted[i] as number, sorted[i + 1] as number])
    return pairs
  })

/** A random calendar: a zone, up to three intervals a day (some days closed), and holidays in the window. */
const spec = (window: { from: number; days: number }, zone?: string): fc.Arbitrary<Spec> =>
  fc
    .record({
      zone: zone === undefined ? fc.constantFrom(...zones) : fc.constant(zone),
      weekly: fc.array(dayIntervals, { minLength: 7, maxLength: 7 }),
      holidays: fc.uniqueArray(fc.integer({ min: -2, max: window.days + 2 }), { maxLength: 40 }),
    })
    .filter((s) => s.weekly.some((d) => d.length > 0))
    .map((s) => ({
      zone: s.zone,
      weekly: s.weekly,
      holidays: new Set(s.holidays.map((d) => Math.floor(window.from / DAY) + d)),
    }))

/** Where the zone's offset changes in the test years, found with the oracle's own clock. */
function transitionsOf(zone: string) {
  const found: number[] = []
  for (let day = FROM; day < TO; day += DAY) {
    if (offsetAt(zone, day) === offsetAt(zone, day + DAY)) continue
    let low = day
    let high = day + DAY
    while (high - low > 15 * MINUTE) {
      const middle = low + Math.floor((high - low) / (30 * MINUTE)) * 15 * MINUTE
      if (offsetAt(zone, middle) === offsetAt(zone, low)) low = middle
      else high = middle
    }
    found.push(high)
  }
  return found
}
const transitions = new Map(zones.map((zone) => [zone, transitionsOf(zone)]))

const uniformInstant = fc.integer({ min: FROM / MINUTE, max: TO / MINUTE }).map((m) => m * MINUTE)
/** Half of the instants fall within two days of one of the zone's clock changes. */
const minuteInstant = (zone: string) => {
  const near = transitions.get(zone) ?? []
  if (near.length === 0) return uniformInstant
  return fc.oneof(
    uniformInstant,
    fc
      .record({ at: fc.constantFrom(...near), shift: fc.integer({ min: -2 * 1440, max: 1440 }) })
      .map(({ at, shift }) => at + shift * MINUTE),
  )
}

t.test(
  'businessMinutesBetween counts what the minute-by-minute oracle counts (spans up to a year)',
  async (t) => {
    const window = (days: number) =>
      fc.constantFrom(...zones).chain((zone) =>
        minuteInstant(zone).chain((from) =>
          fc.record({
            from: fc.constant(from),
            span: fc.integer({ min: 0, max: days * 1440 }),
            spec: spec({ from, days }, zone),
          }),
        ),
      )
    for (const [days, numRuns] of [
      [3, 300],
      [45, 40],
      [366, 12],
    ] as const) {
      fc.assert(
        fc.property(window(days), ({ from, span, spec }) => {
          const to = from + span * MINUTE
          const expected = oracleBetween(spec, from, to)
          const actual = calendarOf(spec).msBetween(from, to) / MINUTE
          if (actual !== expected) throw new Error(`${spec.zone}: expected ${expected}, got ${actual}`)
        }),
        { numRuns },
      )
    }
    t.pass('agreed with the oracle')
  },
)

t.test('addBusinessMinutes lands where the oracle lands', async (t) => {
  fc.assert(
    fc.property(
      fc.constantFrom(...zones).chain((zone) =>
        minuteInstant(zone).chain((from) =>
          fc.record({
            from: fc.constant(from),
            minutes: fc.integer({ min: 1, max: 6000 }),
            spec: spec({ from, days: 400 }, zone),
          }),
        ),
      ),
      ({ from, minutes, spec }) => {
        const expected = oracleAdd(spec, from, minutes)
        const actual = calendarOf(spec).addMs(from, minutes * MINUTE)
        if (actual !== expected) {
          throw new Error(
            `${spec.zone} +${minutes}: expected ${new Date(expected).toISOString()}, got ${new Date(actual).toISOString()}`,
          )
        }
      },
    ),
    { numRuns: 150 },
  )
  t.pass('agreed with the oracle')
})

t.test(
  'identities: adding then measuring gives the minutes back; both are monotonic and additive',
  async (t) => {
    // Any instant to the millisecond, not only whole minutes.
    const instant = fc.integer({ min: FROM, max: TO })
    fc.assert(
      fc.property(
        spec({ from: FROM, days: 0 }),
        instant,
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: 0, max: 20_000 }),
        (spec, from, m1, m2) => {
          const calendar = calendarOf(spec)
          const at1 = addBusinessMinutes(new Date(from), m1, calendar)
          const at2 = addBusinessMinutes(new Date(from), m2, calendar)
          if (m1 <= m2 !== at1 <= at2 && m1 !== m2) throw new Error('add is not monotonic in minutes')
          // A sparse calendar may not hold that many minutes within add's ten-year horizon: "never" is then
          // the answer, and the next ten years must indeed hold fewer. (Measuring up to NEVER itself,
          // year 9999, would walk three million days.)
          const horizon = from + 3650 * DAY
          for (const [at, m] of [
            [at1, m1],
            [at2, m2],
          ] as const) {
            if (at.getTime() === NEVER && calendar.msBetween(from, horizon) >= m * MINUTE)
              throw new Error(`never, though ten years hold ${m} minutes`)
          }
          if (at1.getTime() === NEVER || at2.getTime() === NEVER) return
          if (businessMinutesBetween(new Date(from), at1, calendar) !== m1)
            throw new Error('between(t, add(t, m)) ≠ m')
          const [early, late] = at1 <= at2 ? [at1, at2] : [at2, at1]
          const whole = calendar.msBetween(from, late.getTime())
          const parts =
            calendar.msBetween(from, early.getTime()) + calendar.msBetween(early.getTime(), late.getTime())
          if (whole !== parts) throw new Error('between is not additive')
          if (calendar.msBetween(from, early.getTime()) > whole) throw new Error('between is not monotonic')
        },
      ),
      { numRuns: 300 },
    )
    t.pass('identities held')
  },
)

const madrid = (weekly: DayIntervals[], holidays: string[] = []) =>
  new BusinessCalendar({
    timeZone: 'Europe/Madrid',
    weekly,
    isHoliday: (day) => holidays.includes(new Date(day * DAY).toISOString().slice(0, 10)),
  })
const everyDay = (...intervals: [number, number][]) => Array.from({ length: 7 }, () => intervals)
const at = (iso: string) => new Date(iso)

t.test(
  'a 09:00–18:00 day is nine hours on the days clocks change, and a night shift across the change is not',
  async (t) => {
    const office = madrid(everyDay([9 * 60, 18 * 60]))
    // 2026-03-29: Madrid springs forward at 02:00; 2026-10-25: falls back at 03:00.
    for (const day of ['2026-03-29', '2026-10-25', '2026-06-15']) {
      t.equal(
        businessMinutesBetween(at(`${day}T00:00:00Z`), at(`${day}T23:59:00Z`), office),
        540,
        `${day} has 540 business minutes`,
      )
    }
    const night = madrid(everyDay([60, 4 * 60]))
    t.equal(
      businessMinutesBetween(at('2026-03-28T22:00:00Z'), at('2026-03-29T12:00:00Z'), night),
      120,
      'spring: 01–04 is two hours',
    )
    t.equal(
      businessMinutesBetween(at('2026-10-24T22:00:00Z'), at('2026-10-25T12:00:00Z'), night),
      240,
      'autumn: 01–04 is four hours',
    )
    t.same(
      addBusinessMinutes(at('2026-03-29T00:30:00Z'), 60, night),
      at('2026-03-29T01:30:00Z'),
      'an hour from 01:30 CET is 03:30 CEST: the skipped hour is not business time',
    )
  },
)

t.test('split shifts, weekends and holidays: 24 business hours from a Friday afternoon', async (t) => {
  const weekdays = (intervals: [number, number][]) => [...Array.from({ length: 5 }, () => intervals), [], []]
  const split = madrid(
    weekdays([
      [9 * 60, 14 * 60],
      [16 * 60, 19 * 60],
    ]),
    ['2026-12-08'],
  )
  // Friday 2026-12-04 17:00 Madrid (16:00 UTC): 2 h on Friday, Monday 7 (8 h), Tuesday 8 is a holiday,
  // Wednesday 8 h, Thursday 6 h → 09:00 + 5 h, 16:00 + 1 h = 17:00 local (16:00 UTC) on Thursday the 10th.
  t.same(addBusinessMinutes(at('2026-12-04T16:00:00Z'), 24 * 60, split), at('2026-12-10T16:00:00Z'))
  t.equal(businessMinutesBetween(at('2026-12-04T16:00:00Z'), at('2026-12-10T16:00:00Z'), split), 24 * 60)
  t.same(
    addBusinessMinutes(at('2026-12-05T10:00:00Z'), 0, split),
    at('2026-12-05T10:00:00Z'),
    'zero minutes is the instant itself',
  )
  t.same(
    addBusinessMinutes(at('2026-12-04T13:00:00Z'), 0.5, split),
    at('2026-12-04T15:00:30Z'),
    'a lunch break is skipped: 14:00 Madrid is closed until 16:00',
  )
  t.ok(split.isOpen(at('2026-12-04T08:30:00Z').getTime()), '09:30 Madrid on a Friday is open')
  t.notOk(split.isOpen(at('2026-12-08T08:30:00Z').getTime()), 'a holiday is closed')
  t.notOk(split.isOpen(at('2026-12-05T08:30:00Z').getTime()), 'a Saturday is closed')
})

t.test('a calendar that is never open answers never instead of looping', async (t) => {
  const closed = new BusinessCalendar({ timeZone: 'UTC', weekly: everyDay([0, 60]), isHoliday: () => true })
  t.equal(closed.addMs(0, MINUTE), NEVER, 'closed for years on end: never due')
  t.throws(() => new BusinessCalendar({ timeZone: 'Mars/Olympus', weekly: everyDay() }), /time zone/)
  t.throws(() => new BusinessCalendar({ timeZone: 'UTC', weekly: everyDay([60, 30]) }), /intervals/)
  t.equal(BusinessCalendar.ALWAYS.msBetween(0, 5 * DAY), 5 * DAY, 'the 24/7 calendar is elapsed time')
  // A year of minutes on a minute a week is ten thousand years away: "never", found in bounded time.
  const sparse = new BusinessCalendar({ timeZone: 'UTC', weekly: [[[540, 541]], [], [], [], [], [], []] })
  t.equal(sparse.addMs(Date.UTC(2026, 0, 1), 525_600 * MINUTE), NEVER, 'past ten years: never')
  // 20,000 minutes on it (the identities property draws that many) are 384 years away: never too.
  t.equal(sparse.addMs(Date.UTC(2026, 0, 1), 20_000 * MINUTE), NEVER, '20,000 minutes: never')
  t.ok(
    sparse.msBetween(Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1) + 3650 * DAY) < 20_000 * MINUTE,
    'ten years of it hold fewer',
  )
  t.equal(
    sparse.addMs(Date.UTC(2026, 0, 1), 3 * MINUTE),
    Date.UTC(2026, 0, 19, 9, 1),
    'the third Monday minute',
  )
})
