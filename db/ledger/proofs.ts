/**
 * Proofs for auditors, built from the stored leaf hashes: the latest checkpoint of a log, an
 * inclusion proof (by index or by the record's object digest) and a consistency proof between
 * two sizes. An auditor checks them with verifyInclusion / verifyConsistency against a
 * checkpoint it trusts; nothing here needs to be trusted.
 */
import { sql } from "drizzle-orm";
import type { Store } from "../client";
import { leafHashes } from "./log";
import { consistencyProof, inclusionProof, rootFromLeafHashes } from "./merkle";

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
 * Inclusion of record `index` (or of the record whose raw document hashes to `object`) in the
 * tree of `treeSize` records (default: the whole log). Throws ProofRequestError on bad input.
 */
export async function inclusionProofFor(
  store: Store,
  origin: string,
  at: { index?: number; object?: string; treeSize?: number },
): Promise<InclusionProofResponse> {
  const id = await logId(store, origin);
  let index = at.index;
  if (index === undefined && at.object !== undefined) {
    const [row] = await store.rows<{ seq: number }>(
      sql`select seq from ledger_records where log_id = ${id} and digest = ${at.object}`,
    );
    if (!row) throw new ProofRequestError(`no record of ${at.object} in ${origin}`);
    index = Number(row.seq);
  }
  const hashes = await leafHashes(store, id);
  const treeSize = at.treeSize ?? hashes.length;
  if (index === undefined || !Number.isSafeInteger(index) || index < 0 || index >= treeSize) {
    throw new ProofRequestError(`index must be in [0, ${treeSize}), got ${index}`);
  }
  if (!Number.isSafeInteger(treeSize) || treeSize > hashes.length) {
    throw new ProofRequestError(`tree size must be at most ${hashes.length}, got ${treeSize}`);
  }
  const tree = hashes.slice(0, treeSize);
  const [leafRow] = await store.rows<{ leaf: Uint8Array }>(
    sql`select leaf from ledger_records where log_id = ${id} and seq = ${index}`,
  );
  return {
    log: origin,
    index,
    treeSize,
    leaf: Buffer.from(leafRow?.leaf ?? []).toString("utf8"),
    leafHash: b64(tree[index] as Uint8Array),
    rootHash: b64(rootFromLeafHashes(tree)),
    proof: inclusionProof(index, tree).map(b64),
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
  const hashes = await leafHashes(store, await logId(store, origin));
  if (
    !Number.isSafeInteger(size1) ||
    !Number.isSafeInteger(size2) ||
    size1 < 1 ||
    size1 > size2 ||
    size2 > hashes.length
  ) {
    throw new ProofRequestError(
      `sizes must satisfy 1 <= size1 <= size2 <= ${hashes.length}, got ${size1} and ${size2}`,
    );
  }
  const tree = hashes.slice(0, size2);
  return {
    log: origin,
    size1,
    size2,
    root1: b64(rootFromLeafHashes(tree.slice(0, size1))),
    root2: b64(rootFromLeafHashes(tree)),
    proof: consistencyProof(size1, tree).map(b64),
  };
}
