import { IANAZone } from 'luxon'

/**
 * Business time over a calendar: an IANA time zone, weekly opening intervals and holidays.
 *
 * An instant is business time when its wall-clock time in the calendar's zone falls inside one of the
 * intervals of its weekday and its local date is not a holiday. Each local day is compiled once into
 * the UTC ranges it opens, by mapping its intervals through the zone's offsets (so a 09:00–18:00 day is
 * 9 hours on the day clocks change, and an interval across the change counts only the real minutes);
 * adding and measuring then walk whole days, O(days spanned), never minutes.
 */

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
/** Offsets stay within −12 h … +14 h; a local day's ranges lie within this margin of its UTC namesake. */
const MARGIN = 15 * HOUR
/** Offsets are sampled this often and a change is searched to the second (no zone changes twice in 3 h). */
const SAMPLE = 3 * HOUR
/** A calendar with no open minute in this many consecutive days has none at all. */
const MAX_CLOSED_DAYS = 3 * 366
/** A deadline further than this (a year-long target on an hour-a-week calendar) is "never" in practice. */
const MAX_DAYS_AHEAD = 10 * 366
/** What `addMs` answers past that horizon: 9999-12-31, the same far end the work queue sorts by. */
export const NEVER = Date.UTC(9999, 11, 31)

/** Opening intervals in minutes after local midnight, [start, end), sorted and disjoint. */
export type DayIntervals = ReadonlyArray<readonly [number, number]>

export interface CalendarRules {
  /** IANA time zone, e.g. `Europe/Madrid`. */
  timeZone: string
  /** Seven entries, Monday first. */
  weekly: readonly DayIntervals[]
  /** Whether a local date (days since 1970-01-01) is a holiday; none when absent. */
  isHoliday?: ((day: number) => boolean) | undefined
}

const EMPTY: readonly number[] = []

export class BusinessCalendar {
  /** Around the clock, in UTC, no holidays: business time is elapsed time. */
  static readonly ALWAYS = new BusinessCalendar({
    timeZone: 'UTC',
    weekly: Array.from({ length: 7 }, () => [[0, 1440]] as const),
  })

  readonly #zone: IANAZone
  readonly #rules: CalendarRules
  readonly #always: boolean
  /** Local day → its open UTC ranges as a flat [start, end, start, end, …] list in epoch ms. */
  readonly #days = new Map<number, readonly number[]>()

  constructor(rules: CalendarRules) {
    const zone = IANAZone.create(rules.timeZone)
    if (!zone.isValid) throw new RangeError(`unknown time zone: ${rules.timeZone}`)
    if (rules.weekly.length !== 7) throw new RangeError('weekly needs seven days, Monday first')
    for (const day of rules.weekly) {
      let previous = 0
      for (const [start, end] of day) {
        if (!(start >= previous && end > start && end <= 1440)) {
          throw new RangeError('intervals must be sorted, disjoint and within the day')
        }
        previous = end
      }
    }
    this.#zone = zone
    this.#rules = rules
    // Whole days every day and no holidays: every instant is open, in any zone.
    this.#always =
      !rules.isHoliday && rules.weekly.every((d) => d.length === 1 && d[0]?.[0] === 0 && d[0][1] === 1440)
  }

  get timeZone() {
    return this.#rules.timeZone
  }

