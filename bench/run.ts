/**
 * `npm run bench`: loads the real service (a child process on a fresh PostgreSQL database) and a bare
 * Fastify + pg baseline side by side with autocannon, and prints a Markdown report. A report, not a
 * test: missed targets are marked, the exit code stays 0. It is 1 only when the run itself is broken
 * (a server failed, or a scenario answered with errors, which makes its numbers meaningless).
 *
 * Env: BENCH_DATABASE_URL (admin connection; the bench creates and drops its own databases from it),
 * BENCH_DURATION (seconds per measured scenario, default 10), BENCH_WARMUP (seconds, default 2),
 * BENCH_WRITE_RESULTS=1 (record the report in bench/RESULTS.md). See bench/README.md.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon, { type Request } from 'autocannon'
import pg from 'pg'
import {
  cpuSeconds,
  exited,
  fmt,
  fmtInt,
  freePort,
  machineCpu,
  percentile,
  positiveNumber,
  sleep,
  stopProcess,
  writeResults,
} from './common.ts'

const benchDir = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(benchDir, '..')

const ADMIN_URL = process.env.BENCH_DATABASE_URL || 'postgres://atiende:atiende@127.0.0.1:5432/atiende'
const DURATION = positiveNumber(process.env.BENCH_DURATION, 10)
const WARMUP = positiveNumber(process.env.BENCH_WARMUP, 2)
const CONNECTIONS = 50
const SEED_TICKETS = 100_000
const SEED_CONTACTS = 1_000
const TARGETS = { createRatio: 0.35, createGoal: 0.5, readRatio: 0.6, listP95Ms: 25, rssMb: 250 }

const runId = process.pid
const serviceDbName = `atiende_bench_${runId}_svc`
const baselineDbName = `atiende_bench_${runId}_base`
const platformToken = `atp_bench_${randomBytes(24).toString('hex')}`

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`)

function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  return url.toString()
}

// ---------------------------------------------------------------------------------------------------
// Child processes and cleanup

interface Child {
  name: string
  proc: ChildProcess
  output: string[]
}

const children: Child[] = []
const openClients: pg.Client[] = []
const createdDatabases: string[] = []
let cleaningUp: Promise<void> | undefined

function startChild(name: string, script: string, env: Record<string, string>): Child {
  const proc = spawn(process.execPath, [script], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString())
    if (output.length > 200) output.shift()
  }
  proc.stdout?.on('data', keep)
  proc.stderr?.on('data', keep)
  proc.on('error', (err) => keep(Buffer.from(`could not start ${name}: ${err.message}\n`)))
  const child = { name, proc, output }
  children.push(child)
  return child
}

async function dropDatabase(admin: pg.Client, name: string) {
  await admin.query(`drop database if exists "${name}" with (force)`)
}

function cleanup(): Promise<void> {
  cleaningUp ??= (async () => {
    await Promise.all(children.map((child) => stopProcess(child.proc).catch(() => {})))
    await Promise.all(openClients.map((client) => client.end().catch(() => {})))
    if (createdDatabases.length === 0) return
    const admin = new pg.Client({ connectionString: ADMIN_URL })
    try {
      await admin.connect()
      for (const name of createdDatabases) {
        await dropDatabase(admin, name).catch((err) => log(`could not drop ${name}: ${err.message}`))
      }
    } catch (err: any) {
      log(`cleanup could not reach PostgreSQL: ${err.message}`)
    } finally {
      await admin.end().catch(() => {})
    }
  })()
  return cleaningUp
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping servers and dropping bench databases`)
    cleanup().finally(() => process.exit(130))
  })
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: 'atiende-bench' })
  await client.connect()
  openClients.push(client)
  return client
}

async function waitHealthy(child: Child, base: string, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (exited(child.proc)) {
      throw new Error(
        `${child.name} exited (code ${child.proc.exitCode}, signal ${child.proc.signalCode}) before answering /healthz:\n${child.output.join('')}`,
      )
    }
    try {
      const res = await fetch(`${base}/healthz`)
      if (res.status === 200) return
    } catch {}
    await sleep(100)
  }
  throw new Error(
    `${child.name} did not answer GET /healthz within ${timeoutMs} ms:\n${child.output.join('')}`,
  )
}

/** VmRSS and VmHWM (peak) of a process, in MB. */
function memoryOf(pid: number): { rssMb: number; peakMb: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? NaN)
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 }
  } catch {
    return null
  }
}

