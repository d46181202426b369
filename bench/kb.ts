/**
 * The knowledge base part of `npm run bench` (runs after bench/sla.ts): search, suggestions and the
 * typo-tolerant fallback of the real service on a real PostgreSQL database holding 100,000 published
 * article translations (50,000 articles in Spanish and English, bench/kb-corpus.ts), 20 concurrent
 * clients, and the query plans of the statements its search functions run. Prints a Markdown report;
 * like the other benches it is a report, not a test: a missed target is marked ✗ and the exit code stays
 * 0. It is 1 only when the run is broken: the server failed, a measured run got non-2xx responses (503
 * included) or socket errors, or the plans do not read the GIN indexes the search is built on.
 *
 * Env: BENCH_DATABASE_URL (admin connection; creates and drops `atiende_bench_<pid>_kb`),
 * BENCH_KB_TRANSLATIONS (default 100000; smaller for a quick try), BENCH_DURATION (seconds per measured
 * run, default 10), BENCH_WARMUP (default 2), BENCH_WRITE_RESULTS=1 (adds the report as
 * `### Knowledge base` to today's section of bench/RESULTS.md), BENCH_KB_KEEP=1 (keep the database for
 * profiling; the next run drops it). See bench/README.md.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { drizzle } from 'drizzle-orm/node-postgres'
import type pg from 'pg'
import { uuidv7 } from 'uuidv7'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { type Db, openDatabase } from '../src/db/client.ts'
import { slugify } from '../src/modules/kb/articles.ts'
import { searchConfigOf } from '../src/modules/kb/locales.ts'
import { parseSearchQuery, suggestionWords } from '../src/modules/kb/search-query.ts'
import {
  cpuSeconds,
  exited,
  fmt,
  fmtInt,
  freePort,
  machineCpu,
  mark,
  msSince,
  percentile,
  positiveNumber,
  sleep,
  stopProcess,
  writeResults,
} from './common.ts'
import { benchDatabaseName, benchDatabases } from './databases.ts'
import {
  type Article,
  article,
  LANGS,
  type Lang,
  type Query,
  random,
  searchQueries,
  type TicketDraft,
  ticketDrafts,
  topics,
  typoQueries,
} from './kb-corpus.ts'

const benchDir = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(benchDir, '..')

const TRANSLATIONS = Math.max(
  200,
  2 * Math.round(positiveNumber(process.env.BENCH_KB_TRANSLATIONS, 100_000) / 2),
)
const ARTICLES = TRANSLATIONS / 2
const DURATION = positiveNumber(process.env.BENCH_DURATION, 10)
const WARMUP = positiveNumber(process.env.BENCH_WARMUP, 2)
/** The single-client runs (service time without queueing) are shorter. */
const SOLO_DURATION = Math.max(2, Math.round(DURATION / 2))
const CLIENTS = 20
const POOL_SIZE = 10
const TARGETS = { searchP95Ms: 20, suggestP95Ms: 30, fuzzyP95Ms: 50, fuzzyShare: 0.8 }
/** The workspace's default locale: Spanish first, English translations (see bench/README.md). */
const DEFAULT_LOCALE: Lang = 'es'
const WORKSPACE_SLUG = 'bench-kb'
/** The word of the floor scenario's three articles, which no generated text has. */
const FLOOR_WORD = 'zumbaquiri'
const BATCH = 500
/** Long enough to measure a slow service rather than count it as failed; the run waits for it. */
const REQUEST_TIMEOUT_MS = 60_000
/** Queries drawn for the matches-per-query figures (counted with SQL, not timed). */
const COUNTED_QUERIES = 100

const dbName = benchDatabaseName('kb')
const platformToken = `atp_bench_${randomBytes(24).toString('hex')}`

const log = (message: string) => process.stderr.write(`[bench:kb] ${message}\n`)
const pct = (n: number) => (Number.isFinite(n) ? `${(n * 100).toFixed(0)} %` : '—')

const databases = benchDatabases({
  log,
  applicationName: 'atiende-bench-kb',
  signalMessage: 'stopping the server and dropping the bench database',
})

// ---------------------------------------------------------------------------------------------------
// The service: src/server.ts (what `npm start` runs) under tsx, a child process on the bench database.

interface Server {
  url: string
  proc: ChildProcess
  output: string[]
}

/** Service settings of the child and of the in-process copy (diagnostics). */
const serviceEnv = (url: string) => ({
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
  HOST: '127.0.0.1',
  DATABASE_URL: url,
  DATABASE_POOL_SIZE: String(POOL_SIZE),
  ATIENDE_PLATFORM_TOKEN: platformToken,
  // One API key and one address send all the load: budgets far past it, the limiter still runs.
  RATE_LIMIT_API_KEY_PER_MINUTE: '100000000',
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000000',
})

async function startServer(url: string): Promise<Server> {
  const port = await freePort()
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: { ...process.env, ...serviceEnv(url), PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString())
    if (output.length > 200) output.shift()
  }
  proc.stdout?.on('data', keep)
  proc.stderr?.on('data', keep)
  proc.on('error', (err) => keep(Buffer.from(`could not start the server: ${err.message}\n`)))
  const server = { url: `http://127.0.0.1:${port}`, proc, output }
  databases.beforeCleanup(() => stopProcess(proc))
  const deadline = Date.now() + 90_000
  while (Date.now() < deadline) {
    if (exited(proc))
      throw new Error(`the server exited (code ${proc.exitCode}) before answering:\n${output.join('')}`)
    try {
      if ((await fetch(`${server.url}/healthz`)).status === 200) return server
    } catch {}
    await sleep(100)
  }
  throw new Error(`the server did not answer GET /healthz within 90 s:\n${output.join('')}`)
}

