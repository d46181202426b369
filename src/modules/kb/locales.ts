import { sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { rowsOf } from '../../db/raw.ts'
import { currentExecutor } from '../../db/transaction.ts'
import { invalid } from '../../lib/problem.ts'

/** `es`, `pt-BR`, `zh-Hant-TW`: a BCP 47 tag as Intl writes it, or a 400 naming the field. */
export function canonicalLocale(value: string, path = '/locale'): string {
  try {
    const [tag] = Intl.getCanonicalLocales(value)
    if (tag && tag.length <= 35) return tag
  } catch {}
  throw invalid(path, `is not a BCP 47 language tag: ${value}`)
}

/**
 * The PostgreSQL stemmer for each language subtag. Galician and the languages PostgreSQL has no
 * stemmer for search without stemming (`kb_simple`), still accent-insensitive.
 */
const stemmers: Record<string, string> = {
  ar: 'arabic',
  ca: 'catalan',
  da: 'danish',
  de: 'german',
  el: 'greek',
  en: 'english',
  es: 'spanish',
  et: 'estonian',
  eu: 'basque',
  fi: 'finnish',
  fr: 'french',
  ga: 'irish',
  hi: 'hindi',
  hu: 'hungarian',
  hy: 'armenian',
  id: 'indonesian',
  it: 'italian',
  lt: 'lithuanian',
  nb: 'norwegian',
  ne: 'nepali',
  nl: 'dutch',
  nn: 'norwegian',
  no: 'norwegian',
  pt: 'portuguese',
  ro: 'romanian',
  ru: 'russian',
  sr: 'serbian',
  sv: 'swedish',
  ta: 'tamil',
  tr: 'turkish',
  yi: 'yiddish',
}

const available = new WeakMap<Db, Promise<Set<string>>>()

/**
 * The `kb_*` configurations this server has, read once per database: before the caller opens a
 * transaction, or in the ambient one of an idempotent request (on embedded PGlite, with its one
 * connection, a read outside an open transaction would wait for it forever).
 */
export function loadSearchConfigs(db: Db): Promise<Set<string>> {
  let configs = available.get(db)
  if (!configs) {
    configs = rowsOf<{ cfgname: string }>(
      currentExecutor(db),
      sql`select cfgname from pg_ts_config where cfgname like 'kb\_%'`,
    ).then((rows) => new Set(rows.map((r) => r.cfgname)))
    available.set(db, configs)
    configs.catch(() => available.delete(db))
  }
  return configs
}

/**
 * The text search configuration a locale's texts are indexed and searched with: `kb_<language>` when
 * this server has that stemmer (migration 0008 made one per language it has), else `kb_simple`.
 */
export async function searchConfigOf(db: Db, locale: string): Promise<string> {
  const language = stemmers[locale.split('-')[0]?.toLowerCase() ?? '']
  const name = language ? `kb_${language}` : 'kb_simple'
  return (await loadSearchConfigs(db)).has(name) ? name : 'kb_simple'
}
