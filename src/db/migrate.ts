import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import type { Db } from './client.ts'
import { rowsOf } from './raw.ts'

export const migrationsFolder = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../drizzle')

// Any constant works; it only has to be the same for every instance of this service.
const MIGRATION_LOCK = 7_310_431_922

/** Applies pending migrations on a server, holding an advisory lock so concurrent starts take turns. */
export async function migrateServer(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: 'atiende-migrate' })
  await client.connect()
  try {
    await client.query('set client_min_messages = warning')
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK])
    try {
      await migratePg(drizzlePg(client), { migrationsFolder })
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK])
    }
  } finally {
    await client.end()
  }
}

/** PGlite is single-process, so its migrations need no lock. */
export async function migrateEmbedded(client: PGlite): Promise<void> {
  const [{ drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ])
  await client.exec('set client_min_messages = warning')
  await migratePglite(drizzlePglite(client), { migrationsFolder })
}

/** How many of the committed migrations the database has not applied (0 when ready). */
export async function pendingMigrations(db: Db): Promise<number> {
  const journal = JSON.parse(readFileSync(path.join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as {
    entries: unknown[]
  }
  const [row] = await rowsOf<{ applied: number }>(
    db,
    sql`select count(*)::int as applied from drizzle.__drizzle_migrations`,
  )
  return journal.entries.length - (row?.applied ?? 0)
}
