import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { sql } from 'drizzle-orm'
import t, { type Test } from 'tap'
import { rowsOf } from '../../../src/db/raw.ts'
import { buildTestApp, type Client, type Response, ticketBody, type Workspace } from '../../helpers/app.ts'

/**
 * The knowledge base's content, as staff, customers and anonymous readers meet it over REST: categories,
 * articles with drafts, translations, versions and archive, permissions, drafts from tickets and ticket
 * links, feedback, views and the report, the public read API (caching, CORS, rate limits), and workspace
 * isolation. Full-text search ranking is tested elsewhere.
 */
const ctx = await buildTestApp(t)

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000'

async function ok(res: Promise<Response>, status = 201) {
  const done = await res
  if (done.status !== status) throw new Error(`expected ${status}, got ${done.status}: ${done.text}`)
  return done.body
}

let contacts = 0
/** A signed-in customer of the workspace (the contact is created on the token's first use). */
function contactOf(ws: Workspace, name = `customer-${++contacts}`): Client {
  return ctx.as(ctx.contactToken(ws, { sub: `${name}-${ws.slug}`, email: `${name}@example.com`, name }))
}

const pub = (ws: Workspace) => `/v1/public/${ws.slug}/kb`

async function category(ws: Workspace, slug: string, extra: Record<string, unknown> = {}) {
  return ok(
    ws.api.post('/v1/kb/categories', {
      translations: [{ locale: 'en', name: `Name of ${slug}`, slug }],
      ...extra,
    }),
  )
}

/** An article published in English (`publish: false` in extra keeps it a draft). */
async function article(
  ws: Workspace,
  categoryId: string,
  visibility: 'public' | 'contacts' | 'internal',
  title: string,
  extra: Record<string, unknown> = {},
) {
  return ok(
    ws.api.post('/v1/kb/articles', {
      categoryId,
      visibility,
      publish: true,
      translations: [{ locale: 'en', title, body: `The body of ${title}.` }],
      ...extra,
    }),
  )
}

/** Every item of a paginated list, page by page (`limit` per page). */
async function pages(api: Client, url: string, limit: number) {
  const all: any[][] = []
  let cursor: string | null = null
  do {
    const sep = url.includes('?') ? '&' : '?'
    const after = cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
    const page = await ok(api.get(`${url}${sep}limit=${limit}${after}`), 200)
    all.push(page.data)
    cursor = page.nextCursor
  } while (cursor && all.length < 50)
  return all
}

const ids = (list: { id: string }[]) => list.map((item) => item.id)

/** The articles linked to a ticket, as this caller sees them (the list is not paginated). */
async function linkedIds(api: Client, ticketId: string) {
  return ids((await ok(api.get(`/v1/tickets/${ticketId}/articles`), 200)).data)
}

async function listIds(api: Client, url: string) {
  const sep = url.includes('?') ? '&' : '?'
  return ids((await ok(api.get(`${url}${sep}limit=100`), 200)).data)
}

const byPositionThenId = (a: { position: number; id: string }, b: { position: number; id: string }) =>
  a.position - b.position || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

t.test(
  'categories: translations, nesting, moves, slugs per locale, order and pages, lookups, deletion',
  async (t) => {
    const ws = await ctx.createWorkspace()
    const { api } = ws

    const created = await api.post('/v1/kb/categories', {
      position: 30,
      translations: [
        { locale: 'pt-br', name: 'Faturamento', slug: 'faturamento' },
        { locale: 'ES', name: 'Facturación', slug: 'facturacion', description: 'Pagos y facturas' },
      ],
    })
    t.equal(created.status, 201, created.text)
    const billing = created.body
    t.equal(created.headers.location, `/v1/kb/categories/${billing.id}`)
    t.equal(billing.parentId, null)
    t.equal(billing.position, 30)
    t.strictSame(
      billing.translations,
      [
        { locale: 'es', name: 'Facturación', description: 'Pagos y facturas', slug: 'facturacion' },
        { locale: 'pt-BR', name: 'Faturamento', description: null, slug: 'faturamento' },
      ],
      'locales are canonicalised (pt-br → pt-BR, ES → es)',
    )
    const repeated = await api.post('/v1/kb/categories', {
      translations: [
        { locale: 'pt-BR', name: 'A', slug: 'a-1' },
        { locale: 'pt-br', name: 'B', slug: 'b-1' },
      ],
    })
    t.equal(repeated.status, 400, 'the same locale twice, once canonicalised')
    t.match(repeated.body.errors, [{ path: '/translations/1/locale' }])

    // Nesting, and moves that would put a category inside itself.
    const invoices = await ok(
      api.post('/v1/kb/categories', {
        parentId: billing.id,
        position: 1,
        translations: [{ locale: 'es', name: 'Facturas', slug: 'facturas' }],
      }),
    )
    const duplicates = await ok(
      api.post('/v1/kb/categories', {
        parentId: invoices.id,
        translations: [{ locale: 'es', name: 'Cobros duplicados', slug: 'cobros-duplicados' }],
      }),
    )
    t.equal(invoices.parentId, billing.id)
    t.equal(duplicates.parentId, invoices.id)
    for (const [target, what] of [
      [duplicates.id, 'a grandchild'],
      [invoices.id, 'a child'],
      [billing.id, 'itself'],
    ]) {
      const res = await api.patch(`/v1/kb/categories/${billing.id}`, { parentId: target })
      t.equal(res.status, 400, `moving under ${what} is refused: ${res.text}`)
      t.match(res.body.errors, [{ path: '/parentId' }])
    }
    t.equal((await ok(api.get(`/v1/kb/categories/${billing.id}`), 200)).parentId, null, 'nothing moved')
    const orphan = await api.post('/v1/kb/categories', {
      parentId: UNKNOWN_ID,
      translations: [{ locale: 'es', name: 'X', slug: 'x' }],
    })
    t.equal(orphan.status, 400, 'an unknown parent')

    const account = await ok(
      api.post('/v1/kb/categories', {
        position: 10,
        translations: [{ locale: 'es', name: 'Cuenta', slug: 'cuenta' }],
      }),
    )
    t.equal(
      (await ok(api.patch(`/v1/kb/categories/${duplicates.id}`, { parentId: account.id }), 200)).parentId,
      account.id,
    )
    t.equal(
      (await ok(api.patch(`/v1/kb/categories/${billing.id}`, { parentId: duplicates.id }), 200)).parentId,
      duplicates.id,
      'a category that is no longer a descendant may take it in',
    )
    const deep = await api.patch(`/v1/kb/categories/${account.id}`, { parentId: invoices.id })
    t.equal(deep.status, 400, 'invoices is under billing, under duplicates, under account: three levels down')
    await ok(api.patch(`/v1/kb/categories/${billing.id}`, { parentId: null }), 200)
    await ok(api.patch(`/v1/kb/categories/${duplicates.id}`, { parentId: invoices.id }), 200)

    // Slugs are unique per locale.
    const sameSlug = await api.post('/v1/kb/categories', {
      translations: [{ locale: 'es', name: 'Otra', slug: 'facturacion' }],
    })
    t.equal(sameSlug.status, 409, sameSlug.text)
    t.equal(sameSlug.body.code, 'conflict')
    const canonicalClash = await api.post('/v1/kb/categories', {
      translations: [{ locale: 'PT-br', name: 'Outra', slug: 'faturamento' }],
    })
    t.equal(canonicalClash.status, 409, 'the slug is taken in pt-BR, however the locale is written')
    const english = await ok(
      api.post('/v1/kb/categories', {
        translations: [{ locale: 'en', name: 'Billing', slug: 'facturacion' }],
      }),
    )
    t.equal(english.translations[0].slug, 'facturacion', 'the same slug in another locale is fine')
    const renamed = await api.patch(`/v1/kb/categories/${account.id}`, {
      translations: [{ locale: 'es', name: 'Cuenta', slug: 'facturas' }],
    })
    t.equal(renamed.status, 409, 'a change to a taken slug')
    t.equal((await ok(api.get(`/v1/kb/categories/${account.id}`), 200)).translations[0].slug, 'cuenta')
    const added = await ok(
      api.patch(`/v1/kb/categories/${account.id}`, {
        translations: [{ locale: 'en', name: 'Account', slug: 'account' }],
      }),
      200,
    )
    t.same(
      added.translations.map((tr: { locale: string; slug: string }) => [tr.locale, tr.slug]),
      [
        ['en', 'account'],
        ['es', 'cuenta'],
      ],
      'a locale not named stays as it was',
    )

    // Order by position (then id), page by page, by level.
    const shipping = await ok(
      api.post('/v1/kb/categories', {
        position: 20,
        translations: [{ locale: 'es', name: 'Envíos', slug: 'envios' }],
      }),
    )
    const returns = await ok(
      api.post('/v1/kb/categories', {
        position: 20,
        translations: [{ locale: 'es', name: 'Devoluciones', slug: 'devoluciones' }],
      }),
    )
    const legal = await ok(
      api.post('/v1/kb/categories', {
        position: 5,
        translations: [{ locale: 'es', name: 'Legal', slug: 'legal' }],
      }),
    )
    const roots = [billing, account, english, shipping, returns, legal]
    const rootPages = await pages(api, '/v1/kb/categories?parent=root', 2)
    t.same(
      rootPages.map((p) => p.length),
      [2, 2, 2],
      'six roots in pages of two',
    )
    t.strictSame(
      ids(rootPages.flat()),
      ids([...roots].sort(byPositionThenId)),
      'position order, ties by id, no repeats across pages',
    )
    t.ok(
      rootPages.flat().every((c: { parentId: string | null }) => c.parentId === null),
      'root lists top-level categories only',
    )
    t.strictSame(await listIds(api, `/v1/kb/categories?parent=${billing.id}`), [invoices.id])
    t.strictSame(await listIds(api, `/v1/kb/categories?parent=${invoices.id}`), [duplicates.id])
    t.equal((await listIds(api, '/v1/kb/categories')).length, 8, 'without parent: every level')
    t.equal((await api.get('/v1/kb/categories?parent=billing')).status, 400, 'parent is root or an id')
    t.equal((await api.get('/v1/kb/categories?cursor=bm90LWEtY3Vyc29y')).status, 400, 'a forged cursor')

    // By id or by slug in any locale.
    t.equal((await ok(api.get(`/v1/kb/categories/${invoices.id}`), 200)).id, invoices.id)
    t.equal((await ok(api.get('/v1/kb/categories/faturamento'), 200)).id, billing.id, 'by its pt-BR slug')
    t.equal((await ok(api.get('/v1/kb/categories/cobros-duplicados'), 200)).id, duplicates.id)
    t.equal((await api.get('/v1/kb/categories/no-such-slug')).status, 404)
    t.equal((await api.get(`/v1/kb/categories/${UNKNOWN_ID}`)).status, 404)

    // Only an empty category goes.
    const withChild = await api.delete(`/v1/kb/categories/${billing.id}`)
    t.equal(withChild.status, 409, 'it holds a subcategory')
    const filed = await article(ws, legal.id, 'internal', 'Terms of service', { archived: true })
    t.ok(filed.archivedAt, 'created archived')
    t.equal((await api.delete(`/v1/kb/categories/${legal.id}`)).status, 409, 'it holds an (archived) article')
    t.equal((await api.delete(`/v1/kb/categories/${returns.id}`)).status, 204)
    t.equal((await api.get(`/v1/kb/categories/${returns.id}`)).status, 404)
    t.equal((await api.delete(`/v1/kb/categories/${returns.id}`)).status, 404, 'already gone')
    t.equal((await api.delete(`/v1/kb/categories/${duplicates.id}`)).status, 204)
    t.equal((await api.delete(`/v1/kb/categories/${invoices.id}`)).status, 204, 'empty once its child went')
    t.equal((await api.delete(`/v1/kb/categories/${billing.id}`)).status, 204)
    t.strictSame(
      (await listIds(api, '/v1/kb/categories')).sort(),
      [account.id, english.id, shipping.id, legal.id].sort(),
    )
  },
)

