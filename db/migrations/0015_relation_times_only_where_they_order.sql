-- relation_times keeps only times that order a flow (prov:time, decision 37): CamFlow's cf:date is
-- read from the relation's attributes where an entry needs it (db/labels/sql.ts, RELATION_AT),
-- through this function, which turns a text that does not read as a time into null instead of
-- an error.
CREATE OR REPLACE FUNCTION "timestamptz_or_null"(value text) RETURNS timestamptz
  LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN value::timestamptz;
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$$;--> statement-breakpoint
DELETE FROM "relation_times" WHERE NOT "orders";
