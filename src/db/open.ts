import type { Config } from '../config.ts'
import { createPglite, type Database, openDatabase } from './client.ts'
import { migrateEmbedded, migrateServer } from './migrate.ts'

/** Opens the configured database (a server through pg, or embedded PGlite) with all migrations applied. */
export async function openMigratedDatabase(config: Config): Promise<Database> {
  if (config.DATABASE_URL) {
    await migrateServer(config.DATABASE_URL)
    return openDatabase({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE })
  }
  const pglite = await createPglite(config.DATA_DIR)
  await migrateEmbedded(pglite)
  return openDatabase({ pglite })
}
