/**
 * The attack suite of the ledger issue: each attack is plain SQL behind the ledger's back on a
 * copy of one real PostgreSQL database, and each must be caught by `provtopia verify` naming
 * the log and the record. The database holds two hosts' logs: host-a with 300 records (one
 * sealed bundle of 256, a tail of 44, checkpoints at 200, 256 and 300) and host-b with 10.
 * Needs the real server (DATABASE_URL): copies are made with CREATE DATABASE ... TEMPLATE.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IngestTally, ingestMessage } from "../../../capture-bridge/pipeline/ingest";
import { openStore, type Store } from "../../../db/client";
import { decodeBundle, encodeBundle } from "../../../db/ledger/archive";
import { checkpointAll } from "../../../db/ledger/log";
import { verifyConsistency, verifyInclusion } from "../../../db/ledger/merkle";
import { signLogCheckpoint } from "../../../db/ledger/signing";
import { type Finding, type VerifyReport, verifyLedger } from "../../../db/ledger/verify";
import { REAL_DATABASE_URL } from "../../setup/databases";

const run = promisify(execFile);
/** Whose databases these are (tests/setup/databases.ts). */
const PREFIX = process.env.TEST_DATABASE_PREFIX || "provtopia";
const BIN = path.resolve("capture-bridge/bin/provtopia.js");
const A = "provtopia.example/prov/host-a";
const B = "provtopia.example/prov/host-b";

function databaseUrl(name: string): string {
  const url = new URL(REAL_DATABASE_URL as string);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const client = postgres(REAL_DATABASE_URL as string, { max: 1, onnotice: () => {} });
  try {
    return await work(client);
  } finally {
    await client.end({ timeout: 5 });
  }
}

function document(i: number) {
  return JSON.stringify({
    prefix: { ex: "http://example.org/atk/" },
    entity: { [`ex:e${i}`]: { "ex:n": i } },
    activity: { [`ex:a${i}`]: {} },
    used: { [`ex:u${i}`]: { "prov:activity": `ex:a${i}`, "prov:entity": `ex:e${i}` } },
  });
}

async function ingestDocuments(store: Store, host: string, from: number, to: number) {
  const tally = new IngestTally();
  for (let i = from; i < to; i += 1) {
    const payload = new TextEncoder().encode(document(i));
    await ingestMessage(store, { source: `test:${host}`, host, payload }, tally);
  }
  expect(tally.quarantined).toBe(0);
}

interface Verification {
  code: number;
  report: VerifyReport;
}

