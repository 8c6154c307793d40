CREATE TYPE "public"."quarantine_kind" AS ENUM('too-large', 'not-text', 'not-json', 'not-prov', 'bad-prov', 'bad-spade', 'bad-signature', 'unsigned', 'store-rejected', 'other');--> statement-breakpoint
ALTER TABLE "quarantine" ADD COLUMN "kind" "quarantine_kind" DEFAULT 'other' NOT NULL;--> statement-breakpoint
-- Rows kept before kinds existed: their kind from their reason's wording, as the readers of
-- this version word them (capture-bridge/pipeline/ingest.ts, decode.ts, formats/); the rest stay "other".
UPDATE "quarantine" SET "kind" = CASE
  WHEN "reason" LIKE 'a message of % bytes; the limit is %' THEN 'too-large'
  WHEN "reason" LIKE 'expected UTF-8 text or base64%' OR "reason" LIKE 'expected JSON or base64%' THEN 'not-text'
  WHEN "reason" LIKE 'not JSON: %' OR "reason" LIKE 'PROV-JSON text: expected valid JSON%' THEN 'not-json'
  WHEN "reason" LIKE 'no PROV element in the document%' OR "reason" LIKE 'PROV-JSON document: expected a section%' THEN 'not-prov'
  WHEN "reason" LIKE 'host % signs its messages; this one is unsigned' THEN 'unsigned'
  WHEN "reason" LIKE 'a signed message%' OR "reason" LIKE 'host signature: %' OR "reason" LIKE 'the document names host % but was signed by %' THEN 'bad-signature'
  WHEN "reason" LIKE 'the store rejected the document: %' THEN 'store-rejected'
  WHEN "reason" ~ '^record [0-9]+' THEN 'bad-spade'
  WHEN "reason" LIKE '%: expected %' THEN 'bad-prov'
  ELSE 'other'
END::"quarantine_kind";
