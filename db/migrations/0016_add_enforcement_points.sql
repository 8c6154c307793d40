CREATE TYPE "public"."rule_change" AS ENUM('added', 'lifted');--> statement-breakpoint
CREATE TABLE "enforcement_acks" (
	"point_id" integer NOT NULL,
	"version" bigint NOT NULL,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "enforcement_acks_point_id_version_pk" PRIMARY KEY("point_id","version")
);
--> statement-breakpoint
CREATE TABLE "enforcement_point_services" (
	"point_id" integer NOT NULL,
	"service_id" integer NOT NULL,
	CONSTRAINT "enforcement_point_services_point_id_service_id_pk" PRIMARY KEY("point_id","service_id")
);
--> statement-breakpoint
CREATE TABLE "enforcement_points" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"token_id" text NOT NULL,
	"secret_hash" "bytea" NOT NULL,
	"fail_closed_after_seconds" integer,
	"created_at" timestamp with time zone NOT NULL,
	"created_by" text NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoked_by" text,
	"applied_version" bigint,
	"applied_at" timestamp with time zone,
	"last_seen_at" timestamp with time zone,
	CONSTRAINT "enforcement_points_name_unique" UNIQUE("name"),
	CONSTRAINT "enforcement_points_token_id_unique" UNIQUE("token_id"),
	CONSTRAINT "enforcement_points_fail_closed_positive" CHECK ("enforcement_points"."fail_closed_after_seconds" is null or "enforcement_points"."fail_closed_after_seconds" > 0)
);
--> statement-breakpoint
CREATE TABLE "enforcement_rule_changes" (
	"version" bigint PRIMARY KEY NOT NULL,
	"blocking_rule_id" integer NOT NULL,
	"change" "rule_change" NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"published_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "enforcement_acks" ADD CONSTRAINT "enforcement_acks_point_id_enforcement_points_id_fk" FOREIGN KEY ("point_id") REFERENCES "public"."enforcement_points"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enforcement_point_services" ADD CONSTRAINT "enforcement_point_services_point_id_enforcement_points_id_fk" FOREIGN KEY ("point_id") REFERENCES "public"."enforcement_points"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enforcement_point_services" ADD CONSTRAINT "enforcement_point_services_service_id_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."services"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enforcement_rule_changes" ADD CONSTRAINT "enforcement_rule_changes_blocking_rule_id_blocking_rules_id_fk" FOREIGN KEY ("blocking_rule_id") REFERENCES "public"."blocking_rules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "enforcement_point_services_service_id_idx" ON "enforcement_point_services" USING btree ("service_id");--> statement-breakpoint
CREATE INDEX "enforcement_rule_changes_blocking_rule_id_idx" ON "enforcement_rule_changes" USING btree ("blocking_rule_id");--> statement-breakpoint
CREATE INDEX "enforcement_rule_changes_unpublished_idx" ON "enforcement_rule_changes" USING btree ("version") WHERE "enforcement_rule_changes"."published_at" is null;--> statement-breakpoint
-- Blocks made before enforcement points existed enter the rule set's history in time order.
INSERT INTO "enforcement_rule_changes" ("version", "blocking_rule_id", "change", "at")
SELECT row_number() OVER (ORDER BY c.at, c.id, c.change), c.id, c.change, c.at
FROM (
  SELECT id, 'added'::"rule_change" AS change, created_at AS at FROM "blocking_rules"
  UNION ALL
  SELECT id, 'lifted'::"rule_change", lifted_at FROM "blocking_rules" WHERE lifted_at IS NOT NULL
) c;
