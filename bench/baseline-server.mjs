/**
 * The yardstick for the service: plain Fastify 5 and a pg Pool doing one statement per request, on a
 * database of its own. Started by bench/run.ts as a child process with plain `node`, as the service
 * runs from its compiled build: neither pays for a TypeScript loader.
 *
 * Env: DATABASE_URL (required), PORT, HOST, DATABASE_POOL_SIZE.
 */
import Fastify from 'fastify'
import pg from 'pg'

const url = process.env.DATABASE_URL
if (!url) {
  console.error('DATABASE_URL is required')
  process.exit(1)
}

const pool = new pg.Pool({
  connectionString: url,
  max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
  application_name: 'atiende-bench-baseline',
})
pool.on('error', () => {})

await pool.query(`
  create table if not exists items (
    id uuid primary key default gen_random_uuid(),
    subject text not null,
    body text not null,
    created_at timestamptz not null default now()
  )`)

const app = Fastify({ logger: false })

app.get('/healthz', async () => ({ status: 'ok' }))

app.post('/items', async (request, reply) => {
  const { subject, body } = request.body
  const { rows } = await pool.query('insert into items (subject, body) values ($1, $2) returning *', [
    subject,
    body,
  ])
  reply.code(201)
  return rows[0]
})

app.get('/items/:id', async (request, reply) => {
  const { id } = request.params
  const { rows } = await pool.query('select * from items where id = $1', [id])
  if (!rows[0]) return reply.code(404).send({ error: 'not found' })
  return rows[0]
})

let closing = false
async function shutdown() {
  if (closing) return
  closing = true
  await app.close()
  await pool.end()
  process.exit(0)
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)

await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' })
