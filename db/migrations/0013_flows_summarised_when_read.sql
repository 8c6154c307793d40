-- Flows are summarised from the service entries when read (decision 37): a flow row is kept only
-- for a flow with violations or a witness path, under the flow's id (label id * 2^20 + service
-- id) instead of a sequence. Rows of lawful flows without a witness go; the others are re-keyed,
-- their violations with them.
ALTER TABLE "violations" DROP CONSTRAINT "violations_flow_id_flows_id_fk";--> statement-breakpoint
DELETE FROM "flows" f WHERE f."witness" IS NULL
  AND NOT EXISTS (SELECT 1 FROM "violations" v WHERE v."flow_id" = f."id");--> statement-breakpoint
UPDATE "violations" v SET "flow_id" = -(l."id"::bigint * 1048576 + f."service_id")
  FROM "flows" f JOIN "labels" l ON l."subject_id" = f."subject_id"
    AND l."category_id" = f."category_id" AND l."purpose_id" IS NOT DISTINCT FROM f."source_purpose_id"
  WHERE v."flow_id" = f."id";--> statement-breakpoint
UPDATE "flows" f SET "id" = -(l."id"::bigint * 1048576 + f."service_id")
  FROM "labels" l WHERE l."subject_id" = f."subject_id" AND l."category_id" = f."category_id"
    AND l."purpose_id" IS NOT DISTINCT FROM f."source_purpose_id";--> statement-breakpoint
DELETE FROM "flows" WHERE "id" > 0;--> statement-breakpoint
UPDATE "violations" SET "flow_id" = -"flow_id" WHERE "flow_id" < 0;--> statement-breakpoint
UPDATE "flows" SET "id" = -"id";--> statement-breakpoint
ALTER TABLE "violations" ADD CONSTRAINT "violations_flow_id_flows_id_fk" FOREIGN KEY ("flow_id") REFERENCES "public"."flows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flows" ALTER COLUMN "id" DROP DEFAULT;--> statement-breakpoint
DROP SEQUENCE IF EXISTS "flows_id_seq";--> statement-breakpoint
DROP INDEX "flows_service_id_idx";--> statement-breakpoint
CREATE INDEX "flows_service_id_idx" ON "flows" USING btree ("service_id");--> statement-breakpoint
ALTER TABLE "flows" DROP COLUMN "via_service_id";--> statement-breakpoint
ALTER TABLE "flows" DROP COLUMN "first_seen";--> statement-breakpoint
ALTER TABLE "flows" DROP COLUMN "last_seen";--> statement-breakpoint
ALTER TABLE "flows" DROP COLUMN "count";--> statement-breakpoint
ALTER TABLE "flows" DROP COLUMN "ordered";--> statement-breakpoint
ALTER TABLE "flows" DROP COLUMN "status";--> statement-breakpoint
ALTER TABLE "flows" DROP COLUMN "entry";
