-- PostgreSQL's text search parser takes quadratic time on some runs of characters: "_a_a_a…" and
-- "<!--<!--…" (measured: 0.5 s for 8,000 characters, minutes for the 200,000 an article body may have),
-- so saving such a body, and every search that highlighted it, held a connection for that long. A body is
-- parsed (for its search document here, for its headline by the service) with its underscores as spaces
-- and "<!" as "< !": the same words otherwise, and linear time (4 ms for those 8,000 characters). Snippets
-- showed no underscores before either (the service strips them as Markdown). Documents written before
-- keep their vectors until their text is next published.
CREATE FUNCTION kb_parse_safe(p_text text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog
AS $fn$ SELECT replace(translate(p_text, '_', ' '), '<!', '< !') $fn$;
--> statement-breakpoint
-- Migration 0009's function, with the body parsed through kb_parse_safe.
CREATE OR REPLACE FUNCTION kb_search_documents_sync(p_workspaces uuid[], p_articles uuid[], p_locales text[])
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public
AS $$
BEGIN
  IF coalesce(cardinality(p_articles), 0) = 0 THEN
    RETURN;
  END IF;
  DELETE FROM kb_search_documents d
  USING (SELECT DISTINCT w, a FROM unnest(p_workspaces, p_articles) AS k(w, a)) k
  WHERE d.workspace_id = k.w AND d.article_id = k.a
    AND ((d.workspace_id, d.article_id, d.locale) IN (
           SELECT e.w, e.a, e.l FROM unnest(p_workspaces, p_articles, p_locales) AS e(w, a, l) WHERE e.l IS NOT NULL)
         OR NOT EXISTS (
           SELECT 1 FROM kb_article_translations t
           JOIN kb_articles a ON a.workspace_id = t.workspace_id AND a.id = t.article_id
           WHERE t.workspace_id = d.workspace_id AND t.article_id = d.article_id AND t.locale = d.locale
             AND t.published_version > 0 AND a.archived_at IS NULL));
  WITH added AS (
    INSERT INTO kb_search_documents
      (workspace_id, article_id, locale, config, visibility, category_id, tags, locales, search_vector)
    SELECT t.workspace_id, t.article_id, t.locale, t.search_config, a.visibility, a.category_id, a.tags,
      (SELECT array_agg(o.locale ORDER BY o.locale) FROM kb_article_translations o
       WHERE o.workspace_id = t.workspace_id AND o.article_id = t.article_id AND o.published_version > 0),
      setweight(to_tsvector(t.search_config, coalesce(t.title, '')), 'A')
        || setweight(to_tsvector(t.search_config, kb_parse_safe(coalesce(t.body, ''))), 'D')
    FROM (SELECT DISTINCT w, a FROM unnest(p_workspaces, p_articles) AS k(w, a)) k
    JOIN kb_article_translations t ON t.workspace_id = k.w AND t.article_id = k.a
    JOIN kb_articles a ON a.workspace_id = t.workspace_id AND a.id = t.article_id
    WHERE t.published_version > 0 AND a.archived_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM kb_search_documents d
                      WHERE d.workspace_id = t.workspace_id AND d.article_id = t.article_id AND d.locale = t.locale)
    RETURNING workspace_id, config, search_vector
  )
  INSERT INTO kb_search_terms (workspace_id, config, term)
  SELECT DISTINCT added.workspace_id, added.config::text, w.term
  FROM added, unnest(tsvector_to_array(added.search_vector)) AS w(term)
  WHERE length(w.term) BETWEEN 3 AND 40 AND w.term ~ '^[[:alpha:]]+$'
  ON CONFLICT DO NOTHING;
  UPDATE kb_search_documents d
  SET visibility = c.visibility, category_id = c.category_id, tags = c.tags, locales = c.locales
  FROM (
    SELECT a.workspace_id, a.id, a.visibility, a.category_id, a.tags,
      (SELECT array_agg(o.locale ORDER BY o.locale) FROM kb_article_translations o
       WHERE o.workspace_id = a.workspace_id AND o.article_id = a.id AND o.published_version > 0) AS locales
    FROM (SELECT DISTINCT w, a FROM unnest(p_workspaces, p_articles) AS k(w, a)) k
    JOIN kb_articles a ON a.workspace_id = k.w AND a.id = k.a
  ) c
  WHERE d.workspace_id = c.workspace_id AND d.article_id = c.id
    AND (d.visibility, d.category_id, d.tags, d.locales) IS DISTINCT FROM (c.visibility, c.category_id, c.tags, c.locales);
END
$$;
