import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errorResponses, splitList } from '../../lib/api-schemas.ts'
import { etag, parseIfMatch } from '../../lib/etag.ts'
import { CatalogParams } from '../departments/schemas.ts'
import { TicketParams } from '../tickets/schemas.ts'
import type { ArticleFilter } from './articles.ts'
import {
  CreateKbArticleBody,
  CreateKbCategoryBody,
  FromTicketBody,
  KbArticle,
  KbArticleListQuery,
  KbArticlePage,
  KbArticleParams,
  KbCategory,
  KbCategoryListQuery,
  KbCategoryPage,
  KbFeedback,
  KbFeedbackBody,
  KbLocaleQuery,
  KbReport,
  KbReportQuery,
  KbSearchQuery,
  KbSearchResults,
  KbSuggestionOutcomeBody,
  KbSuggestionParams,
  KbSuggestions,
  KbSuggestionsBody,
  KbTranslation,
  KbTranslationParams,
  KbVersionListQuery,
  KbVersionPage,
  KbVersionParams,
  LinkArticleBody,
  LinkedArticles,
  PutKbTranslationBody,
  TicketArticleParams,
  UpdateKbArticleBody,
  UpdateKbCategoryBody,
} from './schemas.ts'

const security = [{ bearer: [] }]
const tags = ['knowledge base']

