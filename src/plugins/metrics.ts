import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { PoolStats } from '../db/client.ts'

// Process metrics (CPU, memory, event loop) exist once per process, whatever number of apps it builds.
let processRegistry: Registry | undefined
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

export interface MetricsOptions {
  poolStats: () => PoolStats
}

/** Prometheus metrics at GET /metrics: requests and latency by route, database pool usage, process. */
export default fp<MetricsOptions>(
  async function metrics(app: FastifyInstance, { poolStats }) {
    const registry = new Registry()
    const labelNames = ['method', 'route', 'status_code'] as const
    const requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests',
      labelNames,
      registers: [registry],
    })
    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    })
    for (const [field, help] of [
      ['total', 'Connections open in the database pool'],
      ['idle', 'Idle connections in the database pool'],
      ['waiting', 'Queries waiting for a database connection'],
    ] as const) {
      new Gauge({
        name: `db_pool_${field}_connections`.replace('waiting_connections', 'waiting_requests'),
        help,
        registers: [registry],
        collect() {
          this.set(poolStats()[field])
        },
      })
    }

    app.addHook('onResponse', async (request, reply) => {
      const labels = {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      }
      requests.inc(labels)
      duration.observe(labels, reply.elapsedTime / 1000)
    })

    app.get('/metrics', { schema: { hide: true }, config: { probe: true } }, async (_request, reply) => {
      const body = `${await processMetrics().metrics()}\n${await registry.metrics()}`
      return reply.type(registry.contentType).send(body)
    })
  },
  { name: 'metrics' },
)
