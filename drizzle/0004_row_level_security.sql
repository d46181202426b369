-- Row-level security: the service runs its tenant work as the role atiende_tenant, inside transactions
-- that name their workspace in the setting atiende.workspace_id; these policies then show and accept
-- rows of that workspace only, whatever a query forgets to say. The role cannot bypass them (it is not
-- the tables' owner, has no BYPASSRLS, and the policies are its only way in). Authentication and
-- provisioning, which run before a workspace is known, keep the connecting role (the owner).
--
-- Creating a role takes CREATEROLE; without it, an administrator creates it once per cluster:
--   CREATE ROLE atiende_tenant NOLOGIN; GRANT atiende_tenant TO <the service's user>;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'atiende_tenant') THEN
    BEGIN
      CREATE ROLE atiende_tenant NOLOGIN NOBYPASSRLS;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE EXCEPTION 'The role atiende_tenant does not exist and % may not create it. As a superuser, run: CREATE ROLE atiende_tenant NOLOGIN; GRANT atiende_tenant TO %;', current_user, current_user;
    END;
  END IF;
  IF NOT pg_has_role(current_user, 'atiende_tenant', 'MEMBER') THEN
    EXECUTE format('GRANT atiende_tenant TO %I', current_user);
  END IF;
END $$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO atiende_tenant;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO atiende_tenant;
--> statement-breakpoint
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO atiende_tenant;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO atiende_tenant;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO atiende_tenant;
--> statement-breakpoint
ALTER TABLE "workspaces" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "workspaces" TO atiende_tenant
  USING ("id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "ticket_counters" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "ticket_counters" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "tickets" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "tickets" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "messages" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "messages" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "events" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "events" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "contacts" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "contacts" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "organizations" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "organizations" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "departments" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "departments" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "department_members" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "department_members" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "priorities" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "priorities" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "api_keys" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "api_keys" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "memberships" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "memberships" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "contact_token_secrets" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "contact_token_secrets" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "auth_sessions" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "auth_sessions" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
