/**
 * The store's write path on each backend: fixtures stored idempotently, pending relations
 * counted, unreadable messages quarantined without losing the good documents around them.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IngestTally, ingestMessage } from "../../../capture-bridge/pipeline/ingest";
import { storeStats } from "../../../db/queries/stats";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";

const FIXTURES = path.resolve("../shared/fixtures");
const PROV_JSON = readdirSync(path.join(FIXTURES, "prov-json"))
  .filter((f) => f.endsWith(".json"))
  .map((f) => path.join(FIXTURES, "prov-json", f));
const WGET = path.join(FIXTURES, "camflow/w3c/website-walkthrough-v0.3.x-wget.json");

async function ingestFiles(t: TestStore, files: string[]) {
  const tally = new IngestTally();
  for (const file of files) {
    await ingestMessage(
      t.store,
      { source: `file:${file}`, host: "test-host", payload: readFileSync(file) },
      tally,
    );
  }
  return tally;
}

describe.each(STORE_KINDS)("ingest into %s", (kind) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore(kind);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("stores every PROV-JSON fixture, and a second delivery changes nothing", async () => {
    const first = (await ingestFiles(t, PROV_JSON)).summary();
    expect(first.quarantined).toBe(0);
    expect(first.nodes).toBeGreaterThan(0);
    expect(first.new).toBe(first.nodes + first.relations);
    const afterFirst = await storeStats(t.store);
    expect(afterFirst).toMatchObject({ nodes: first.nodes, relations: first.relations, hosts: 1 });

    const second = (await ingestFiles(t, PROV_JSON)).summary();
    expect(second).toEqual({ ...first, new: 0 });
    expect(await storeStats(t.store)).toEqual(afterFirst);
  });

  it("keeps CamFlow's dangling edges as pending and attributes nodes to cf:machine_id", async () => {
    const before = await storeStats(t.store);
    const summary = (await ingestFiles(t, [WGET])).summary();
    expect(summary).toEqual({ nodes: 6, relations: 4, new: 10, quarantined: 0 });
    const after = await storeStats(t.store);
    expect(after.nodes - before.nodes).toBe(6);
    expect(after.hosts - before.hosts).toBe(1);
    // 3 of the document's 8 edge ends name vertices it does not contain.
    const pendingRows = await t.store.rows<{ ext_id: string }>(sql`
      select r.ext_id from prov_relations r
      where r.ext_id like 'cf:%' and (
        not exists (select 1 from prov_nodes n where n.ext_id = r.from_ext_id)
        or not exists (select 1 from prov_nodes n where n.ext_id = r.to_ext_id))`);
    expect(after.pending - before.pending).toBe(pendingRows.length);
    expect(pendingRows.length).toBeGreaterThan(0);
    const [host] = await t.store.rows<{ name: string }>(sql`
      select h.name from hosts h join prov_node_hosts nh on nh.host_id = h.id
      join prov_nodes n on n.id = nh.node_id where n.ext_id like 'cf:%' limit 1`);
    expect(host?.name).toBe("cf:509509127");
  });

  it("quarantines what it cannot read, with reason and raw bytes, and keeps the good lines", async () => {
    const before = await storeStats(t.store);
    const raw = [
      "Starting audit service...",
      '{"prefix":{"ex":"http://example.org/q/"},"entity":{"ex:good1":{}}}',
      '{"entity": {"ex:broken": }',
      '{"entity":{"ex:bad":5}}',
      '{"prefix":{"ex":"http://example.org/q/"},"entity":{"ex:good2":{}}}',
    ].join("\n");
    const tally = new IngestTally();
    await ingestMessage(
      t.store,
      { source: "test:quarantine", host: "test-host", payload: new TextEncoder().encode(raw) },
      tally,
    );
    expect(tally.summary()).toMatchObject({ nodes: 2, new: 2, quarantined: 2 });
    const after = await storeStats(t.store);
    expect(after.quarantined - before.quarantined).toBe(2);
    const rows = await t.store.rows<{ source: string; reason: string; raw: Uint8Array }>(
      sql`select source, reason, raw from quarantine where source = 'test:quarantine' order by id`,
    );
    expect(rows.map((r) => r.source)).toEqual(["test:quarantine", "test:quarantine"]);
    expect(rows[0]?.reason).toMatch(/^not JSON/);
    expect(Buffer.from(rows[0]?.raw ?? []).toString()).toBe('{"entity": {"ex:broken": }');
    expect(rows[1]?.reason).toMatch(/ex:bad/);
    const good = await t.store.rows<{ ext_id: string }>(
      sql`select ext_id from prov_nodes where ext_id like 'http://example.org/q/%' order by ext_id`,
    );
    expect(good.map((g) => g.ext_id)).toEqual([
      "http://example.org/q/good1",
      "http://example.org/q/good2",
    ]);
  });

  it("keeps a malformed message once when it is redelivered, once per source", async () => {
    const payload = new TextEncoder().encode('{"entity": {"ex:redelivered": }');
    const deliver = (source: string) =>
      ingestMessage(t.store, { source, host: "test-host", payload });
    await deliver("test:redelivery-a");
    await deliver("test:redelivery-a"); // after a crash: committed, acknowledgement lost
    await deliver("test:redelivery-b"); // the same bytes from elsewhere are another message
    const rows = await t.store.rows<{ source: string; n: number; digest: string }>(
      sql`select source, count(*)::int as n, min(digest) as digest from quarantine
          where source like 'test:redelivery-%' group by source order by source`,
    );
    const digest = createHash("sha256").update(payload).digest("hex");
    expect(rows).toEqual([
      { source: "test:redelivery-a", n: 1, digest },
      { source: "test:redelivery-b", n: 1, digest },
    ]);
  });

  it("quarantines a payload that is neither JSON nor camflowd's base64+zlib", async () => {
    const tally = await ingestMessage(t.store, {
      source: "test:garbage",
      host: "test-host",
      payload: new Uint8Array([0xff, 0xfe, 0x00, 0x41]),
    });
    expect(tally.summary()).toMatchObject({ nodes: 0, quarantined: 1 });
    const [row] = await t.store.rows<{ raw: Uint8Array }>(
      sql`select raw from quarantine where source = 'test:garbage'`,
    );
    expect([...new Uint8Array(row?.raw ?? [])]).toEqual([0xff, 0xfe, 0x00, 0x41]);
  });

  it("quarantines a document the store cannot hold (U+0000) and stores the next one", async () => {
    const nul = JSON.stringify({ entity: { "ex:nul": { "ex:note": "a\u0000b" } } });
    const next = JSON.stringify({
      prefix: { ex: "http://example.org/nul/" },
      entity: { "ex:next": {} },
    });
    const tally = new IngestTally();
    await ingestMessage(
      t.store,
      {
        source: "test:nul",
        host: "test-host",
        payload: new TextEncoder().encode(`${nul}\n${next}`),
      },
      tally,
    );
    expect(tally.summary()).toMatchObject({ quarantined: 1, new: 1 });
    const [row] = await t.store.rows<{ reason: string }>(
      sql`select reason from quarantine where source = 'test:nul'`,
    );
    expect(row?.reason).toMatch(/^the store rejected the document: .*\(SQLSTATE 22/);
  });

  it("quarantines a document whose ids hold U+0000 or a lone surrogate, and stores the rest", async () => {
    // PostgreSQL's COPY would refuse the first and store the second altered: such batches take
    // the JSON path, which rejects both as data, so only their documents are quarantined.
    const documents = [
      JSON.stringify({ entity: { "ex:id\u0000nul": {} } }),
      JSON.stringify({ entity: { "ex:lone\ud800": {} } }),
      JSON.stringify({ prefix: { ex: "http://example.org/ids/" }, entity: { "ex:fine": {} } }),
    ];
    const tally = new IngestTally();
    await ingestMessage(
      t.store,
      {
        source: "test:odd-ids",
        host: "test-host",
        payload: new TextEncoder().encode(documents.join("\n")),
      },
      tally,
    );
    expect(tally.summary()).toMatchObject({ quarantined: 2, new: 1 });
    const rows = await t.store.rows<{ reason: string }>(
      sql`select reason from quarantine where source = 'test:odd-ids' order by id`,
    );
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.reason).toMatch(/^the store rejected the document: .*\(SQLSTATE 22/);
    }
    const fine = await t.store.rows<{ ext_id: string }>(
      sql`select ext_id from prov_nodes where ext_id = 'http://example.org/ids/fine'`,
    );
    expect(fine).toHaveLength(1);
  });

  it("reads camflowd's default spade_json logs, one graph per file, quarantining only bad lines", async () => {
    const file = path.join(FIXTURES, "camflow/spade-json/android-v0.8.0-example-cp.log");
    const first = (await ingestFiles(t, [file])).summary();
    expect(first).toEqual({ nodes: 39, relations: 47, new: 86, quarantined: 0 });
    expect((await ingestFiles(t, [file])).summary()).toEqual({ ...first, new: 0 });

    const lines = readFileSync(file, "utf8").trim().split("\n");
    const damaged = [lines[0], '{"type":"Used","from":"x"}', "{not json", lines[1]].join("\n");
    const tally = new IngestTally();
    await ingestMessage(
      t.store,
      { source: "test:spade", host: "test-host", payload: new TextEncoder().encode(damaged) },
      tally,
    );
    expect(tally.summary()).toMatchObject({ nodes: 2, quarantined: 2 });
  });
});
