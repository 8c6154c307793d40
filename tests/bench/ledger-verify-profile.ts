/**
 * Where verifyLedger's time goes: the same reads and checks db/ledger/verify.ts does, one kind
 * of work at a time, each timed on its own over the same stored logs. The parts add up to
 * roughly the verifier's wall time; what is left is its bookkeeping (maps, finding checks,
 * position classification). The tree part is the root of every checkpointed size and of the
 * whole log in one pass (a compact range, as verify.ts does since it uses compact-range.ts);
 * for comparison it also times each checkpoint's root rebuilt from scratch (verify.ts before
 * that change) and a node hash with a reused input buffer (ledger-tree.ts), after checking that
 * each gives the same roots.
 */
import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Store } from "../../db/client";
import { type ArchivedEntry, decodeBundle } from "../../db/ledger/archive";
import { canonicalBytes } from "../../db/ledger/canonical";
import {
  type DigestedNode,
  type DigestedRelation,
  elementsDigest,
  groupByRecord,
} from "../../db/ledger/log";
import { hashLeaf, rootFromLeafHashes } from "../../db/ledger/merkle";
import { openLogCheckpoint } from "../../db/ledger/signing";
import { timed, timedSync } from "./bench-stats";
import { rootsAtSizes, rootWithScratch, sameBytes } from "./ledger-tree";

export interface VerificationProfile {
  logs: number;
  leaves: number;
  elements: number;
  checkpoints: number;
  /** Sum over checkpoints of their sizes: the leaves verify.ts re-hashes for checkpoint roots. */
  checkpointLeaves: number;
  dbReadMs: { records: number; archive: number; checkpoints: number; elements: number };
  archiveDecodeMs: number;
  leafHashMs: number;
  leafParseMs: number;
  /** The whole log's root and every checkpoint's, in one pass (rootsAtSizes). */
  rootsOnePassMs: number;
  signaturesMs: number;
  elementDigestsMs: number;
  /** For comparison: the whole root, then each checkpoint's root from scratch. */
  rootsFromScratchMs: number;
  /** The whole log's root alone (rootFromLeafHashes). */
  treeRootMs: number;
  /** Suggested: the same root with a reused node-hash input buffer (rootWithScratch). */
  treeRootScratchMs: number;
  /** Suggested: the records read with leaf and leaf_hash as base64 text, decoded in JS. */
  recordsBase64ReadMs: number;
  /** hashLeaf, then rootFromLeafHashes, over the leaves already read: best of a few rounds. */
  ceiling: { leafHashMs: number; rootMs: number };
}

interface LogRow {
  id: number;
  origin: string;
  public_key: Uint8Array;
}

