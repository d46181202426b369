-- Title first. ts_rank (weights D 0.1 … A 1, normalization 1) divides a text's score by log2(words + 1), its
-- length in words, and before that division the score of any query without a prefix is at most 1:
-- calc_rank_and (a query whose top operator is "and") combines its pairs of positions as 1 - Π(1 - w), below
-- 1; calc_rank_or (any other) averages over the query's words a share that is at most the word's heaviest
-- weight. For a query of one word, or of words any of which may match (the typo fallback's near spellings,
-- a ticket's distinctive words for suggestions), a text whose title has none of them scores at most 0.1
-- before the division, since a body is weighted D. So a text the query does not match in its title alone
-- scores at most B / log2(words + 1), B being 0.1 for those queries and 1 for the others without a prefix.
-- Once the texts whose titles match fill a page, the k-th of them scoring τ, any other text can reach that
-- page only when it is short enough: log2(words + 1) <= B / τ. Search ranks the title matches (a fraction
-- of all matches, from an index of the titles' lexemes) and then only the other matches that short, which
-- the search index finds by their length (btree_gin on `words`), instead of ranking every text that
-- matches. The page is the same as ranking them all; a test compares the two on random texts and queries.
-- The length ts_rank normalizes by (cnt_length in tsrank.c): the number of positions, one for a lexeme
-- without any.
CREATE FUNCTION kb_vector_words(p_vector tsvector) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog
AS $$ SELECT coalesce(sum(coalesce(cardinality(l.positions), 1)), 0)::integer FROM unnest(p_vector) AS l $$;
--> statement-breakpoint
DROP INDEX "kb_search_documents_search_idx";--> statement-breakpoint
ALTER TABLE "kb_search_documents" ADD COLUMN "title_vector" "tsvector" GENERATED ALWAYS AS (ts_filter(search_vector, '{a}')) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "kb_search_documents" ADD COLUMN "words" integer GENERATED ALWAYS AS (kb_vector_words(search_vector)) STORED NOT NULL;--> statement-breakpoint
-- As in migration 0009, on a server (btree_gin) the indexes lead with workspace and locale, and the search
-- index also holds each text's length, for "body matches this short" within the index. Embedded PGlite
-- indexes the vectors alone, and searches without the title-first step (which needs the length in the index
-- to pay off).
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gin') THEN
    CREATE INDEX "kb_search_documents_search_idx" ON "kb_search_documents" USING gin ("workspace_id","locale","search_vector","words");
    CREATE INDEX "kb_search_documents_title_idx" ON "kb_search_documents" USING gin ("workspace_id","locale","title_vector");
  ELSE
    CREATE INDEX "kb_search_documents_search_idx" ON "kb_search_documents" USING gin ("search_vector");
    CREATE INDEX "kb_search_documents_title_idx" ON "kb_search_documents" USING gin ("title_vector");
  END IF;
END
$$;
--> statement-breakpoint
-- B above for p_query: 0.1 for one word or words joined by "or" only (no prefix, weight, phrase, "and" or
-- "not"); 1 for any other query without a prefix or a "not"; null for the rest. A prefix (`:*`) has no
-- bound: calc_rank_or sums over every lexeme it matches. A "not" (`!`) would let a title match a text does
-- not (its body having the word excluded), where without one a match in the title is a match. Read from
-- the query's text, which lists lexemes as quoted strings (a quote inside doubled) and operators outside.
CREATE FUNCTION kb_rank_bound(p_query tsquery) RETURNS real
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog
AS $fn$
  SELECT CASE
    WHEN p_query::text ~ $re$^'([^']|'')+'( \| '([^']|'')+')*$$re$ THEN 0.1::real
    WHEN regexp_replace(p_query::text, $re$'([^']|'')*'$re$, '', 'g') ~ '[*!]' THEN NULL
    ELSE 1::real
  END
$fn$;
--> statement-breakpoint
-- The page of migration 0009, leaving out the default-locale fallback when kb_locale_gap (migration 0010)
-- says no article needs it, and title first where the bound allows (see above). atiende.kb_title_first
-- ('on' / 'off'; unset: on where btree_gin indexes the length) chooses, for tests and measurements.
CREATE OR REPLACE FUNCTION kb_search_page(
  p_visibilities text[], p_categories uuid[], p_tags text[],
  p_locale text, p_query tsquery, p_fallback_locale text, p_fallback_query tsquery,
  p_after_rank real, p_after_id uuid, p_limit integer
) RETURNS TABLE (article_id uuid, locale text, rank real)
LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 20 SET search_path = pg_catalog, public
AS $$
DECLARE
  bound uuid := nullif(current_setting('atiende.workspace_id', true), '')::uuid;
  choice text := coalesce(current_setting('atiende.kb_title_first', true), '');
  fallback boolean;
  -- The ranked texts of the bound workspace that the reader may see, within the filters; format() fills
  -- in the condition on a text's vectors, with the requested locale's query ($5) as %1$s and, for the
  -- default-locale texts of articles without a text in that locale, the fallback's ($7) as %2$s.
  hits text;
  after text;
  title_ids uuid[];
  title_locales text[];
  title_ranks real[];
  -- B (see above) for the queries searched: the larger of the two when the fallback is searched too.
  bound_b real;
  tau real;
  max_words integer;
