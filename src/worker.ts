import closeWithGrace from 'close-with-grace'
import pino from 'pino'
import { ConfigError, loadConfig } from './config.ts'
import { openMigratedDatabase } from './db/open.ts'
import { startJobs } from './jobs/queue.ts'

/**
 * `npm run worker`: the background jobs alone (SLA sweeps), no HTTP. Run any number of them beside API
 * instances started with JOBS=off; the work is claimed with row locks, so none is done twice.
 */
let config: ReturnType<typeof loadConfig>
try {
  config = loadConfig()
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  console.error(error.message)
  process.exit(1)
}

if (!config.DATABASE_URL) {
  // An embedded database belongs to the one process that opened it: there, `npm start` runs the jobs.
  console.error(
    'npm run worker needs DATABASE_URL: with the embedded database, npm start runs the jobs itself.',
  )
  process.exit(1)
}

const log = pino({ level: config.LOG_LEVEL })
const database = await openMigratedDatabase(config)
const jobs = await startJobs(database, { log, workers: true })
log.info({ storage: database.kind }, 'Atiende worker is running')

closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS }, async ({ signal, err }) => {
  if (err) log.error({ err }, 'shutting down after an error')
  else log.info({ signal }, 'shutting down')
  await jobs.stop()
  await database.close()
})
