import { sql } from 'drizzle-orm'
import fc from 'fast-check'
import t from 'tap'
import { rowsOf } from '../../../src/db/raw.ts'
import { buildTestApp, type Workspace } from '../../helpers/app.ts'

/**
 * Search reads `kb_search_documents`, which triggers (migration 0009) keep in step with the articles
 * and their translations. Every later edit must reach it in the same request: visibility, category,
 * tags, archive, a deleted translation or article, a new publish. And whatever sequence of edits is
 * made through the API, the documents are exactly what the published texts say they should be, and
 * kb_locale_gap (migration 0010), which lets a search skip the default-locale fallback, tells truly
 * whether any article lacks a locale.
 */
const ctx = await buildTestApp(t)
const db = ctx.db.database.db

async function ok(res: Promise<{ status: number; text: string; body: any }>, status = 201) {
  const done = await res
  if (done.status !== status) throw new Error(`expected ${status}, got ${done.status}: ${done.text}`)
  return done.body
}

async function category(ws: Workspace, name: string) {
  const created = await ok(
    ws.api.post('/v1/kb/categories', {
      translations: [{ locale: 'es', name, slug: name.toLowerCase() }],
    }),
  )
  return created.id as string
}

async function workspace() {
  const ws = await ctx.createWorkspace()
  await ok(ws.api.patch('/v1/workspace', { defaultLocale: 'es' }), 200)
  return ws
}

const ids = (page: { data: { articleId: string }[] }) => page.data.map((h) => h.articleId).sort()

async function search(ws: Workspace, params: Record<string, string>) {
  return ok(ws.api.get(`/v1/kb/search?${new URLSearchParams(params)}`), 200)
}

async function publicSearch(ws: Workspace, params: Record<string, string>) {
  return ok(ctx.anonymous.get(`/v1/public/${ws.slug}/kb/search?${new URLSearchParams(params)}`), 200)
}

t.test('every later edit of an article reaches search in the same request', async (t) => {
  const ws = await workspace()
  const billing = await category(ws, 'Facturas')
  const shipping = await category(ws, 'Envios')
  const article = await ok(
    ws.api.post('/v1/kb/articles', {
      categoryId: billing,
      visibility: 'public',
      tags: ['pagos'],
      publish: true,
      translations: [
        { locale: 'es', title: 'Devolver un paraguas', body: 'El paraguas se devuelve sin coste.' },
        { locale: 'ca', title: 'Tornar un tendal', body: 'El tendal es torna a la botiga.' },
      ],
    }),
  )
  const id = article.id as string

  t.same(ids(await publicSearch(ws, { q: 'paraguas', locale: 'es' })), [id], 'public: found anonymously')
  await ok(ws.api.patch(`/v1/kb/articles/${id}`, { visibility: 'internal' }), 200)
  t.same(
    ids(await publicSearch(ws, { q: 'paraguas', locale: 'es' })),
    [],
    'made internal: gone for anonymous callers',
  )
  t.same(ids(await search(ws, { q: 'paraguas', locale: 'es' })), [id], 'and still found by staff')
  await ok(ws.api.patch(`/v1/kb/articles/${id}`, { visibility: 'public' }), 200)
  t.same(ids(await publicSearch(ws, { q: 'paraguas', locale: 'es' })), [id], 'public again: found again')

  t.same(ids(await search(ws, { q: 'paraguas', category: billing })), [id], 'in its category')
  await ok(ws.api.patch(`/v1/kb/articles/${id}`, { categoryId: shipping }), 200)
  t.same(
    ids(await search(ws, { q: 'paraguas', category: billing })),
    [],
    'moved: no longer in the old category',
  )
  t.same(ids(await search(ws, { q: 'paraguas', category: shipping })), [id], 'and in the new one')

  t.same(ids(await search(ws, { q: 'paraguas', tag: 'pagos' })), [id], 'with its tag')
  await ok(ws.api.patch(`/v1/kb/articles/${id}`, { tags: ['envios'] }), 200)
  t.same(ids(await search(ws, { q: 'paraguas', tag: 'pagos' })), [], 'retagged: not under the old tag')
  t.same(ids(await search(ws, { q: 'paraguas', tag: 'envios' })), [id], 'and under the new one')

  const ca = await search(ws, { q: 'tendal', locale: 'ca' })
  t.match(ca.data, [{ articleId: id, locale: 'ca', fallback: false }], 'Catalan text found in Catalan')
  await ok(ws.api.delete(`/v1/kb/articles/${id}/translations/ca`), 204)
  t.same(ids(await search(ws, { q: 'tendal', locale: 'ca' })), [], 'Catalan text deleted: its words are gone')
  const fallback = await search(ws, { q: 'paraguas', locale: 'ca' })
  t.match(
    fallback.data,
    [{ articleId: id, locale: 'es', fallback: true }],
    'and Catalan searches read the Spanish text',
  )
  await ok(
    ws.api.put(`/v1/kb/articles/${id}/translations/ca`, {
      title: 'Tornar un tendal',
      body: 'El tendal es torna a la botiga.',
      publish: true,
    }),
    200,
  )
  t.same(
    ids(await search(ws, { q: 'paraguas', locale: 'ca' })),
    [],
    'published in Catalan again: no fallback',
  )
  t.same(ids(await search(ws, { q: 'tendal', locale: 'ca' })), [id], 'but the Catalan text')

  await ok(
    ws.api.put(`/v1/kb/articles/${id}/translations/es`, { title: 'Devolver un abrigo', body: 'Abrigos.' }),
    200,
  )
  t.same(ids(await search(ws, { q: 'paraguas', locale: 'es' })), [id], 'a saved draft changes nothing yet')
  await ok(ws.api.post(`/v1/kb/articles/${id}/translations/es/publish`), 200)
  t.same(ids(await search(ws, { q: 'paraguas', locale: 'es' })), [], 'published: the old words are gone')
  t.same(ids(await search(ws, { q: 'abrigo', locale: 'es' })), [id], 'and the new ones found')

  await ok(ws.api.patch(`/v1/kb/articles/${id}`, { archived: true }), 200)
  t.same(ids(await search(ws, { q: 'abrigo', locale: 'es' })), [], 'archived: out of search')
  await ok(ws.api.patch(`/v1/kb/articles/${id}`, { archived: false }), 200)
  t.same(
    ids(await search(ws, { q: 'abrigo', locale: 'es' })),
    [id],
    'unarchived: back, with its current text',
  )

  await ok(ws.api.delete(`/v1/kb/articles/${id}`), 204)
  t.same(ids(await search(ws, { q: 'abrigo', locale: 'es' })), [], 'deleted: gone')
  const left = await rowsOf<{ n: number }>(
    db,
    sql`select count(*)::int as n from kb_search_documents where article_id = ${id}`,
  )
  t.equal(left[0]?.n, 0, 'and no document of it is left')
})

