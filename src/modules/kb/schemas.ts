import { Type } from '@sinclair/typebox'
import { articleVisibilities } from '../../db/schema/index.ts'
import {
  EnumList,
  Id,
  Instant,
  Locale,
  Nullable,
  Page,
  PageQuery,
  Slug,
  StringEnum,
  TokenList,
} from '../../lib/api-schemas.ts'
import { ticketRefPattern } from '../../lib/refs.ts'

const Visibility = StringEnum(articleVisibilities, {
  description: '`public`: anyone, even anonymous; `contacts`: signed-in customers; `internal`: agents only.',
})
const Title = Type.String({ minLength: 1, maxLength: 300 })
const Body = Type.String({ maxLength: 200_000, description: 'Markdown.' })
const Tag = Type.String({ minLength: 1, maxLength: 64, pattern: '^[^,\\s]+$' })

export const KbCategory = Type.Object(
  {
    id: Id,
    parentId: Nullable(Id),
    position: Type.Integer(),
    translations: Type.Array(
      Type.Object(
        {
          locale: Type.String(),
          name: Type.String(),
          description: Nullable(Type.String()),
          slug: Type.String(),
        },
        { additionalProperties: false },
      ),
    ),
    createdAt: Instant,
    updatedAt: Instant,
  },
  { $id: 'KbCategory', additionalProperties: false },
)
export const KbCategoryPage = Page(KbCategory)

const CategoryTranslationInput = Type.Object(
  {
    locale: Locale,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
    slug: Slug,
  },
  { additionalProperties: false },
)
export const CreateKbCategoryBody = Type.Object(
  {
    parentId: Type.Optional(Nullable(Id)),
    position: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
    translations: Type.Array(CategoryTranslationInput, { minItems: 1, maxItems: 50 }),
  },
  { additionalProperties: false },
)
export const UpdateKbCategoryBody = Type.Object(
  {
    parentId: Type.Optional(Nullable(Id)),
    position: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
    translations: Type.Optional(
      Type.Array(CategoryTranslationInput, {
        minItems: 1,
        maxItems: 50,
        description: 'Added or replaced by locale; locales not named stay as they are.',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
)
export const KbCategoryListQuery = Type.Object(
  {
    ...PageQuery,
    parent: Type.Optional(
      Type.String({ description: '`root` for top-level categories, or a category id for its children.' }),
    ),
  },
  { additionalProperties: false },
)

export const KbTranslationSummary = Type.Object(
  {
    locale: Type.String(),
    slug: Type.String(),
    title: Type.String({ description: 'The published title, or the draft one before the first publish.' }),
    state: StringEnum(['draft', 'published'] as const),
    outdated: Type.Boolean({
      description: "The source locale's text was published again after this translation was.",
    }),
    hasDraft: Type.Boolean(),
    publishedVersion: Type.Integer({ description: '0 until first published.' }),
    publishedAt: Nullable(Instant),
  },
  { $id: 'KbTranslationSummary', additionalProperties: false },
)

export const KbTranslation = Type.Object(
  {
    locale: Type.String(),
    slug: Type.String(),
    state: StringEnum(['draft', 'published'] as const),
    outdated: Type.Boolean(),
    title: Nullable(Type.String({ description: 'The live title (null until first published).' })),
    body: Nullable(Type.String({ description: 'The live Markdown.' })),
    bodyHtml: Nullable(Type.String({ description: 'The live body rendered to sanitized HTML.' })),
    publishedVersion: Type.Integer(),
    publishedAt: Nullable(Instant),
    draft: Nullable(
      Type.Object(
        {
          title: Type.String(),
          body: Type.String(),
          bodyHtml: Type.String(),
          slug: Type.String({
            description: 'The slug the translation will have once the draft is published.',
          }),
        },
        { additionalProperties: false, description: 'Unpublished changes (staff only).' },
      ),
    ),
    createdAt: Instant,
    updatedAt: Instant,
  },
  { $id: 'KbTranslation', additionalProperties: false },
)

export const KbArticle = Type.Object(
  {
    id: Id,
    categoryId: Id,
    visibility: Visibility,
    tags: Type.Array(Type.String()),
    position: Type.Integer(),
    sourceLocale: Type.String(),
    archivedAt: Nullable(Instant),
    authorId: Nullable(Id),
    ticketId: Nullable(Type.String({ description: 'The ticket it was drafted from (staff only).' })),
    viewCount: Nullable(Type.Integer({ description: 'Customer reads (staff only).' })),
    helpfulCount: Nullable(Type.Integer()),
    notHelpfulCount: Nullable(Type.Integer()),
    version: Type.Integer(),
    translations: Type.Array(Type.Ref(KbTranslationSummary)),
    translation: Nullable(
      Type.Ref(KbTranslation, {
        description:
          'The text in the locale asked for, else the workspace default locale, else the source locale (see its `locale`). Lists fill it only when `locale` is given, to stay light; `translations` always summarise every locale.',
      }),
    ),
    createdAt: Instant,
    updatedAt: Instant,
  },
  { $id: 'KbArticle', additionalProperties: false },
)
export const KbArticlePage = Page(KbArticle)

export const KbArticleListQuery = Type.Object(
  {
    ...PageQuery,
    category: Type.Optional(Id),
    tag: Type.Optional(TokenList),
    locale: Type.Optional(Locale),
    visibility: Type.Optional(EnumList(articleVisibilities)),
    state: Type.Optional(
      StringEnum(['draft', 'published', 'archived'] as const, {
        description:
          '`published`: live (in `locale`, if given) and not archived; `draft`: with unpublished changes; `archived` (staff).',
      }),
    ),
  },
  { additionalProperties: false },
)

const TranslationInput = Type.Object(
  { locale: Locale, title: Title, body: Body, slug: Type.Optional(Slug) },
  { additionalProperties: false },
)
export const CreateKbArticleBody = Type.Object(
  {
    categoryId: Id,
    visibility: Visibility,
    tags: Type.Optional(Type.Array(Tag, { maxItems: 50 })),
    position: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
    sourceLocale: Type.Optional(Locale),
    archived: Type.Optional(Type.Boolean()),
    translations: Type.Optional(Type.Array(TranslationInput, { maxItems: 50 })),
    publish: Type.Optional(
      Type.Boolean({ description: 'Publish the translations at once (default: drafts).' }),
    ),
  },
  { additionalProperties: false },
)
export const UpdateKbArticleBody = Type.Object(
  {
    categoryId: Type.Optional(Id),
    visibility: Type.Optional(Visibility),
    tags: Type.Optional(Type.Array(Tag, { maxItems: 50 })),
    position: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
    sourceLocale: Type.Optional(Locale),
    archived: Type.Optional(
      Type.Boolean({ description: 'Archived articles are hidden from customers, not deleted.' }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
)
export const PutKbTranslationBody = Type.Object(
  {
    title: Title,
    body: Body,
    slug: Type.Optional(Slug),
    publish: Type.Optional(Type.Boolean({ description: 'Publish the draft in the same step.' })),
  },
  { additionalProperties: false },
)
export const KbArticleParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) })
export const KbTranslationParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 200 }),
  locale: Locale,
})
export const KbVersionParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 200 }),
  locale: Locale,
  version: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
})
export const KbLocaleQuery = Type.Object({ locale: Type.Optional(Locale) }, { additionalProperties: false })

