import { createHash } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'
import { errorResponses, splitList } from '../../lib/api-schemas.ts'
import type { ArticleFilter } from './articles.ts'
import {
  KbArticle,
  KbArticlePage,
  KbArticleParams,
  KbCategory,
  KbCategoryListQuery,
  KbCategoryPage,
  KbFeedback,
  KbFeedbackBody,
  KbLocaleQuery,
  KbSearchQuery,
  KbSearchResults,
  KbSuggestionOutcomeBody,
  KbSuggestionParams,
  KbSuggestions,
  KbSuggestionsBody,
  PublicParams,
} from './schemas.ts'

const tags = ['public knowledge base']
/** Anyone may call these: no token is needed, and one sent is ignored. */
const noToken = [{}]
/** What a CDN may keep: a minute fresh, then served stale for ten while it revalidates. */
const CACHE_CONTROL = 'public, max-age=60, stale-while-revalidate=600'

const PublicCategoryParams = Type.Composite([
  PublicParams,
  Type.Object({ ref: Type.String({ minLength: 1, maxLength: 64 }) }),
])
const PublicArticleParams = Type.Composite([PublicParams, KbArticleParams])
const PublicSuggestionParams = Type.Composite([PublicParams, KbSuggestionParams])
const PublicArticleListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 25 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    category: Type.Optional(Type.String({ format: 'uuid' })),
    tag: Type.Optional(Type.String({ pattern: '^[^,]{1,64}(,[^,]{1,64})*$' })),
    locale: Type.Optional(Type.String({ pattern: '^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$', maxLength: 35 })),
  },
  { additionalProperties: false },
)

