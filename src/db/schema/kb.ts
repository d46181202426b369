import { sql } from 'drizzle-orm'
import {
  bigint,
  boolean,
  customType,
  date,
  foreignKey,
  index,
  integer,
  pgTable,
  primaryKey,
  real,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import { id, instant, timestamps, workspaceId } from './columns.ts'
import { tickets } from './tickets.ts'
import { workspaces } from './workspaces.ts'

/** A text search configuration, by name (`kb_spanish`, `kb_simple`: migration 0008 makes them). */
const regconfig = customType<{ data: string }>({ dataType: () => 'regconfig' })
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' })

export const articleVisibilities = ['public', 'contacts', 'internal'] as const
export type ArticleVisibility = (typeof articleVisibilities)[number]

/** Categories nest: a category may hold categories (`parentId`), each ordered by `position`. */
export const kbCategories = pgTable(
  'kb_categories',
  {
    workspaceId: workspaceId().references(() => workspaces.id, { onDelete: 'cascade' }),
    id: id(),
    parentId: uuid('parent_id'),
    position: integer('position').notNull().default(0),
    ...timestamps,
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId, t.parentId], foreignColumns: [t.workspaceId, t.id] }),
    index('kb_categories_parent_idx').on(t.workspaceId, t.parentId, t.position),
  ],
)

export const kbCategoryTranslations = pgTable(
  'kb_category_translations',
  {
    workspaceId: workspaceId(),
    categoryId: uuid('category_id').notNull(),
    locale: text('locale').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    slug: text('slug').notNull(),
    ...timestamps,
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.categoryId, t.locale] }),
    foreignKey({
      columns: [t.workspaceId, t.categoryId],
      foreignColumns: [kbCategories.workspaceId, kbCategories.id],
    }).onDelete('cascade'),
    uniqueIndex('kb_category_translations_slug_key').on(t.workspaceId, t.locale, t.slug),
  ],
)

export const kbArticles = pgTable(
  'kb_articles',
  {
    workspaceId: workspaceId().references(() => workspaces.id, { onDelete: 'cascade' }),
    id: id(),
    categoryId: uuid('category_id').notNull(),
    visibility: text('visibility', { enum: articleVisibilities }).notNull(),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    position: integer('position').notNull().default(0),
    /** The agent who wrote it (null: written through an API key). */
    authorId: uuid('author_id'),
    /** The locale the others are translated from: their `outdated` is measured against it. */
    sourceLocale: text('source_locale').notNull(),
    /** How many times the source locale's text has been published. */
    sourceRevision: integer('source_revision').notNull().default(0),
    /** The ticket it was drafted from, if any. */
    ticketId: uuid('ticket_id'),
    archivedAt: instant('archived_at'),
    viewCount: bigint('view_count', { mode: 'number' }).notNull().default(0),
    helpfulCount: integer('helpful_count').notNull().default(0),
    notHelpfulCount: integer('not_helpful_count').notNull().default(0),
    version: integer('version').notNull().default(1),
    ...timestamps,
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({
      columns: [t.workspaceId, t.categoryId],
      foreignColumns: [kbCategories.workspaceId, kbCategories.id],
    }),
    index('kb_articles_category_idx').on(t.workspaceId, t.categoryId, t.position),
  ],
)

/**
 * One per article and locale. The published text (`title`, `body`: null until first published) and
 * the draft (`draftTitle`, `draftBody`: null when there is none) live apart. The published text is
 * searched through `kb_search_documents`, which triggers keep in step in the same transaction.
 */