export const KbVersion = Type.Object(
  {
    locale: Type.String(),
    version: Type.Integer(),
    title: Type.String(),
    body: Type.String(),
    publishedAt: Instant,
    publishedBy: Type.Object(
      { kind: Type.String(), id: Nullable(Type.String()) },
      { additionalProperties: false },
    ),
  },
  { $id: 'KbVersion', additionalProperties: false },
)
export const KbVersionPage = Page(KbVersion)
export const KbVersionListQuery = Type.Object(
  { ...PageQuery, locale: Type.Optional(Locale) },
  { additionalProperties: false },
)

export const KbSearchHit = Type.Object(
  {
    articleId: Id,
    locale: Type.String({ description: 'The locale of the text that matched.' }),
    fallback: Type.Boolean({
      description:
        "True when the article has no text in the requested locale and matched in the workspace's default.",
    }),
    slug: Type.String(),
    title: Type.String(),
    titleHtml: Type.String({ description: 'The title, HTML-escaped, matches in `<mark>`.' }),
    snippet: Type.String({ description: 'Passages of the body as HTML-escaped text, matches in `<mark>`.' }),
    categoryId: Id,
    visibility: Visibility,
    tags: Type.Array(Type.String()),
    score: Type.Number({ description: 'Relevance: title matches weigh more than body matches.' }),
  },
  { $id: 'KbSearchHit', additionalProperties: false },
)
export const KbSearchResults = Type.Object(
  {
    data: Type.Array(Type.Ref(KbSearchHit)),
    nextCursor: Nullable(Type.String()),
    locale: Type.String({ description: 'The locale searched.' }),
    fuzzy: Type.Boolean({
      description: 'True when full-text search found little and near spellings of the words were searched.',
    }),
  },
  { $id: 'KbSearchResults', additionalProperties: false },
)
export const KbSearchQuery = Type.Object(
  {
    q: Type.String({
      minLength: 1,
      maxLength: 500,
      description:
        'Words (all must match), `"a phrase"`, `prefix*`, `-excluded`, `a OR b`. Accents and letter case do not matter. Codes match as typed: an order number `A-1093`, a version `1.5`, an address or host. Excluded words leave texts out without changing how the others rank.',
    }),
    locale: Type.Optional(Locale),
    category: Type.Optional(Id),
    tag: Type.Optional(TokenList),
    limit: Type.Integer({
      minimum: 1,
      maximum: 100,
      default: 10,
      description: 'Hits per page (10 by default, as a search box shows).',
    }),
    cursor: PageQuery.cursor,
  },
  { additionalProperties: false },
)

