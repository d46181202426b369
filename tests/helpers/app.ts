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
}

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
      return { id: res.body.workspace.id, slug, apiKey, api: client(app, apiKey) }
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
