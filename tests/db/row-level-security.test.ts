/**
 * Row-level security: the second wall between workspaces. Services scope every query by the caller's
 * workspace; these tests take that away (queries that name no workspace at all) and show that
 * PostgreSQL itself still returns and accepts only the bound workspace's rows.
 */
import { sql } from 'drizzle-orm'
import t from 'tap'
import { buildApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { rowsOf } from '../../src/db/raw.ts'
import { tickets } from '../../src/db/schema/index.ts'
import { inWorkspace } from '../../src/db/tenant.ts'
import { buildTestApp, PLATFORM_TOKEN, ticketBody } from '../helpers/app.ts'

const ctx = await buildTestApp(t)
const { db } = ctx.db.database
const a = await ctx.createWorkspace()
const b = await ctx.createWorkspace()
for (const ws of [a, b]) {
  const ticket = await ws.api.post(
    '/v1/tickets',
    ticketBody({ requester: { email: `${ws.slug}@example.com` } }),
  )
  await ws.api.post(`/v1/tickets/${ticket.body.id}/messages`, { body: 'Note', visibility: 'internal' })
  const org = await ws.api.post('/v1/organizations', { name: `Org of ${ws.slug}` })
  await ws.api.post('/v1/departments', {
    name: 'Sales',
    slug: 'sales',
    memberIds: [(await ctx.agent(ws, 'agent')).id],
  })
  if (org.status !== 201) throw new Error(`organization: ${org.text}`)
}

/** Tables that carry tenant rows, and the column naming their workspace. */
const tenantTables = (await rowsOf<{ table: string; column: string }>(
  db,
  sql`select table_name as table, column_name as column from information_schema.columns
    where table_schema = 'public' and (column_name = 'workspace_id' or (table_name = 'workspaces' and column_name = 'id'))
    order by table_name`,
)) as { table: string; column: string }[]

/** PostgreSQL's own words when it refuses a statement (drizzle keeps them as the cause). */
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: { message?: string; cause?: { message?: string } }) =>
      String(error.cause?.message ?? error.message),
  )

/** Tables whose rows a workspace's work never reads unbound (none, today). */
const unbound = new Set<string>()

t.test('every table with a workspace has row-level security', async (t) => {
  const secured = await rowsOf<{ relname: string }>(
    db,
    sql`select relname from pg_class where relrowsecurity and relnamespace = 'public'::regnamespace`,
  )
  const names = new Set(secured.map((r) => r.relname))
  t.ok(tenantTables.length >= 14, `${tenantTables.length} tenant tables`)
  for (const { table } of tenantTables) {
    if (!unbound.has(table)) t.ok(names.has(table), `${table} has row-level security`)
  }
})

t.test('a query that names no workspace sees only the bound one, in every tenant table', async (t) => {
  for (const { table, column } of tenantTables) {
    if (unbound.has(table)) continue
    const everything = await rowsOf<{ ws: string }>(
      db,
      sql`select distinct ${sql.identifier(column)}::text as ws from ${sql.identifier(table)}`,
    )
    const seen = await inWorkspace(db, a.id, (tx) =>
      rowsOf<{ ws: string }>(
        tx,
        sql`select distinct ${sql.identifier(column)}::text as ws from ${sql.identifier(table)}`,
      ),
    )
    t.same(
      seen.map((r) => r.ws),
      everything.some((r) => r.ws === a.id) ? [a.id] : [],
      `${table}: only workspace A`,
    )
    if (
      [
        'tickets',
        'messages',
        'events',
        'contacts',
        'organizations',
        'priorities',
        'department_members',
      ].includes(table)
    ) {
      t.ok(
        everything.some((r) => r.ws === b.id),
        `${table} holds rows of B that A's query did not see`,
      )
    }
  }
})

t.test(
  "a write of another workspace's row is refused, and a tenant cannot turn the policies off",
  async (t) => {
    const [contactOfB] = await rowsOf<{ id: string }>(
      db,
      sql`select id from contacts where workspace_id = ${b.id} limit 1`,
    )
    const intoB = inWorkspace(db, a.id, (tx) =>
      rowsOf(
        tx,
        sql`insert into contacts (workspace_id, id, email) values (${b.id}, gen_random_uuid(), 'x@example.com')`,
      ),
    )
    t.match(await refusal(intoB), /row-level security/, 'inserting a row of B')
    const updated = await inWorkspace(db, a.id, (tx) =>
      rowsOf(tx, sql`update contacts set name = 'Taken' where id = ${contactOfB?.id} returning id`),
    )
    t.same(updated, [], "B's row cannot even be found to update")
    const deleted = await inWorkspace(db, a.id, (tx) =>
      rowsOf(tx, sql`delete from tickets returning workspace_id`),
    )
    t.ok(deleted.length > 0)
    t.ok(
      deleted.every((r) => (r as { workspace_id: string }).workspace_id === a.id),
      'an unscoped delete removes only A’s tickets',
    )
    const [stillB] = await rowsOf<{ n: number }>(
      db,
      sql`select count(*)::int as n from tickets where workspace_id = ${b.id}`,
    )
    t.equal(stillB?.n, 1, "B's ticket is untouched")

    const off = inWorkspace(db, a.id, async (tx) => {
      await rowsOf(tx, sql`select set_config('row_security', 'off', true)`)
      return tx.select().from(tickets)
    })
    t.match(await refusal(off), /row-level security/, 'row_security = off is an error, not a bypass')
    const [role] = await rowsOf<{ super: boolean; bypass: boolean }>(
      db,
      sql`select rolsuper as super, rolbypassrls as bypass from pg_roles where rolname = 'atiende_tenant'`,
    )
    t.same(role, { super: false, bypass: false }, 'the tenant role has no way around the policies')
    for (const secret of [
      sql`select secret from service_secrets`,
      sql`select token_hash from refresh_tokens`,
      sql`select key from login_throttle`,
      sql`select password_hash from users`,
    ]) {
      t.match(await refusal(inWorkspace(db, a.id, (tx) => rowsOf(tx, secret))), /permission denied/)
    }
  },
)

