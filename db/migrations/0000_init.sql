CREATE TYPE "public"."user_role" AS ENUM('subject', 'dpo');--> statement-breakpoint
CREATE TYPE "public"."legal_basis" AS ENUM('consent', 'contract', 'legal_obligation', 'vital_interests', 'public_task', 'legitimate_interests');--> statement-breakpoint
CREATE TYPE "public"."node_kind" AS ENUM('entity', 'activity', 'agent');--> statement-breakpoint
CREATE TYPE "public"."relation_kind" AS ENUM('used', 'wasGeneratedBy', 'wasInformedBy', 'wasDerivedFrom', 'wasAssociatedWith', 'wasAttributedTo', 'actedOnBehalfOf', 'wasStartedBy', 'wasEndedBy', 'wasInvalidatedBy', 'wasInfluencedBy', 'specializationOf', 'alternateOf', 'hadMember', 'mentionOf');--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"secret_hash" "bytea" NOT NULL,
	"user_id" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" serial PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"password_hash" text NOT NULL,
	"role" "user_role" DEFAULT 'subject' NOT NULL,
	"subject_id" integer,
	"display_name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE "data_categories" (
	"id" serial PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	CONSTRAINT "data_categories_key_unique" UNIQUE("key")
);
--> statement-breakpoint
CREATE TABLE "organisations" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	CONSTRAINT "organisations_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "personal_data_sources" (
	"node_id" bigint NOT NULL,
	"subject_id" integer NOT NULL,
	"category_id" integer NOT NULL,
	"purpose_id" integer,
	CONSTRAINT "personal_data_sources_node_id_subject_id_category_id_pk" PRIMARY KEY("node_id","subject_id","category_id")
);
--> statement-breakpoint
CREATE TABLE "purposes" (
	"id" serial PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"service_id" integer,
	"legal_basis" "legal_basis",
	"retention_days" integer,
	CONSTRAINT "purposes_key_unique" UNIQUE("key")
);
--> statement-breakpoint
CREATE TABLE "services" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"organisation_id" integer,
	CONSTRAINT "services_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "subjects" (
	"id" serial PRIMARY KEY NOT NULL,
	"ref" text NOT NULL,
	"display_name" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "subjects_ref_unique" UNIQUE("ref")
);
--> statement-breakpoint
CREATE TABLE "hosts" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "hosts_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "prov_node_hosts" (
	"node_id" bigint NOT NULL,
	"host_id" integer NOT NULL,
	CONSTRAINT "prov_node_hosts_node_id_host_id_pk" PRIMARY KEY("node_id","host_id")
);
--> statement-breakpoint
CREATE TABLE "prov_nodes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"ext_id" text NOT NULL,
	"kind" "node_kind" NOT NULL,
	"prov_type" text,
	"label" text,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"service_id" integer,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "prov_relations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"ext_id" text NOT NULL,
	"kind" "relation_kind" NOT NULL,
	"from_ext_id" text NOT NULL,
	"to_ext_id" text NOT NULL,
	"time" text,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"host_id" integer,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "quarantine" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"reason" text NOT NULL,
	"raw" "bytea" NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_subject_id_subjects_id_fk" FOREIGN KEY ("subject_id") REFERENCES "public"."subjects"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "personal_data_sources" ADD CONSTRAINT "personal_data_sources_node_id_prov_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."prov_nodes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "personal_data_sources" ADD CONSTRAINT "personal_data_sources_subject_id_subjects_id_fk" FOREIGN KEY ("subject_id") REFERENCES "public"."subjects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "personal_data_sources" ADD CONSTRAINT "personal_data_sources_category_id_data_categories_id_fk" FOREIGN KEY ("category_id") REFERENCES "public"."data_categories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "personal_data_sources" ADD CONSTRAINT "personal_data_sources_purpose_id_purposes_id_fk" FOREIGN KEY ("purpose_id") REFERENCES "public"."purposes"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "purposes" ADD CONSTRAINT "purposes_service_id_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."services"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "services" ADD CONSTRAINT "services_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prov_node_hosts" ADD CONSTRAINT "prov_node_hosts_node_id_prov_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."prov_nodes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prov_node_hosts" ADD CONSTRAINT "prov_node_hosts_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prov_nodes" ADD CONSTRAINT "prov_nodes_service_id_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."services"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prov_relations" ADD CONSTRAINT "prov_relations_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sessions_user_id_idx" ON "sessions" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "users_subject_id_idx" ON "users" USING btree ("subject_id");--> statement-breakpoint
CREATE INDEX "personal_data_sources_subject_id_idx" ON "personal_data_sources" USING btree ("subject_id");--> statement-breakpoint
CREATE INDEX "personal_data_sources_category_id_idx" ON "personal_data_sources" USING btree ("category_id");--> statement-breakpoint
CREATE INDEX "personal_data_sources_purpose_id_idx" ON "personal_data_sources" USING btree ("purpose_id");--> statement-breakpoint
CREATE INDEX "purposes_service_id_idx" ON "purposes" USING btree ("service_id");--> statement-breakpoint
CREATE INDEX "services_organisation_id_idx" ON "services" USING btree ("organisation_id");--> statement-breakpoint
CREATE INDEX "prov_node_hosts_host_id_idx" ON "prov_node_hosts" USING btree ("host_id");--> statement-breakpoint
CREATE UNIQUE INDEX "prov_nodes_ext_id_key" ON "prov_nodes" USING btree ("ext_id");--> statement-breakpoint
CREATE INDEX "prov_nodes_service_id_idx" ON "prov_nodes" USING btree ("service_id");--> statement-breakpoint
CREATE UNIQUE INDEX "prov_relations_ext_id_key" ON "prov_relations" USING btree ("ext_id");--> statement-breakpoint
CREATE INDEX "prov_relations_from_ext_id_idx" ON "prov_relations" USING btree ("from_ext_id");--> statement-breakpoint
CREATE INDEX "prov_relations_to_ext_id_idx" ON "prov_relations" USING btree ("to_ext_id");--> statement-breakpoint
CREATE INDEX "prov_relations_host_id_idx" ON "prov_relations" USING btree ("host_id");--> statement-breakpoint
CREATE INDEX "quarantine_received_at_idx" ON "quarantine" USING btree ("received_at");