export const KbSuggestionsBody = Type.Object(
  {
    subject: Type.String({ minLength: 1, maxLength: 500 }),
    body: Type.Optional(Type.String({ maxLength: 20_000 })),
    locale: Type.Optional(Locale),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, default: 5 })),
  },
  { additionalProperties: false },
)
export const KbSuggestions = Type.Object(
  {
    id: Id,
    locale: Type.String(),
    data: Type.Array(Type.Ref(KbSearchHit)),
  },
  {
    $id: 'KbSuggestions',
    additionalProperties: false,
    description:
      'Name `id` when reporting what came of the suggestions (an article opened, a ticket created anyway).',
  },
)
export const KbSuggestionOutcomeBody = Type.Object(
  {
    outcome: StringEnum(['article_opened', 'ticket_created'] as const),
    articleId: Type.Optional(Id),
    ticketId: Type.Optional(Id),
  },
  { additionalProperties: false },
)
export const KbSuggestionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) })

export const KbFeedbackBody = Type.Object(
  {
    helpful: Type.Boolean(),
    comment: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
    locale: Type.Optional(Locale),
    sessionKey: Type.Optional(
      Type.String({
        minLength: 16,
        maxLength: 200,
        description:
          "An anonymous reader's session key (random, kept by their page); one vote per contact or session, a later vote replaces it.",
      }),
    ),
  },
  { additionalProperties: false },
)
export const KbFeedback = Type.Object(
  {
    articleId: Id,
    helpful: Type.Boolean(),
    comment: Nullable(Type.String()),
    created: Type.Boolean({ description: 'False when this vote replaced an earlier one.' }),
    updatedAt: Instant,
  },
  { $id: 'KbFeedback', additionalProperties: false },
)

export const FromTicketBody = Type.Object(
  {
    ticket: Type.String({ pattern: ticketRefPattern, description: 'The ticket UUID or its number.' }),
    categoryId: Id,
    locale: Locale,
    visibility: Type.Optional(Visibility),
    title: Type.Optional(Title),
  },
  { additionalProperties: false },
)
export const LinkArticleBody = Type.Object({ articleId: Id }, { additionalProperties: false })
export const TicketArticleParams = Type.Object({
  idOrNumber: Type.String({ pattern: ticketRefPattern, description: 'The ticket UUID or its number.' }),
  articleId: Type.String({ minLength: 1, maxLength: 100 }),
})
export const LinkedArticles = Type.Object(
  { data: Type.Array(Type.Ref(KbArticle)) },
  { $id: 'LinkedKbArticles', additionalProperties: false },
)

export const KbReport = Type.Object(
  {
    from: Instant,
    to: Instant,
    mostViewed: Type.Array(
      Type.Object(
        { articleId: Id, title: Type.String(), views: Type.Integer() },
        { additionalProperties: false },
      ),
    ),
    leastHelpful: Type.Array(
      Type.Object(
        {
          articleId: Id,
          title: Type.String(),
          helpful: Type.Integer(),
          notHelpful: Type.Integer(),
          helpfulRatio: Type.Number(),
        },
        { additionalProperties: false },
      ),
    ),
    deflection: Type.Object(
      {
        suggestionsShown: Type.Integer(),
        articlesOpened: Type.Integer(),
        ticketsCreated: Type.Integer(),
        deflectionRate: Nullable(
          Type.Number({ description: 'Share of suggestion lists not followed by a ticket.' }),
        ),
      },
      { additionalProperties: false },
    ),
  },
  { $id: 'KbReport', additionalProperties: false },
)
export const KbReportQuery = Type.Object(
  {
    from: Type.Optional(Instant),
    to: Type.Optional(Instant),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
  },
  { additionalProperties: false },
)

export const PublicParams = Type.Object({ workspaceSlug: Slug })

/** The schemas routes name by reference (registered once, components of the OpenAPI document). */
export const kbSchemas = [
  KbCategory,
  KbCategoryPage,
  KbTranslationSummary,
  KbTranslation,
  KbArticle,
  KbArticlePage,
  KbVersion,
  KbVersionPage,
  KbSearchHit,
  KbSearchResults,
  KbSuggestions,
  KbFeedback,
  LinkedArticles,
  KbReport,
]
