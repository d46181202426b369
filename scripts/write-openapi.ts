// Writes openapi/openapi.json from the routes' TypeBox schemas (`npm run openapi`).
// The app is built on an empty in-memory database: generating the document runs no query (a signing key
// is given, so none is looked up).
import { mkdirSync, writeFileSync } from 'node:fs'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { openDatabase } from '../src/db/client.ts'
import { renderOpenApi } from '../src/plugins/openapi.ts'

const app = await buildApp(
  loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    ATIENDE_JWT_SECRET: 'only-for-writing-the-openapi-document',
  }),
  await openDatabase({}),
)
await app.ready()
mkdirSync(new URL('../openapi/', import.meta.url), { recursive: true })
writeFileSync(new URL('../openapi/openapi.json', import.meta.url), renderOpenApi(app))
await app.close()
console.log('openapi/openapi.json written')