/** CPU seconds of every PostgreSQL process on the machine, by pid. */
function postgresCpu(): Map<number, number> {
  const byPid = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (!readFileSync(`/proc/${entry}/stat`, 'utf8').includes('(postgres)')) continue
      const cpu = cpuSeconds(entry)
      if (cpu !== null) byPid.set(Number(entry), cpu)
    } catch {}
  }
  return byPid
}

interface CpuSnapshot {
  server: number | null
  postgres: Map<number, number>
  self: NodeJS.CpuUsage
  machine: number | null
  at: number
}

const cpuSnapshot = (serverPid: number): CpuSnapshot => ({
  server: cpuSeconds(serverPid),
  postgres: postgresCpu(),
  self: process.cpuUsage(),
  machine: machineCpu(),
  at: Date.now(),
})

interface CpuUse {
  serverMs: number
  postgresMs: number
  benchMs: number
  /** Share of one core used by everything else on the machine during the run (other work skews results). */
  otherCores: number
}

/** CPU used since a snapshot, in ms. Backends that exited meanwhile are left out (they were idle ones). */
function cpuSince(start: CpuSnapshot, serverPid: number): CpuUse {
  const server = cpuSeconds(serverPid)
  let postgres = 0
  for (const [pid, cpu] of postgresCpu()) postgres += cpu - (start.postgres.get(pid) ?? 0)
  const self = process.cpuUsage(start.self)
  const serverMs = server === null || start.server === null ? Number.NaN : (server - start.server) * 1000
  const postgresMs = start.postgres.size === 0 ? Number.NaN : postgres * 1000
  const benchMs = (self.user + self.system) / 1000
  const machine = machineCpu()
  const machineMs = machine === null || start.machine === null ? Number.NaN : (machine - start.machine) * 1000
  const otherMs = Math.max(0, machineMs - serverMs - postgresMs - benchMs)
  return { serverMs, postgresMs, benchMs, otherCores: otherMs / Math.max(1, Date.now() - start.at) }
}

/**
 * Samples what a server's database connections are doing (pg_stat_activity) every 250 ms while a load
 * runs; the stop function returns the average number of connections in each state.
 */
function sampleConnections(monitor: pg.Client, database: string, applicationName: string) {
  const counts: Record<string, number> = {}
  let samples = 0
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      try {
        const { rows } = await monitor.query(
          `select state, wait_event_type, wait_event from pg_stat_activity
           where datname = $1 and application_name = $2`,
          [database, applicationName],
        )
        samples++
        for (const row of rows as {
          state: string
          wait_event_type: string | null
          wait_event: string | null
        }[]) {
          const label =
            row.state === 'active'
              ? row.wait_event_type
                ? `waiting ${row.wait_event_type}:${row.wait_event}`
                : 'running'
              : row.state === 'idle in transaction'
                ? 'idle in transaction'
                : row.state === 'idle'
                  ? 'idle'
                  : String(row.state)
          counts[label] = (counts[label] ?? 0) + 1
        }
      } catch {}
      await sleep(250)
    }
  })()
  return async (): Promise<Record<string, number>> => {
    stopped = true
    await loop
    return Object.fromEntries(Object.entries(counts).map(([label, n]) => [label, n / Math.max(1, samples)]))
  }
}

// ---------------------------------------------------------------------------------------------------
// Load

interface Sample {
  status: number
  body: string
}

interface LoadResult {
  rps: number
  total: number
  p50: number
  p95: number
  p99: number
  non2xx: number
  errors: number
  timeouts: number
  statusCodes: Record<string, number>
  samples: Sample[]
  cpu?: CpuUse
  connectionsInUse?: Record<string, number>
  rssAfterMb?: number
}

interface LoadOptions {
  url: string
  request: Request
  connections?: number
  duration: number
}

/** One autocannon run; latency percentiles come from every response's own time, not bucketed. */
async function load({ url, request, connections = CONNECTIONS, duration }: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = []
  const samples: Sample[] = []
  const requestWithCheck: Request = {
    ...request,
    onResponse: (status, body) => {
      if ((status < 200 || status >= 300) && samples.length < 5)
        samples.push({ status, body: body.slice(0, 600) })
    },
  }
  const instance = autocannon({ url, connections, duration, timeout: 10, requests: [requestWithCheck] })
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime)
  })
  instance.on('reqError', (err: Error) => {
    if (samples.length < 5) samples.push({ status: 0, body: `request error: ${err.message}` })
  })
  const result = await instance
  const sorted = Float64Array.from(latencies).sort()
  const statusCodes: Record<string, number> = {}
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = count
  return {
    rps: result.requests.average,
    total: latencies.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    samples,
  }
}

