-- Knowledge base search: accents fold away (unaccent), near spellings are found by trigrams (pg_trgm).
-- Both are trusted extensions: the database's owner may create them.
CREATE EXTENSION IF NOT EXISTS unaccent;
--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
-- One text search configuration per language this server stems (kb_spanish, kb_english, kb_catalan…),
-- each a copy of PostgreSQL's own with unaccent before the stemmer, so "facturación" and "facturacion"
-- are one word; kb_simple (no stemming) serves every other language. Languages the server lacks
-- (catalan and basque before PostgreSQL 16 on some builds) fall back to kb_simple at run time.
DO $$
DECLARE lang text;
BEGIN
  -- (pg_ts_config, not to_regconfig: PostgreSQL 15 lacks that function.)
  FOREACH lang IN ARRAY ARRAY['arabic','armenian','basque','catalan','danish','dutch','english','estonian',
    'finnish','french','german','greek','hindi','hungarian','indonesian','irish','italian','lithuanian',
    'nepali','norwegian','portuguese','romanian','russian','serbian','spanish','swedish','tamil','turkish',
    'yiddish']
  LOOP
    IF EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = lang AND cfgnamespace = 'pg_catalog'::regnamespace)
       AND NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'kb_' || lang) THEN
      EXECUTE format('CREATE TEXT SEARCH CONFIGURATION public.%I (COPY = pg_catalog.%I)', 'kb_' || lang, lang);
      EXECUTE format('ALTER TEXT SEARCH CONFIGURATION public.%I ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, pg_catalog.%I',
        'kb_' || lang, lang || '_stem');
    END IF;
  END LOOP;
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'kb_simple') THEN
    CREATE TEXT SEARCH CONFIGURATION public.kb_simple (COPY = pg_catalog.simple);
    ALTER TEXT SEARCH CONFIGURATION public.kb_simple ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, pg_catalog.simple;
  END IF;
