import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, lt, or, sql } from 'drizzle-orm'
import type { Actor } from '../../auth/actor.ts'
import { authorize, authorizeScoped } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { violatedConstraint } from '../../db/errors.ts'
import { pgTextArray } from '../../db/raw.ts'
import {
  type ArticleVisibility,
  kbArticles,
  kbArticleTranslations,
  kbArticleVersions,
  kbArticleViews,
  kbFeedback,
  kbTicketArticles,
  messages,
  tickets,
} from '../../db/schema/index.ts'
import { inWorkspace, readInWorkspace, writeInWorkspace } from '../../db/tenant.ts'
import type { Executor, Tx } from '../../db/transaction.ts'
import { paginate, readCursor } from '../../lib/cursor.ts'
import { invalid, Problem, problem } from '../../lib/problem.ts'
import { isUuid, parseTicketRef } from '../../lib/refs.ts'
import { actorColumns, diff, recordEvent } from '../events/service.ts'
import { customerTickets } from '../tickets/access.ts'
import { describeRef, refCondition, TicketNotFound } from '../tickets/queries.ts'
import { type Reader, type Readers, visibilitiesFor } from './access.ts'
import { categoryTree, readableCategoryTree } from './categories.ts'
import { canonicalLocale, loadSearchConfigs, searchConfigOf } from './locales.ts'
import { renderMarkdown } from './markdown.ts'
import { hashSessionKey } from './session.ts'

export const ArticleNotFound = problem('not_found', 'Knowledge base article %s not found')
export const TranslationNotFound = problem('not_found', 'Article %s has no %s translation')

export type ArticleRow = typeof kbArticles.$inferSelect
export type TranslationRow = typeof kbArticleTranslations.$inferSelect

export interface TranslationInput {
  title: string
  body: string
  slug?: string
}
export interface ArticleInput {
  categoryId?: string
  visibility?: ArticleVisibility
  tags?: string[]
  position?: number
  sourceLocale?: string
  archived?: boolean
}
export interface NewArticleInput extends ArticleInput {
  categoryId: string
  visibility: ArticleVisibility
  translations?: (TranslationInput & { locale: string })[]
  /** Publish the given translations at once (otherwise they are drafts). */
  publish?: boolean
}
export interface ArticleFilter {
  category?: string | undefined
  tag?: string[] | undefined
  locale?: string | undefined
  visibility?: ArticleVisibility[] | undefined
  state?: 'draft' | 'published' | 'archived' | undefined
}
type Page = { limit: number; cursor?: string | undefined }

/** `Cómo pedir un reembolso` → `como-pedir-un-reembolso`. */
export function slugify(title: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    // 48, so that a ticket's number and a numbering suffix still fit the 64 a slug may have.
    .slice(0, 48)
    .replace(/-+$/, '')
  // (A slug shaped like a UUID would be read as an id, and never find its article.)
  return isUuid(slug) ? `${slug}-article` : slug || 'article'
}

const isPublished = (t: TranslationRow) => t.publishedVersion > 0
const isOutdated = (article: ArticleRow, t: TranslationRow) =>
  t.locale !== article.sourceLocale && isPublished(t) && t.sourceRevision < article.sourceRevision

function toTranslation(article: ArticleRow, t: TranslationRow, staff: boolean) {
  const draft = staff && t.draftTitle !== null && t.draftBody !== null
  return {
    locale: t.locale,
    slug: t.slug,
    state: isPublished(t) ? ('published' as const) : ('draft' as const),
    outdated: staff && isOutdated(article, t),
    title: t.title,
    body: t.body,
    bodyHtml: t.bodyHtml,
    publishedVersion: t.publishedVersion,
    publishedAt: t.publishedAt?.toISOString() ?? null,
    draft: draft
      ? {
          title: t.draftTitle as string,
          body: t.draftBody as string,
          bodyHtml: t.draftBodyHtml as string,
          slug: t.draftSlug ?? t.slug,
        }
      : null,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  }
}
export type Translation = ReturnType<typeof toTranslation>

function toSummary(article: ArticleRow, t: TranslationRow, staff: boolean) {
  return {
    locale: t.locale,
    slug: t.slug,
    title: (t.title ?? t.draftTitle) as string,
    state: isPublished(t) ? ('published' as const) : ('draft' as const),
    outdated: staff && isOutdated(article, t),
    hasDraft: staff && t.draftTitle !== null,
    publishedVersion: t.publishedVersion,
    publishedAt: t.publishedAt?.toISOString() ?? null,
  }
}

/**
 * An article as a reader sees it. `translation` is the text in the locale asked for, else in the
 * workspace's default locale, else in the article's source locale (its `locale` says which); customers
 * see published texts only, and neither drafts, counts nor who wrote it.
 */
export function toArticle(
  article: ArticleRow,
  translations: TranslationRow[],
  reader: Pick<Reader, 'audience' | 'defaultLocale'>,
  locale?: string,
) {
  const staff = reader.audience === 'staff'
  const own = translations
    .filter((t) => t.articleId === article.id && (staff || isPublished(t)))
    .sort((a, b) => a.locale.localeCompare(b.locale))
  const pick = locale
    ? (own.find((t) => t.locale === locale) ??
      own.find((t) => t.locale === reader.defaultLocale) ??
      own.find((t) => t.locale === article.sourceLocale) ??
      own[0])
    : undefined
  return {
    id: article.id,
    categoryId: article.categoryId,
    visibility: article.visibility,
    tags: article.tags,
    position: article.position,
    sourceLocale: article.sourceLocale,
    archivedAt: article.archivedAt?.toISOString() ?? null,
    authorId: staff ? article.authorId : null,
    ticketId: staff ? article.ticketId : null,
    viewCount: staff ? article.viewCount : null,
    helpfulCount: staff ? article.helpfulCount : null,
    notHelpfulCount: staff ? article.notHelpfulCount : null,
    version: article.version,
    translations: own.map((t) => toSummary(article, t, staff)),
    translation: pick ? toTranslation(article, pick, staff) : null,
    createdAt: article.createdAt.toISOString(),
    updatedAt: article.updatedAt.toISOString(),
  }
}
export type Article = ReturnType<typeof toArticle>