const failures = (r: LoadResult) => r.non2xx + r.errors + r.timeouts

interface Server {
  url: string
  pid: number
  database: string
  applicationName: string
}

let monitor: pg.Client | undefined

/**
 * Gives the planner the statistics autovacuum would have gathered by now. Both databases start empty,
 * and a backend plans its foreign-key checks once, at first use: on a table without statistics every
 * index starting with workspace_id looks as good as the primary key, and a check that scans a whole
 * workspace stays in that connection for the rest of the run. In production autovacuum analyzes a
 * table after its first 50 rows and the plans are redone; a 12-second run on a new database is
 * over before autovacuum's first look, so the benchmark does what it would have done.
 */
async function analyze(database: string) {
  const db = new pg.Client({ connectionString: databaseUrl(database), application_name: 'atiende-bench' })
  await db.connect()
  try {
    await db.query('analyze')
  } finally {
    await db.end()
  }
}

/** A short warm-up at full concurrency, statistics, then the measured run with CPU and connection accounting. */
async function measure(label: string, server: Server, request: Request, connections = CONNECTIONS) {
  log(`${label}: warm-up ${WARMUP} s`)
  const warm = await load({ url: server.url, request, connections, duration: WARMUP })
  if (failures(warm) > 0) {
    log(`${label}: warm-up had ${failures(warm)} failed requests ${JSON.stringify(warm.statusCodes)}`)
  }
  await analyze(server.database)
  log(`${label}: measuring ${DURATION} s with ${connections} connections`)
  const stopSampling = monitor && sampleConnections(monitor, server.database, server.applicationName)
  const before = cpuSnapshot(server.pid)
  const result = await load({ url: server.url, request, connections, duration: DURATION })
  result.cpu = cpuSince(before, server.pid)
  if (stopSampling) result.connectionsInUse = await stopSampling()
  result.rssAfterMb = memoryOf(server.pid)?.rssMb
  log(
    `${label}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, ` +
      `status ${JSON.stringify(result.statusCodes)}`,
  )
  for (const s of result.samples) log(`${label}: ${s.status} ${s.body}`)
  return result
}

// ---------------------------------------------------------------------------------------------------
// Service set-up