export async function profileVerification(store: Store): Promise<VerificationProfile> {
  const profile: VerificationProfile = {
    logs: 0,
    leaves: 0,
    elements: 0,
    checkpoints: 0,
    checkpointLeaves: 0,
    dbReadMs: { records: 0, archive: 0, checkpoints: 0, elements: 0 },
    archiveDecodeMs: 0,
    leafHashMs: 0,
    leafParseMs: 0,
    rootsOnePassMs: 0,
    signaturesMs: 0,
    elementDigestsMs: 0,
    rootsFromScratchMs: 0,
    treeRootMs: 0,
    treeRootScratchMs: 0,
    recordsBase64ReadMs: 0,
    ceiling: { leafHashMs: 0, rootMs: 0 },
  };
  const allLeaves: Uint8Array[][] = [];
  const logs = await store.rows<LogRow>(
    sql`select id, origin, public_key from ledger_logs order by origin`,
  );
  for (const log of logs) {
    profile.logs += 1;
    const records = await timed(() =>
      store.rows<{ seq: number; leaf: Uint8Array; leaf_hash: Uint8Array }>(sql`
        select seq, leaf, leaf_hash from ledger_records where log_id = ${log.id} order by seq`),
    );
    profile.dbReadMs.records += records.ms;
    const base64 = await timed(async () =>
      (
        await store.rows<{ seq: number; leaf: string; leaf_hash: string }>(sql`
          select seq, encode(leaf, 'base64') as leaf, encode(leaf_hash, 'base64') as leaf_hash
          from ledger_records where log_id = ${log.id} order by seq`)
      ).map((r) => ({
        seq: r.seq,
        leaf: Buffer.from(r.leaf, "base64"),
        leafHash: Buffer.from(r.leaf_hash, "base64"),
      })),
    );
    profile.recordsBase64ReadMs += base64.ms;
    for (const [i, row] of base64.value.entries()) {
      const direct = records.value[i];
      if (!direct || !sameBytes(row.leaf, new Uint8Array(direct.leaf))) {
        throw new Error(`${log.origin} ${i}: base64 read differs from the bytea read`);
      }
    }
    const archiveRows = await timed(async () => ({
      bundles: await store.rows<{ first_seq: number; data: Uint8Array }>(sql`
        select first_seq, count, data from ledger_bundles where log_id = ${log.id} order by first_seq`),
      tail: await store.rows<{ seq: number; leaf: Uint8Array; raw: Uint8Array }>(sql`
        select seq, leaf, raw from ledger_archive_tail where log_id = ${log.id}`),
    }));
    profile.dbReadMs.archive += archiveRows.ms;
    const checkpoints = await timed(() =>
      store.rows<{ size: number; root_hash: Uint8Array; note: string }>(sql`
        select size, root_hash, note from ledger_checkpoints where log_id = ${log.id} order by size, id`),
    );
    profile.dbReadMs.checkpoints += checkpoints.ms;
    const elements = await timed(async () => ({
      nodes: await store.rows<DigestedNode & { ledger_seq: number }>(sql`
        select ext_id, kind::text as kind, prov_type, label, attributes, ledger_seq
        from prov_nodes where ledger_log_id = ${log.id}`),
      relations: await store.rows<DigestedRelation & { ledger_seq: number }>(sql`
        select ext_id, kind::text as kind, from_ext_id, to_ext_id, time, attributes, ledger_seq
        from prov_relations where ledger_log_id = ${log.id}`),
    }));
    profile.dbReadMs.elements += elements.ms;

    // Archive: decode every bundle, hash every raw message, compare the leaf copies.
    const leaves = records.value.map((r) => new Uint8Array(r.leaf));
    allLeaves.push(leaves);
    profile.archiveDecodeMs += timedSync(() => {
      const archive = new Map<number, ArchivedEntry>();
      for (const row of archiveRows.value.tail) {
        archive.set(Number(row.seq), {
          leaf: new Uint8Array(row.leaf),
          raw: new Uint8Array(row.raw),
        });
      }
      for (const bundle of archiveRows.value.bundles) {
        const first = Number(bundle.first_seq);
        for (const [i, entry] of decodeBundle(new Uint8Array(bundle.data)).entries()) {
          archive.set(first + i, entry);
        }
      }
      for (const [i, row] of records.value.entries()) {
        const copy = archive.get(Number(row.seq));
        if (!copy || !sameBytes(copy.leaf, leaves[i] as Uint8Array)) {
          throw new Error(`${log.origin} ${row.seq}: no matching archive copy`);
        }
        createHash("sha256").update(copy.raw).digest("hex");
      }
    }).ms;

    const hashed = timedSync(() =>
      leaves.map((leaf, i) => {
        const h = hashLeaf(leaf);
        if (!sameBytes(h, new Uint8Array(records.value[i]?.leaf_hash ?? []))) {
          throw new Error(`${log.origin} ${i}: the stored leaf hash differs`);
        }
        return h;
      }),
    );
    profile.leafHashMs += hashed.ms;
    const hashes = hashed.value;

    const parsed = timedSync(() =>
      leaves.map((leaf) => {
        const value = JSON.parse(Buffer.from(leaf).toString("utf8")) as { digest: string };
        if (!sameBytes(canonicalBytes(value), leaf)) throw new Error("leaf not canonical");
        return value;
      }),
    );
    profile.leafParseMs += parsed.ms;

    const sizes = checkpoints.value.map((c) => Number(c.size));
    profile.checkpoints += sizes.length;
    for (const size of sizes) profile.checkpointLeaves += size;
    const onePass = timedSync(() => rootsAtSizes(hashes, [...sizes, hashes.length]));
    profile.rootsOnePassMs += onePass.ms;
    profile.signaturesMs += timedSync(() => {
      for (const checkpoint of checkpoints.value) {
        openLogCheckpoint(log.origin, new Uint8Array(log.public_key), checkpoint.note);
      }
    }).ms;

    const digests = timedSync(() => {
      const bySeq = groupByRecord(elements.value.nodes, elements.value.relations);
      for (const [i, leaf] of parsed.value.entries()) {
        const g = bySeq.get(Number(records.value[i]?.seq)) ?? { nodes: [], relations: [] };
        if (elementsDigest(g.nodes, g.relations) !== leaf.digest) {
          throw new Error(`${log.origin} ${i}: element digest differs`);
        }
      }
    });
    profile.elementDigestsMs += digests.ms;

    // Comparisons, checked against the ledger's own results first.
    const fromScratch = timedSync(() => [
      rootFromLeafHashes(hashes),
      ...sizes.map((size) => rootFromLeafHashes(hashes.slice(0, size))),
    ]);
    profile.rootsFromScratchMs += fromScratch.ms;
    [hashes.length, ...sizes].forEach((size, i) => {
      const expected = fromScratch.value[i] as Uint8Array;
      if (size > 0 && !sameBytes(onePass.value.get(size) as Uint8Array, expected)) {
        throw new Error(`${log.origin}: rootsAtSizes disagrees at size ${size}`);
      }
    });
    if (hashes.length > 0) {
      const root = timedSync(() => rootFromLeafHashes(hashes));
      const scratch = timedSync(() => rootWithScratch(hashes));
      profile.treeRootMs += root.ms;
      profile.treeRootScratchMs += scratch.ms;
      if (!sameBytes(scratch.value, root.value)) {
        throw new Error(`${log.origin}: rootWithScratch disagrees with rootFromLeafHashes`);
      }
    }
    profile.leaves += leaves.length;
    profile.elements += elements.value.nodes.length + elements.value.relations.length;
  }
  profile.ceiling = hashingCeiling(allLeaves);
  return profile;
}

/**
 * hashLeaf over every log's leaves, then rootFromLeafHashes: the pure hashing ceiling, over all
 * logs, best of `rounds`.
 */
function hashingCeiling(
  perLog: readonly Uint8Array[][],
  rounds = 2,
): { leafHashMs: number; rootMs: number } {
  let best = { leafHashMs: Number.POSITIVE_INFINITY, rootMs: Number.POSITIVE_INFINITY };
  for (let round = 0; round < rounds; round++) {
    let leafHashMs = 0;
    let rootMs = 0;
    for (const leaves of perLog) {
      const hashed = timedSync(() => leaves.map(hashLeaf));
      leafHashMs += hashed.ms;
      if (leaves.length > 0) rootMs += timedSync(() => rootFromLeafHashes(hashed.value)).ms;
    }
    if (leafHashMs + rootMs < best.leafHashMs + best.rootMs) best = { leafHashMs, rootMs };
  }
  return best;
}