const notModified = (request: FastifyRequest, tag: string) =>
  (request.headers['if-none-match'] ?? '')
    .split(',')
    .some((candidate) => candidate.trim().replace(/^W\//, '') === tag)

/**
 * A workspace's public knowledge base, for anyone: published `public` articles only, whatever token
 * comes along. Reads carry an ETag and Cache-Control for CDNs (If-None-Match answers 304); browsers
 * get CORS for the workspace's own allowed origins; callers are rate limited per address.
 */
export const kbPublicRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { readers, categories, articles, search } = app.services.kb
  const reader = (request: { params: { workspaceSlug: string } }) =>
    readers.public(request.params.workspaceSlug, { kind: 'anonymous' })
  /** For the commands: the workspace an Idempotency-Key of theirs is kept in (see the idempotency plugin). */
  const config = {
    workspaceOf: async (request: FastifyRequest) =>
      (await reader(request as FastifyRequest<{ Params: { workspaceSlug: string } }>)).workspaceId,
  }

  // Only this workspace's origins get CORS: the shared preflight handler answers any origin some workspace allows.
  app.addHook('onSend', async (request, reply, payload) => {
    const origin = request.headers.origin
    const { workspaceSlug } = (request.params ?? {}) as { workspaceSlug?: string }
    if (origin && workspaceSlug && reply.hasHeader('access-control-allow-origin')) {
      const allowed = await readers
        .public(workspaceSlug, { kind: 'anonymous' })
        .then((r) => app.services.workspaces.settings(r.workspaceId))
        .then((s) => s.allowedOrigins.includes(origin.toLowerCase()))
        .catch(() => false)
      if (!allowed) {
        reply.removeHeader('access-control-allow-origin')
        reply.removeHeader('access-control-allow-credentials')
        reply.removeHeader('access-control-expose-headers')
      }
    }
    if (request.method !== 'GET' || reply.statusCode !== 200 || typeof payload !== 'string') return payload
    const tag = `"${createHash('sha256').update(payload).digest('base64url').slice(0, 27)}"`
    reply.header('etag', tag).header('cache-control', CACHE_CONTROL)
    if (notModified(request, tag)) {
      reply.code(304)
      return ''
    }
    return payload
  })

  const base = '/v1/public/:workspaceSlug/kb'
  const notModifiedResponse = { 304: Type.Null({ description: 'Not modified (If-None-Match)' }) }

  app.get(
    `${base}/categories`,
    {
      schema: {
        tags,
        summary: 'List public categories',
        security: noToken,
        description: 'Categories holding, at any depth, a published public article; in `position` order.',
        params: PublicParams,
        querystring: KbCategoryListQuery,
        response: { 200: Type.Ref(KbCategoryPage), ...notModifiedResponse, ...errorResponses(404) },
      },
    },
    async (request) => {
      const { parent, ...page } = request.query
      const { cursors: _c, ...result } = await categories.listFor(await reader(request), { parent }, page)
      return result
    },
  )
  app.get(
    `${base}/categories/:ref`,
    {
      schema: {
        tags,
        summary: 'Get a public category by id or slug',
        security: noToken,
        params: PublicCategoryParams,
        response: { 200: Type.Ref(KbCategory), ...notModifiedResponse, ...errorResponses(404) },
      },
    },
    async (request) => categories.getFor(await reader(request), request.params.ref),
  )
  app.get(
    `${base}/articles`,
    {
      schema: {
        tags,
        summary: 'List public articles',
        security: noToken,
        description: '`category` includes its subcategories.',
        params: PublicParams,
        querystring: PublicArticleListQuery,
        response: { 200: Type.Ref(KbArticlePage), ...notModifiedResponse, ...errorResponses(404) },
      },
    },
    async (request) => {
      const { limit, cursor, tag, ...rest } = request.query
      const filter: ArticleFilter = { ...rest, tag: splitList(tag) }
      const { cursors: _c, ...result } = await articles.listFor(await reader(request), filter, {
        limit,
        cursor,
      })
      return result
    },
  )
  app.get(
    `${base}/articles/:id`,
    {
      schema: {
        tags,
        summary: 'Get a public article by slug or id',
        security: noToken,
        description:
          "`translation` is the text in `locale`, else in the workspace's default locale, else in the source locale (see its `locale`). Each read counts as a view.",
        params: PublicArticleParams,
        querystring: KbLocaleQuery,
        response: { 200: Type.Ref(KbArticle), ...notModifiedResponse, ...errorResponses(404) },
      },
    },
    async (request) => articles.getFor(await reader(request), request.params.id, request.query.locale),
  )
  app.get(
    `${base}/search`,
    {
      schema: {
        tags,
        summary: 'Search public articles',
        security: noToken,
        description: 'As `GET /v1/kb/search`, over published public articles.',
        params: PublicParams,
        querystring: KbSearchQuery,
        response: { 200: Type.Ref(KbSearchResults), ...notModifiedResponse, ...errorResponses(404) },
      },
    },
    async (request) => {
      const { tag, cursor, ...rest } = request.query
      const { cursors: _c, ...page } = await search.searchFor(await reader(request), {
        ...rest,
        tag: splitList(tag),
        cursor,
      })
      return page
    },
  )
  app.post(
    `${base}/suggestions`,
    {
      config,
      schema: {
        tags,
        summary: 'Suggest public articles for a ticket being written',
        security: noToken,
        params: PublicParams,
        body: KbSuggestionsBody,
        response: { 200: Type.Ref(KbSuggestions), ...errorResponses(404) },
      },
    },
    async (request) => search.suggestFor(await reader(request), request.body),
  )
  app.post(
    `${base}/suggestions/:id/outcomes`,
    {
      config,
      schema: {
        tags,
        summary: 'Record what came of public suggestions',
        description:
          'An anonymous caller records that an article was opened; a ticket created anyway is recorded by the API key or contact token that created it (403 here).',
        security: noToken,
        params: PublicSuggestionParams,
        body: KbSuggestionOutcomeBody,
        response: { 204: Type.Null(), ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      await search.outcomeFor(await reader(request), request.params.id, request.body)
      return reply.code(204).send(null)
    },
  )
  app.post(
    `${base}/articles/:id/feedback`,
    {
      config,
      schema: {
        tags,
        summary: 'Say whether a public article helped',
        security: noToken,
        description: 'One vote per `sessionKey` (required here); a later vote replaces the earlier one.',
        params: PublicArticleParams,
        body: KbFeedbackBody,
        response: { 200: Type.Ref(KbFeedback), 201: Type.Ref(KbFeedback), ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      const vote = await articles.feedbackFor(await reader(request), request.params.id, request.body)
      return reply.code(vote.created ? 201 : 200).send(vote)
    },
  )
}
