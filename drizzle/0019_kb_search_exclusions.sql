-- A query with exclusions ("reembolso -tienda") was ranked as a whole: ts_rank scored it over its
-- excluded words too, so a text's score came near zero (5e-21) and the order was lost, an exact title
-- match last. The service now passes the words to find (p_query, p_fallback_query) apart from the words
-- to exclude (p_exclude, p_fallback_exclude, each for its locale's configuration): the texts with an
-- excluded word are left out, and the others ranked by what they were searched for. Without a "not" in
-- the query, the title-first steps (migrations 0011, 0014) now serve such searches too. The function of
-- migration 0014 otherwise, with two parameters more ($16, $17 in its statements).
DROP FUNCTION kb_search_page(text[], uuid[], text[], text, tsquery, text, tsquery, real, uuid, integer);
--> statement-breakpoint
CREATE FUNCTION kb_search_page(
  p_visibilities text[], p_categories uuid[], p_tags text[],
  p_locale text, p_query tsquery, p_fallback_locale text, p_fallback_query tsquery,
  p_after_rank real, p_after_id uuid, p_limit integer,
  p_exclude tsquery DEFAULT NULL, p_fallback_exclude tsquery DEFAULT NULL
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
  -- The query's one word, when it is one word (see kb_query_word).
  title_word text;
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
    || ' and ((d.locale = $4 and %1$s and ($16 is null or not d.search_vector @@ $16))'
    || CASE WHEN fallback THEN ' or (d.locale = $6 and %2$s and not ($4 = any(d.locales))'
                               || ' and ($17 is null or not d.search_vector @@ $17))' ELSE '' END
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
      p_after_rank, p_after_id, p_limit, bound, NULL::uuid[], NULL::text[], NULL::real[], NULL::integer,
      p_exclude, p_fallback_exclude;
    RETURN;
  END IF;

  -- 1. The best page of the texts whose titles match: for one word (in the requested locale only), read
  -- in score order from kb_search_title_words, as many as the page takes; for any other query, all of
  -- them ranked through the title index.
  title_word := CASE WHEN fallback THEN NULL ELSE kb_query_word(p_query) END;
  IF title_word IS NOT NULL THEN
    -- (Planned for these values on every call, as the other steps are.)
    EXECUTE $query$
      select array_agg(top.article_id order by top.score desc, top.article_id),
        array_agg(top.locale order by top.score desc, top.article_id),
        array_agg(top.score order by top.score desc, top.article_id)
      from (
        select w.article_id, w.locale, w.score
        from kb_search_title_words w
        join kb_search_documents d on d.workspace_id = w.workspace_id and d.article_id = w.article_id
          and d.locale = w.locale
        where w.workspace_id = $11 and w.locale = $4 and w.lexeme = $12
          and w.score <= coalesce($8, 'Infinity'::real)
          and ($9 is null or w.score < $8 or w.article_id > $9)
          and d.visibility = any($1)
          and ($2 is null or d.category_id = any($2))
          and ($3 is null or d.tags && $3)
          and ($13 is null or not d.search_vector @@ $13)
        -- (nulls last as the index has it, for its order: a score is never null.)
        order by w.score desc nulls last, w.article_id
        limit $10
      ) top
      $query$
    INTO title_ids, title_locales, title_ranks
    USING p_visibilities, p_categories, p_tags, p_locale, p_query, p_fallback_locale, p_fallback_query,
      p_after_rank, p_after_id, p_limit, bound, title_word, p_exclude;
  ELSE
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
    p_after_rank, p_after_id, p_limit, bound, NULL::uuid[], NULL::text[], NULL::real[], NULL::integer,
    p_exclude, p_fallback_exclude;
  END IF;

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
    coalesce(title_ranks, '{}'), max_words, p_exclude, p_fallback_exclude;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION kb_search_page(text[], uuid[], text[], text, tsquery, text, tsquery, real, uuid, integer, tsquery, tsquery) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION kb_search_page(text[], uuid[], text[], text, tsquery, text, tsquery, real, uuid, integer, tsquery, tsquery) TO atiende_tenant;
