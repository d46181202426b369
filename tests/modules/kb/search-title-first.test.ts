import { sql } from 'drizzle-orm'
import fc from 'fast-check'
import t, { type Test } from 'tap'
import { uuidv7 } from 'uuidv7'
import { pgTextArray, rowsOf } from '../../../src/db/raw.ts'
import { searchConfigOf } from '../../../src/modules/kb/locales.ts'
import { buildTestApp } from '../../helpers/app.ts'

/**
 * kb_search_page ranks title matches first (migration 0011) and then only the other matches short enough to
 * reach the page. The pages must be exactly those of ranking every match: same texts, same order, same
 * scores, through every page of the cursor. Compared here on random knowledge bases whose texts are as short
 * as one word (where the length bound decides), for random queries of one to three words joined by "or",
 * "and", a phrase or a mix (and, to check they are left alone, with a prefix or a "not"), in both locales,
 * with the default-locale fallback and the filters.
 */
const ctx = await buildTestApp(t)
const db = ctx.db.database.db
const configs = { es: await searchConfigOf(db, 'es'), en: await searchConfigOf(db, 'en') }

const vocabulary = {
  es: ['factura', 'envío', 'tarjeta', 'pedido', 'reembolso', 'cuenta', 'garantía', 'devolución'],
  en: ['invoice', 'shipping', 'card', 'order', 'refund', 'account', 'warranty', 'return'],
}
type Lang = keyof typeof vocabulary
const filler = { es: ['sobre', 'cliente', 'tienda', 'plazo'], en: ['about', 'customer', 'store', 'term'] }

/** A vector keeps at most 256 positions of one lexeme, so the padding's words are all different. */
const padding = (lang: Lang, n: number) => Array.from({ length: n }, (_, i) => `${filler[lang][i % 4]}${i}`)
const text = (lang: Lang, words: readonly number[], fill: number) =>
  [...words.map((w) => vocabulary[lang][w] as string), ...padding(lang, fill)].join(' ')

/** No padding, a little, or some. */
const padArb = fc.oneof(fc.constant(0), fc.nat(3), fc.nat(200))
/**
 * A text: title and body words (indexes into the vocabulary) and how many filler words pad the body.
 * Besides any mix, the shapes the length bound is for: a title match in a 3,000-word text, which ranks
 * below a body match in a one-word text; and two title words in a 200-word text, which rank below a short
 * body where the words of an "and" come close again and again.
 */
const textArb = fc.oneof(
  fc.record({
    title: fc.array(fc.nat(2), { maxLength: 2 }),
    body: fc.array(fc.nat(2), { maxLength: 3 }),
    fill: padArb,
  }),
  fc.record({ title: fc.tuple(fc.nat(2)), body: fc.constant([]), fill: fc.constant(3000) }),
  fc.record({ title: fc.constant([]), body: fc.tuple(fc.nat(2)), fill: fc.constant(0) }),
  {
    arbitrary: fc.record({
      title: fc.tuple(fc.nat(2), fc.nat(2)),
      body: fc.constant([]),
      fill: fc.constant(200),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      title: fc.constant([]),
      body: fc.array(fc.nat(2), { minLength: 4, maxLength: 24 }),
      fill: fc.nat(3),
    }),
    weight: 2,
  },
)
const articleArb = fc.record({
  visibility: fc.constantFrom('public', 'contacts', 'internal'),
  tag: fc.constantFrom('a', 'b'),
  // The locales it is published in.
  es: fc.option(textArb, { freq: 5 }),
  en: fc.option(textArb, { freq: 3 }),
})

/** How a query joins its words: `a | b | c`, `a & b & c`, `a <-> b <-> c`, `a & (b | c)` (the typo
 * fallback's shape), `a:* | b | c` or `a & !b & !c`. */
