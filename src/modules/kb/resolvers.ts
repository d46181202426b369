import type { IResolvers, MercuriusLoaders } from 'mercurius'
import { Locale, splitList } from '../../lib/api-schemas.ts'
import { validate } from '../../lib/validate.ts'
import {
  nullIfNotFound,
  pageArgs,
  removed,
  ticketRefInput,
  toConnection,
  withoutNulls,
  withUserErrors,
} from '../graphql-support.ts'
import type { Ticket } from '../tickets/view.ts'
import type { Article, ArticleFilter } from './articles.ts'
import {
  CreateKbArticleBody,
  CreateKbCategoryBody,
  FromTicketBody,
  KbFeedbackBody,
  KbReportQuery,
  KbSearchQuery,
  KbSuggestionOutcomeBody,
  KbSuggestionsBody,
  PutKbTranslationBody,
  UpdateKbArticleBody,
  UpdateKbCategoryBody,
} from './schemas.ts'

type RefArgs = { id?: string | null; number?: number | null }

/** A locale argument, checked as REST checks one: absent is no locale, but "" or "xx_YY" is an error. */
const localeArg = (value: string | null | undefined, path: string) =>
  value == null ? undefined : validate(Locale, value, path)

/** A TicketRef input as the services take it (a UUID, or a number as text). */
function ticketRef(args: RefArgs): string {
  const ref = ticketRefInput(args, 'ticket')
  return 'id' in ref ? ref.id : String(ref.number)
}

/** Nested inputs as REST takes them: nulls dropped, except those that mean something (clearing). */
function categoryInput(input: Record<string, unknown>) {
  const body = withoutNulls(input, ['parentId'])
  const translations = body.translations as Record<string, unknown>[] | undefined
  return translations
    ? { ...body, translations: translations.map((t) => withoutNulls(t, ['description'])) }
    : body
}

