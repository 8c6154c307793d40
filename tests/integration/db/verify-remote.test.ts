/**
 * The verifier's worker threads read their own chunks over their own PostgreSQL connections
 * (VerifyPool.runRemote): what a worker reads and verifies must be exactly what the main thread
 * reads with Store.copyBinary and verifies itself, and a worker that cannot read says so with a
 * RemoteReadError and stays usable. Needs the real server (DATABASE_URL).
 */
import * as crypto from "node:crypto";
import * as zlib from "node:zlib";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendLegalEvent } from "../../../db/ledger/log";
import { inSnapshot } from "../../../db/ledger/verification";
import { chunkSelect, planChunks, readChunk, verifyLedger } from "../../../db/ledger/verify";
import { verifyChunk } from "../../../db/ledger/verify-chunk";
import { RemoteReadError, VerifyPool } from "../../../db/ledger/verify-pool";
import { buildSyntheticLogs, insertSyntheticLogs } from "../../bench/ledger-synthetic";
import { createTestStore, REAL_DATABASE_URL, type TestStore } from "../../setup/databases";

const deps = { crypto, zlib };

describe.skipIf(!REAL_DATABASE_URL)("verifier workers reading their own chunks", () => {
  let t: TestStore;
  const pool = new VerifyPool(2);
  beforeAll(async () => {
    t = await createTestStore("postgres");
    await insertSyntheticLogs(
      t.store,
      buildSyntheticLogs({ logs: 2, leavesPerLog: 1_000, hostPrefix: "remote" }),
    );
  });
  afterAll(async () => {
    await pool.close();
    await t?.dispose();
  });

  it("verifies each chunk exactly as the main thread does with the rows it reads", async () => {
    const url = t.store.url as string;
    expect(url).toMatch(/^postgres/);
    const logs = await t.store.rows<{ id: number; origin: string; host: string }>(sql`
      select l.id, l.origin, h.name as host
      from ledger_logs l join hosts h on h.id = l.host_id order by l.origin`);
    expect(logs).toHaveLength(2);
    // One record changed behind the ledger's back, so the outputs hold a finding too.
    await t.store.rows(sql`
      update ledger_records set leaf = leaf || '\\x20'::bytea
      where log_id = ${logs[0]?.id as number} and seq = 300`);
    let chunks = 0;
    for (const log of logs) {
      const plan = await planChunks(t.store, log.id, 256);
      expect(plan).toHaveLength(4);
      const remote = await Promise.all(
        plan.map((chunk) =>
          pool.runRemote({
            url,
            select: chunkSelect(log.id, chunk),
            input: {
              origin: log.origin,
              host: log.host,
              ownedFrom: chunk.ownedFrom,
              ownedTo: chunk.ownedTo,
            },
          }),
        ),
      );
      for (const [k, chunk] of plan.entries()) {
        const here = verifyChunk(await readChunk(t.store, log, chunk), deps);
        expect(remote[k]).toEqual(here);
        chunks += 1;
      }
    }
    expect(chunks).toBe(8);
    // And the whole verification, chunks read by the workers, names the record.
    const { report } = await verifyLedger(t.store, { workers: 2, chunkSize: 256 });
    expect(report.ok).toBe(false);
    expect(report.findings).toContainEqual(
      expect.objectContaining({ log: logs[0]?.origin, index: 300, kind: "changed" }),
    );
    expect(report.leaves).toBe(2_000);
  });

  it("rejects with a RemoteReadError when the worker cannot read, and stays usable", async () => {
    const bad = new URL(t.store.url as string);
    bad.pathname = "/verify_speed_no_such_database";
    const chunk = { from: 0, to: 256, ownedFrom: 0, ownedTo: 255 };
    const input = { origin: "x", host: "x", ownedFrom: 0, ownedTo: 255 };
    await expect(
      pool.runRemote({ url: bad.toString(), select: chunkSelect(1, chunk), input }),
    ).rejects.toBeInstanceOf(RemoteReadError);
    expect(pool.usable).toBe(true);
    const out = await pool.runRemote({
      url: t.store.url as string,
      select: chunkSelect(1, chunk),
      input,
    });
    expect(out.count).toBe(256);
  });
});

describe.skipIf(!REAL_DATABASE_URL)(
  "a verification on one snapshot, worker threads included",
  () => {
    let t: TestStore;
    beforeAll(async () => {
      t = await createTestStore("postgres");
      // 500 legal records: bundle 0..255 sealed, 256..499 in the archive's tail.
      for (let i = 0; i < 500; i++) {
        await appendLegalEvent(t.store, { type: "test", actor: "system", details: { i } });
      }
    }, 120_000);
    afterAll(async () => {
      await t?.dispose();
    });

    it("does not see records appended, and a bundle sealed, after it started", async () => {
      const { report } = await inSnapshot(t.store, async (snapshotStore, snapshot) => {
        expect(snapshot).toMatch(/^[0-9A-F]+-[0-9A-F]+-\d+$/);
        // Meanwhile, outside the snapshot, the log grows past 512: bundle 256..511 is sealed and
        // the tail rows it took are deleted.
        for (let i = 500; i < 520; i++) {
          await appendLegalEvent(t.store, { type: "test", actor: "system", details: { i } });
        }
        // Two chunks of 256: the workers read them (a log of one chunk is verified here).
        return verifyLedger(snapshotStore, { workers: 2, chunkSize: 256, snapshot });
      });
      expect(report.findings).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.leaves).toBe(500);

      const after = await verifyLedger(t.store, { workers: 2, chunkSize: 256 });
      expect(after.report.findings).toEqual([]);
      expect(after.report.leaves).toBe(520);
    }, 120_000);
  },
);
