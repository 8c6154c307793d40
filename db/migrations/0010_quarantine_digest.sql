ALTER TABLE "quarantine" ADD COLUMN "digest" text;--> statement-breakpoint
-- Rows kept before: the first of each source and raw bytes gets its digest, later copies keep null.
UPDATE "quarantine" q SET "digest" = d."digest"
FROM (
  SELECT "id", encode(sha256("raw"), 'hex') AS "digest",
         row_number() OVER (PARTITION BY "source", sha256("raw") ORDER BY "id") AS n
  FROM "quarantine"
) d
WHERE q."id" = d."id" AND d.n = 1;--> statement-breakpoint
CREATE UNIQUE INDEX "quarantine_source_digest_key" ON "quarantine" USING btree ("source","digest");
