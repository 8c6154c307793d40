/**
 * Appending to the ledger, inside the ingest transaction: one record per stored document, in
 * the log of the host that sent it. The log row is locked for the append, so sequence numbers
 * are dense and ordered per log while different hosts' logs append in parallel.
 *
 * Every BUNDLE_SIZE records the raw messages are sealed into a compressed bundle; every
 * CHECKPOINT_EVERY records (and on demand: `checkpointAll`) the log signs a checkpoint of its
 * current tree. A re-delivered document (same raw bytes) is not appended again.
 */
import { createHash, generateKeyPairSync } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Executor, Store } from "../client";
import {
  ledgerArchiveTail,
  ledgerBundles,
  ledgerCheckpoints,
  ledgerLogs,
  ledgerRecords,
} from "../schema";
import { BUNDLE_SIZE, encodeBundle } from "./archive";
import { canonicalBytes } from "./canonical";
import { CompactRange } from "./compact-range";
import { hashLeaf } from "./merkle";
import { signLogCheckpoint } from "./signing";

/** The organisation part of every log origin. */
export const LEDGER_ORGANISATION = "provtopia.example";
export const CHECKPOINT_EVERY = 256;

export function hostOrigin(hostName: string): string {
  return `${LEDGER_ORGANISATION}/prov/${hostName}`;
}
export const LEGAL_ORIGIN = `${LEDGER_ORGANISATION}/legal`;

/** What a leaf commits to (RFC 8785 JSON of this object is the leaf's bytes). */
export interface LeafRecord {
  v: 1;
  origin: string;
  seq: number;
  host: string;
  /** The document: `sha256:<hex>` of its raw bytes as received. */
  object: string;
  /** `sha256:<hex>` of the canonical JSON of the graph parsed from it (what the store holds). */
  digest: string;
  receivedAt: string;
  /** Present when the host signed the message: `<host>+<key id hex>` of its key. */
  signedBy?: string;
}