t.test(
  'customers see only the categories that hold, at any depth, an article published for them',
  async (t) => {
    const ws = await ctx.createWorkspace()
    const customer = contactOf(ws)
    const help = await category(ws, 'help', { position: 1 })
    const howTo = await category(ws, 'how-to', { parentId: help.id })
    const staffOnly = await category(ws, 'staff-only', { position: 2 })
    const unfinished = await category(ws, 'unfinished', { position: 3 })
    const members = await category(ws, 'members', { position: 4 })
    const empty = await category(ws, 'empty', { position: 5 })
    await article(ws, howTo.id, 'public', 'Resetting a password')
    await article(ws, staffOnly.id, 'internal', 'Refund fraud signals')
    await article(ws, unfinished.id, 'public', 'Coming soon', { publish: false })
    const membersOnly = await article(ws, members.id, 'contacts', 'Member discounts')

    t.strictSame(
      (await listIds(ws.api, '/v1/kb/categories')).sort(),
      [help, howTo, staffOnly, unfinished, members, empty].map((c) => c.id).sort(),
      'staff see every category',
    )
    t.strictSame(
      (await listIds(customer, '/v1/kb/categories')).sort(),
      [help.id, howTo.id, members.id].sort(),
      'a contact: public and contacts articles, and the categories above them',
    )
    t.strictSame(await listIds(customer, '/v1/kb/categories?parent=root'), [help.id, members.id])
    t.strictSame(await listIds(customer, `/v1/kb/categories?parent=${help.id}`), [howTo.id])
    t.strictSame(
      (await listIds(ctx.anonymous, `${pub(ws)}/categories`)).sort(),
      [help.id, howTo.id].sort(),
      'the public: public articles only',
    )
    t.strictSame(await listIds(ctx.anonymous, `${pub(ws)}/categories?parent=root`), [help.id])

    for (const hidden of [staffOnly, unfinished, empty]) {
      t.equal(
        (await customer.get(`/v1/kb/categories/${hidden.id}`)).status,
        404,
        `contact, ${hidden.translations[0].slug} by id`,
      )
      t.equal(
        (await customer.get(`/v1/kb/categories/${hidden.translations[0].slug}`)).status,
        404,
        `contact, ${hidden.translations[0].slug} by slug`,
      )
      t.equal((await ctx.anonymous.get(`${pub(ws)}/categories/${hidden.id}`)).status, 404)
    }
    t.equal(
      (await ctx.anonymous.get(`${pub(ws)}/categories/${members.id}`)).status,
      404,
      'contacts-only: not public',
    )
    t.equal((await ctx.anonymous.get(`${pub(ws)}/categories/members`)).status, 404)
    t.equal((await customer.get(`/v1/kb/categories/${members.id}`)).status, 200)
    t.equal((await ctx.anonymous.get(`${pub(ws)}/categories/help`)).status, 200, 'by slug, an ancestor')
    t.equal((await ws.api.get(`/v1/kb/categories/${staffOnly.id}`)).status, 200, 'staff see it')

    await ok(ws.api.patch(`/v1/kb/articles/${membersOnly.id}`, { archived: true }), 200)
    t.equal(
      (await customer.get(`/v1/kb/categories/${members.id}`)).status,
      404,
      'once its only article is archived, the category is hidden again',
    )
    t.notOk((await listIds(customer, '/v1/kb/categories')).includes(members.id))
  },
)

t.test('drafts stay with staff until published; bodies are rendered to sanitized HTML', async (t) => {
  const ws = await ctx.createWorkspace()
  const customer = contactOf(ws)
  const cat = await category(ws, 'guides')
  const body = [
    'Use **bold** words.',
    '',
    '<script>alert("owned")</script>',
    '',
    '[click me](javascript:alert(1)) and <a href="javascript:alert(2)">raw</a> and [the shop](https://shop.example.com/help)',
    '',
    '![pixel](data:image/png;base64,iVBORw0KGgo=) <img src=x onerror=alert(3)>',
    '',
    'See https://docs.example.com for more.',
  ].join('\n')
  const res = await ws.api.post('/v1/kb/articles', {
    categoryId: cat.id,
    visibility: 'public',
    translations: [{ locale: 'en', title: 'Staying safe online', body }],
  })
  t.equal(res.status, 201, res.text)
  const draft = res.body
  t.equal(res.headers.etag, `"${draft.version}"`)
  t.match(draft, {
    visibility: 'public',
    sourceLocale: 'en',
    translations: [
      { locale: 'en', slug: 'staying-safe-online', state: 'draft', hasDraft: true, publishedVersion: 0 },
    ],
    translation: { locale: 'en', state: 'draft', title: null, body: null, bodyHtml: null, publishedAt: null },
  })
  t.equal(draft.translation.draft.title, 'Staying safe online')

  const isSanitized = (t: Test, html: string, where: string) => {
    t.match(html, /<strong>bold<\/strong>/, `${where}: Markdown is rendered`)
    t.notMatch(html, /<script/i, `${where}: no script element`)
    t.match(html, /&lt;script&gt;/, `${where}: raw HTML shows as text`)
    // Tags as the browser parses them (escaped text such as `&lt;a href=…&gt;` is not a tag).
    const anchors = html.match(/<a\s[^>]*>/g) ?? []
    const images = html.match(/<img\s[^>]*>/g) ?? []
    t.equal(anchors.length, 2, `${where}: two links, the javascript: ones are not links`)
    t.notOk(
      anchors.some((a) => /javascript:/i.test(a)),
      `${where}: no javascript: href`,
    )
    t.notOk(
      images.some((img) => /onerror|src\s*=\s*"?data:/i.test(img)),
      `${where}: no handler, no data: image`,
    )
    t.ok(
      anchors.some((a) => a.includes('href="https://shop.example.com/help"')),
      `${where}: the https link stays`,
    )
    t.ok(
      anchors.some((a) => a.includes('href="https://docs.example.com"')),
      `${where}: bare URLs are linked`,
    )
    for (const a of anchors) {
      const rel = /rel="([^"]*)"/.exec(a)?.[1]?.split(/\s+/) ?? []
      t.ok(rel.includes('nofollow') && rel.includes('noopener'), `${where}: ${a} has rel nofollow noopener`)
    }
  }
  isSanitized(t, draft.translation.draft.bodyHtml, 'the draft')

  const bySlug = 'staying-safe-online'
  for (const [who, client, base] of [
    ['contact', customer, '/v1/kb'],
    ['public', ctx.anonymous, pub(ws)],
  ] as const) {
    t.equal((await client.get(`${base}/articles/${draft.id}`)).status, 404, `${who}: a draft by id`)
    t.equal((await client.get(`${base}/articles/${bySlug}`)).status, 404, `${who}: a draft by slug`)
    t.notOk((await listIds(client, `${base}/articles`)).includes(draft.id), `${who}: not listed`)
    t.notOk(
      (await listIds(client, `${base}/articles?locale=en`)).includes(draft.id),
      `${who}: not listed in en`,
    )
  }
  t.equal((await customer.get(`/v1/kb/articles/${draft.id}/translations/en`)).status, 404)
  t.equal((await ok(ws.api.get(`/v1/kb/articles/${bySlug}`), 200)).id, draft.id, 'staff find drafts by slug')
  t.strictSame(await listIds(ws.api, '/v1/kb/articles?state=draft'), [draft.id])
  t.strictSame(await listIds(ws.api, '/v1/kb/articles?state=published'), [])
  const sameTitle = await article(ws, cat.id, 'internal', 'Staying safe online', { publish: false })
  t.equal(sameTitle.translations[0].slug, 'staying-safe-online-2', 'a repeated title gets a numbered slug')
  const taken = await ws.api.put(`/v1/kb/articles/${sameTitle.id}/translations/en`, {
    title: 'Staying safe online',
    body: 'x',
    slug: 'staying-safe-online',
  })
  t.equal(taken.status, 409, 'a slug another article has in this locale')
  t.equal((await ws.api.delete(`/v1/kb/articles/${sameTitle.id}`)).status, 204)
  t.equal((await ws.api.get(`/v1/kb/articles/${sameTitle.id}`)).status, 404, 'deleted')

  const published = await ok(ws.api.post(`/v1/kb/articles/${draft.id}/translations/en/publish`), 200)
  t.match(published, {
    state: 'published',
    publishedVersion: 1,
    title: 'Staying safe online',
    body,
    draft: null,
  })
  isSanitized(t, published.bodyHtml, 'the published text')

  const seen = await ok(customer.get(`/v1/kb/articles/${draft.id}`), 200)
  t.equal(seen.translation.title, 'Staying safe online')
  isSanitized(t, seen.translation.bodyHtml, "the contact's copy")
  const publicCopy = await ok(ctx.anonymous.get(`${pub(ws)}/articles/${bySlug}`), 200)
  t.equal(publicCopy.id, draft.id)
  t.strictSame(await listIds(customer, '/v1/kb/articles'), [draft.id])
  t.strictSame(await listIds(ctx.anonymous, `${pub(ws)}/articles`), [draft.id])
  t.strictSame(await listIds(ws.api, '/v1/kb/articles?state=draft'), [], 'nothing left unpublished')
})