const shapes = ['or', 'and', 'phrase', 'mixed', 'prefix', 'not'] as const
type Shape = (typeof shapes)[number]
const joined = (shape: Shape, words: string[]) => {
  const [first, ...rest] = words
  if (rest.length === 0) return shape === 'prefix' ? `${first}:*` : shape === 'not' ? `!${first}` : `${first}`
  switch (shape) {
    case 'or':
      return words.join(' | ')
    case 'and':
      return words.join(' & ')
    case 'phrase':
      return words.join(' <-> ')
    case 'mixed':
      return `${first} & (${rest.join(' | ')})`
    case 'prefix':
      return `${first}:* | ${rest.join(' | ')}`
    case 'not':
      return `${first} & ${rest.map((w) => `!${w}`).join(' & ')}`
  }
}

/** One word (of the first `max + 1`) two or three times. */
const repeated = (max: number) =>
  fc.tuple(fc.nat(max), fc.integer({ min: 2, max: 3 })).map(([w, n]) => Array<number>(n).fill(w))
const repeatedWord = repeated(2)

const queryArb = fc.record({
  locale: fc.constantFrom<Lang>('es', 'en'),
  // Mostly words the texts have (the fourth is in none), two of them as often as not; now and then one
  // word twice ("factura facturas" is 'factur' & 'factur').
  words: fc.oneof(
    { arbitrary: fc.uniqueArray(fc.nat(2), { minLength: 1, maxLength: 2 }), weight: 3 },
    { arbitrary: fc.uniqueArray(fc.nat(3), { minLength: 1, maxLength: 3 }), weight: 1 },
    { arbitrary: repeatedWord, weight: 1 },
  ),
  // "or" and "and" most, as the service's queries are.
  shape: fc.oneof(
    { arbitrary: fc.constantFrom<Shape>('or', 'and'), weight: 4 },
    { arbitrary: fc.constantFrom(...shapes), weight: 2 },
  ),
  visibilities: fc.constantFrom(['public'], ['public', 'contacts', 'internal']),
  tag: fc.option(fc.constantFrom('a', 'b'), { freq: 3 }),
  limit: fc.integer({ min: 2, max: 4 }),
})

interface Hit {
  article_id: string
  locale: string
  rank: string
}

/** Every page of the query through the cursor, with the title-first step on or off. */
async function pages(
  workspaceId: string,
  q: {
    locale: Lang
    words: readonly number[]
    shape: Shape
    visibilities: readonly string[]
    tag: string | null
    limit: number
  },
  titleFirst: 'on' | 'off',
) {
  const fallback: Lang | null = q.locale === 'es' ? null : 'es'
  const tsquery = (lang: Lang) =>
    sql`to_tsquery(${configs[lang]}::regconfig, ${joined(
      q.shape,
      q.words.map((w) => vocabulary[lang][w] as string),
    )})`
  const all: Hit[] = []
  let after: Hit | undefined
  for (let page = 0; page < 100; page++) {
    const rows = await db.transaction(async (tx) => {
      await tx.execute(
        sql`select set_config('atiende.workspace_id', ${workspaceId}, true),
                   set_config('atiende.kb_title_first', ${titleFirst}, true)`,
      )
      return rowsOf<Hit>(
        tx,
        sql`select article_id, locale, rank::text as rank from kb_search_page(
              ${pgTextArray([...q.visibilities])}::text[], null::uuid[],
              ${q.tag ? pgTextArray([q.tag]) : null}::text[],
              ${q.locale}::text, ${tsquery(q.locale)},
              ${fallback}::text, ${fallback ? tsquery(fallback) : sql`null::tsquery`},
              ${after?.rank ?? null}::real, ${after?.article_id ?? null}::uuid, ${q.limit}::integer)`,
      )
    })
    all.push(...rows)
    after = rows.at(-1)
    if (rows.length < q.limit) return all
  }
  throw new Error('more than 100 pages')
}

type TextSpec = { title: readonly number[]; body: readonly number[]; fill: number }
type ArticleSpec = { visibility: string; tag: string; es: TextSpec | null; en: TextSpec | null }
type QuerySpec = Parameters<typeof pages>[1]

