/**
 * Proofs for auditors, built from the stored leaf hashes: the latest checkpoint of a log, an
 * inclusion proof (by index or by the record's object digest) and a consistency proof between
 * two sizes. An auditor checks them with verifyInclusion / verifyConsistency against a
 * checkpoint it trusts; nothing here needs to be trusted.
 */
import { sql } from "drizzle-orm";
import type { Store } from "../client";
import { consistencyProofFrom, inclusionProofFrom } from "./merkle";
import { plannedRanges, StoredTree } from "./tree";

export class ProofRequestError extends Error {
  readonly code = "PROOF_REQUEST";
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

async function logId(store: Store, origin: string): Promise<number> {
  const [row] = await store.rows<{ id: number }>(
    sql`select id from ledger_logs where origin = ${origin}`,
  );
  if (!row) throw new ProofRequestError(`no log ${JSON.stringify(origin)}`);
  return row.id;
}

export async function listLogs(store: Store) {
  return store.rows<{ origin: string; size: number; checkpointSize: number | null }>(sql`
    select l.origin,
      (select count(*) from ledger_records r where r.log_id = l.id)::int as size,
      (select max(size) from ledger_checkpoints c where c.log_id = l.id)::int as "checkpointSize"
    from ledger_logs l order by l.origin`);
}

/** The latest signed checkpoint note of a log, or null if it has none yet. */
export async function latestCheckpoint(store: Store, origin: string): Promise<string | null> {
  const id = await logId(store, origin);
  const [row] = await store.rows<{ note: string }>(sql`
    select note from ledger_checkpoints where log_id = ${id} order by size desc, id desc limit 1`);
  return row?.note ?? null;
}

export interface InclusionProofResponse {
  log: string;
  index: number;
  treeSize: number;
  leaf: string;
  leafHash: string;
  rootHash: string;
  proof: string[];
}

/**
 * The log's id and size (one past its highest sequence number: an index lookup, not a count).
 * Throws ProofRequestError when there is no such log.
 */
async function logAndSize(store: Store, origin: string): Promise<{ id: number; size: number }> {
  const [row] = await store.rows<{ id: number; size: number }>(sql`
    select l.id,
      (select coalesce(max(seq) + 1, 0) from ledger_records r where r.log_id = l.id)::bigint as size
    from ledger_logs l where l.origin = ${origin}`);
  if (!row) throw new ProofRequestError(`no log ${JSON.stringify(origin)}`);
  return { id: row.id, size: Number(row.size) };
}

/**
 * Inclusion of record `index` (or of the record whose raw document hashes to `object`) in the
 * tree of `treeSize` records (default: the whole log). Throws ProofRequestError on bad input.
 * Reads O(log n) stored subtrees and at most a few runs of 256 leaf hashes (tree.ts).
 */
export async function inclusionProofFor(
  store: Store,
  origin: string,
  at: { index?: number; object?: string; treeSize?: number },
): Promise<InclusionProofResponse> {
  const { id, size } = await logAndSize(store, origin);
  let index = at.index;
  if (index === undefined && at.object !== undefined) {
    const [row] = await store.rows<{ seq: number }>(
      sql`select seq from ledger_records where log_id = ${id} and digest = ${at.object}`,
    );
    if (!row) throw new ProofRequestError(`no record of ${at.object} in ${origin}`);
    index = Number(row.seq);
  }
  const treeSize = at.treeSize ?? size;
  if (index === undefined || !Number.isSafeInteger(index) || index < 0 || index >= treeSize) {
    throw new ProofRequestError(`index must be in [0, ${treeSize}), got ${index}`);
  }
  if (!Number.isSafeInteger(treeSize) || treeSize > size) {
    throw new ProofRequestError(`tree size must be at most ${size}, got ${treeSize}`);
  }
  const leafIndex = index;
  const [tree, [leafRow]] = await Promise.all([
    StoredTree.load(store, id, [
      [0, treeSize],
      ...plannedRanges((root) => inclusionProofFrom(leafIndex, treeSize, root)),
    ]),
    store.rows<{ leaf: Uint8Array; leaf_hash: Uint8Array }>(
      sql`select leaf, leaf_hash from ledger_records where log_id = ${id} and seq = ${leafIndex}`,
    ),
  ]);
  return {
    log: origin,
    index,
    treeSize,
    leaf: Buffer.from(leafRow?.leaf ?? []).toString("utf8"),
    leafHash: b64(new Uint8Array(leafRow?.leaf_hash ?? [])),
    rootHash: b64(tree.root(0, treeSize)),
    proof: inclusionProofFrom(index, treeSize, tree.root).map(b64),
  };
}

export interface ConsistencyProofResponse {
  log: string;
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[];
}

/** Consistency of the tree of `size1` records with the tree of `size2`. */
export async function consistencyProofFor(
  store: Store,
  origin: string,
  size1: number,
  size2: number,
): Promise<ConsistencyProofResponse> {
  const { id, size } = await logAndSize(store, origin);
  if (
    !Number.isSafeInteger(size1) ||
    !Number.isSafeInteger(size2) ||
    size1 < 1 ||
    size1 > size2 ||
    size2 > size
  ) {
    throw new ProofRequestError(
      `sizes must satisfy 1 <= size1 <= size2 <= ${size}, got ${size1} and ${size2}`,
    );
  }
  const tree = await StoredTree.load(store, id, [
    [0, size1],
    [0, size2],
    ...plannedRanges((root) => consistencyProofFrom(size1, size2, root)),
  ]);
  return {
    log: origin,
    size1,
    size2,
    root1: b64(tree.root(0, size1)),
    root2: b64(tree.root(0, size2)),
    proof: consistencyProofFrom(size1, size2, tree.root).map(b64),
  };
}