async function api(server: Server, token: string, method: string, url: string, body?: unknown) {
  const res = await fetch(`${server.url}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  if (res.status >= 300) throw new Error(`${method} ${url} answered ${res.status}: ${text}`)
  return JSON.parse(text)
}

// ---------------------------------------------------------------------------------------------------
// CPU: of the server, of this database's PostgreSQL backends, of the bench, and of everything else.

interface CpuMark {
  server: number | null
  backends: Map<number, number>
  self: NodeJS.CpuUsage
  machine: number | null
  at: number
}

interface CpuUse {
  serverMs: number
  postgresMs: number
  benchMs: number
  /** Cores used by everything else on the machine meanwhile (other work skews the figures). */
  otherCores: number
}

async function backendPids(monitor: pg.Client): Promise<number[]> {
  const { rows } = await monitor.query(
    'select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
    [dbName],
  )
  return rows.map((r: { pid: number }) => r.pid)
}

async function cpuMark(monitor: pg.Client, serverPid: number): Promise<CpuMark> {
  const backends = new Map<number, number>()
  for (const pid of await backendPids(monitor)) {
    const cpu = cpuSeconds(pid)
    if (cpu !== null) backends.set(pid, cpu)
  }
  return {
    server: cpuSeconds(serverPid),
    backends,
    self: process.cpuUsage(),
    machine: machineCpu(),
    at: Date.now(),
  }
}

async function cpuSince(start: CpuMark, monitor: pg.Client, serverPid: number): Promise<CpuUse> {
  const server = cpuSeconds(serverPid)
  let postgres = 0
  for (const pid of new Set([...start.backends.keys(), ...(await backendPids(monitor))])) {
    const cpu = cpuSeconds(pid)
    if (cpu !== null) postgres += cpu - (start.backends.get(pid) ?? 0)
  }
  const self = process.cpuUsage(start.self)
  const serverMs = server === null || start.server === null ? Number.NaN : (server - start.server) * 1000
  const benchMs = (self.user + self.system) / 1000
  const machine = machineCpu()
  const machineMs = machine === null || start.machine === null ? Number.NaN : (machine - start.machine) * 1000
  const otherMs = Math.max(0, machineMs - serverMs - postgres * 1000 - benchMs)
  return {
    serverMs,
    postgresMs: postgres * 1000,
    benchMs,
    otherCores: otherMs / Math.max(1, Date.now() - start.at),
  }
}

/** What this database's backends are doing, sampled every 250 ms while a load runs (average count per state). */
function sampleBackends(monitor: pg.Client) {
  const counts: Record<string, number> = {}
  let samples = 0
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      try {
        const { rows } = await monitor.query(
          `select state, wait_event_type, wait_event from pg_stat_activity
           where datname = $1 and application_name like 'atiende%' and pid <> pg_backend_pid()`,
          [dbName],
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
// Setup: workspace and categories through the API, 100,000 published translations with SQL.

interface Step {
  label: string
  ms: number
}

interface Corpus {
  workspaceId: string
  firstCategoryId: string
  token: string
  configs: Record<Lang, string>
  setup: Step[]
  setupMs: number
  counts: {
    translations: number
    articles: number
    archived: number
    byVisibility: Record<string, number>
    terms: Record<string, number>
    meanWords: Record<Lang, number>
  }
  sizes: {
    tableMb: number
    toastMb: number
    documentsMb: number
    searchIdxMb: number
    termsMb: number
    trgmIdxMb: number
  }
}

async function loadCorpus(server: Server, url: string): Promise<Corpus> {
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

  // The workspace as an operator provisions it, with its owner API key; Spanish is its default locale.
  const { workspaceId, token } = await step('workspace and categories (API)', async () => {
    const created = await fetch(`${server.url}/v1/workspaces`, {
      method: 'POST',
      headers: { authorization: `Bearer ${platformToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ slug: WORKSPACE_SLUG, name: 'Bench knowledge base' }),
    })
    const text = await created.text()
    if (created.status !== 201) throw new Error(`POST /v1/workspaces answered ${created.status}: ${text}`)
    const body = JSON.parse(text)
    const token = body.apiKey.secret as string
    await api(server, token, 'PATCH', '/v1/workspace', { defaultLocale: DEFAULT_LOCALE })
    return { workspaceId: body.workspace.id as string, token }
  })
  const categoryIds: string[] = []
  for (const topic of topics) {
    const category = await api(server, token, 'POST', '/v1/kb/categories', {
      position: topic.index,
      translations: LANGS.map((locale) => ({ locale, name: topic[locale], slug: slugify(topic[locale]) })),
    })
    categoryIds.push(category.id as string)
  }

  const client = await databases.connect(url)
  await client.query(`set maintenance_work_mem = '256MB'`)
  await client.query('set synchronous_commit = off')
  // The configurations the service indexes each locale with (kb_spanish, kb_english), as it picks them.
  const db = drizzle(client) as unknown as Db
  const configs = { es: await searchConfigOf(db, 'es'), en: await searchConfigOf(db, 'en') }

  const meanWords = { es: 0, en: 0 }
  await step(
    `${fmtInt(ARTICLES)} articles, ${fmtInt(TRANSLATIONS)} published translations (generated and inserted; the triggers of migration 0009 write their search documents and kb_search_terms)`,
    async () => {
      const now = Date.now()
      const batchOf = (from: number) => {
        const articles: { id: string; a: Article }[] = []
        for (let n = from; n < Math.min(ARTICLES, from + BATCH); n++)
          articles.push({ id: uuidv7(), a: article(n) })
        return articles
      }
      const insert = async (from: number, batch: { id: string; a: Article }[]) => {
        const at = batch.map(({ a }) => new Date(now - a.ageDays * 86_400_000 - 3_600_000).toISOString())
        await client.query('begin')
        await client.query(
          `insert into kb_articles (workspace_id, id, category_id, visibility, tags, position, source_locale,
                                  source_revision, archived_at, version, created_at, updated_at)
         select $1, u.id, u.category_id, u.visibility, string_to_array(u.tags, ','), u.position, $8, 1,
                case when u.archived then u.at end, 5, u.at, u.at
         from unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::int[], $7::timestamptz[], $9::boolean[])
              as u(id, category_id, visibility, tags, position, at, archived)`,
          [
            workspaceId,
            batch.map((b) => b.id),
            batch.map((b) => categoryIds[b.a.topic]),
            batch.map((b) => b.a.visibility),
            batch.map((b) => b.a.tags.join(',')),
            batch.map((_, i) => from + i),
            at,
            DEFAULT_LOCALE,
            batch.map((b) => b.a.archived),
          ],
        )
        const rows = batch.flatMap((b, i) =>
          LANGS.map((lang) => ({ id: b.id, lang, text: b.a[lang], at: at[i] })),
        )
        await client.query(
          `insert into kb_article_translations (workspace_id, article_id, locale, slug, title, body, body_html,
                                              published_version, published_at, source_revision, search_config,
                                              created_at, updated_at)
         select $1, u.article_id, u.locale, u.slug, u.title, u.body, u.body_html, 1, u.at, 1, u.config::regconfig,
                u.at, u.at
         from unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[],
                     $9::text[]) as u(article_id, locale, slug, title, body, body_html, at, config)`,
          [
            workspaceId,
            rows.map((r) => r.id),
            rows.map((r) => r.lang),
            rows.map((r) => `${slugify(r.text.title).slice(0, 60).replace(/-+$/, '')}-${r.id.slice(-8)}`),
            rows.map((r) => r.text.title),
            rows.map((r) => r.text.body),
            rows.map((r) => r.text.bodyHtml),
            rows.map((r) => r.at),
            rows.map((r) => configs[r.lang]),
          ],
        )
        await client.query('commit')
      }
      // Generating the next batch while PostgreSQL writes this one.
      let next = batchOf(0)
      for (let from = 0; from < ARTICLES; from += BATCH) {
        const batch = next
        for (const { a } of batch) {
          meanWords.es += a.es.words
          meanWords.en += a.en.words
        }
        const writing = insert(from, batch)
        next = from + BATCH < ARTICLES ? batchOf(from + BATCH) : []
        await writing
        if ((from / BATCH) % 20 === 19) log(`  ${fmtInt(from + BATCH)} articles`)
      }
    },
  )
  // ANALYZE for the planner, VACUUM as autovacuum would have done on tables this size.
  await step('vacuum (analyze)', () =>
    client.query(
      'vacuum (analyze) kb_articles, kb_article_translations, kb_search_documents, kb_search_terms, kb_categories, kb_category_translations',
    ),
  )
  const setupMs = msSince(setupStart)

  const { rows: countRows } = await client.query(
    `select (select count(*)::int from kb_article_translations where published_version > 0) as translations,
            (select count(*)::int from kb_articles) as articles,
            (select count(*)::int from kb_articles where archived_at is not null) as archived,
            (select json_object_agg(visibility, n) from (select visibility, count(*)::int n from kb_articles group by 1) v) as visibility,
            (select json_object_agg(config, n) from (select config, count(*)::int n from kb_search_terms group by 1) c) as terms`,
  )
  const c = countRows[0]
  const { rows: sizeRows } = await client.query(
    `select pg_relation_size('kb_article_translations') / 1048576.0 as heap,
            pg_total_relation_size((select reltoastrelid from pg_class where relname = 'kb_article_translations')) / 1048576.0 as toast,
            pg_table_size('kb_search_documents') / 1048576.0 as documents,
            pg_relation_size('kb_search_documents_search_idx') / 1048576.0 as search_idx,
            pg_total_relation_size('kb_search_terms') / 1048576.0 as terms,
            pg_relation_size('kb_search_terms_trgm_idx') / 1048576.0 as trgm_idx`,
  )
  const s = sizeRows[0]
  return {
    workspaceId,
    firstCategoryId: categoryIds[0] as string,
    token,
    configs,
    setup,
    setupMs,
    counts: {
      translations: c.translations,
      articles: c.articles,
      archived: c.archived,
      byVisibility: c.visibility ?? {},
      terms: c.terms ?? {},
      meanWords: { es: meanWords.es / ARTICLES, en: meanWords.en / ARTICLES },
    },
    sizes: {
      tableMb: Number(s.heap),
      toastMb: Number(s.toast),
      documentsMb: Number(s.documents),
      searchIdxMb: Number(s.search_idx),
      termsMb: Number(s.terms),
      trgmIdxMb: Number(s.trgm_idx),
    },
  }
}

/** How many published translations the queries match in their locale (not timed): what ranking has to rank. */
async function matchesPerQuery(client: pg.Client, corpus: Corpus, texts: { text: string; locale: Lang }[]) {
  const counts: number[] = []
  for (const { text, locale } of texts) {
    const { rows } = await client.query(
      `select count(*)::int as n from kb_search_documents
       where workspace_id = $1 and locale = $2 and search_vector @@ to_tsquery($3::regconfig, $4)`,
      [corpus.workspaceId, locale, corpus.configs[locale], text],
    )
    counts.push(rows[0]?.n ?? 0)
  }
  return counts
}

