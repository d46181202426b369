/**
 * The SLA part of `npm run bench` (runs after bench/run.ts): business-time arithmetic in-process, and
 * the breach sweep on a real PostgreSQL database with 1,000,000 open timers of which 1,000 are due.
 * Prints a Markdown report; like run.ts it is a report, not a test: a missed target is marked ✗ and the
 * exit code stays 0. It is 1 only when the run is broken (an error, or a sweep that did not take the
 * 1,000 due timers, which makes its timings meaningless).
 *
 * Env: BENCH_DATABASE_URL (admin connection; creates and drops `atiende_bench_<pid>_sla`),
 * BENCH_WRITE_RESULTS=1 (adds the report as `### SLA` to today's section of bench/RESULTS.md).
 * See bench/README.md.
 */
import os from 'node:os'
import { drizzle } from 'drizzle-orm/node-postgres'
import { PgDialect } from 'drizzle-orm/pg-core'
import type pg from 'pg'
import type { Db } from '../src/db/client.ts'
import { migrateServer } from '../src/db/migrate.ts'
import {
  addBusinessMinutes,
  type BusinessCalendar,
  businessMinutesBetween,
  weekdayOf,
} from '../src/modules/sla/business-time.ts'
import { businessCalendarOf, type CalendarDefinition } from '../src/modules/sla/calendars.ts'
import { breachSweepStatement, nextDeadline } from '../src/modules/sla/sweep.ts'
import { cpuSeconds, fmt, fmtInt, machineCpu, mark, msSince, percentile, writeResults } from './common.ts'
import { benchDatabaseName, benchDatabases } from './databases.ts'

const TARGETS = { addOpsPerSec: 500_000, sweepP95Ms: 100 }

/** Business-time inputs: pre-generated, used round-robin (a power of two). */
const SAMPLES = 1 << 17
const MEASURE_MS = 2_000
const WARMUP_MS = 500
const MAX_MINUTES = 2_880
const MAX_SPAN_DAYS = 30
/** Start instants are spread over this year (fixed, so runs compare). */
const YEAR = 2026

const TICKETS = 500_000
const TIMERS = 2 * TICKETS
const DUE = 1_000
const SWEEP_RUNS = 20
const DEADLINE_RUNS = 20

const DAY = 86_400_000

const dbName = benchDatabaseName('sla')

const log = (message: string) => process.stderr.write(`[bench:sla] ${message}\n`)

const databases = benchDatabases({
  log,
  applicationName: 'atiende-bench-sla',
  signalMessage: 'dropping the bench database',
})

// ---------------------------------------------------------------------------------------------------
// Other work on the machine skews every figure here: how much CPU the rest of the machine used.

interface CpuMark {
  machine: number | null
  self: NodeJS.CpuUsage
  backend: number | null
  at: number
}

const cpuMark = (backendPid?: number): CpuMark => ({
  machine: machineCpu(),
  self: process.cpuUsage(),
  backend: backendPid === undefined ? 0 : cpuSeconds(backendPid),
  at: Date.now(),
})

/** Cores used by everything but this process (and its PostgreSQL backend) since a mark; NaN if unknown. */
function otherCores(start: CpuMark, backendPid?: number): number {
  const machine = machineCpu()
  const backend = backendPid === undefined ? 0 : cpuSeconds(backendPid)
  if (machine === null || start.machine === null || backend === null || start.backend === null)
    return Number.NaN
  const self = process.cpuUsage(start.self)
  const otherMs =
    (machine - start.machine) * 1000 - (self.user + self.system) / 1000 - (backend - start.backend) * 1000
  return Math.max(0, otherMs) / Math.max(1, Date.now() - start.at)
}

// ---------------------------------------------------------------------------------------------------
// 1. Business time, in-process

