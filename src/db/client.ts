import { mkdirSync } from 'node:fs'
import type { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import pg from 'pg'
import * as schema from './schema/index.ts'

export type Schema = typeof schema
export type Db = PgDatabase<PgQueryResultHKT, Schema>

export interface PoolStats {
  total: number
  idle: number
  waiting: number
}

/** The service's one handle on PostgreSQL, whichever engine is behind it. */
export interface Database {
  readonly kind: 'pg' | 'pglite'
  readonly db: Db
  ping(): Promise<void>
  poolStats(): PoolStats
  /**
   * Delivers NOTIFY payloads of a channel (sent by any instance, on commit) until the returned stop
   * function runs. `onLost` is called if delivery stops (the connection dropped), so that whatever
   * relied on it (a cache) can stop trusting itself.
   */
  listen(
    channel: string,
    onMessage: (payload: string) => void,
    onLost: () => void,
  ): Promise<() => Promise<void>>
  close(): Promise<void>
  /**
   * How the job queue (pg-boss) reaches the same database: its own small pool on a server, or a
   * statement runner over the one embedded connection.
   */
  readonly jobConnection: JobConnection
}

export type JobConnection =
  | { connectionString: string }
  | { executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> }

export type DatabaseOptions = (
  | { url: string; poolSize?: number; applicationName?: string }
  | { dataDir?: string; pglite?: PGlite }
) & {
  /** Called with every SQL statement the service sends (tests count round trips with it). */
  onQuery?: (sql: string) => void
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const logger = options.onQuery && { logQuery: options.onQuery }
  if ('url' in options) return openPg(options.url, options.poolSize ?? 10, options.applicationName, logger)
  return openPglite(options.pglite ?? (await createPglite(options.dataDir)), logger)
}

type QueryLogger = { logQuery: (sql: string) => void } | undefined

/**
 * Opens PGlite persisted under dataDir, or in memory when dataDir is undefined. PGlite is loaded only
 * here: a deployment on a PostgreSQL server never pays its memory (about 40 MB).
 */
export async function createPglite(dataDir?: string, loadDataDir?: Blob): Promise<PGlite> {
  const [{ PGlite }, { unaccent }, { pg_trgm }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/unaccent'),
    import('@electric-sql/pglite/contrib/pg_trgm'),
  ])
  if (dataDir) mkdirSync(dataDir, { recursive: true })
  // The knowledge base's search (migration 0008) uses both extensions.
  return PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    ...(loadDataDir ? { loadDataDir } : {}),
    extensions: { unaccent, pg_trgm },
  })
}

/**
 * Work on a server's tenant connections: a second pool whose connections run as atiende_tenant, each
 * bound to one workspace at a time (row-level security, migration 0004). A connection keeps its
 * binding between uses, so a run for the workspace it already serves costs no extra round trip; a run
 * for another workspace first rebinds it. Nothing else ever uses these connections.
 */
export interface TenantRunner {
  run<T>(workspaceId: string, transactional: boolean, fn: (q: Db) => Promise<T>): Promise<T>
}
const tenantRunners = new WeakMap<Db, TenantRunner>()
export const tenantRunnerOf = (db: Db) => tenantRunners.get(db)

/** A request waits this long for a pooled connection, then fails rather than hanging. */
const CONNECT_TIMEOUT_MS = 10_000

/**
 * No JIT compilation: the service's statements are short, and compiling a large plan (a knowledge base
 * search over many texts, say) cost more than running it (measured: 571 ms of JIT in a 1 s search).
 */
const SESSION_OPTIONS = '-c jit=off'

const BIND =
  "select set_config('role', 'atiende_tenant', false), set_config('atiende.workspace_id', $1, false)"