export const kbArticleTranslations = pgTable(
  'kb_article_translations',
  {
    workspaceId: workspaceId(),
    articleId: uuid('article_id').notNull(),
    locale: text('locale').notNull(),
    slug: text('slug').notNull(),
    title: text('title'),
    body: text('body'),
    bodyHtml: text('body_html'),
    draftTitle: text('draft_title'),
    draftBody: text('draft_body'),
    draftBodyHtml: text('draft_body_html'),
    /** A new slug that comes with the draft: it replaces `slug` when the draft is published. */
    draftSlug: text('draft_slug'),
    /** The number of the live version (0: never published). */
    publishedVersion: integer('published_version').notNull().default(0),
    publishedAt: instant('published_at'),
    /** The article's `sourceRevision` this text was last published against. */
    sourceRevision: integer('source_revision').notNull().default(0),
    searchConfig: regconfig('search_config').notNull(),
    ...timestamps,
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.articleId, t.locale] }),
    foreignKey({
      columns: [t.workspaceId, t.articleId],
      foreignColumns: [kbArticles.workspaceId, kbArticles.id],
    }).onDelete('cascade'),
    uniqueIndex('kb_article_translations_slug_key').on(t.workspaceId, t.locale, t.slug),
  ],
)

/**
 * What search reads: one row per published text of an unarchived article, holding the text's search
 * vector (title weight A, body weight D) and copies of what search filters on (the article's
 * visibility, category and tags, and which locales it is published in), so that ranking the texts
 * that match reads this narrow table alone: no join, and no wide row with bodies, HTML and drafts.
 * Triggers on `kb_article_translations` and `kb_articles` (migration 0009) rewrite the rows an edit
 * touches, in the edit's own statement: a publish is searchable when it commits, however it was made.
 * On a server the index leads with the workspace and locale (`btree_gin`), so a search reads the
 * matches of its own workspace and language only; embedded PGlite, which cannot load `btree_gin`
 * beside `pg_trgm`, indexes the vector alone (the migration chooses).
 */
export const kbSearchDocuments = pgTable(
  'kb_search_documents',
  {
    workspaceId: workspaceId(),
    articleId: uuid('article_id').notNull(),
    locale: text('locale').notNull(),
    config: regconfig('config').notNull(),
    visibility: text('visibility', { enum: articleVisibilities }).notNull(),
    categoryId: uuid('category_id').notNull(),
    tags: text('tags').array().notNull(),
    /** Every locale the article has a published text in (for the default-locale fallback). */
    locales: text('locales').array().notNull(),
    searchVector: tsvector('search_vector').notNull(),
    /** The title's part of the vector (its weight-A lexemes), searched first (migration 0011). */
    titleVector: tsvector('title_vector').notNull().generatedAlwaysAs(sql`ts_filter(search_vector, '{a}')`),
    /** How many words the vector holds: the length `ts_rank` divides by (migration 0011). */
    words: integer('words').notNull().generatedAlwaysAs(sql`kb_vector_words(search_vector)`),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.articleId, t.locale] }),
    foreignKey({
      columns: [t.workspaceId, t.articleId],
      foreignColumns: [kbArticles.workspaceId, kbArticles.id],
    }).onDelete('cascade'),
    index('kb_search_documents_search_idx').using('gin', t.workspaceId, t.locale, t.searchVector, t.words),
    index('kb_search_documents_title_idx').using('gin', t.workspaceId, t.locale, t.titleVector),
    // The distinct sets of locales a workspace's texts come in, read by skipping through this index: a
    // search skips the default-locale fallback when no article lacks the requested locale (migration 0010).
    index('kb_search_documents_locales_idx').on(t.workspaceId, t.locale, t.locales),
  ],
)

/**
 * The score of each word of a searchable text's title, for a search of that word alone: `ts_rank` of
 * the text's vector for that one lexeme, as search ranks it. A one-word search reads the best title
 * matches from the index in score order, instead of ranking every text with the word in its title
 * (thousands, for a common word). Rows follow their search document: written by a trigger when one is
 * added (documents are never rewritten, only replaced), gone with it (migration 0014).
 */
