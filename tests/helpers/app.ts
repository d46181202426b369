import { createHmac } from 'node:crypto'
import type { DestinationStream } from 'pino'
import type { Test } from 'tap'
import { type App, buildApp } from '../../src/app.ts'
import { type Config, loadConfig } from '../../src/config.ts'
import { createTestDatabase, type TestDatabase } from './database.ts'

export const PLATFORM_TOKEN = 'atp_test_platform_token_0123456789abcdef'

// Response bodies are JSON the test asserts on field by field, so they are `any` here (tests only).
export interface Response<T = any> {
  status: number
  headers: Record<string, string | string[] | number | undefined>
  body: T
  text: string
}

export interface Client {
  get<T = any>(url: string, headers?: Record<string, string>): Promise<Response<T>>
  post<T = any>(url: string, body?: unknown, headers?: Record<string, string>): Promise<Response<T>>
  patch<T = any>(url: string, body?: unknown, headers?: Record<string, string>): Promise<Response<T>>
  put<T = any>(url: string, body?: unknown, headers?: Record<string, string>): Promise<Response<T>>
  delete<T = any>(url: string, headers?: Record<string, string>): Promise<Response<T>>
  graphql<T = any>(query: string, variables?: Record<string, unknown>): Promise<Response<T>>
}

export interface Workspace {
  id: string
  slug: string
  apiKey: string
  /** The workspace's first contact-token secret, as creation returned it. */
  contactTokenSecret: { id: string; secret: string }
  /** A client authenticated with the workspace's owner API key. */
  api: Client
}

export interface TestApp {
  app: App
  db: TestDatabase
  /** Every SQL statement sent since the last reset, for round-trip assertions. */
  queries: string[]
  platform: Client
  anonymous: Client
  as(token: string): Client
  createWorkspace(slug?: string): Promise<Workspace>
  /** A client whose API key has exactly these scopes in the workspace. */
  withScopes(workspace: Workspace, scopes: string[]): Promise<Client>
  /** Adds an agent with this role and signs them in. */
  agent(workspace: Workspace, role: string, extra?: Record<string, unknown>): Promise<Agent>
  /** A contact token minted the way an integrator's backend does, with the workspace's secret. */
  contactToken(
    workspace: Workspace,
    claims: Record<string, unknown>,
    options?: { kid?: string; key?: string },
  ): string
}

export interface Agent {
  id: string
  email: string
  password: string
  api: Client
  accessToken: string
  refreshToken: string
}

/**
 * An HS256 JWT written by hand from RFC 7519, as any integrator's JWT library would: the contact tokens
 * the tests send do not come from the library that verifies them.
 */
export function signHs256(header: Record<string, unknown>, claims: Record<string, unknown>, key: string) {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const input = `${part(header)}.${part(claims)}`
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`
}

export const AGENT_PASSWORD = 'correct horse battery staple'
let agents = 0

export function client(app: App, token?: string): Client {
  const send = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      ...(body === undefined
        ? {}
        : typeof body === 'string'
          ? { payload: body }
          : { payload: body as object }),
    })
    let parsed: unknown = res.body
    try {
      parsed = res.body ? JSON.parse(res.body) : undefined
    } catch {}
    return { status: res.statusCode, headers: res.headers, body: parsed, text: res.body } as Response
  }
  return {
    get: (url, headers) => send('GET', url, undefined, headers),
    post: (url, body, headers) => send('POST', url, body ?? {}, headers),
    patch: (url, body, headers) => send('PATCH', url, body ?? {}, headers),
    put: (url, body, headers) => send('PUT', url, body ?? {}, headers),
    delete: (url, headers) => send('DELETE', url, undefined, headers),
    graphql: (query, variables) => send('POST', '/graphql', { query, variables }),
  }
}

let slugs = 0

/** Builds the app exactly as production does, on a fresh database of its own, torn down with the test. */
export async function buildTestApp(
  t: Test,
  env: Record<string, string> = {},
  logStream?: DestinationStream,
): Promise<TestApp> {
  const queries: string[] = []
  const db = await createTestDatabase({ onQuery: (sql) => queries.push(sql) })
  const config: Config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    ATIENDE_PLATFORM_TOKEN: PLATFORM_TOKEN,
    // Tests send bursts far past a real client's budget; the rate-limit tests set their own.
    RATE_LIMIT_API_KEY_PER_MINUTE: '1000000',
    RATE_LIMIT_AGENT_PER_MINUTE: '1000000',
    RATE_LIMIT_CONTACT_PER_MINUTE: '1000000',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000',
    // Sweeps run when a test calls them (or turns the jobs on): no test waits on the clock.
    JOBS: 'off',
    ...env,
  })
  const app = await buildApp(config, db.database, logStream)
  await app.ready()
  t.teardown(async () => {
    await app.close()
    await db.drop()
  })
  const platform = client(app, PLATFORM_TOKEN)
  const testApp: TestApp = {
    app,
    db,
    queries,
    platform,
    anonymous: client(app),
    as: (token) => client(app, token),
    async createWorkspace(slug = `ws-${process.pid}-${++slugs}`) {
      const res = await platform.post('/v1/workspaces', { slug, name: `Workspace ${slug}` })
      if (res.status !== 201) throw new Error(`workspace creation failed: ${res.status} ${res.text}`)
      const apiKey = res.body.apiKey.secret as string
      return {
        id: res.body.workspace.id,
        slug,
        apiKey,
        contactTokenSecret: res.body.contactTokenSecret,
        api: client(app, apiKey),
      }
    },
    async agent(workspace, role, extra = {}) {
      const email = `agent-${process.pid}-${++agents}@example.com`
      const created = await workspace.api.post('/v1/agents', {
        email,
        name: `Agent ${agents}`,
        role,
        password: AGENT_PASSWORD,
        ...extra,
      })
      if (created.status !== 201) throw new Error(`agent creation failed: ${created.status} ${created.text}`)
      const login = await client(app).post('/v1/auth/login', { email, password: AGENT_PASSWORD })
      if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`)
      return {
        id: created.body.id,
        email,
        password: AGENT_PASSWORD,
        api: client(app, login.body.accessToken),
        accessToken: login.body.accessToken,
        refreshToken: login.body.refreshToken,
      }
    },
    contactToken(workspace, claims, options = {}) {
      return signHs256(
        { alg: 'HS256', typ: 'JWT', kid: options.kid ?? workspace.contactTokenSecret.id },
        { exp: Math.floor(Date.now() / 1000) + 3600, ...claims },
        options.key ?? workspace.contactTokenSecret.secret,
      )
    },
    async withScopes(workspace, scopes) {
      const res = await workspace.api.post('/v1/api-keys', { name: scopes.join(' ') || 'none', scopes })
      if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${res.text}`)
      return client(app, res.body.secret)
    },
  }
  return testApp
}

/** A valid ticket body; override any field. */
export function ticketBody(overrides: Record<string, unknown> = {}) {
  return {
    subject: 'Order A-1093 never arrived',
    message: { body: 'I ordered a week ago and nothing has come.' },
    requester: { email: 'ana@example.com', name: 'Ana' },
    ...overrides,
  }
}