/** The documents as stored, and as the published texts and their articles say they should be. */
async function documents(workspaceId: string) {
  const stored = await rowsOf(
    db,
    sql`
    select article_id, locale, config::text as config, visibility, category_id, tags, locales,
      search_vector::text as vector
    from kb_search_documents where workspace_id = ${workspaceId}
    order by article_id, locale`,
  )
  const expected = await rowsOf(
    db,
    sql`
    select t.article_id, t.locale, t.search_config::text as config, a.visibility, a.category_id, a.tags,
      (select array_agg(o.locale order by o.locale) from kb_article_translations o
       where o.workspace_id = t.workspace_id and o.article_id = t.article_id and o.published_version > 0) as locales,
      (setweight(to_tsvector(t.search_config, coalesce(t.title, '')), 'A')
        || setweight(to_tsvector(t.search_config, kb_parse_safe(coalesce(t.body, ''))), 'D'))::text as vector
    from kb_article_translations t
    join kb_articles a on a.workspace_id = t.workspace_id and a.id = t.article_id
    where t.workspace_id = ${workspaceId} and t.published_version > 0 and a.archived_at is null
    order by t.article_id, t.locale`,
  )
  return { stored, expected }
}

const words = ['paraguas', 'abrigo', 'factura', 'envío', 'reembolso', 'contraseña', 'pedido', 'garantía']
const locales = ['es', 'ca', 'en'] as const

type Op =
  | { kind: 'create'; locales: (typeof locales)[number][]; publish: boolean; word: number }
  | { kind: 'draft'; article: number; locale: (typeof locales)[number]; word: number; publish: boolean }
  | { kind: 'publish'; article: number; locale: (typeof locales)[number] }
  | { kind: 'deleteTranslation'; article: number; locale: (typeof locales)[number] }
  | { kind: 'patch'; article: number; change: Record<string, unknown> }
  | { kind: 'delete'; article: number }

const locale = fc.constantFrom(...locales)
const word = fc.nat(words.length - 1)
const article = fc.nat(20)
const create = fc.record({
  kind: fc.constant('create' as const),
  locales: fc.subarray([...locales], { minLength: 1 }),
  publish: fc.boolean(),
  word,
})
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: create, weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('draft' as const),
      article,
      locale,
      word,
      publish: fc.boolean(),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('publish' as const), article, locale }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('deleteTranslation' as const), article, locale }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('patch' as const),
      article,
      change: fc.oneof(
        fc.record({ visibility: fc.constantFrom('public', 'contacts', 'internal') }),
        fc.record({ archived: fc.boolean() }),
        fc.record({ tags: fc.subarray(['a', 'b', 'c']) }),
        fc.record({ moved: fc.constant(true) }),
      ),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), article }), weight: 1 },
)
/** A few articles first (published or not), then any edits of them. */
const edits = fc
  .tuple(fc.array(create, { minLength: 1, maxLength: 3 }), fc.array(op, { minLength: 1, maxLength: 12 }))
  .map(([first, then]): Op[] => [...first, ...then])

