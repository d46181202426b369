import { and, eq, type SQL, sql } from 'drizzle-orm'
import { uuidv7 } from 'uuidv7'
import type { Actor } from '../../auth/actor.ts'
import { authorizeScoped } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { pgTextArray, rowsOf } from '../../db/raw.ts'
import { type ArticleVisibility, events, tickets } from '../../db/schema/index.ts'
import { inWorkspace, readInWorkspace, statementInWorkspace } from '../../db/tenant.ts'
import type { Executor } from '../../db/transaction.ts'
import { encodeCursor, malformedCursor, readCursor } from '../../lib/cursor.ts'
import { invalid, Problem } from '../../lib/problem.ts'
import { isUuid } from '../../lib/refs.ts'
import { recordEvent } from '../events/service.ts'
import { customerTickets } from '../tickets/access.ts'
import { type Reader, type Readers, visibilitiesFor } from './access.ts'
import { readableCategoryTree } from './categories.ts'
import { canonicalLocale, loadSearchConfigs, searchConfigOf } from './locales.ts'
import { plainText } from './markdown.ts'
import { fuzzyPlan, parseSearchQuery, suggestionWords } from './search-query.ts'

export interface SearchInput {
  q: string
  locale?: string | undefined
  category?: string | undefined
  tag?: string[] | undefined
  limit: number
  cursor?: string | undefined
}

/** Below this many full-text hits on a first page, the search is retried with near spellings. */
const FUZZY_BELOW = 3
const CORRECTIONS_PER_WORD = 3
const MARK_OPEN = '\u0001'
const MARK_CLOSE = '\u0002'
/** The two characters that stand for marks in headlines, blanked in the texts first so none can be forged. */
const MARKS = MARK_OPEN + MARK_CLOSE
const HEADLINE_TITLE = `HighlightAll=true, StartSel=${MARK_OPEN}, StopSel=${MARK_CLOSE}`
const HEADLINE_BODY = `MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … ", StartSel=${MARK_OPEN}, StopSel=${MARK_CLOSE}`
/**
 * Markdown links and images, `[text](target)` and `![alt](src)`, as their text: taken out before the
 * headline is cut, since a fragment may end inside one and `plainText` then no longer sees its syntax.
 * (The other markup is in single marks, which `plainText` strips from the snippet wherever it is cut.)
 */
const MARKDOWN_LINK = String.raw`!?\[([^]\n]*)\]\([^)\n]*\)`

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** Headline text as HTML: everything escaped, matches in `<mark>`. */
export const highlighted = (text: string) =>
  escapeHtml(text).replaceAll(MARK_OPEN, '<mark>').replaceAll(MARK_CLOSE, '</mark>')

/** A query in one locale: the tsquery, already built for that locale's configuration. */
interface LocaleQuery {
  locale: string
  query: SQL
}

interface HitRow {
  article_id: string
  locale: string
  rank: string
  category_id: string
  visibility: ArticleVisibility
  tags: string[]
  slug: string
  title: string
  title_hl: string
  snippet: string
}

function toHit(row: HitRow, requested: string) {
  return {
    articleId: row.article_id,
    locale: row.locale,
    fallback: row.locale !== requested,
    slug: row.slug,
    title: row.title,
    titleHtml: highlighted(row.title_hl),
    snippet: highlighted(plainText(row.snippet)),
    categoryId: row.category_id,
    visibility: row.visibility,
    tags: row.tags,
    score: Number(row.rank),
  }
}
export type SearchHit = ReturnType<typeof toHit>

/**
 * One page of published articles the reader may see matching the query, best first. Texts in the
 * requested locale are searched with its configuration; an article without a published text in that
 * locale is searched in the workspace's default locale instead (the hit says which). Visibility,
 * archive state and filters are conditions of the same statement, and the page is a keyset on
 * (score, article id), so every match can be reached, however many there are. `exclude`: the texts
 * having any of the excluded words (a tsquery per searched locale) are left out; the others are ranked
 * by what they were searched for only.
 */
