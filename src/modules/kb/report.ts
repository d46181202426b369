import { sql } from 'drizzle-orm'
import type { Actor } from '../../auth/actor.ts'
import { authorize } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { rowsOf } from '../../db/raw.ts'
import { readInWorkspace } from '../../db/tenant.ts'
import { storableInstant } from '../../lib/instant.ts'
import { invalid } from '../../lib/problem.ts'

const DAY = 86_400_000

/** A title to show for an article in a report: its source locale's, published or draft. */
const titleOf = sql`(select coalesce(t.title, t.draft_title) from kb_article_translations t
  where t.workspace_id = a.workspace_id and t.article_id = a.id
  order by (t.locale = a.source_locale) desc, t.locale limit 1)`
// (Grouped by the article's primary key, so the subquery may read its other columns.)

/**
 * The knowledge base over [from, to): the most viewed articles (customer reads), the least helpful
 * (share of helpful votes cast in the period, fewest first, at least one vote), and deflection: how many
 * suggestion lists were shown, how many led to an article being opened, and how many to a ticket anyway.
 */
export function createKbReports(db: Db) {
  return {
    async kb(
      actor: Actor,
      query: { from?: string | undefined; to?: string | undefined; limit?: number | undefined },
      now = new Date(),
    ) {
      const { workspaceId } = authorize(actor, 'kb:read')
      // By default everything recorded so far: PostgreSQL stamps in microseconds, a Date holds
      // milliseconds, so "now" rounded down would leave out what was recorded this millisecond.
      const to = query.to ? new Date(query.to) : new Date(now.getTime() + 1)
      const from = query.from ? new Date(query.from) : new Date(to.getTime() - 30 * DAY)
      if (!storableInstant(to)) throw invalid('/to', 'must be between the years 1 and 9999')
      if (!storableInstant(from)) throw invalid('/from', 'must be between the years 1 and 9999')
      if (from >= to) throw invalid('/from', 'must be before to')
      const size = query.limit ?? 10
      // (It goes into the statement's text: only a whole number of the documented range gets there.)
      if (!Number.isInteger(size) || size < 1 || size > 100)
        throw invalid('/limit', 'must be an integer from 1 to 100')
      const limit = sql.raw(String(size))
      return readInWorkspace(db, workspaceId, async (q) => {
        const viewed = await rowsOf<{ id: string; title: string | null; views: number }>(
          q,
          sql`select a.id, ${titleOf} as title, sum(v.views)::int as views
              from kb_article_views v join kb_articles a on a.workspace_id = v.workspace_id and a.id = v.article_id
              where v.workspace_id = ${workspaceId}
                and v.day >= (${from.toISOString()}::timestamptz at time zone 'UTC')::date
                and v.day < (${to.toISOString()}::timestamptz at time zone 'UTC')::date + 1
              group by a.workspace_id, a.id order by views desc, a.id limit ${limit}`,
        )
        const unhelpful = await rowsOf<{
          id: string
          title: string | null
          helpful: number
          not_helpful: number
        }>(
          q,
          sql`select a.id, ${titleOf} as title,
                (count(*) filter (where f.helpful))::int as helpful,
                (count(*) filter (where not f.helpful))::int as not_helpful
              from kb_feedback f join kb_articles a on a.workspace_id = f.workspace_id and a.id = f.article_id
              where f.workspace_id = ${workspaceId} and f.updated_at >= ${from.toISOString()} and f.updated_at < ${to.toISOString()}
              group by a.workspace_id, a.id
              order by (count(*) filter (where f.helpful))::float / count(*), count(*) filter (where not f.helpful) desc, a.id
              limit ${limit}`,
        )
        const [deflection] = await rowsOf<{ shown: number; opened: number; tickets: number }>(
          q,
          sql`select count(distinct subject_id) filter (where type = 'kb.suggestions.shown')::int as shown,
                count(distinct subject_id) filter (where type = 'kb.suggestion.article_opened')::int as opened,
                count(distinct subject_id) filter (where type = 'kb.suggestion.ticket_created')::int as tickets
              from events
              where workspace_id = ${workspaceId} and subject_type = 'kb_suggestion'
                and created_at >= ${from.toISOString()} and created_at < ${to.toISOString()}`,
        )
        const shown = deflection?.shown ?? 0
        const ticketsCreated = deflection?.tickets ?? 0
        return {
          from: from.toISOString(),
          to: to.toISOString(),
          mostViewed: viewed.map((r) => ({ articleId: r.id, title: r.title ?? '', views: r.views })),
          leastHelpful: unhelpful.map((r) => ({
            articleId: r.id,
            title: r.title ?? '',
            helpful: r.helpful,
            notHelpful: r.not_helpful,
            helpfulRatio: r.helpful / (r.helpful + r.not_helpful),
          })),
          deflection: {
            suggestionsShown: shown,
            articlesOpened: deflection?.opened ?? 0,
            ticketsCreated,
            // The share of suggestion lists that did not end in a ticket.
            deflectionRate: shown === 0 ? null : Math.max(0, 1 - ticketsCreated / shown),
          },
        }
      })
    },
  }
}
