CREATE TABLE "ledger_subtrees" (
	"log_id" integer NOT NULL,
	"start" bigint NOT NULL,
	"size" bigint NOT NULL,
	"hash" "bytea" NOT NULL,
	CONSTRAINT "ledger_subtrees_log_id_start_size_pk" PRIMARY KEY("log_id","start","size")
);
--> statement-breakpoint
ALTER TABLE "ledger_subtrees" ADD CONSTRAINT "ledger_subtrees_log_id_ledger_logs_id_fk" FOREIGN KEY ("log_id") REFERENCES "public"."ledger_logs"("id") ON DELETE restrict ON UPDATE no action;