import { loadConfig } from '../config.ts'
import { createPglite } from './client.ts'
import { migrateEmbedded, migrateServer } from './migrate.ts'

const config = loadConfig()
if (config.DATABASE_URL) {
  await migrateServer(config.DATABASE_URL)
  console.log('Migrations applied to the PostgreSQL server.')
} else {
  const client = await createPglite(config.DATA_DIR)
  await migrateEmbedded(client)
  await client.close()
  console.log(`Migrations applied to the embedded database in ${config.DATA_DIR}.`)
}
