/**
 * `provtopia quarantine retry` (capture-bridge/quarantine-retry.ts) on both stores: messages an
 * older reader refused, now readable, are stored with the capture host their source named and
 * a ledger record, and leave the quarantine; unreadable ones stay with today's reason; a file's
 * message waits for --host; a second retry tries only what is left. Recorded in the legal log.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../capture-bridge/config";
import { hostOfSource, retryQuarantined } from "../../../capture-bridge/quarantine-retry";
import { quarantineMessage } from "../../../db/prov/ingest";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";

const config = loadConfig({
  MQTT_TOPIC_PREFIX: "camflow/provenance",
  NATS_SUBJECT_PREFIX: "camflow.provenance",
});
const text = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const doc = (name: string) =>
  text({
    prefix: { ex: "http://example.org/retry/" },
    entity: { [`ex:${name}`]: {} },
    activity: { [`ex:${name}-job`]: {} },
    used: { [`ex:${name}-u`]: { "prov:activity": `ex:${name}-job`, "prov:entity": `ex:${name}` } },
  });

describe("where a quarantined message came from", () => {
  it("names the capture host as its source did", () => {
    expect(hostOfSource("mqtt:camflow/provenance/42", config)).toBe("42");
    expect(hostOfSource("mqtt:elsewhere/7", config)).toBe("elsewhere/7");
    expect(hostOfSource("nats:camflow.provenance.crm-1", config)).toBe("crm-1");
    expect(hostOfSource("http:crm-app", config)).toBe("crm-app");
    expect(hostOfSource("file:/var/log/camflow.log", config)).toBeNull();
    expect(hostOfSource("garbage", config)).toBeNull();
  });
});

describe.each(STORE_KINDS)("retrying the quarantine on %s", (kind) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore(kind);
    const kept = [
      {
        source: "mqtt:camflow/provenance/crm-1",
        kind: "other",
        reason: "an older reader refused it",
        raw: doc("a"),
      },
      { source: "http:shop", kind: "other", reason: "an older reader refused it", raw: doc("b") },
      {
        source: "mqtt:camflow/provenance/crm-1",
        kind: "not-json",
        reason: "not JSON",
        raw: text("x").subarray(0, 2),
      },
      {
        source: "file:/tmp/capture.json",
        kind: "other",
        reason: "an older reader refused it",
        raw: doc("c"),
      },
    ] as const;
    for (const message of kept) await quarantineMessage(t.store, message);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  const quarantined = () =>
    t.store.rows<{ source: string }>(sql`select source from quarantine order by id`);
  const hostOf = async (name: string) =>
    (
      await t.store.rows<{ name: string }>(sql`
        select h.name from prov_nodes n
        join prov_node_hosts nh on nh.node_id = n.id join hosts h on h.id = nh.host_id
        where n.ext_id = ${`http://example.org/retry/${name}`}`)
    ).map((row) => row.name);
  const count = async (query: ReturnType<typeof sql>) =>
    Number((await t.store.rows<{ n: number }>(query))[0]?.n);

  it("stores what reads now, keeps what does not, and waits for --host for files", async () => {
    const records = await count(sql`select count(*) as n from ledger_records`);
    const report = await retryQuarantined(t.store, config, {}, "cli:ops@test");
    expect(report.tried).toBe(3);
    expect(report.stored).toHaveLength(2);
    expect(report.partly).toEqual([]);
    expect(report.unreadable).toEqual([
      { id: expect.any(Number), reason: expect.stringMatching(/JSON/) },
    ]);
    expect(report.skipped).toEqual([{ id: expect.any(Number), source: "file:/tmp/capture.json" }]);
    expect(await hostOf("a")).toEqual(["crm-1"]);
    expect(await hostOf("b")).toEqual(["shop"]);
    expect(await hostOf("c")).toEqual([]);
    expect(await quarantined()).toEqual([
      { source: "mqtt:camflow/provenance/crm-1" },
      { source: "file:/tmp/capture.json" },
    ]);
    // The one still unreadable now says why today's readers could not read it (it was kept as
    // "not-json" with an older wording; the file was not tried and keeps what it had).
    expect(
      await t.store.rows(
        sql`select source, kind::text as kind, reason from quarantine order by id`,
      ),
    ).toEqual([
      {
        source: "mqtt:camflow/provenance/crm-1",
        kind: "not-json",
        reason: report.unreadable[0]?.reason,
      },
      { source: "file:/tmp/capture.json", kind: "other", reason: "an older reader refused it" },
    ]);
    // two documents recorded in their hosts' logs, and the retry in the legal log
    expect(await count(sql`select count(*) as n from ledger_records`)).toBe(records + 3);
    const [event] = await t.store.rows<{ raw: Uint8Array }>(sql`
      select t.raw from ledger_archive_tail t join ledger_logs l on l.id = t.log_id
      where l.origin like '%/legal' order by t.seq desc limit 1`);
    const recorded = JSON.parse(Buffer.from(event?.raw as Uint8Array).toString("utf8"));
    expect(recorded).toMatchObject({
      type: "operator.quarantine.retried",
      actor: "cli:ops@test",
      details: { tried: 3, stored: report.stored },
    });
  });

  it("tries only what is left; with --host a file's message is stored", async () => {
    const report = await retryQuarantined(
      t.store,
      config,
      { source: "file:", host: "ops-1" },
      "cli:ops@test",
    );
    expect(report).toMatchObject({ tried: 1, partly: [], unreadable: [], skipped: [] });
    expect(report.stored).toHaveLength(1);
    expect(await hostOf("c")).toEqual(["ops-1"]);
    expect(await quarantined()).toEqual([{ source: "mqtt:camflow/provenance/crm-1" }]);
    const again = await retryQuarantined(t.store, config, {}, "cli:ops@test");
    expect(again).toMatchObject({ tried: 1, stored: [], partly: [] });
    expect(again.unreadable).toHaveLength(1);
  });
});
