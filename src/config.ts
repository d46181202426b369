import { type Static, Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

/** Every setting the service reads, with its default; README's configuration table mirrors this. */
export const ConfigSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
    default: 'development',
  }),
  HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535 }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATABASE_POOL_SIZE: Type.Integer({ default: 10, minimum: 1, maximum: 200 }),
  DATA_DIR: Type.String({ default: './data', minLength: 1 }),
  ATIENDE_PLATFORM_TOKEN: Type.Optional(Type.String({ minLength: 24 })),
  GRAPHQL_DEPTH_LIMIT: Type.Integer({ default: 8, minimum: 2, maximum: 32 }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ default: 10000, minimum: 100 }),
  TRUST_PROXY: Type.Boolean({ default: false }),
  ATIENDE_JWT_SECRET: Type.Optional(
    Type.String({
      minLength: 32,
      description: 'Signs agent access tokens; generated and kept in the database when unset.',
    }),
  ),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ default: 900, minimum: 30, maximum: 3600 }),
  REFRESH_TOKEN_TTL_DAYS: Type.Integer({ default: 30, minimum: 1, maximum: 365 }),
  LOGIN_FAILURES_PER_ACCOUNT: Type.Integer({ default: 5, minimum: 1 }),
  LOGIN_FAILURES_PER_IP: Type.Integer({ default: 50, minimum: 1 }),
  LOGIN_FAILURE_WINDOW_SECONDS: Type.Integer({ default: 900, minimum: 1 }),
  PASSWORD_HASH_MEMORY_KIB: Type.Integer({ default: 19456, minimum: 1024 }),
  PASSWORD_HASH_ITERATIONS: Type.Integer({ default: 2, minimum: 1 }),
  RATE_LIMIT_API_KEY_PER_MINUTE: Type.Integer({ default: 6000, minimum: 1 }),
  RATE_LIMIT_AGENT_PER_MINUTE: Type.Integer({ default: 1200, minimum: 1 }),
  RATE_LIMIT_CONTACT_PER_MINUTE: Type.Integer({ default: 300, minimum: 1 }),
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: Type.Integer({ default: 300, minimum: 1 }),
  JOBS: Type.Union([Type.Literal('in-process'), Type.Literal('off')], {
    default: 'in-process',
    description: 'Run the background jobs (SLA sweeps) in this process, or leave them to `npm run worker`.',
  }),
})
export type Config = Static<typeof ConfigSchema>

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Reads and validates configuration; throws a ConfigError that names each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, unknown> = {}
  for (const [name, schema] of Object.entries(ConfigSchema.properties)) {
    const value = env[name]
    if (value === undefined || value === '') continue
    const kind = (schema as { type?: string }).type
    raw[name] = kind === 'integer' ? Number(value) : kind === 'boolean' ? parseBoolean(value) : value
  }
  const withDefaults = Value.Default(ConfigSchema, raw)
  const problems = [...Value.Errors(ConfigSchema, withDefaults)]
  if (problems.length > 0) {
    const lines = problems.map((p) => `  ${p.path.slice(1) || '(config)'}: ${p.message}`)
    throw new ConfigError(`Invalid configuration:\n${[...new Set(lines)].join('\n')}`)
  }
  return withDefaults as Config
}

function parseBoolean(value: string): boolean | string {
  if (/^(1|true|yes)$/i.test(value)) return true
  if (/^(0|false|no)$/i.test(value)) return false
  return value
}
