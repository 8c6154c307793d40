CREATE TABLE "erasure_notices" (
	"request_id" integer NOT NULL,
	"organisation_id" integer NOT NULL,
	"told_at" timestamp with time zone NOT NULL,
	"told_by" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "erasure_notices" ADD CONSTRAINT "erasure_notices_request_id_erasure_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."erasure_requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "erasure_notices" ADD CONSTRAINT "erasure_notices_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "erasure_notices_request_organisation_key" ON "erasure_notices" USING btree ("request_id","organisation_id");