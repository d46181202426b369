-- A search in a locale other than the workspace's default also searches the default-locale texts of
-- articles that lack one in that locale (the fallback), which means visiting every default-locale text
-- that matches, to look at its article's locales. In a knowledge base translated throughout no article
-- lacks the locale, and that second half of the search finds nothing at twice the cost. This index lets a
-- search ask first (kb_search_page calls kb_locale_gap from migration 0011 on), by skipping through the
-- distinct sets of locales the default-locale texts come in (a few index probes: a workspace's articles
-- come in few combinations of languages).
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
