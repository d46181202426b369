import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.ts'
import { ConfigError, loadConfig } from './config.ts'
import { openMigratedDatabase } from './db/open.ts'
import { resolvePlatformToken } from './platform-token.ts'

let config: ReturnType<typeof loadConfig>
try {
  config = loadConfig()
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  console.error(error.message)
  process.exit(1)
}

const platform = resolvePlatformToken(config)
const database = await openMigratedDatabase(config)
const app = await buildApp({ ...config, ATIENDE_PLATFORM_TOKEN: platform.token }, database)

closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'shutting down after an error')
  else app.log.info({ signal }, 'shutting down')
  await app.close()
})

const address = await app.listen({ port: config.PORT, host: config.HOST })
const storage =
  database.kind === 'pg' ? 'PostgreSQL server (DATABASE_URL)' : `embedded PostgreSQL in ${config.DATA_DIR}`
app.log.info({ address, storage }, 'Atiende is listening')
const banner = [
  `\nAtiende API on ${address} (${storage})`,
  `  REST reference  ${address}/docs   OpenAPI ${address}/openapi.json`,
  `  GraphQL         ${address}/graphql${config.NODE_ENV === 'production' ? '' : `   GraphiQL ${address}/graphiql`}`,
]
if (platform.generatedAt) {
  banner.push(
    `\nPlatform token (shown once, kept in ${platform.generatedAt}):\n  ${platform.token}`,
    '  Provision a workspace: POST /v1/workspaces with Authorization: Bearer <platform token>',
  )
} else if (!platform.token) {
  banner.push('\nProvisioning is disabled: set ATIENDE_PLATFORM_TOKEN to create workspaces.')
}
console.log(banner.join('\n'))