  /** The instant `ms` milliseconds of business time after `from` (epoch ms). Zero gives `from` itself. */
  addMs(from: number, ms: number): number {
    if (ms <= 0) return from
    if (this.#always) return from + ms
    let remaining = ms
    let closed = 0
    const first = Math.floor(from / DAY) - 1
    for (let day = first; ; day++) {
      if (day - first > MAX_DAYS_AHEAD) return NEVER
      const ranges = this.rangesOf(day)
      // Closed for years on end (holidays, say): as good as never.
      if (ranges.length === 0 && ++closed > MAX_CLOSED_DAYS) return NEVER
      if (ranges.length > 0) closed = 0
      for (let i = 0; i < ranges.length; i += 2) {
        const end = ranges[i + 1] as number
        if (end <= from) continue
        const start = Math.max(ranges[i] as number, from)
        const available = end - start
        if (available >= remaining) return start + remaining
        remaining -= available
      }
    }
  }

  /** Business milliseconds in [from, to); zero when `to` is not after `from`. */
  msBetween(from: number, to: number): number {
    if (to <= from) return 0
    if (this.#always) return to - from
    let total = 0
    const last = Math.floor(to / DAY) + 1
    for (let day = Math.floor(from / DAY) - 1; day <= last; day++) {
      const ranges = this.rangesOf(day)
      for (let i = 0; i < ranges.length; i += 2) {
        const start = Math.max(ranges[i] as number, from)
        const end = Math.min(ranges[i + 1] as number, to)
        if (end > start) total += end - start
      }
    }
    return total
  }

  /** Whether the instant is business time. */
  isOpen(at: number): boolean {
    if (this.#always) return true
    const utcDay = Math.floor(at / DAY)
    for (let day = utcDay - 1; day <= utcDay + 1; day++) {
      const ranges = this.rangesOf(day)
      for (let i = 0; i < ranges.length; i += 2) {
        if ((ranges[i] as number) <= at && at < (ranges[i + 1] as number)) return true
      }
    }
    return false
  }

  /** The UTC ranges a local day (days since 1970-01-01) is open, compiled once. */
  rangesOf(day: number): readonly number[] {
    let ranges = this.#days.get(day)
    if (ranges === undefined) {
      ranges = this.#compile(day)
      this.#days.set(day, ranges)
    }
    return ranges
  }

  #compile(day: number): readonly number[] {
    const intervals = this.#rules.weekly[weekdayOf(day)] as DayIntervals
    if (intervals.length === 0 || this.#rules.isHoliday?.(day)) return EMPTY
    const midnight = day * DAY
    const segments = this.#offsetSegments(midnight - MARGIN, midnight + DAY + MARGIN)
    const ranges: number[] = []
    for (const [startMinute, endMinute] of intervals) {
      const localStart = midnight + startMinute * MINUTE
      const localEnd = midnight + endMinute * MINUTE
      for (const { from, to, offset } of segments) {
        const start = Math.max(from, localStart - offset)
        const end = Math.min(to, localEnd - offset)
        if (end > start) ranges.push(start, end)
      }
    }
    return merge(ranges)
  }

  /** The stretches of [from, to) over which the zone's offset (in ms) is constant. */
  #offsetSegments(from: number, to: number) {
    const segments: { from: number; to: number; offset: number }[] = []
    let segmentStart = from
    let offset = this.#offsetAt(from)
    for (let probe = from + SAMPLE; probe < to + SAMPLE; probe += SAMPLE) {
      const at = Math.min(probe, to)
      const next = this.#offsetAt(at)
      if (next === offset) continue
      // The change lies in (at − SAMPLE, at]: find its first instant to the second.
      let low = at - SAMPLE
      let high = at
      while (high - low > 1000) {
        const middle = low + Math.floor((high - low) / 2000) * 1000
        if (this.#offsetAt(middle) === offset) low = middle
        else high = middle
      }
      segments.push({ from: segmentStart, to: high, offset })
      segmentStart = high
      offset = next
    }
    segments.push({ from: segmentStart, to, offset })
    return segments
  }

  #offsetAt(at: number) {
    return this.#zone.offset(at) * MINUTE
  }
}

/** Monday = 0 … Sunday = 6; 1970-01-01 was a Thursday. */
export const weekdayOf = (day: number) => (((day + 3) % 7) + 7) % 7

/** Sorts [start, end] pairs and joins the ones that touch or overlap. */
function merge(flat: number[]): readonly number[] {
  if (flat.length <= 2) return flat
  const pairs: [number, number][] = []
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i] as number, flat[i + 1] as number])
  pairs.sort((a, b) => a[0] - b[0])
  const out: number[] = []
  for (const [start, end] of pairs) {
    const last = out.length - 1
    if (last > 0 && start <= (out[last] as number)) out[last] = Math.max(out[last] as number, end)
    else out.push(start, end)
  }
  return out
}

/** `minutes` of business time after `at` on the calendar. */
export function addBusinessMinutes(at: Date, minutes: number, calendar: BusinessCalendar): Date {
  return new Date(calendar.addMs(at.getTime(), minutes * MINUTE))
}

/** Business minutes in [a, b) on the calendar (fractional when the instants are); 0 when b is not after a. */
export function businessMinutesBetween(a: Date, b: Date, calendar: BusinessCalendar): number {
  return calendar.msBetween(a.getTime(), b.getTime()) / MINUTE
}
