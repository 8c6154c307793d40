/**
 * Property tests of the proofs the store builds (issue 4): for random tree sizes and indices,
 * every inclusion and consistency proof that inclusionProofFor / consistencyProofFor serve
 * verifies against roots recomputed here from the stored leaf bytes, and every single-bit
 * change to a proof element, the leaf hash or a root makes it fail. The log is written with
 * the batch append (beginAppends / finishAppends), which stores the 256+ leaf subtrees proofs
 * read; the same properties hold once those are gone (a log older than ledger_subtrees).
 */
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { beginAppends, elementsDigest, finishAppends, hostOrigin } from "../../../db/ledger/log";
import {
  hashLeaf,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from "../../../db/ledger/merkle";
import { consistencyProofFor, inclusionProofFor } from "../../../db/ledger/proofs";
import { verifyLedger } from "../../../db/ledger/verify";
import { hosts } from "../../../db/schema";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";

const HOST = "proof-host";
const ORIGIN = hostOrigin(HOST);
const SIZE = 1_300; // five 256-leaf subtrees, one of 1,024, and a tail
const BATCH = 97; // batches that straddle every boundary

// The records bring no elements into the store.
const NO_ELEMENTS = elementsDigest([], []);
const fromB64 = (text: string) => new Uint8Array(Buffer.from(text, "base64"));

function flip(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
  return copy;
}

describe.each(STORE_KINDS)("proofs from the store on %s", (kind) => {
  let t: TestStore;
  let leafHashes: Uint8Array[];
  const rootAt = new Map<number, Uint8Array>();
  const root = (size: number) => {
    let r = rootAt.get(size);
    if (!r) {
      r = rootFromLeafHashes(leafHashes.slice(0, size));
      rootAt.set(size, r);
    }
    return r;
  };

  beforeAll(async () => {
    t = await createTestStore(kind);
    const [host] = await t.store.db.insert(hosts).values({ name: HOST }).returning();
    const hostId = host?.id ?? -1;
    for (let from = 0; from < SIZE; from += BATCH) {
      await t.store.db.transaction(async (tx) => {
        const documents = Array.from({ length: Math.min(BATCH, SIZE - from) }, (_, i) => ({
          raw: Buffer.from(`{"document":${from + i}}`),
        }));
        const pending = await beginAppends(t.store, tx, { hostId, hostName: HOST, documents });
        await finishAppends(
          t.store,
          tx,
          pending.flatMap((p) =>
            p ? [{ pending: p, digest: NO_ELEMENTS, receivedAt: new Date(0) }] : [],
          ),
        );
      });
    }
    // A re-delivered document is not appended again.
    await t.store.db.transaction(async (tx) => {
      const again = await beginAppends(t.store, tx, {
        hostId,
        hostName: HOST,
        documents: [{ raw: Buffer.from('{"document":5}') }, { raw: Buffer.from("new") }],
      });
      expect(again.map((p) => p?.seq ?? null)).toEqual([null, SIZE]);
    });
    // Leaf hashes recomputed here from the stored leaf bytes, not read.
    const rows = await t.store.rows<{ leaf: Uint8Array }>(
      sql`select r.leaf from ledger_records r join ledger_logs l on l.id = r.log_id
          where l.origin = ${ORIGIN} order by r.seq`,
    );
    leafHashes = rows.map((r) => hashLeaf(new Uint8Array(r.leaf)));
  }, 120_000);
  afterAll(async () => {
    await t?.dispose();
  });

  it("wrote the log with its subtrees, seals and checkpoints, and it verifies", async () => {
    expect(leafHashes).toHaveLength(SIZE);
    const [counts] = await t.store.rows<{ subtrees: number; bundles: number; checkpoints: number }>(
      sql`select (select count(*) from ledger_subtrees)::int as subtrees,
                 (select count(*) from ledger_bundles)::int as bundles,
                 (select count(*) from ledger_checkpoints)::int as checkpoints`,
    );
    // 256-leaf subtrees at 0..1024 (5), 512 (2), 1,024 (1).
    expect(counts).toEqual({ subtrees: 8, bundles: 5, checkpoints: 5 });
    const { report } = await verifyLedger(t.store);
    expect(report.findings).toEqual([]);
    expect(report.logs[0]?.rootHash).toBe(Buffer.from(root(SIZE)).toString("base64"));
  });

  const inclusion = () =>
    fc.asyncProperty(
      fc
        .integer({ min: 1, max: SIZE })
        .chain((treeSize) =>
          fc.tuple(
            fc.constant(treeSize),
            fc.integer({ min: 0, max: treeSize - 1 }),
            fc.nat({ max: 10_000 }),
          ),
        ),
      async ([treeSize, index, pick]) => {
        const served = await inclusionProofFor(t.store, ORIGIN, { index, treeSize });
        const proof = served.proof.map(fromB64);
        const leafHash = leafHashes[index] as Uint8Array;
        expect(served.treeSize).toBe(treeSize);
        expect(fromB64(served.leafHash)).toEqual(leafHash);
        expect(fromB64(served.rootHash)).toEqual(root(treeSize));
        expect(verifyInclusion(leafHash, index, treeSize, proof, root(treeSize))).toBe(true);
        // One bit flipped in one proof element, the leaf hash or the root.
        const targets = proof.length + 2;
        const target = pick % targets;
        const bit = Math.floor(pick / targets) % 256;
        const broken = proof.map((p, i) => (i === target ? flip(p, bit) : p));
        const leaf = target === proof.length ? flip(leafHash, bit) : leafHash;
        const r = target === proof.length + 1 ? flip(root(treeSize), bit) : root(treeSize);
        expect(verifyInclusion(leaf, index, treeSize, broken, r)).toBe(false);
      },
    );

  const consistency = () =>
    fc.asyncProperty(
      fc
        .integer({ min: 1, max: SIZE })
        .chain((size2) =>
          fc.tuple(fc.integer({ min: 1, max: size2 }), fc.constant(size2), fc.nat({ max: 10_000 })),
        ),
      async ([size1, size2, pick]) => {
        const served = await consistencyProofFor(t.store, ORIGIN, size1, size2);
        const proof = served.proof.map(fromB64);
        expect(fromB64(served.root1)).toEqual(root(size1));
        expect(fromB64(served.root2)).toEqual(root(size2));
        expect(verifyConsistency(size1, size2, proof, root(size1), root(size2))).toBe(true);
        if (size1 === size2) return; // nothing to prove: an empty proof and equal roots
        const targets = proof.length + 2;
        const target = pick % targets;
        const bit = Math.floor(pick / targets) % 256;
        const broken = proof.map((p, i) => (i === target ? flip(p, bit) : p));
        const r1 = target === proof.length ? flip(root(size1), bit) : root(size1);
        const r2 = target === proof.length + 1 ? flip(root(size2), bit) : root(size2);
        expect(verifyConsistency(size1, size2, broken, r1, r2)).toBe(false);
      },
    );

  it("serves inclusion proofs that verify, and fail with any one bit changed", async () => {
    await fc.assert(inclusion(), { numRuns: 60, seed: 4 });
  }, 60_000);

  it("serves consistency proofs that verify, and fail with any one bit changed", async () => {
    await fc.assert(consistency(), { numRuns: 60, seed: 5 });
  }, 60_000);

  it("gives the same proofs with and without the stored subtrees", async () => {
    const [reads] = await t.store.rows<{ n: number }>(
      sql`select count(*)::int as n from ledger_subtrees`,
    );
    expect(reads?.n).toBeGreaterThan(0);
    // The proofs agree with those of a log whose subtrees are gone (built from leaf hashes).
    const withSubtrees = await inclusionProofFor(t.store, ORIGIN, { index: 700 });
    await t.store.db.execute(sql`delete from ledger_subtrees`);
    const withoutSubtrees = await inclusionProofFor(t.store, ORIGIN, { index: 700 });
    expect(withoutSubtrees).toEqual(withSubtrees);
  });

  it("still serves proofs that verify once the stored subtrees are gone", async () => {
    await t.store.db.execute(sql`delete from ledger_subtrees`);
    await fc.assert(inclusion(), { numRuns: 15, seed: 6 });
    await fc.assert(consistency(), { numRuns: 15, seed: 7 });
  }, 60_000);
});