// ---------------------------------------------------------------------------------------------------
// Load: 20 clients, each sending its next request when the previous one has answered.

interface RequestSpec {
  method: 'GET' | 'POST'
  path: string
  body?: string
  locale: Lang
}

interface Sample {
  ms: number
  status: number
  locale: Lang
  fuzzy: boolean
  hits: number
}

interface LoadResult {
  samples: Sample[]
  seconds: number
  failures: { status: number; body: string }[]
  cpu?: CpuUse
  backends?: Record<string, number>
}

function send(agent: http.Agent, base: URL, token: string | null, spec: RequestSpec) {
  return new Promise<{ status: number; body: string }>((resolve) => {
    const headers: Record<string, string> = {}
    if (token) headers.authorization = `Bearer ${token}`
    if (spec.body !== undefined) {
      headers['content-type'] = 'application/json'
      headers['content-length'] = String(Buffer.byteLength(spec.body))
    }
    const req = http.request(
      { agent, host: base.hostname, port: base.port, method: spec.method, path: spec.path, headers },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        )
        res.on('error', (err) => resolve({ status: 0, body: `response error: ${err.message}` }))
      },
    )
    req.setTimeout(REQUEST_TIMEOUT_MS, () =>
      req.destroy(new Error(`timeout after ${REQUEST_TIMEOUT_MS / 1000} s`)),
    )
    req.on('error', (err) => resolve({ status: 0, body: `request error: ${err.message}` }))
    if (spec.body !== undefined) req.write(spec.body)
    req.end()
  })
}

/** `clients` loops for `seconds`; every response's own time is kept, so percentiles are exact. */
async function runLoad(
  server: Server,
  token: string | null,
  specs: RequestSpec[],
  clients: number,
  seconds: number,
  seed: number,
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients })
  const base = new URL(server.url)
  const samples: Sample[] = []
  const failures: { status: number; body: string }[] = []
  const started = process.hrtime.bigint()
  const deadline = Date.now() + seconds * 1000
  const loop = async (client: number) => {
    const rnd = random(seed * 1000 + client)
    while (Date.now() < deadline) {
      const spec = specs[Math.floor(rnd() * specs.length)] as RequestSpec
      const start = process.hrtime.bigint()
      const { status, body } = await send(agent, base, token, spec)
      const ms = msSince(start)
      let fuzzy = false
      let hits = 0
      if (status >= 200 && status < 300) {
        const parsed = JSON.parse(body) as { fuzzy?: boolean; data?: unknown[] }
        fuzzy = parsed.fuzzy === true
        hits = parsed.data?.length ?? 0
      } else if (failures.length < 5) failures.push({ status, body: body.slice(0, 600) })
      samples.push({ ms, status, locale: spec.locale, fuzzy, hits })
    }
  }
  await Promise.all(Array.from({ length: clients }, (_, i) => loop(i)))
  const elapsed = msSince(started) / 1000
  agent.destroy()
  return { samples, seconds: elapsed, failures }
}

interface Scenario {
  key: string
  label: string
  token: string | null
  specs: RequestSpec[]
  clients: number
  seconds: number
}

/**
 * Waits until none of the service's backends has run a statement for a second (at most 2 minutes), so
 * that statements of requests a previous run gave up on do not weigh on the next one.
 */
async function settle(monitor: pg.Client, label: string) {
  const start = Date.now()
  let quiet = 0
  while (quiet < 4 && Date.now() - start < 120_000) {
    const { rows } = await monitor.query(
      `select count(*)::int as n from pg_stat_activity
       where datname = $1 and application_name like 'atiende%' and state = 'active' and pid <> pg_backend_pid()`,
      [dbName],
    )
    quiet = rows[0]?.n === 0 ? quiet + 1 : 0
    await sleep(250)
  }
  const waited = Date.now() - start
  if (waited > 2_000) log(`${label}: waited ${fmt(waited / 1000)} s for the service's statements to finish`)
}

async function measure(
  scenario: Scenario,
  server: Server,
  monitor: pg.Client,
  seed: number,
): Promise<LoadResult> {
  const { label, token, specs, clients, seconds } = scenario
  await settle(monitor, label)
  log(`${label}: warm-up ${WARMUP} s`)
  const warm = await runLoad(server, token, specs, clients, WARMUP, seed + 500)
  for (const f of warm.failures) log(`${label} (warm-up): ${f.status} ${f.body}`)
  log(`${label}: measuring ${seconds} s with ${clients} client${clients === 1 ? '' : 's'}`)
  const serverPid = server.proc.pid ?? 0
  const mark = await cpuMark(monitor, serverPid)
  const stopSampling = sampleBackends(monitor)
  const result = await runLoad(server, token, specs, clients, seconds, seed)
  result.backends = await stopSampling()
  result.cpu = await cpuSince(mark, monitor, serverPid)
  const lat = latencies(result.samples)
  log(
    `${label}: ${fmtInt(result.samples.length / result.seconds)} req/s, p50 ${fmt(percentile(lat, 50))} ms, ` +
      `p95 ${fmt(percentile(lat, 95))} ms, ${failed(result)} failed`,
  )
  for (const f of result.failures) log(`${label}: ${f.status} ${f.body}`)
  if (result.samples.some((x) => x.status >= 500)) {
    // The service logs why (LOG_LEVEL=warn): its last error lines.
    const errors = server.output
      .join('')
      .split('\n')
      .filter((line) => /"level":50/.test(line))
      .slice(-3)
    for (const line of errors) log(`${label}: server: ${line.slice(0, 600)}`)
  }
  return result
}

/**
 * What the floor and reference runs say: the latency and CPU of a search with three texts to rank, and of a
 * one-statement read, against the search run's.
 */
function floorLines(
  floor: Measured | undefined,
  read: Measured | undefined,
  search: Measured | undefined,
): string[] {
  if (!floor || !read || !search) return []
  const f = summary(floor.result)
  const r = summary(read.result)
  const s = summary(search.result)
  const cpu = (m: Measured) =>
    m.result.cpu && m.result.samples.length > 0
      ? (m.result.cpu.serverMs + m.result.cpu.postgresMs) / m.result.samples.length
      : Number.NaN
  return [
    '',
    `Floor and reference: ${CLIENTS} clients reading one page of one category (API key, a bound tenant connection, one ` +
      `short statement, JSON) get p95 ${fmt(r.p95)} ms at ${fmtInt(r.rps)} req/s, ${fmt(cpu(read), 2)} ms of server and ` +
      `PostgreSQL CPU per response: what this machine and the service's request path allow. Searching for a word only ` +
      `three articles have takes the same path as every search (kb_search_page, headlines) with three texts to rank: ` +
      `p95 ${fmt(f.p95)} ms at ${fmtInt(f.rps)} req/s, ${fmt(cpu(floor), 2)} ms; the difference is the search's own fixed ` +
      `cost. The search run: p95 ${fmt(s.p95)} ms, ${fmt(cpu(search), 2)} ms; what it adds above the floor is finding, ` +
      'ranking and highlighting the matches.',
  ]
}

/** Responses that count as failed: every non-2xx (a 4xx, a 500, the 503 of a pool that timed out) and socket errors (status 0). */
const failed = (r: LoadResult) => r.samples.filter((s) => s.status < 200 || s.status >= 300).length
const latencies = (samples: Sample[]) => Float64Array.from(samples.map((s) => s.ms)).sort()

// ---------------------------------------------------------------------------------------------------
// Diagnostics: the statements the service sends (an in-process copy of the app on the same database,
// recording them) and the plans of what they run. The service gets the matching page from
// kb_search_page and near spellings from kb_near_terms (drizzle/0008): SECURITY DEFINER functions that
// run, as the tables' owner, a statement an EXPLAIN of the call does not show. So each recorded call is
// replayed against stand-ins that record their arguments and, for kb_search_page, the exact text its
// format() builds for them: the stand-in's body is the function's own, read from pg_proc, with
// RETURN QUERY EXECUTE turned into a record of the text and of its USING values. That text (for the SQL
// function kb_near_terms: its body) is then PREPAREd with those values and explained as the owner, with
// the function's settings, planned as the function plans it; and the function is called once as the
// service calls it (role atiende_tenant, bound to the workspace) for its own latency.

interface Statement {
  sql: string
  params: unknown[]
}