t.test(
  'translations: drafts over live text, publishing, versions, restore, discard, outdated, If-Match',
  async (t) => {
    const ws = await ctx.createWorkspace()
    const customer = contactOf(ws)
    const cat = await category(ws, 'orders')
    const created = await ok(
      ws.api.post('/v1/kb/articles', {
        categoryId: cat.id,
        visibility: 'public',
        publish: true,
        translations: [
          { locale: 'es', title: 'Devoluciones v1', body: 'Texto v1 en español.' },
          { locale: 'en', title: 'Returns v1', body: 'English text v1.' },
        ],
      }),
    )
    const id = created.id
    t.equal(created.sourceLocale, 'es', 'the first translation is the source')
    t.match(created.translations, [
      { locale: 'en', state: 'published', outdated: false, publishedVersion: 1 },
      { locale: 'es', state: 'published', outdated: false, publishedVersion: 1 },
    ])
    const asCustomer = async (locale: string) =>
      (await ok(customer.get(`/v1/kb/articles/${id}?locale=${locale}`), 200)).translation
    const asPublic = async (locale: string) =>
      (await ok(ctx.anonymous.get(`${pub(ws)}/articles/${id}?locale=${locale}`), 200)).translation
    const asStaff = async (locale: string) => ok(ws.api.get(`/v1/kb/articles/${id}?locale=${locale}`), 200)

    // A new draft over the published text.
    const drafted = await ok(
      ws.api.put(`/v1/kb/articles/${id}/translations/es`, { title: 'Devoluciones v2', body: 'Texto v2.' }),
      200,
    )
    t.match(drafted, {
      state: 'published',
      title: 'Devoluciones v1',
      body: 'Texto v1 en español.',
      draft: { title: 'Devoluciones v2', body: 'Texto v2.' },
    })
    t.match(await asCustomer('es'), { title: 'Devoluciones v1', body: 'Texto v1 en español.', draft: null })
    t.match(await asPublic('es'), { title: 'Devoluciones v1', draft: null })
    t.match(await ok(customer.get(`/v1/kb/articles/${id}/translations/es`), 200), {
      title: 'Devoluciones v1',
      draft: null,
    })
    const staffView = await asStaff('es')
    t.match(staffView.translation.draft, { title: 'Devoluciones v2' })
    t.match(staffView.translations, [
      { locale: 'en', hasDraft: false },
      { locale: 'es', hasDraft: true },
    ])

    const second = await ok(ws.api.post(`/v1/kb/articles/${id}/translations/es/publish`), 200)
    t.match(second, { publishedVersion: 2, title: 'Devoluciones v2', draft: null })
    t.match(await asCustomer('es'), { title: 'Devoluciones v2', body: 'Texto v2.' })
    t.match(await asPublic('es'), { title: 'Devoluciones v2' })

    // The source changed: the English text is outdated (for staff) until published again.
    const en = await asStaff('en')
    t.equal(en.translation.outdated, true, 'staff see en outdated')
    t.match(en.translations, [
      { locale: 'en', outdated: true },
      { locale: 'es', outdated: false },
    ])
    t.strictSame(await asCustomer('en').then((tr) => [tr.title, tr.outdated]), ['Returns v1', false])
    const nothingToPublish = await ws.api.post(`/v1/kb/articles/${id}/translations/en/publish`)
    t.equal(nothingToPublish.status, 409, 'publishing without a draft')
    t.equal(nothingToPublish.body.code, 'conflict')
    await ok(
      ws.api.put(`/v1/kb/articles/${id}/translations/en`, { title: 'Returns v2', body: 'English text v2.' }),
      200,
    )
    t.equal((await asStaff('en')).translation.outdated, true, 'a draft alone does not bring it up to date')
    const enAgain = await ok(ws.api.post(`/v1/kb/articles/${id}/translations/en/publish`), 200)
    t.match(enAgain, { outdated: false, publishedVersion: 2 })
    t.equal((await asStaff('en')).translations[0].outdated, false)

    // Versions: newest first per locale, page by page.
    const esPages = await pages(ws.api, `/v1/kb/articles/${id}/versions?locale=es`, 1)
    t.strictSame(
      esPages.map((p) => p.map((v: { version: number; title: string }) => [v.version, v.title])),
      [[[2, 'Devoluciones v2']], [[1, 'Devoluciones v1']]],
    )
    t.match(esPages[0]?.[0], { locale: 'es', body: 'Texto v2.', publishedBy: { kind: 'api_key' } })
    const every = (await ok(ws.api.get(`/v1/kb/articles/${id}/versions?limit=100`), 200)).data
    t.strictSame(
      every.map((v: { locale: string; version: number }) => `${v.locale}${v.version}`),
      ['en2', 'en1', 'es2', 'es1'],
    )
    t.strictSame(
      (await pages(ws.api, `/v1/kb/articles/${id}/versions`, 3)).flat().map((v) => `${v.locale}${v.version}`),
      ['en2', 'en1', 'es2', 'es1'],
      'the same across pages',
    )

    // Restoring version 1 puts its text in the draft; the live text stays until published.
    const restored = await ok(ws.api.post(`/v1/kb/articles/${id}/translations/es/versions/1/restore`), 200)
    t.match(restored, {
      title: 'Devoluciones v2',
      publishedVersion: 2,
      draft: { title: 'Devoluciones v1', body: 'Texto v1 en español.' },
    })
    t.match(await asCustomer('es'), { title: 'Devoluciones v2', body: 'Texto v2.' })
    t.equal((await ws.api.post(`/v1/kb/articles/${id}/translations/es/versions/9/restore`)).status, 404)
    await ok(ws.api.post(`/v1/kb/articles/${id}/translations/es/publish`), 200)
    t.match(await asCustomer('es'), {
      title: 'Devoluciones v1',
      body: 'Texto v1 en español.',
      publishedVersion: 3,
    })
    t.strictSame(
      (await ok(ws.api.get(`/v1/kb/articles/${id}/versions?locale=es`), 200)).data.map(
        (v: { version: number; title: string }) => [v.version, v.title],
      ),
      [
        [3, 'Devoluciones v1'],
        [2, 'Devoluciones v2'],
        [1, 'Devoluciones v1'],
      ],
    )

    // Discarding a draft.
    await ok(
      ws.api.put(`/v1/kb/articles/${id}/translations/es`, { title: 'Borrador', body: 'Descartable.' }),
      200,
    )
    t.equal((await ws.api.delete(`/v1/kb/articles/${id}/translations/es/draft`)).status, 204)
    t.match((await asStaff('es')).translation, { title: 'Devoluciones v1', draft: null, publishedVersion: 3 })
    t.equal((await ws.api.delete(`/v1/kb/articles/${id}/translations/es/draft`)).status, 409, 'no draft left')
    await ok(
      ws.api.put(`/v1/kb/articles/${id}/translations/fr`, { title: 'Retours', body: 'Brouillon.' }),
      200,
    )
    t.equal((await ok(ws.api.get(`/v1/kb/articles/${id}/translations/fr`), 200)).state, 'draft')
    t.equal((await ws.api.delete(`/v1/kb/articles/${id}/translations/fr/draft`)).status, 204)
    t.equal(
      (await ws.api.get(`/v1/kb/articles/${id}/translations/fr`)).status,
      404,
      'a translation never published goes with its draft',
    )

    // Deleting translations: never the source.
    const source = await ws.api.delete(`/v1/kb/articles/${id}/translations/es`)
    t.equal(source.status, 409, source.text)
    t.equal((await ws.api.delete(`/v1/kb/articles/${id}/translations/en`)).status, 204)
    t.equal((await ws.api.get(`/v1/kb/articles/${id}/translations/en`)).status, 404)
    t.strictSame(
      (await ok(ws.api.get(`/v1/kb/articles/${id}/versions?locale=en`), 200)).data,
      [],
      'with its versions',
    )
    t.equal((await ws.api.delete(`/v1/kb/articles/${id}/translations/en`)).status, 404)
    t.strictSame(
      (await asStaff('es')).translations.map((tr: { locale: string }) => tr.locale),
      ['es'],
    )

    // If-Match against the article's ETag.
    const read = await ws.api.get(`/v1/kb/articles/${id}`)
    const stale = String(read.headers.etag)
    t.equal(stale, `"${read.body.version}"`)
    await ok(ws.api.put(`/v1/kb/articles/${id}/translations/es`, { title: 'Otro borrador', body: 'x' }), 200)
    const refused = await ws.api.patch(`/v1/kb/articles/${id}`, { tags: ['late'] }, { 'if-match': stale })
    t.equal(refused.status, 412, refused.text)
    t.equal(refused.body.code, 'precondition_failed')
    const current = await ws.api.get(`/v1/kb/articles/${id}`)
    t.strictSame(current.body.tags, [], 'the refused change was not made')
    t.not(current.headers.etag, stale)
    const accepted = await ws.api.patch(
      `/v1/kb/articles/${id}`,
      { tags: ['returns'] },
      { 'if-match': String(current.headers.etag) },
    )
    t.equal(accepted.status, 200, accepted.text)
    t.strictSame(accepted.body.tags, ['returns'])
    t.equal(accepted.headers.etag, `"${current.body.version + 1}"`)
  },
)

t.test('archive, list filters, and which translation a reader gets', async (t) => {
  const ws = await ctx.createWorkspace()
  const customer = contactOf(ws)
  const root = await category(ws, 'root')
  const child = await category(ws, 'child', { parentId: root.id })
  const other = await category(ws, 'other')
  const a1 = await ok(
    ws.api.post('/v1/kb/articles', {
      categoryId: root.id,
      visibility: 'public',
      tags: ['billing'],
      position: 1,
      publish: true,
      translations: [
        { locale: 'en', title: 'Invoices', body: 'About invoices.' },
        { locale: 'es', title: 'Facturas', body: 'Sobre facturas.' },
      ],
    }),
  )
  const a2 = await article(ws, child.id, 'contacts', 'Tracking parcels', { tags: ['shipping'], position: 2 })
  const a3 = await article(ws, other.id, 'internal', 'Chargebacks', { tags: ['billing', 'vip'], position: 3 })
  const a4 = await article(ws, other.id, 'public', 'Gift cards', { position: 4, publish: false })
  const a5 = await ok(
    ws.api.post('/v1/kb/articles', {
      categoryId: child.id,
      visibility: 'public',
      position: 5,
      publish: true,
      translations: [{ locale: 'es', title: 'Envíos antiguos', body: 'Ya no aplica.' }],
    }),
  )

  // Archive.
  t.equal((await customer.get(`/v1/kb/articles/${a5.id}`)).status, 200, 'published: a contact reads it')
  const archived = await ok(ws.api.patch(`/v1/kb/articles/${a5.id}`, { archived: true }), 200)
  t.ok(archived.archivedAt, 'archivedAt is set')
  t.equal((await customer.get(`/v1/kb/articles/${a5.id}`)).status, 404, 'archived: hidden from contacts')
  t.equal((await ctx.anonymous.get(`${pub(ws)}/articles/${a5.id}`)).status, 404, 'and from the public')
  t.equal((await ctx.anonymous.get(`${pub(ws)}/articles/envios-antiguos?locale=es`)).status, 404)
  t.equal((await customer.get(`/v1/kb/articles/${a5.id}/translations/es`)).status, 404)
  t.ok((await ok(ws.api.get(`/v1/kb/articles/${a5.id}`), 200)).archivedAt, 'staff still read it')
  const unarchived = await ok(ws.api.patch(`/v1/kb/articles/${a5.id}`, { archived: false }), 200)
  t.equal(unarchived.archivedAt, null)
  t.equal((await customer.get(`/v1/kb/articles/${a5.id}`)).status, 200, 'back for contacts')
  await ok(ws.api.patch(`/v1/kb/articles/${a5.id}`, { archived: true }), 200)

  // Filters (staff).
  const staff = (query: string) => listIds(ws.api, `/v1/kb/articles${query}`)
  t.strictSame(await staff(''), ids([a1, a2, a3, a4, a5]), 'staff: everything, archived too, by position')
  t.strictSame(
    await staff(`?category=${root.id}`),
    ids([a1, a2, a5]),
    'a category includes its subcategories',
  )
  t.strictSame(await staff(`?category=${child.id}`), ids([a2, a5]))
  t.equal((await ws.api.get(`/v1/kb/articles?category=${UNKNOWN_ID}`)).status, 400)
  t.strictSame(await staff('?tag=billing'), ids([a1, a3]))
  t.strictSame(await staff('?tag=billing,shipping'), ids([a1, a2, a3]), 'any of the tags')
  t.strictSame(await staff('?tag=vip'), ids([a3]))
  t.strictSame(await staff('?locale=es'), ids([a1, a5]))
  t.strictSame(await staff('?visibility=internal'), ids([a3]))
  t.strictSame(await staff('?visibility=public'), ids([a1, a4, a5]))
  t.strictSame(await staff('?visibility=contacts,internal'), ids([a2, a3]))
  t.strictSame(await staff('?state=draft'), ids([a4]))
  t.strictSame(await staff('?state=published'), ids([a1, a2, a3]), 'published and not archived')
  t.strictSame(await staff('?state=archived'), ids([a5]))
  t.strictSame(await staff('?state=published&locale=es'), ids([a1]))
  t.strictSame(await staff(`?category=${root.id}&tag=billing&visibility=public`), ids([a1]))
  t.strictSame(
    (await pages(ws.api, '/v1/kb/articles', 2)).map(ids),
    [ids([a1, a2]), ids([a3, a4]), ids([a5])],
    'pages in position order',
  )

  // Customers.
  t.strictSame(await listIds(customer, '/v1/kb/articles'), ids([a1, a2]))
  t.strictSame(await listIds(customer, '/v1/kb/articles?visibility=internal'), [])
  t.strictSame(await listIds(customer, '/v1/kb/articles?tag=billing'), ids([a1]))
  t.strictSame(await listIds(customer, `/v1/kb/articles?category=${child.id}`), ids([a2]))
  t.equal((await customer.get('/v1/kb/articles?state=draft')).status, 403)
  t.equal((await customer.get('/v1/kb/articles?state=archived')).status, 403)
  t.strictSame(await listIds(ctx.anonymous, `${pub(ws)}/articles`), ids([a1]))

  // Which translation: the one asked for, else the workspace default, else the source.
  const multi = await ok(
    ws.api.post('/v1/kb/articles', {
      categoryId: other.id,
      visibility: 'public',
      publish: true,
      translations: [
        { locale: 'es', title: 'Horario', body: 'Abrimos a las 9.' },
        { locale: 'en', title: 'Opening hours', body: 'We open at 9.' },
        { locale: 'fr', title: 'Horaires', body: 'Nous ouvrons à 9h.' },
      ],
    }),
  )
  const sourceOnly = await ok(
    ws.api.post('/v1/kb/articles', {
      categoryId: other.id,
      visibility: 'public',
      publish: true,
      translations: [
        { locale: 'es', title: 'Garantía', body: 'Dos años.' },
        { locale: 'pt-BR', title: 'Garantia', body: 'Dois anos.' },
      ],
    }),
  )
  const localeOf = async (client: Client, base: string, articleId: string, query = '') =>
    (await ok(client.get(`${base}/articles/${articleId}${query}`), 200)).translation.locale
  t.equal(await localeOf(ws.api, '/v1/kb', multi.id, '?locale=fr'), 'fr', 'the locale asked for')
  t.equal(await localeOf(ws.api, '/v1/kb', multi.id, '?locale=de'), 'en', "else the workspace's default (en)")
  t.equal(await localeOf(ws.api, '/v1/kb', multi.id), 'en', 'no locale: the default')
  t.equal(await localeOf(customer, '/v1/kb', multi.id, '?locale=de'), 'en')
  t.equal(await localeOf(ctx.anonymous, pub(ws), multi.id, '?locale=de'), 'en')
  t.equal(await localeOf(ws.api, '/v1/kb', sourceOnly.id, '?locale=de'), 'es', 'else the source locale')
  t.equal(
    await localeOf(ws.api, '/v1/kb', sourceOnly.id, '?locale=pt-br'),
    'pt-BR',
    'the query locale is canonicalised',
  )
  const list = (await ok(ws.api.get('/v1/kb/articles?locale=fr&limit=100'), 200)).data
  t.strictSame(
    list.map((a: { translation: { locale: string } }) => a.translation.locale),
    ['fr'],
    'a list in a locale gives that translation',
  )

  const patched = await ok(ws.api.patch('/v1/workspace', { defaultLocale: 'FR' }), 200)
  t.equal(patched.defaultLocale, 'fr')
  t.equal(await localeOf(ws.api, '/v1/kb', multi.id, '?locale=de'), 'fr', 'the new default')
  t.equal(await localeOf(customer, '/v1/kb', multi.id), 'fr')
  t.equal(await localeOf(ctx.anonymous, pub(ws), multi.id, '?locale=it'), 'fr')
  t.equal(await localeOf(ws.api, '/v1/kb', sourceOnly.id, '?locale=de'), 'es', 'no fr text: the source')

  // A contact only ever gets published translations, even the one asked for.
  await ok(
    ws.api.put(`/v1/kb/articles/${sourceOnly.id}/translations/de`, {
      title: 'Garantie',
      body: 'Zwei Jahre.',
    }),
    200,
  )
  const contactView = await ok(customer.get(`/v1/kb/articles/${sourceOnly.id}?locale=de`), 200)
  t.equal(contactView.translation.locale, 'es', 'a draft-only de translation is not theirs')
  t.strictSame(
    contactView.translations.map((tr: { locale: string }) => tr.locale),
    ['es', 'pt-BR'],
  )
  t.equal(
    (await ok(ws.api.get(`/v1/kb/articles/${sourceOnly.id}?locale=de`), 200)).translation.locale,
    'de',
    'staff get it',
  )
})