/** The knowledge base for the workspace's callers: staff edit and publish, contacts read what is published for them. */
export const kbRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { categories, articles, search, reports } = app.services.kb

  // Categories
  app.get(
    '/v1/kb/categories',
    {
      schema: {
        tags,
        summary: 'List knowledge base categories',
        description:
          'In `position` order. A contact sees only categories holding (at any depth) an article published for them.',
        security,
        querystring: KbCategoryListQuery,
        response: { 200: Type.Ref(KbCategoryPage), ...errorResponses() },
      },
    },
    async (request) => {
      const { parent, ...page } = request.query
      return categories.list(request.actor, { parent }, page)
    },
  )
  app.post(
    '/v1/kb/categories',
    {
      schema: {
        tags,
        summary: 'Create a category',
        description: 'Categories nest through `parentId`; each has a name, description and slug per locale.',
        security,
        body: CreateKbCategoryBody,
        response: { 201: Type.Ref(KbCategory), ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const created = await categories.create(request.actor, request.body)
      return reply.code(201).header('location', `/v1/kb/categories/${created.id}`).send(created)
    },
  )
  app.get(
    '/v1/kb/categories/:ref',
    {
      schema: {
        tags,
        summary: 'Get a category by id or slug',
        security,
        params: CatalogParams,
        response: { 200: Type.Ref(KbCategory), ...errorResponses(404) },
      },
    },
    async (request) => categories.get(request.actor, request.params.ref),
  )
  app.patch(
    '/v1/kb/categories/:ref',
    {
      schema: {
        tags,
        summary: 'Move, reorder or translate a category',
        security,
        params: CatalogParams,
        body: UpdateKbCategoryBody,
        response: { 200: Type.Ref(KbCategory), ...errorResponses(404, 409) },
      },
    },
    async (request) => categories.update(request.actor, request.params.ref, request.body),
  )
  app.delete(
    '/v1/kb/categories/:ref',
    {
      schema: {
        tags,
        summary: 'Delete an empty category',
        description: '409 while it holds categories or articles.',
        security,
        params: CatalogParams,
        response: { 204: Type.Null(), ...errorResponses(404, 409) },
      },
    },
    async (request, reply) => {
      await categories.remove(request.actor, request.params.ref)
      return reply.code(204).send(null)
    },
  )

  // Articles
  app.get(
    '/v1/kb/articles',
    {
      schema: {
        tags,
        summary: 'List articles',
        description:
          'In `position` order. `category` includes its subcategories; `tag` matches any of the tags given. A contact sees published, unarchived `public` and `contacts` articles only.',
        security,
        querystring: KbArticleListQuery,
        response: { 200: Type.Ref(KbArticlePage), ...errorResponses() },
      },
    },
    async (request) => {
      const { limit, cursor, tag, visibility, ...rest } = request.query
      const filter: ArticleFilter = {
        ...rest,
        tag: splitList(tag),
        visibility: splitList(visibility) as ArticleFilter['visibility'],
      }
      return articles.list(request.actor, filter, { limit, cursor })
    },
  )
  app.post(
    '/v1/kb/articles',
    {
      schema: {
        tags,
        summary: 'Create an article',
        description:
          'With any number of translations, saved as drafts unless `publish` is true. `sourceLocale` (default: the first translation) is the locale the others are translated from.',
        security,
        body: CreateKbArticleBody,
        response: { 201: Type.Ref(KbArticle), ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const created = await articles.create(request.actor, request.body)
      return reply
        .code(201)
        .header('location', `/v1/kb/articles/${created.id}`)
        .header('etag', etag(created.version))
        .send(created)
    },
  )
  app.post(
    '/v1/kb/articles/from-ticket',
    {
      schema: {
        tags,
        summary: "Draft an article from a ticket's conversation",
        description:
          "The ticket's public messages become a draft (the customer's as the question, the staff's as the answer); internal notes are left out. The article is `internal` unless told otherwise, and linked to the ticket.",
        security,
        body: FromTicketBody,
        response: { 201: Type.Ref(KbArticle), ...errorResponses() },
      },
    },
    async (request, reply) => {
      const created = await articles.fromTicket(request.actor, request.body)
      return reply.code(201).header('location', `/v1/kb/articles/${created.id}`).send(created)
    },
  )
  app.get(
    '/v1/kb/articles/:id',
    {
      schema: {
        tags,
        summary: 'Get an article by id or slug',
        description:
          '`translation` holds the text in `locale`, else the workspace default locale, else the source locale. A customer read counts as a view.',
        security,
        params: KbArticleParams,
        querystring: KbLocaleQuery,
        response: { 200: Type.Ref(KbArticle), ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      const article = await articles.get(request.actor, request.params.id, request.query.locale)
      return reply.header('etag', etag(article.version)).send(article)
    },
  )
  app.patch(
    '/v1/kb/articles/:id',
    {
      schema: {
        tags,
        summary: 'Change, move or archive an article',
        description:
          'Honours `If-Match` with the ETag of a previous read (412 when the article changed since).',
        security,
        params: KbArticleParams,
        body: UpdateKbArticleBody,
        response: { 200: Type.Ref(KbArticle), ...errorResponses(404, 412) },
      },
    },
    async (request, reply) => {
      const updated = await articles.update(
        request.actor,
        request.params.id,
        request.body,
        parseIfMatch(request.headers['if-match']),
      )
      return reply.header('etag', etag(updated.version)).send(updated)
    },
  )
  app.delete(
    '/v1/kb/articles/:id',
    {
      schema: {
        tags,
        summary: 'Delete an article with its translations and versions',
        description: 'To hide an article from customers and keep it, archive it instead.',
        security,
        params: KbArticleParams,
        response: { 204: Type.Null(), ...errorResponses(404, 412) },
      },
    },
    async (request, reply) => {
      await articles.remove(request.actor, request.params.id, parseIfMatch(request.headers['if-match']))
      return reply.code(204).send(null)
    },
  )
  app.get(
    '/v1/kb/articles/:id/translations/:locale',
    {
      schema: {
        tags,
        summary: "Get one translation's text",
        description: 'Staff also see the draft; a customer sees the published text only.',
        security,
        params: KbTranslationParams,
        response: { 200: Type.Ref(KbTranslation), ...errorResponses(404) },
      },
    },
    async (request) => articles.getTranslation(request.actor, request.params.id, request.params.locale),
  )
  app.put(
    '/v1/kb/articles/:id/translations/:locale',
    {
      schema: {
        tags,
        summary: "Write a translation's draft",
        description:
          'Creates the translation if the article has none in this locale. The published text stays live until the draft is published.',
        security,
        params: KbTranslationParams,
        body: PutKbTranslationBody,
        response: { 200: Type.Ref(KbTranslation), ...errorResponses(404, 409, 412) },
      },
    },
    async (request) =>
      articles.putTranslation(
        request.actor,
        request.params.id,
        request.params.locale,
        request.body,
        parseIfMatch(request.headers['if-match']),
      ),
  )
  app.delete(
    '/v1/kb/articles/:id/translations/:locale',
    {
      schema: {
        tags,
        summary: 'Delete a translation with its versions',
        description: '409 for the source locale.',
        security,
        params: KbTranslationParams,
        response: { 204: Type.Null(), ...errorResponses(404, 409, 412) },
      },
    },
    async (request, reply) => {
      await articles.removeTranslation(
        request.actor,
        request.params.id,
        request.params.locale,
        parseIfMatch(request.headers['if-match']),
      )
      return reply.code(204).send(null)
    },
  )
  app.post(
    '/v1/kb/articles/:id/translations/:locale/publish',
    {
      schema: {
        tags,
        summary: 'Publish a translation',
        description:
          'The draft becomes the live text, searchable when this answers; the text it replaces stays as a version. Publishing the source locale marks the other translations outdated until they are published again. 409 without a draft.',
        security,
        params: KbTranslationParams,
        response: { 200: Type.Ref(KbTranslation), ...errorResponses(404, 409, 412) },
      },
    },
    async (request) =>
      articles.publishTranslation(
        request.actor,
        request.params.id,
        request.params.locale,
        parseIfMatch(request.headers['if-match']),
      ),
  )
  app.delete(
    '/v1/kb/articles/:id/translations/:locale/draft',
    {
      schema: {
        tags,
        summary: "Discard a translation's draft",
        description: 'A translation that was never published goes with its draft.',
        security,
        params: KbTranslationParams,
        response: { 204: Type.Null(), ...errorResponses(404, 409, 412) },
      },
    },
    async (request, reply) => {
      await articles.discardDraft(
        request.actor,
        request.params.id,
        request.params.locale,
        parseIfMatch(request.headers['if-match']),
      )
      return reply.code(204).send(null)
    },
  )
  app.get(
    '/v1/kb/articles/:id/versions',
    {
      schema: {
        tags,
        summary: "List an article's published versions",
        description: 'By locale, newest first (staff).',
        security,
        params: KbArticleParams,
        querystring: KbVersionListQuery,
        response: { 200: Type.Ref(KbVersionPage), ...errorResponses(404) },
      },
    },
    async (request) => {
      const { locale, ...page } = request.query
      return articles.versions(request.actor, request.params.id, { locale }, page)
    },
  )
  app.post(
    '/v1/kb/articles/:id/translations/:locale/versions/:version/restore',
    {
      schema: {
        tags,
        summary: 'Restore a version into the draft',
        description: "The version's text becomes the translation's draft; publish it to make it live again.",
        security,
        params: KbVersionParams,
        response: { 200: Type.Ref(KbTranslation), ...errorResponses(404, 412) },
      },
    },
    async (request) =>
      articles.restoreVersion(
        request.actor,
        request.params.id,
        request.params.locale,
        request.params.version,
        parseIfMatch(request.headers['if-match']),
      ),
  )
  app.post(
    '/v1/kb/articles/:id/feedback',
    {
      schema: {
        tags,
        summary: 'Say whether an article helped',
        description:
          "One vote per contact, or per `sessionKey` for a server relaying an anonymous reader's vote; a later vote replaces the earlier one (200 instead of 201).",
        security,
        params: KbArticleParams,
        body: KbFeedbackBody,
        response: { 200: Type.Ref(KbFeedback), 201: Type.Ref(KbFeedback), ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      const vote = await articles.feedback(request.actor, request.params.id, request.body)
      return reply.code(vote.created ? 201 : 200).send(vote)
    },
  )

  // Search and deflection
  app.get(
    '/v1/kb/search',
    {
      schema: {
        tags,
        summary: 'Search published articles',
        description:
          "Full-text search in the locale's language (stemming, accents ignored), title matches first, with highlighted snippets. Articles without a published text in `locale` are searched in the workspace's default locale. When little is found, near spellings are tried (`fuzzy`). Every match can be paged through.",
        security,
        querystring: KbSearchQuery,
        response: { 200: Type.Ref(KbSearchResults), ...errorResponses() },
      },
    },
    async (request) => {
      const { tag, cursor, ...rest } = request.query
      const { cursors: _cursors, ...page } = await search.search(request.actor, {
        ...rest,
        tag: splitList(tag),
        cursor,
      })
      return page
    },
  )
  app.post(
    '/v1/kb/suggestions',
    {
      schema: {
        tags,
        summary: 'Suggest articles for a ticket being written',
        description:
          'The published articles most relevant to a subject and body, best first: what a help form shows before it creates a ticket. Recorded as `kb.suggestions.shown`; report what came of it with the returned `id`.',
        security,
        body: KbSuggestionsBody,
        response: { 200: Type.Ref(KbSuggestions), ...errorResponses() },
      },
    },
    async (request) => search.suggest(request.actor, request.body),
  )
  app.post(
    '/v1/kb/suggestions/:id/outcomes',
    {
      schema: {
        tags,
        summary: 'Record what came of suggestions',
        description:
          '`article_opened` (one of the suggested articles) or `ticket_created` (the ticket created anyway), as `kb.suggestion.*` events for the deflection report. Staff may report on any suggestion of the workspace; a contact on one shown to them or to an anonymous caller, naming only a ticket they may read. Any other suggestion is 404.',
        security,
        params: KbSuggestionParams,
        body: KbSuggestionOutcomeBody,
        response: { 204: Type.Null(), ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      await search.outcome(request.actor, request.params.id, request.body)
      return reply.code(204).send(null)
    },
  )

  // Tickets' articles
  app.get(
    '/v1/tickets/:idOrNumber/articles',
    {
      schema: {
        tags: ['tickets'],
        summary: 'List the articles linked to a ticket',
        description: 'A contact, on their own ticket, sees the linked articles published for them.',
        security,
        params: TicketParams,
        querystring: KbLocaleQuery,
        response: { 200: Type.Ref(LinkedArticles), ...errorResponses(404) },
      },
    },
    async (request) => articles.linked(request.actor, request.params.idOrNumber, request.query.locale),
  )
  app.post(
    '/v1/tickets/:idOrNumber/articles',
    {
      schema: {
        tags: ['tickets'],
        summary: 'Link an article to a ticket',
        description: '201 when linked, 200 when it already was.',
        security,
        params: TicketParams,
        body: LinkArticleBody,
        response: { 200: Type.Ref(LinkedArticles), 201: Type.Ref(LinkedArticles), ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      const { created } = await articles.link(
        request.actor,
        request.params.idOrNumber,
        request.body.articleId,
      )
      return reply
        .code(created ? 201 : 200)
        .send(await articles.linked(request.actor, request.params.idOrNumber))
    },
  )
  app.delete(
    '/v1/tickets/:idOrNumber/articles/:articleId',
    {
      schema: {
        tags: ['tickets'],
        summary: 'Unlink an article from a ticket',
        security,
        params: TicketArticleParams,
        response: { 204: Type.Null(), ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      await articles.unlink(request.actor, request.params.idOrNumber, request.params.articleId)
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/v1/reports/kb',
    {
      schema: {
        tags: ['reports'],
        summary: 'Knowledge base report',
        description:
          'Over [from, to) (default: the last 30 days): the most viewed articles, the least helpful, and deflection (suggestions shown, articles opened from them, tickets created anyway).',
        security,
        querystring: KbReportQuery,
        response: { 200: Type.Ref(KbReport), ...errorResponses() },
      },
    },
    async (request) => reports.kb(request.actor, request.query),
  )
}
