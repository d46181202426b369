import { createRequire } from 'node:module'
import type HolidaysType from 'date-holidays'
import { IANAZone } from 'luxon'
import type { Holiday, OpeningInterval } from '../../db/schema/index.ts'
import { weekdays } from '../../db/schema/index.ts'
import { BusinessCalendar, type DayIntervals } from './business-time.ts'

const DAY = 86_400_000

/**
 * date-holidays, loaded the first time a calendar names a region: its rules for every country take
 * about 25 MB, which a deployment whose calendars list their holidays by hand never needs.
 */
let holidaysClass: typeof HolidaysType | undefined
function Holidays(country?: string, state?: string, region?: string): HolidaysType {
  holidaysClass ??= createRequire(import.meta.url)('date-holidays') as typeof HolidaysType
  return country === undefined
    ? new holidaysClass()
    : new holidaysClass(country, state as string, region as string)
}

export interface CalendarDefinition {
  id: string
  version: number
  timeZone: string
  intervals: OpeningInterval[]
  holidays: Holiday[]
  holidayRegions: string[]
}

export interface FieldError {
  path: string
  message: string
}

const clock = /^([01]\d|2[0-4]):([0-5]\d)$/

/** `HH:MM` → minutes after midnight; `24:00` is the end of the day. */
export function minutesOf(time: string): number | null {
  const match = clock.exec(time)
  if (!match) return null
  const minutes = Number(match[1]) * 60 + Number(match[2])
  return minutes <= 1440 ? minutes : null
}

/** Whether a holiday region (`ES`, `ES-MD`, `US-CA`) is one `date-holidays` knows. */
export function isKnownRegion(region: string): boolean {
  const [country, state, ...rest] = region.split('-')
  if (!country || rest.length > 1) return false
  const countries = Holidays().getCountries() ?? {}
  if (!Object.hasOwn(countries, country)) return false
  if (state === undefined) return true
  const states = Holidays().getStates(country) ?? {}
  if (!Object.hasOwn(states, state)) return false
  if (rest[0] === undefined) return true
  return Object.hasOwn(Holidays().getRegions(country, state) ?? {}, rest[0])
}

/** Everything wrong with a calendar's fields, each with its JSON pointer (empty when it is fine). */
export function calendarErrors(calendar: Partial<Omit<CalendarDefinition, 'id' | 'version'>>): FieldError[] {
  const errors: FieldError[] = []
  if (calendar.timeZone !== undefined && !IANAZone.isValidZone(calendar.timeZone)) {
    errors.push({ path: '/timeZone', message: `is not an IANA time zone: ${calendar.timeZone}` })
  }
  if (calendar.intervals !== undefined) {
    const byDay = new Map<string, { start: number; end: number; index: number }[]>()
    calendar.intervals.forEach((interval, index) => {
      const start = minutesOf(interval.start)
      const end = minutesOf(interval.end)
      if (start === null || start === 1440) {
        errors.push({ path: `/intervals/${index}/start`, message: 'must be a time of day, HH:MM' })
      } else if (end === null) {
        errors.push({
          path: `/intervals/${index}/end`,
          message: 'must be a time of day, HH:MM (24:00 at most)',
        })
      } else if (end <= start) {
        errors.push({
          path: `/intervals/${index}/end`,
          message: 'must be after start; an interval may not cross midnight',
        })
      } else {
        const list = byDay.get(interval.day) ?? []
        list.push({ start, end, index })
        byDay.set(interval.day, list)
      }
    })
    for (const list of byDay.values()) {
      list.sort((a, b) => a.start - b.start)
      // Each interval against the latest end so far: 09–18 overlaps both 10–11 and 12–13.
      let reach = list[0] as { end: number; index: number }
      for (const current of list.slice(1)) {
        if (current.start < reach.end) {
          errors.push({
            path: `/intervals/${current.index}`,
            message: `overlaps interval ${reach.index} of the same day`,
          })
        }
        if (current.end > reach.end) reach = current
      }
    }
    if (calendar.intervals.length === 0)
      errors.push({ path: '/intervals', message: 'must open at least once a week' })
  }
  calendar.holidays?.forEach((holiday, index) => {
    const date = new Date(`${holiday.date}T00:00:00Z`)
    if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== holiday.date) {
      errors.push({ path: `/holidays/${index}/date`, message: 'must be a date, YYYY-MM-DD' })
    }
  })
  calendar.holidayRegions?.forEach((region, index) => {
    if (!isKnownRegion(region)) {
      errors.push({
        path: `/holidayRegions/${index}`,
        message: `is not a known holiday region (ES, ES-MD, …): ${region}`,
      })
    }
  })
  return errors
}

/** Intervals per weekday, Monday first, sorted and with touching ones joined. */
function weeklyOf(intervals: OpeningInterval[]): DayIntervals[] {
  return weekdays.map((day) => {
    const list = intervals
      .filter((i) => i.day === day)
      .map((i) => [minutesOf(i.start) as number, minutesOf(i.end) as number] as [number, number])
      .sort((a, b) => a[0] - b[0])
    const joined: [number, number][] = []
    for (const [start, end] of list) {
      const last = joined[joined.length - 1]
      if (last && start <= last[1]) last[1] = Math.max(last[1], end)
      else joined.push([start, end])
    }
    return joined
  })
}

const dayOf = (date: string) => Date.parse(`${date.slice(0, 10)}T00:00:00Z`) / DAY

/** The local dates a calendar closes: its own holidays, and its regions' public (and bank) holidays, year by year. */
function holidayTest(definition: CalendarDefinition): ((day: number) => boolean) | undefined {
  const explicit = new Set(definition.holidays.map((h) => dayOf(h.date)))
  const regions = definition.holidayRegions.map((region) => {
    const [country, state, area] = region.split('-')
    return Holidays(country as string, state as string, area as string)
  })
  if (explicit.size === 0 && regions.length === 0) return undefined
  const years = new Map<number, Set<number>>()
  return (day) => {
    if (explicit.has(day)) return true
    if (regions.length === 0) return false
    const year = new Date(day * DAY).getUTCFullYear()
    let closed = years.get(year)
    if (!closed) {
      closed = new Set()
      for (const region of regions) {
        for (const holiday of region.getHolidays(year) || []) {
          if (holiday.type === 'public' || holiday.type === 'bank') closed.add(dayOf(holiday.date))
        }
      }
      years.set(year, closed)
    }
    return closed.has(day)
  }
}

const compiled = new Map<string, BusinessCalendar>()
const COMPILED_LIMIT = 2_000

/**
 * The business calendar of a stored definition, compiled once per version and kept (the days it has
 * walked stay compiled too). The oldest entries go when the cache is full.
 */
export function businessCalendarOf(definition: CalendarDefinition): BusinessCalendar {
  const key = `${definition.id}:${definition.version}`
  let calendar = compiled.get(key)
  if (!calendar) {
    calendar = new BusinessCalendar({
      timeZone: definition.timeZone,
      weekly: weeklyOf(definition.intervals),
      isHoliday: holidayTest(definition),
    })
    if (compiled.size >= COMPILED_LIMIT) compiled.delete(compiled.keys().next().value as string)
    compiled.set(key, calendar)
  }
  return calendar
}
