/**
 * The DPO's quarantine queries (db/queries/quarantine.ts) on both stores: newest first, filters
 * on parts of the source and reason (their own % and _ taken literally) and on the kind of
 * problem, counts per kind, pages, previews, a message's raw bytes back exactly, and the kinds
 * migration 0019 gave rows kept before kinds existed.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quarantineMessage } from "../../../db/prov/ingest";
import { quarantinedMessage, quarantinePage } from "../../../db/queries/quarantine";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";

describe.each(STORE_KINDS)("the quarantine for the DPO on %s", (kind) => {
  let t: TestStore;
  const binary = Uint8Array.from([0x7b, 0xc3, 0x28, 0xff, 0x00, 0x7d]);
  const long = new TextEncoder().encode(`{"entity":${"x".repeat(5_000)}`);
  beforeAll(async () => {
    t = await createTestStore(kind);
    const messages = [
      {
        source: "mqtt:camflow/provenance/42",
        kind: "not-json",
        reason: "not JSON: Unexpected end",
        raw: long,
      },
      { source: "http:crm-1", kind: "not-text", reason: "not UTF-8", raw: binary },
      {
        source: "file:/var/log/100%_done.log",
        kind: "not-json",
        reason: "not JSON: bad token",
        raw: new Uint8Array([0x41]),
      },
      {
        source: "mqtt:camflow/provenance/7",
        kind: "not-prov",
        reason: "unknown relation kind",
        raw: new Uint8Array([0x42]),
      },
    ] as const;
    for (const message of messages) await quarantineMessage(t.store, message);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("lists every message newest first, with counts per transport", async () => {
    const page = await quarantinePage(t.store, {}, 10);
    expect(page.total).toBe(4);
    expect(page.matching).toBe(4);
    expect(page.byTransport).toEqual([
      { transport: "mqtt", count: 2 },
      { transport: "file", count: 1 },
      { transport: "http", count: 1 },
    ]);
    expect(page.messages.map((m) => m.source)).toEqual([
      "mqtt:camflow/provenance/7",
      "file:/var/log/100%_done.log",
      "http:crm-1",
      "mqtt:camflow/provenance/42",
    ]);
    expect(page.nextBefore).toBeNull();
    expect(page.byKind).toEqual([
      { kind: "not-json", count: 2 },
      { kind: "not-prov", count: 1 },
      { kind: "not-text", count: 1 },
    ]);
    expect(page.messages.map((m) => m.kind)).toEqual([
      "not-prov",
      "not-json",
      "not-text",
      "not-json",
    ]);
    const [, , http, mqtt] = page.messages;
    expect(http).toMatchObject({ bytes: 6, preview: { kind: "hex", truncated: false } });
    expect(http?.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(mqtt).toMatchObject({ bytes: long.length, preview: { kind: "text", truncated: true } });
    expect(mqtt?.preview.text).toHaveLength(1024);
    expect(mqtt?.receivedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("filters on parts of the source and the reason, case-insensitively, wildcards literal", async () => {
    const json = await quarantinePage(t.store, { reason: "json" }, 10);
    expect(json.matching).toBe(2);
    expect(json.total).toBe(4);
    expect(json.messages.map((m) => m.source)).toEqual([
      "file:/var/log/100%_done.log",
      "mqtt:camflow/provenance/42",
    ]);
    const both = await quarantinePage(t.store, { source: "PROVENANCE", reason: "JSON" }, 10);
    expect(both.messages.map((m) => m.source)).toEqual(["mqtt:camflow/provenance/42"]);
    expect((await quarantinePage(t.store, { source: "100%_" }, 10)).matching).toBe(1);
    expect((await quarantinePage(t.store, { source: "%" }, 10)).matching).toBe(1);
    expect((await quarantinePage(t.store, { source: "_" }, 10)).matching).toBe(1);
    expect((await quarantinePage(t.store, { source: "nothing" }, 10)).messages).toEqual([]);
  });

  it("filters on the kind of problem, with the other filters", async () => {
    const json = await quarantinePage(t.store, { kind: "not-json" }, 10);
    expect(json).toMatchObject({ total: 4, matching: 2 });
    expect(json.messages.map((m) => m.source)).toEqual([
      "file:/var/log/100%_done.log",
      "mqtt:camflow/provenance/42",
    ]);
    const both = await quarantinePage(t.store, { kind: "not-json", source: "mqtt" }, 10);
    expect(both.messages.map((m) => m.source)).toEqual(["mqtt:camflow/provenance/42"]);
    expect((await quarantinePage(t.store, { kind: "too-large" }, 10)).matching).toBe(0);
  });

  it("gives rows kept before kinds existed a kind from their reason's wording (migration 0019)", async () => {
    const migration = await readFile(
      path.join(import.meta.dirname, "../../../db/migrations/0019_quarantine_kinds.sql"),
      "utf8",
    );
    const update = migration.slice(migration.indexOf("UPDATE"));
    // Reasons as the readers of the version before kinds worded them, one per kind.
    const old: [string, string][] = [
      ["a message of 300000 bytes; the limit is 262144", "too-large"],
      ["expected UTF-8 text or base64, got bytes that are not UTF-8", "not-text"],
      ['expected JSON or base64 of zlib-compressed JSON, got "QUJD"', "not-text"],
      ["not JSON: Unterminated string in JSON at position 163", "not-json"],
      ["no PROV element in the document; sections not understood: wasFooBy", "not-prov"],
      [
        'PROV-JSON document: expected a section such as "entity" or "used", got only "x"',
        "not-prov",
      ],
      ["host web-1 signs its messages; this one is unsigned", "unsigned"],
      ["a signed message from host web-1, which has no registered key", "bad-signature"],
      ["host signature: no signature by the host's key", "bad-signature"],
      ["the document names host a but was signed by b", "bad-signature"],
      ["the store rejected the document: invalid byte sequence (SQLSTATE 22021)", "store-rejected"],
      ['record 3 (Process): expected a non-empty string, got ""', "bad-spade"],
      ["used ex:u1: expected a non-empty string (qualified name), got 1", "bad-prov"],
      ["something no rule knows", "other"],
    ];
    for (const [i, [reason]] of old.entries()) {
      const raw = Buffer.from(`old ${i}`);
      await quarantineMessage(t.store, { source: "file:old", kind: "other", reason, raw });
    }
    await t.store.db.execute(sql.raw(update));
    const kinds = await t.store.rows<{ reason: string; kind: string }>(
      sql`select reason, kind::text as kind from quarantine where source = 'file:old' order by id`,
    );
    expect(kinds.map((row) => [row.reason, row.kind])).toEqual(old);
    await t.store.db.execute(sql`delete from quarantine where source = 'file:old'`);
  });

  it("pages by id: the next page starts below the last one shown", async () => {
    const first = await quarantinePage(t.store, {}, 3);
    expect(first.messages).toHaveLength(3);
    expect(first.nextBefore).toBe(first.messages[2]?.id);
    const second = await quarantinePage(t.store, { before: first.nextBefore as number }, 3);
    expect(second.messages.map((m) => m.source)).toEqual(["mqtt:camflow/provenance/42"]);
    expect(second.nextBefore).toBeNull();
  });

  it("gives a message's raw bytes back exactly, and nothing for an unknown id", async () => {
    const { messages } = await quarantinePage(t.store, { source: "http:" }, 10);
    const id = messages[0]?.id as number;
    const message = await quarantinedMessage(t.store, id);
    expect(message).toMatchObject({ id, source: "http:crm-1", reason: "not UTF-8" });
    expect(Buffer.from(message?.raw as Uint8Array).equals(Buffer.from(binary))).toBe(true);
    expect(await quarantinedMessage(t.store, 999_999)).toBeNull();
  });
});