/** Conditions on the articles a reader may see at all. */
export function readable(reader: Reader) {
  if (reader.audience === 'staff') return eq(kbArticles.workspaceId, reader.workspaceId)
  return and(
    eq(kbArticles.workspaceId, reader.workspaceId),
    isNull(kbArticles.archivedAt),
    inArray(kbArticles.visibility, visibilitiesFor(reader.audience)),
    sql`exists (select 1 from kb_article_translations p where p.workspace_id = ${kbArticles.workspaceId}
          and p.article_id = ${kbArticles.id} and p.published_version > 0)`,
  )
}

function conflict(error: unknown) {
  if (violatedConstraint(error) === 'kb_article_translations_slug_key') {
    return new Problem('conflict', 'Another article has this slug in this locale.', {
      errors: [{ path: '/slug', message: 'belongs to another article in this locale' }],
    })
  }
  return null
}

export function createArticlesService(db: Db, readers: Readers) {
  async function write<T>(workspaceId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    await loadSearchConfigs(db)
    return writeInWorkspace(db, workspaceId, fn, conflict)
  }

  async function translationsOf(q: Executor, workspaceId: string, ids: string[]) {
    if (ids.length === 0) return []
    return q
      .select()
      .from(kbArticleTranslations)
      .where(
        and(
          eq(kbArticleTranslations.workspaceId, workspaceId),
          inArray(kbArticleTranslations.articleId, ids),
        ),
      )
  }

  /** By id, or by slug in any locale (the reader's locale first); 404 for what the reader may not see. */
  async function find(q: Executor, reader: Reader, ref: string, locale?: string) {
    const { workspaceId } = reader
    let id = isUuid(ref) ? ref.toLowerCase() : undefined
    if (!id) {
      // Among the articles the reader may see (a customer: by a published text's slug), the reader's
      // locale first: a slug is unique per locale only.
      const hits = await q
        .select({ id: kbArticleTranslations.articleId, locale: kbArticleTranslations.locale })
        .from(kbArticleTranslations)
        .innerJoin(
          kbArticles,
          and(
            eq(kbArticles.workspaceId, kbArticleTranslations.workspaceId),
            eq(kbArticles.id, kbArticleTranslations.articleId),
          ),
        )
        .where(
          and(
            readable(reader),
            eq(kbArticleTranslations.workspaceId, workspaceId),
            eq(kbArticleTranslations.slug, ref),
            reader.audience === 'staff' ? undefined : gt(kbArticleTranslations.publishedVersion, 0),
          ),
        )
      id = (
        hits.find((h) => h.locale === locale) ??
        hits.find((h) => h.locale === reader.defaultLocale) ??
        hits[0]
      )?.id
    }
    const [article] = id
      ? await q
          .select()
          .from(kbArticles)
          .where(and(readable(reader), eq(kbArticles.id, id)))
      : []
    if (!article) throw ArticleNotFound(ref)
    return { article, translations: await translationsOf(q, workspaceId, [article.id]) }
  }

  /**
   * The article, locked for a command (staff only, so every article is found). `ifMatch`, the versions
   * of an `If-Match` header: the command is refused (412) unless the article is still at one of them.
   * Every command on the article or its translations moves its version on, so one ETag guards them all.
   */
  async function lock(tx: Tx, workspaceId: string, ref: string, ifMatch?: number[]) {
    if (!isUuid(ref)) throw ArticleNotFound(ref)
    const [article] = await tx
      .select()
      .from(kbArticles)
      .where(and(eq(kbArticles.workspaceId, workspaceId), eq(kbArticles.id, ref.toLowerCase())))
      .for('update')
    if (!article) throw ArticleNotFound(ref)
    if (ifMatch && !ifMatch.includes(article.version)) {
      throw new Problem('precondition_failed', `Article ${article.id} is at version ${article.version}.`)
    }
    return article
  }

  async function translation(tx: Executor, workspaceId: string, articleId: string, locale: string) {
    const [row] = await tx
      .select()
      .from(kbArticleTranslations)
      .where(
        and(
          eq(kbArticleTranslations.workspaceId, workspaceId),
          eq(kbArticleTranslations.articleId, articleId),
          eq(kbArticleTranslations.locale, locale),
        ),
      )
    return row
  }

  async function touch(tx: Tx, article: ArticleRow, set: Partial<ArticleRow> = {}) {
    const [row] = await tx
      .update(kbArticles)
      .set({ ...set, version: article.version + 1, updatedAt: new Date() })
      .where(and(eq(kbArticles.workspaceId, article.workspaceId), eq(kbArticles.id, article.id)))
      .returning()
    return row as ArticleRow
  }

  /** `base`, or `base-2`, `base-3`…: the first slug no article of the workspace has in this locale. */
  async function freeSlug(tx: Executor, workspaceId: string, locale: string, base: string) {
    const rows = await tx
      .select({ slug: kbArticleTranslations.slug, draftSlug: kbArticleTranslations.draftSlug })
      .from(kbArticleTranslations)
      .where(
        and(
          eq(kbArticleTranslations.workspaceId, workspaceId),
          eq(kbArticleTranslations.locale, locale),
          or(
            eq(kbArticleTranslations.slug, base),
            sql`${kbArticleTranslations.slug} like ${`${base}-%`}`,
            eq(kbArticleTranslations.draftSlug, base),
            sql`${kbArticleTranslations.draftSlug} like ${`${base}-%`}`,
          ),
        ),
      )
    const taken = new Set(rows.flatMap((r) => [r.slug, r.draftSlug]))
    let n = 1
    while (taken.has(n === 1 ? base : `${base}-${n}`)) n++
    const slug = n === 1 ? base : `${base}-${n}`
    // (Never longer than the API takes back: a client that writes a translation back as read must not fail.)
    return slug.length <= 64 ? slug : `${base.slice(0, 64 - String(n).length - 1).replace(/-+$/, '')}-${n}`
  }

  /** `slug` for a draft of this article: 409 when another translation in the locale has it, live or drafted. */
  async function slugFree(tx: Executor, article: ArticleRow, locale: string, slug: string) {
    const [taken] = await tx
      .select({ articleId: kbArticleTranslations.articleId })
      .from(kbArticleTranslations)
      .where(
        and(
          eq(kbArticleTranslations.workspaceId, article.workspaceId),
          eq(kbArticleTranslations.locale, locale),
          or(eq(kbArticleTranslations.slug, slug), eq(kbArticleTranslations.draftSlug, slug)),
          sql`${kbArticleTranslations.articleId} <> ${article.id}`,
        ),
      )
      .limit(1)
    if (taken) {
      throw new Problem('conflict', `Another article has the slug ${slug} in ${locale}.`, {
        errors: [{ path: '/slug', message: 'belongs to another article in this locale' }],
      })
    }
    return slug
  }

  /**
   * Writes the draft of a translation, creating the translation if the article has none in that locale
   * (its slug, when not given, made from the title and numbered when another article has it). Records
   * no event: the command that calls it records the one event of its change (DOMAIN.md).
   */
  async function saveDraft(
    tx: Tx,
    article: ArticleRow,
    locale: string,
    input: TranslationInput & { slugBase?: string },
  ) {
    const current = await translation(tx, article.workspaceId, article.id, locale)
    const draftBodyHtml = renderMarkdown(input.body)
    if (!current) {
      await tx.insert(kbArticleTranslations).values({
        workspaceId: article.workspaceId,
        articleId: article.id,
        locale,
        slug:
          input.slug ??
          (await freeSlug(tx, article.workspaceId, locale, input.slugBase ?? slugify(input.title))),
        draftTitle: input.title,
        draftBody: input.body,
        draftBodyHtml,
        searchConfig: await searchConfigOf(db, locale),
      })
    } else {
      // A published translation keeps its live slug until the draft is published (links to it keep
      // working); one never published has no live slug to keep.
      const slug =
        input.slug === undefined
          ? {}
          : !isPublished(current)
            ? { slug: input.slug }
            : {
                draftSlug:
                  input.slug === current.slug ? null : await slugFree(tx, article, locale, input.slug),
              }
      await tx
        .update(kbArticleTranslations)
        .set({
          draftTitle: input.title,
          draftBody: input.body,
          draftBodyHtml,
          ...slug,
          updatedAt: new Date(),
        })
        .where(
          and(
            eq(kbArticleTranslations.workspaceId, article.workspaceId),
            eq(kbArticleTranslations.articleId, article.id),
            eq(kbArticleTranslations.locale, locale),
          ),
        )
    }
    return current ? ('draft_saved' as const) : ('translation_created' as const)
  }

  /**
   * Makes a translation's draft its live text: the text it replaces stays as the previous version,
   * the search index (the row's generated vector) changes in the same transaction, and the words join
   * the typo-tolerance list. Publishing a changed text in the source locale marks the other
   * translations outdated. Records no event, as `saveDraft`.
   */
  async function publish(tx: Tx, actor: Actor, article: ArticleRow, locale: string) {
    const current = await translation(tx, article.workspaceId, article.id, locale)
    if (!current) throw TranslationNotFound(article.id, locale)
    if (current.draftTitle === null || current.draftBody === null) {
      throw new Problem('conflict', `The ${locale} translation has no draft to publish.`)
    }
    const now = new Date()
    const version = current.publishedVersion + 1
    const isSource = locale === article.sourceLocale
    // The other translations are outdated only when the source's text changes: republishing the same
    // text (a restored version, say) leaves them as current as they were.
    const changed = current.title !== current.draftTitle || current.body !== current.draftBody
    const sourceRevision = isSource && changed ? article.sourceRevision + 1 : article.sourceRevision
    await tx
      .update(kbArticleTranslations)
      .set({
        title: current.draftTitle,
        body: current.draftBody,
        bodyHtml: current.draftBodyHtml,
        slug: current.draftSlug ?? current.slug,
        draftTitle: null,
        draftBody: null,
        draftBodyHtml: null,
        draftSlug: null,
        publishedVersion: version,
        publishedAt: now,
        sourceRevision,
        updatedAt: now,
      })
      .where(
        and(
          eq(kbArticleTranslations.workspaceId, article.workspaceId),
          eq(kbArticleTranslations.articleId, article.id),
          eq(kbArticleTranslations.locale, locale),
        ),
      )
    await tx.insert(kbArticleVersions).values({
      workspaceId: article.workspaceId,
      articleId: article.id,
      locale,
      version,
      title: current.draftTitle,
      body: current.draftBody,
      publishedAt: now,
      ...actorColumns(actor),
    })
    const updated = await touch(tx, article, isSource ? { sourceRevision } : {})
    return { article: updated, published: { locale, version, title: current.draftTitle } }
  }

  /** Links an article to a ticket, recording the ticket's event; false when it already was linked. */
  async function linkToTicket(
    tx: Tx,
    actor: Actor,
    workspaceId: string,
    ticketId: string,
    articleId: string,
  ) {
    const inserted = await tx
      .insert(kbTicketArticles)
      .values({ workspaceId, ticketId, articleId, ...actorColumns(actor) })
      .onConflictDoNothing()
      .returning({ articleId: kbTicketArticles.articleId })
    if (inserted.length === 0) return false
    await recordEvent(tx, {
      workspaceId,
      type: 'ticket.article_linked',
      subjectType: 'ticket',
      subjectId: ticketId,
      actor,
      data: { articleId },
    })
    return true
  }

  async function categoryExists(tx: Executor, workspaceId: string, categoryId: string) {
    if (!isUuid(categoryId) || (await categoryTree(tx, workspaceId, categoryId)).length === 0) {
      throw invalid('/categoryId', `names no category of this workspace: ${categoryId}`)
    }
    return categoryId.toLowerCase()
  }

  async function staffView(q: Executor, workspaceId: string, articleId: string, locale?: string) {
    const [article] = await q
      .select()
      .from(kbArticles)
      .where(and(eq(kbArticles.workspaceId, workspaceId), eq(kbArticles.id, articleId)))
    if (!article) throw ArticleNotFound(articleId)
    return toArticle(
      article,
      await translationsOf(q, workspaceId, [articleId]),
      { audience: 'staff', defaultLocale: locale ?? article.sourceLocale },
      locale,
    )
  }

  async function listFor(reader: Reader, filter: ArticleFilter, page: Page) {
    const { workspaceId } = reader
    const staff = reader.audience === 'staff'
    if (!staff && (filter.state === 'draft' || filter.state === 'archived')) {
      throw new Problem('forbidden', 'Only staff see drafts and archived articles.')
    }
    const locale = filter.locale ? canonicalLocale(filter.locale) : undefined
    const after = page.cursor ? readCursor(page.cursor, ['int', 'uuid']) : undefined
    return readInWorkspace(db, workspaceId, async (q) => {
      const categories = filter.category ? await readableCategoryTree(q, reader, filter.category) : undefined
      if (filter.category && categories?.length === 0)
        throw invalid('/category', `names no category: ${filter.category}`)
      const stateCondition =
        filter.state === 'archived'
          ? isNotNull(kbArticles.archivedAt)
          : filter.state === 'published'
            ? and(
                isNull(kbArticles.archivedAt),
                sql`exists (select 1 from kb_article_translations s where s.workspace_id = ${kbArticles.workspaceId} and s.article_id = ${kbArticles.id} and s.published_version > 0 ${locale ? sql`and s.locale = ${locale}` : sql``})`,
              )
            : filter.state === 'draft'
              ? sql`exists (select 1 from kb_article_translations s where s.workspace_id = ${kbArticles.workspaceId} and s.article_id = ${kbArticles.id} and s.draft_title is not null ${locale ? sql`and s.locale = ${locale}` : sql``})`
              : undefined
      const rows = await q
        .select()
        .from(kbArticles)
        .where(
          and(
            readable(reader),
            categories ? inArray(kbArticles.categoryId, categories) : undefined,
            filter.tag?.length ? sql`${kbArticles.tags} && ${pgTextArray(filter.tag)}::text[]` : undefined,
            filter.visibility?.length ? inArray(kbArticles.visibility, filter.visibility) : undefined,
            locale
              ? sql`exists (select 1 from kb_article_translations l where l.workspace_id = ${kbArticles.workspaceId} and l.article_id = ${kbArticles.id} and l.locale = ${locale} ${staff ? sql`` : sql`and l.published_version > 0`})`
              : undefined,
            stateCondition,
            after
              ? sql`(${kbArticles.position}, ${kbArticles.id}) > (${after[0]}, ${after[1]}::uuid)`
              : undefined,
          ),
        )
        .orderBy(asc(kbArticles.position), asc(kbArticles.id))
        .limit(page.limit + 1)
      const result = paginate(rows, page.limit, (r) => [r.position, r.id])
      const translations = await translationsOf(
        q,
        workspaceId,
        result.data.map((r) => r.id),
      )
      return {
        data: result.data.map((r) => toArticle(r, translations, reader, locale)),
        nextCursor: result.nextCursor,
        cursors: result.cursors,
      }
    })
  }

  /** Counts a customer's read of an article (staff reads are not counted). */
  async function countView(reader: Reader, articleId: string) {
    if (reader.audience === 'staff') return
    await inWorkspace(db, reader.workspaceId, async (tx) => {
      await tx
        .insert(kbArticleViews)
        .values({
          workspaceId: reader.workspaceId,
          articleId,
          day: sql`current_date` as unknown as string,
          views: 1,
        })
        .onConflictDoUpdate({
          target: [kbArticleViews.workspaceId, kbArticleViews.articleId, kbArticleViews.day],
          set: { views: sql`${kbArticleViews.views} + 1` },
        })
      await tx
        .update(kbArticles)
        .set({ viewCount: sql`${kbArticles.viewCount} + 1` })
        .where(and(eq(kbArticles.workspaceId, reader.workspaceId), eq(kbArticles.id, articleId)))
    })
  }

  async function getFor(reader: Reader, ref: string, locale?: string) {
    const wanted = locale ? canonicalLocale(locale) : undefined
    const found = await readInWorkspace(db, reader.workspaceId, (q) => find(q, reader, ref, wanted))
    const article = toArticle(found.article, found.translations, reader, wanted ?? reader.defaultLocale)
    await countView(reader, article.id)
    return article
  }

  async function feedbackFor(
    reader: Reader,
    ref: string,
    input: {
      helpful: boolean
      comment?: string | null | undefined
      sessionKey?: string | undefined
      locale?: string | undefined
    },
  ) {
    const actor = reader.actor
    const voter =
      actor.kind === 'contact'
        ? `contact:${actor.contactId}`
        : input.sessionKey
          ? `session:${hashSessionKey(input.sessionKey)}`
          : null
    if (!voter) throw invalid('/sessionKey', 'is required for a caller that is not a contact')
    if (actor.kind === 'contact' && actor.blocked) {
      throw new Problem('forbidden', 'This contact is blocked: they may read but not write.')
    }
    return inWorkspace(db, reader.workspaceId, async (tx) => {
      const { article } = await find(tx, reader, ref)
      const [before] = await tx
        .select()
        .from(kbFeedback)
        .where(
          and(
            eq(kbFeedback.workspaceId, reader.workspaceId),
            eq(kbFeedback.articleId, article.id),
            eq(kbFeedback.voter, voter),
          ),
        )
        .for('update')
      const now = new Date()
      const values = {
        helpful: input.helpful,
        comment: input.comment ?? null,
        locale: input.locale ? canonicalLocale(input.locale) : null,
        updatedAt: now,
      }
      await tx
        .insert(kbFeedback)
        .values({ workspaceId: reader.workspaceId, articleId: article.id, voter, ...values })
        .onConflictDoUpdate({
          target: [kbFeedback.workspaceId, kbFeedback.articleId, kbFeedback.voter],
          set: values,
        })
      // One vote per voter: a later one replaces it, and the counts follow.
      const helpfulDelta = (input.helpful ? 1 : 0) - (before?.helpful === true ? 1 : 0)
      const notHelpfulDelta = (input.helpful ? 0 : 1) - (before?.helpful === false ? 1 : 0)
      if (helpfulDelta !== 0 || notHelpfulDelta !== 0) {
        await tx
          .update(kbArticles)
          .set({
            helpfulCount: sql`${kbArticles.helpfulCount} + ${helpfulDelta}`,
            notHelpfulCount: sql`${kbArticles.notHelpfulCount} + ${notHelpfulDelta}`,
          })
          .where(and(eq(kbArticles.workspaceId, reader.workspaceId), eq(kbArticles.id, article.id)))
      }
      await recordEvent(tx, {
        workspaceId: reader.workspaceId,
        type: 'kb.article.feedback',
        subjectType: 'kb_article',
        subjectId: article.id,
        actor,
        data: { helpful: input.helpful, replaced: before !== undefined, hasComment: Boolean(input.comment) },
        createdAt: now,
      })
      return {
        articleId: article.id,
        helpful: input.helpful,
        comment: values.comment,
        created: before === undefined,
        updatedAt: now.toISOString(),
      }
    })
  }

  /** The linked articles of many tickets (unreadable tickets get none): one read for a page of them. */
  async function linkedByTickets(actor: Actor, ticketIds: readonly string[], locale?: string) {
    const grant = authorizeScoped(actor, 'tickets:read')
    const reader = await readers.of(actor)
    const wanted = locale ? canonicalLocale(locale) : reader.defaultLocale
    const ids = [...new Set(ticketIds)].filter(isUuid)
    const byTicket = new Map<string, Article[]>()
    if (ids.length === 0) return byTicket
    await readInWorkspace(db, grant.workspaceId, async (q) => {
      const rows = await q
        .select({ ticketId: kbTicketArticles.ticketId, article: kbArticles })
        .from(kbTicketArticles)
        .innerJoin(
          kbArticles,
          and(
            eq(kbArticles.workspaceId, kbTicketArticles.workspaceId),
            eq(kbArticles.id, kbTicketArticles.articleId),
          ),
        )
        .innerJoin(
          tickets,
          and(
            eq(tickets.workspaceId, kbTicketArticles.workspaceId),
            eq(tickets.id, kbTicketArticles.ticketId),
          ),
        )
        .where(
          and(
            eq(kbTicketArticles.workspaceId, grant.workspaceId),
            inArray(kbTicketArticles.ticketId, ids),
            customerTickets(grant.customer),
            readable(reader),
          ),
        )
        .orderBy(asc(kbTicketArticles.createdAt), asc(kbArticles.id))
      const translations = await translationsOf(q, grant.workspaceId, [
        ...new Set(rows.map((r) => r.article.id)),
      ])
      for (const row of rows) {
        const list = byTicket.get(row.ticketId) ?? []
        list.push(toArticle(row.article, translations, reader, wanted))
        byTicket.set(row.ticketId, list)
      }
    })
    return byTicket
  }

  /** A staff command on a ticket's links, in one transaction with the ticket found first (404 when it is not). */
  function onTicket<T>(
    actor: Actor,
    ticketRef: string,
    fn: (tx: Tx, workspaceId: string, ticket: { id: string }) => Promise<T>,
  ) {
    const grant = authorizeScoped(actor, 'tickets:write')
    if (grant.customer) throw new Problem('forbidden', 'Only staff link articles to tickets.')
    const { workspaceId } = grant
    const ref = parseTicketRef(ticketRef)
    return write(workspaceId, async (tx) => {
      const [ticket] = await tx.select({ id: tickets.id }).from(tickets).where(refCondition(workspaceId, ref))
      if (!ticket) throw TicketNotFound(describeRef(ref))
      return fn(tx, workspaceId, ticket)
    })
  }

  return {
    find,
    translationsOf,
    listFor,
    getFor,
    feedbackFor,

    async list(actor: Actor, filter: ArticleFilter, page: Page) {
      return listFor(await readers.of(actor), filter, page)
    },

    async get(actor: Actor, ref: string, locale?: string) {
      return getFor(await readers.of(actor), ref, locale)
    },

    async feedback(
      actor: Actor,
      ref: string,
      input: {
        helpful: boolean
        comment?: string | null | undefined
        sessionKey?: string | undefined
        locale?: string | undefined
      },
    ) {
      return feedbackFor(await readers.of(actor), ref, input)
    },

    create(actor: Actor, input: NewArticleInput) {
      const staff = authorize(actor, 'kb:write')
      const { workspaceId } = staff
      const translations = (input.translations ?? []).map((t, i) => ({
        ...t,
        locale: canonicalLocale(t.locale, `/translations/${i}/locale`),
      }))
      const locales = translations.map((t) => t.locale)
      const duplicate = locales.find((l, i) => locales.indexOf(l) !== i)
      if (duplicate) throw invalid('/translations', `repeats the locale ${duplicate}`)
      const sourceLocale = input.sourceLocale
        ? canonicalLocale(input.sourceLocale, '/sourceLocale')
        : locales[0]
      if (!sourceLocale) throw invalid('/sourceLocale', 'is required when no translation is given')
      if (translations.length > 0 && !locales.includes(sourceLocale))
        throw invalid('/sourceLocale', `names none of the translations given: ${sourceLocale}`)
      if (input.publish && translations.length === 0)
        throw invalid('/publish', 'needs translations to publish')
      return write(workspaceId, async (tx) => {
        const categoryId = await categoryExists(tx, workspaceId, input.categoryId)
        const [created] = await tx
          .insert(kbArticles)
          .values({
            workspaceId,
            categoryId,
            visibility: input.visibility,
            tags: [...new Set(input.tags ?? [])],
            position: input.position ?? 0,
            sourceLocale,
            authorId: actor.kind === 'agent' ? actor.userId : null,
            archivedAt: input.archived ? new Date() : null,
          })
          .returning()
        let article = created as ArticleRow
        // The source first, so the others are published against its new revision.
        const ordered = [...translations].sort(
          (a, b) => Number(b.locale === sourceLocale) - Number(a.locale === sourceLocale),
        )
        for (const t of ordered) await saveDraft(tx, article, t.locale, t)
        const published: { locale: string; version: number }[] = []
        if (input.publish) {
          for (const t of ordered) {
            const done = await publish(tx, actor, article, t.locale)
            article = done.article
            published.push({ locale: done.published.locale, version: done.published.version })
          }
        }
        await recordEvent(tx, {
          workspaceId,
          type: 'kb.article.created',
          subjectType: 'kb_article',
          subjectId: article.id,
          actor,
          data: {
            categoryId,
            visibility: article.visibility,
            sourceLocale,
            translations: ordered.map((t) => ({ locale: t.locale, title: t.title })),
            published,
          },
        })
        return staffView(tx, workspaceId, article.id, sourceLocale)
      })
    },

    update(actor: Actor, ref: string, input: ArticleInput, ifMatch?: number[]) {
      const { workspaceId } = authorize(actor, 'kb:write')
      return write(workspaceId, async (tx) => {
        const article = await lock(tx, workspaceId, ref, ifMatch)
        const next: Partial<ArticleRow> = {}
        if (input.categoryId !== undefined)
          next.categoryId = await categoryExists(tx, workspaceId, input.categoryId)
        if (input.visibility !== undefined) next.visibility = input.visibility
        if (input.tags !== undefined) next.tags = [...new Set(input.tags)]
        if (input.position !== undefined) next.position = input.position
        if (input.sourceLocale !== undefined) {
          const locale = canonicalLocale(input.sourceLocale, '/sourceLocale')
          if (!(await translation(tx, workspaceId, article.id, locale))) {
            throw invalid('/sourceLocale', `names no translation of this article: ${locale}`)
          }
          next.sourceLocale = locale
        }
        if (input.archived !== undefined && input.archived !== (article.archivedAt !== null)) {
          next.archivedAt = input.archived ? new Date() : null
        }
        const changes = diff(article, next)
        if (Object.keys(changes).length === 0) return staffView(tx, workspaceId, article.id)
        await touch(tx, article, next)
        await recordEvent(tx, {
          workspaceId,
          type:
            'archivedAt' in changes
              ? next.archivedAt
                ? 'kb.article.archived'
                : 'kb.article.unarchived'
              : 'kb.article.updated',
          subjectType: 'kb_article',
          subjectId: article.id,
          actor,
          changes,
        })
        return staffView(tx, workspaceId, article.id)
      })
    },

    remove(actor: Actor, ref: string, ifMatch?: number[]) {
      const { workspaceId } = authorize(actor, 'kb:write')
      return write(workspaceId, async (tx) => {
        const article = await lock(tx, workspaceId, ref, ifMatch)
        await tx
          .delete(kbArticles)
          .where(and(eq(kbArticles.workspaceId, workspaceId), eq(kbArticles.id, article.id)))
        await recordEvent(tx, {
          workspaceId,
          type: 'kb.article.deleted',
          subjectType: 'kb_article',
          subjectId: article.id,
          actor,
          data: { categoryId: article.categoryId },
        })
      })
    },

    async getTranslation(actor: Actor, ref: string, locale: string) {
      const reader = await readers.of(actor)
      const wanted = canonicalLocale(locale)
      const found = await readInWorkspace(db, reader.workspaceId, (q) => find(q, reader, ref, wanted))
      const row = found.translations.find(
        (t) => t.locale === wanted && (reader.audience === 'staff' || isPublished(t)),
      )
      if (!row) throw TranslationNotFound(ref, wanted)
      await countView(reader, found.article.id)
      return toTranslation(found.article, row, reader.audience === 'staff')
    },

    /** Writes the draft (creating the translation when new); `publish` makes it live in the same step. */
    putTranslation(
      actor: Actor,
      ref: string,
      locale: string,
      input: TranslationInput & { publish?: boolean },
      ifMatch?: number[],
    ) {
      const { workspaceId } = authorize(actor, 'kb:write')
      const wanted = canonicalLocale(locale)
      return write(workspaceId, async (tx) => {
        let article = await lock(tx, workspaceId, ref, ifMatch)
        const saved = await saveDraft(tx, article, wanted, input)
        // One event: the text published (saying whether the translation is new), or the draft saved.
        if (input.publish) {
          const done = await publish(tx, actor, article, wanted)
          article = done.article
          await recordEvent(tx, {
            workspaceId,
            type: 'kb.article.published',
            subjectType: 'kb_article',
            subjectId: article.id,
            actor,
            data: { ...done.published, ...(saved === 'translation_created' ? { created: true } : {}) },
          })
        } else {
          article = await touch(tx, article)
          await recordEvent(tx, {
            workspaceId,
            type: `kb.article.${saved}`,
            subjectType: 'kb_article',
            subjectId: article.id,
            actor,
            data: { locale: wanted, title: input.title },
          })
        }
        const row = await translation(tx, workspaceId, article.id, wanted)
        return toTranslation(article, row as TranslationRow, true)
      })
    },

    publishTranslation(actor: Actor, ref: string, locale: string, ifMatch?: number[]) {
      const { workspaceId } = authorize(actor, 'kb:write')
      const wanted = canonicalLocale(locale)
      return write(workspaceId, async (tx) => {
        const { article, published } = await publish(
          tx,
          actor,
          await lock(tx, workspaceId, ref, ifMatch),
          wanted,
        )
        await recordEvent(tx, {
          workspaceId,
          type: 'kb.article.published',
          subjectType: 'kb_article',
          subjectId: article.id,
          actor,
          data: published,
        })
        const row = await translation(tx, workspaceId, article.id, wanted)
        return toTranslation(article, row as TranslationRow, true)
      })
    },

    /** Drops a draft; a translation that was never published goes with it. */
    discardDraft(actor: Actor, ref: string, locale: string, ifMatch?: number[]) {
      const { workspaceId } = authorize(actor, 'kb:write')
      const wanted = canonicalLocale(locale)
      return write(workspaceId, async (tx) => {
        const article = await lock(tx, workspaceId, ref, ifMatch)
        const current = await translation(tx, workspaceId, article.id, wanted)
        if (!current) throw TranslationNotFound(article.id, wanted)
        if (current.draftTitle === null)
          throw new Problem('conflict', `The ${wanted} translation has no draft.`)
        if (!isPublished(current) && wanted === article.sourceLocale) {
          throw new Problem(
            'conflict',
            'The source locale cannot be removed: choose another source locale first.',
          )
        }
        const where = and(
          eq(kbArticleTranslations.workspaceId, workspaceId),
          eq(kbArticleTranslations.articleId, article.id),
          eq(kbArticleTranslations.locale, wanted),
        )
        if (isPublished(current)) {
          await tx
            .update(kbArticleTranslations)
            .set({
              draftTitle: null,
              draftBody: null,
              draftBodyHtml: null,
              draftSlug: null,
              updatedAt: new Date(),
            })
            .where(where)
        } else {
          await tx.delete(kbArticleTranslations).where(where)
        }
        await touch(tx, article)
        await recordEvent(tx, {
          workspaceId,
          type: 'kb.article.draft_discarded',
          subjectType: 'kb_article',
          subjectId: article.id,
          actor,
          data: { locale: wanted },
        })
      })
    },

    /** Removes a translation with its versions (the source locale's answers 409). */
    removeTranslation(actor: Actor, ref: string, locale: string, ifMatch?: number[]) {
      const { workspaceId } = authorize(actor, 'kb:write')
      const wanted = canonicalLocale(locale)
      return write(workspaceId, async (tx) => {
        const article = await lock(tx, workspaceId, ref, ifMatch)
        if (wanted === article.sourceLocale) {
          throw new Problem(
            'conflict',
            'The source locale cannot be removed: choose another source locale first.',
          )
        }
        const deleted = await tx
          .delete(kbArticleTranslations)
          .where(
            and(
              eq(kbArticleTranslations.workspaceId, workspaceId),
              eq(kbArticleTranslations.articleId, article.id),
              eq(kbArticleTranslations.locale, wanted),
            ),
          )
          .returning({ locale: kbArticleTranslations.locale })
        if (deleted.length === 0) throw TranslationNotFound(article.id, wanted)
        await tx
          .delete(kbArticleVersions)
          .where(
            and(
              eq(kbArticleVersions.workspaceId, workspaceId),
              eq(kbArticleVersions.articleId, article.id),
              eq(kbArticleVersions.locale, wanted),
            ),
          )
        await touch(tx, article)
        await recordEvent(tx, {
          workspaceId,
          type: 'kb.article.translation_deleted',
          subjectType: 'kb_article',
          subjectId: article.id,
          actor,
          data: { locale: wanted },
        })
      })
    },

    /** Published texts, newest first (staff). */
    versions(actor: Actor, ref: string, filter: { locale?: string | undefined }, page: Page) {
      const { workspaceId } = authorize(actor, 'kb:read')
      const locale = filter.locale ? canonicalLocale(filter.locale) : undefined
      const after = page.cursor ? readCursor(page.cursor, ['text', 'int']) : undefined
      return readInWorkspace(db, workspaceId, async (q) => {
        if (!isUuid(ref)) throw ArticleNotFound(ref)
        const [article] = await q
          .select({ id: kbArticles.id })
          .from(kbArticles)
          .where(and(eq(kbArticles.workspaceId, workspaceId), eq(kbArticles.id, ref)))
        if (!article) throw ArticleNotFound(ref)
        const rows = await q
          .select()
          .from(kbArticleVersions)
          .where(
            and(
              eq(kbArticleVersions.workspaceId, workspaceId),
              eq(kbArticleVersions.articleId, article.id),
              locale ? eq(kbArticleVersions.locale, locale) : undefined,
              after
                ? or(
                    gt(kbArticleVersions.locale, after[0]),
                    and(eq(kbArticleVersions.locale, after[0]), lt(kbArticleVersions.version, after[1])),
                  )
                : undefined,
            ),
          )
          .orderBy(asc(kbArticleVersions.locale), desc(kbArticleVersions.version))
          .limit(page.limit + 1)
        const result = paginate(rows, page.limit, (r) => [r.locale, r.version])
        return {
          data: result.data.map((r) => ({
            locale: r.locale,
            version: r.version,
            title: r.title,
            body: r.body,
            publishedAt: r.publishedAt.toISOString(),
            publishedBy: { kind: r.actorKind, id: r.actorId },
          })),
          nextCursor: result.nextCursor,
          cursors: result.cursors,
        }
      })
    },

    /** Puts an earlier version's text in the draft: publishing it makes it live again. */
    restoreVersion(actor: Actor, ref: string, locale: string, version: number, ifMatch?: number[]) {
      const { workspaceId } = authorize(actor, 'kb:write')
      const wanted = canonicalLocale(locale)
      return write(workspaceId, async (tx) => {
        const article = await lock(tx, workspaceId, ref, ifMatch)
        const [old] = await tx
          .select()
          .from(kbArticleVersions)
          .where(
            and(
              eq(kbArticleVersions.workspaceId, workspaceId),
              eq(kbArticleVersions.articleId, article.id),
              eq(kbArticleVersions.locale, wanted),
              eq(kbArticleVersions.version, version),
            ),
          )
        if (!old)
          throw new Problem('not_found', `Article ${article.id} has no version ${version} in ${wanted}.`)
        await saveDraft(tx, article, wanted, { title: old.title, body: old.body })
        const updated = await touch(tx, article)
        await recordEvent(tx, {
          workspaceId,
          type: 'kb.article.version_restored',
          subjectType: 'kb_article',
          subjectId: article.id,
          actor,
          data: { locale: wanted, version },
        })
        return toTranslation(
          updated,
          (await translation(tx, workspaceId, article.id, wanted)) as TranslationRow,
          true,
        )
      })
    },

    /** Drafts an article from a ticket's public conversation (internal notes are left out). */
    fromTicket(
      actor: Actor,
      input: {
        ticket: string
        categoryId: string
        locale: string
        visibility?: ArticleVisibility
        title?: string
      },
    ) {
      const { workspaceId } = authorize(actor, 'kb:write')
      const locale = canonicalLocale(input.locale)
      const ref = parseTicketRef(input.ticket)
      return write(workspaceId, async (tx) => {
        const [ticket] = await tx
          .select({ id: tickets.id, subject: tickets.subject, number: tickets.number })
          .from(tickets)
          .where(refCondition(workspaceId, ref))
        if (!ticket) throw invalid('/ticket', `names no ticket of this workspace: ${describeRef(ref)}`)
        const conversation = await tx
          .select({ body: messages.body, authorKind: messages.authorKind })
          .from(messages)
          .where(
            and(
              eq(messages.workspaceId, workspaceId),
              eq(messages.ticketId, ticket.id),
              eq(messages.visibility, 'public'),
            ),
          )
          .orderBy(asc(messages.createdAt), asc(messages.id))
        const question = conversation.filter((m) => m.authorKind === 'contact').map((m) => m.body)
        const answers = conversation
          .filter((m) => m.authorKind !== 'contact' && m.authorKind !== 'system')
          .map((m) => m.body)
        const title = input.title ?? ticket.subject
        const body = [
          `## ${title}`,
          question.length > 0 ? `### Question\n\n${question.join('\n\n')}` : '',
          answers.length > 0 ? `### Answer\n\n${answers.join('\n\n')}` : '',
        ]
          .filter(Boolean)
          .join('\n\n')
        const categoryId = await categoryExists(tx, workspaceId, input.categoryId)
        const [created] = await tx
          .insert(kbArticles)
          .values({
            workspaceId,
            categoryId,
            visibility: input.visibility ?? 'internal',
            sourceLocale: locale,
            authorId: actor.kind === 'agent' ? actor.userId : null,
            ticketId: ticket.id,
          })
          .returning()
        const article = created as ArticleRow
        await recordEvent(tx, {
          workspaceId,
          type: 'kb.article.created',
          subjectType: 'kb_article',
          subjectId: article.id,
          actor,
          data: {
            categoryId,
            visibility: article.visibility,
            sourceLocale: locale,
            translations: [{ locale, title }],
            published: [],
            fromTicket: ticket.id,
          },
        })
        await saveDraft(tx, article, locale, {
          title,
          body,
          slugBase: `${slugify(title)}-${ticket.number}`,
        })
        // The ticket changed too (it has a linked article now): its own event.
        await linkToTicket(tx, actor, workspaceId, ticket.id, article.id)
        return staffView(tx, workspaceId, article.id, locale)
      })
    },

    /** Links an article to a ticket (the answer given); linking twice changes nothing. */
    link(actor: Actor, ticketRef: string, articleId: string) {
      return onTicket(actor, ticketRef, async (tx, workspaceId, ticket) => {
        if (!isUuid(articleId))
          throw invalid('/articleId', `names no article of this workspace: ${articleId}`)
        const [article] = await tx
          .select({ id: kbArticles.id })
          .from(kbArticles)
          .where(and(eq(kbArticles.workspaceId, workspaceId), eq(kbArticles.id, articleId)))
        if (!article) throw invalid('/articleId', `names no article of this workspace: ${articleId}`)
        const created = await linkToTicket(tx, actor, workspaceId, ticket.id, article.id)
        return { created, ticketId: ticket.id }
      })
    },

    unlink(actor: Actor, ticketRef: string, articleId: string) {
      return onTicket(actor, ticketRef, async (tx, workspaceId, ticket) => {
        const deleted = isUuid(articleId)
          ? await tx
              .delete(kbTicketArticles)
              .where(
                and(
                  eq(kbTicketArticles.workspaceId, workspaceId),
                  eq(kbTicketArticles.ticketId, ticket.id),
                  eq(kbTicketArticles.articleId, articleId),
                ),
              )
              .returning({ articleId: kbTicketArticles.articleId })
          : []
        if (deleted.length === 0)
          throw new Problem(
            'not_found',
            `Article ${articleId} is not linked to ticket ${describeRef(parseTicketRef(ticketRef))}.`,
          )
        await recordEvent(tx, {
          workspaceId,
          type: 'ticket.article_unlinked',
          subjectType: 'ticket',
          subjectId: ticket.id,
          actor,
          data: { articleId },
        })
      })
    },

    linkedByTickets,

    /** The articles linked to a ticket; a customer (on their own ticket) sees those they may read. */
    async linked(actor: Actor, ticketRef: string, locale?: string) {
      const grant = authorizeScoped(actor, 'tickets:read')
      const ref = parseTicketRef(ticketRef)
      const ticket = await readInWorkspace(db, grant.workspaceId, async (q) => {
        const [row] = await q
          .select({ id: tickets.id })
          .from(tickets)
          .where(and(refCondition(grant.workspaceId, ref), customerTickets(grant.customer)))
        if (!row) throw TicketNotFound(describeRef(ref))
        return row
      })
      return { data: (await linkedByTickets(actor, [ticket.id], locale)).get(ticket.id) ?? [] }
    },
  }
}
export type ArticlesService = ReturnType<typeof createArticlesService>
