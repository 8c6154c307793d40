-- The archive tail's raw messages (CamFlow JSON, ~130 KB a message) are compressed by TOAST on
-- every append; LZ4 does it for less of PostgreSQL's CPU than the default pglz (README "Ingest
-- throughput end to end", 2026-12-02). The same bytes are stored and read back: only the TOAST
-- compression of new values changes. A server built without LZ4 (PGlite is one) refuses the
-- method with feature_not_supported and keeps pglz.
DO $$
BEGIN
  ALTER TABLE "ledger_archive_tail" ALTER COLUMN "raw" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  NULL;
END $$;
