CREATE TABLE "business_calendars" (
	"workspace_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"name" text NOT NULL,
	"time_zone" text NOT NULL,
	"intervals" jsonb NOT NULL,
	"holidays" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"holiday_regions" text[] DEFAULT '{}'::text[] NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL,
	"built_in" boolean DEFAULT false NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "business_calendars_workspace_id_id_pk" PRIMARY KEY("workspace_id","id")
);
--> statement-breakpoint
CREATE TABLE "sla_policies" (
	"workspace_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"position" integer NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"conditions" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"targets" jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sla_policies_workspace_id_id_pk" PRIMARY KEY("workspace_id","id")
);
--> statement-breakpoint
CREATE TABLE "sla_timers" (
	"workspace_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"ticket_id" uuid NOT NULL,
	"metric" text NOT NULL,
	"instance" integer NOT NULL,
	"policy_id" uuid,
	"stage" text NOT NULL,
	"target_minutes" integer NOT NULL,
	"calendar_id" uuid,
	"warn_before_minutes" integer,
	"pause_on" text[] NOT NULL,
	"started_at" timestamp (3) with time zone NOT NULL,
	"anchor_at" timestamp (3) with time zone,
	"used_ms" bigint DEFAULT 0 NOT NULL,
	"due_at" timestamp (3) with time zone,
	"warn_at" timestamp (3) with time zone,
	"paused_at" timestamp (3) with time zone,
	"fulfilled_at" timestamp (3) with time zone,
	"breached_at" timestamp (3) with time zone,
	"warned_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sla_timers_workspace_id_id_pk" PRIMARY KEY("workspace_id","id")
);
--> statement-breakpoint
ALTER TABLE "ticket_counters" ADD COLUMN "sla_version" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "business_calendars" ADD CONSTRAINT "business_calendars_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sla_policies" ADD CONSTRAINT "sla_policies_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sla_timers" ADD CONSTRAINT "sla_timers_workspace_id_ticket_id_tickets_workspace_id_id_fk" FOREIGN KEY ("workspace_id","ticket_id") REFERENCES "public"."tickets"("workspace_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "business_calendars_one_default_key" ON "business_calendars" USING btree ("workspace_id") WHERE "business_calendars"."is_default";--> statement-breakpoint
CREATE INDEX "sla_policies_position_idx" ON "sla_policies" USING btree ("workspace_id","position");--> statement-breakpoint
CREATE UNIQUE INDEX "sla_timers_ticket_metric_key" ON "sla_timers" USING btree ("workspace_id","ticket_id","metric","instance");--> statement-breakpoint
CREATE INDEX "sla_timers_due_idx" ON "sla_timers" USING btree ("due_at") WHERE "sla_timers"."stage" = 'active';--> statement-breakpoint
CREATE INDEX "sla_timers_warn_idx" ON "sla_timers" USING btree ("warn_at") WHERE "sla_timers"."stage" = 'active' and "sla_timers"."warned_at" is null;--> statement-breakpoint
CREATE INDEX "sla_timers_policy_idx" ON "sla_timers" USING btree ("workspace_id","policy_id") WHERE "sla_timers"."stage" in ('active', 'paused');--> statement-breakpoint
CREATE INDEX "sla_timers_calendar_idx" ON "sla_timers" USING btree ("workspace_id","calendar_id") WHERE "sla_timers"."stage" in ('active', 'paused');--> statement-breakpoint
CREATE INDEX "tickets_sla_due_idx" ON "tickets" USING btree ("workspace_id",coalesce("sla_next_due_at", '9999-12-31T00:00:00Z'::timestamptz),"id");--> statement-breakpoint
-- Room on each page for a ticket's next version: updates that touch no indexed column (the breach
-- sweep's flag, say) stay heap-only and write no index entry.
ALTER TABLE "tickets" SET (fillfactor = 90);
--> statement-breakpoint
-- Tenant access, as for every workspace table (0004, 0006): granted here, and isolated by workspace.
GRANT SELECT, INSERT, UPDATE, DELETE ON "business_calendars", "sla_policies", "sla_timers" TO atiende_tenant;
--> statement-breakpoint
ALTER TABLE "business_calendars" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "business_calendars" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "sla_policies" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "sla_policies" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "sla_timers" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "sla_timers" TO atiende_tenant
  USING ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid)
  WITH CHECK ("workspace_id" = nullif(current_setting('atiende.workspace_id', true), '')::uuid);