END $$;
--> statement-breakpoint
CREATE TABLE "kb_article_translations" (
	"workspace_id" uuid NOT NULL,
	"article_id" uuid NOT NULL,
	"locale" text NOT NULL,
	"slug" text NOT NULL,
	"title" text,
	"body" text,
	"body_html" text,
	"draft_title" text,
	"draft_body" text,
	"draft_body_html" text,
	"published_version" integer DEFAULT 0 NOT NULL,
	"published_at" timestamp (3) with time zone,
	"source_revision" integer DEFAULT 0 NOT NULL,
	"search_config" "regconfig" NOT NULL,
	"search_vector" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector(search_config, coalesce(title, '')), 'A') || setweight(to_tsvector(search_config, coalesce(body, '')), 'D')) STORED NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "kb_article_translations_workspace_id_article_id_locale_pk" PRIMARY KEY("workspace_id","article_id","locale")
);
--> statement-breakpoint
CREATE TABLE "kb_article_versions" (
	"workspace_id" uuid NOT NULL,
	"article_id" uuid NOT NULL,
	"locale" text NOT NULL,
	"version" integer NOT NULL,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"published_at" timestamp (3) with time zone NOT NULL,
	"actor_kind" text NOT NULL,
	"actor_id" uuid,
	CONSTRAINT "kb_article_versions_workspace_id_article_id_locale_version_pk" PRIMARY KEY("workspace_id","article_id","locale","version")
);
--> statement-breakpoint
CREATE TABLE "kb_article_views" (
	"workspace_id" uuid NOT NULL,
	"article_id" uuid NOT NULL,
	"day" date NOT NULL,
	"views" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "kb_article_views_workspace_id_article_id_day_pk" PRIMARY KEY("workspace_id","article_id","day")
);
--> statement-breakpoint
CREATE TABLE "kb_articles" (
	"workspace_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"category_id" uuid NOT NULL,
	"visibility" text NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"author_id" uuid,
	"source_locale" text NOT NULL,
	"source_revision" integer DEFAULT 0 NOT NULL,
	"ticket_id" uuid,
	"archived_at" timestamp (3) with time zone,
	"view_count" bigint DEFAULT 0 NOT NULL,
	"helpful_count" integer DEFAULT 0 NOT NULL,
	"not_helpful_count" integer DEFAULT 0 NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "kb_articles_workspace_id_id_pk" PRIMARY KEY("workspace_id","id")
);
--> statement-breakpoint
CREATE TABLE "kb_categories" (
	"workspace_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"parent_id" uuid,
	"position" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "kb_categories_workspace_id_id_pk" PRIMARY KEY("workspace_id","id")
);
--> statement-breakpoint
CREATE TABLE "kb_category_translations" (
	"workspace_id" uuid NOT NULL,
	"category_id" uuid NOT NULL,
	"locale" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"slug" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "kb_category_translations_workspace_id_category_id_locale_pk" PRIMARY KEY("workspace_id","category_id","locale")
);
--> statement-breakpoint
CREATE TABLE "kb_feedback" (
	"workspace_id" uuid NOT NULL,
	"article_id" uuid NOT NULL,
	"voter" text NOT NULL,
	"helpful" boolean NOT NULL,
	"comment" text,
	"locale" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "kb_feedback_workspace_id_article_id_voter_pk" PRIMARY KEY("workspace_id","article_id","voter")
);
--> statement-breakpoint
CREATE TABLE "kb_search_terms" (
	"workspace_id" uuid NOT NULL,
	"config" text NOT NULL,
	"term" text NOT NULL,
	CONSTRAINT "kb_search_terms_workspace_id_config_term_pk" PRIMARY KEY("workspace_id","config","term")
);
--> statement-breakpoint
CREATE TABLE "kb_ticket_articles" (
	"workspace_id" uuid NOT NULL,
	"ticket_id" uuid NOT NULL,
	"article_id" uuid NOT NULL,
	"actor_kind" text NOT NULL,
	"actor_id" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "kb_ticket_articles_workspace_id_ticket_id_article_id_pk" PRIMARY KEY("workspace_id","ticket_id","article_id")
);
--> statement-breakpoint
ALTER TABLE "kb_article_translations" ADD CONSTRAINT "kb_article_translations_workspace_id_article_id_kb_articles_workspace_id_id_fk" FOREIGN KEY ("workspace_id","article_id") REFERENCES "public"."kb_articles"("workspace_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "kb_article_versions" ADD CONSTRAINT "kb_article_versions_workspace_id_article_id_kb_articles_workspace_id_id_fk" FOREIGN KEY ("workspace_id","article_id") REFERENCES "public"."kb_articles"("workspace_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "kb_article_views" ADD CONSTRAINT "kb_article_views_workspace_id_article_id_kb_articles_workspace_id_id_fk" FOREIGN KEY ("workspace_id","article_id") REFERENCES "public"."kb_articles"("workspace_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "kb_articles" ADD CONSTRAINT "kb_articles_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "kb_articles" ADD CONSTRAINT "kb_articles_workspace_id_category_id_kb_categories_workspace_id_id_fk" FOREIGN KEY ("workspace_id","category_id") REFERENCES "public"."kb_categories"("workspace_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "kb_categories" ADD CONSTRAINT "kb_categories_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "kb_categories" ADD CONSTRAINT "kb_categories_workspace_id_parent_id_kb_categories_workspace_id_id_fk" FOREIGN KEY ("workspace_id","parent_id") REFERENCES "public"."kb_categories"("workspace_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "kb_category_translations" ADD CONSTRAINT "kb_category_translations_workspace_id_category_id_kb_categories_workspace_id_id_fk" FOREIGN KEY ("workspace_id","category_id") REFERENCES "public"."kb_categories"("workspace_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "kb_feedback" ADD CONSTRAINT "kb_feedback_workspace_id_article_id_kb_articles_workspace_id_id_fk" FOREIGN KEY ("workspace_id","article_id") REFERENCES "public"."kb_articles"("workspace_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "kb_search_terms" ADD CONSTRAINT "kb_search_terms_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "kb_ticket_articles" ADD CONSTRAINT "kb_ticket_articles_workspace_id_ticket_id_tickets_workspace_id_id_fk" FOREIGN KEY ("workspace_id","ticket_id") REFERENCES "public"."tickets"("workspace_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "kb_ticket_articles" ADD CONSTRAINT "kb_ticket_articles_workspace_id_article_id_kb_articles_workspace_id_id_fk" FOREIGN KEY ("workspace_id","article_id") REFERENCES "public"."kb_articles"("workspace_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "kb_article_translations_slug_key" ON "kb_article_translations" USING btree ("workspace_id","locale","slug");--> statement-breakpoint
CREATE INDEX "kb_article_translations_search_idx" ON "kb_article_translations" USING gin ("search_vector");--> statement-breakpoint
CREATE INDEX "kb_articles_category_idx" ON "kb_articles" USING btree ("workspace_id","category_id","position");--> statement-breakpoint
CREATE INDEX "kb_categories_parent_idx" ON "kb_categories" USING btree ("workspace_id","parent_id","position");--> statement-breakpoint
CREATE UNIQUE INDEX "kb_category_translations_slug_key" ON "kb_category_translations" USING btree ("workspace_id","locale","slug");--> statement-breakpoint
CREATE INDEX "kb_search_terms_trgm_idx" ON "kb_search_terms" USING gin ("term" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "kb_ticket_articles_article_idx" ON "kb_ticket_articles" USING btree ("workspace_id","article_id");
--> statement-breakpoint
-- Tenant access, as for every workspace table (0004, 0006): granted here, and isolated by workspace.
GRANT SELECT, INSERT, UPDATE, DELETE ON "kb_categories", "kb_category_translations", "kb_articles", "kb_article_translations", "kb_article_versions", "kb_search_terms", "kb_feedback", "kb_article_views", "kb_ticket_articles" TO atiende_tenant;
--> statement-breakpoint
ALTER TABLE "kb_categories" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "kb_categories" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "kb_category_translations" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "kb_category_translations" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "kb_articles" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "kb_articles" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "kb_article_translations" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "kb_article_translations" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "kb_article_versions" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "kb_article_versions" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "kb_search_terms" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "kb_search_terms" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "kb_feedback" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "kb_feedback" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "kb_article_views" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "kb_article_views" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "kb_ticket_articles" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "kb_ticket_articles" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
-- Search runs through these two functions, as the tables' owner, for one reason: row-level security
-- lets no condition that is not LEAKPROOF run before its policy, and neither `@@` (full text) nor `%`
-- (trigram similarity) is, so under the tenant role neither GIN index could ever be used and every
-- search would read every text. Each function confines itself to the workspace the calling
-- transaction is bound to (the setting the policies read), so isolation holds as under the policies;
-- the callers then read the rows they return under the policies as usual.
CREATE FUNCTION kb_search_page(
  p_visibilities text[], p_categories uuid[], p_tags text[],
  p_locale text, p_query tsquery, p_fallback_locale text, p_fallback_query tsquery,
  p_after_rank real, p_after_id uuid, p_limit integer
) RETURNS TABLE (article_id uuid, locale text, rank real)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
DECLARE
  bound uuid := nullif(current_setting('atiende.workspace_id', true), '')::uuid;
BEGIN
  IF bound IS NULL THEN
    RETURN;
  END IF;
  -- Built for the filters given and planned for these values on every call (EXECUTE): a generic plan
  -- for every combination of optional filters estimates badly and walks all articles.
  RETURN QUERY EXECUTE format($query$
    with hits as (
      select t.article_id, t.locale,
        ts_rank(t.search_vector, case when t.locale = $4 then $5 else $7 end, 1) as rank
      from kb_article_translations t
      join kb_articles a on a.workspace_id = t.workspace_id and a.id = t.article_id
      where t.workspace_id = $11 and t.published_version > 0
        and a.archived_at is null and a.visibility = any($1) %s %s
        and ((t.locale = $4 and t.search_vector @@ $5 and querytree($5) <> 'T') %s)
    )
    select hits.article_id, hits.locale, hits.rank from hits %s
    order by hits.rank desc, hits.article_id
    limit $10
    $query$,
    CASE WHEN p_categories IS NULL THEN '' ELSE 'and a.category_id = any($2)' END,
    CASE WHEN p_tags IS NULL THEN '' ELSE 'and a.tags && $3' END,
    CASE WHEN p_fallback_locale IS NULL THEN '' ELSE
      'or (t.locale = $6 and t.search_vector @@ $7 and querytree($7) <> ''T''
           and not exists (select 1 from kb_article_translations o
                           where o.workspace_id = t.workspace_id and o.article_id = t.article_id
                             and o.locale = $4 and o.published_version > 0))' END,
    CASE WHEN p_after_id IS NULL THEN '' ELSE
      'where hits.rank < $8 or (hits.rank = $8 and hits.article_id > $9)' END)
  USING p_visibilities, p_categories, p_tags, p_locale, p_query, p_fallback_locale, p_fallback_query,
    p_after_rank, p_after_id, p_limit, bound;
END
$$;
--> statement-breakpoint
CREATE FUNCTION kb_near_terms(p_config text, p_words text[], p_per_word integer)
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
  -- reading the workspace's whole vocabulary.
  RETURN QUERY EXECUTE $query$
    select w.word, l.lexeme,
      exists (select 1 from kb_search_terms k
              where k.workspace_id = $4 and k.config = $1 and k.term = l.lexeme) as known,
      c.term
    from unnest($2) as w(word)
    cross join lateral (select (tsvector_to_array(to_tsvector($1::regconfig, w.word)))[1] as lexeme) l
    left join lateral (
      select k.term from kb_search_terms k
      where k.workspace_id = $4 and k.config = $1 and k.term % l.lexeme
      order by similarity(k.term, l.lexeme) desc, k.term
      limit $3
    ) c on true
    $query$
  USING p_config, p_words, p_per_word, bound;
END
$$;
--> statement-breakpoint
-- How common each word of a text is among the indexed texts (PostgreSQL's statistics of the search
-- vectors: the share of texts holding each of the most common lexemes, null for a rarer one; and about
-- how many texts there are), for
-- suggestions to search a ticket's distinctive words. pg_stats hides the statistics of a table under
-- row-level security from the tenant role, so this reads them as the owner; the numbers never leave
-- the service.
CREATE FUNCTION kb_word_shares(p_config text, p_text text)
RETURNS TABLE (lexeme text, first_position integer, share float8, texts float8)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
  select l.lexeme, l.positions[1]::integer, c.share,
    (select greatest(reltuples, 0)::float8 from pg_class where oid = 'public.kb_article_translations'::regclass)
  from unnest(to_tsvector(p_config::regconfig, p_text)) as l
  left join (
    select e.lexeme, e.share::float8 from pg_stats s,
      unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) as e(lexeme, share)
    where s.schemaname = 'public' and s.tablename = 'kb_article_translations' and s.attname = 'search_vector'
  ) c on c.lexeme = l.lexeme
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION kb_search_page(text[], uuid[], text[], text, tsquery, text, tsquery, real, uuid, integer) FROM PUBLIC;
--> statement-breakpoint
REVOKE ALL ON FUNCTION kb_near_terms(text, text[], integer) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION kb_search_page(text[], uuid[], text[], text, tsquery, text, tsquery, real, uuid, integer) TO atiende_tenant;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION kb_near_terms(text, text[], integer) TO atiende_tenant;
--> statement-breakpoint
REVOKE ALL ON FUNCTION kb_word_shares(text, text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION kb_word_shares(text, text) TO atiende_tenant;