t.test(
  'permissions: viewers read, agents write and publish, contacts read what is published for them',
  async (t) => {
    const ws = await ctx.createWorkspace()
    const viewer = await ctx.agent(ws, 'viewer')
    const agent = await ctx.agent(ws, 'agent')
    const customer = contactOf(ws)
    const cat = await category(ws, 'faq')
    const existing = await article(ws, cat.id, 'public', 'Opening hours')
    const before = await ok(ws.api.get(`/v1/kb/articles/${existing.id}`), 200)

    t.equal((await viewer.api.get('/v1/kb/articles')).status, 200)
    t.equal((await viewer.api.get(`/v1/kb/articles/${existing.id}`)).status, 200)
    t.equal((await viewer.api.get(`/v1/kb/articles/${existing.id}/versions`)).status, 200)
    t.equal((await viewer.api.get('/v1/kb/categories')).status, 200)
    const viewerWrites: [string, Promise<Response>][] = [
      [
        'create a category',
        viewer.api.post('/v1/kb/categories', { translations: [{ locale: 'en', name: 'V', slug: 'v' }] }),
      ],
      ['change a category', viewer.api.patch(`/v1/kb/categories/${cat.id}`, { position: 3 })],
      ['delete a category', viewer.api.delete(`/v1/kb/categories/${cat.id}`)],
      [
        'create an article',
        viewer.api.post('/v1/kb/articles', {
          categoryId: cat.id,
          visibility: 'public',
          translations: [{ locale: 'en', title: 'By a viewer', body: 'x' }],
        }),
      ],
      [
        'write a draft',
        viewer.api.put(`/v1/kb/articles/${existing.id}/translations/en`, { title: 'V', body: 'v' }),
      ],
      ['publish', viewer.api.post(`/v1/kb/articles/${existing.id}/translations/en/publish`)],
      ['change an article', viewer.api.patch(`/v1/kb/articles/${existing.id}`, { tags: ['v'] })],
      ['archive', viewer.api.patch(`/v1/kb/articles/${existing.id}`, { archived: true })],
      ['delete an article', viewer.api.delete(`/v1/kb/articles/${existing.id}`)],
      [
        'restore a version',
        viewer.api.post(`/v1/kb/articles/${existing.id}/translations/en/versions/1/restore`),
      ],
    ]
    for (const [what, res] of viewerWrites) t.equal((await res).status, 403, `a viewer may not ${what}`)
    t.strictSame(
      await ok(ws.api.get(`/v1/kb/articles/${existing.id}`), 200),
      before,
      'the article is as it was',
    )

    const written = await ok(
      agent.api.post('/v1/kb/articles', {
        categoryId: cat.id,
        visibility: 'contacts',
        translations: [{ locale: 'en', title: 'Members area', body: 'Sign in first.' }],
      }),
    )
    t.equal(written.authorId, agent.id, 'the agent is the author')
    const agentPublished = await ok(
      agent.api.post(`/v1/kb/articles/${written.id}/translations/en/publish`),
      200,
    )
    t.equal(agentPublished.state, 'published')
    t.equal(
      (
        await ok(
          agent.api.post('/v1/kb/categories', {
            translations: [{ locale: 'en', name: 'A', slug: 'by-agent' }],
          }),
        )
      ).parentId,
      null,
    )
    t.match((await ok(ws.api.get(`/v1/kb/articles/${written.id}/versions`), 200)).data, [
      { version: 1, publishedBy: { kind: 'agent', id: agent.id } },
    ])
    await ok(
      agent.api.put(`/v1/kb/articles/${written.id}/translations/en`, {
        title: 'Members area',
        body: 'Unpublished.',
      }),
      200,
    )

    t.equal(
      (await customer.post('/v1/kb/articles', { categoryId: cat.id, visibility: 'public', translations: [] }))
        .status,
      403,
      'a contact may not create articles',
    )
    t.equal(
      (await customer.post('/v1/kb/categories', { translations: [{ locale: 'en', name: 'C', slug: 'c' }] }))
        .status,
      403,
    )
    t.equal((await customer.get(`/v1/kb/articles/${written.id}/versions`)).status, 403, 'nor read versions')
    t.equal(
      (await customer.put(`/v1/kb/articles/${written.id}/translations/en`, { title: 'C', body: 'c' })).status,
      403,
    )
    t.equal((await customer.post(`/v1/kb/articles/${written.id}/translations/en/publish`)).status, 403)
    t.equal((await customer.get('/v1/reports/kb')).status, 403)

    const seen = await ok(customer.get(`/v1/kb/articles/${written.id}`), 200)
    t.match(seen, {
      authorId: null,
      ticketId: null,
      viewCount: null,
      helpfulCount: null,
      notHelpfulCount: null,
      translations: [{ locale: 'en', hasDraft: false, outdated: false }],
      translation: { title: 'Members area', body: 'Sign in first.', draft: null },
    })
    t.equal((await ok(customer.get(`/v1/kb/articles/${written.id}/translations/en`), 200)).draft, null)
    const listed = (await ok(customer.get('/v1/kb/articles?locale=en'), 200)).data
    t.ok(listed.length === 2 && listed.every((a: any) => a.translation.draft === null && a.authorId === null))
    t.notOk(JSON.stringify(listed).includes('Unpublished.'), 'no draft text anywhere in what a contact gets')
    t.match((await ok(ws.api.get(`/v1/kb/articles/${written.id}`), 200)).translation.draft, {
      body: 'Unpublished.',
    })
    t.equal((await ctx.anonymous.get('/v1/kb/articles')).status, 401, 'the workspace API needs a token')
  },
)

t.test('a draft from a ticket leaves internal notes out; articles linked to tickets', async (t) => {
  const ws = await ctx.createWorkspace()
  const customer = contactOf(ws, 'lucia')
  const stranger = contactOf(ws, 'marco')
  const cat = await category(ws, 'delivery')
  const ticket = await ok(
    customer.post('/v1/tickets', {
      subject: 'Mi pedido A-1093 no llegó',
      message: { body: 'Pedí hace una semana y no ha llegado nada.' },
    }),
  )
  await ok(
    ws.api.post(`/v1/tickets/${ticket.id}/messages`, { body: 'Lo reenviamos hoy: llegará el jueves.' }),
  )
  await ok(
    ws.api.post(`/v1/tickets/${ticket.id}/messages`, {
      body: 'NOTA-INTERNA: cliente marcado por riesgo de fraude',
      visibility: 'internal',
    }),
  )
  await ok(customer.post(`/v1/tickets/${ticket.id}/messages`, { body: '¿Tendré número de seguimiento?' }))

  const res = await ws.api.post('/v1/kb/articles/from-ticket', {
    ticket: String(ticket.number),
    categoryId: cat.id,
    locale: 'es',
  })
  t.equal(res.status, 201, res.text)
  const drafted = res.body
  t.equal(res.headers.location, `/v1/kb/articles/${drafted.id}`)
  t.match(drafted, { visibility: 'internal', ticketId: ticket.id, sourceLocale: 'es', categoryId: cat.id })
  t.match(drafted.translation, {
    locale: 'es',
    state: 'draft',
    draft: { title: 'Mi pedido A-1093 no llegó' },
  })
  const draftBody: string = drafted.translation.draft.body
  t.match(draftBody, /Pedí hace una semana y no ha llegado nada\./, "the customer's question")
  t.match(draftBody, /¿Tendré número de seguimiento\?/, 'and their follow-up')
  t.match(draftBody, /Lo reenviamos hoy: llegará el jueves\./, 'the public reply')
  t.ok(draftBody.indexOf('Pedí hace') < draftBody.indexOf('Lo reenviamos'), 'question before answer')
  t.notMatch(res.text, /NOTA-INTERNA|riesgo de fraude/, 'never the internal note')
  const stored = await ok(ws.api.get(`/v1/kb/articles/${drafted.id}?locale=es`), 200)
  t.notMatch(JSON.stringify(stored), /NOTA-INTERNA/)
  t.strictSame(await linkedIds(ws.api, ticket.id), [drafted.id], 'linked to the ticket')
  const titled = await ok(
    ws.api.post('/v1/kb/articles/from-ticket', {
      ticket: ticket.id,
      categoryId: cat.id,
      locale: 'en',
      visibility: 'public',
      title: 'Late deliveries',
    }),
  )
  t.match(titled, {
    visibility: 'public',
    translation: { locale: 'en', draft: { title: 'Late deliveries' } },
  })
  t.equal(
    (await ws.api.post('/v1/kb/articles/from-ticket', { ticket: '99999', categoryId: cat.id, locale: 'es' }))
      .status,
    400,
    'an unknown ticket',
  )
  t.equal(
    (
      await customer.post('/v1/kb/articles/from-ticket', {
        ticket: ticket.id,
        categoryId: cat.id,
        locale: 'es',
      })
    ).status,
    403,
  )

  // Links.
  const shown = await article(ws, cat.id, 'public', 'Where is my parcel')
  const members = await article(ws, cat.id, 'contacts', 'Priority delivery for members')
  const internal = await article(ws, cat.id, 'internal', 'Carrier escalation contacts')
  const unpublished = await article(ws, cat.id, 'public', 'New carrier', { publish: false })
  const link = (articleId: string) => ws.api.post(`/v1/tickets/${ticket.id}/articles`, { articleId })
  const first = await link(shown.id)
  t.equal(first.status, 201, first.text)
  t.ok(ids(first.body.data).includes(shown.id))
  const again = await link(shown.id)
  t.equal(again.status, 200, 'linking again changes nothing')
  t.strictSame(ids(again.body.data), ids(first.body.data))
  for (const a of [members, internal, unpublished]) t.equal((await link(a.id)).status, 201)
  t.strictSame(
    await linkedIds(ws.api, ticket.id),
    [drafted.id, titled.id, shown.id, members.id, internal.id, unpublished.id],
    'staff: every linked article, in link order',
  )
  t.strictSame(
    await linkedIds(customer, ticket.id),
    [shown.id, members.id],
    'the customer: published public and contacts articles only',
  )
  const customerLinks = await ok(customer.get(`/v1/tickets/${ticket.id}/articles`), 200)
  t.ok(customerLinks.data.every((a: any) => a.authorId === null && a.translation.draft === null))
  t.equal((await stranger.get(`/v1/tickets/${ticket.id}/articles`)).status, 404, "another customer's ticket")
  t.equal((await customer.post(`/v1/tickets/${ticket.id}/articles`, { articleId: internal.id })).status, 403)
  t.equal((await customer.delete(`/v1/tickets/${ticket.id}/articles/${shown.id}`)).status, 403)
  t.equal((await link(UNKNOWN_ID)).status, 400, 'an unknown article')
  t.equal(
    (await ws.api.post('/v1/tickets/99999/articles', { articleId: shown.id })).status,
    404,
    'an unknown ticket',
  )

  t.equal((await ws.api.delete(`/v1/tickets/${ticket.id}/articles/${shown.id}`)).status, 204)
  t.equal(
    (await ws.api.delete(`/v1/tickets/${ticket.id}/articles/${shown.id}`)).status,
    404,
    'no longer linked',
  )
  t.notOk((await linkedIds(ws.api, ticket.id)).includes(shown.id))
  await ok(ws.api.patch(`/v1/kb/articles/${members.id}`, { archived: true }), 200)
  t.strictSame(await linkedIds(customer, ticket.id), [], 'archived: gone for the customer')
  t.equal((await linkedIds(ws.api, ticket.id)).length, 5, 'not for staff')
})

