import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm'
import type { Actor } from '../../auth/actor.ts'
import { authorize } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { violatedConstraint } from '../../db/errors.ts'
import { pgTextArray, rowsOf } from '../../db/raw.ts'
import { kbArticles, kbCategories, kbCategoryTranslations } from '../../db/schema/index.ts'
import { readInWorkspace, writeInWorkspace } from '../../db/tenant.ts'
import type { Executor, Tx } from '../../db/transaction.ts'
import { paginate, readCursor } from '../../lib/cursor.ts'
import { invalid, Problem, problem } from '../../lib/problem.ts'
import { isUuid } from '../../lib/refs.ts'
import { diff, recordEvent } from '../events/service.ts'
import { type Reader, type Readers, visibilitiesFor } from './access.ts'
import { canonicalLocale } from './locales.ts'

export const CategoryNotFound = problem('not_found', 'Knowledge base category %s not found')

type CategoryRow = typeof kbCategories.$inferSelect
type CategoryTranslationRow = typeof kbCategoryTranslations.$inferSelect

export interface CategoryTranslationInput {
  locale: string
  name: string
  description?: string | null
  slug: string
}
export interface CategoryInput {
  parentId?: string | null
  position?: number
  translations?: CategoryTranslationInput[]
}

const toCategory = (row: CategoryRow, translations: CategoryTranslationRow[]) => ({
  id: row.id,
  parentId: row.parentId,
  position: row.position,
  translations: translations
    .filter((t) => t.categoryId === row.id)
    .sort((a, b) => a.locale.localeCompare(b.locale))
    .map((t) => ({ locale: t.locale, name: t.name, description: t.description, slug: t.slug })),
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
})
export type Category = ReturnType<typeof toCategory>

/** The category and every category under it, at any depth (for filters that include subcategories). */
export async function categoryTree(q: Executor, workspaceId: string, categoryId: string): Promise<string[]> {
  const rows = await rowsOf<{ id: string }>(
    q,
    sql`with recursive tree(id) as (
          select id from kb_categories where workspace_id = ${workspaceId} and id = ${categoryId}
          union
          select c.id from kb_categories c join tree on c.parent_id = tree.id where c.workspace_id = ${workspaceId}
        ) select id from tree`,
  )
  return rows.map((r) => r.id)
}

/**
 * The categories a customer may see: those holding, at any depth, an article they may read (so the
 * name of a category of internal articles never reaches one). Null for staff, who see every category.
 */
export async function visibleCategoryIds(q: Executor, reader: Reader): Promise<Set<string> | null> {
  if (reader.audience === 'staff') return null
  const rows = await rowsOf<{ id: string }>(
    q,
    sql`with recursive up(id) as (
          select distinct a.category_id from kb_articles a
          where a.workspace_id = ${reader.workspaceId} and a.archived_at is null
            and a.visibility = any(${pgTextArray(visibilitiesFor(reader.audience))}::text[])
            and exists (select 1 from kb_article_translations t where t.workspace_id = a.workspace_id
                        and t.article_id = a.id and t.published_version > 0)
          union
          select c.parent_id from kb_categories c join up on c.id = up.id
          where c.workspace_id = ${reader.workspaceId} and c.parent_id is not null
        ) select id from up`,
  )
  return new Set(rows.map((r) => r.id))
}

/**
 * A category and its subcategories, for a filter of the reader's: empty when the category is not one of
 * the workspace's, or is one the reader may not see (as unknown to them as one that does not exist).
 */
export async function readableCategoryTree(
  q: Executor,
  reader: Reader,
  categoryId: string,
): Promise<string[]> {
  if (!isUuid(categoryId)) return []
  const visible = await visibleCategoryIds(q, reader)
  if (visible && !visible.has(categoryId.toLowerCase())) return []
  return categoryTree(q, reader.workspaceId, categoryId)
}

function conflict(error: unknown) {
  const constraint = violatedConstraint(error)
  if (constraint === 'kb_category_translations_slug_key') {
    return new Problem('conflict', 'Another category has this slug in this locale.', {
      errors: [{ path: '/translations', message: 'a slug belongs to another category in its locale' }],
    })
  }
  return null
}

function normalizeTranslations(input: CategoryTranslationInput[]) {
  const seen = new Set<string>()
  return input.map((t, i) => {
    const locale = canonicalLocale(t.locale, `/translations/${i}/locale`)
    if (seen.has(locale)) throw invalid(`/translations/${i}/locale`, `repeats the locale ${locale}`)
    seen.add(locale)
    return { ...t, locale }
  })
}

