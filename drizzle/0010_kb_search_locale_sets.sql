-- A search in a locale other than the workspace's default also searches the default-locale texts of
-- articles that lack one in that locale (the fallback), which means visiting every default-locale text
-- that matches, to look at its article's locales. In a knowledge base translated throughout no article
-- lacks the locale, and that second half of the search finds nothing at twice the cost. This index lets a
-- search ask first, by skipping through the distinct sets of locales the default-locale texts come in
-- (a few index probes: a workspace's articles come in few combinations of languages).
CREATE INDEX "kb_search_documents_locales_idx" ON "kb_search_documents" USING btree ("workspace_id","locale","locales");
--> statement-breakpoint
-- Whether some searchable text in p_default (of the bound workspace) belongs to an article with no
-- searchable text in p_locale: true when the search must include the fallback. It reads at most 32
-- distinct locale sets and answers true past them (searching the fallback is always correct; skipping
-- it only when no such article exists).
CREATE FUNCTION kb_locale_gap(p_workspace uuid, p_default text, p_locale text)
RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public
AS $$
DECLARE
  seen text[];
  probes integer := 0;
BEGIN
  SELECT d.locales INTO seen FROM kb_search_documents d
  WHERE d.workspace_id = p_workspace AND d.locale = p_default
  ORDER BY d.locales LIMIT 1;
  WHILE FOUND LOOP
    IF NOT (p_locale = ANY (seen)) THEN
      RETURN true;
    END IF;
    probes := probes + 1;
    IF probes >= 32 THEN
      RETURN true;
    END IF;
    SELECT d.locales INTO seen FROM kb_search_documents d
    WHERE d.workspace_id = p_workspace AND d.locale = p_default AND d.locales > seen
    ORDER BY d.locales LIMIT 1;
  END LOOP;
  RETURN false;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION kb_locale_gap(uuid, text, text) FROM PUBLIC;
--> statement-breakpoint
-- As in migration 0009, with the fallback left out when kb_locale_gap says no article needs it.
CREATE OR REPLACE FUNCTION kb_search_page(
  p_visibilities text[], p_categories uuid[], p_tags text[],
  p_locale text, p_query tsquery, p_fallback_locale text, p_fallback_query tsquery,
  p_after_rank real, p_after_id uuid, p_limit integer
) RETURNS TABLE (article_id uuid, locale text, rank real)
LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 20 SET search_path = pg_catalog, public
AS $$
DECLARE
  bound uuid := nullif(current_setting('atiende.workspace_id', true), '')::uuid;
  fallback boolean;
BEGIN
  IF bound IS NULL THEN
    RETURN;
  END IF;
  fallback := p_fallback_locale IS NOT NULL AND kb_locale_gap(bound, p_fallback_locale, p_locale);
  -- Built for the filters given and planned for these values on every call (EXECUTE): a generic plan
  -- for every combination of optional filters estimates badly.
  RETURN QUERY EXECUTE format($query$
    select hits.article_id, hits.locale, hits.rank from (
      select d.article_id, d.locale,
        ts_rank(d.search_vector, case when d.locale = $4 then $5 else $7 end, 1) as rank
      from kb_search_documents d
      where d.workspace_id = $11 and d.visibility = any($1) %s %s
        and ((d.locale = $4 and d.search_vector @@ $5 and querytree($5) <> 'T') %s)
    ) hits %s
    order by hits.rank desc, hits.article_id
    limit $10
    $query$,
    CASE WHEN p_categories IS NULL THEN '' ELSE 'and d.category_id = any($2)' END,
    CASE WHEN p_tags IS NULL THEN '' ELSE 'and d.tags && $3' END,
    CASE WHEN NOT fallback THEN '' ELSE
      'or (d.locale = $6 and d.search_vector @@ $7 and querytree($7) <> ''T'' and not ($4 = any(d.locales)))' END,
    CASE WHEN p_after_id IS NULL THEN '' ELSE
      'where hits.rank < $8 or (hits.rank = $8 and hits.article_id > $9)' END)
  USING p_visibilities, p_categories, p_tags, p_locale, p_query, p_fallback_locale, p_fallback_query,
    p_after_rank, p_after_id, p_limit, bound;
END
$$;