BEGIN
  IF bound IS NULL THEN
    RETURN;
  END IF;
  fallback := p_fallback_locale IS NOT NULL AND kb_locale_gap(bound, p_fallback_locale, p_locale);
  bound_b := kb_rank_bound(p_query);
  IF fallback THEN
    -- (greatest() passes over a null: a prefix in either query leaves no bound.)
    bound_b := CASE WHEN bound_b IS NULL OR kb_rank_bound(p_fallback_query) IS NULL THEN NULL
                    ELSE greatest(bound_b, kb_rank_bound(p_fallback_query)) END;
  END IF;
  hits := 'select d.article_id, d.locale,'
    || ' ts_rank(d.search_vector, case when d.locale = $4 then $5 else $7 end, 1) as rank'
    || ' from kb_search_documents d where d.workspace_id = $11 and d.visibility = any($1)'
    || CASE WHEN p_categories IS NULL THEN '' ELSE ' and d.category_id = any($2)' END
    || CASE WHEN p_tags IS NULL THEN '' ELSE ' and d.tags && $3' END
    || ' and ((d.locale = $4 and %1$s)'
    || CASE WHEN fallback THEN ' or (d.locale = $6 and %2$s and not ($4 = any(d.locales)))' ELSE '' END
    || ')';
  after := CASE WHEN p_after_id IS NULL THEN '' ELSE
    'where hits.rank < $8 or (hits.rank = $8 and hits.article_id > $9)' END;

  IF NOT (CASE choice WHEN 'on' THEN true WHEN 'off' THEN false
                      ELSE EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gin') END)
     OR bound_b IS NULL THEN
    -- Every match ranked. Built for the filters given and planned for these values on every call
    -- (EXECUTE): a generic plan for every combination of optional filters estimates badly.
    RETURN QUERY EXECUTE format($query$
      select hits.article_id, hits.locale, hits.rank from (%s) hits %s
      order by hits.rank desc, hits.article_id
      limit $10
      $query$,
      format(hits, 'd.search_vector @@ $5 and querytree($5) <> ''T''',
        'd.search_vector @@ $7 and querytree($7) <> ''T'''),
      after)
    USING p_visibilities, p_categories, p_tags, p_locale, p_query, p_fallback_locale, p_fallback_query,
      p_after_rank, p_after_id, p_limit, bound;
    RETURN;
  END IF;

  -- 1. The best page of the texts whose titles match.
  EXECUTE format($query$
    select array_agg(top.article_id order by top.rank desc, top.article_id),
      array_agg(top.locale order by top.rank desc, top.article_id),
      array_agg(top.rank order by top.rank desc, top.article_id)
    from (
      select hits.article_id, hits.locale, hits.rank from (%s) hits %s
      order by hits.rank desc, hits.article_id
      limit $10
    ) top
    $query$,
    format(hits, 'd.title_vector @@ $5', 'd.title_vector @@ $7'),
    after)
  INTO title_ids, title_locales, title_ranks
  USING p_visibilities, p_categories, p_tags, p_locale, p_query, p_fallback_locale, p_fallback_query,
    p_after_rank, p_after_id, p_limit, bound;

  -- 2. The other matches that could still reach the page: all of them while the title matches leave it
  -- short, else those of at most 2^(B / τ) - 1 words (a margin of 1e-4 for ts_rank's single-precision
  -- arithmetic).
  IF coalesce(cardinality(title_ids), 0) >= p_limit THEN
    tau := title_ranks[p_limit];
    IF tau > 0 AND bound_b / (tau * (1 - 1e-4)) < 30 THEN
      max_words := floor(power(2::float8, bound_b / (tau * (1 - 1e-4)))) - 1;
    END IF;
  END IF;
  RETURN QUERY EXECUTE format($query$
    select u.article_id, u.locale, u.rank from (
      select * from unnest($12::uuid[], $13::text[], $14::real[]) as t(article_id, locale, rank)
      union all
      select hits.article_id, hits.locale, hits.rank from (%s) hits %s
    ) u
    order by u.rank desc, u.article_id
    limit $10
    $query$,
    format(hits, 'd.search_vector @@ $5 and not d.title_vector @@ $5',
      'd.search_vector @@ $7 and not d.title_vector @@ $7')
      || CASE WHEN max_words IS NULL THEN '' ELSE ' and d.words <= $15' END,
    after)
  USING p_visibilities, p_categories, p_tags, p_locale, p_query, p_fallback_locale, p_fallback_query,
    p_after_rank, p_after_id, p_limit, bound, coalesce(title_ids, '{}'), coalesce(title_locales, '{}'),
    coalesce(title_ranks, '{}'), max_words;
END
$$;