/** A small seeded PRNG (mulberry32), so every run draws the same inputs. */
function random(seed: number): () => number {
  let state = seed | 0
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

const madrid: CalendarDefinition = {
  id: 'bench-madrid',
  version: 1,
  timeZone: 'Europe/Madrid',
  intervals: (['monday', 'tuesday', 'wednesday', 'thursday', 'friday'] as const).flatMap((day) => [
    { day, start: '09:00', end: '14:00' },
    { day, start: '16:00', end: '19:00' },
  ]),
  holidays: [
    { date: `${YEAR}-05-15`, name: 'San Isidro (Madrid city)' },
    { date: `${YEAR}-11-09`, name: 'Almudena (Madrid city)' },
    { date: `${YEAR}-12-24`, name: 'Christmas Eve (office closed)' },
    { date: `${YEAR}-12-31`, name: "New Year's Eve (office closed)" },
  ],
  holidayRegions: ['ES', 'ES-MD'],
}

interface Throughput {
  ops: number
  ms: number
  opsPerSec: number
  nsPerOp: number
}

let sink = 0

/** Calls `batch(offset, count)` in chunks until at least `minMs` have passed, timed with hrtime. */
function throughput(batch: (offset: number, count: number) => number, minMs: number): Throughput {
  const chunk = 16_384
  const min = BigInt(minMs) * 1_000_000n
  let ops = 0
  const start = process.hrtime.bigint()
  let elapsed = 0n
  while (elapsed < min) {
    sink += batch(ops, chunk)
    ops += chunk
    elapsed = process.hrtime.bigint() - start
  }
  const ns = Number(elapsed)
  return { ops, ms: ns / 1e6, opsPerSec: ops / (ns / 1e9), nsPerOp: ns / ops }
}

interface BusinessTimeResult {
  add: Throughput
  between: Throughput
  compileMs: number
  otherCores: number
  weekdayHolidays: string[]
  consistency: { checked: number; wrong: number; example?: string }
  spotCheck: { expected: string; got: string }
}

function benchBusinessTime(): BusinessTimeResult {
  const calendar: BusinessCalendar = businessCalendarOf(madrid)
  const draw = random(20_260_101)
  const yearStart = Date.UTC(YEAR, 0, 1)
  const yearMs = Date.UTC(YEAR + 1, 0, 1) - yearStart
  const starts: Date[] = []
  const amounts = new Int32Array(SAMPLES)
  const ends: Date[] = []
  for (let i = 0; i < SAMPLES; i++) {
    const at = yearStart + Math.floor(draw() * yearMs)
    starts.push(new Date(at))
    amounts[i] = 1 + Math.floor(draw() * MAX_MINUTES)
    ends.push(new Date(at + Math.floor(draw() * MAX_SPAN_DAYS * DAY)))
  }
  const mask = SAMPLES - 1
  const add = (offset: number, count: number) => {
    let s = 0
    for (let i = 0; i < count; i++) {
      const j = (offset + i) & mask
      s += addBusinessMinutes(starts[j] as Date, amounts[j] as number, calendar).getTime() & 1
    }
    return s
  }
  const between = (offset: number, count: number) => {
    let s = 0
    for (let i = 0; i < count; i++) {
      const j = (offset + i) & mask
      s += businessMinutesBetween(starts[j] as Date, ends[j] as Date, calendar)
    }
    return s
  }

  // Warm-up: one pass over every input compiles every day they touch, then JIT warm-up, not counted.
  const compileStart = process.hrtime.bigint()
  sink += add(0, SAMPLES) + between(0, SAMPLES)
  const compileMs = msSince(compileStart)
  throughput(add, WARMUP_MS)
  throughput(between, WARMUP_MS)

  const cpuStart = cpuMark()
  log(`addBusinessMinutes: timing ${MEASURE_MS} ms of calls`)
  const addResult = throughput(add, MEASURE_MS)
  log(`businessMinutesBetween: timing ${MEASURE_MS} ms of calls`)
  const betweenResult = throughput(between, MEASURE_MS)
  const others = otherCores(cpuStart)

  // Consistency: the business time between a start and `start + m business minutes` is m.
  let wrong = 0
  let example: string | undefined
  const checked = Math.min(SAMPLES, 20_000)
  for (let i = 0; i < checked; i++) {
    const from = starts[i] as Date
    const minutes = amounts[i] as number
    const to = addBusinessMinutes(from, minutes, calendar)
    const back = businessMinutesBetween(from, to, calendar)
    if (back !== minutes) {
      wrong++
      example ??= `${from.toISOString()} + ${minutes} min → ${to.toISOString()}, measured back ${back} min`
    }
  }
  // Wednesday 23 December, 18:00 in Madrid, + 120 minutes: an hour that day; the 24th (explicit), the
  // 25th (national) and the weekend are closed; the second hour ends on Monday 28th at 10:00 (09:00 UTC).
  const spot = addBusinessMinutes(new Date(`${YEAR}-12-23T17:00:00Z`), 120, calendar)

  const firstDay = yearStart / DAY
  const weekdayHolidays: string[] = []
  for (let day = firstDay; day < firstDay + yearMs / DAY; day++) {
    if (weekdayOf(day) < 5 && calendar.rangesOf(day).length === 0) {
      weekdayHolidays.push(new Date(day * DAY).toISOString().slice(5, 10))
    }
  }

  return {
    add: addResult,
    between: betweenResult,
    compileMs,
    otherCores: others,
    weekdayHolidays,
    consistency: { checked, wrong, ...(example && { example }) },
    spotCheck: { expected: `${YEAR}-12-28T09:00:00.000Z`, got: spot.toISOString() },
  }
}

// ---------------------------------------------------------------------------------------------------
// 2. The breach sweep on PostgreSQL

interface Step {
  label: string
  ms: number
}

interface SweepResult {
  setup: Step[]
  setupMs: number
  counts: { active: number; due: number; tickets: number }
  sizes: { timersMb: number; dueIndexMb: number }
  warmupMs: number
  warmupSwept: number
  runsMs: number[]
  swept: number[]
  otherCores: number
  plan: string[]
  planExecutionMs: number | undefined
  deadlineMs: number[]
  deadline: Date | null
}

/**
 * SQL for a UUIDv7 at an instant: the service's ids are time-ordered (src/db/schema/columns.ts), so rows
 * written in time order go to the right edge of their primary keys, as the service's own writes do.
 */
const uuidv7At = (at: string) =>
  `(lpad(to_hex(floor(extract(epoch from ${at}) * 1000)::bigint), 12, '0') || '7' ||
    substr(md5(random()::text), 1, 3) || '8' || substr(md5(random()::text), 1, 15))::uuid`

async function benchSweep(admin: pg.Client): Promise<SweepResult> {
  const setup: Step[] = []
  const setupStart = process.hrtime.bigint()
  const step = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
    log(`${label}…`)
    const start = process.hrtime.bigint()
    const value = await fn()
    const ms = msSince(start)
    setup.push({ label, ms })
    log(`${label}: ${fmtInt(ms)} ms`)
    return value
  }

  const url = await step('create database', () => databases.createDatabase(admin, dbName))
  await step('migrations (migrateServer)', () => migrateServer(url))
  const client = await databases.connect(url)
  await client.query(`set maintenance_work_mem = '256MB'`)

  const workspaceId = await step('workspace, ticket counter, contact', async () => {
    const { rows } = await client.query(
      `insert into workspaces (id, slug, name) values (gen_random_uuid(), 'bench-sla', 'Bench SLA') returning id`,
    )
    const id = (rows[0] as { id: string }).id
    await client.query('insert into ticket_counters (workspace_id, last_number) values ($1, $2)', [
      id,
      TICKETS,
    ])
    await client.query(
      `insert into contacts (workspace_id, id, email, name)
       values ($1, gen_random_uuid(), 'sla-bench@example.com', 'SLA Bench Customer')`,
      [id],
    )
    return id
  })
  // Open tickets created one after another over the last 30 days, numbered in that order.
  await step(`${fmtInt(TICKETS)} tickets`, () =>
    client.query(
      `insert into tickets (workspace_id, id, number, subject, status, channel, requester_id,
                            created_at, updated_at, last_customer_message_at)
       select $1, ${uuidv7At('s.created')}, s.g, 'Order A-' || s.g || ' never arrived', 'open', 'email',
              c.id, s.created, s.created, s.created
       from (select g, now() - interval '30 days 1 minute' + (g::float8 / $2::int) * interval '30 days' created
             from generate_series(1, $2::int) g) s,
            (select id from contacts where workspace_id = $1) c
       order by s.g`,
      [workspaceId, TICKETS],
    ),
  )
  // Two running clocks per ticket. The first-response clock of every 500th ticket ran out in the last
  // five minutes (1,000 due, scattered over the table as real ones are); every other deadline lies
  // between one hour and 30 days ahead, so none falls due while the bench runs.
  await step(`${fmtInt(TIMERS)} active timers (${fmtInt(DUE)} due)`, () =>
    client.query(
      `insert into sla_timers (workspace_id, id, ticket_id, metric, instance, stage, target_minutes, pause_on,
                               started_at, anchor_at, used_ms, due_at, created_at, updated_at)
       select t.workspace_id, ${uuidv7At('t.created_at')}, t.id, m.metric, 1, 'active', m.minutes, '{}',
              t.created_at, t.created_at, 0,
              case when m.metric = 'firstResponse' and t.number % ($2::int / $3::int) = 0
                   then now() - interval '1 second' - random() * interval '5 minutes'
                   else now() + interval '1 hour' + random() * interval '29 days 23 hours' end,
              t.created_at, t.created_at
       from tickets t
       cross join (values ('firstResponse', 1440), ('resolution', 4320)) m(metric, minutes)
       where t.workspace_id = $1`,
      [workspaceId, TICKETS, DUE],
    ),
  )
  // ANALYZE for the planner; VACUUM too, as autovacuum would have done on tables this size, so the
  // sweeps do not pay for setting the hint bits of freshly loaded pages.
  await step('vacuum (analyze)', () =>
    client.query('vacuum (analyze) sla_timers, tickets, contacts, workspaces, ticket_counters, events'),
  )
  const setupMs = msSince(setupStart)

  const { rows: countRows } = await client.query(
    `select count(*)::int as active, (count(*) filter (where due_at <= now()))::int as due,
            (select count(*)::int from tickets) as tickets
     from sla_timers where stage = 'active'`,
  )
  const counts = countRows[0] as { active: number; due: number; tickets: number }
  const { rows: sizeRows } = await client.query(
    `select pg_total_relation_size('sla_timers') / 1048576.0 as timers,
            pg_relation_size('sla_timers_due_idx') / 1048576.0 as due_index`,
  )
  const sizes = {
    timersMb: Number(sizeRows[0]?.timers ?? NaN),
    dueIndexMb: Number(sizeRows[0]?.due_index ?? NaN),
  }
  log(`${fmtInt(counts.active)} active timers, ${fmtInt(counts.due)} due; setup ${fmt(setupMs / 1000)} s`)

  // The sweep as the service sends it (drizzle over a pg connection), in a transaction rolled back
  // after each run, so every run takes the same 1,000 timers and does all of their writes.
  const db = drizzle(client) as unknown as Db
  const backendPid = Number((await client.query('select pg_backend_pid() as pid')).rows[0]?.pid)
  const sweepOnce = async () => {
    await client.query('begin')
    try {
      const start = process.hrtime.bigint()
      const result = (await db.execute(breachSweepStatement(undefined, DUE))) as unknown as {
        rows: { count: number }[]
      }
      return { ms: msSince(start), swept: Number(result.rows[0]?.count ?? 0) }
    } finally {
      await client.query('rollback')
    }
  }
  log(`breach sweep: 1 warm-up + ${SWEEP_RUNS} measured runs, each rolled back`)
  const warmup = await sweepOnce()
  const cpuStart = cpuMark(backendPid)
  const runsMs: number[] = []
  const swept: number[] = []
  for (let i = 0; i < SWEEP_RUNS; i++) {
    const run = await sweepOnce()
    runsMs.push(run.ms)
    swept.push(run.swept)
  }
  const others = otherCores(cpuStart, backendPid)

  // The plan, executed for real inside a transaction that is rolled back.
  const query = new PgDialect().sqlToQuery(breachSweepStatement(undefined, DUE))
  let plan: string[]
  await client.query('begin')
  try {
    const { rows } = await client.query(`explain (analyze, buffers) ${query.sql}`, query.params)
    plan = rows.map((row: Record<string, string>) => Object.values(row)[0] ?? '')
  } finally {
    await client.query('rollback')
  }
  const executionLine = plan.find((line) => line.startsWith('Execution Time:'))
  const planExecutionMs = executionLine ? Number(/([\d.]+) ms/.exec(executionLine)?.[1]) : undefined

  log(`nextDeadline: ${DEADLINE_RUNS} runs`)
  const deadlineMs: number[] = []
  let deadline: Date | null = null
  for (let i = 0; i < DEADLINE_RUNS; i++) {
    const start = process.hrtime.bigint()
    deadline = await nextDeadline(db)
    deadlineMs.push(msSince(start))
  }

  return {
    setup,
    setupMs,
    counts,
    sizes,
    warmupMs: warmup.ms,
    warmupSwept: warmup.swept,
    runsMs,
    swept,
    otherCores: others,
    plan,
    planExecutionMs,
    deadlineMs,
    deadline,
  }
}