t.test('feedback: one vote per contact or session, counts follow the latest vote', async (t) => {
  const ws = await ctx.createWorkspace()
  const customer = contactOf(ws)
  const cat = await category(ws, 'help')
  const open = await article(ws, cat.id, 'public', 'Changing your address')
  const members = await article(ws, cat.id, 'contacts', 'Member returns')
  const internal = await article(ws, cat.id, 'internal', 'Address fraud')
  const counts = async (id: string) => {
    const a = await ok(ws.api.get(`/v1/kb/articles/${id}`), 200)
    return [a.helpfulCount, a.notHelpfulCount]
  }

  const vote = await customer.post(`/v1/kb/articles/${open.id}/feedback`, { helpful: true, comment: 'Clear' })
  t.equal(vote.status, 201, vote.text)
  t.match(vote.body, { articleId: open.id, helpful: true, comment: 'Clear', created: true })
  t.strictSame(await counts(open.id), [1, 0])
  const changed = await customer.post(`/v1/kb/articles/${open.id}/feedback`, { helpful: false })
  t.equal(changed.status, 200, 'a second vote replaces the first')
  t.match(changed.body, { helpful: false, comment: null, created: false })
  t.strictSame(await counts(open.id), [0, 1], 'still one vote')
  t.equal((await customer.post(`/v1/kb/articles/${open.id}/feedback`, { helpful: false })).status, 200)
  t.strictSame(await counts(open.id), [0, 1], 'the same vote again changes nothing')
  t.equal((await customer.post(`/v1/kb/articles/${members.id}/feedback`, { helpful: true })).status, 201)
  t.equal((await customer.post(`/v1/kb/articles/${internal.id}/feedback`, { helpful: true })).status, 404)

  const publicVote = (id: string, body: Record<string, unknown>) =>
    ctx.anonymous.post(`${pub(ws)}/articles/${id}/feedback`, body)
  const noKey = await publicVote(open.id, { helpful: true })
  t.equal(noKey.status, 400, 'an anonymous vote needs a session key')
  t.match(noKey.body.errors, [{ path: '/sessionKey' }])
  t.equal((await publicVote(open.id, { helpful: true, sessionKey: 'short' })).status, 400)
  const sessionA = 'session-aaaaaaaaaaaaaaaa'
  const sessionB = 'session-bbbbbbbbbbbbbbbb'
  t.equal((await publicVote(open.id, { helpful: true, sessionKey: sessionA })).status, 201)
  t.strictSame(await counts(open.id), [1, 1])
  t.equal(
    (await publicVote(open.id, { helpful: true, sessionKey: sessionA })).status,
    200,
    'once per session key',
  )
  t.strictSame(await counts(open.id), [1, 1])
  t.equal(
    (await publicVote(open.id, { helpful: false, sessionKey: sessionB })).status,
    201,
    'another session',
  )
  t.strictSame(await counts(open.id), [1, 2])
  t.equal((await publicVote(open.id, { helpful: false, sessionKey: sessionA })).status, 200)
  t.strictSame(await counts(open.id), [0, 3], "session A's vote changed sides")
  t.equal((await publicVote(internal.id, { helpful: false, sessionKey: sessionA })).status, 404, 'internal')
  t.equal(
    (await publicVote(members.id, { helpful: false, sessionKey: sessionA })).status,
    404,
    'contacts-only',
  )
  t.strictSame(await counts(internal.id), [0, 0])
  t.strictSame(await counts(members.id), [1, 0])
  t.equal(
    (await ws.api.post(`/v1/kb/articles/${open.id}/feedback`, { helpful: true })).status,
    400,
    'a server relaying a vote names the session',
  )
})

t.test('views count customer reads; the report ranks views, helpfulness and deflection', async (t) => {
  const ws = await ctx.createWorkspace()
  const customer = contactOf(ws, 'ana')
  const other = contactOf(ws, 'bea')
  const cat = await category(ws, 'account')
  const refund = await article(ws, cat.id, 'public', 'Refund policy explained')
  const members = await article(ws, cat.id, 'contacts', 'Shipping times for members')
  const password = await article(ws, cat.id, 'public', 'Password reset')
  const views = async (id: string) => (await ok(ws.api.get(`/v1/kb/articles/${id}`), 200)).viewCount

  for (let i = 0; i < 2; i++) await ok(ws.api.get(`/v1/kb/articles/${refund.id}`), 200)
  t.equal(await views(refund.id), 0, 'staff reads are not counted')
  for (let i = 0; i < 3; i++) await ok(ctx.anonymous.get(`${pub(ws)}/articles/refund-policy-explained`), 200)
  await ok(customer.get(`/v1/kb/articles/${refund.id}`), 200)
  for (let i = 0; i < 2; i++) await ok(customer.get(`/v1/kb/articles/${members.id}`), 200)
  t.equal((await ctx.anonymous.get(`${pub(ws)}/articles/${members.id}`)).status, 404)
  await ok(customer.get(`/v1/kb/articles/${password.id}/translations/en`), 200)
  t.equal(await views(refund.id), 4, 'three public reads and one by a contact')
  t.equal(await views(members.id), 2, 'a refused read is not a view')
  t.equal(await views(password.id), 1, 'a read of one translation counts')

  const session = (n: number) => `report-session-${n}-0123456789`
  await ok(customer.post(`/v1/kb/articles/${refund.id}/feedback`, { helpful: true }))
  await ok(
    ctx.anonymous.post(`${pub(ws)}/articles/${refund.id}/feedback`, {
      helpful: true,
      sessionKey: session(1),
    }),
  )
  await ok(
    ctx.anonymous.post(`${pub(ws)}/articles/${refund.id}/feedback`, {
      helpful: false,
      sessionKey: session(2),
    }),
  )
  await ok(customer.post(`/v1/kb/articles/${members.id}/feedback`, { helpful: false }))
  await ok(other.post(`/v1/kb/articles/${members.id}/feedback`, { helpful: false }))
  await ok(customer.post(`/v1/kb/articles/${password.id}/feedback`, { helpful: true }))

  // Deflection: four suggestion lists; two led to an article, one to a ticket anyway.
  const suggest = (client: Client, base = '/v1/kb') =>
    ok(
      client.post(`${base}/suggestions`, {
        subject: 'I want a refund',
        body: 'Refund my order',
        locale: 'en',
      }),
      200,
    )
  const s1 = await suggest(ws.api)
  const s2 = await suggest(customer)
  const s3 = await suggest(ws.api)
  const s4 = await suggest(ctx.anonymous, pub(ws))
  for (const s of [s1, s2, s3, s4])
    t.ok(
      s.data.some((h: any) => h.articleId === refund.id),
      'suggested',
    )
  const outcome = (client: Client, id: string, body: Record<string, unknown>, base = '/v1/kb') =>
    client.post(`${base}/suggestions/${id}/outcomes`, body)
  t.equal((await outcome(ws.api, s1.id, { outcome: 'article_opened', articleId: refund.id })).status, 204)
  t.equal((await outcome(ws.api, s1.id, { outcome: 'article_opened', articleId: refund.id })).status, 204)
  t.equal(
    (await outcome(ctx.anonymous, s4.id, { outcome: 'article_opened', articleId: refund.id }, pub(ws)))
      .status,
    204,
  )
  const ticket = await ok(
    customer.post('/v1/tickets', { subject: 'Refund please', message: { body: 'Order A-1' } }),
  )
  t.equal((await outcome(customer, s2.id, { outcome: 'ticket_created', ticketId: ticket.id })).status, 204)
  t.equal((await outcome(ws.api, s3.id, { outcome: 'article_opened' })).status, 400, 'which article')
  t.equal(
    (await outcome(ws.api, s3.id, { outcome: 'article_opened', articleId: members.id })).status,
    400,
    'an article that was not suggested',
  )
  t.equal((await outcome(ws.api, s3.id, { outcome: 'ticket_created', ticketId: UNKNOWN_ID })).status, 400)
  t.equal(
    (await outcome(other, s4.id, { outcome: 'ticket_created', ticketId: ticket.id })).status,
    400,
    "another customer's ticket",
  )
  t.equal(
    (await outcome(other, s2.id, { outcome: 'article_opened', articleId: refund.id })).status,
    404,
    "another customer's suggestion",
  )
  t.equal(
    (await outcome(ws.api, UNKNOWN_ID, { outcome: 'article_opened', articleId: refund.id })).status,
    404,
  )

  const report = await ok(ws.api.get('/v1/reports/kb'), 200)
  t.strictSame(report.mostViewed, [
    { articleId: refund.id, title: 'Refund policy explained', views: 4 },
    { articleId: members.id, title: 'Shipping times for members', views: 2 },
    { articleId: password.id, title: 'Password reset', views: 1 },
  ])
  t.match(report.leastHelpful, [
    { articleId: members.id, helpful: 0, notHelpful: 2, helpfulRatio: 0 },
    { articleId: refund.id, title: 'Refund policy explained', helpful: 2, notHelpful: 1 },
    { articleId: password.id, helpful: 1, notHelpful: 0, helpfulRatio: 1 },
  ])
  t.equal(report.leastHelpful.length, 3)
  t.ok(Math.abs(report.leastHelpful[1].helpfulRatio - 2 / 3) < 1e-9)
  t.strictSame(report.deflection, {
    suggestionsShown: 4,
    articlesOpened: 2,
    ticketsCreated: 1,
    deflectionRate: 0.75,
  })
  const top = await ok(ws.api.get('/v1/reports/kb?limit=1'), 200)
  t.strictSame(
    top.mostViewed.map((r: { articleId: string }) => r.articleId),
    [refund.id],
  )
  const past = await ok(
    ws.api.get('/v1/reports/kb?from=2020-01-01T00:00:00.000Z&to=2020-02-01T00:00:00.000Z'),
    200,
  )
  t.strictSame(
    [past.mostViewed, past.leastHelpful, past.deflection.suggestionsShown],
    [[], [], 0],
    'another period',
  )
})

