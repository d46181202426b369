import { sql } from 'drizzle-orm'
import t from 'tap'
import { buildTestApp, ticketBody } from '../../helpers/app.ts'

/**
 * The knowledge base over GraphQL: the same services as REST, so the same answers; mutations report
 * bad input as userErrors; a ticket's linked articles come through one loader for a whole page.
 */
const ctx = await buildTestApp(t)
const ws = await ctx.createWorkspace()

async function gql(query: string, variables?: Record<string, unknown>) {
  const res = await ws.api.graphql(query, variables)
  if (res.status !== 200 || res.body.errors) throw new Error(`GraphQL: ${res.status} ${res.text}`)
  return res.body.data
}

const created = await gql(
  `mutation { createKbCategory(input: { translations: [{ locale: "es", name: "Pagos", slug: "pagos" }] }) {
    kbCategory { id translations { locale name slug } } userErrors { code } } }`,
)
const categoryId = created.createKbCategory.kbCategory.id

t.test('articles are written, published and searched as over REST', async (t) => {
  const article = await gql(
    `mutation($c: ID!) { createKbArticle(input: { categoryId: $c, visibility: public, tags: ["pagos"],
      translations: [{ locale: "es", title: "Cómo pedir un reembolso", body: "Escribe a **soporte**." }] }) {
      kbArticle { id translations { locale state hasDraft } } userErrors { code } } }`,
    { c: categoryId },
  )
  const id = article.createKbArticle.kbArticle.id
  t.same(article.createKbArticle.kbArticle.translations, [{ locale: 'es', state: 'draft', hasDraft: true }])
  const published = await gql(
    `mutation($id: ID!) { publishKbTranslation(articleId: $id, locale: "es") {
      kbTranslation { state publishedVersion bodyHtml } userErrors { code } } }`,
    { id },
  )
  t.match(published.publishKbTranslation.kbTranslation, {
    state: 'published',
    publishedVersion: 1,
    bodyHtml: /<strong>soporte<\/strong>/,
  })
  const search = await gql(
    `{ kbSearch(q: "reembolsos", locale: "es") { locale fuzzy nodes { articleId titleHtml } pageInfo { hasNextPage } } }`,
  )
  const rest = (await ws.api.get('/v1/kb/search?q=reembolsos&locale=es')).body
  t.same(
    search.kbSearch.nodes.map((n: { articleId: string }) => n.articleId),
    rest.data.map((h: { articleId: string }) => h.articleId),
    'the same hits as REST',
  )
  t.equal(search.kbSearch.nodes[0].titleHtml, 'Cómo pedir un <mark>reembolso</mark>')
  t.equal(search.kbSearch.fuzzy, false)

  const draft = await gql(
    `mutation($id: ID!) { saveKbDraft(articleId: $id, locale: "es", input: { title: "Reembolsos", body: "Nuevo" }) {
      kbTranslation { title draft { title } } userErrors { code } } }`,
    { id },
  )
  t.same(draft.saveKbDraft.kbTranslation, {
    title: 'Cómo pedir un reembolso',
    draft: { title: 'Reembolsos' },
  })
  await gql(
    `mutation($id: ID!) { publishKbTranslation(articleId: $id, locale: "es") { userErrors { code } } }`,
    {
      id,
    },
  )
  const versions = await gql(
    `query($id: String!) { kbArticle(ref: $id) { versions { nodes { version title } } } }`,
    { id },
  )
  t.same(versions.kbArticle.versions.nodes, [
    { version: 2, title: 'Reembolsos' },
    { version: 1, title: 'Cómo pedir un reembolso' },
  ])
})