async function searchPage(
  q: Executor,
  reader: Reader,
  queries: { primary: LocaleQuery; fallback: LocaleQuery | null },
  filter: { categories?: string[] | undefined; tags?: string[] | undefined },
  page: { limit: number; after?: { rank: string; id: string } | undefined },
  exclude: { primary: SQL; fallback: SQL | null } | null = null,
) {
  const { primary, fallback } = queries
  const rankQuery = fallback
    ? sql`case when t.locale = ${primary.locale} then ${primary.query} else ${fallback.query} end`
    : primary.query
  const limit = Math.trunc(page.limit)
  // (The row past the page only tells whether there is a next one: it gets no headlines, the costly part.)
  // The matching page comes from kb_search_page (migration 0008), which can use the GIN index where a
  // query under the tenant policies cannot; its rows are then read under the policies.
  return rowsOf<HitRow>(
    q,
    sql`select p.article_id, p.locale, p.rank::text as rank, a.category_id, a.visibility, a.tags, t.slug, t.title,
          case when p.n <= ${limit} then
            ts_headline(t.search_config, translate(t.title, ${MARKS}, '  '), ${rankQuery}, ${HEADLINE_TITLE}) end as title_hl,
          case when p.n <= ${limit} then
            ts_headline(t.search_config, translate(kb_parse_safe(regexp_replace(t.body, ${MARKDOWN_LINK}, ${String.raw`\1`}, 'g')), ${MARKS}, '  '),
              ${rankQuery}, ${HEADLINE_BODY}) end as snippet
        from kb_search_page(
          ${pgTextArray(visibilitiesFor(reader.audience))}::text[],
          ${filter.categories ? pgTextArray(filter.categories) : null}::uuid[],
          ${filter.tags?.length ? pgTextArray(filter.tags) : null}::text[],
          ${primary.locale}::text, ${primary.query},
          ${fallback?.locale ?? null}::text, ${fallback ? fallback.query : sql`null::tsquery`},
          ${page.after?.rank ?? null}::real, ${page.after?.id ?? null}::uuid,
          ${limit + 1}::integer,
          ${exclude ? exclude.primary : sql`null::tsquery`}, ${exclude?.fallback ?? sql`null::tsquery`}
        ) with ordinality as p(article_id, locale, rank, n)
        join kb_article_translations t on t.workspace_id = ${reader.workspaceId} and t.article_id = p.article_id and t.locale = p.locale
        join kb_articles a on a.workspace_id = ${reader.workspaceId} and a.id = p.article_id
        order by p.rank desc, p.article_id`,
  )
}

/**
 * The query again with near spellings (`kb_search_terms`, by trigram similarity) in place of the words
 * no published text the reader may see has: each such word becomes "any of its near spellings" (words of
 * such texts too), and is dropped when it has none. Words those texts have, and phrases, prefixes and
 * alternatives, stay as they were (exclusions are the search's own, passed apart). Null when there is
 * nothing to correct. Texts the reader may not see count for nothing: they neither make a word known nor
 * offer a spelling (migration 0016).
 */
async function fuzzyQuery(
  q: Executor,
  reader: Reader,
  config: string,
  plan: { words: string[]; kept: string | null },
): Promise<SQL | null> {
  if (plan.words.length === 0) return null
  const rows = await rowsOf<{ word: string; lexeme: string | null; known: boolean; term: string | null }>(
    q,
    sql`select word, lexeme, known, term
        from kb_near_terms(${pgTextArray(visibilitiesFor(reader.audience))}::text[], ${config}::text,
          ${pgTextArray(plan.words)}::text[], ${CORRECTIONS_PER_WORD}::integer)`,
  )
  const lexeme = (term: string) => `'${term}'`
  const parts: string[] = []
  let corrected = false
  for (const word of plan.words) {
    const found = rows.filter((r) => r.word === word)
    const first = found[0]
    // A stop word is no part of the query either way.
    if (!first?.lexeme) continue
    if (first.known || !/^\p{L}+$/u.test(first.lexeme)) {
      parts.push(lexeme(first.lexeme))
      continue
    }
    const near = found.map((r) => r.term).filter((t): t is string => t !== null && /^\p{L}+$/u.test(t))
    if (near.length > 0) {
      parts.push(`(${near.map(lexeme).join(' | ')})`)
      corrected = true
    }
  }
  if (!corrected) return null
  const words = sql`${parts.join(' & ')}::tsquery`
  return plan.kept ? sql`(${words} && to_tsquery(${config}::regconfig, ${plan.kept}))` : words
}

/**
 * How many texts a suggestion may have to rank: the ticket's rarest words are taken while their
 * estimated matches stay under 3% of the texts, or under 1,000 texts in a smaller knowledge base (always
 * one word, at most eight).
 */
const SUGGESTION_CANDIDATE_SHARE = 0.03
const SUGGESTION_CANDIDATES = 1000
const DISTINCTIVE_WORDS = 8