t.test(
  'the public read API: ETag and 304, Cache-Control, what is not public, CORS per workspace',
  async (t) => {
    const ws = await ctx.createWorkspace()
    const otherWs = await ctx.createWorkspace()
    const cat = await category(ws, 'public-help')
    const open = await article(ws, cat.id, 'public', 'Store opening hours')
    const internal = await article(ws, cat.id, 'internal', 'Store alarm codes')
    const members = await article(ws, cat.id, 'contacts', 'Member hours')
    const url = `${pub(ws)}/articles/store-opening-hours`

    const first = await ctx.anonymous.get(url)
    t.equal(first.status, 200, first.text)
    t.equal(first.body.id, open.id)
    t.match(first.body, { viewCount: null, authorId: null, translation: { draft: null } })
    const tag = String(first.headers.etag)
    t.match(tag, /^"[^"]+"$/, 'a strong ETag')
    t.match(String(first.headers['cache-control']), /\bpublic\b/)
    const cached = await ctx.anonymous.get(url, { 'if-none-match': tag })
    t.equal(cached.status, 304)
    t.equal(cached.text, '', 'no body')
    t.equal(
      (await ctx.anonymous.get(url, { 'if-none-match': `"other", W/${tag}` })).status,
      304,
      'a list, weak form',
    )
    t.equal((await ctx.anonymous.get(url, { 'if-none-match': '"other"' })).status, 200)
    const byId = await ctx.anonymous.get(`${pub(ws)}/articles/${open.id}`)
    t.equal(byId.status, 200)
    t.ok(byId.headers.etag)
    const categories = await ctx.anonymous.get(`${pub(ws)}/categories`)
    t.ok(categories.headers.etag, 'lists carry an ETag too')
    t.equal(
      (await ctx.anonymous.get(`${pub(ws)}/categories`, { 'if-none-match': String(categories.headers.etag) }))
        .status,
      304,
    )

    await ok(
      ws.api.put(`/v1/kb/articles/${open.id}/translations/en`, {
        title: 'Store hours',
        body: 'New hours.',
        publish: true,
      }),
      200,
    )
    const changed = await ctx.anonymous.get(url, { 'if-none-match': tag })
    t.equal(changed.status, 200, 'a changed article is sent again')
    t.equal(changed.body.translation.body, 'New hours.')
    t.not(changed.headers.etag, tag)

    const unknown = await ctx.anonymous.get(
      '/v1/public/no-such-workspace-anywhere/kb/articles/store-opening-hours',
    )
    t.equal(unknown.status, 404)
    t.match(String(unknown.headers['content-type']), /application\/problem\+json/)
    t.equal(unknown.body.code, 'not_found')
    t.notOk(unknown.headers.etag)
    for (const [what, hidden] of [
      ['internal', internal],
      ['contacts-only', members],
    ]) {
      t.equal((await ctx.anonymous.get(`${pub(ws)}/articles/${hidden.id}`)).status, 404, `${what} by id`)
      t.equal(
        (await ctx.anonymous.get(`${pub(ws)}/articles/${hidden.translations[0].slug}`)).status,
        404,
        `${what} by slug`,
      )
    }
    t.strictSame(await listIds(ctx.anonymous, `${pub(ws)}/articles`), [open.id])
    t.equal(
      (await ctx.anonymous.get(`${pub(ws)}/articles/${open.id}`, { authorization: `Bearer ${ws.apiKey}` }))
        .body.viewCount,
      null,
      'the public API is public whatever token comes along',
    )
    t.equal(
      (
        await ctx.anonymous.get(`${pub(ws)}/articles/${internal.id}`, {
          authorization: `Bearer ${ws.apiKey}`,
        })
      ).status,
      404,
    )

    // CORS: the workspace's own origins only.
    await ok(ws.api.patch('/v1/workspace', { allowedOrigins: ['https://shop.example'] }), 200)
    await ok(otherWs.api.patch('/v1/workspace', { allowedOrigins: ['https://other.example'] }), 200)
    const fromShop = await ctx.anonymous.get(url, { origin: 'https://shop.example' })
    t.equal(fromShop.status, 200)
    t.equal(fromShop.headers['access-control-allow-origin'], 'https://shop.example')
    const fromOther = await ctx.anonymous.get(url, { origin: 'https://other.example' })
    t.equal(fromOther.status, 200)
    t.notOk(fromOther.headers['access-control-allow-origin'], "another workspace's origin gets no CORS grant")
    t.notOk(fromOther.headers['access-control-allow-credentials'])
    const fromNowhere = await ctx.anonymous.get(url, { origin: 'https://evil.example' })
    t.notOk(fromNowhere.headers['access-control-allow-origin'])
    const otherKb = await ctx.anonymous.get(`${pub(otherWs)}/categories`, { origin: 'https://shop.example' })
    t.equal(otherKb.status, 200)
    t.notOk(otherKb.headers['access-control-allow-origin'], "the shop's origin is not the other workspace's")
    t.equal(
      (await ctx.anonymous.get(`${pub(otherWs)}/categories`, { origin: 'https://other.example' })).headers[
        'access-control-allow-origin'
      ],
      'https://other.example',
    )
    const missing = await ctx.anonymous.get('/v1/public/no-such-workspace-anywhere/kb/categories', {
      origin: 'https://shop.example',
    })
    t.equal(missing.status, 404)
    t.notOk(missing.headers['access-control-allow-origin'], 'an unknown workspace grants nothing')
  },
)

t.test('isolation: workspace B can never read, change, publish, vote on, link or list A', async (t) => {
  const A = await ctx.createWorkspace()
  const B = await ctx.createWorkspace()
  const catA = await category(A, 'a-secrets')
  const artA = await ok(
    A.api.post('/v1/kb/articles', {
      categoryId: catA.id,
      visibility: 'public',
      tags: ['tag-of-a'],
      publish: true,
      translations: [
        { locale: 'en', title: 'Secret of A', body: 'Body only A may change.', slug: 'secret-of-a' },
        { locale: 'es', title: 'Secreto de A', body: 'Cuerpo de A.', slug: 'secreto-de-a' },
      ],
    }),
  )
  await ok(
    A.api.put(`/v1/kb/articles/${artA.id}/translations/es`, { title: 'Borrador de A', body: 'Pendiente.' }),
    200,
  )
  const ticketA = await ok(A.api.post('/v1/tickets', ticketBody()))
  await ok(A.api.post(`/v1/tickets/${ticketA.id}/articles`, { articleId: artA.id }))
  const suggestionA = await ok(A.api.post('/v1/kb/suggestions', { subject: 'secret', locale: 'en' }), 200)
  // Controls: A's own callers do reach all of this.
  t.equal((await ctx.anonymous.get(`${pub(A)}/articles/secret-of-a`)).status, 200)
  t.equal((await A.api.get(`/v1/kb/categories/a-secrets`)).status, 200)

  const catB = await category(B, 'b-help')
  const artB = await article(B, catB.id, 'public', 'B article')
  const agentB = await ctx.agent(B, 'agent')
  const contactB = contactOf(B)
  const ticketB = await ok(contactB.post('/v1/tickets', { subject: 'B question', message: { body: 'Hi' } }))
  // An anonymous one (B's help form): B's staff and B's contacts may each say what came of it.
  const suggestionB = await ok(
    ctx.anonymous.post(`/v1/public/${B.slug}/kb/suggestions`, { subject: 'article', locale: 'en' }),
    200,
  )

  const snapshot = async () => {
    const report = await ok(A.api.get('/v1/reports/kb'), 200)
    return {
      article: await ok(A.api.get(`/v1/kb/articles/${artA.id}?locale=es`), 200),
      versions: await ok(A.api.get(`/v1/kb/articles/${artA.id}/versions`), 200),
      category: await ok(A.api.get(`/v1/kb/categories/${catA.id}`), 200),
      categories: await ok(A.api.get('/v1/kb/categories'), 200),
      articles: await ok(A.api.get('/v1/kb/articles'), 200),
      links: await ok(A.api.get(`/v1/tickets/${ticketA.id}/articles`), 200),
      report: [report.mostViewed, report.leastHelpful, report.deflection],
    }
  }
  const before = await snapshot()

  type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
  const send = (client: Client, method: Method, path: string, body?: unknown) =>
    method === 'GET'
      ? client.get(path)
      : method === 'DELETE'
        ? client.delete(path)
        : method === 'POST'
          ? client.post(path, body)
          : method === 'PATCH'
            ? client.patch(path, body)
            : client.put(path, body)
  const vote = { helpful: false, sessionKey: 'isolation-session-0123456789' }
  const a = `/v1/kb/articles/${artA.id}`
  // [what, method, path, body, status for B's API key and agent, for B's contact, for no token]
  const probes: [string, Method, string, unknown, number, number, number][] = [
    ["read A's article by id", 'GET', a, undefined, 404, 404, 401],
    ["read A's article by slug", 'GET', '/v1/kb/articles/secret-of-a', undefined, 404, 404, 401],
    ["read A's translation", 'GET', `${a}/translations/en`, undefined, 404, 404, 401],
    ["read A's versions", 'GET', `${a}/versions`, undefined, 404, 403, 401],
    ["read A's category by id", 'GET', `/v1/kb/categories/${catA.id}`, undefined, 404, 404, 401],
    ["read A's category by slug", 'GET', '/v1/kb/categories/a-secrets', undefined, 404, 404, 401],
    ['list articles', 'GET', '/v1/kb/articles?limit=100', undefined, 200, 200, 401],
    ["list articles with A's tag", 'GET', '/v1/kb/articles?tag=tag-of-a', undefined, 200, 200, 401],
    ["list articles in A's category", 'GET', `/v1/kb/articles?category=${catA.id}`, undefined, 400, 400, 401],
    ['list categories', 'GET', '/v1/kb/categories?limit=100', undefined, 200, 200, 401],
    ["list A's subcategories", 'GET', `/v1/kb/categories?parent=${catA.id}`, undefined, 200, 200, 401],
    ["change A's article", 'PATCH', a, { tags: ['taken'], archived: true }, 404, 403, 401],
    ["write A's draft", 'PUT', `${a}/translations/en`, { title: 'Taken', body: 'Taken.' }, 404, 403, 401],
    ["publish A's draft", 'POST', `${a}/translations/es/publish`, undefined, 404, 403, 401],
    ["discard A's draft", 'DELETE', `${a}/translations/es/draft`, undefined, 404, 403, 401],
    ["restore A's version", 'POST', `${a}/translations/en/versions/1/restore`, undefined, 404, 403, 401],
    ["delete A's translation", 'DELETE', `${a}/translations/es`, undefined, 404, 403, 401],
    ["delete A's article", 'DELETE', a, undefined, 404, 403, 401],
    ["vote on A's article", 'POST', `${a}/feedback`, vote, 404, 404, 401],
    ["change A's category", 'PATCH', `/v1/kb/categories/${catA.id}`, { position: 9 }, 404, 403, 401],
    ["delete A's category", 'DELETE', `/v1/kb/categories/${catA.id}`, undefined, 404, 403, 401],
    [
      "file an article in A's category",
      'POST',
      '/v1/kb/articles',
      {
        categoryId: catA.id,
        visibility: 'public',
        translations: [{ locale: 'en', title: 'In A', body: 'x' }],
      },
      400,
      403,
      401,
    ],
    [
      "nest a category under A's",
      'POST',
      '/v1/kb/categories',
      { parentId: catA.id, translations: [{ locale: 'en', name: 'In A', slug: 'in-a' }] },
      400,
      403,
      401,
    ],
    [
      "link A's article to B's ticket",
      'POST',
      `/v1/tickets/${ticketB.id}/articles`,
      { articleId: artA.id },
      400,
      403,
      401,
    ],
    [
      "link to A's ticket",
      'POST',
      `/v1/tickets/${ticketA.id}/articles`,
      { articleId: artB.id },
      404,
      403,
      401,
    ],
    ["list A's ticket's articles", 'GET', `/v1/tickets/${ticketA.id}/articles`, undefined, 404, 404, 401],
    [
      "unlink A's article",
      'DELETE',
      `/v1/tickets/${ticketA.id}/articles/${artA.id}`,
      undefined,
      404,
      403,
      401,
    ],
    [
      "draft from A's ticket",
      'POST',
      '/v1/kb/articles/from-ticket',
      { ticket: ticketA.id, categoryId: catB.id, locale: 'en' },
      400,
      403,
      401,
    ],
    [
      "report on A's suggestion",
      'POST',
      `/v1/kb/suggestions/${suggestionA.id}/outcomes`,
      { outcome: 'ticket_created', ticketId: ticketB.id },
      404,
      404,
      401,
    ],
    [
      "name A's ticket as an outcome",
      'POST',
      `/v1/kb/suggestions/${suggestionB.id}/outcomes`,
      { outcome: 'ticket_created', ticketId: ticketA.id },
      400,
      400,
      401,
    ],
  ]
  const publicB = pub(B)
  const publicProbes: [string, Method, string, unknown, number][] = [
    ["A's article by id", 'GET', `${publicB}/articles/${artA.id}`, undefined, 404],
    ["A's article by slug", 'GET', `${publicB}/articles/secret-of-a`, undefined, 404],
    ["A's article by its es slug", 'GET', `${publicB}/articles/secreto-de-a?locale=es`, undefined, 404],
    ["A's category by id", 'GET', `${publicB}/categories/${catA.id}`, undefined, 404],
    ["A's category by slug", 'GET', `${publicB}/categories/a-secrets`, undefined, 404],
    ['the article list', 'GET', `${publicB}/articles?limit=100`, undefined, 200],
    ["the list with A's tag", 'GET', `${publicB}/articles?tag=tag-of-a`, undefined, 200],
    ["the list in A's category", 'GET', `${publicB}/articles?category=${catA.id}`, undefined, 400],
    ['the category list', 'GET', `${publicB}/categories?limit=100`, undefined, 200],
    ["a vote on A's article", 'POST', `${publicB}/articles/${artA.id}/feedback`, vote, 404],
    [
      "an outcome of A's suggestion",
      'POST',
      `${publicB}/suggestions/${suggestionA.id}/outcomes`,
      { outcome: 'article_opened', articleId: artA.id },
      404,
    ],
  ]

  const callers: [string, Client, 4 | 5 | 6][] = [
    ["B's API key", B.api, 4],
    ["B's agent", agentB.api, 4],
    ["B's contact", contactB, 5],
    ['no token', ctx.anonymous, 6],
  ]
  const leaks = (res: Response) =>
    /Secret of A|Secreto de A|Borrador de A|Body only A/.test(res.text) ||
    (res.status < 300 && (res.text.includes(artA.id) || res.text.includes(catA.id)))
  for (const probe of probes) {
    for (const [who, client, column] of callers) {
      const res = await send(client, probe[1], probe[2], probe[3])
      t.equal(
        res.status,
        probe[column],
        `${who}: ${probe[0]} → ${res.status} ${res.status < 300 ? '' : res.body?.detail}`,
      )
      t.notOk(leaks(res), `${who}: ${probe[0]} shows nothing of A`)
    }
  }
  for (const [what, method, path, body, expected] of publicProbes) {
    for (const [who, client] of [
      ['anyone', ctx.anonymous],
      ["B's contact token", contactB],
    ] as const) {
      const res = await send(client, method, path, body)
      t.equal(res.status, expected, `B's public API, ${who}: ${what} → ${res.status}`)
      t.notOk(leaks(res), `B's public API, ${who}: ${what} shows nothing of A`)
    }
  }
  t.strictSame(await snapshot(), before, "A's knowledge base is exactly as it was")
  t.equal((await ok(A.api.get(`${a}?locale=es`), 200)).translation.draft.title, 'Borrador de A')
})

