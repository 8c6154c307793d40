CREATE TABLE "ledger_archive_tail" (
	"log_id" integer NOT NULL,
	"seq" bigint NOT NULL,
	"leaf" "bytea" NOT NULL,
	"raw" "bytea" NOT NULL,
	CONSTRAINT "ledger_archive_tail_log_id_seq_pk" PRIMARY KEY("log_id","seq")
);
--> statement-breakpoint
CREATE TABLE "ledger_bundles" (
	"log_id" integer NOT NULL,
	"first_seq" bigint NOT NULL,
	"count" integer NOT NULL,
	"data" "bytea" NOT NULL,
	"raw_bytes" bigint NOT NULL,
	"sealed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_bundles_log_id_first_seq_pk" PRIMARY KEY("log_id","first_seq")
);
--> statement-breakpoint
CREATE TABLE "ledger_checkpoints" (
	"id" serial PRIMARY KEY NOT NULL,
	"log_id" integer NOT NULL,
	"size" bigint NOT NULL,
	"root_hash" "bytea" NOT NULL,
	"note" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_logs" (
	"id" serial PRIMARY KEY NOT NULL,
	"origin" text NOT NULL,
	"host_id" integer,
	"public_key" "bytea" NOT NULL,
	"private_key" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_logs_origin_unique" UNIQUE("origin")
);
--> statement-breakpoint
CREATE TABLE "ledger_records" (
	"log_id" integer NOT NULL,
	"seq" bigint NOT NULL,
	"leaf" "bytea" NOT NULL,
	"leaf_hash" "bytea" NOT NULL,
	"digest" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_records_log_id_seq_pk" PRIMARY KEY("log_id","seq")
);
--> statement-breakpoint
CREATE TABLE "ledger_verifications" (
	"id" serial PRIMARY KEY NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone NOT NULL,
	"ok" boolean NOT NULL,
	"leaves" bigint NOT NULL,
	"findings" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "prov_nodes" ADD COLUMN "ledger_log_id" integer;--> statement-breakpoint
ALTER TABLE "prov_nodes" ADD COLUMN "ledger_seq" bigint;--> statement-breakpoint
ALTER TABLE "prov_relations" ADD COLUMN "ledger_log_id" integer;--> statement-breakpoint
ALTER TABLE "prov_relations" ADD COLUMN "ledger_seq" bigint;--> statement-breakpoint
ALTER TABLE "ledger_archive_tail" ADD CONSTRAINT "ledger_archive_tail_log_id_ledger_logs_id_fk" FOREIGN KEY ("log_id") REFERENCES "public"."ledger_logs"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_bundles" ADD CONSTRAINT "ledger_bundles_log_id_ledger_logs_id_fk" FOREIGN KEY ("log_id") REFERENCES "public"."ledger_logs"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_checkpoints" ADD CONSTRAINT "ledger_checkpoints_log_id_ledger_logs_id_fk" FOREIGN KEY ("log_id") REFERENCES "public"."ledger_logs"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_logs" ADD CONSTRAINT "ledger_logs_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_records" ADD CONSTRAINT "ledger_records_log_id_ledger_logs_id_fk" FOREIGN KEY ("log_id") REFERENCES "public"."ledger_logs"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ledger_checkpoints_log_id_size_idx" ON "ledger_checkpoints" USING btree ("log_id","size");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_logs_host_id_key" ON "ledger_logs" USING btree ("host_id");--> statement-breakpoint
CREATE INDEX "ledger_records_log_id_digest_idx" ON "ledger_records" USING btree ("log_id","digest");--> statement-breakpoint
CREATE INDEX "ledger_verifications_started_at_idx" ON "ledger_verifications" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "prov_nodes_ledger_idx" ON "prov_nodes" USING btree ("ledger_log_id","ledger_seq");--> statement-breakpoint
CREATE INDEX "prov_relations_ledger_idx" ON "prov_relations" USING btree ("ledger_log_id","ledger_seq");