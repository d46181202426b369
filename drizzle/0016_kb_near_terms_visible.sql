-- The typo fallback read the workspace's words from every searchable text, whatever its visibility: a
-- word only internal articles have counted as "known" for a contact or an anonymous caller too (so it was
-- never corrected, and their search found nothing), and internal-only words took the correction slots of
-- a misspelt one. Whether a near-miss search found the public article told an anonymous caller whether
-- an internal article had a word. Both functions now take the visibilities the reader may see, and a word
-- is known, or a near spelling offered, only when a text of those has it.
DROP FUNCTION kb_near_terms(text, text[], integer);
--> statement-breakpoint
DROP FUNCTION kb_text_has(uuid, text, text);
--> statement-breakpoint
CREATE FUNCTION kb_text_has(p_workspace uuid, p_config text, p_visibilities text[], p_lexeme text)
RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public
AS $$
DECLARE
  found boolean;
BEGIN
  IF p_lexeme IS NULL THEN
    RETURN false;
  END IF;
  EXECUTE format(
    'SELECT EXISTS (SELECT 1 FROM kb_search_documents d WHERE d.workspace_id = $1 AND d.config = $2::regconfig'
    ' AND d.visibility = ANY ($3) AND d.search_vector @@ %L::tsquery)', quote_literal(p_lexeme))
  INTO found USING p_workspace, p_config, p_visibilities;
  RETURN found;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION kb_text_has(uuid, text, text[], text) FROM PUBLIC;
--> statement-breakpoint
CREATE FUNCTION kb_near_terms(p_visibilities text[], p_config text, p_words text[], p_per_word integer)
RETURNS TABLE (word text, lexeme text, known boolean, term text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
DECLARE
  bound uuid := nullif(current_setting('atiende.workspace_id', true), '')::uuid;
BEGIN
  IF bound IS NULL THEN
    RETURN;
  END IF;
  -- As in migration 0012, with the reader's visibilities ($5) in every check of a word against the texts.
  RETURN QUERY EXECUTE $query$
    select w.word, l.lexeme, kn.known, c.term
    from unnest($2) as w(word)
    cross join lateral (select (tsvector_to_array(to_tsvector($1::regconfig, w.word)))[1] as lexeme) l
    cross join lateral (
      select exists (select 1 from kb_search_terms k
                     where k.workspace_id = $4 and k.config = $1 and k.term = l.lexeme)
             and kb_text_has($4, $1, $5, l.lexeme) as known
    ) kn
    left join lateral (
      select near.term from (
        select k.term from kb_search_terms k
        where not kn.known and k.workspace_id = $4 and k.config = $1 and k.term % l.lexeme
        order by similarity(k.term, l.lexeme) desc, k.term
        limit $3 * 4
      ) near
      where kb_text_has($4, $1, $5, near.term)
      limit $3
    ) c on true
    $query$
  USING p_config, p_words, p_per_word, bound, p_visibilities;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION kb_near_terms(text[], text, text[], integer) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION kb_near_terms(text[], text, text[], integer) TO atiende_tenant;
