-- The tenant role reaches only what tenant work needs. The service's own secrets, refresh tokens,
-- sign-in counters and password hashes are read by authentication alone, which runs as the owner.
REVOKE ALL ON "service_secrets", "refresh_tokens", "login_throttle" FROM atiende_tenant;
--> statement-breakpoint
REVOKE SELECT, UPDATE ON "users" FROM atiende_tenant;
--> statement-breakpoint
GRANT SELECT ("id", "email", "name", "created_at", "updated_at"), UPDATE ("name", "updated_at") ON "users" TO atiende_tenant;
--> statement-breakpoint
-- New tables are granted by the migration that creates them, never by default.
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM atiende_tenant;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM atiende_tenant;
--> statement-breakpoint
-- An idempotent request's stored response is written in its workspace-bound transaction.
ALTER TABLE "idempotency_keys" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "idempotency_keys" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