t.test('a POST /v1/kb/articles retried with the same Idempotency-Key creates one article', async (t) => {
  // The route answers with `reply...send(created)`: the idempotency plugin once expected handlers to
  // return their payload, so it sent the 201, failed to store it and rolled the article back (found
  // by this test; the plugin now holds a send back until the transaction that stores it commits).
  const ws = await ctx.createWorkspace()
  const cat = await category(ws, 'retries')
  const body = {
    categoryId: cat.id,
    visibility: 'public',
    publish: true,
    translations: [{ locale: 'en', title: 'Retried once', body: 'Exactly once.' }],
  }
  const headers = { 'idempotency-key': `kb-article-${process.pid}` }
  const first = await ws.api.post('/v1/kb/articles', body, headers)
  t.equal(first.status, 201, first.text)
  t.equal(
    (await ws.api.get(`/v1/kb/articles/${first.body.id}`)).status,
    200,
    'the article the 201 announced exists',
  )
  const retry = await ws.api.post('/v1/kb/articles', body, headers)
  t.equal(retry.status, 201, retry.text)
  t.equal(retry.headers['idempotent-replayed'], 'true', 'the retry is a replay')
  t.equal(retry.body?.id, first.body.id, 'of the same article')
  t.equal(retry.headers.location, first.headers.location)
  t.strictSame(await listIds(ws.api, '/v1/kb/articles'), [first.body.id], 'one article')
})

t.test('suggestions are recorded once each, a retry with the same Idempotency-Key not again', async (t) => {
  // The record of what was shown is a statement of its own after the search; under an Idempotency-Key it
  // runs in the request's transaction, so the stored answer and the record commit together.
  const ws = await ctx.createWorkspace()
  const cat = await category(ws, 'deflection')
  const refund = await article(ws, cat.id, 'public', 'Refund a card payment')
  const plain = await ok(ws.api.post('/v1/kb/suggestions', { subject: 'refund card', locale: 'en' }), 200)
  t.strictSame(
    plain.data.map((h: { articleId: string }) => h.articleId),
    [refund.id],
    'the article is suggested',
  )
  const headers = { 'idempotency-key': `kb-suggestion-${process.pid}` }
  const draft = { subject: 'card refund', locale: 'en' }
  const first = await ws.api.post('/v1/kb/suggestions', draft, headers)
  t.equal(first.status, 200, first.text)
  const retry = await ws.api.post('/v1/kb/suggestions', draft, headers)
  t.equal(retry.headers['idempotent-replayed'], 'true', 'the retry is a replay')
  t.equal(retry.body.id, first.body.id, 'of the same suggestion')
  t.not(first.body.id, plain.id)
  const report = await ok(ws.api.get('/v1/reports/kb'), 200)
  t.equal(report.deflection.suggestionsShown, 2, 'two suggestions recorded')
  for (const shown of [plain.id, first.body.id]) {
    const outcome = await ws.api.post(`/v1/kb/suggestions/${shown}/outcomes`, {
      outcome: 'article_opened',
      articleId: refund.id,
    })
    t.ok(outcome.status < 300, `an outcome of ${shown} is accepted: its record exists (${outcome.status})`)
  }
})

t.test('anonymous public reads are rate limited per address', async (t) => {
  const limited = await buildTestApp(t, { RATE_LIMIT_ANONYMOUS_PER_MINUTE: '3' })
  const ws = await limited.createWorkspace()
  const cat = await ok(
    ws.api.post('/v1/kb/categories', { translations: [{ locale: 'en', name: 'H', slug: 'h' }] }),
  )
  await ok(
    ws.api.post('/v1/kb/articles', {
      categoryId: cat.id,
      visibility: 'public',
      publish: true,
      translations: [{ locale: 'en', title: 'Limits', body: 'Three a minute.' }],
    }),
  )
  const url = `/v1/public/${ws.slug}/kb/articles/limits`
  const from = (remoteAddress: string) => limited.app.inject({ method: 'GET', url, remoteAddress })
  for (let i = 1; i <= 3; i++) t.equal((await from('198.51.100.7')).statusCode, 200, `request ${i}`)
  const fourth = await from('198.51.100.7')
  t.equal(fourth.statusCode, 429)
  t.ok(Number(fourth.headers['retry-after']) >= 1, `Retry-After: ${fourth.headers['retry-after']}`)
  t.equal(JSON.parse(fourth.body).code, 'rate_limited')
  t.equal((await from('203.0.113.9')).statusCode, 200, 'another address has its own budget')
  t.equal((await ws.api.get('/v1/kb/articles')).status, 200, 'an API key is not limited by address')
})

t.test('the first article write of a fresh server with an Idempotency-Key answers (PGlite)', async (t) => {
  // Nothing on a fresh server has read the search configurations yet. An idempotent request runs
  // inside the idempotency plugin's transaction, and on PGlite's one connection a read outside it
  // would wait for it forever (found by this test: the read now goes through that transaction).
  // The server runs in a child process, which can exit and leave a deadlocked PGlite behind.
  const helper = new URL('../../helpers/app.ts', import.meta.url).href
  const script = `
      const { buildTestApp } = await import(${JSON.stringify(helper)})
      let close
      const app = await buildTestApp({ teardown: (fn) => { close = fn } })
      const ws = await app.createWorkspace()
      const cat = await ws.api.post('/v1/kb/categories', { translations: [{ locale: 'en', name: 'F', slug: 'f' }] })
      const write = ws.api.post(
        '/v1/kb/articles',
        { categoryId: cat.body.id, visibility: 'public', translations: [{ locale: 'en', title: 'First', body: 'x' }] },
        { 'idempotency-key': 'first-write-of-a-fresh-server' },
      )
      // A deadlock never answers; 30 s leaves a machine busy with other test files room to answer.
      const answer = await Promise.race([write, new Promise((resolve) => setTimeout(() => resolve(null), 30000))])
      process.stdout.write(JSON.stringify({ engine: app.db.engine, status: answer && answer.status }) + '\\n')
      if (answer) await close()
      process.exit(0)
    `
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    { env: process.env, timeout: 90_000 },
  )
  const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}')
  t.equal(
    result.status,
    201,
    `POST /v1/kb/articles with an Idempotency-Key answers on a fresh ${result.engine} server`,
  )
})

t.test(
  'a category the reader may not see neither shadows a visible one nor filters like a real one',
  async (t) => {
    const ws = await ctx.createWorkspace()
    // The same slug in two locales: in English for a category of internal articles, in Spanish for one
    // of public articles.
    const hidden = await category(ws, 'help')
    const shown = await ok(
      ws.api.post('/v1/kb/categories', { translations: [{ locale: 'es', name: 'Ayuda', slug: 'help' }] }),
    )
    await article(ws, hidden.id, 'internal', 'Internal refunds')
    await article(ws, shown.id, 'public', 'Public refunds')
    const contact = contactOf(ws)
    const readers: [string, Client, string, string][] = [
      // name, client, base path, the category "help" names for them
      ['staff', ws.api, '/v1/kb', hidden.id],
      ['contact', contact, '/v1/kb', shown.id],
      ['anonymous', ctx.anonymous, pub(ws), shown.id],
    ]
    for (const [name, client, base, expected] of readers) {
      const bySlug = await client.get(`${base}/categories/help`)
      t.equal(bySlug.status, 200, `${name}: "help" names a category`)
      t.equal(bySlug.body.id, expected, `${name}: the one they may see (staff: the default locale's)`)
    }
    const graphql = await contact.graphql('{ kbCategory(ref: "help") { id } }')
    t.equal(graphql.body.data.kbCategory?.id, shown.id, 'GraphQL: the same category')

    // Filtering by the hidden category's id: for those who may not see it, the same 400 as an unknown id.
    for (const [name, client, base] of readers) {
      const answers = async (id: string) => {
        const list = await client.get(`${base}/articles?category=${id}`)
        const found = await client.get(`${base}/search?q=refunds&locale=en&category=${id}`)
        return [
          list.status,
          found.status,
          list.body.detail?.replace(id, 'ID'),
          found.body.detail?.replace(id, 'ID'),
        ]
      }
      const hiddenAnswers = await answers(hidden.id)
      const unknownAnswers = await answers(UNKNOWN_ID)
      t.same(unknownAnswers.slice(0, 2), [400, 400], `${name}: an unknown category is a 400`)
      if (name === 'staff') t.same(hiddenAnswers.slice(0, 2), [200, 200], 'staff: the category filters')
      else t.same(hiddenAnswers, unknownAnswers, `${name}: the hidden category is answered as an unknown one`)
    }
  },
)