export const kbSearchTitleWords = pgTable(
  'kb_search_title_words',
  {
    workspaceId: workspaceId(),
    articleId: uuid('article_id').notNull(),
    locale: text('locale').notNull(),
    lexeme: text('lexeme').notNull(),
    score: real('score').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.articleId, t.locale, t.lexeme] }),
    foreignKey({
      columns: [t.workspaceId, t.articleId, t.locale],
      foreignColumns: [kbSearchDocuments.workspaceId, kbSearchDocuments.articleId, kbSearchDocuments.locale],
    }).onDelete('cascade'),
    index('kb_search_title_words_rank_idx').on(
      t.workspaceId,
      t.locale,
      t.lexeme,
      t.score.desc(),
      t.articleId,
    ),
  ],
)

/** Every published text, numbered per translation from 1; the live one is the latest. */
export const kbArticleVersions = pgTable(
  'kb_article_versions',
  {
    workspaceId: workspaceId(),
    articleId: uuid('article_id').notNull(),
    locale: text('locale').notNull(),
    version: integer('version').notNull(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    publishedAt: instant('published_at').notNull(),
    actorKind: text('actor_kind').notNull(),
    actorId: uuid('actor_id'),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.articleId, t.locale, t.version] }),
    foreignKey({
      columns: [t.workspaceId, t.articleId],
      foreignColumns: [kbArticles.workspaceId, kbArticles.id],
    }).onDelete('cascade'),
  ],
)

/**
 * Words of the published texts, as their configuration stems them: the typo fallback looks for near
 * spellings here (a trigram index over tens of thousands of words, not over every document).
 */
export const kbSearchTerms = pgTable(
  'kb_search_terms',
  {
    workspaceId: workspaceId().references(() => workspaces.id, { onDelete: 'cascade' }),
    config: text('config').notNull(),
    term: text('term').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.config, t.term] }),
    index('kb_search_terms_trgm_idx').using('gin', sql`${t.term} gin_trgm_ops`),
  ],
)

/** One vote per contact or anonymous session (`voter`: `contact:<id>` or `session:<sha-256>`). */
export const kbFeedback = pgTable(
  'kb_feedback',
  {
    workspaceId: workspaceId(),
    articleId: uuid('article_id').notNull(),
    voter: text('voter').notNull(),
    helpful: boolean('helpful').notNull(),
    comment: text('comment'),
    locale: text('locale'),
    ...timestamps,
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.articleId, t.voter] }),
    foreignKey({
      columns: [t.workspaceId, t.articleId],
      foreignColumns: [kbArticles.workspaceId, kbArticles.id],
    }).onDelete('cascade'),
  ],
)

/** Customer views per article and day (staff reads are not counted). */
export const kbArticleViews = pgTable(
  'kb_article_views',
  {
    workspaceId: workspaceId(),
    articleId: uuid('article_id').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    views: integer('views').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.articleId, t.day] }),
    foreignKey({
      columns: [t.workspaceId, t.articleId],
      foreignColumns: [kbArticles.workspaceId, kbArticles.id],
    }).onDelete('cascade'),
  ],
)

/** Articles linked to tickets (the answer given, or the article a ticket became). */
export const kbTicketArticles = pgTable(
  'kb_ticket_articles',
  {
    workspaceId: workspaceId(),
    ticketId: uuid('ticket_id').notNull(),
    articleId: uuid('article_id').notNull(),
    actorKind: text('actor_kind').notNull(),
    actorId: uuid('actor_id'),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.ticketId, t.articleId] }),
    foreignKey({
      columns: [t.workspaceId, t.ticketId],
      foreignColumns: [tickets.workspaceId, tickets.id],
    }).onDelete('cascade'),
    foreignKey({
      columns: [t.workspaceId, t.articleId],
      foreignColumns: [kbArticles.workspaceId, kbArticles.id],
    }).onDelete('cascade'),
    index('kb_ticket_articles_article_idx').on(t.workspaceId, t.articleId),
  ],
)