async function provision(base: string, slug: string, name: string) {
  const res = await fetch(`${base}/v1/workspaces`, {
    method: 'POST',
    headers: { authorization: `Bearer ${platformToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ slug, name }),
  })
  const text = await res.text()
  if (res.status !== 201) throw new Error(`POST /v1/workspaces answered ${res.status}: ${text}`)
  const body = JSON.parse(text)
  const token = body.apiKey.secret as string
  // The load comes from one key, far past the default budget of an integration: the workspace raises
  // its own limit, as a high-volume integrator's would (the limiter still runs on every request).
  const limits = await fetch(`${base}/v1/workspace`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ rateLimits: { apiKey: 1_000_000 } }),
  })
  if (limits.status !== 200)
    throw new Error(`PATCH /v1/workspace answered ${limits.status}: ${await limits.text()}`)
  return { id: body.workspace.id as string, token }
}

const paragraph =
  'Hello, I ordered a pair of running shoes and a rain jacket three weeks ago and paid for express ' +
  'shipping. The tracking page has said "label created" ever since, and the carrier cannot find the ' +
  'parcel. I need the jacket for a trip next weekend. Could you check what happened, and either ship ' +
  'it again today or refund the order? My address has not changed. Thank you for your help.'

/** 100,000 tickets for one workspace, written straight into the service database. */
async function seedListWorkspace(db: pg.Client, workspaceId: string) {
  const started = Date.now()
  await db.query(
    `insert into contacts (workspace_id, id, email, name, created_at, updated_at)
     select $1, gen_random_uuid(), 'seed' || g || '@example.com', 'Seeded Customer ' || g,
            now() - interval '120 days', now() - interval '120 days'
     from generate_series(1, $2::int) g`,
    [workspaceId, SEED_CONTACTS],
  )
  await db.query(
    `with c as (select array_agg(id order by id) ids from contacts where workspace_id = $1),
          p as (select array_agg(id order by rank) ids from priorities where workspace_id = $1),
          d as (select array_agg(id order by position) ids from departments where workspace_id = $1),
          s as (
            select g, random() r, now() - random() * interval '90 days' created
            from generate_series(1, $2::int) g
          ),
          t as (
            select s.g, s.created, s.created + random() * (now() - s.created) updated,
                   case when s.r < 0.40 then 'open' when s.r < 0.55 then 'new' when s.r < 0.70 then 'pending'
                        when s.r < 0.85 then 'solved' else 'closed' end status
            from s
          )
     insert into tickets (workspace_id, id, number, subject, status, channel, priority_id, department_id,
                          requester_id, tags, metadata, version, created_at, updated_at,
                          last_customer_message_at, solved_at, closed_at)
     select $1, gen_random_uuid(), t.g, 'Order A-' || t.g || ' never arrived', t.status, 'api',
            p.ids[1 + t.g % cardinality(p.ids)], d.ids[1 + t.g % cardinality(d.ids)],
            c.ids[1 + t.g % cardinality(c.ids)], '{}', '{}', 1, t.created, t.updated, t.created,
            case when t.status in ('solved', 'closed') then t.updated end,
            case when t.status = 'closed' then t.updated end
     from t, c, p, d`,
    [workspaceId, SEED_TICKETS],
  )
  await db.query('update ticket_counters set last_number = $2 where workspace_id = $1', [
    workspaceId,
    SEED_TICKETS,
  ])
  // Vacuum too, so autovacuum does not start on these rows in the middle of the list runs.
  for (const table of ['tickets', 'contacts', 'priorities', 'departments', 'ticket_counters']) {
    await db.query(`vacuum (analyze) ${table}`)
  }
  log(`seeded ${SEED_TICKETS} tickets and ${SEED_CONTACTS} contacts in ${Date.now() - started} ms`)
}

// ---------------------------------------------------------------------------------------------------
// Diagnostics: statements per request (an in-process copy of the app on the same database, counting
// what it sends) and the list query's plan. Best effort: src/ may change under the bench.

interface Statement {
  sql: string
  params: unknown[]
}

interface Diagnostics {
  statements: Record<string, Statement[]>
  listQuery?: Statement
  error?: string
}

async function diagnose(url: string, tokens: { main: string; list: string }): Promise<Diagnostics> {
  const statements: Record<string, Statement[]> = {}
  let app: any
  try {
    const { buildApp } = (await import('../src/app.ts')) as any
    const { loadConfig } = (await import('../src/config.ts')) as any
    const { openDatabase } = (await import('../src/db/client.ts')) as any
    let current: Statement[] | undefined
    const database = await openDatabase({
      url,
      poolSize: 2,
      onQuery: (sql: string, params?: unknown[]) => current?.push({ sql, params: params ?? [] }),
    })
    const config = loadConfig({
      DATABASE_URL: url,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      ATIENDE_PLATFORM_TOKEN: platformToken,
    })
    app = await buildApp(config, database)
    await app.ready()
    const inject = async (label: string, token: string, options: Record<string, unknown>) => {
      const res = await app.inject({ ...options, headers: { authorization: `Bearer ${token}` } })
      if (res.statusCode >= 300) throw new Error(`${label} answered ${res.statusCode}: ${res.body}`)
      return res
    }
    const counted = async (label: string, token: string, options: Record<string, unknown>) => {
      current = []
      await inject(label, token, options)
      statements[label] = current
      current = undefined
    }
    // Uncounted first requests: API-key "last used" writes happen at most once a minute per process.
    await inject('warm main', tokens.main, { method: 'GET', url: '/v1/tickets/1' })
    await inject('warm list', tokens.list, { method: 'GET', url: '/v1/tickets/1' })
    await counted('POST /v1/tickets', tokens.main, {
      method: 'POST',
      url: '/v1/tickets',
      payload: {
        subject: 'Order D-1 never arrived',
        message: { body: paragraph },
        requester: { email: 'diagnostics@example.com', name: 'Diagnostics' },
        externalRef: 'D-1',
      },
    })
    await counted('GET /v1/tickets/{number}', tokens.main, { method: 'GET', url: '/v1/tickets/1' })
    await counted('GET /v1/tickets?status=open…', tokens.list, {
      method: 'GET',
      url: '/v1/tickets?status=open&sort=-updatedAt&limit=25',
    })
    const listQuery = statements['GET /v1/tickets?status=open…']?.find((s) => /from "tickets"/i.test(s.sql))
    return { statements, ...(listQuery && { listQuery }) }
  } catch (err: any) {
    return { statements, error: err?.message ?? String(err) }
  } finally {
    await app?.close().catch(() => {})
  }
}

/** The list query as the service writes it, for when the in-process diagnostics are unavailable. */
const handWrittenListQuery = (workspaceId: string): Statement => ({
  sql: `select t.*, p.id, p.slug, p.name, p.rank, d.id, d.slug, d.name, c.id, c.name, c.email, c.external_id
        from tickets t
        join contacts c on c.workspace_id = t.workspace_id and c.id = t.requester_id
        left join priorities p on p.workspace_id = t.workspace_id and p.id = t.priority_id
        left join departments d on d.workspace_id = t.workspace_id and d.id = t.department_id
        where t.workspace_id = $1 and t.status in ($2)
        order by t.updated_at desc, t.id desc
        limit $3`,
  params: [workspaceId, 'open', 26],
})

async function explain(db: pg.Client, query: Statement): Promise<string[]> {
  const { rows } = await db.query(`explain (analyze, buffers) ${query.sql}`, query.params as unknown[])
  return rows.map((row: Record<string, string>) => Object.values(row)[0] ?? '')
}

// ---------------------------------------------------------------------------------------------------
// Report

interface Row {
  scenario: string
  result?: LoadResult
  baseline?: LoadResult
  ratio?: string
  target: string
}

function failureCell(r?: LoadResult): string {
  if (!r) return '—'
  const n = failures(r)
  if (n === 0) return '0'
  const codes = Object.entries(r.statusCodes)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, count]) => `${count}×${code}`)
  const extra = [r.errors && `${r.errors} errors`, r.timeouts && `${r.timeouts} timeouts`].filter(Boolean)
  return `✗ ${[...codes, ...extra].join(', ')}`
}

function ratioCell(service: LoadResult, baseline: LoadResult, min: number, goal?: number): string {
  const ratio = service.rps / baseline.rps
  if (failures(service) + failures(baseline) > 0) return `${fmt(ratio, 2)} ✗ invalid (failed requests)`
  if (ratio < min) return `${fmt(ratio, 2)} ✗ below ${min}`
  if (goal !== undefined && ratio < goal) return `${fmt(ratio, 2)} ✓ (≥ ${min}; goal ${goal} not reached)`
  return `${fmt(ratio, 2)} ✓ (≥ ${goal ?? min})`
}

function table(rows: Row[]): string {
  const lines = [
    '| scenario | req/s | p50 ms | p95 ms | p99 ms | non-2xx / errors | baseline req/s | ratio | target |',
    '| --- | ---: | ---: | ---: | ---: | --- | ---: | --- | --- |',
  ]
  for (const { scenario, result: r, baseline: b, ratio, target } of rows) {
    lines.push(
      `| ${[
        scenario,
        r ? fmtInt(r.rps) : '—',
        r ? fmt(r.p50) : '—',
        r ? fmt(r.p95) : '—',
        r ? fmt(r.p99) : '—',
        r ? `${failureCell(r)}${b && failures(b) > 0 ? `; baseline ${failureCell(b)}` : ''}` : '—',
        b ? fmtInt(b.rps) : '—',
        ratio ?? '—',
        target,
      ].join(' | ')} |`,
    )
  }
  return lines.join('\n')
}

const perRequest = (ms: number | undefined, r: LoadResult) =>
  ms === undefined || r.total === 0 ? '—' : fmt(ms / r.total, 2)

function connectionsCell(r: LoadResult): string {
  const states = Object.entries(r.connectionsInUse ?? {}).sort((a, b) => b[1] - a[1])
  if (states.length === 0) return '—'
  return states.map(([label, n]) => `${fmt(n)} ${label}`).join(', ')
}

/** Where each measured run spent its CPU, and what the server's pool connections were doing. */
function costTable(runs: [string, LoadResult][]): string {
  const lines = [
    '| measured run | responses | server CPU ms/req | PostgreSQL CPU ms/req | load generator CPU ms/req | other processes, cores | server RSS after, MB | pool connections (avg of samples) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ]
  for (const [label, r] of runs) {
    lines.push(
      `| ${[
        label,
        fmtInt(r.total),
        perRequest(r.cpu?.serverMs, r),
        perRequest(r.cpu?.postgresMs, r),
        perRequest(r.cpu?.benchMs, r),
        r.cpu ? fmt(r.cpu.otherCores, 2) : '—',
        r.rssAfterMb === undefined ? '—' : fmt(r.rssAfterMb, 0),
        connectionsCell(r),
      ].join(' | ')} |`,
    )
  }
  return lines.join('\n')
}

// ---------------------------------------------------------------------------------------------------
// Main

async function dropStaleDatabases(admin: pg.Client) {
  const { rows } = await admin.query(
    `select datname from pg_database where datname ~ '^atiende_bench_[0-9]+_(svc|base)$'`,
  )
  for (const { datname } of rows as { datname: string }[]) {
    const pid = Number(/^atiende_bench_(\d+)_/.exec(datname)?.[1])
    let alive = false
    try {
      process.kill(pid, 0)
      alive = true
    } catch {}
    if (!alive) {
      log(`dropping ${datname} left by an earlier run`)
      await dropDatabase(admin, datname).catch((err) => log(`could not drop ${datname}: ${err.message}`))
    }
  }
}

async function metricsOf(base: string): Promise<Record<string, number>> {
  try {
    const text = await (await fetch(`${base}/metrics`)).text()
    const values: Record<string, number> = {}
    for (const match of text.matchAll(
      /^(nodejs_heap_size_used_bytes|nodejs_heap_size_total_bytes|nodejs_external_memory_bytes) (\S+)$/gm,
    )) {
      values[match[1] as string] = Number(match[2]) / 1024 / 1024
    }
    return values
  } catch {
    return {}
  }
}

async function main() {
  const startedAt = Date.now()
  const loadAtStart = os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')
  const admin = await connect(ADMIN_URL)
  const pgVersion = ((await admin.query('show server_version')).rows[0]?.server_version ?? '?') as string
  await dropStaleDatabases(admin)
  for (const name of [serviceDbName, baselineDbName]) {
    await admin.query(`create database "${name}"`)
    createdDatabases.push(name)
  }
  log(`created databases ${serviceDbName} and ${baselineDbName}`)
  monitor = await connect(ADMIN_URL)

  const [servicePort, baselinePort] = [await freePort(), await freePort()]
  const common = { HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'production', DATABASE_POOL_SIZE: '10' }
  // The service runs as production does: compiled (what the Docker image runs), not through tsx.
  log('building dist/ (npm run build)')
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' })
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`)
  const serviceChild = startChild('service', 'dist/server.js', {
    ...common,
    DATABASE_URL: databaseUrl(serviceDbName),
    PORT: String(servicePort),
    ATIENDE_PLATFORM_TOKEN: platformToken,
  })
  const baselineChild = startChild('baseline', 'bench/baseline-server.mjs', {
    ...common,
    DATABASE_URL: databaseUrl(baselineDbName),
    PORT: String(baselinePort),
  })
  const service: Server = {
    url: `http://127.0.0.1:${servicePort}`,
    pid: serviceChild.proc.pid ?? 0,
    database: serviceDbName,
    applicationName: 'atiende',
  }
  const baseline: Server = {
    url: `http://127.0.0.1:${baselinePort}`,
    pid: baselineChild.proc.pid ?? 0,
    database: baselineDbName,
    applicationName: 'atiende-bench-baseline',
  }
  await Promise.all([waitHealthy(serviceChild, service.url), waitHealthy(baselineChild, baseline.url)])
  log(`service (pid ${service.pid}) on ${service.url}, baseline (pid ${baseline.pid}) on ${baseline.url}`)

  const mainWs = await provision(service.url, 'bench', 'Bench')
  const listWs = await provision(service.url, 'bench-list', 'Bench list')
  const memoryAtStart = memoryOf(service.pid)
  const serviceDb = await connect(databaseUrl(serviceDbName))
  const baselineDb = await connect(databaseUrl(baselineDbName))

  const json = { 'content-type': 'application/json' }
  const auth = (token: string) => ({ authorization: `Bearer ${token}` })

  // 1. Create: a new requester on every request.
  let seq = 0
  const createTicket = await measure('POST /v1/tickets', service, {
    method: 'POST',
    path: '/v1/tickets',
    headers: { ...json, ...auth(mainWs.token) },
    setupRequest: (req) => {
      const n = ++seq
      return {
        ...req,
        body: JSON.stringify({
          subject: `Order A-${n} never arrived`,
          message: { body: paragraph },
          requester: { email: `c${n}@example.com`, name: `Customer ${n}` },
          externalRef: `A-${n}`,
        }),
      }
    },
  })
  let itemSeq = 0
  const createItem = await measure('baseline POST /items', baseline, {
    method: 'POST',
    path: '/items',
    headers: json,
    setupRequest: (req) => {
      const n = ++itemSeq
      return { ...req, body: JSON.stringify({ subject: `Order A-${n} never arrived`, body: paragraph }) }
    },
  })

  // 2. Read one by number / by primary key, spread over what the create runs wrote.
  const lastNumber = Number(
    (await serviceDb.query('select last_number from ticket_counters where workspace_id = $1', [mainWs.id]))
      .rows[0]?.last_number ?? 0,
  )
  const itemIds = (await baselineDb.query('select id from items order by random() limit 20000')).rows.map(
    (r: { id: string }) => r.id,
  )
  if (lastNumber === 0 || itemIds.length === 0) {
    throw new Error(`nothing to read: ${lastNumber} tickets, ${itemIds.length} items were created`)
  }
  const pick = (n: number) => 1 + Math.floor(Math.random() * n)
  const getTicket = await measure('GET /v1/tickets/{number}', service, {
    method: 'GET',
    headers: auth(mainWs.token),
    setupRequest: (req) => ({ ...req, path: `/v1/tickets/${pick(lastNumber)}` }),
  })
  const getItem = await measure('baseline GET /items/:id', baseline, {
    method: 'GET',
    setupRequest: (req) => ({ ...req, path: `/items/${itemIds[pick(itemIds.length) - 1]}` }),
  })

  // 3. The agent's queue on a large workspace, seeded only now so the seeding's background work
  // (autovacuum, dirty buffers) does not land in the runs above; loaded, then one request at a time.
  await seedListWorkspace(serviceDb, listWs.id)
  const listRequest: Request = {
    method: 'GET',
    path: '/v1/tickets?status=open&sort=-updatedAt&limit=25',
    headers: auth(listWs.token),
  }
  const list = await measure('GET /v1/tickets?status=open (50 connections)', service, listRequest)
  const listSolo = await measure('GET /v1/tickets?status=open (1 connection)', service, listRequest, 1)

  // 4. Memory of the service after all of that.
  const memory = memoryOf(service.pid)
  const baselineMemory = memoryOf(baseline.pid)
  const heap = await metricsOf(service.url)
  const serviceAlive = !exited(serviceChild.proc)

  // 5. Diagnostics: statements per request and the list query's plan.
  log('diagnostics: counting statements per request and explaining the list query')
  const diagnostics = await diagnose(databaseUrl(serviceDbName), { main: mainWs.token, list: listWs.token })
  let plan: string[] = []
  let planSource = 'the statement the service sent'
  try {
    const query = diagnostics.listQuery ?? handWrittenListQuery(listWs.id)
    if (!diagnostics.listQuery) planSource = 'a hand-written equivalent (diagnostics unavailable)'
    plan = await explain(serviceDb, query)
  } catch (err: any) {
    plan = [`EXPLAIN failed: ${err.message}`]
  }
  const ticketCount = Number(
    (await serviceDb.query('select count(*) from tickets where workspace_id = $1', [mainWs.id])).rows[0]
      ?.count ?? 0,
  )

  // Report
  const rows: Row[] = [
    {
      scenario: 'POST /v1/tickets (new requester each) vs POST /items',
      result: createTicket,
      baseline: createItem,
      ratio: ratioCell(createTicket, createItem, TARGETS.createRatio, TARGETS.createGoal),
      target: `ratio ≥ ${TARGETS.createRatio} (goal ${TARGETS.createGoal})`,
    },
    {
      scenario: 'GET /v1/tickets/{number} vs GET /items/:id',
      result: getTicket,
      baseline: getItem,
      ratio: ratioCell(getTicket, getItem, TARGETS.readRatio),
      target: `ratio ≥ ${TARGETS.readRatio}`,
    },
    {
      scenario: `GET /v1/tickets?status=open&sort=-updatedAt&limit=25 (${SEED_TICKETS.toLocaleString('en-US')} tickets, ${CONNECTIONS} connections)`,
      result: list,
      target:
        failures(list) > 0
          ? '✗ invalid (failed requests)'
          : list.p95 < TARGETS.listP95Ms
            ? `p95 ${fmt(list.p95)} ms ✓ (< ${TARGETS.listP95Ms} ms)`
            : `p95 ${fmt(list.p95)} ms ✗ not below ${TARGETS.listP95Ms} ms`,
    },
    {
      scenario: 'same list, 1 connection (service time without queueing)',
      result: listSolo,
      target: failures(listSolo) > 0 ? '✗ invalid (failed requests)' : 'informational',
    },
    {
      scenario: 'service RSS after the run (VmRSS)',
      target: memory
        ? `${fmt(memory.rssMb, 0)} MB ${
            memory.rssMb < TARGETS.rssMb ? `✓ (< ${TARGETS.rssMb} MB)` : `✗ not below ${TARGETS.rssMb} MB`
          }${memory.peakMb >= TARGETS.rssMb ? `; ⚠ peak ${fmt(memory.peakMb, 0)} MB during the run` : ''}`
        : `✗ unavailable (service ${serviceAlive ? 'running' : 'exited'})`,
    },
  ]

  const now = new Date()
  const day = now.toISOString().slice(0, 10)
  const header =
    `Atiende bench — ${now.toISOString().replace('T', ' ').slice(0, 16)} UTC · Node ${process.version} · ` +
    `PostgreSQL ${pgVersion} · ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? '?'}) · ` +
    `${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s per scenario, pool 10 on both servers · ` +
    `load average at start ${loadAtStart}`

  const statementLines = Object.entries(diagnostics.statements).map(
    ([label, list]) =>
      `- ${label}: ${list.length} statements — ${list
        .map((s) => `\`${s.sql.replace(/\s+/g, ' ').slice(0, 40)}…\``)
        .join(', ')}`,
  )
  const measured: [string, LoadResult][] = [
    ['service POST /v1/tickets', createTicket],
    ['baseline POST /items', createItem],
    ['service GET /v1/tickets/{number}', getTicket],
    ['baseline GET /items/:id', getItem],
    ['service list, 50 connections', list],
    ['service list, 1 connection', listSolo],
  ]
  const failed = measured.filter(([, r]) => failures(r) > 0)
  const sampleLines = measured
    .flatMap(([label, r]) => r.samples.map((s) => `- ${label}: ${s.status} ${s.body}`))
    .slice(0, 10)
  const mb = (n: number | undefined) => (n === undefined ? '?' : fmt(n, 0))
  const memoryLine = memory
    ? `Service memory: VmRSS ${mb(memoryAtStart?.rssMb)} MB after start-up → ${mb(memory.rssMb)} MB after the run ` +
      `(peak VmHWM ${mb(memory.peakMb)} MB); V8 heap ${mb(heap.nodejs_heap_size_used_bytes)} MB used of ` +
      `${mb(heap.nodejs_heap_size_total_bytes)} MB, external ${mb(heap.nodejs_external_memory_bytes)} MB. ` +
      `Baseline VmRSS ${mb(baselineMemory?.rssMb)} MB (peak ${mb(baselineMemory?.peakMb)} MB).`
    : 'Service memory: unavailable.'

  const busiest = Math.max(0, ...measured.map(([, r]) => r.cpu?.otherCores ?? 0).filter(Number.isFinite))
  const interference =
    busiest > 0.25
      ? [
          `⚠ Other processes used up to ${fmt(busiest, 2)} of the ${os.cpus().length} cores during the measured runs ` +
            '(see "other processes" below): the numbers are skewed; rerun on an idle machine.',
          '',
        ]
      : []

  const report = [
    header,
    '',
    ...interference,
    table(rows),
    '',
    `Requests in the measured runs: create ${fmtInt(createTicket.total)} (baseline ${fmtInt(createItem.total)}), ` +
      `read ${fmtInt(getTicket.total)} (baseline ${fmtInt(getItem.total)}), list ${fmtInt(list.total)}; ` +
      `reads spread over tickets #1–#${lastNumber} and ${itemIds.length} items; ` +
      `${fmtInt(ticketCount)} tickets in the bench workspace at the end.`,
    '',
    memoryLine,
    '',
    ...(sampleLines.length ? ['Failed responses (first ones):', '', ...sampleLines, ''] : []),
    'Where the time goes (CPU from /proc over each measured run, divided by its responses; pool connections sampled from pg_stat_activity every 250 ms):',
    '',
    costTable(measured),
    '',
    'SQL statements per request (counted in-process on the same database, BEGIN/COMMIT included; baseline: 1):',
    '',
    ...(diagnostics.error ? [`- unavailable: ${diagnostics.error}`] : statementLines),
    '',
    `List query plan (EXPLAIN (ANALYZE, BUFFERS) of ${planSource}):`,
    '',
    '```',
    ...plan,
    '```',
    '',
  ].join('\n')

  process.stdout.write(`\n${report}\n`)
  if (process.env.BENCH_WRITE_RESULTS === '1') writeResults(report, day, { log })
  log(`finished in ${((Date.now() - startedAt) / 1000).toFixed(0)} s`)
  return failed.length === 0 && serviceAlive ? 0 : 1
}

let exitCode = 1
try {
  exitCode = await main()
} catch (err: any) {
  log(`failed: ${err?.stack ?? err}`)
  for (const child of children) {
    if (child.output.length) log(`${child.name} output:\n${child.output.join('').slice(-4000)}`)
  }
} finally {
  await cleanup()
}
process.exit(exitCode)
