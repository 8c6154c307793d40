CREATE TYPE "public"."consent_action" AS ENUM('given', 'withdrawn');--> statement-breakpoint
CREATE TYPE "public"."flow_status" AS ENUM('allowed', 'no-legal-basis', 'after-block');--> statement-breakpoint
CREATE TYPE "public"."violation_kind" AS ENUM('no-legal-basis', 'after-block');--> statement-breakpoint
CREATE TABLE "blocking_rules" (
	"id" serial PRIMARY KEY NOT NULL,
	"subject_id" integer NOT NULL,
	"category_id" integer,
	"service_id" integer,
	"organisation_id" integer,
	"created_at" timestamp with time zone NOT NULL,
	"lifted_at" timestamp with time zone,
	"how" text NOT NULL,
	CONSTRAINT "blocking_rules_target" CHECK ("blocking_rules"."service_id" is not null or "blocking_rules"."organisation_id" is not null),
	CONSTRAINT "blocking_rules_lifted_after_created" CHECK ("blocking_rules"."lifted_at" is null or "blocking_rules"."lifted_at" >= "blocking_rules"."created_at")
);
--> statement-breakpoint
CREATE TABLE "consent_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"subject_id" integer NOT NULL,
	"purpose_id" integer NOT NULL,
	"action" "consent_action" NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"how" text NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "flows" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"subject_id" integer NOT NULL,
	"category_id" integer NOT NULL,
	"source_purpose_id" integer,
	"service_id" integer NOT NULL,
	"via_service_id" integer,
	"purpose_id" integer,
	"legal_basis" "legal_basis",
	"first_seen" timestamp with time zone,
	"last_seen" timestamp with time zone,
	"count" integer DEFAULT 0 NOT NULL,
	"ordered" boolean NOT NULL,
	"status" "flow_status" NOT NULL,
	"entry" text NOT NULL,
	"witness" jsonb,
	"judged_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "flows_key" UNIQUE NULLS NOT DISTINCT("subject_id","category_id","source_purpose_id","service_id")
);
--> statement-breakpoint
CREATE TABLE "service_entries" (
	"entry" text PRIMARY KEY NOT NULL,
	"service_id" integer NOT NULL,
	"from_ext_id" text NOT NULL,
	"to_ext_id" text NOT NULL,
	"at" timestamp with time zone,
	"label_set_id" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "service_mapping_rules" (
	"id" serial PRIMARY KEY NOT NULL,
	"service_id" integer NOT NULL,
	"host" text,
	"executable" text,
	"process_name" text,
	"priority" integer DEFAULT 0 NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "service_mapping_rules_matches_something" CHECK ("service_mapping_rules"."executable" is not null or "service_mapping_rules"."process_name" is not null)
);
--> statement-breakpoint
CREATE TABLE "violations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"flow_id" bigint NOT NULL,
	"entry" text NOT NULL,
	"at" timestamp with time zone,
	"kind" "violation_kind" NOT NULL,
	"blocking_rule_id" integer,
	"witness" jsonb NOT NULL,
	"detected_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "violations_flow_entry_key" UNIQUE("flow_id","entry")
);
--> statement-breakpoint
CREATE TABLE "label_sets" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"digest" text NOT NULL,
	"label_ids" integer[] NOT NULL,
	CONSTRAINT "label_sets_digest_unique" UNIQUE("digest")
);
--> statement-breakpoint
CREATE TABLE "labels" (
	"id" serial PRIMARY KEY NOT NULL,
	"subject_id" integer NOT NULL,
	"category_id" integer NOT NULL,
	"purpose_id" integer,
	CONSTRAINT "labels_subject_category_purpose_key" UNIQUE NULLS NOT DISTINCT("subject_id","category_id","purpose_id")
);
--> statement-breakpoint
CREATE TABLE "node_labels" (
	"node_ext_id" text NOT NULL,
	"since" timestamp with time zone NOT NULL,
	"label_set_id" bigint NOT NULL,
	CONSTRAINT "node_labels_node_ext_id_since_pk" PRIMARY KEY("node_ext_id","since")
);
--> statement-breakpoint
CREATE TABLE "relation_times" (
	"relation_id" bigint PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"orders" boolean NOT NULL
);
--> statement-breakpoint
ALTER TABLE "blocking_rules" ADD CONSTRAINT "blocking_rules_subject_id_subjects_id_fk" FOREIGN KEY ("subject_id") REFERENCES "public"."subjects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "blocking_rules" ADD CONSTRAINT "blocking_rules_category_id_data_categories_id_fk" FOREIGN KEY ("category_id") REFERENCES "public"."data_categories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "blocking_rules" ADD CONSTRAINT "blocking_rules_service_id_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."services"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "blocking_rules" ADD CONSTRAINT "blocking_rules_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consent_events" ADD CONSTRAINT "consent_events_subject_id_subjects_id_fk" FOREIGN KEY ("subject_id") REFERENCES "public"."subjects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consent_events" ADD CONSTRAINT "consent_events_purpose_id_purposes_id_fk" FOREIGN KEY ("purpose_id") REFERENCES "public"."purposes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flows" ADD CONSTRAINT "flows_subject_id_subjects_id_fk" FOREIGN KEY ("subject_id") REFERENCES "public"."subjects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flows" ADD CONSTRAINT "flows_category_id_data_categories_id_fk" FOREIGN KEY ("category_id") REFERENCES "public"."data_categories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flows" ADD CONSTRAINT "flows_source_purpose_id_purposes_id_fk" FOREIGN KEY ("source_purpose_id") REFERENCES "public"."purposes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flows" ADD CONSTRAINT "flows_service_id_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."services"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flows" ADD CONSTRAINT "flows_via_service_id_services_id_fk" FOREIGN KEY ("via_service_id") REFERENCES "public"."services"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flows" ADD CONSTRAINT "flows_purpose_id_purposes_id_fk" FOREIGN KEY ("purpose_id") REFERENCES "public"."purposes"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_entries" ADD CONSTRAINT "service_entries_service_id_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."services"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_entries" ADD CONSTRAINT "service_entries_label_set_id_label_sets_id_fk" FOREIGN KEY ("label_set_id") REFERENCES "public"."label_sets"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_mapping_rules" ADD CONSTRAINT "service_mapping_rules_service_id_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."services"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "violations" ADD CONSTRAINT "violations_flow_id_flows_id_fk" FOREIGN KEY ("flow_id") REFERENCES "public"."flows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "violations" ADD CONSTRAINT "violations_blocking_rule_id_blocking_rules_id_fk" FOREIGN KEY ("blocking_rule_id") REFERENCES "public"."blocking_rules"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "labels" ADD CONSTRAINT "labels_subject_id_subjects_id_fk" FOREIGN KEY ("subject_id") REFERENCES "public"."subjects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "labels" ADD CONSTRAINT "labels_category_id_data_categories_id_fk" FOREIGN KEY ("category_id") REFERENCES "public"."data_categories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "labels" ADD CONSTRAINT "labels_purpose_id_purposes_id_fk" FOREIGN KEY ("purpose_id") REFERENCES "public"."purposes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "node_labels" ADD CONSTRAINT "node_labels_label_set_id_label_sets_id_fk" FOREIGN KEY ("label_set_id") REFERENCES "public"."label_sets"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "relation_times" ADD CONSTRAINT "relation_times_relation_id_prov_relations_id_fk" FOREIGN KEY ("relation_id") REFERENCES "public"."prov_relations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "blocking_rules_subject_id_idx" ON "blocking_rules" USING btree ("subject_id");--> statement-breakpoint
CREATE INDEX "blocking_rules_category_id_idx" ON "blocking_rules" USING btree ("category_id");--> statement-breakpoint
CREATE INDEX "blocking_rules_service_id_idx" ON "blocking_rules" USING btree ("service_id");--> statement-breakpoint
CREATE INDEX "blocking_rules_organisation_id_idx" ON "blocking_rules" USING btree ("organisation_id");--> statement-breakpoint
CREATE INDEX "consent_events_subject_purpose_at_idx" ON "consent_events" USING btree ("subject_id","purpose_id","at");--> statement-breakpoint
CREATE INDEX "consent_events_purpose_id_idx" ON "consent_events" USING btree ("purpose_id");--> statement-breakpoint
CREATE INDEX "flows_category_id_idx" ON "flows" USING btree ("category_id");--> statement-breakpoint
CREATE INDEX "flows_service_id_idx" ON "flows" USING btree ("service_id","last_seen");--> statement-breakpoint
CREATE INDEX "flows_via_service_id_idx" ON "flows" USING btree ("via_service_id");--> statement-breakpoint
CREATE INDEX "flows_purpose_id_idx" ON "flows" USING btree ("purpose_id");--> statement-breakpoint
CREATE INDEX "flows_source_purpose_id_idx" ON "flows" USING btree ("source_purpose_id");--> statement-breakpoint
CREATE INDEX "service_entries_service_at_idx" ON "service_entries" USING btree ("service_id","at");--> statement-breakpoint
CREATE INDEX "service_entries_label_set_id_idx" ON "service_entries" USING btree ("label_set_id");--> statement-breakpoint
CREATE INDEX "service_mapping_rules_service_id_idx" ON "service_mapping_rules" USING btree ("service_id");--> statement-breakpoint
CREATE INDEX "violations_blocking_rule_id_idx" ON "violations" USING btree ("blocking_rule_id");--> statement-breakpoint
CREATE INDEX "violations_at_idx" ON "violations" USING btree ("at");--> statement-breakpoint
CREATE INDEX "label_sets_label_ids_idx" ON "label_sets" USING gin ("label_ids");--> statement-breakpoint
CREATE INDEX "labels_category_id_idx" ON "labels" USING btree ("category_id");--> statement-breakpoint
CREATE INDEX "labels_purpose_id_idx" ON "labels" USING btree ("purpose_id");--> statement-breakpoint
CREATE INDEX "node_labels_label_set_id_idx" ON "node_labels" USING btree ("label_set_id");