/** Random knowledge bases and queries: every query's pages, title first on and off, must be the same. */
async function samePages(
  t: Test,
  articlesArb: fc.Arbitrary<ArticleSpec[]>,
  queriesArb: fc.Arbitrary<QuerySpec[]>,
  numRuns: number,
) {
  const ws = await ctx.createWorkspace()
  const category = await ws.api.post('/v1/kb/categories', {
    translations: [{ locale: 'es', name: 'General', slug: 'general' }],
  })
  t.equal(category.status, 201, 'a category')
  let runs = 0
  let compared = 0
  let nonEmpty = 0
  await fc.assert(
    fc.asyncProperty(articlesArb, queriesArb, async (articles, queries) => {
      runs++
      await db.execute(sql`delete from kb_articles where workspace_id = ${ws.id}`)
      for (const a of articles) {
        if (!a.es && !a.en) continue
        const id = uuidv7()
        await db.execute(sql`
          insert into kb_articles (workspace_id, id, category_id, visibility, tags, position, source_locale,
                                   source_revision, version)
          values (${ws.id}, ${id}, ${category.body.id}, ${a.visibility}, ${pgTextArray([a.tag])}::text[], 0,
                  ${a.es ? 'es' : 'en'}, 1, 1)`)
        for (const lang of ['es', 'en'] as const) {
          const tr = a[lang]
          if (!tr) continue
          await db.execute(sql`
            insert into kb_article_translations (workspace_id, article_id, locale, slug, title, body, body_html,
                                                 published_version, published_at, source_revision, search_config)
            values (${ws.id}, ${id}, ${lang}, ${`a-${id}`}, ${text(lang, tr.title, 0)},
                    ${text(lang, tr.body, tr.fill)}, '', 1, now(), 1, ${configs[lang]}::regconfig)`)
        }
      }
      for (const q of queries) {
        const every = await pages(ws.id, q, 'off')
        const titleFirst = await pages(ws.id, q, 'on')
        compared++
        if (every.length > 0) nonEmpty++
        if (JSON.stringify(titleFirst) !== JSON.stringify(every)) {
          t.same(titleFirst, every, `pages of ${JSON.stringify(q)} over ${JSON.stringify(articles)}`)
          return false
        }
      }
      return true
    }),
    { numRuns },
  )
  t.equal(runs, numRuns, 'every run made')
  t.ok(nonEmpty > compared / 4, `most queries found texts (${nonEmpty} of ${compared})`)
}

/** Public articles with a Spanish text only (from `es`), for the focused properties below. */
const spanishArticles = (es: fc.Arbitrary<TextSpec>) =>
  fc.array(
    fc.record({ visibility: fc.constant('public'), tag: fc.constant('a'), es, en: fc.constant(null) }),
    { minLength: 2, maxLength: 12 },
  )
/** Spanish queries of these words and shapes, public reader, no filter, pages of 1 to `maxLimit`. */
const spanishQueries = (words: fc.Arbitrary<number[]>, shapes: Shape[], maxLimit: number) =>
  fc.array(
    fc.record({
      locale: fc.constant<Lang>('es'),
      words,
      shape: fc.constantFrom(...shapes),
      visibilities: fc.constant(['public']),
      tag: fc.constant(null),
      limit: fc.integer({ min: 1, max: maxLimit }),
    }),
    { minLength: 1, maxLength: 4 },
  )

t.test('title first gives the pages of ranking every match, on random texts and queries', (t) =>
  samePages(
    t,
    fc.oneof(
      { arbitrary: fc.array(articleArb, { minLength: 1, maxLength: 10 }), weight: 3 },
      { arbitrary: fc.array(articleArb, { maxLength: 60 }), weight: 1 },
    ),
    fc.array(queryArb, { minLength: 1, maxLength: 6 }),
    100,
  ),
)

