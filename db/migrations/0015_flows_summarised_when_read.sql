-- Flows are summarised from the service entries when read (decision 41): a flow row is kept only
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
--> statement-breakpoint
ALTER TABLE "service_entries" DROP CONSTRAINT "service_entries_label_set_id_label_sets_id_fk";
--> statement-breakpoint
ALTER TABLE "node_labels" DROP CONSTRAINT "node_labels_label_set_id_label_sets_id_fk";
--> statement-breakpoint
ALTER TABLE "relation_times" DROP CONSTRAINT "relation_times_relation_id_prov_relations_id_fk";
--> statement-breakpoint
DROP INDEX "node_labels_label_set_id_idx";
--> statement-breakpoint
-- relation_times keeps only times that order a flow (prov:time, decision 41): CamFlow's cf:date is
-- read from the relation's attributes where an entry needs it (db/labels/sql.ts, RELATION_AT),
-- through this function, which turns a text that does not read as a time into null instead of
-- an error.
CREATE OR REPLACE FUNCTION "timestamptz_or_null"(value text) RETURNS timestamptz
  LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN value::timestamptz;
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$$;--> statement-breakpoint
DELETE FROM "relation_times" WHERE NOT "orders";
--> statement-breakpoint
DROP INDEX "label_sets_label_ids_idx";--> statement-breakpoint
CREATE INDEX "label_sets_label_ids_idx" ON "label_sets" USING gin ("label_ids") WITH (fastupdate=false);