t.test(
  'property: after any edits through the API, the documents are exactly the published texts',
  async (t) => {
    let runs = 0
    await fc.assert(
      fc.asyncProperty(edits, async (ops) => {
        runs++
        const ws = await workspace()
        const categories = [await category(ws, 'Uno'), await category(ws, 'Dos')]
        const articles: string[] = []
        const pick = (n: number) => articles[n % Math.max(articles.length, 1)]
        for (const o of ops) {
          // Edits the API refuses (a missing translation, the source locale's deletion) are part of the
          // sequence too: a refused edit must leave the documents as they were.
          if (o.kind === 'create') {
            const created = await ok(
              ws.api.post('/v1/kb/articles', {
                categoryId: categories[0],
                visibility: 'public',
                publish: o.publish,
                translations: o.locales.map((l) => ({
                  locale: l,
                  title: `${words[o.word]} ${l}`,
                  body: `Sobre ${words[o.word]}.`,
                })),
              }),
            )
            articles.push(created.id)
            continue
          }
          const id = pick(o.article)
          if (!id) continue
          if (o.kind === 'draft') {
            await ws.api.put(`/v1/kb/articles/${id}/translations/${o.locale}`, {
              title: `${words[o.word]} ${o.locale}`,
              body: `Texto de ${words[o.word]}.`,
              publish: o.publish,
            })
          } else if (o.kind === 'publish') {
            await ws.api.post(`/v1/kb/articles/${id}/translations/${o.locale}/publish`)
          } else if (o.kind === 'deleteTranslation') {
            await ws.api.delete(`/v1/kb/articles/${id}/translations/${o.locale}`)
          } else if (o.kind === 'patch') {
            const change = 'moved' in o.change ? { categoryId: categories[1] } : o.change
            await ok(ws.api.patch(`/v1/kb/articles/${id}`, change), 200)
          } else {
            await ok(ws.api.delete(`/v1/kb/articles/${id}`), 204)
            articles.splice(articles.indexOf(id), 1)
          }
        }
        const { stored, expected } = await documents(ws.id)
        t.same(stored, expected, `documents after ${JSON.stringify(ops)}`)
        // The words of each document's title with their one-word scores (migration 0014), as ts_rank gives
        // them for a query of that word.
        const titleWords = await rowsOf(
          db,
          sql`select article_id, locale, lexeme, score::text as score from kb_search_title_words
              where workspace_id = ${ws.id} order by article_id, locale, lexeme`,
        )
        const expectedTitleWords = await rowsOf(
          db,
          sql`select d.article_id, d.locale, w.lexeme,
                ts_rank(d.search_vector, plainto_tsquery('simple', w.lexeme), 1)::text as score
              from kb_search_documents d, unnest(ts_filter(d.search_vector, '{a}')) as w
              where d.workspace_id = ${ws.id} order by d.article_id, d.locale, w.lexeme`,
        )
        t.same(titleWords, expectedTitleWords, `title words after ${JSON.stringify(ops)}`)
        // Whether a search in one locale needs the fallback to another (migration 0010), against what
        // the documents say: some text in the fallback locale whose article has none in the requested one.
        const gaps = await rowsOf<{ fallback: string; requested: string; answer: boolean; truth: boolean }>(
          db,
          sql`
          select f.l as fallback, r.l as requested, kb_locale_gap(${ws.id}::uuid, f.l, r.l) as answer,
            exists (select 1 from kb_search_documents d
                    where d.workspace_id = ${ws.id} and d.locale = f.l and not (r.l = any(d.locales))) as truth
          from unnest(${`{${locales.join(',')}}`}::text[]) f(l), unnest(${`{${locales.join(',')}}`}::text[]) r(l)
          where f.l <> r.l`,
        )
        const wrong = gaps.filter((g) => g.answer !== g.truth)
        t.same(wrong, [], `locale gaps after ${JSON.stringify(ops)}`)
        return (
          JSON.stringify(stored) === JSON.stringify(expected) &&
          JSON.stringify(titleWords) === JSON.stringify(expectedTitleWords) &&
          wrong.length === 0
        )
      }),
      { numRuns: 30 },
    )
    t.equal(runs >= 30, true, 'every run made')
  },
)