t.test('bad input is a userError, not a failed request', async (t) => {
  const noCategory = await gql(
    `mutation { createKbArticle(input: { categoryId: "00000000-0000-4000-8000-000000000000", visibility: public }) {
      kbArticle { id } userErrors { code path } } }`,
  )
  t.same(noCategory.createKbArticle, {
    kbArticle: null,
    userErrors: [{ code: 'validation', path: '/sourceLocale' }],
  })
  const badLocale = await gql(
    `mutation($c: ID!) { createKbArticle(input: { categoryId: $c, visibility: public,
      translations: [{ locale: "not a locale", title: "x", body: "y" }] }) { kbArticle { id } userErrors { code } } }`,
    { c: categoryId },
  )
  t.equal(badLocale.createKbArticle.userErrors[0].code, 'validation')
  const noDraft = await gql(
    `mutation { publishKbTranslation(articleId: "00000000-0000-4000-8000-000000000000", locale: "es") {
      kbTranslation { state } userErrors { code } } }`,
  )
  t.equal(noDraft.publishKbTranslation.userErrors[0].code, 'not_found')
})

t.test(
  'a page of tickets reads their linked articles in one go, and a contact sees only theirs',
  async (t) => {
    const article = await gql(
      `mutation($c: ID!) { createKbArticle(input: { categoryId: $c, visibility: contacts, publish: true,
      translations: [{ locale: "es", title: "Seguimiento del pedido", body: "Con el número de pedido." }] }) {
      kbArticle { id } } }`,
      { c: categoryId },
    )
    const internal = await gql(
      `mutation($c: ID!) { createKbArticle(input: { categoryId: $c, visibility: internal, publish: true,
      translations: [{ locale: "es", title: "Procedimiento interno", body: "Solo agentes." }] }) {
      kbArticle { id } } }`,
      { c: categoryId },
    )
    const requester = { email: 'cliente@example.com', externalId: 'cliente-1' }
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const ticket = await ws.api.post('/v1/tickets', ticketBody({ requester }))
      ids.push(ticket.body.id)
      for (const articleId of [article.createKbArticle.kbArticle.id, internal.createKbArticle.kbArticle.id]) {
        await gql(
          `mutation($t: ID!, $a: ID!) { linkKbArticle(ticket: { id: $t }, articleId: $a) { userErrors { code } } }`,
          { t: ticket.body.id, a: articleId },
        )
      }
    }
    ctx.queries.length = 0
    const page = await gql(
      '{ tickets(first: 10) { nodes { id kbArticles { id visibility translation { title } } } } }',
    )
    const linkReads = ctx.queries.filter((q) => q.includes('kb_ticket_articles')).length
    t.equal(linkReads, 1, 'one read of the links for the whole page')
    for (const node of page.tickets.nodes) t.equal(node.kbArticles.length, 2)

    const contact = ctx.as(ctx.contactToken(ws, { sub: 'cliente-1', email: 'cliente@example.com' }))
    const theirs = await contact.graphql(
      '{ tickets(first: 10) { nodes { kbArticles { visibility translation { title } } } } }',
    )
    t.notOk(theirs.body.errors, theirs.text)
    for (const node of theirs.body.data.tickets.nodes) {
      t.same(node.kbArticles, [{ visibility: 'contacts', translation: { title: 'Seguimiento del pedido' } }])
    }
  },
)