/** One call of a search function as the service made it, and the statement the function runs for it. */
interface Captured {
  fn: string
  /** The statement the function runs, with $n parameters. */
  sql: string
  /** The values of its $n parameters, as typed literals (`'…'::tsquery`). */
  values: string[]
  types: string[]
  /** The function's own arguments, as typed literals. */
  args: string[]
}

interface Explained {
  label: string
  request: string
  captured: Captured
  plan: string[]
  /** How the function plans the statement: for these values (EXECUTE in plpgsql), or generically (a SQL function's body). */
  planKind: 'custom' | 'generic'
  executionMs: number | undefined
  /** JIT compilation time in the plan (the service's connections have JIT off; so has the explaining session). */
  jitMs: number | undefined
  /** The index the plan must read. */
  index: string
  usesIndex: boolean
  /** Rows of the index's table when, the table being small, the plan shown was made with enable_seqscan off. */
  seqscanOffRows?: number
  /** One call of the function as the tenant role, bound to the workspace (round trip), or why it failed. */
  call: { ms: number; rows: number } | { error: string }
}

const executionMsOf = (plan: string[]) => {
  const line = plan.find((l) => l.startsWith('Execution Time:'))
  return line ? Number(/([\d.]+) ms/.exec(line)?.[1]) : undefined
}
const jitMsOf = (plan: string[]) => {
  const line = plan.find((l) => /^\s*Timing: .*Total/.test(l))
  return line ? Number(/Total ([\d.]+) ms/.exec(line)?.[1]) : undefined
}

interface Diagnostics {
  statements: Record<string, Statement[]>
  explained: Explained[]
  error?: string
}

/** The search functions the service calls (drizzle/0008). */
const SEARCH_FUNCTIONS = ['kb_search_page', 'kb_near_terms'] as const
const CAPTURE_SCHEMA = 'kb_bench_capture'
/** Below this many rows in the index's table, a plan that skips the index is explained again with enable_seqscan off. */
const SEQSCAN_OFF_BELOW = 20_000
const calls = (fn: string) => new RegExp(`\\b${fn}\\s*\\(`, 'i')

interface FunctionSource {
  name: string
  language: string
  body: string
  /** `p_config text, p_words text[], …` and `TABLE(…)`, as pg_get_function_arguments / _result give them. */
  signature: string
  result: string
  /** Names of the input arguments, in order. */
  inputs: string[]
  /** `name=value` settings of the function (SET search_path …). */
  settings: string[]
}

async function functionSource(client: pg.Client, name: string): Promise<FunctionSource> {
  const { rows } = await client.query(
    `select p.prosrc, l.lanname, pg_get_function_arguments(p.oid) as signature,
            pg_get_function_result(p.oid) as result, p.proargnames, p.proargmodes::text[] as modes,
            p.pronargs, coalesce(p.proconfig, '{}') as settings
     from pg_proc p join pg_language l on l.oid = p.prolang
     where p.proname = $1 and p.pronamespace = 'public'::regnamespace`,
    [name],
  )
  const row = rows[0]
  if (rows.length !== 1 || !row) throw new Error(`diagnostics: ${rows.length} functions named public.${name}`)
  const names = (row.proargnames ?? []) as string[]
  const modes = row.modes as string[] | null
  const inputs = names.filter((_, i) => (modes ? ['i', 'b', 'v'].includes(modes[i] ?? '') : i < row.pronargs))
  if (inputs.length !== row.pronargs || !inputs.every((n) => /^[a-z_][a-z0-9_]*$/.test(n)))
    throw new Error(`diagnostics: cannot read the arguments of ${name}`)
  return {
    name,
    language: row.lanname,
    body: row.prosrc,
    signature: row.signature,
    result: row.result,
    inputs,
    settings: row.settings,
  }
}

/** `a, coalesce(b, '{}'), c` → its expressions: split at the commas outside parentheses and quotes. */
function splitArguments(list: string): string[] {
  const out: string[] = []
  let depth = 0
  let quoted = false
  let current = ''
  for (const ch of list) {
    if (ch === "'") quoted = !quoted
    else if (!quoted && ch === '(') depth++
    else if (!quoted && ch === ')') depth--
    if (ch === ',' && depth === 0 && !quoted) {
      out.push(current.trim())
      current = ''
    } else current += ch
  }
  out.push(current.trim())
  return out
}

/** plpgsql: an array of `quote_nullable(v)` (or `pg_typeof(v)`) of the variables. */
const recordOf = (vars: string[], what: 'value' | 'type') =>
  `ARRAY[${vars.map((v) => (what === 'value' ? `quote_nullable(${v})` : `pg_typeof(${v})::text`)).join(', ')}]::text[]`

/**
 * The stand-in of a search function: same name, arguments and result, in CAPTURE_SCHEMA; it records
 * into pg_temp.kb_bench_calls the statement the function would run and the values it would run it with,
 * and returns no row.
 */
function standIn(source: FunctionSource): { create: string; sql: string | null } {
  const record = (sql: string, using: string[]) =>
    `INSERT INTO pg_temp.kb_bench_calls (fn, sql, vals, types, args, arg_types)
     VALUES (${`'${source.name}'`}, ${sql}, ${recordOf(using, 'value')}, ${recordOf(using, 'type')},
             ${recordOf(source.inputs, 'value')}, ${recordOf(source.inputs, 'type')});`
  const create = (body: string) =>
    `CREATE FUNCTION ${CAPTURE_SCHEMA}.${source.name}(${source.signature}) RETURNS ${source.result}
     LANGUAGE plpgsql AS $kb_bench$${body}$kb_bench$`
  if (source.language === 'plpgsql') {
    // Each EXECUTE format(…) (or a $query$ literal) [INTO …] USING a, b, …; → a record of the text it runs
    // and of the USING values. An EXECUTE … INTO still runs (what follows depends on it); a RETURN QUERY
    // EXECUTE returns no row instead.
    const dynamic =
      /(RETURN\s+QUERY\s+)?EXECUTE\s+(format\s*\([\s\S]*?\)|\$query\$[\s\S]*?\$query\$)\s+(INTO\s+[\w\s,]+?\s+)?USING\s+([^;]+?)\s*;/gi
    let found = 0
    const body = source.body.replace(dynamic, (statement, returns, text, into, list) => {
      found++
      const using = splitArguments(list)
      if (returns && into) throw new Error(`diagnostics: ${source.name} has a RETURN QUERY EXECUTE … INTO`)
      return returns ? `${record(text, using)}\n  RETURN;` : `${record(text, using)}\n  ${statement}`
    })
    if (found === 0) throw new Error(`diagnostics: ${source.name} no longer runs EXECUTE <text> USING …`)
    return { create: create(body), sql: null }
  }
  if (source.language === 'sql') {
    // Its body, with the arguments' names as $n.
    let sql = source.body.trim().replace(/;\s*$/, '')
    source.inputs.forEach((name, i) => {
      sql = sql.replace(new RegExp(`\\b${name}\\b`, 'g'), `$${i + 1}`)
    })
    return { create: create(`BEGIN ${record('NULL', source.inputs)} RETURN; END`), sql }
  }
  throw new Error(`diagnostics: ${source.name} is in ${source.language}, neither plpgsql nor sql`)
}

/**
 * Replays the recorded statements (each calling one search function) as the owner, bound to the
 * workspace, against the stand-ins, in a transaction rolled back afterwards: what each call would run.
 */
async function captureCalls(
  client: pg.Client,
  workspaceId: string,
  sources: FunctionSource[],
  statements: Statement[],
): Promise<Captured[][]> {
  const standIns = new Map(sources.map((s) => [s.name, standIn(s)]))
  await client.query('begin')
  try {
    await client.query(`select set_config('atiende.workspace_id', $1, true)`, [workspaceId])
    await client.query(`create schema ${CAPTURE_SCHEMA}`)
    await client.query(
      `create temp table kb_bench_calls (n serial, fn text, sql text, vals text[], types text[], args text[],
                                         arg_types text[]) on commit drop`,
    )
    for (const s of standIns.values()) await client.query(s.create)
    await client.query(`select set_config('search_path', $1, true)`, [`${CAPTURE_SCHEMA}, public`])
    const captured: Captured[][] = []
    for (const statement of statements) {
      await client.query('truncate pg_temp.kb_bench_calls')
      await client.query(statement.sql, statement.params)
      const { rows } = await client.query('select * from pg_temp.kb_bench_calls order by n')
      if (rows.length === 0 || new Set(rows.map((r) => `${r.fn}${r.args}`)).size !== 1)
        throw new Error(
          `diagnostics: replaying a statement made ${rows.length} statements, not those of one call`,
        )
      const typed = (values: string[], types: string[]) => values.map((v, i) => `${v}::${types[i]}`)
      captured.push(
        rows.map((row) => ({
          fn: row.fn,
          sql: row.sql ?? standIns.get(row.fn)?.sql ?? '',
          values: typed(row.vals, row.types),
          types: row.types,
          args: typed(row.args, row.arg_types),
        })),
      )
    }
    return captured
  } finally {
    await client.query('rollback')
  }
}