function openTenantPool(url: string, poolSize: number, applicationName: string, logger?: QueryLogger) {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    application_name: `${applicationName}-tenant`,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    options: SESSION_OPTIONS,
  })
  pool.on('error', () => {})
  const connections = new WeakMap<pg.PoolClient, { db: Db; workspaceId?: string; lost: boolean }>()
  const runner: TenantRunner = {
    async run(workspaceId, transactional, fn) {
      const client = await pool.connect()
      let connection = connections.get(client)
      if (!connection) {
        const db = drizzlePg(client, {
          schema,
          casing: 'snake_case',
          ...(logger && { logger }),
        }) as unknown as Db
        const created: { db: Db; workspaceId?: string; lost: boolean } = { db, lost: false }
        // A connection that failed is dropped at release, not handed to the next request.
        const lose = () => {
          created.lost = true
        }
        client.on('error', lose)
        client.on('end', lose)
        connection = created
        connections.set(client, connection)
      }
      try {
        if (connection.workspaceId !== workspaceId) {
          connection.workspaceId = undefined
          logger?.logQuery(BIND)
          await client.query({ name: 'atd_bind_workspace', text: BIND, values: [workspaceId] })
          connection.workspaceId = workspaceId
        }
        const { db } = connection
        return transactional ? await db.transaction((tx) => fn(tx as unknown as Db)) : await fn(db)
      } finally {
        // An unbound connection (its binding failed half-way) or a lost one is not reused.
        const unsound = connection.lost || connection.workspaceId !== workspaceId
        client.release(unsound ? new Error('tenant connection not reusable') : undefined)
      }
    },
  }
  return { pool, runner }
}

function openPg(url: string, poolSize: number, applicationName = 'atiende', logger?: QueryLogger): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    application_name: applicationName,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    options: SESSION_OPTIONS,
  })
  // An idle client's error (server restart, network drop) must not crash the process; the pool replaces it.
  pool.on('error', () => {})
  const db = drizzlePg(pool, { schema, casing: 'snake_case', ...(logger && { logger }) }) as unknown as Db
  const tenant = openTenantPool(url, poolSize, applicationName, logger)
  tenantRunners.set(db, tenant.runner)
  return {
    kind: 'pg',
    db,
    jobConnection: { connectionString: url },
    async ping() {
      await pool.query('select 1')
    },
    poolStats: () => ({
      total: pool.totalCount + tenant.pool.totalCount,
      idle: pool.idleCount + tenant.pool.idleCount,
      waiting: pool.waitingCount + tenant.pool.waitingCount,
    }),
    async listen(channel, onMessage, onLost) {
      const client = new pg.Client({ connectionString: url, application_name: `${applicationName}-listen` })
      let stopping = false
      const lost = () => {
        if (!stopping) onLost()
      }
      client.on('error', lost)
      client.on('end', lost)
      client.on('notification', (n) => {
        if (n.channel === channel) onMessage(n.payload ?? '')
      })
      await client.connect()
      await client.query(`listen ${pg.escapeIdentifier(channel)}`)
      return async () => {
        stopping = true
        await client.end().catch(() => {})
      }
    },
    close: async () => {
      await Promise.all([pool.end(), tenant.pool.end()])
    },
  }
}

async function openPglite(client: PGlite, logger?: QueryLogger): Promise<Database> {
  const { drizzle: drizzlePglite } = await import('drizzle-orm/pglite')
  const db = drizzlePglite(client, {
    schema,
    casing: 'snake_case',
    ...(logger && { logger }),
  }) as unknown as Db
  return {
    kind: 'pglite',
    db,
    async ping() {
      await db.execute(sql`select 1`)
    },
    poolStats: () => ({ total: 1, idle: 1, waiting: 0 }),
    // One process owns an embedded database, so its notifications never cross a network.
    listen: async (channel, onMessage) => {
      const unlisten = await client.listen(channel, onMessage)
      return async () => {
        if (!client.closed) await unlisten()
      }
    },
    close: () => (client.closed ? Promise.resolve() : client.close()),
    jobConnection: {
      // pg-boss sends whole scripts (BEGIN; …; COMMIT;) without parameters, and single statements with.
      async executeSql(text, values) {
        if (values && values.length > 0) return client.query(text, values)
        const results = await client.exec(text)
        return results.at(-1) ?? { rows: [] }
      },
    },
  }
}