describe.skipIf(!REAL_DATABASE_URL)("ledger attacks on PostgreSQL", () => {
  const suffix = randomBytes(4).toString("hex");
  const template = `${PREFIX}_atk_tpl_${suffix}`;
  const backup = `${PREFIX}_atk_bak_${suffix}`;
  const created: string[] = [];
  let stateDir: string;

  const createDatabase = async (name: string, from?: string) => {
    await admin((db) => db.unsafe(`create database "${name}"${from ? ` template "${from}"` : ""}`));
    created.push(name);
  };

  const withStore = async <T>(name: string, work: (store: Store) => Promise<T>) => {
    const store = await openStore({ url: databaseUrl(name) });
    try {
      return await work(store);
    } finally {
      await store.close();
    }
  };

  const verify = async (name: string, state?: string): Promise<Verification> => {
    const statePath = state ?? path.join(stateDir, `${name}.json`);
    const env = { ...process.env, DATABASE_URL: databaseUrl(name) };
    try {
      const { stdout } = await run(
        process.execPath,
        [BIN, "verify", "--json", "--state", statePath],
        { env },
      );
      return { code: 0, report: JSON.parse(stdout) };
    } catch (error) {
      const failed = error as { code: number; stdout: string };
      return { code: failed.code, report: JSON.parse(failed.stdout) };
    }
  };

  /** A fresh copy of the template, attacked by `attack`, then verified. */
  const attacked = async (
    attack: (store: Store, logs: { a: number; b: number }) => Promise<void>,
  ) => {
    const name = `${PREFIX}_atk_${randomBytes(4).toString("hex")}`;
    await createDatabase(name, template);
    await withStore(name, async (store) => {
      const rows = await store.rows<{ id: number; origin: string }>(
        sql`select id, origin from ledger_logs`,
      );
      const id = (origin: string) => rows.find((r) => r.origin === origin)?.id ?? -1;
      await attack(store, { a: id(A), b: id(B) });
      // The same verification in chunks of 256 records on worker threads (host-a's 300 records
      // make two chunks, the first a whole bundle) names exactly what one chunk on this thread
      // names.
      const inline = await verifyLedger(store, { workers: 0 });
      const chunked = await verifyLedger(store, { workers: 2, chunkSize: 256 });
      expect(chunked.report).toEqual(inline.report);
    });
    return verify(name);
  };

  const expectFinding = (v: Verification, want: Partial<Finding>) => {
    expect(v.code, JSON.stringify(v.report.findings, null, 1)).toBe(1);
    expect(v.report.ok).toBe(false);
    expect(v.report.findings).toContainEqual(expect.objectContaining(want));
  };

  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), "provtopia-atk-"));
    await createDatabase(template);
    await withStore(template, async (store) => {
      await ingestDocuments(store, "host-a", 0, 200);
      await ingestDocuments(store, "host-b", 1000, 1010);
      await checkpointAll(store);
    });
    await createDatabase(backup, template);
    await withStore(template, async (store) => {
      await ingestDocuments(store, "host-a", 200, 300);
      await checkpointAll(store);
    });
  }, 180_000);

  afterAll(async () => {
    await admin(async (db) => {
      for (const name of created.reverse())
        await db.unsafe(`drop database if exists "${name}" with (force)`);
    });
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it("passes the untouched ledger: 310 records in two logs, sealed, checkpointed", async () => {
    const v = await verify(template);
    expect(v.report.findings).toEqual([]);
    expect(v.code).toBe(0);
    expect(v.report.leaves).toBe(310);
    expect(v.report.logs.map((l) => [l.origin, l.size, l.checkpointSize])).toEqual([
      [A, 300, 300],
      [B, 10, 10],
    ]);
    const [bundles] = await withStore(template, (store) =>
      store.rows<{ n: number }>(sql`select count(*)::int as n from ledger_bundles`),
    );
    expect(bundles?.n).toBe(1);
  });

  const editLeaf = (column: string) =>
    sql.raw(
      `convert_to(replace(convert_from(${column}, 'UTF8'), '"receivedAt":"', '"receivedAt":"1'), 'UTF8')`,
    );

  it("names a record whose body was changed", async () => {
    const v = await attacked(async (store, { a }) => {
      await store.rows(
        sql`update ledger_records set leaf = ${editLeaf("leaf")} where log_id = ${a} and seq = 10`,
      );
    });
    expectFinding(v, { log: A, index: 10, kind: "changed" });
  });

  it("names a stored subtree root that proofs would be built from and is not its records'", async () => {
    const v = await attacked(async (store, { a }) => {
      await store.rows(
        sql`update ledger_subtrees set hash = sha256(hash) where log_id = ${a} and start = 0`,
      );
    });
    expectFinding(v, { log: A, index: 0, kind: "changed" });
    expect(v.report.findings.every((f) => f.detail.includes("ledger_subtrees"))).toBe(true);
  });

  it("names a record whose body was changed and its leaf hash recomputed", async () => {
    const v = await attacked(async (store, { a }) => {
      await store.rows(sql`
        update ledger_records set leaf = ${editLeaf("leaf")},
          leaf_hash = sha256('\\x00'::bytea || ${editLeaf("leaf")})
        where log_id = ${a} and seq = 280`);
    });
    expectFinding(v, { log: A, index: 280, kind: "changed" });
    expectFinding(v, { log: A, kind: "checkpoint-mismatch" });
  });

  it("names a deleted record", async () => {
    const v = await attacked(async (store, { a }) => {
      await store.rows(sql`delete from ledger_records where log_id = ${a} and seq = 100`);
    });
    expectFinding(v, { log: A, index: 100, kind: "missing" });
  });

  it("names a deleted record when the records after it were renumbered", async () => {
    const v = await attacked(async (store, { a }) => {
      await store.rows(sql`delete from ledger_records where log_id = ${a} and seq = 100`);
      await store.rows(sql`update ledger_records set seq = -seq where log_id = ${a} and seq > 100`);
      await store.rows(
        sql`update ledger_records set seq = -seq - 1 where log_id = ${a} and seq < 0`,
      );
    });
    expectFinding(v, { log: A, index: 100, kind: "missing" });
  });

  it("names a record inserted in the middle", async () => {
    const v = await attacked(async (store, { a }) => {
      await store.rows(
        sql`update ledger_records set seq = -seq where log_id = ${a} and seq >= 150`,
      );
      await store.rows(
        sql`update ledger_records set seq = -seq + 1 where log_id = ${a} and seq <= -150`,
      );
      const forged = sql.raw(
        `convert_to(replace(convert_from(leaf, 'UTF8'), '"seq":149', '"seq":150'), 'UTF8')`,
      );
      await store.rows(sql`
        insert into ledger_records (log_id, seq, leaf, leaf_hash, digest)
        select log_id, 150, ${forged}, sha256('\\x00'::bytea || ${forged}), digest || '-forged'
        from ledger_records where log_id = ${a} and seq = 149`);
    });
    expectFinding(v, { log: A, index: 150, kind: "inserted" });
  });

  it("names two records that swapped places", async () => {
    const v = await attacked(async (store, { a }) => {
      await store.rows(sql`update ledger_records set seq = -1 where log_id = ${a} and seq = 40`);
      await store.rows(sql`update ledger_records set seq = 40 where log_id = ${a} and seq = 41`);
      await store.rows(sql`update ledger_records set seq = 41 where log_id = ${a} and seq = -1`);
    });
    expectFinding(v, { log: A, index: 40, kind: "reordered" });
  });

  it("names a record moved to another host's log, in both logs", async () => {
    const v = await attacked(async (store, { a, b }) => {
      await store.rows(sql`
        update ledger_records set log_id = ${b},
          seq = (select max(seq) + 1 from ledger_records where log_id = ${b})
        where log_id = ${a} and seq = 5`);
    });
    expectFinding(v, { log: A, index: 5, kind: "missing" });
    expectFinding(v, { log: B, index: 10, kind: "re-attributed" });
  });

  it("names the record whose element was changed without a new provenance record", async () => {
    let seq = -1;
    const v = await attacked(async (store) => {
      const [row] = await store.rows<{ ledger_seq: number }>(
        sql`select ledger_seq from prov_nodes where ext_id = 'http://example.org/atk/e7'`,
      );
      seq = Number(row?.ledger_seq);
      await store.rows(sql`
        update prov_nodes set attributes = attributes || '{"ex:n": 999}'::jsonb
        where ext_id = 'http://example.org/atk/e7'`);
    });
    expect(seq).toBe(7);
    expectFinding(v, { log: A, index: 7, kind: "object-changed" });
  });

  it("notices an element written with no ledger record at all", async () => {
    const v = await attacked(async (store) => {
      await store.rows(
        sql`insert into prov_nodes (ext_id, kind) values ('http://example.org/atk/ghost', 'entity')`,
      );
    });
    expectFinding(v, { log: "(store)", kind: "object-unrecorded" });
  });

  it("notices the whole database rolled back to an earlier backup", async () => {
    const state = path.join(stateDir, "rollback.json");
    const clean = await verify(template, state);
    expect(clean.code).toBe(0);
    const v = await verify(backup, state);
    expectFinding(v, { log: A, kind: "rolled-back" });
  });

  it("notices two different signed checkpoints of the same size (split view)", async () => {
    const v = await attacked(async (store, { a }) => {
      const [log] = await store.rows<{ origin: string; private_key: Uint8Array }>(
        sql`select origin, private_key from ledger_logs where id = ${a}`,
      );
      const otherRoot = new Uint8Array(32).fill(7);
      const note = signLogCheckpoint(
        { origin: log?.origin ?? "", privateKey: new Uint8Array(log?.private_key ?? []) },
        300,
        otherRoot,
      );
      await store.rows(sql`
        insert into ledger_checkpoints (log_id, size, root_hash, note)
        values (${a}, 300, ${otherRoot}, ${note})`);
    });
    expectFinding(v, { log: A, kind: "split-view" });
  });

  it("rejects a checkpoint whose signature was forged", async () => {
    const v = await attacked(async (store, { a }) => {
      const [row] = await store.rows<{ id: number; note: string }>(
        sql`select id, note from ledger_checkpoints where log_id = ${a} and size = 256`,
      );
      const note = row?.note ?? "";
      const sigStart = note.lastIndexOf(" ") + 1;
      const signature = Buffer.from(note.slice(sigStart).trim(), "base64");
      signature[10] = (signature[10] ?? 0) ^ 0x01;
      const forged = `${note.slice(0, sigStart)}${signature.toString("base64")}\n`;
      await store.rows(
        sql`update ledger_checkpoints set note = ${forged} where id = ${row?.id ?? -1}`,
      );
    });
    expectFinding(v, { log: A, kind: "bad-signature" });
  });

  it("names the record whose raw message was edited inside a sealed bundle", async () => {
    const v = await attacked(async (store, { a }) => {
      const [bundle] = await store.rows<{ data: Uint8Array }>(
        sql`select data from ledger_bundles where log_id = ${a} and first_seq = 0`,
      );
      const entries = decodeBundle(new Uint8Array(bundle?.data ?? []));
      const entry = entries[7];
      if (!entry) throw new Error("bundle entry 7 missing");
      entries[7] = {
        leaf: entry.leaf,
        raw: new TextEncoder().encode(document(7).replace('"ex:n":7', '"ex:n":8')),
      };
      await store.rows(
        sql`update ledger_bundles set data = ${encodeBundle(entries)} where log_id = ${a} and first_seq = 0`,
      );
    });
    expectFinding(v, { log: A, index: 7, kind: "archive" });
  });

  it("notices a sealed bundle whose bytes were damaged", async () => {
    const v = await attacked(async (store, { a }) => {
      await store.rows(sql`
        update ledger_bundles set data = set_byte(data, 40, (get_byte(data, 40) + 1) % 256)
        where log_id = ${a} and first_seq = 0`);
    });
    expectFinding(v, { log: A, index: 0, kind: "archive" });
  });

  it("serves proofs that verify, and that fail once truncated or padded", async () => {
    const env = { ...process.env, DATABASE_URL: databaseUrl(template) };
    const cli = async (...args: string[]) =>
      JSON.parse((await run(process.execPath, [BIN, "proof", ...args], { env })).stdout);
    const decode = (hashes: string[]) =>
      hashes.map((h) => new Uint8Array(Buffer.from(h, "base64")));

    const inclusion = await cli("inclusion", "--log", A, "--index", "123", "--size", "256");
    const leafHash = decode([inclusion.leafHash])[0] as Uint8Array;
    const root = decode([inclusion.rootHash])[0] as Uint8Array;
    const proof = decode(inclusion.proof);
    expect(proof).toHaveLength(8);
    expect(verifyInclusion(leafHash, 123, 256, proof, root)).toBe(true);
    expect(verifyInclusion(leafHash, 123, 256, proof.slice(0, -1), root)).toBe(false);
    expect(verifyInclusion(leafHash, 123, 256, [...proof, new Uint8Array(32)], root)).toBe(false);

    const consistency = await cli("consistency", "--log", A, "--from", "200", "--to", "300");
    const [root1, root2] = decode([consistency.root1, consistency.root2]) as [
      Uint8Array,
      Uint8Array,
    ];
    const cproof = decode(consistency.proof);
    expect(verifyConsistency(200, 300, cproof, root1, root2)).toBe(true);
    expect(verifyConsistency(200, 300, cproof.slice(1), root1, root2)).toBe(false);
    expect(verifyConsistency(200, 300, [...cproof, new Uint8Array(32)], root1, root2)).toBe(false);
  });
});