--> statement-breakpoint
-- Workspaces provisioned before SLAs get what new ones get (src/modules/sla/defaults.ts).
INSERT INTO "business_calendars" ("workspace_id", "id", "name", "time_zone", "intervals", "is_default", "built_in")
SELECT w.id, gen_random_uuid(), 'Office hours', 'UTC',
  (SELECT jsonb_agg(jsonb_build_object('day', d, 'start', '09:00', 'end', '18:00'))
     FROM unnest(array['monday','tuesday','wednesday','thursday','friday']) d), true, false
FROM "workspaces" w;
--> statement-breakpoint
INSERT INTO "business_calendars" ("workspace_id", "id", "name", "time_zone", "intervals", "is_default", "built_in")
SELECT w.id, gen_random_uuid(), '24/7', 'UTC',
  (SELECT jsonb_agg(jsonb_build_object('day', d, 'start', '00:00', 'end', '24:00'))
     FROM unnest(array['monday','tuesday','wednesday','thursday','friday','saturday','sunday']) d), false, true
FROM "workspaces" w;
--> statement-breakpoint
INSERT INTO "sla_policies" ("workspace_id", "id", "name", "description", "position", "conditions", "targets")
SELECT w.id, gen_random_uuid(), 'Chat', 'Chat is answered within minutes, around the clock.', 1,
  '{"channels":["chat"]}'::jsonb,
  '[{"priorityId":null,"metric":"firstResponse","minutes":5,"businessHours":false,"calendarId":null,"warnBeforeMinutes":null,"pauseOn":[]},
    {"priorityId":null,"metric":"nextResponse","minutes":5,"businessHours":false,"calendarId":null,"warnBeforeMinutes":null,"pauseOn":[]}]'::jsonb
FROM "workspaces" w;
--> statement-breakpoint
INSERT INTO "sla_policies" ("workspace_id", "id", "name", "description", "position", "conditions", "targets")
SELECT w.id, gen_random_uuid(), 'Standard',
  'E-mail and forms: 24 business hours to respond; urgent tickets within the hour.', 2, '{}'::jsonb,
  '[{"priorityId":null,"metric":"firstResponse","minutes":1440,"businessHours":true,"calendarId":null,"warnBeforeMinutes":120,"pauseOn":[]},
    {"priorityId":null,"metric":"nextResponse","minutes":1440,"businessHours":true,"calendarId":null,"warnBeforeMinutes":120,"pauseOn":[]},
    {"priorityId":null,"metric":"resolution","minutes":4320,"businessHours":true,"calendarId":null,"warnBeforeMinutes":480,"pauseOn":["pending","on_hold"]}]'::jsonb
  || coalesce((SELECT jsonb_build_array(
      jsonb_build_object('priorityId', p.id, 'metric', 'firstResponse', 'minutes', 480, 'businessHours', true, 'calendarId', null, 'warnBeforeMinutes', 60, 'pauseOn', '[]'::jsonb),
      jsonb_build_object('priorityId', p.id, 'metric', 'nextResponse', 'minutes', 480, 'businessHours', true, 'calendarId', null, 'warnBeforeMinutes', 60, 'pauseOn', '[]'::jsonb),
      jsonb_build_object('priorityId', p.id, 'metric', 'resolution', 'minutes', 2880, 'businessHours', true, 'calendarId', null, 'warnBeforeMinutes', 240, 'pauseOn', '["pending","on_hold"]'::jsonb))
    FROM "priorities" p WHERE p.workspace_id = w.id AND p.slug = 'high'), '[]'::jsonb)
  || coalesce((SELECT jsonb_build_array(
      jsonb_build_object('priorityId', p.id, 'metric', 'firstResponse', 'minutes', 60, 'businessHours', false, 'calendarId', null, 'warnBeforeMinutes', 15, 'pauseOn', '[]'::jsonb),
      jsonb_build_object('priorityId', p.id, 'metric', 'nextResponse', 'minutes', 120, 'businessHours', false, 'calendarId', null, 'warnBeforeMinutes', 15, 'pauseOn', '[]'::jsonb),
      jsonb_build_object('priorityId', p.id, 'metric', 'resolution', 'minutes', 1440, 'businessHours', false, 'calendarId', null, 'warnBeforeMinutes', 120, 'pauseOn', '["pending","on_hold"]'::jsonb))
    FROM "priorities" p WHERE p.workspace_id = w.id AND p.slug = 'urgent'), '[]'::jsonb)
FROM "workspaces" w;
