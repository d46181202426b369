import type { Db } from '../../db/client.ts'
import type { WorkspaceSettings } from '../workspaces/service.ts'
import { createReaders } from './access.ts'
import { createArticlesService } from './articles.ts'
import { createCategoriesService } from './categories.ts'
import { createKbReports } from './report.ts'
import { createSearchService } from './search.ts'

/** The knowledge base: categories, articles with their translations and versions, search, deflection. */
export function createKbService(db: Db, settings: (workspaceId: string) => Promise<WorkspaceSettings>) {
  const readers = createReaders(db, settings)
  return {
    readers,
    categories: createCategoriesService(db, readers),
    articles: createArticlesService(db, readers),
    search: createSearchService(db, readers),
    reports: createKbReports(db),
  }
}
export type KbService = ReturnType<typeof createKbService>
