-- The bound of migration 0011 is also 0.1 for a query of one word repeated, joined by "and" or "or" (what
-- to_tsquery makes of "factura facturas": 'factur' & 'factur'). ts_rank takes the query's distinct lexemes
-- (SortAndUniqItems in tsrank.c): with one left, calc_rank_and hands over to calc_rank_or, and the score is
-- that of the word alone; the query matches the texts the word alone matches, and a text whose title does
-- not match it has the word in its body only, weighted D. Such a query was bounded by 1, so the title-first
-- step ranked every text with the word in its body too (7,488 of 'factur' & 'factur''s 13,941 matches on the
-- bench corpus) where the word alone ranks none of them. A phrase of the word repeated ('a' <-> 'a') keeps
-- the bound 1: a text can have the word once in its title, not matching the phrase there, and the phrase
-- in its body, and then scores as the title word does. Lexemes are read as in 0011: quoted, a quote inside
-- doubled, operators outside.
CREATE OR REPLACE FUNCTION kb_rank_bound(p_query tsquery) RETURNS real
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog
AS $fn$
  SELECT CASE
    WHEN p_query::text ~ $re$^'([^']|'')+'( \| '([^']|'')+')*$$re$ THEN 0.1::real
    WHEN regexp_replace(p_query::text, $re$'(?:[^']|'')+'$re$, '', 'g') ~ '^[&|() ]*$'
      AND (SELECT count(DISTINCT m[1]) FROM regexp_matches(p_query::text, $re$('(?:[^']|'')+')$re$, 'g') AS m) = 1
      THEN 0.1::real
    WHEN regexp_replace(p_query::text, $re$'([^']|'')*'$re$, '', 'g') ~ '[*!]' THEN NULL
    ELSE 1::real
  END
$fn$;
