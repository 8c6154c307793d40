CREATE TYPE "public"."erasure_request_status" AS ENUM('open', 'erased', 'refused');--> statement-breakpoint
CREATE TABLE "erasure_requests" (
	"id" serial PRIMARY KEY NOT NULL,
	"subject_id" integer NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"status" "erasure_request_status" DEFAULT 'open' NOT NULL,
	"answered_at" timestamp with time zone,
	"answered_by" text,
	"answer" text
);
--> statement-breakpoint
ALTER TABLE "erasure_requests" ADD CONSTRAINT "erasure_requests_subject_id_subjects_id_fk" FOREIGN KEY ("subject_id") REFERENCES "public"."subjects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "erasure_requests_subject_id_idx" ON "erasure_requests" USING btree ("subject_id");--> statement-breakpoint
CREATE UNIQUE INDEX "erasure_requests_one_open_key" ON "erasure_requests" USING btree ("subject_id") WHERE "erasure_requests"."status" = 'open';