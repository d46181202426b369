import { mkdirSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
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
  close(): Promise<void>
}

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

/** Opens PGlite persisted under dataDir, or in memory when dataDir is undefined. */
export async function createPglite(dataDir?: string): Promise<PGlite> {
  if (dataDir) mkdirSync(dataDir, { recursive: true })
  return PGlite.create(dataDir ? { dataDir } : {})
}

function openPg(url: string, poolSize: number, applicationName = 'atiende', logger?: QueryLogger): Database {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, application_name: applicationName })
  // An idle client's error (server restart, network drop) must not crash the process; the pool replaces it.
  pool.on('error', () => {})
  const db = drizzlePg(pool, { schema, casing: 'snake_case', ...(logger && { logger }) }) as unknown as Db
  return {
    kind: 'pg',
    db,
    async ping() {
      await pool.query('select 1')
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => pool.end(),
  }
}

function openPglite(client: PGlite, logger?: QueryLogger): Database {
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
    close: () => (client.closed ? Promise.resolve() : client.close()),
  }
}