export function createCategoriesService(db: Db, readers: Readers) {
  const write = <T>(workspaceId: string, fn: (tx: Tx) => Promise<T>) =>
    writeInWorkspace(db, workspaceId, fn, conflict)

  async function load(q: Executor, workspaceId: string, ids: string[]) {
    if (ids.length === 0) return []
    const [rows, translations] = await Promise.all([
      q
        .select()
        .from(kbCategories)
        .where(and(eq(kbCategories.workspaceId, workspaceId), inArray(kbCategories.id, ids))),
      q
        .select()
        .from(kbCategoryTranslations)
        .where(
          and(
            eq(kbCategoryTranslations.workspaceId, workspaceId),
            inArray(kbCategoryTranslations.categoryId, ids),
          ),
        ),
    ])
    return ids.flatMap((id) => {
      const row = rows.find((r) => r.id === id)
      return row ? [toCategory(row, translations)] : []
    })
  }

  /** By id, or by slug in any locale; a customer finds only categories they may see. */
  /**
   * A category by id or slug. A slug is unique per locale only: among the categories with it that the
   * reader may see, the one whose slug is in the workspace's default locale first, then by locale, so
   * a hidden category never shadows a visible one, and the same slug always names the same category.
   */
  async function find(q: Executor, workspaceId: string, ref: string, reader?: Reader): Promise<Category> {
    const visible = reader ? await visibleCategoryIds(q, reader) : null
    const hits = isUuid(ref)
      ? [{ id: ref.toLowerCase(), locale: '' }]
      : await q
          .select({ id: kbCategoryTranslations.categoryId, locale: kbCategoryTranslations.locale })
          .from(kbCategoryTranslations)
          .where(
            and(eq(kbCategoryTranslations.workspaceId, workspaceId), eq(kbCategoryTranslations.slug, ref)),
          )
          .orderBy(asc(kbCategoryTranslations.locale))
    const seen = hits.filter((h) => !visible || visible.has(h.id))
    const hit = seen.find((h) => h.locale === reader?.defaultLocale) ?? seen[0]
    const [category] = hit ? await load(q, workspaceId, [hit.id]) : []
    if (!category) throw CategoryNotFound(ref)
    return category
  }

  async function checkParent(tx: Tx, workspaceId: string, id: string | null, parentId: string) {
    const [parent] = await load(tx, workspaceId, [parentId.toLowerCase()])
    if (!parent) throw invalid('/parentId', `names no category of this workspace: ${parentId}`)
    // A category may not sit under itself or under one of its own subcategories.
    if (id && (await categoryTree(tx, workspaceId, id)).includes(parent.id)) {
      throw invalid('/parentId', 'would put the category inside itself')
    }
    return parent.id
  }

  async function putTranslations(
    tx: Tx,
    workspaceId: string,
    categoryId: string,
    input: CategoryTranslationInput[],
  ) {
    for (const t of normalizeTranslations(input)) {
      await tx
        .insert(kbCategoryTranslations)
        .values({
          workspaceId,
          categoryId,
          locale: t.locale,
          name: t.name,
          description: t.description ?? null,
          slug: t.slug,
        })
        .onConflictDoUpdate({
          target: [
            kbCategoryTranslations.workspaceId,
            kbCategoryTranslations.categoryId,
            kbCategoryTranslations.locale,
          ],
          set: { name: t.name, description: t.description ?? null, slug: t.slug, updatedAt: new Date() },
        })
    }
  }

  return {
    find,
    load,

    /** In `position` order; `parent` narrows to one level (`root`, or a category's id). */
    async list(
      actor: Actor,
      filter: { parent?: string | undefined },
      page: { limit: number; cursor?: string | undefined },
    ) {
      const reader = await readers.of(actor)
      return this.listFor(reader, filter, page)
    },

    async listFor(
      reader: Reader,
      filter: { parent?: string | undefined },
      page: { limit: number; cursor?: string | undefined },
    ) {
      const { workspaceId } = reader
      const after = page.cursor ? readCursor(page.cursor, ['int', 'uuid']) : undefined
      if (filter.parent !== undefined && filter.parent !== 'root' && !isUuid(filter.parent)) {
        throw invalid('/parent', 'is `root` or a category id')
      }
      return readInWorkspace(db, workspaceId, async (q) => {
        const visible = await visibleCategoryIds(q, reader)
        const rows = await q
          .select()
          .from(kbCategories)
          .where(
            and(
              eq(kbCategories.workspaceId, workspaceId),
              filter.parent === 'root'
                ? isNull(kbCategories.parentId)
                : filter.parent
                  ? eq(kbCategories.parentId, filter.parent)
                  : undefined,
              visible
                ? inArray(kbCategories.id, [...visible, '00000000-0000-0000-0000-000000000000'])
                : undefined,
              after
                ? sql`(${kbCategories.position}, ${kbCategories.id}) > (${after[0]}, ${after[1]}::uuid)`
                : undefined,
            ),
          )
          .orderBy(asc(kbCategories.position), asc(kbCategories.id))
          .limit(page.limit + 1)
        const result = paginate(rows, page.limit, (r) => [r.position, r.id])
        const ids = result.data.map((r) => r.id)
        const translations =
          ids.length === 0
            ? []
            : await q
                .select()
                .from(kbCategoryTranslations)
                .where(
                  and(
                    eq(kbCategoryTranslations.workspaceId, workspaceId),
                    inArray(kbCategoryTranslations.categoryId, ids),
                  ),
                )
        return {
          data: result.data.map((r) => toCategory(r, translations)),
          nextCursor: result.nextCursor,
          cursors: result.cursors,
        }
      })
    },

    async get(actor: Actor, ref: string) {
      return this.getFor(await readers.of(actor), ref)
    },

    getFor(reader: Reader, ref: string) {
      return readInWorkspace(db, reader.workspaceId, (q) => find(q, reader.workspaceId, ref, reader))
    },

    create(actor: Actor, input: CategoryInput & { translations: CategoryTranslationInput[] }) {
      const { workspaceId } = authorize(actor, 'kb:write')
      return write(workspaceId, async (tx) => {
        const parentId = input.parentId ? await checkParent(tx, workspaceId, null, input.parentId) : null
        const [row] = await tx
          .insert(kbCategories)
          .values({ workspaceId, parentId, position: input.position ?? 0 })
          .returning()
        if (!row) throw new Error('insert returned no row')
        await putTranslations(tx, workspaceId, row.id, input.translations)
        const category = await find(tx, workspaceId, row.id)
        await recordEvent(tx, {
          workspaceId,
          type: 'kb.category.created',
          subjectType: 'kb_category',
          subjectId: row.id,
          actor,
          data: { parentId, translations: category.translations },
        })
        return category
      })
    },

    /** Moves, reorders, or adds and changes translations (those not named stay as they are). */
    update(actor: Actor, ref: string, input: CategoryInput) {
      const { workspaceId } = authorize(actor, 'kb:write')
      return write(workspaceId, async (tx) => {
        const current = await find(tx, workspaceId, ref)
        await tx
          .select({ id: kbCategories.id })
          .from(kbCategories)
          .where(and(eq(kbCategories.workspaceId, workspaceId), eq(kbCategories.id, current.id)))
          .for('update')
        const next: Partial<CategoryRow> = {}
        if (input.parentId !== undefined) {
          next.parentId =
            input.parentId === null ? null : await checkParent(tx, workspaceId, current.id, input.parentId)
        }
        if (input.position !== undefined) next.position = input.position
        if (input.translations) await putTranslations(tx, workspaceId, current.id, input.translations)
        await tx
          .update(kbCategories)
          .set({ ...next, updatedAt: new Date() })
          .where(and(eq(kbCategories.workspaceId, workspaceId), eq(kbCategories.id, current.id)))
        const after = await find(tx, workspaceId, current.id)
        const changes = diff(current, {
          parentId: after.parentId,
          position: after.position,
          translations: after.translations,
        })
        if (Object.keys(changes).length > 0) {
          await recordEvent(tx, {
            workspaceId,
            type: 'kb.category.updated',
            subjectType: 'kb_category',
            subjectId: current.id,
            actor,
            changes,
          })
        }
        return after
      })
    },

    /** Only an empty category goes: 409 while it holds categories or articles (archived ones too). */
    remove(actor: Actor, ref: string) {
      const { workspaceId } = authorize(actor, 'kb:write')
      return write(workspaceId, async (tx) => {
        const current = await find(tx, workspaceId, ref)
        const [child] = await tx
          .select({ id: kbCategories.id })
          .from(kbCategories)
          .where(and(eq(kbCategories.workspaceId, workspaceId), eq(kbCategories.parentId, current.id)))
          .limit(1)
        const [article] = await tx
          .select({ id: kbArticles.id })
          .from(kbArticles)
          .where(and(eq(kbArticles.workspaceId, workspaceId), eq(kbArticles.categoryId, current.id)))
          .limit(1)
        if (child || article) {
          throw new Problem(
            'conflict',
            `The category still holds ${child ? 'categories' : 'articles'}: move or delete them first.`,
          )
        }
        try {
          await tx
            .delete(kbCategories)
            .where(and(eq(kbCategories.workspaceId, workspaceId), eq(kbCategories.id, current.id)))
        } catch (error) {
          // An article or subcategory that arrived meanwhile.
          if (violatedConstraint(error, '23503') !== null) {
            throw new Problem('conflict', 'The category is no longer empty.')
          }
          throw error
        }
        await recordEvent(tx, {
          workspaceId,
          type: 'kb.category.deleted',
          subjectType: 'kb_category',
          subjectId: current.id,
          actor,
          data: { translations: current.translations },
        })
      })
    },
  }
}
export type CategoriesService = ReturnType<typeof createCategoriesService>