export interface LogRow {
  id: number;
  origin: string;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** The log named `origin` (of `hostId`, or the legal log when null), created with a fresh Ed25519
 * key on first use; locked until the transaction ends. */
export async function lockLog(
  store: Store,
  tx: Executor,
  origin: string,
  hostId: number | null,
): Promise<LogRow> {
  const locked = async () =>
    (
      await store.rows<LogRow>(
        sql`select id, origin, public_key as "publicKey", private_key as "privateKey"
            from ${ledgerLogs} where origin = ${origin} for update`,
        tx,
      )
    )[0];
  const existing = await locked();
  if (existing) return existing;
  const keys = newKeyPair();
  await tx
    .insert(ledgerLogs)
    .values({ origin, hostId, publicKey: keys.publicKey, privateKey: keys.privateKey })
    .onConflictDoNothing();
  const created = await locked();
  if (!created) throw new Error(`couldn't create the ledger log ${origin}`);
  return created;
}

export function newKeyPair(): { publicKey: Uint8Array; privateKey: Uint8Array } {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const jwk = publicKey.export({ format: "jwk" });
  return {
    publicKey: Buffer.from(jwk.x ?? "", "base64url"),
    privateKey: privateKey.export({ format: "der", type: "pkcs8" }),
  };
}

export interface PendingAppend {
  log: LogRow;
  seq: number;
  hostName: string;
  raw: Uint8Array;
  /** `sha256:<hex>` of the raw document. */
  object: string;
  signedBy?: string;
}

/**
 * Reserves the next record of the host's log for a document (locking the log until commit),
 * or returns null when this log already holds the same raw document (a re-delivery). The
 * caller stores the document's elements under (log id, seq), then calls `finishAppend`.
 */
export async function beginAppend(
  store: Store,
  tx: Executor,
  input: { hostId: number; hostName: string; raw: Uint8Array; signedBy?: string },
): Promise<PendingAppend | null> {
  const log = await lockLog(store, tx, hostOrigin(input.hostName), input.hostId);
  const object = sha256Hex(input.raw);
  const [seen] = await store.rows(
    sql`select 1 from ${ledgerRecords} where log_id = ${log.id} and digest = ${object} limit 1`,
    tx,
  );
  if (seen) return null;
  const [next] = await store.rows<{ seq: number }>(
    sql`select coalesce(max(seq) + 1, 0)::bigint as seq from ${ledgerRecords} where log_id = ${log.id}`,
    tx,
  );
  return {
    log,
    seq: Number(next?.seq ?? 0),
    hostName: input.hostName,
    raw: input.raw,
    object,
    ...(input.signedBy ? { signedBy: input.signedBy } : {}),
  };
}

/**
 * Writes the reserved record. `digest` commits to the elements the document added to the store
 * (see `elementsDigest`); sealing and checkpointing happen here when a boundary is reached.
 */
export async function finishAppend(
  store: Store,
  tx: Executor,
  pending: PendingAppend,
  digest: string,
  receivedAt: Date,
): Promise<void> {
  const { log, seq } = pending;
  const leaf = canonicalBytes(leafRecord(pending, digest, receivedAt));
  const leafHash = hashLeaf(leaf);
  await tx.insert(ledgerRecords).values({
    logId: log.id,
    seq,
    leaf,
    leafHash,
    digest: pending.object,
  });
  const range = await compactRangeOf(store, tx, log.id, seq);
  range.append(leafHash);
  await tx
    .update(ledgerLogs)
    .set({ compactRange: range.serialize() })
    .where(sql`${ledgerLogs.id} = ${log.id}`);
  await tx.insert(ledgerArchiveTail).values({ logId: log.id, seq, leaf, raw: pending.raw });
  if ((seq + 1) % BUNDLE_SIZE === 0) await sealBundle(store, tx, log.id, seq + 1 - BUNDLE_SIZE);
  if ((seq + 1) % CHECKPOINT_EVERY === 0) await writeCheckpoint(store, tx, log);
}

/** The record a reserved append commits to; its RFC 8785 JSON is the leaf. */
export function leafRecord(pending: PendingAppend, digest: string, receivedAt: Date): LeafRecord {
  return {
    v: 1,
    origin: pending.log.origin,
    seq: pending.seq,
    host: pending.hostName,
    object: pending.object,
    digest,
    receivedAt: receivedAt.toISOString(),
    ...(pending.signedBy ? { signedBy: pending.signedBy } : {}),
  };
}

/** An event of the portal's own that has legal weight: consent, a rule, a DPO action. */
export interface LegalEvent {
  type: string;
  /** Who did it: a user's email, or "system". */
  actor: string;
  details: Record<string, unknown>;
}

/**
 * Appends a legal event to the legal log, in its own transaction; returns its sequence number.
 * The event's canonical JSON is the archived raw message, and the leaf's digest is its hash.
 */
export async function appendLegalEvent(
  store: Store,
  event: LegalEvent,
  at: Date = new Date(),
): Promise<number> {
  const raw = canonicalBytes({ ...event, at: at.toISOString() });
  return store.db.transaction(async (tx) => {
    const log = await lockLog(store, tx, LEGAL_ORIGIN, null);
    const [next] = await store.rows<{ seq: number }>(
      sql`select coalesce(max(seq) + 1, 0)::bigint as seq from ${ledgerRecords} where log_id = ${log.id}`,
      tx,
    );
    const pending: PendingAppend = {
      log,
      seq: Number(next?.seq ?? 0),
      hostName: "portal",
      raw,
      object: sha256Hex(raw),
    };
    await finishAppend(store, tx, pending, sha256Hex(raw), at);
    return pending.seq;
  });
}

/** Stored elements as the ledger digests them: one shape for ingest and for the verifier. */
export interface DigestedNode {
  ext_id: string;
  kind: string;
  prov_type: string | null;
  label: string | null;
  attributes: unknown;
}
export interface DigestedRelation {
  ext_id: string;
  kind: string;
  from_ext_id: string;
  to_ext_id: string;
  time: string | null;
  attributes: unknown;
}

/** Stored elements grouped by the record (sequence number) that brought them in. */
export function groupByRecord(
  nodes: readonly (DigestedNode & { ledger_seq: number })[],
  relations: readonly (DigestedRelation & { ledger_seq: number })[],
): Map<number, { nodes: DigestedNode[]; relations: DigestedRelation[] }> {
  const bySeq = new Map<number, { nodes: DigestedNode[]; relations: DigestedRelation[] }>();
  const group = (seq: number) => {
    let g = bySeq.get(seq);
    if (!g) {
      g = { nodes: [], relations: [] };
      bySeq.set(seq, g);
    }
    return g;
  };
  for (const node of nodes) group(Number(node.ledger_seq)).nodes.push(node);
  for (const relation of relations) group(Number(relation.ledger_seq)).relations.push(relation);
  return bySeq;
}

/** `sha256:<hex>` of the canonical JSON of a record's elements, each list sorted by ext_id. */
export function elementsDigest(nodes: DigestedNode[], relations: DigestedRelation[]): string {
  const byId = (a: { ext_id: string }, b: { ext_id: string }) =>
    a.ext_id < b.ext_id ? -1 : a.ext_id > b.ext_id ? 1 : 0;
  const pick = <T extends object>(row: T, keys: (keyof T)[]) =>
    Object.fromEntries(keys.map((k) => [k, row[k] ?? null]));
  return sha256Hex(
    canonicalBytes({
      nodes: [...nodes]
        .sort(byId)
        .map((n) => pick(n, ["ext_id", "kind", "prov_type", "label", "attributes"])),
      relations: [...relations]
        .sort(byId)
        .map((r) => pick(r, ["ext_id", "kind", "from_ext_id", "to_ext_id", "time", "attributes"])),
    }),
  );
}

export async function sealBundle(
  store: Store,
  tx: Executor,
  logId: number,
  firstSeq: number,
): Promise<void> {
  const entries = await store.rows<{ leaf: Uint8Array; raw: Uint8Array }>(
    sql`select leaf, raw from ${ledgerArchiveTail}
        where log_id = ${logId} and seq >= ${firstSeq} and seq < ${firstSeq + BUNDLE_SIZE}
        order by seq`,
    tx,
  );
  if (entries.length !== BUNDLE_SIZE) {
    throw new Error(
      `couldn't seal bundle ${firstSeq} of log ${logId}: the tail holds ${entries.length} of its ${BUNDLE_SIZE} records`,
    );
  }
  await tx.insert(ledgerBundles).values({
    logId,
    firstSeq,
    count: BUNDLE_SIZE,
    data: encodeBundle(entries),
    rawBytes: entries.reduce((sum, e) => sum + e.raw.length, 0),
  });
  await tx.execute(
    sql`delete from ${ledgerArchiveTail}
        where log_id = ${logId} and seq >= ${firstSeq} and seq < ${firstSeq + BUNDLE_SIZE}`,
  );
}

/** All leaf hashes of a log in order (32 bytes each). */
export async function leafHashes(
  store: Store,
  logId: number,
  executor?: Executor,
): Promise<Uint8Array[]> {
  const rows = await store.rows<{ leaf_hash: Uint8Array }>(
    sql`select leaf_hash from ${ledgerRecords} where log_id = ${logId} order by seq`,
    executor,
  );
  return rows.map((r) => new Uint8Array(r.leaf_hash));
}

/** Signs and stores a checkpoint of the log's whole tree, unless its size is checkpointed. */
/**
 * The log's compact range over its first `size` records: the stored one when it is that size,
 * else rebuilt from the leaf hashes (logs written before ranges were kept).
 */
export async function compactRangeOf(
  store: Store,
  tx: Executor,
  logId: number,
  size: number,
): Promise<CompactRange> {
  const [row] = await store.rows<{ compact_range: Uint8Array | null }>(
    sql`select compact_range from ${ledgerLogs} where id = ${logId}`,
    tx,
  );
  if (row?.compact_range) {
    const stored = CompactRange.deserialize(new Uint8Array(row.compact_range));
    if (stored.size === size) return stored;
  }
  const rebuilt = new CompactRange();
  for (const hash of (await leafHashes(store, logId, tx)).slice(0, size)) rebuilt.append(hash);
  return rebuilt;
}

export async function writeCheckpoint(store: Store, tx: Executor, log: LogRow): Promise<boolean> {
  const [count] = await store.rows<{ n: number }>(
    sql`select coalesce(max(seq) + 1, 0)::bigint as n from ${ledgerRecords} where log_id = ${log.id}`,
    tx,
  );
  const size = Number(count?.n ?? 0);
  if (size === 0) return false;
  const [latest] = await store.rows<{ size: number }>(
    sql`select max(size)::bigint as size from ${ledgerCheckpoints} where log_id = ${log.id}`,
    tx,
  );
  if (latest?.size !== null && latest?.size !== undefined && Number(latest.size) >= size)
    return false;
  const rootHash = (await compactRangeOf(store, tx, log.id, size)).root();
  const note = signLogCheckpoint(log, size, rootHash);
  await tx.insert(ledgerCheckpoints).values({ logId: log.id, size, rootHash, note });
  return true;
}

/** Checkpoints every log that grew since its last checkpoint (the "every T seconds" path). */
export async function checkpointAll(store: Store): Promise<number> {
  const logs = await store.rows<{ id: number }>(sql`select id from ${ledgerLogs} order by id`);
  let written = 0;
  for (const { id } of logs) {
    const wrote = await store.db.transaction(async (tx) => {
      const [log] = await store.rows<LogRow>(
        sql`select id, origin, public_key as "publicKey", private_key as "privateKey"
            from ${ledgerLogs} where id = ${id} for update`,
        tx,
      );
      return log ? writeCheckpoint(store, tx, log) : false;
    });
    if (wrote) written += 1;
  }
  return written;
}