// ---------------------------------------------------------------------------------------------------
// 3. Report

function buildReport(
  header: string,
  time: BusinessTimeResult,
  sweep: SweepResult | undefined,
  sweepError: string | undefined,
) {
  const rows: string[][] = []
  const addOk = time.add.opsPerSec >= TARGETS.addOpsPerSec
  rows.push([
    `addBusinessMinutes: Madrid, split shifts (Mon–Fri 09–14, 16–19), ES + ES-MD holidays and ${madrid.holidays.length} explicit ones, 1–${fmtInt(MAX_MINUTES)} min from random instants of ${YEAR}`,
    `${fmtInt(time.add.opsPerSec)} ops/s (${fmt(time.add.nsPerOp, 0)} ns/op)`,
    `≥ ${fmtInt(TARGETS.addOpsPerSec)} ops/s`,
    mark(addOk),
  ])
  rows.push([
    `businessMinutesBetween: same calendar, spans up to ${MAX_SPAN_DAYS} days`,
    `${fmtInt(time.between.opsPerSec)} ops/s (${fmt(time.between.nsPerOp, 0)} ns/op)`,
    'informational',
    '—',
  ])
  const consistent = time.consistency.wrong === 0 && time.spotCheck.got === time.spotCheck.expected
  rows.push([
    'business time round trip: businessMinutesBetween(a, addBusinessMinutes(a, m)) = m, and a holiday spot check',
    `${fmtInt(time.consistency.checked - time.consistency.wrong)} of ${fmtInt(time.consistency.checked)}; spot check ${time.spotCheck.got === time.spotCheck.expected ? 'right' : `got ${time.spotCheck.got}`}`,
    'all',
    mark(consistent),
  ])

  let planUsesIndex = false
  if (sweep) {
    // percentile() reads values sorted ascending.
    const runsMs = Float64Array.from(sweep.runsMs).sort()
    const deadlineMs = Float64Array.from(sweep.deadlineMs).sort()
    const p50 = percentile(runsMs, 50)
    const p95 = percentile(runsMs, 95)
    const max = Math.max(...sweep.runsMs)
    const allSwept = sweep.swept.every((n) => n === DUE)
    planUsesIndex = sweep.plan.some((line) => line.includes('sla_timers_due_idx'))
    rows.push([
      `breach sweep (breachSweepStatement(undefined, ${fmtInt(DUE)})): ${fmtInt(DUE)} due of ${fmtInt(sweep.counts.active)} active timers, ${SWEEP_RUNS} runs each rolled back`,
      `p50 ${fmt(p50)} ms · p95 ${fmt(p95)} ms · max ${fmt(max)} ms`,
      `p95 < ${TARGETS.sweepP95Ms} ms`,
      mark(p95 < TARGETS.sweepP95Ms && allSwept),
    ])
    const sweptCounts = [...new Set(sweep.swept)].map(fmtInt).join(', ')
    rows.push([
      'timers swept per run',
      allSwept ? `${fmtInt(DUE)} in every run` : `✗ ${sweptCounts} (expected ${fmtInt(DUE)})`,
      fmtInt(DUE),
      mark(allSwept),
    ])
    rows.push([
      'sweep plan reads the partial index sla_timers_due_idx',
      planUsesIndex ? 'yes' : 'no',
      'uses the index',
      mark(planUsesIndex),
    ])
    rows.push([
      'nextDeadline (earliest deadline or warning of any running timer)',
      `p50 ${fmt(percentile(deadlineMs, 50), 2)} ms · max ${fmt(Math.max(...sweep.deadlineMs), 2)} ms`,
      'informational',
      '—',
    ])
  } else {
    rows.push([
      'breach sweep',
      `✗ not measured: ${sweepError ?? 'unknown error'}`,
      `p95 < ${TARGETS.sweepP95Ms} ms`,
      '✗',
    ])
  }

  const busiest = Math.max(time.otherCores, sweep?.otherCores ?? 0)
  const interference =
    busiest > 0.25
      ? [
          `⚠ Other processes used up to ${fmt(busiest, 2)} of the ${os.cpus().length} cores while this ran ` +
            `(${fmt(time.otherCores, 2)} during the business-time calls, ${fmt(sweep?.otherCores ?? Number.NaN, 2)} ` +
            'during the sweep runs): the numbers are skewed; rerun on an idle machine.',
          '',
        ]
      : []
  const lines = [
    header,
    '',
    ...interference,
    '| scenario | figure | target | ✓/✗ |',
    '| --- | --- | --- | --- |',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
    '',
    `Business time: ${fmtInt(SAMPLES)} pre-generated inputs (seeded), used round-robin; ${fmtInt(time.add.ops)} calls of ` +
      `addBusinessMinutes in ${fmt(time.add.ms / 1000, 2)} s and ${fmtInt(time.between.ops)} of businessMinutesBetween in ` +
      `${fmt(time.between.ms / 1000, 2)} s, after a warm-up: one pass of both over every input (${fmtInt(time.compileMs)} ms, ` +
      `which compiles every day they touch), then ${WARMUP_MS} ms of each. ` +
      `Weekdays of ${YEAR} the calendar closes (${time.weekdayHolidays.length}): ${time.weekdayHolidays.join(', ')}.`,
    '',
    `Other processes on the machine used ${fmt(time.otherCores, 2)} cores during the business-time calls` +
      (sweep
        ? ` and ${fmt(sweep.otherCores, 2)} during the measured sweeps (bench and its backend left out).`
        : '.'),
  ]
  if (time.consistency.example) lines.push('', `First round-trip mismatch: ${time.consistency.example}.`)
  if (sweep) {
    const steps = sweep.setup.map((s) => `${s.label} ${fmt(s.ms / 1000)} s`).join(', ')
    lines.push(
      '',
      `Sweep data: 1 workspace, 1 contact, ${fmtInt(sweep.counts.tickets)} tickets, ${fmtInt(sweep.counts.active)} ` +
        `active timers (firstResponse and resolution per ticket), ${fmtInt(sweep.counts.due)} of them due; sla_timers ` +
        `${fmt(sweep.sizes.timersMb, 0)} MB with its indexes, sla_timers_due_idx ${fmt(sweep.sizes.dueIndexMb, 1)} MB. ` +
        `Setup ${fmt(sweep.setupMs / 1000)} s: ${steps}.`,
      '',
      `Each run: BEGIN, the sweep through drizzle on one pg connection (timed: client round trip, planning ` +
        `included), ROLLBACK; so every run takes the same ${fmtInt(DUE)} timers and writes their updates, ` +
        `${fmtInt(DUE)} sla.breached events and the tickets' breach flags. A warm-up run before them took ` +
        `${fmt(sweep.warmupMs)} ms (${fmtInt(sweep.warmupSwept)} swept). All runs, ms: ` +
        `${sweep.runsMs.map((ms) => fmt(ms)).join(', ')}. nextDeadline answered ${sweep.deadline?.toISOString() ?? 'null'}.`,
      '',
      `Breach sweep plan (EXPLAIN (ANALYZE, BUFFERS) in a rolled-back transaction; server execution ` +
        `${sweep.planExecutionMs === undefined ? '?' : `${fmt(sweep.planExecutionMs)} ms`}; ` +
        `${planUsesIndex ? 'contains' : '✗ does not contain'} sla_timers_due_idx):`,
      '',
      '```',
      ...sweep.plan,
      '```',
    )
  }
  return `${lines.join('\n')}\n`
}

