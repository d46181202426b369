-- The vocabulary of near spellings (kb_search_terms) only grows: a word stays in it after the last text
-- that had it was rewritten, unpublished or deleted. Read alone, such a word counted as "known", so a
-- query typed with an old typo, corrected since in its article, was never corrected and found nothing;
-- and it could take one of a misspelt word's correction slots while no text has it. The vocabulary now
-- only proposes: a word is known, and a near spelling offered, when a searchable text of the workspace
-- has it (the best by similarity among up to four times as many candidates).
--
-- Whether any text has a lexeme, planned for that lexeme (EXECUTE with it as a literal): the planner then
-- knows from the vectors' statistics how common it is, and finds a common one in the first rows of a scan
-- instead of building the bitmap of all its texts, and a rare one through the search index.
CREATE FUNCTION kb_text_has(p_workspace uuid, p_config text, p_lexeme text)
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
    ' AND d.search_vector @@ %L::tsquery)', quote_literal(p_lexeme))
  INTO found USING p_workspace, p_config;
  RETURN found;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION kb_text_has(uuid, text, text) FROM PUBLIC;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION kb_near_terms(p_config text, p_words text[], p_per_word integer)
RETURNS TABLE (word text, lexeme text, known boolean, term text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
DECLARE
  bound uuid := nullif(current_setting('atiende.workspace_id', true), '')::uuid;
BEGIN
  IF bound IS NULL THEN
    RETURN;
  END IF;
  -- Planned for these values (EXECUTE): each word is looked up by key and by trigram index, never by
  -- reading the workspace's whole vocabulary. A known word gets no near spellings (the service keeps it
  -- as it is); the candidates are checked best first, until enough are found.
  RETURN QUERY EXECUTE $query$
    select w.word, l.lexeme, kn.known, c.term
    from unnest($2) as w(word)
    cross join lateral (select (tsvector_to_array(to_tsvector($1::regconfig, w.word)))[1] as lexeme) l
    cross join lateral (
      select exists (select 1 from kb_search_terms k
                     where k.workspace_id = $4 and k.config = $1 and k.term = l.lexeme)
             and kb_text_has($4, $1, l.lexeme) as known
    ) kn
    left join lateral (
      select near.term from (
        select k.term from kb_search_terms k
        where not kn.known and k.workspace_id = $4 and k.config = $1 and k.term % l.lexeme
        order by similarity(k.term, l.lexeme) desc, k.term
        limit $3 * 4
      ) near
      where kb_text_has($4, $1, near.term)
      limit $3
    ) c on true
    $query$
  USING p_config, p_words, p_per_word, bound;
END
$$;
