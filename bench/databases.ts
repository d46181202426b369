/**
 * Databases of the PostgreSQL benches (bench/sla.ts, bench/kb.ts): the admin connection, databases created
 * for one run (`atiende_bench_<pid>_<suffix>`, migrated with the service's own migrations) and dropped at
 * the end, on an error and on Ctrl-C, and the ones earlier runs left behind when they were killed outright.
 *
 * Env: BENCH_DATABASE_URL, the admin connection (a role with CREATEDB).
 */
import pg from 'pg'
import { migrateServer } from '../src/db/migrate.ts'

export const ADMIN_URL = process.env.BENCH_DATABASE_URL || 'postgres://atiende:atiende@127.0.0.1:5432/atiende'

/** The admin URL with another database in it. */
export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  return url.toString()
}

/** `atiende_bench_<pid>_<suffix>`: the pid tells a later run whether the run that made it is gone. */
export const benchDatabaseName = (suffix: string) => `atiende_bench_${process.pid}_${suffix}`

export async function dropDatabase(admin: pg.Client, name: string) {
  await admin.query(`drop database if exists "${name}" with (force)`)
}

export interface BenchDatabasesOptions {
  /** Progress lines (stderr, with the bench's prefix). */
  log: (message: string) => void
  /** `application_name` of the bench's own connections (pg_stat_activity tells them apart). */
  applicationName: string
  /** Logged on SIGINT, SIGTERM or SIGHUP, after the signal's name. */
  signalMessage?: string
}

/**
 * The databases and connections of one bench process. Connections opened through it are closed and its
 * databases dropped by `cleanup()` (idempotent: later calls get the same promise), which also runs on
 * SIGINT, SIGTERM and SIGHUP before the process exits with 130. Work that must come first (stopping a
 * server that holds connections) is registered with `beforeCleanup`.
 */
export function benchDatabases({ log, applicationName, signalMessage }: BenchDatabasesOptions) {
  const openClients: pg.Client[] = []
  const createdDatabases: string[] = []
  const firstSteps: (() => Promise<unknown>)[] = []
  let cleaningUp: Promise<void> | undefined

  function cleanup(): Promise<void> {
    cleaningUp ??= (async () => {
      await Promise.all(firstSteps.map((step) => step().catch(() => {})))
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
      log(`${signal}: ${signalMessage ?? 'dropping the bench databases'}`)
      cleanup().finally(() => process.exit(130))
    })
  }

  /** A client closed by cleanup; one whose server connection drops (its database dropped) does not crash the process. */
  async function connect(url: string = ADMIN_URL): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: url, application_name: applicationName })
    client.on('error', () => {})
    await client.connect()
    openClients.push(client)
    return client
  }

  /** Creates a database that cleanup drops; returns its URL. */
  async function createDatabase(admin: pg.Client, name: string): Promise<string> {
    await admin.query(`create database "${name}"`)
    createdDatabases.push(name)
    return databaseUrl(name)
  }

  /** `createDatabase`, then the service's migrations (`migrateServer`, as the service runs them at start). */
  async function createMigratedDatabase(admin: pg.Client, name: string): Promise<string> {
    const url = await createDatabase(admin, name)
    await migrateServer(url)
    return url
  }

  /** Drops the `atiende_bench_<pid>_<suffix>` databases of earlier runs that were killed outright (their pid is gone). */
  async function dropStaleDatabases(admin: pg.Client, suffix: string) {
    const { rows } = await admin.query(`select datname from pg_database where datname ~ $1`, [
      `^atiende_bench_[0-9]+_${suffix}$`,
    ])
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

  return {
    connect,
    createDatabase,
    createMigratedDatabase,
    dropStaleDatabases,
    cleanup,
    beforeCleanup: (step: () => Promise<unknown>) => {
      firstSteps.push(step)
    },
    /** Leaves a database in place at cleanup (to look into it after the run); the next run drops it as stale. */
    keep: (name: string) => {
      const i = createdDatabases.indexOf(name)
      if (i !== -1) createdDatabases.splice(i, 1)
    },
  }
}