// ---------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const startedAt = Date.now()
  const loadAtStart = os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')

  log('business time: generating inputs and compiling the calendar')
  const time = benchBusinessTime()

  const admin = await databases.connect()
  const pgVersion = ((await admin.query('show server_version')).rows[0]?.server_version ?? '?') as string
  await databases.dropStaleDatabases(admin, 'sla')
  let sweep: SweepResult | undefined
  let sweepError: string | undefined
  try {
    sweep = await benchSweep(admin)
  } catch (err: any) {
    sweepError = err?.message ?? String(err)
    log(`sweep failed: ${err?.stack ?? err}`)
  }

  const now = new Date()
  const day = now.toISOString().slice(0, 10)
  const header =
    `Atiende SLA bench — ${now.toISOString().replace('T', ' ').slice(0, 16)} UTC · Node ${process.version} · ` +
    `PostgreSQL ${pgVersion} · ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? '?'}) · ` +
    `load average at start ${loadAtStart} · ${fmt((Date.now() - startedAt) / 1000, 0)} s in all`
  const report = buildReport(header, time, sweep, sweepError)
  process.stdout.write(`\n${report}\n`)
  if (process.env.BENCH_WRITE_RESULTS === '1') writeResults(report, day, { log, subheading: '### SLA' })
  log(`finished in ${((Date.now() - startedAt) / 1000).toFixed(0)} s (sink ${sink % 10})`)
  const broken = !sweep || sweep.swept.some((n) => n !== DUE)
  return broken ? 1 : 0
}

let exitCode = 1
try {
  exitCode = await main()
} catch (err: any) {
  log(`failed: ${err?.stack ?? err}`)
} finally {
  await databases.cleanup()
}
process.exit(exitCode)
