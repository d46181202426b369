-- The most common lexemes of the search vectors with the share of texts that have each, read whole, for
-- the service to keep between requests; it replaces kb_word_shares (migration 0009), which joined a
-- ticket's words with them on every suggestion. PostgreSQL changes these statistics only when it analyses the table;
-- reading them from pg_stats and parsing their ~1,000 lexemes took 1.6-2.2 ms of every suggestion (of
-- about 9 ms of PostgreSQL CPU). pg_stats hides the statistics of a table under row-level security from a
-- role the policies apply to, hence SECURITY DEFINER, as kb_word_shares.
CREATE FUNCTION kb_word_statistics() RETURNS TABLE (lexeme text, share float8)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
  select e.lexeme, e.share::float8 from pg_stats s,
    unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) as e(lexeme, share)
  where s.schemaname = 'public' and s.tablename = 'kb_search_documents' and s.attname = 'search_vector'
    -- (The frequencies end with three more numbers than there are lexemes: their minimum, maximum and null share.)
    and e.lexeme is not null
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION kb_word_statistics() FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION kb_word_statistics() TO atiende_tenant;
--> statement-breakpoint
DROP FUNCTION kb_word_shares(text, text);