/**
 * How common the most common lexemes of the search vectors are (the share of texts with each), from the
 * statistics PostgreSQL keeps of them (kb_word_statistics, migration 0015); a word not among them is rarer
 * than all of them. They change only when the table is analysed, so each process keeps them, per
 * database, and reads them again when the table's row estimate (which analysing sets) is not the one
 * they were read with, or after a minute.
 */
const WORD_STATISTICS_TTL_MS = 60_000
const wordStatistics = new WeakMap<Db, { texts: number; shares: Map<string, number>; at: number }>()

async function wordShares(db: Db, q: Executor, texts: number): Promise<Map<string, number>> {
  const kept = wordStatistics.get(db)
  if (kept && kept.texts === texts && Date.now() - kept.at < WORD_STATISTICS_TTL_MS) return kept.shares
  const rows = await rowsOf<{ lexeme: string; share: number }>(
    q,
    sql`select lexeme, share from kb_word_statistics()`,
  )
  const shares = new Map(rows.map((r) => [r.lexeme, r.share]))
  wordStatistics.set(db, { texts, shares, at: Date.now() })
  return shares
}

/**
 * A ticket's words as a query any of them may match, keeping its most distinctive ones, as "more like
 * this" searches do: a word most texts have ("pedido", "ayuda") says little about which article fits
 * and would make nearly every article a candidate to rank. How common each word is comes from
 * `wordShares`.
 */
async function distinctiveQuery(db: Db, q: Executor, config: string, words: string[]): Promise<SQL | null> {
  if (words.length === 0) return null
  // Only the words some text of the workspace has (its vocabulary, kb_search_terms): a word none has
  // matches nothing, and must not take the place of one that does. (The statistics below know only
  // the most common words, so by them alone an unknown word would look the rarest of all.)
  const lexemes = await rowsOf<{ lexeme: string; position: number; texts: number }>(
    q,
    sql`select l.lexeme, l.positions[1]::integer as position,
          (select greatest(reltuples, 0)::float8 from pg_class where oid = 'public.kb_search_documents'::regclass) as texts
        from unnest(to_tsvector(${config}::regconfig, ${words.join(' ')}::text)) as l
        where exists (select 1 from kb_search_terms k
                      where k.workspace_id = nullif(current_setting('atiende.workspace_id', true), '')::uuid
                        and k.config = ${config} and k.term = l.lexeme)`,
  )
  if (lexemes.length === 0) return null
  const texts = lexemes[0]?.texts ?? 0
  const shares = await wordShares(db, q, texts)
  const rows = lexemes.map((r) => ({ ...r, freq: shares.get(r.lexeme) ?? null }))
  const budget = Math.max(SUGGESTION_CANDIDATE_SHARE, texts > 0 ? SUGGESTION_CANDIDATES / texts : 1)
  const ranked = rows
    .filter((r) => /^\p{L}+$/u.test(r.lexeme))
    // Rarest first; among equals (no statistics yet, in a young knowledge base), the subject's words first.
    .sort((a, b) => (a.freq ?? 0) - (b.freq ?? 0) || a.position - b.position)
  const chosen: typeof ranked = []
  let share = 0
  for (const row of ranked) {
    if (chosen.length > 0 && (share + (row.freq ?? 0) > budget || chosen.length === DISTINCTIVE_WORDS)) break
    chosen.push(row)
    share += row.freq ?? 0
  }
  if (chosen.length === 0) return null
  return sql`${chosen.map((r) => `'${r.lexeme}'`).join(' | ')}::tsquery`
}

interface SearchedLocales {
  primary: { locale: string; config: string }
  fallback: { locale: string; config: string } | null
}

/** The locales a search reads: the one asked for, and the workspace's default for articles without it. */
async function searchedLocales(db: Db, reader: Reader, requested: string): Promise<SearchedLocales> {
  const primary = { locale: requested, config: await searchConfigOf(db, requested) }
  if (requested === reader.defaultLocale) return { primary, fallback: null }
  return {
    primary,
    fallback: { locale: reader.defaultLocale, config: await searchConfigOf(db, reader.defaultLocale) },
  }
}

/** Each searched locale's query, built for its configuration; null when none has one. */
async function queriesFor(
  locales: SearchedLocales,
  build: (config: string) => Promise<SQL | null>,
): Promise<{ primary: LocaleQuery; fallback: LocaleQuery | null } | null> {
  const primary = await build(locales.primary.config)
  const fallback = locales.fallback ? await build(locales.fallback.config) : null
  if (!primary && !fallback) return null
  const nothing = sql`''::tsquery`
  return {
    primary: { locale: locales.primary.locale, query: primary ?? nothing },
    fallback: locales.fallback ? { locale: locales.fallback.locale, query: fallback ?? nothing } : null,
  }
}

