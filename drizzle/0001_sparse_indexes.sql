DROP INDEX "contacts_organization_idx";--> statement-breakpoint
DROP INDEX "tickets_organization_idx";--> statement-breakpoint
DROP INDEX "tickets_assignee_idx";--> statement-breakpoint
DROP INDEX "tickets_external_ref_idx";--> statement-breakpoint
CREATE INDEX "contacts_organization_idx" ON "contacts" USING btree ("workspace_id","organization_id") WHERE "contacts"."organization_id" is not null;--> statement-breakpoint
CREATE INDEX "tickets_organization_idx" ON "tickets" USING btree ("workspace_id","organization_id") WHERE "tickets"."organization_id" is not null;--> statement-breakpoint
CREATE INDEX "tickets_assignee_idx" ON "tickets" USING btree ("workspace_id","assignee_id") WHERE "tickets"."assignee_id" is not null;--> statement-breakpoint
CREATE INDEX "tickets_external_ref_idx" ON "tickets" USING btree ("workspace_id","external_ref") WHERE "tickets"."external_ref" is not null;