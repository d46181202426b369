import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { createPglite, type Database, type DatabaseOptions, openDatabase } from '../../src/db/client.ts'
import { migrateEmbedded, migrateServer, migrationsFolder } from '../../src/db/migrate.ts'

export type Engine = 'server' | 'container' | 'pglite'

/** A hash of the committed migrations, so cached templates and snapshots are rebuilt when they change. */
function migrationsHash(): string {
  const hash = createHash('sha256')
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const file = path.join(dir, name)
      if (statSync(file).isDirectory()) walk(file)
      else hash.update(name).update(readFileSync(file))
    }
  }
  walk(migrationsFolder)
  return hash.digest('hex').slice(0, 16)
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

/** A fresh database per test file, cloned from a migrated template (made once per migration set). */
async function serverDatabase(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  const template = `atiende_tpl_${migrationsHash()}`
  const name = `atiende_t_${process.pid}_${randomBytes(4).toString('hex')}`
  try {
    await admin.query('select pg_advisory_lock(424242)')
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [template])
    if (!rowCount) {
      await admin.query(`create database ${template}`)
      // A migration that fails must leave no half-made template for the next run to clone.
      await migrateServer(withDatabase(url, template)).catch(async (err: unknown) => {
        await admin.query(`drop database if exists ${template} with (force)`)
        throw err
      })
    }
    await admin.query(`create database ${name} template ${template}`)
  } finally {
    await admin.query('select pg_advisory_unlock(424242)').catch(() => {})
    await admin.end()
  }
  return {
    url: withDatabase(url, name),
    async drop() {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      try {
        for (let attempt = 1; ; attempt++) {
          try {
            await client.query(`drop database if exists ${name} with (force)`)
            return
          } catch (error) {
            // FORCE must be allowed to end every session of the database, and an autovacuum worker runs as
            // the bootstrap superuser, which this role may not signal (42501). A drop without FORCE ends
            // autovacuum itself (and waits up to 5 s for it); any other session still there is ended by
            // the next FORCE.
            if ((error as { code?: string }).code !== '42501' || attempt === 5) throw error
            await client.query(`drop database if exists ${name}`).catch(() => {})
          }
        }
      } finally {
        await client.end()
      }
    },
  }
}

/** Answers within milliseconds whether a container runtime listens, instead of waiting for a timeout. */
async function containerRuntimeAnswers(): Promise<boolean> {
  if (process.env.ATIENDE_TEST_NO_CONTAINERS) return false
  const socket = process.env.DOCKER_HOST?.startsWith('unix://')
    ? process.env.DOCKER_HOST.slice('unix://'.length)
    : process.env.DOCKER_HOST
      ? undefined
      : '/var/run/docker.sock'
  if (!socket) return Boolean(process.env.DOCKER_HOST)
  if (!existsSync(socket)) return false
  return new Promise((resolve) => {
    const conn = connect(socket)
    const done = (ok: boolean) => {
      conn.destroy()
      resolve(ok)
    }
    conn.setTimeout(300, () => done(false))
    conn.on('error', () => done(false))
    conn.on('connect', () => conn.write('GET /_ping HTTP/1.0\r\n\r\n'))
    conn.on('data', (chunk) => done(chunk.toString().includes(' 200 ')))
  })
}

let containerUrl: Promise<string> | undefined
async function containerDatabaseUrl(): Promise<string> {
  containerUrl ??= (async () => {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
    const container = await new PostgreSqlContainer('postgres:16-alpine').withReuse().start()
    return container.getConnectionUri()
  })()
  return containerUrl
}

/** A migrated PGlite data directory, dumped once per migration set and loaded by every test file. */
async function pgliteSnapshot(): Promise<Blob> {
  const file = path.join(os.tmpdir(), `atiende-pglite-${migrationsHash()}.tar.gz`)
  if (!existsSync(file)) {
    const client = await createPglite()
    await migrateEmbedded(client)
    const dump = await client.dumpDataDir('gzip')
    await client.close()
    const partial = `${file}.${process.pid}.tmp`
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()))
    renameSync(partial, file)
  }
  return new Blob([readFileSync(file)])
}

export interface TestDatabase {
  engine: Engine
  database: Database
  /** A connection string for engines that have one (server, container). */
  url?: string
  /** The embedded database itself, for a second app on the same data. */
  pglite?: PGlite
  drop: () => Promise<void>
}

/**
 * An isolated, migrated database for one test file: TEST_DATABASE_URL when set, else a testcontainers
 * PostgreSQL when a container runtime answers, else embedded PGlite.
 */
export async function createTestDatabase(
  options: Pick<DatabaseOptions, 'onQuery'> = {},
): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL
  const engine: Engine = serverUrl ? 'server' : (await containerRuntimeAnswers()) ? 'container' : 'pglite'
  if (engine === 'pglite') {
    const pglite = await createPglite(undefined, await pgliteSnapshot())
    const database = await openDatabase({ pglite, ...options })
    return { engine, database, pglite, drop: async () => {} }
  }
  const created = await serverDatabase(serverUrl ?? (await containerDatabaseUrl()))
  const database = await openDatabase({ url: created.url, poolSize: 10, ...options })
  return { engine, database, url: created.url, drop: created.drop }
}