/** Explains what a call runs as the function runs it: the owner, its settings, the workspace bound. */
async function explainCaptured(
  client: pg.Client,
  workspaceId: string,
  source: FunctionSource,
  captured: Captured,
  planKind: 'custom' | 'generic',
  seqscanOff: boolean,
): Promise<string[]> {
  let prepared = false
  await client.query('begin')
  try {
    for (const setting of source.settings) {
      const at = setting.indexOf('=')
      await client.query('select set_config($1, $2, true)', [setting.slice(0, at), setting.slice(at + 1)])
    }
    await client.query(
      `select set_config('atiende.workspace_id', $1, true), set_config('jit', 'off', true),
              set_config('plan_cache_mode', $2, true), set_config('enable_seqscan', $3, true)`,
      [
        workspaceId,
        planKind === 'custom' ? 'force_custom_plan' : 'force_generic_plan',
        seqscanOff ? 'off' : 'on',
      ],
    )
    await client.query(`prepare kb_bench_statement (${captured.types.join(', ')}) as ${captured.sql}`)
    prepared = true
    const { rows } = await client.query(
      `explain (analyze, buffers) execute kb_bench_statement (${captured.values.join(', ')})`,
    )
    return rows.map((row: Record<string, string>) => Object.values(row)[0] ?? '')
  } finally {
    await client.query('rollback')
    if (prepared) await client.query('deallocate kb_bench_statement')
  }
}

/** One call of the function as the service makes it (role atiende_tenant, bound to the workspace), after one untimed call. */
async function callAsTenant(
  client: pg.Client,
  workspaceId: string,
  captured: Captured,
): Promise<Explained['call']> {
  await client.query('begin')
  try {
    await client.query(
      `select set_config('role', 'atiende_tenant', true), set_config('atiende.workspace_id', $1, true),
              set_config('jit', 'off', true)`,
      [workspaceId],
    )
    const call = `select * from ${captured.fn}(${captured.args.join(', ')})`
    await client.query(call)
    const start = process.hrtime.bigint()
    const { rowCount } = await client.query(call)
    return { ms: msSince(start), rows: rowCount ?? 0 }
  } catch (err: any) {
    return { error: err?.message ?? String(err) }
  } finally {
    await client.query('rollback')
  }
}

async function diagnose(
  url: string,
  corpus: Corpus,
  client: pg.Client,
  samples: { exact: Query; oneWord: Query; fallback: Query; typo: Query; ticket: TicketDraft },
): Promise<Diagnostics> {
  const statements: Record<string, Statement[]> = {}
  const explained: Explained[] = []
  let app: Awaited<ReturnType<typeof buildApp>> | undefined
  try {
    let current: Statement[] | undefined
    const database = await openDatabase({
      url,
      poolSize: 2,
      // drizzle's logger also passes the parameters.
      onQuery: ((sql: string, params?: unknown[]) => current?.push({ sql, params: params ?? [] })) as (
        sql: string,
      ) => void,
    })
    app = await buildApp(loadConfig({ ...serviceEnv(url), JOBS: 'off' }), database)
    await app.ready()
    const inject = async (
      label: string,
      options: { method: 'GET' | 'POST'; url: string; payload?: object },
    ) => {
      current = []
      const res = await app?.inject({ ...options, headers: { authorization: `Bearer ${corpus.token}` } })
      statements[label] = current
      current = undefined
      if (!res || res.statusCode >= 300) throw new Error(`${label} answered ${res?.statusCode}: ${res?.body}`)
      return JSON.parse(res.body)
    }
    const search = (q: Query) => `/v1/kb/search?q=${encodeURIComponent(q.q)}&locale=${q.locale}`
    // Uncounted first request: API-key "last used" writes and the settings cache.
    await inject('warm', { method: 'GET', url: search(samples.exact) })
    const requests = {
      exact: `GET /v1/kb/search?q=${samples.exact.q}&locale=${samples.exact.locale}`,
      oneWord: `GET /v1/kb/search?q=${samples.oneWord.q}&locale=${samples.oneWord.locale}`,
      fallback: `GET /v1/kb/search?q=${samples.fallback.q}&locale=${samples.fallback.locale}`,
      typo: `GET /v1/kb/search?q=${samples.typo.q}&locale=${samples.typo.locale}`,
      suggestion: `POST /v1/kb/suggestions (locale ${samples.ticket.locale})`,
    }
    await inject(requests.exact, { method: 'GET', url: search(samples.exact) })
    await inject(requests.oneWord, { method: 'GET', url: search(samples.oneWord) })
    await inject(requests.fallback, { method: 'GET', url: search(samples.fallback) })
    const typo = await inject(requests.typo, { method: 'GET', url: search(samples.typo) })
    if (!typo.fuzzy) log(`diagnostics: "${samples.typo.q}" was not answered with fuzzy: true`)
    await inject(requests.suggestion, {
      method: 'POST',
      url: '/v1/kb/suggestions',
      payload: { subject: samples.ticket.subject, body: samples.ticket.body, locale: samples.ticket.locale },
    })
    const callOf = (label: string, fn: string, nth = 0) =>
      statements[label]?.filter((s) => calls(fn).test(s.sql))[nth]
    const page = 'kb_search_page'
    const near = 'kb_near_terms'
    const wanted: [string, string, Statement | undefined, string][] = [
      [
        'search, words that must all match ("and"), default locale',
        requests.exact,
        callOf(requests.exact, page),
        'kb_search_documents_search_idx',
      ],
      [
        'search, one word',
        requests.oneWord,
        callOf(requests.oneWord, page),
        'kb_search_documents_search_idx',
      ],
      [
        'search, "and", other locale (fallback to the default left out: no article lacks the locale)',
        requests.fallback,
        callOf(requests.fallback, page),
        'kb_search_documents_search_idx',
      ],
      [
        'fuzzy: near spellings from kb_search_terms',
        requests.typo,
        callOf(requests.typo, near),
        'kb_search_terms_trgm_idx',
      ],
      [
        'fuzzy: the search retried with them',
        requests.typo,
        callOf(requests.typo, page, 1),
        'kb_search_documents_search_idx',
      ],
      [
        'suggestions',
        requests.suggestion,
        callOf(requests.suggestion, page),
        'kb_search_documents_search_idx',
      ],
    ]
    for (const [label, request, statement] of wanted)
      if (!statement)
        throw new Error(`diagnostics: no call of a search function recorded for ${label} (${request})`)

    const sources = new Map<string, FunctionSource>()
    for (const fn of SEARCH_FUNCTIONS) sources.set(fn, await functionSource(client, fn))
    const captured = await captureCalls(
      client,
      corpus.workspaceId,
      [...sources.values()],
      wanted.map(([, , statement]) => statement as Statement),
    )
    const versionNum = Number((await client.query('show server_version_num')).rows[0]?.server_version_num)
    const rowsOfTable = new Map<string, number>()
    const parts = wanted.flatMap(([label, request, , index], i) => {
      const statements = captured[i] as Captured[]
      return statements.map((call, j) => {
        // The title-first step of kb_search_page (migration 0011) reads the index of the titles; for one
        // word, the title words in score order (migration 0014).
        // (An exclusion, migration 0019, is a condition on the whole text in every step: not what tells them apart.)
        const matching = call.sql.replace(/not d\.search_vector @@ \$1[67]/g, '')
        const titles = /title_vector @@/.test(matching) && !/search_vector @@/.test(matching)
        const titleWords = /kb_search_title_words/.test(call.sql)
        return {
          label: statements.length > 1 ? `${label}, statement ${j + 1} of ${statements.length}` : label,
          request,
          index: titleWords
            ? 'kb_search_title_words_rank_idx'
            : titles
              ? 'kb_search_documents_title_idx'
              : index,
          call,
        }
      })
    })
    for (const { label, request, index, call } of parts) {
      const source = sources.get(call.fn) as FunctionSource
      // plpgsql's EXECUTE plans the text for the values it is given; before PostgreSQL 18 a SQL function's
      // body is planned without them (generic plan).
      const planKind = source.language === 'sql' && versionNum < 180_000 ? 'generic' : 'custom'
      let plan = await explainCaptured(client, corpus.workspaceId, source, call, planKind, false)
      let usesIndex = plan.some((line) => line.includes(index))
      let seqscanOffRows: number | undefined
      if (!usesIndex) {
        // A small table is rightly read whole; to check that the index can serve the statement, plan it
        // again with sequential scans discouraged, and say so.
        if (!rowsOfTable.has(index)) {
          const { rows } = await client.query(
            'select indrelid::regclass::text as t from pg_index where indexrelid = $1::regclass',
            [index],
          )
          const table = rows[0]?.t as string
          rowsOfTable.set(index, (await client.query(`select count(*)::int as n from ${table}`)).rows[0]?.n)
        }
        const n = rowsOfTable.get(index) ?? Number.POSITIVE_INFINITY
        if (n < SEQSCAN_OFF_BELOW) {
          plan = await explainCaptured(client, corpus.workspaceId, source, call, planKind, true)
          usesIndex = plan.some((line) => line.includes(index))
          seqscanOffRows = n
        }
      }
      explained.push({
        label,
        request,
        captured: call,
        plan,
        planKind,
        executionMs: executionMsOf(plan),
        jitMs: jitMsOf(plan),
        index,
        usesIndex,
        ...(seqscanOffRows === undefined ? {} : { seqscanOffRows }),
        call: await callAsTenant(client, corpus.workspaceId, call),
      })
    }
    return { statements, explained }
  } catch (err: any) {
    return { statements, explained, error: err?.message ?? String(err) }
  } finally {
    await app?.close().catch(() => {})
  }
}