t.test('… and for "and" queries over titles with both words and short bodies that repeat them', (t) =>
  samePages(
    t,
    spanishArticles(
      fc.oneof(
        fc.record({ title: fc.tuple(fc.nat(2), fc.nat(2)), body: fc.constant([]), fill: fc.nat(300) }),
        fc.record({
          title: fc.constant([]),
          body: fc.array(fc.nat(2), { minLength: 2, maxLength: 30 }),
          fill: fc.nat(5),
        }),
      ),
    ),
    spanishQueries(
      fc.oneof(fc.uniqueArray(fc.nat(2), { minLength: 2, maxLength: 2 }), repeatedWord),
      ['and', 'phrase', 'mixed'],
      4,
    ),
    60,
  ),
)

t.test(
  '… and for one word repeated, as a phrase too, over titles and bodies that have it once or more',
  (t) =>
    samePages(
      t,
      spanishArticles(
        fc.record({
          title: fc.array(fc.nat(1), { maxLength: 2 }),
          body: fc.array(fc.nat(1), { maxLength: 4 }),
          fill: fc.oneof(fc.nat(3), fc.nat(300)),
        }),
      ),
      spanishQueries(repeated(1), ['and', 'or', 'phrase', 'mixed'], 3),
      60,
    ),
)

t.test(
  'the bound on scores outside the title: 0.1 for "any of these words" or one word repeated, 1 for other queries, none for a prefix or a "not"',
  async (t) => {
    const cases: [string, number | null][] = [
      [`'factura'`, 0.1],
      [`'factura' | 'tarjeta'`, 0.1],
      [`'fact''ura' | 'b'`, 0.1],
      [`'factura' & 'tarjeta'`, 1],
      // One word repeated: ts_rank scores it as the word alone, unless it is a phrase.
      [`'factur' & 'factur'`, 0.1],
      [`'factur' & 'factur' & 'factur'`, 0.1],
      [`'a' & ( 'a' | 'a' )`, 0.1],
      [`'a' <-> 'a'`, 1],
      [`'a' & 'a' <-> 'a'`, 1],
      [`'a' & 'a':A`, 1],
      [`'a' & 'a':*`, null],
      [`'a' & !'a'`, null],
      [`'a''a' & 'a'`, 1],
      [`'a''' & 'a'`, 1],
      [`'factura' <-> 'tarjeta'`, 1],
      [`'factura':A`, 1],
      [`('a' | 'b') & 'c'`, 1],
      [`'a' & ( 'b' | 'c' )`, 1],
      [`'a!b' & 'c*d'`, 1],
      [`'factura':*`, null],
      [`'factura':*A & 'b'`, null],
      [`!'factura'`, null],
      [`'factura' | !'tarjeta'`, null],
      [`'a' & !( 'b' <-> 'c' )`, null],
    ]
    for (const [query, expected] of cases) {
      const [row] = await rowsOf<{ bound: number | null }>(
        db,
        sql`select kb_rank_bound(${query}::tsquery) as bound`,
      )
      t.equal(row?.bound === null ? null : Number(Number(row?.bound).toFixed(3)), expected, query)
    }
  },
)

t.test('the one word a query is ranked as, which one-word searches read from the title words', async (t) => {
  const cases: [string, string | null][] = [
    [`'factur'`, 'factur'],
    [`'factur' & 'factur'`, 'factur'],
    [`'factur' | 'factur' & 'factur'`, 'factur'],
    [`'it''s'`, "it's"],
    [`'a\\\\b' & 'a\\\\b'`, 'a\\b'],
    [`'a' & 'b'`, null],
    [`'a' | 'b'`, null],
    [`'a' <-> 'a'`, null],
    [`'factur':*`, null],
    [`'factur':A`, null],
    [`!'factur'`, null],
  ]
  for (const [query, expected] of cases) {
    const [row] = await rowsOf<{ word: string | null }>(
      db,
      sql`select kb_query_word(${query}::tsquery) as word`,
    )
    t.equal(row?.word, expected, query)
  }
  // Any lexeme, as a query of its own, is found again, and matches a vector that has it.
  for (const lexeme of ["it's", 'a\\b', 'x y', 'a:b', "&|!'", "'", '\\', 'señal']) {
    const [row] = await rowsOf<{ word: string | null; matches: boolean }>(
      db,
      sql`select kb_query_word(kb_lexeme_query(${lexeme})) as word,
                 array_to_tsvector(array[${lexeme}]::text[]) @@ kb_lexeme_query(${lexeme}) as matches`,
    )
    t.same(row, { word: lexeme, matches: true }, JSON.stringify(lexeme))
  }
})

