/**
 * RELATION_AT (db/labels/sql.ts) reads CamFlow's cf:date in SQL where an entry needs it, since
 * relation_times keeps only ordering times: it must read what db/labels/time.ts reads.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RELATION_AT } from "../../../db/labels/sql";
import { parseCamflowDate } from "../../../db/labels/time";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";

const SAMPLES = [
  "2026:11:01T12:00:00",
  " 2026:11:01T12:00:00.250 ",
  "2026-11-01T12:00:00Z",
  "2026-11-01t12:00:00z",
  "2026-11-01T12:00:00+02:00",
  "2026-11-01T12:00:00-0530",
  "2026-11-01 12:00",
  "2026-11-01T12:00:00.5",
  "2026:13:01T00:00:00",
  "2026-11-01",
  "yesterday",
  "",
];

describe.each(STORE_KINDS)("RELATION_AT on %s", (kind) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore(kind);
  });
  afterAll(async () => {
    await t.dispose();
  });

  it.each(SAMPLES)("reads cf:date %j as db/labels/time.ts does", async (text) => {
    for (const value of [text, { $: text, type: "xsd:string" }]) {
      const [row] = await t.store.rows<{ at: string | null }>(sql`
        select to_char(${RELATION_AT} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at
        from (select jsonb_build_object('cf:date', ${JSON.stringify(value)}::jsonb) as attributes) r
        left join (select null::timestamptz as at) t on false`);
      expect(row?.at ?? null).toBe(parseCamflowDate(text)?.toISOString() ?? null);
    }
  });

  it("prefers the ordering time when there is one", async () => {
    const [row] = await t.store.rows<{ at: string }>(sql`
      select to_char(${RELATION_AT} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as at
      from (select '{"cf:date": "2026:11:01T12:00:00"}'::jsonb as attributes) r
      cross join (select '2026-11-02T08:00:00Z'::timestamptz as at) t`);
    expect(row?.at).toBe("2026-11-02T08:00:00Z");
  });
});