export const kbResolvers: IResolvers = {
  Query: {
    kbCategory: (_root, args: { ref: string }, { actor, services }) =>
      nullIfNotFound(services.kb.categories.get(actor, args.ref)),
    kbCategories: async (_root, args, { actor, services }) =>
      toConnection(
        await services.kb.categories.list(
          actor,
          { parent: args.parent ?? undefined },
          pageArgs({ first: args.first ?? 100, after: args.after }),
        ),
      ),
    kbArticle: (_root, args: { ref: string; locale?: string | null }, { actor, services }) =>
      nullIfNotFound(services.kb.articles.get(actor, args.ref, localeArg(args.locale, 'locale'))),
    kbArticles: async (_root, args, { actor, services }) => {
      const { tags, ...filter } = withoutNulls((args.filter ?? {}) as Record<string, unknown>)
      localeArg(filter.locale as string | undefined, 'filter/locale')
      return toConnection(
        await services.kb.articles.list(
          actor,
          { ...filter, tag: tags as string[] | undefined } as ArticleFilter,
          pageArgs(args),
        ),
      )
    },
    kbSearch: async (_root, args, { actor, services }) => {
      const { q, locale, category, tags, first, after } = withoutNulls(args)
      const { tag, ...input } = validate(
        KbSearchQuery,
        withoutNulls({
          q,
          locale,
          category,
          // (Validated as REST's comma-separated list is: each tag 1 to 64 characters; [] is no filter.)
          tag: (tags as string[] | undefined)?.length ? (tags as string[]).join(',') : undefined,
          limit: first ?? 10,
          cursor: after ?? null,
        }),
      )
      const page = await services.kb.search.search(actor, { ...input, tag: splitList(tag) })
      return { ...toConnection(page), locale: page.locale, fuzzy: page.fuzzy }
    },
    kbSuggestions: async (_root, args, { actor, services }) => {
      const result = await services.kb.search.suggest(actor, validate(KbSuggestionsBody, withoutNulls(args)))
      return { id: result.id, locale: result.locale, hits: result.data }
    },
    kbReport: (_root, args, { actor, services }) =>
      services.kb.reports.kb(actor, validate(KbReportQuery, withoutNulls(args))),
  },

  KbArticle: {
    versions: async (article: Article, args, { actor, services }) =>
      toConnection(
        await services.kb.articles.versions(
          actor,
          article.id,
          { locale: args.locale ?? undefined },
          pageArgs(args),
        ),
      ),
  },

  Mutation: {
    createKbCategory: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => ({
          kbCategory: await services.kb.categories.create(
            actor,
            validate(CreateKbCategoryBody, categoryInput(args.input)),
          ),
        }),
        { kbCategory: null },
      ),
    updateKbCategory: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => ({
          kbCategory: await services.kb.categories.update(
            actor,
            args.ref,
            validate(UpdateKbCategoryBody, categoryInput(args.input)),
          ),
        }),
        { kbCategory: null },
      ),
    deleteKbCategory: (_root, args: { ref: string }, { actor, services }) =>
      removed(() => services.kb.categories.remove(actor, args.ref), args.ref),
    createKbArticle: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => {
          const input = withoutNulls(args.input)
          if (Array.isArray(input.translations)) {
            input.translations = input.translations.map((t: Record<string, unknown>) => withoutNulls(t))
          }
          return { kbArticle: await services.kb.articles.create(actor, validate(CreateKbArticleBody, input)) }
        },
        { kbArticle: null },
      ),
    updateKbArticle: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => ({
          kbArticle: await services.kb.articles.update(
            actor,
            args.id,
            validate(UpdateKbArticleBody, withoutNulls(args.input)),
            args.expectedVersion == null ? undefined : [args.expectedVersion],
          ),
        }),
        { kbArticle: null },
      ),
    deleteKbArticle: (_root, args: { id: string }, { actor, services }) =>
      removed(() => services.kb.articles.remove(actor, args.id), args.id),
    saveKbDraft: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => ({
          kbTranslation: await services.kb.articles.putTranslation(
            actor,
            args.articleId,
            args.locale,
            validate(PutKbTranslationBody, withoutNulls(args.input)),
          ),
        }),
        { kbTranslation: null },
      ),
    publishKbTranslation: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => ({
          kbTranslation: await services.kb.articles.publishTranslation(actor, args.articleId, args.locale),
        }),
        { kbTranslation: null },
      ),
    discardKbDraft: (_root, args, { actor, services }) =>
      removed(() => services.kb.articles.discardDraft(actor, args.articleId, args.locale), args.articleId),
    deleteKbTranslation: (_root, args, { actor, services }) =>
      removed(
        () => services.kb.articles.removeTranslation(actor, args.articleId, args.locale),
        args.articleId,
      ),
    restoreKbVersion: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => ({
          kbTranslation: await services.kb.articles.restoreVersion(
            actor,
            args.articleId,
            args.locale,
            args.version,
          ),
        }),
        { kbTranslation: null },
      ),
    createKbArticleFromTicket: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => {
          const { ticket, ...rest } = withoutNulls(args.input)
          return {
            kbArticle: await services.kb.articles.fromTicket(
              actor,
              validate(FromTicketBody, { ...rest, ticket: ticketRef(ticket) }),
            ),
          }
        },
        { kbArticle: null },
      ),
    linkKbArticle: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => {
          const ref = ticketRef(args.ticket)
          await services.kb.articles.link(actor, ref, args.articleId)
          return { kbArticles: (await services.kb.articles.linked(actor, ref)).data }
        },
        { kbArticles: null },
      ),
    unlinkKbArticle: (_root, args, { actor, services }) =>
      removed(
        () => services.kb.articles.unlink(actor, ticketRef(args.ticket), args.articleId),
        args.articleId,
      ),
    sendKbFeedback: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => ({
          kbFeedback: await services.kb.articles.feedback(
            actor,
            args.articleId,
            validate(KbFeedbackBody, withoutNulls(args.input, ['comment'])),
          ),
        }),
        { kbFeedback: null },
      ),
    recordKbSuggestionOutcome: (_root, args, { actor, services }) =>
      withUserErrors(
        async () => {
          const { suggestionId, ...input } = withoutNulls(args)
          await services.kb.search.outcome(actor, suggestionId, validate(KbSuggestionOutcomeBody, input))
          return { recorded: true }
        },
        { recorded: null },
      ),
  },
}

export const kbLoaders: MercuriusLoaders = {
  Ticket: {
    /** The linked articles of each ticket of a response. */
    async kbArticles(queries: { obj: Ticket; params: { locale?: string | null } }[], { actor, services }) {
      // One read per locale asked for (almost always one).
      const locales = [...new Set(queries.map((q) => q.params.locale ?? undefined))]
      const found = new Map(
        await Promise.all(
          locales.map(async (locale) => {
            const ids = queries.filter((q) => (q.params.locale ?? undefined) === locale).map((q) => q.obj.id)
            return [locale, await services.kb.articles.linkedByTickets(actor, ids, locale)] as const
          }),
        ),
      )
      return queries.map((q) => found.get(q.params.locale ?? undefined)?.get(q.obj.id) ?? [])
    },
  },
}
