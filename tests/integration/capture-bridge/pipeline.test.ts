/**
 * The batching pipeline against a real store: batches by size, holds sources back when full,
 * retries a store that fails transiently, rejects on any other failure, and a redelivered
 * message changes nothing (not even the ledger).
 */
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import type { Message } from "../../../capture-bridge/pipeline/ingest";
import { type BatchReport, createPipeline } from "../../../capture-bridge/pipeline/pipeline";
import type { Store } from "../../../db/client";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";

const message = (i: number, host = "host-a"): Message => ({
  source: `test:${host}`,
  host,
  payload: Buffer.from(
    JSON.stringify({
      prefix: { ex: "http://example.org/pipeline/" },
      entity: { [`ex:e${i}`]: {} },
      activity: { [`ex:a${i}`]: {} },
      used: { [`ex:u${i}`]: { "prov:activity": `ex:a${i}`, "prov:entity": `ex:e${i}` } },
    }),
  ),
});

async function count(store: Store, table: string): Promise<number> {
  const [row] = await store.rows<{ n: number }>(
    sql`select count(*)::int as n from ${sql.identifier(table)}`,
  );
  return Number(row?.n);
}

/** A store whose transactions fail with `code` the first `times` times. */
function failing(store: Store, code: string, times: number): Store {
  let left = times;
  const db = new Proxy(store.db, {
    get(target, key, receiver) {
      if (key !== "transaction") return Reflect.get(target, key, receiver);
      return (...args: Parameters<Store["db"]["transaction"]>) => {
        if (left-- > 0) {
          const error = Object.assign(new Error(`simulated failure ${code}`), { code });
          return Promise.reject(new Error("the store failed", { cause: error }));
        }
        return target.transaction(...args);
      };
    },
  });
  return { ...store, db };
}

describe.each(STORE_KINDS)("the pipeline on %s", (kind) => {
  let t: TestStore;
  afterEach(async () => {
    await t?.dispose();
  });

  it("writes messages in batches and resolves each after its commit", async () => {
    t = await createTestStore(kind);
    const batches: BatchReport[] = [];
    const pipeline = createPipeline(t.store, {
      maxBatchMessages: 20,
      maxBatchDelayMs: 10_000,
      onBatch: (b) => batches.push(b),
    });
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) => pipeline.onMessage(message(i))),
    );
    expect(outcomes.every((o) => o.documents === 1 && o.newElements === 3)).toBe(true);
    const rest = Array.from({ length: 10 }, (_, i) => pipeline.onMessage(message(100 + i)));
    await pipeline.flush();
    await Promise.all(rest);
    expect(batches.map((b) => b.messages)).toEqual([20, 20, 10]);
    expect(await count(t.store, "ledger_records")).toBe(50);
    expect(await count(t.store, "prov_nodes")).toBe(100);
  });

  it("holds the source back while the messages in flight are at the limit", async () => {
    t = await createTestStore(kind);
    const pipeline = createPipeline(t.store, { maxInFlightMessages: 3, maxBatchDelayMs: 50 });
    const taken = [0, 1, 2].map((i) => pipeline.onMessage(message(i)));
    let ready = false;
    const waiting = pipeline.whenReady().then(() => {
      ready = true;
    });
    expect(pipeline.inFlight.messages).toBe(3);
    await Promise.resolve();
    expect(ready).toBe(false);
    await Promise.all(taken);
    await waiting;
    expect(ready).toBe(true);
    expect(pipeline.inFlight).toEqual({ messages: 0, bytes: 0, elements: 0 });
  });

  it("stores nothing new, and records nothing, for a redelivered message", async () => {
    t = await createTestStore(kind);
    const pipeline = createPipeline(t.store);
    const first = await pipeline.onMessage(message(1));
    const again = await Promise.all([
      pipeline.onMessage(message(1)),
      pipeline.onMessage(message(1)),
    ]);
    expect(first).toMatchObject({ documents: 1, duplicates: 0, newElements: 3 });
    expect(again).toEqual([
      { documents: 1, duplicates: 1, quarantined: 0, elements: 3, newElements: 0 },
      { documents: 1, duplicates: 1, quarantined: 0, elements: 3, newElements: 0 },
    ]);
    expect(await count(t.store, "ledger_records")).toBe(1);
  });

  it("retries a store that fails transiently, and commits once it is back", async () => {
    t = await createTestStore(kind);
    const retries: number[] = [];
    const pipeline = createPipeline(failing(t.store, "57P01", 3), {
      onRetry: (_error, attempt) => retries.push(attempt),
    });
    const outcome = await pipeline.onMessage(message(7));
    expect(outcome.newElements).toBe(3);
    expect(retries).toEqual([1, 2, 3]);
    expect(await count(t.store, "ledger_records")).toBe(1);
  });

  it("rejects the batch's messages when the store fails for another reason", async () => {
    t = await createTestStore(kind);
    const pipeline = createPipeline(failing(t.store, "42501", 1));
    await expect(pipeline.onMessage(message(8))).rejects.toThrow("the store failed");
    expect(pipeline.inFlight.messages).toBe(0);
    await expect(pipeline.onMessage(message(8))).resolves.toMatchObject({ newElements: 3 });
  });
});