/** Articles with these Spanish texts, published, in a fresh workspace; their ids in order. */
async function spanishTexts(texts: { title: string; body: string }[]) {
  const ws = await ctx.createWorkspace()
  const category = await ws.api.post('/v1/kb/categories', {
    translations: [{ locale: 'es', name: 'General', slug: 'general' }],
  })
  const ids: string[] = []
  for (const text of texts) {
    const id = uuidv7()
    ids.push(id)
    await db.execute(sql`
      insert into kb_articles (workspace_id, id, category_id, visibility, tags, position, source_locale,
                               source_revision, version)
      values (${ws.id}, ${id}, ${category.body.id}, 'public', '{}'::text[], 0, 'es', 1, 1)`)
    await db.execute(sql`
      insert into kb_article_translations (workspace_id, article_id, locale, slug, title, body, body_html,
                                           published_version, published_at, source_revision, search_config)
      values (${ws.id}, ${id}, 'es', ${`a-${id}`}, ${text.title}, ${text.body}, '', 1, now(), 1,
              ${configs.es}::regconfig)`)
  }
  return { workspaceId: ws.id as string, ids }
}

/**
 * Pages of two at a time for a query over these Spanish texts: ranking every match must put the text at
 * `first` first, title first must give the same pages, and the cursor must reach every text.
 */
async function examplePages(
  t: Test,
  texts: { title: string; body: string }[],
  query: { words: number[]; shape: Shape },
  first: number,
) {
  const { workspaceId, ids } = await spanishTexts(texts)
  const q = { locale: 'es' as const, ...query, visibilities: ['public'], tag: null, limit: 2 }
  const every = await pages(workspaceId, q, 'off')
  t.equal(
    every[0]?.article_id,
    ids[first],
    `ranking every match puts "${texts[first]?.body.slice(0, 30)}…" first`,
  )
  t.same(await pages(workspaceId, q, 'on'), every, 'title first gives the same pages')
  t.equal(every.length, texts.length, `all ${texts.length}, through the cursor`)
}

t.test(
  'a body match in a one-word text outranks title matches in long texts, and title first keeps it',
  async (t) => {
    const long = padding('es', 3000).join(' ')
    const texts = [
      { title: 'Factura anual', body: long },
      { title: 'Factura mensual', body: long },
      { title: 'Factura rectificativa', body: long },
      { title: '', body: 'factura' },
    ]
    await examplePages(t, texts, { words: [0], shape: 'or' }, 3)
  },
)

t.test(
  'for "and", a short body where the words come close again and again outranks title matches, and title first keeps it',
  async (t) => {
    // Titles with both words, in 200-word texts, score about 0.99 / log2(201) = 0.13. A 20-word body of the
    // two words ten times over scores about 0.98 / log2(21) = 0.22: it is first, though its length is past
    // what a bound of 0.5 (14 words) or 0.1 (1 word) would let through.
    const long = padding('es', 197).join(' ')
    const texts = [
      { title: 'Factura y tarjeta', body: long },
      { title: 'Tarjeta factura', body: long },
      { title: 'Factura con tarjeta', body: long },
      { title: 'Reembolso', body: Array.from({ length: 10 }, () => 'factura tarjeta').join(' ') },
      { title: 'Reembolso', body: `factura ${long} tarjeta` },
    ]
    await examplePages(t, texts, { words: [0, 2], shape: 'and' }, 3)
  },
)