t.test('refs stay unambiguous: no slug shaped like an id, no source locale without its text', async (t) => {
  const ws = await ctx.createWorkspace()
  const uuid = '00000000-0000-4000-8000-000000000000'
  const cat = await category(ws, 'refs')
  const badCategory = await ws.api.post('/v1/kb/categories', {
    translations: [{ locale: 'en', name: 'Looks like an id', slug: uuid }],
  })
  t.equal(badCategory.status, 400, 'a category slug shaped like a UUID is refused')
  t.match(badCategory.body.errors, [{ path: '/translations/0/slug' }])
  const badArticle = await ws.api.post('/v1/kb/articles', {
    categoryId: cat.id,
    visibility: 'public',
    translations: [{ locale: 'en', title: 'Explicit slug', body: 'Body.', slug: uuid }],
  })
  t.equal(badArticle.status, 400, 'an article slug shaped like a UUID is refused')
  // A title that is an id gets a slug that is not one, and is found by it.
  const titled = await article(ws, cat.id, 'public', uuid)
  const slug = titled.translations[0].slug
  t.equal(slug, `${uuid}-article`)
  const bySlug = await ctx.anonymous.get(`${pub(ws)}/articles/${slug}`)
  t.equal(bySlug.status, 200)
  t.equal(bySlug.body.id, titled.id)

  const elsewhere = await ws.api.post('/v1/kb/articles', {
    categoryId: cat.id,
    visibility: 'public',
    sourceLocale: 'fr',
    translations: [{ locale: 'en', title: 'English only', body: 'Body.' }],
  })
  t.equal(elsewhere.status, 400, 'a source locale none of the translations has is refused')
  t.match(elsewhere.body.errors, [{ path: '/sourceLocale' }])
  const shell = await ws.api.post('/v1/kb/articles', {
    categoryId: cat.id,
    visibility: 'public',
    sourceLocale: 'fr',
  })
  t.equal(shell.status, 201, 'an article without translations yet names its source locale')
  const named = await ws.api.post('/v1/kb/articles', {
    categoryId: cat.id,
    visibility: 'public',
    sourceLocale: 'EN',
    translations: [{ locale: 'en', title: 'Source named', body: 'Body.' }],
  })
  t.equal(named.status, 201, 'the source locale is compared as canonical tags')
})

t.test('a generated slug is one the API takes back', async (t) => {
  const ws = await ctx.createWorkspace()
  const cat = await category(ws, 'long-titles')
  const title = 'word '.repeat(40).trim()
  for (let n = 1; n <= 3; n++) {
    const created = await article(ws, cat.id, 'public', title)
    const slug = created.translations[0].slug as string
    t.ok(slug.length <= 64, `slug ${n} has ${slug.length} characters`)
    const back = await ws.api.put(`/v1/kb/articles/${created.id}/translations/en`, {
      title,
      body: 'Written back as read.',
      slug,
    })
    t.equal(back.status, 200, `written back with its own slug (${n})`)
  }
})

t.test('If-Match guards every command on an article and its translations', async (t) => {
  const ws = await ctx.createWorkspace()
  const cat = await category(ws, 'guarded')
  const created = await article(ws, cat.id, 'public', 'Guarded article', {
    translations: [
      { locale: 'en', title: 'Guarded article', body: 'English v1.' },
      { locale: 'es', title: 'Artículo protegido', body: 'Español v1.' },
    ],
  })
  const id = created.id as string
  const base = `/v1/kb/articles/${id}`
  const current = async () => (await ws.api.get(base)).headers.etag as string
  const stale = '"1"'
  t.not(await current(), stale, 'the article moved past version 1 while it was created')
  const commands: [string, (headers: Record<string, string>) => Promise<Response>, number][] = [
    [
      'write a draft',
      (h) => ws.api.put(`${base}/translations/es`, { title: 'Borrador', body: 'Nuevo.' }, h),
      200,
    ],
    ['discard the draft', (h) => ws.api.delete(`${base}/translations/es/draft`, h), 204],
    [
      'write another draft',
      (h) => ws.api.put(`${base}/translations/en`, { title: 'Guarded', body: 'English v2.' }, h),
      200,
    ],
    ['publish it', (h) => ws.api.post(`${base}/translations/en/publish`, {}, h), 200],
    ['restore a version', (h) => ws.api.post(`${base}/translations/en/versions/1/restore`, {}, h), 200],
    ['delete a translation', (h) => ws.api.delete(`${base}/translations/es`, h), 204],
    ['delete the article', (h) => ws.api.delete(base, h), 204],
  ]
  for (const [name, run, status] of commands) {
    const before = await ws.api.get(`${base}?locale=en`)
    const refused = await run({ 'if-match': stale })
    t.equal(refused.status, 412, `${name}: a stale ETag is refused`)
    t.equal(refused.body.code, 'precondition_failed')
    const after = await ws.api.get(`${base}?locale=en`)
    t.same(after.body, before.body, `${name}: nothing changed`)
    const done = await run({ 'if-match': await current() })
    t.equal(done.status, status, `${name}: the current ETag is accepted`)
  }
  t.equal((await ws.api.get(base)).status, 404, 'deleted, at last')
})

t.test('republishing the same source text leaves the translations current', async (t) => {
  const ws = await ctx.createWorkspace()
  const cat = await category(ws, 'same-text')
  const created = await article(ws, cat.id, 'public', 'Source', {
    translations: [
      { locale: 'en', title: 'Source', body: 'Source v1.' },
      { locale: 'es', title: 'Fuente', body: 'Fuente v1.' },
    ],
  })
  const base = `/v1/kb/articles/${created.id}`
  const outdated = async () => (await ws.api.get(`${base}/translations/es`)).body.outdated
  t.equal(await outdated(), false)
  await ok(ws.api.post(`${base}/translations/en/versions/1/restore`, {}), 200)
  await ok(ws.api.post(`${base}/translations/en/publish`, {}), 200)
  t.equal(await outdated(), false, 'the source republished unchanged (a restored current version)')
  await ok(ws.api.put(`${base}/translations/en`, { title: 'Source', body: 'Source v2.', publish: true }), 200)
  t.equal(await outdated(), true, 'a changed source outdates the translation')
  await ok(ws.api.put(`${base}/translations/es`, { title: 'Fuente', body: 'Fuente v2.', publish: true }), 200)
  t.equal(await outdated(), false, 'until it is published again')
})

t.test(
  'a new slug waits in the draft: the live one keeps working until the draft is published',
  async (t) => {
    const ws = await ctx.createWorkspace()
    const cat = await category(ws, 'slugs')
    const created = await article(ws, cat.id, 'public', 'Original title')
    const base = `/v1/kb/articles/${created.id}`
    const live = (slug: string) => ctx.anonymous.get(`${pub(ws)}/articles/${slug}`)
    t.equal((await live('original-title')).status, 200)
    const drafted = await ok(
      ws.api.put(`${base}/translations/en`, { title: 'New title', body: 'New.', slug: 'new-title' }),
      200,
    )
    t.equal(drafted.slug, 'original-title', 'the live slug is unchanged')
    t.equal(drafted.draft.slug, 'new-title', 'the draft carries the new one')
    t.equal((await live('original-title')).status, 200, 'links to the live text keep working')
    t.equal((await live('new-title')).status, 404, 'the draft slug is not live')
    // Another article cannot take a slug a draft holds.
    const other = await article(ws, cat.id, 'public', 'Other')
    const clash = await ws.api.put(`/v1/kb/articles/${other.id}/translations/en`, {
      title: 'Other',
      body: 'x',
      slug: 'new-title',
    })
    t.equal(clash.status, 409)
    await ok(ws.api.delete(`${base}/translations/en/draft`), 204)
    t.equal((await live('original-title')).status, 200, 'discarded: the slug stays as it was')
    await ok(
      ws.api.put(`${base}/translations/en`, { title: 'New title', body: 'New.', slug: 'new-title' }),
      200,
    )
    const published = await ok(ws.api.post(`${base}/translations/en/publish`, {}), 200)
    t.equal(published.slug, 'new-title', 'published: the new slug is live')
    t.equal((await live('new-title')).status, 200)
    t.equal((await live('original-title')).status, 404)
  },
)

t.test('every knowledge-base command records exactly one event per subject it changes', async (t) => {
  const ws = await ctx.createWorkspace()
  const db = ctx.db.database.db
  const seen = async () =>
    (
      await rowsOf<{ n: number }>(
        db,
        sql`select coalesce(max(seq), 0)::int as n from events where workspace_id = ${ws.id}`,
      )
    )[0]?.n ?? 0
  const eventsOf = async (run: () => Promise<Response>, status: number, name: string) => {
    const before = await seen()
    const res = await run()
    t.equal(res.status, status, `${name}: ${res.text.slice(0, 120)}`)
    const rows = await rowsOf<{ type: string; subject: string }>(
      db,
      sql`select type, subject_type || ':' || subject_id as subject from events
          where workspace_id = ${ws.id} and seq > ${before} order by seq`,
    )
    const subjects = rows.map((r) => r.subject)
    t.ok(rows.length > 0, `${name}: recorded`)
    t.same(
      subjects,
      [...new Set(subjects)],
      `${name}: one event per subject (${rows.map((r) => r.type).join(', ')})`,
    )
    return Object.assign(res, { events: rows.map((r) => r.type) })
  }
  const cat = await eventsOf(
    () =>
      ws.api.post('/v1/kb/categories', { translations: [{ locale: 'en', name: 'Events', slug: 'events' }] }),
    201,
    'create a category',
  )
  const created = await eventsOf(
    () =>
      ws.api.post('/v1/kb/articles', {
        categoryId: cat.body.id,
        visibility: 'public',
        publish: true,
        translations: [
          { locale: 'en', title: 'One event', body: 'English.' },
          { locale: 'es', title: 'Un evento', body: 'Español.' },
        ],
      }),
    201,
    'create an article with two published translations',
  )
  const base = `/v1/kb/articles/${created.body.id}`
  await eventsOf(
    () => ws.api.put(`${base}/translations/en`, { title: 'One event', body: 'Draft.' }),
    200,
    'save a draft',
  )
  await eventsOf(() => ws.api.post(`${base}/translations/en/publish`, {}), 200, 'publish it')
  await eventsOf(
    () => ws.api.put(`${base}/translations/ca`, { title: 'Un esdeveniment', body: 'Català.', publish: true }),
    200,
    'create and publish a translation',
  )
  await eventsOf(
    () => ws.api.post(`${base}/translations/en/versions/1/restore`, {}),
    200,
    'restore a version',
  )
  await eventsOf(() => ws.api.delete(`${base}/translations/en/draft`), 204, 'discard the draft')
  await eventsOf(() => ws.api.patch(base, { tags: ['a'], archived: true }), 200, 'change and archive')
  await eventsOf(() => ws.api.delete(`${base}/translations/ca`), 204, 'delete a translation')
  const ticket = await ws.api.post('/v1/tickets', ticketBody())
  await eventsOf(
    () => ws.api.post(`/v1/tickets/${ticket.body.id}/articles`, { articleId: created.body.id }),
    201,
    'link to a ticket',
  )
  const fromTicket = await eventsOf(
    () =>
      ws.api.post('/v1/kb/articles/from-ticket', {
        ticket: ticket.body.id,
        categoryId: cat.body.id,
        locale: 'en',
      }),
    201,
    'draft an article from a ticket (the article and the ticket)',
  )
  t.same(
    fromTicket.events,
    ['kb.article.created', 'ticket.article_linked'],
    'the article created, the ticket linked',
  )
  await eventsOf(() => ws.api.delete(base), 204, 'delete the article')
})