async function filterCategories(q: Executor, reader: Reader, category: string | undefined) {
  if (category === undefined) return undefined
  const ids = await readableCategoryTree(q, reader, category)
  if (ids.length === 0) throw invalid('/category', `names no category of this workspace: ${category}`)
  return ids
}

export function createSearchService(db: Db, readers: Readers) {
  async function searchFor(reader: Reader, input: SearchInput) {
    const requested = input.locale ? canonicalLocale(input.locale) : reader.defaultLocale
    const parsed = parseSearchQuery(input.q)
    // A cursor carries the mode of the first page, so a retried (fuzzy) search pages through the same results.
    let mode: 'exact' | 'fuzzy' = 'exact'
    let after: { rank: string; id: string } | undefined
    if (input.cursor) {
      const [m, rank, id] = readCursor(input.cursor, ['text', 'text', 'uuid'])
      // A score is a float4 PostgreSQL gave: anything else is a forged cursor.
      const score = rank.length <= 32 ? Math.fround(Number(rank)) : Number.NaN
      if ((m !== 'exact' && m !== 'fuzzy') || !Number.isFinite(score) || score < 0) throw malformedCursor()
      mode = m
      after = { rank: String(score), id }
    }
    const empty = { data: [], nextCursor: null, cursors: [], fuzzy: false, locale: requested }
    if (parsed.text === null) return empty
    const text = parsed.text
    await loadSearchConfigs(db)
    return readInWorkspace(db, reader.workspaceId, async (q) => {
      const filter = {
        categories: await filterCategories(q, reader, input.category),
        tags: input.tag,
      }
      const locales = await searchedLocales(db, reader, requested)
      const excluding = (config: string) => sql`to_tsquery(${config}::regconfig, ${parsed.excluded})`
      const exclude = parsed.excluded
        ? {
            primary: excluding(locales.primary.config),
            fallback: locales.fallback ? excluding(locales.fallback.config) : null,
          }
        : null
      const run = (queries: { primary: LocaleQuery; fallback: LocaleQuery | null }) =>
        searchPage(q, reader, queries, filter, { limit: input.limit, after }, exclude)
      let rows: HitRow[] = []
      if (mode === 'exact') {
        const exact = await queriesFor(
          locales,
          async (config) => sql`to_tsquery(${config}::regconfig, ${text})`,
        )
        if (exact) rows = await run(exact)
      }
      if (mode === 'fuzzy' || (!after && rows.length < FUZZY_BELOW)) {
        const plan = fuzzyPlan(parsed)
        const fuzzy = await queriesFor(locales, (config) => fuzzyQuery(q, reader, config, plan))
        if (fuzzy) {
          const fuzzyRows = await run(fuzzy)
          if (mode === 'fuzzy' || fuzzyRows.length > rows.length) {
            rows = fuzzyRows
            mode = 'fuzzy'
          }
        }
      }
      const hasMore = rows.length > input.limit
      const data = (hasMore ? rows.slice(0, input.limit) : rows).map((row) => toHit(row, requested))
      const cursors = data.map((hit, i) => encodeCursor([mode, (rows[i] as HitRow).rank, hit.articleId]))
      return {
        data,
        nextCursor: hasMore ? (cursors.at(-1) ?? null) : null,
        cursors,
        fuzzy: mode === 'fuzzy',
        locale: requested,
      }
    })
  }

  /**
   * The few published articles most relevant to a ticket being written, any of its words matching,
   * best first; recorded as `kb.suggestions.shown` under a new suggestion id that later outcomes name.
   */
  async function suggestFor(
    reader: Reader,
    input: {
      subject: string
      body?: string | undefined
      locale?: string | undefined
      limit?: number | undefined
    },
  ) {
    const requested = input.locale ? canonicalLocale(input.locale) : reader.defaultLocale
    const words = suggestionWords(input.subject, input.body ?? '')
    const id = uuidv7()
    await loadSearchConfigs(db)
    const limit = input.limit ?? 5
    const data = await readInWorkspace(db, reader.workspaceId, async (q) => {
      const locales = await searchedLocales(db, reader, requested)
      const queries = await queriesFor(locales, (config) => distinctiveQuery(db, q, config, words))
      const rows = queries ? (await searchPage(q, reader, queries, {}, { limit })).slice(0, limit) : []
      return rows.map((row) => toHit(row, requested))
    })
    // The record of what was shown, one statement of its own: the search holds no transaction open for it
    // (under an Idempotency-Key both run in the request's transaction, as every write of such a request).
    await statementInWorkspace(db, reader.workspaceId, (q) =>
      recordEvent(q, {
        workspaceId: reader.workspaceId,
        type: 'kb.suggestions.shown',
        subjectType: 'kb_suggestion',
        subjectId: id,
        actor: reader.actor,
        data: { locale: requested, articleIds: data.map((h) => h.articleId), audience: reader.audience },
      }),
    )
    return { id, locale: requested, data }
  }

  /**
   * What came of a suggestion: an article opened from it, or a ticket created anyway. Who may say so:
   * - staff, of any suggestion of the workspace (an integrator's backend records what its pages saw);
   * - a contact, of one shown to them, or to an anonymous caller (the help form before signing in), and
   *   naming only a ticket of theirs (their organization's, for an authorized member);
   * - an anonymous caller, of an anonymous suggestion, and only that an article was opened: a ticket is
   *   named by the credentials that created it, never by someone who cannot read it.
   */
  async function outcomeFor(
    reader: Reader,
    suggestionId: string,
    input: {
      outcome: 'article_opened' | 'ticket_created'
      articleId?: string | undefined
      ticketId?: string | undefined
    },
  ) {
    const actor: Actor = reader.actor
    if (input.outcome === 'article_opened' && !input.articleId)
      throw invalid('/articleId', 'is required for article_opened')
    if (input.outcome === 'ticket_created' && !input.ticketId)
      throw invalid('/ticketId', 'is required for ticket_created')
    if (input.ticketId && reader.audience === 'public') {
      throw new Problem(
        'forbidden',
        'An anonymous caller cannot name a ticket: record ticket_created with the API key or contact token that created it.',
      )
    }
    return inWorkspace(db, reader.workspaceId, async (tx) => {
      const [shown] = isUuid(suggestionId)
        ? await tx
            .select({ data: events.data, actorKind: events.actorKind, actorId: events.actorId })
            .from(events)
            .where(
              and(
                eq(events.workspaceId, reader.workspaceId),
                eq(events.subjectType, 'kb_suggestion'),
                eq(events.subjectId, suggestionId),
                eq(events.type, 'kb.suggestions.shown'),
              ),
            )
            .limit(1)
        : []
      const anonymouslyShown = shown?.data.audience === 'public'
      const ours =
        reader.audience === 'staff' ||
        anonymouslyShown ||
        (actor.kind === 'contact' && shown?.actorKind === 'contact' && shown.actorId === actor.contactId)
      // (Someone else's suggestion is as unknown as one that never was.)
      if (!shown || !ours) throw new Problem('not_found', `Suggestion ${suggestionId} not found`)
      if (
        input.articleId &&
        !((shown.data.articleIds as string[] | undefined) ?? []).includes(input.articleId.toLowerCase())
      ) {
        throw invalid('/articleId', 'was not among the suggested articles')
      }
      if (input.ticketId) {
        const { customer } = authorizeScoped(actor, 'tickets:read')
        const [ticket] = isUuid(input.ticketId)
          ? await tx
              .select({ id: tickets.id })
              .from(tickets)
              .where(
                and(
                  eq(tickets.workspaceId, reader.workspaceId),
                  eq(tickets.id, input.ticketId),
                  customerTickets(customer),
                ),
              )
          : []
        if (!ticket) throw invalid('/ticketId', `names no ticket of this workspace: ${input.ticketId}`)
      }
      await recordEvent(tx, {
        workspaceId: reader.workspaceId,
        type: `kb.suggestion.${input.outcome}`,
        subjectType: 'kb_suggestion',
        subjectId: suggestionId,
        actor,
        data: input.articleId
          ? { articleId: input.articleId.toLowerCase() }
          : { ticketId: input.ticketId?.toLowerCase() },
      })
    })
  }

  return {
    searchFor,
    suggestFor,
    outcomeFor,
    async search(actor: Actor, input: SearchInput) {
      return searchFor(await readers.of(actor), input)
    },
    async suggest(
      actor: Actor,
      input: {
        subject: string
        body?: string | undefined
        locale?: string | undefined
        limit?: number | undefined
      },
    ) {
      return suggestFor(await readers.of(actor), input)
    },
    async outcome(
      actor: Actor,
      suggestionId: string,
      input: {
        outcome: 'article_opened' | 'ticket_created'
        articleId?: string | undefined
        ticketId?: string | undefined
      },
    ) {
      return outcomeFor(await readers.of(actor), suggestionId, input)
    },
  }
}
export type SearchService = ReturnType<typeof createSearchService>