t.test("suggestions search a ticket's distinctive words, not the ones most texts share", async (t) => {
  const shop = await ctx.createWorkspace()
  const category = await shop.api.post('/v1/kb/categories', {
    translations: [{ locale: 'es', name: 'Ayuda', slug: 'ayuda' }],
  })
  const add = async (title: string, body: string) =>
    (
      await shop.api.post('/v1/kb/articles', {
        categoryId: category.body.id,
        visibility: 'public',
        publish: true,
        translations: [{ locale: 'es', title, body }],
      })
    ).body.id as string
  const warranty = await add('Garantía de dos años', 'La garantía cubre defectos de fábrica.')
  await add('Tu pedido', 'Sobre el pedido.')
  // Enough texts for "pedido" to be common (a small knowledge base searches every word): 1,500 more,
  // written straight into the tables, as publishing would leave them.
  const db = ctx.db.database.db
  await db.execute(sql`insert into kb_articles (workspace_id, id, category_id, visibility, source_locale)
    select ${shop.id}::uuid, gen_random_uuid(), ${category.body.id}::uuid, 'public', 'es' from generate_series(1, 1500)`)
  await db.execute(sql`insert into kb_article_translations
      (workspace_id, article_id, locale, slug, title, body, body_html, published_version, search_config)
    select a.workspace_id, a.id, 'es', 'pedido-' || a.id, 'Tu pedido', 'Sobre el pedido.', '<p>Sobre el pedido.</p>',
      1, 'kb_spanish'
    from kb_articles a where a.workspace_id = ${shop.id}::uuid
      and not exists (select 1 from kb_article_translations t where t.workspace_id = a.workspace_id and t.article_id = a.id)`)
  // Asked before the table is analysed, suggestions go by no statistics, and the service keeps what it read.
  const before = await shop.api.post('/v1/kb/suggestions', {
    subject: 'Mi pedido llegó roto',
    body: '¿Cubre la garantía mi pedido?',
    locale: 'es',
  })
  t.equal(before.status, 200, before.text)
  // The statistics PostgreSQL keeps once the table is analysed say "pedido" is in almost every text; the
  // service reads them again, since analysing changed the table's row estimate.
  await db.execute(sql`analyze kb_search_documents`)
  const shown = await shop.api.post('/v1/kb/suggestions', {
    subject: 'Mi pedido llegó roto',
    body: '¿Cubre la garantía mi pedido?',
    locale: 'es',
  })
  t.equal(shown.status, 200, shown.text)
  t.same(
    shown.body.data.map((h: { articleId: string }) => h.articleId),
    [warranty],
    'only the article about the distinctive word: "pedido" would match them all',
  )
  const general = await shop.api.post('/v1/kb/suggestions', { subject: 'Mi pedido', locale: 'es' })
  t.equal(
    general.body.data.length,
    5,
    'a ticket of common words only still gets suggestions (its rarest word)',
  )
})

t.test('kbReport validates its arguments as GET /v1/reports/kb does', async (t) => {
  for (const limit of [-1, 0, 101, 100000]) {
    const res = await ws.api.graphql(`{ kbReport(limit: ${limit}) { mostViewed { articleId } } }`)
    t.equal(res.status, 200)
    t.equal(res.body.errors?.[0]?.extensions?.code, 'validation', `limit ${limit} is a validation error`)
    const rest = await ws.api.get(`/v1/reports/kb?limit=${limit}`)
    t.equal(rest.status, 400, `and a 400 over REST (limit ${limit})`)
  }
  const fine = await ws.api.graphql('{ kbReport(limit: 2) { mostViewed { articleId } } }')
  t.notOk(fine.body.errors, 'a limit in range answers')
  t.ok(Array.isArray(fine.body.data.kbReport.mostViewed))
})

t.test('kbSearch tags and locale arguments are validated as REST validates them', async (t) => {
  const code = async (query: string) => {
    const res = await ws.api.graphql(query)
    t.equal(res.status, 200)
    return res.body.errors?.[0]?.extensions?.code ?? 'ok'
  }
  t.equal(await code('{ kbSearch(q: "pagos", tags: [""]) { nodes { articleId } } }'), 'validation')
  t.equal(
    await code(`{ kbSearch(q: "pagos", tags: ["${'t'.repeat(65)}"]) { nodes { articleId } } }`),
    'validation',
  )
  t.equal(await code('{ kbSearch(q: "pagos", tags: []) { nodes { articleId } } }'), 'ok', '[] is no filter')
  t.equal(await code('{ kbSearch(q: "pagos", tags: ["a", "b"]) { nodes { articleId } } }'), 'ok')
  t.equal(
    await code(`{ kbArticle(ref: "00000000-0000-4000-8000-000000000000", locale: "") { id } }`),
    'validation',
  )
  t.equal(
    await code(`{ kbArticle(ref: "00000000-0000-4000-8000-000000000000", locale: "pt_BR") { id } }`),
    'validation',
  )
  t.equal(await code('{ kbArticles(filter: { locale: "" }) { nodes { id } } }'), 'validation')
  t.equal(await code('{ kbArticles(filter: { locale: "es" }) { nodes { id } } }'), 'ok')
})