// ---------------------------------------------------------------------------------------------------
// Report

interface Measured {
  scenario: Scenario
  result: LoadResult
}

const answered = (samples: Sample[]) => samples.filter((s) => s.status >= 200 && s.status < 300)
const share = (samples: Sample[], test: (s: Sample) => boolean) =>
  samples.length ? samples.filter(test).length / samples.length : Number.NaN

function summary(r: LoadResult) {
  const lat = latencies(r.samples)
  const n = r.samples.length
  return {
    n,
    rps: n / r.seconds,
    p50: percentile(lat, 50),
    p95: percentile(lat, 95),
    p99: percentile(lat, 99),
    max: lat.length ? (lat[lat.length - 1] as number) : Number.NaN,
    failed: failed(r),
    /** Of the answered requests (2xx). */
    fuzzyShare: share(answered(r.samples), (s) => s.fuzzy),
  }
}

/** How the failures read in the table; every non-2xx counts, a 503 (the pool's connection timeout) as much as a 500. */
const statusLabel: Record<string, string> = {
  '0': 'socket error',
  '503': '503 (database busy: pool timeout)',
}

function failureCell(r: LoadResult): string {
  const n = failed(r)
  if (n === 0) return '0'
  const codes: Record<string, number> = {}
  for (const s of r.samples)
    if (s.status < 200 || s.status >= 300) codes[s.status] = (codes[s.status] ?? 0) + 1
  return `✗ ${Object.entries(codes)
    .map(([code, count]) => `${count}×${statusLabel[code] ?? code}`)
    .join(', ')}`
}

function statesCell(states: Record<string, number> | undefined): string {
  const entries = Object.entries(states ?? {}).sort((a, b) => b[1] - a[1])
  return entries.length === 0 ? '—' : entries.map(([label, n]) => `${fmt(n)} ${label}`).join(', ')
}

function quantiles(values: number[]) {
  const sorted = Float64Array.from(values).sort()
  return `p50 ${fmtInt(percentile(sorted, 50))}, p95 ${fmtInt(percentile(sorted, 95))}, max ${fmtInt(percentile(sorted, 100))}`
}

function callCell(call: Explained['call']): string {
  return 'error' in call
    ? `✗ failed: ${call.error}`
    : `${fmt(call.ms, 2)} ms, ${fmtInt(call.rows)} row${call.rows === 1 ? '' : 's'}`
}

/** The lines of a statement without their common indentation and without blank lines. */
function dedent(text: string): string[] {
  const lines = text.split('\n').filter((line) => line.trim() !== '')
  const indent = Math.min(...lines.map((line) => /^\s*/.exec(line)?.[0].length ?? 0))
  return lines.map((line) => line.slice(indent).trimEnd())
}

