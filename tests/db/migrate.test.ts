import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import t from 'tap'
import { createPglite } from '../../src/db/client.ts'
import { migrateEmbedded, migrateServer, migrationsFolder } from '../../src/db/migrate.ts'

const journal = JSON.parse(readFileSync(path.join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as {
  entries: unknown[]
}
const serverUrl = process.env.TEST_DATABASE_URL

if (serverUrl) {
  t.test(
    'instances starting together migrate one database once, taking turns on an advisory lock',
    async (t) => {
      const name = `atiende_mig_${randomBytes(4).toString('hex')}`
      const admin = new pg.Client({ connectionString: serverUrl })
      await admin.connect()
      await admin.query(`create database ${name}`)
      t.teardown(async () => {
        await admin.query(`drop database if exists ${name} with (force)`)
        await admin.end()
      })
      const url = new URL(serverUrl)
      url.pathname = `/${name}`
      await Promise.all([
        migrateServer(url.toString()),
        migrateServer(url.toString()),
        migrateServer(url.toString()),
      ])
      const client = new pg.Client({ connectionString: url.toString() })
      await client.connect()
      const { rows } = await client.query('select count(*)::int as n from drizzle.__drizzle_migrations')
      const tables = await client.query(
        "select count(*)::int as n from pg_tables where schemaname = 'public'",
      )
      await client.end()
      t.equal(rows[0].n, journal.entries.length, 'each migration recorded once')
      t.ok(tables.rows[0].n >= 10, 'the schema exists')
    },
  )
} else {
  t.test('embedded migrations apply once and a second run changes nothing', async (t) => {
    const client = await createPglite()
    t.teardown(() => client.close())
    await migrateEmbedded(client)
    await migrateEmbedded(client)
    const { rows } = await client.query<{ n: number }>(
      'select count(*)::int as n from drizzle.__drizzle_migrations',
    )
    t.equal(rows[0]?.n, journal.entries.length)
  })
}