t.test('inside a request of workspace A, a deliberately unscoped query returns nothing of B', async (t) => {
  const app = await buildApp(
    loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ATIENDE_PLATFORM_TOKEN: PLATFORM_TOKEN }),
    { ...ctx.db.database, close: async () => {} },
  )
  // A route with the bug RLS exists for: it forgets the workspace in its query.
  app.get('/test/all-tickets', async (request) => {
    const { workspaceId } = request.actor as { workspaceId: string }
    const rows = await inWorkspace(db, workspaceId, (tx) =>
      tx.select({ ws: tickets.workspaceId }).from(tickets),
    )
    return { workspaces: [...new Set(rows.map((r) => r.ws))] }
  })
  await app.ready()
  t.teardown(() => app.close())
  await b.api.post('/v1/tickets', ticketBody())
  const res = await app.inject({ url: '/test/all-tickets', headers: { authorization: `Bearer ${b.apiKey}` } })
  t.equal(res.statusCode, 200)
  t.same(res.json().workspaces, [b.id])
  const asA = await app.inject({ url: '/test/all-tickets', headers: { authorization: `Bearer ${a.apiKey}` } })
  t.notOk(asA.json().workspaces.includes(b.id))
})

t.test("the services' statements run bound to the caller's workspace", async (t) => {
  // A new workspace: no connection is bound to it yet, so its first request must bind one.
  const fresh = await ctx.createWorkspace()
  ctx.queries.length = 0
  t.equal((await fresh.api.get('/v1/tickets')).status, 200)
  const bind = ctx.queries.findIndex((q) => q.includes("set_config('role', 'atiende_tenant'"))
  const list = ctx.queries.findIndex((q) => /from "tickets"/.test(q))
  t.ok(bind >= 0, 'the request bound its connection (or transaction)')
  t.ok(list > bind, 'before it read the tickets')
})

t.test('a tenant connection stays bound between requests of its workspace, errors included', async (t) => {
  const bindings = () => ctx.queries.filter((q) => q.includes("set_config('role', 'atiende_tenant'")).length
  // (The tests above deleted A's first tickets.)
  const { number } = (await a.api.post('/v1/tickets', ticketBody())).body
  await a.api.get(`/v1/tickets/${number}`)
  ctx.queries.length = 0
  for (let i = 0; i < 10; i++) {
    t.equal((await a.api.get('/v1/tickets/999999')).status, 404)
    t.equal((await a.api.get(`/v1/tickets/${number}`)).status, 200)
  }
  if (ctx.db.engine === 'pglite') {
    // One connection for everything: each request binds its own transaction.
    t.equal(bindings(), 20)
  } else {
    t.equal(bindings(), 0, 'sequential requests of one workspace reuse a bound connection, after a 404 too')
    await b.api.get('/v1/tickets')
    t.equal(bindings(), 1, 'another workspace rebinds it')
  }
})

t.test('the search functions that run as the owner answer only for the bound workspace', async (t) => {
  // kb_search_page and kb_near_terms bypass the policies (to use their GIN indexes), so they must
  // confine themselves: the same article of A, searched bound to A, bound to B, and unbound.
  const category = await a.api.post('/v1/kb/categories', {
    translations: [{ locale: 'en', name: 'Help', slug: 'help' }],
  })
  const article = await a.api.post('/v1/kb/articles', {
    categoryId: category.body.id,
    visibility: 'public',
    publish: true,
    translations: [{ locale: 'en', title: 'Refund policy', body: 'Refunds take five days.' }],
  })
  t.equal(article.status, 201, article.text)
  const page = sql`select article_id from kb_search_page('{public}', null, null, 'en',
    to_tsquery('kb_english', 'refund'), null, null, null, null, 10)`
  const near = sql`select term from kb_near_terms('{public}', 'kb_english', '{refnds}', 3) where term is not null`
  const asA = await inWorkspace(db, a.id, (tx) => rowsOf<{ article_id: string }>(tx, page))
  t.same(
    asA.map((r) => r.article_id),
    [article.body.id],
    'bound to A: found',
  )
  t.ok((await inWorkspace(db, a.id, (tx) => rowsOf(tx, near))).length > 0, 'bound to A: near spellings')
  t.same(await inWorkspace(db, b.id, (tx) => rowsOf(tx, page)), [], 'bound to B: nothing of A')
  t.same(await inWorkspace(db, b.id, (tx) => rowsOf(tx, near)), [], "bound to B: none of A's words")
  t.same(await rowsOf(db, page), [], 'unbound: nothing')
})