function buildReport(input: {
  header: string
  corpus: Corpus
  runs: Measured[]
  targets: Record<string, number>
  diagnostics: Diagnostics
  matches: { search: number[]; suggestions: number[]; typo: number[] }
  pools: { search: number; typo: number; tickets: number }
}) {
  const { header, corpus, runs, targets, diagnostics, matches, pools } = input
  const byKey = (key: string) => runs.find((r) => r.scenario.key === key)
  const rows: string[] = []
  const row = (cells: string[]) => rows.push(`| ${cells.join(' | ')} |`)
  const loadRow = (key: string, target?: number) => {
    const run = byKey(key)
    if (!run) return
    const s = summary(run.result)
    const ok = target !== undefined && s.p95 < target && s.failed === 0
    row([
      run.scenario.label,
      fmtInt(s.n),
      fmtInt(s.rps),
      fmt(s.p50),
      fmt(s.p95),
      fmt(s.p99),
      fmt(s.max),
      failureCell(run.result),
      target === undefined ? 'informational' : `p95 < ${target} ms`,
      target === undefined ? '—' : mark(ok),
    ])
  }
  loadRow('search', targets.search)
  loadRow('suggestions', targets.suggestions)
  loadRow('typo', targets.typo)
  loadRow('public')
  loadRow('floor')
  loadRow('read')
  loadRow('search-solo')
  loadRow('suggestions-solo')
  loadRow('typo-solo')

  const typo = byKey('typo')
  const typoShare = typo ? summary(typo.result).fuzzyShare : Number.NaN
  const checks: string[] = []
  const check = (cells: string[]) => checks.push(`| ${cells.join(' | ')} |`)
  check([
    'misspelled queries answered (2xx) with `fuzzy: true` (the retry with near spellings found more)',
    pct(typoShare),
    `≥ ${pct(TARGETS.fuzzyShare)}`,
    mark(typoShare >= TARGETS.fuzzyShare),
  ])
  const ms = (n: number | undefined) => (n === undefined ? '?' : `${fmt(n)} ms`)
  for (const e of diagnostics.explained) {
    const statement =
      `${e.usesIndex ? 'yes' : 'no'}: ${ms(e.executionMs)}${e.jitMs ? `, of which JIT ${ms(e.jitMs)}` : ''}` +
      (e.seqscanOffRows === undefined
        ? ''
        : ` (enable_seqscan off: the table has only ${fmtInt(e.seqscanOffRows)} rows)`)
    check([
      `plan of ${e.label} reads \`${e.index}\``,
      `${statement}; one call of ${e.captured.fn} as the tenant ${callCell(e.call)}`,
      'uses the index',
      mark(e.usesIndex),
    ])
  }
  if (diagnostics.error)
    check(['query plans', `✗ not explained: ${diagnostics.error}`, 'uses the GIN indexes', '✗'])

  const busiest = Math.max(0, ...runs.map((r) => r.result.cpu?.otherCores ?? 0))
  const interference =
    busiest > 0.25
      ? [
          `⚠ Other processes used up to ${fmt(busiest, 2)} of the ${os.cpus().length} cores during the measured runs ` +
            '(see the CPU table): the numbers are skewed; rerun on an idle machine.',
          '',
        ]
      : []

  const localeRows = runs.map(({ scenario, result }) => {
    const cells = [scenario.label]
    for (const lang of LANGS) {
      const samples = result.samples.filter((s) => s.locale === lang)
      const lat = latencies(samples)
      const ok = answered(samples)
      const hits = ok.length ? ok.reduce((n, s) => n + s.hits, 0) / ok.length : Number.NaN
      const fuzzy = share(ok, (s) => s.fuzzy)
      const empty = share(ok, (s) => s.hits === 0)
      cells.push(
        `${fmtInt(samples.length)}`,
        `${fmt(percentile(lat, 50))} / ${fmt(percentile(lat, 95))}`,
        fmt(hits),
        pct(fuzzy),
        pct(empty),
      )
    }
    return `| ${cells.join(' | ')} |`
  })

  const costRows = runs.map(({ scenario, result }) => {
    const n = result.samples.length
    const per = (ms: number | undefined) => (ms === undefined || n === 0 ? '—' : fmt(ms / n, 2))
    const cpuPerResponse =
      result.cpu && n > 0 ? (result.cpu.serverMs + result.cpu.postgresMs) / n : Number.NaN
    return `| ${[
      scenario.label,
      fmtInt(n),
      per(result.cpu?.serverMs),
      per(result.cpu?.postgresMs),
      per(result.cpu?.benchMs),
      fmtInt((os.cpus().length * 1000) / cpuPerResponse),
      result.cpu ? fmt(result.cpu.otherCores, 2) : '—',
      statesCell(result.backends),
    ].join(' | ')} |`
  })

  const c = corpus.counts
  const steps = corpus.setup.map((s) => `${s.label} ${fmt(s.ms / 1000)} s`).join(', ')
  const lines = [
    header,
    '',
    ...interference,
    '| scenario | responses | req/s | p50 ms | p95 ms | p99 ms | max ms | non-2xx / errors | target | ✓/✗ |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |',
    ...rows,
    '',
    '| check | figure | target | ✓/✗ |',
    '| --- | --- | --- | --- |',
    ...checks,
    '',
    `Corpus: ${fmtInt(c.articles)} articles in one workspace (default locale \`${DEFAULT_LOCALE}\`), each published in Spanish ` +
      `(\`${corpus.configs.es}\`) and English (\`${corpus.configs.en}\`): ${fmtInt(c.translations)} published translations; ` +
      `${topics.length} categories; visibility ${Object.entries(c.byVisibility)
        .map(([v, n]) => `${v} ${fmtInt(n)}`)
        .join(', ')}; ${fmtInt(c.archived)} archived. Bodies average ${fmtInt(c.meanWords.es)} words ` +
      `(80–400, Markdown). kb_search_terms: ${Object.entries(c.terms)
        .map(([config, n]) => `${fmtInt(n)} ${config}`)
        .join(', ')}. Sizes: kb_article_translations heap ${fmt(corpus.sizes.tableMb, 0)} MB + TOAST ` +
      `${fmt(corpus.sizes.toastMb, 0)} MB; what search reads: kb_search_documents ${fmt(corpus.sizes.documentsMb, 0)} MB ` +
      `with kb_search_documents_search_idx ${fmt(corpus.sizes.searchIdxMb, 0)} MB; ` +
      `kb_search_terms ${fmt(corpus.sizes.termsMb, 1)} MB with kb_search_terms_trgm_idx ${fmt(corpus.sizes.trgmIdxMb, 1)} MB. ` +
      `Setup ${fmt(corpus.setupMs / 1000)} s: ${steps}.`,
    '',
    `Requests: each client sends its next request when the previous one has answered, drawn at random from ` +
      `${fmtInt(pools.search)} search queries (1–3 words of one topic, half Spanish, half English; a quarter of the ` +
      `Spanish ones without accents), ${fmtInt(pools.tickets)} tickets being written (subject of 4–9 words, body of ` +
      `20–120) and ${fmtInt(pools.typo)} misspelled queries (one typo in a word of at least 5 letters, alone or with a ` +
      `second word); staff API key (published articles of every visibility), default page size (10 for search, 5 ` +
      `for suggestions). ${WARMUP} s of warm-up before each measured run. English requests search English texts and, ` +
      `for articles without one, the Spanish text (the default locale): every article has both, which the search ` +
      'finds out first from the distinct locale sets of the Spanish texts (kb_locale_gap, migration 0010), so it ' +
      'leaves that fallback out.',
    '',
    `Published translations the query matches in its locale (SQL count, ${COUNTED_QUERIES} of each kind): search ` +
      `${quantiles(matches.search)}; suggestions (any of the ticket's words) ${quantiles(matches.suggestions)}; ` +
      `misspelled as typed ${quantiles(matches.typo)}.`,
    '',
    'By locale (p50 / p95 ms of all responses; of the answered ones (2xx): hits per response, share that went fuzzy, share with no hit):',
    '',
    '| run | es responses | es p50 / p95 | es hits | es fuzzy | es empty | en responses | en p50 / p95 | en hits | en fuzzy | en empty |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...localeRows,
    '',
    `Where the time goes (CPU from /proc over each measured run, per response: the server process, this database's ` +
      `PostgreSQL backends, the load generator; other processes in cores; the service's backends sampled from ` +
      `pg_stat_activity every 250 ms, pool of ${POOL_SIZE}):`,
    '',
    '| measured run | responses | server CPU ms/req | PostgreSQL CPU ms/req | load generator CPU ms/req | CPU ceiling, req/s | other processes, cores | service backends (avg of samples) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...costRows,
    '',
    `CPU ceiling: the machine's ${os.cpus().length} cores divided by the server's and PostgreSQL's CPU per response, the most ` +
      `responses a second this work allows with nothing else running. ${CLIENTS} clients that each wait for their answer ` +
      `get a p95 under ${TARGETS.searchP95Ms} ms only if the service answers about ${fmtInt((CLIENTS * 1000) / TARGETS.searchP95Ms)} ` +
      `a second or more (Little's law: clients = throughput × mean latency), so that is the throughput the search target ` +
      `asks of the machine (${fmtInt((CLIENTS * 1000) / TARGETS.suggestP95Ms)} for suggestions, ` +
      `${fmtInt((CLIENTS * 1000) / TARGETS.fuzzyP95Ms)} for the fallback).`,
    ...floorLines(byKey('floor'), byKey('read'), byKey('search')),
  ]
  const statementLines = Object.entries(diagnostics.statements)
    .filter(([label]) => label !== 'warm')
    .map(([label, list]) => `- ${label}: ${list.length} statements`)
  if (statementLines.length) {
    lines.push(
      '',
      'SQL statements per request (in-process copy of the app on the same database):',
      '',
      ...statementLines,
    )
  }
  for (const e of diagnostics.explained) {
    lines.push(
      '',
      `Plan of ${e.label} (${e.request}): the statement ${e.captured.fn} runs for the arguments the service passed, ` +
        `EXPLAIN (ANALYZE, BUFFERS) as the tables' owner with the function's settings, ` +
        `${e.planKind === 'custom' ? 'planned for these values as its EXECUTE plans it' : 'generic plan, as a SQL function body is planned'}` +
        `${e.seqscanOffRows === undefined ? '' : `, enable_seqscan off (the table has only ${fmtInt(e.seqscanOffRows)} rows)`}; ` +
        `execution ${ms(e.executionMs)}${e.jitMs ? `, of which JIT compilation ${ms(e.jitMs)}` : ''}; ` +
        `${e.usesIndex ? 'reads' : '✗ does not read'} ${e.index}. One call of the function as the service makes it ` +
        `(role atiende_tenant, bound to the workspace; round trip, after one untimed call): ${callCell(e.call)}.`,
      '',
      '```sql',
      ...dedent(e.captured.sql),
      `-- ${e.captured.values.map((v, i) => `$${i + 1} = ${v}`).join(', ')}`,
      '```',
      '',
      '```',
      ...e.plan,
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
  const admin = await databases.connect()
  const pgVersion = ((await admin.query('show server_version')).rows[0]?.server_version ?? '?') as string
  // How much of the corpus PostgreSQL can keep in its own cache decides how much a search reads from
  // the OS: part of what the figures mean.
  const sharedBuffers = ((await admin.query('show shared_buffers')).rows[0]?.shared_buffers ?? '?') as string
  await databases.dropStaleDatabases(admin, 'kb')

  log(`creating ${dbName} (migrateServer)`)
  const createStart = process.hrtime.bigint()
  const url = await databases.createMigratedDatabase(admin, dbName)
  const createMs = msSince(createStart)
  log('starting the server (src/server.ts)')
  const server = await startServer(url)
  const corpus = await loadCorpus(server, url)
  corpus.setup.unshift({ label: 'database and migrations', ms: createMs })
  corpus.setupMs += createMs

  const searchPool = searchQueries(2_000, 11)
  const typoPool = typoQueries(1_000, 12)
  const ticketPool = ticketDrafts(1_000, 13)
  const searchSpec = (q: Query, prefix = '/v1/kb'): RequestSpec => ({
    method: 'GET',
    path: `${prefix}/search?q=${encodeURIComponent(q.q)}&locale=${q.locale}`,
    locale: q.locale,
  })
  const searchSpecs = searchPool.map((q) => searchSpec(q))
  const typoSpecs = typoPool.map((q) => searchSpec(q))
  const publicSpecs = searchPool.map((q) => searchSpec(q, `/v1/public/${WORKSPACE_SLUG}/kb`))
  const ticketSpecs: RequestSpec[] = ticketPool.map((t) => ({
    method: 'POST',
    path: '/v1/kb/suggestions',
    body: JSON.stringify({ subject: t.subject, body: t.body, locale: t.locale }),
    locale: t.locale,
  }))

  // The floor: three more articles, published through the API, whose titles have a word no other text has
  // (three, as fewer full-text hits would send the search on to near spellings). Searching for it takes
  // the same path as any search (auth, a bound tenant connection, kb_search_page, headlines, JSON) with
  // three texts to rank: the search's fixed cost, what every search pays before ranking.
  for (const n of [1, 2, 3])
    await api(server, corpus.token, 'POST', '/v1/kb/articles', {
      categoryId: corpus.firstCategoryId,
      visibility: 'public',
      publish: true,
      translations: LANGS.map((locale) => ({
        locale,
        title: `${FLOOR_WORD} ${n} ${locale === 'es' ? 'en el almacén' : 'in the warehouse'}`,
        body: locale === 'es' ? 'Dónde guardamos los pedidos devueltos.' : 'Where returned orders are kept.',
      })),
    })
  const floorSpecs = LANGS.map((locale) => searchSpec({ q: FLOOR_WORD, locale }))
  // The reference: the cheapest request of the same kind, one page of one category (auth, a bound tenant
  // connection, one short statement, JSON). What this machine and the service's request path allow 20
  // clients, against which the floor shows the search's own fixed cost.
  const readSpecs: RequestSpec[] = LANGS.map((locale) => ({
    method: 'GET',
    path: '/v1/kb/categories?limit=1',
    locale,
  }))

  const monitor = await databases.connect()
  const scenarios: Scenario[] = [
    {
      key: 'search',
      label: `GET /v1/kb/search, ${CLIENTS} clients`,
      token: corpus.token,
      specs: searchSpecs,
      clients: CLIENTS,
      seconds: DURATION,
    },
    {
      key: 'suggestions',
      label: `POST /v1/kb/suggestions, ${CLIENTS} clients`,
      token: corpus.token,
      specs: ticketSpecs,
      clients: CLIENTS,
      seconds: DURATION,
    },
    {
      key: 'typo',
      label: `GET /v1/kb/search misspelled (fuzzy fallback), ${CLIENTS} clients`,
      token: corpus.token,
      specs: typoSpecs,
      clients: CLIENTS,
      seconds: DURATION,
    },
    {
      key: 'public',
      label: `GET /v1/public/{slug}/kb/search (anonymous, public articles), ${CLIENTS} clients`,
      token: null,
      specs: publicSpecs,
      clients: CLIENTS,
      seconds: DURATION,
    },
    {
      key: 'floor',
      label: `GET /v1/kb/search for a word three articles have (floor), ${CLIENTS} clients`,
      token: corpus.token,
      specs: floorSpecs,
      clients: CLIENTS,
      seconds: DURATION,
    },
    {
      key: 'read',
      label: `GET /v1/kb/categories?limit=1 (reference: a one-statement read), ${CLIENTS} clients`,
      token: corpus.token,
      specs: readSpecs,
      clients: CLIENTS,
      seconds: DURATION,
    },
    {
      key: 'search-solo',
      label: 'GET /v1/kb/search, 1 client',
      token: corpus.token,
      specs: searchSpecs,
      clients: 1,
      seconds: SOLO_DURATION,
    },
    {
      key: 'suggestions-solo',
      label: 'POST /v1/kb/suggestions, 1 client',
      token: corpus.token,
      specs: ticketSpecs,
      clients: 1,
      seconds: SOLO_DURATION,
    },
    {
      key: 'typo-solo',
      label: 'GET /v1/kb/search misspelled, 1 client',
      token: corpus.token,
      specs: typoSpecs,
      clients: 1,
      seconds: SOLO_DURATION,
    },
  ]
  const runs: Measured[] = []
  for (const [i, scenario] of scenarios.entries()) {
    if (exited(server.proc)) throw new Error(`the server exited during the runs:\n${server.output.join('')}`)
    runs.push({ scenario, result: await measure(scenario, server, monitor, i + 1) })
  }

  log('counting matches per query')
  const client = await databases.connect(url)
  const sample = <T>(pool: T[]) =>
    pool.filter((_, i) => i % Math.ceil(pool.length / COUNTED_QUERIES) === 0).slice(0, COUNTED_QUERIES)
  const asText = (q: Query) => ({ text: parseSearchQuery(q.q).text ?? '', locale: q.locale })
  const matches = {
    search: await matchesPerQuery(client, corpus, sample(searchPool).map(asText)),
    suggestions: await matchesPerQuery(
      client,
      corpus,
      sample(ticketPool).map((t) => ({
        text: suggestionWords(t.subject, t.body).join(' | '),
        locale: t.locale,
      })),
    ),
    typo: await matchesPerQuery(client, corpus, sample(typoPool).map(asText)),
  }

  log('diagnostics: recording the statements and explaining them')
  const diagnostics = await diagnose(url, corpus, client, {
    exact: searchPool.find((q) => q.locale === DEFAULT_LOCALE && q.q.includes(' ')) as Query,
    oneWord: searchPool.find((q) => q.locale === DEFAULT_LOCALE && !q.q.includes(' ')) as Query,
    fallback: searchPool.find((q) => q.locale !== DEFAULT_LOCALE && q.q.includes(' ')) as Query,
    typo: typoPool.find((q) => q.locale === DEFAULT_LOCALE) as Query,
    ticket: ticketPool.find((t) => t.locale === DEFAULT_LOCALE) as TicketDraft,
  })
  if (diagnostics.error) log(`diagnostics failed: ${diagnostics.error}`)

  const now = new Date()
  const header =
    `Atiende knowledge base bench — ${now.toISOString().replace('T', ' ').slice(0, 16)} UTC · Node ${process.version} · ` +
    `PostgreSQL ${pgVersion} (shared_buffers ${sharedBuffers}) · ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? '?'}) · ` +
    `${fmtInt(TRANSLATIONS)} translations · ${CLIENTS} clients, ${WARMUP} s warm-up + ${DURATION} s per run ` +
    `(1 client: ${SOLO_DURATION} s), pool ${POOL_SIZE} · load average at start ${loadAtStart} · ` +
    `${fmt((Date.now() - startedAt) / 1000, 0)} s in all`
  const report = buildReport({
    header,
    corpus,
    runs,
    targets: { search: TARGETS.searchP95Ms, suggestions: TARGETS.suggestP95Ms, typo: TARGETS.fuzzyP95Ms },
    diagnostics,
    matches,
    pools: { search: searchPool.length, typo: typoPool.length, tickets: ticketPool.length },
  })
  process.stdout.write(`\n${report}\n`)
  if (process.env.BENCH_WRITE_RESULTS === '1')
    writeResults(report, now.toISOString().slice(0, 10), { log, subheading: '### Knowledge base' })
  log(`finished in ${((Date.now() - startedAt) / 1000).toFixed(0)} s`)
  const broken =
    runs.some((r) => failed(r.result) > 0 || r.result.samples.length === 0) ||
    Boolean(diagnostics.error) ||
    diagnostics.explained.some((e) => !e.usesIndex)
  return broken ? 1 : 0
}

let exitCode = 1
try {
  exitCode = await main()
} catch (err: any) {
  log(`failed: ${err?.stack ?? err}`)
} finally {
  if (process.env.BENCH_KB_KEEP === '1') {
    log(`BENCH_KB_KEEP=1: keeping ${dbName} (the next run drops it)`)
    databases.keep(dbName)
  }
  await databases.cleanup()
}
process.exit(exitCode)
