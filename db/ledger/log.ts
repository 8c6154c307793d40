/**
 * Appending to the ledger, inside the ingest transaction: one record per stored document, in
 * the log of the host that sent it. The log row is locked for the append, so sequence numbers
 * are dense and ordered per log while different hosts' logs append in parallel.
 *
 * Every BUNDLE_SIZE records the raw messages are sealed into a compressed bundle; every
 * CHECKPOINT_EVERY records (and on demand: `checkpointAll`) the log signs a checkpoint of its
 * current tree. A re-delivered document (same raw bytes) is not appended again.
 */
import { isUtf8 } from "node:buffer";
import { generateKeyPairSync, hash } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Executor, Store } from "../client";
import {
  ledgerArchiveTail,
  ledgerBundles,
  ledgerCheckpoints,
  ledgerLogs,
  ledgerRecords,
  ledgerSubtrees,
} from "../schema";
import { BUNDLE_SIZE, encodeBundleFrom } from "./archive";
import { canonicalBytes, canonicalJson } from "./canonical";
import { CompactRange } from "./compact-range";
import { hashLeaf } from "./merkle";
import { signLogCheckpoint } from "./signing";

/** The organisation part of every log origin. */
export const LEDGER_ORGANISATION = "provtopia.example";
export const CHECKPOINT_EVERY = 256;
/** Records a seal reads and compresses at a time (a sixteenth of a bundle, about 1 MB of CamFlow). */
const SEAL_BATCH = 16;

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
  return `sha256:${hash("sha256", bytes, "hex")}`;
}

/** The log named `origin` (of `hostId`, or the legal log when null), created with a fresh Ed25519
 * key on first use; locked until the transaction ends. */
async function lockLog(
  store: Store,
  tx: Executor,
  origin: string,
  hostId: number | null,
): Promise<LockedLog> {
  const locked = async () =>
    (
      await store.rows<LockedLog>(
        sql`select id, origin, public_key as "publicKey", private_key as "privateKey",
                   compact_range as "compactRange"
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

interface LockedLog extends LogRow {
  compactRange: Uint8Array | null;
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
  /** The log's compact range before this record, shared by the records of one batch. */
  range: CompactRange;
}

/** One document to record: its raw bytes as received and, if the host signed it, the key. */
export interface AppendDocument {
  raw: Uint8Array;
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
  const [pending] = await beginAppends(store, tx, {
    hostId: input.hostId,
    hostName: input.hostName,
    documents: [input.signedBy ? { raw: input.raw, signedBy: input.signedBy } : { raw: input.raw }],
  });
  return pending ?? null;
}

/**
 * `beginAppend` for several documents of one host in one transaction: consecutive records in
 * the order given, null for a document the log already holds or that came earlier in the batch.
 * Two queries whatever the batch's size: the log's lock (with its compact range, whose size is
 * the next sequence number) and the re-delivery check. Finish them all with `finishAppends`.
 */
export async function beginAppends(
  store: Store,
  tx: Executor,
  input: { hostId: number; hostName: string; documents: readonly AppendDocument[] },
): Promise<(PendingAppend | null)[]> {
  const log = await lockLog(store, tx, hostOrigin(input.hostName), input.hostId);
  const objects = input.documents.map((d) => sha256Hex(d.raw));
  const [state] = await store.rows<{ seen: string[] | null; next: number | null }>(
    sql`select
          (select array_agg(digest) from ${ledgerRecords}
           where log_id = ${log.id}
             and digest in (select jsonb_array_elements_text(${JSON.stringify(objects)}::jsonb)))
            as seen,
          ${
            log.compactRange
              ? sql`null::bigint`
              : sql`(select coalesce(max(seq) + 1, 0) from ${ledgerRecords} where log_id = ${log.id})`
          } as next`,
    tx,
  );
  const range = await rangeOf(store, tx, log, state?.next);
  const seen = new Set(state?.seen ?? []);
  let seq = range.size;
  return input.documents.map((document, i) => {
    const object = objects[i] as string;
    if (seen.has(object)) return null;
    seen.add(object);
    return {
      log,
      seq: seq++,
      hostName: input.hostName,
      raw: document.raw,
      object,
      ...(document.signedBy ? { signedBy: document.signedBy } : {}),
      range,
    };
  });
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
  await finishAppends(store, tx, [{ pending, digest, receivedAt }]);
}

/**
 * Writes reserved records of one log, in sequence order with none left out (what `beginAppends`
 * returned, nulls dropped): one statement for the records, their archive copies, the subtrees
 * they complete and the log's compact range; then a sealed bundle and a signed checkpoint at
 * each boundary of BUNDLE_SIZE / CHECKPOINT_EVERY records they cross.
 */
export async function finishAppends(
  store: Store,
  tx: Executor,
  records: readonly { pending: PendingAppend; digest: string; receivedAt: Date }[],
): Promise<void> {
  const first = records[0]?.pending;
  if (!first) return;
  const { log, range } = first;
  if (range.size !== first.seq) {
    throw new Error(
      `ledger ${log.origin}: record ${first.seq} finished out of order (the log has ${range.size})`,
    );
  }
  const rows: {
    seq: number;
    leaf: string;
    leaf_hash: string;
    digest: string;
    raw: string | null;
  }[] = [];
  const subtrees: { start: number; size: number; hash: string }[] = [];
  const checkpoints: { size: number; rootHash: Uint8Array }[] = [];
  const seals: number[] = [];
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
  for (const { pending, digest, receivedAt } of records) {
    if (pending.log.id !== log.id || pending.seq !== range.size) {
      throw new Error(
        `ledger ${log.origin}: record ${pending.seq} finished out of order (the log has ${range.size})`,
      );
    }
    const record: LeafRecord = {
      v: 1,
      origin: log.origin,
      seq: pending.seq,
      host: pending.hostName,
      object: pending.object,
      digest,
      receivedAt: receivedAt.toISOString(),
      ...(pending.signedBy ? { signedBy: pending.signedBy } : {}),
    };
    const leaf = canonicalBytes(record);
    const leafHash = hashLeaf(leaf);
    for (const node of range.append(leafHash)) {
      if (node.size >= BUNDLE_SIZE) {
        subtrees.push({ start: range.size - node.size, size: node.size, hash: b64(node.hash) });
      }
    }
    rows.push({
      seq: pending.seq,
      leaf: b64(leaf),
      leaf_hash: b64(leafHash),
      digest: pending.object,
      raw: null,
    });
    if (range.size % BUNDLE_SIZE === 0) seals.push(range.size - BUNDLE_SIZE);
    if (range.size % CHECKPOINT_EVERY === 0) {
      checkpoints.push({ size: range.size, rootHash: range.root() });
    }
  }
  // Rows travel as one jsonb parameter, small bytes as base64: one round trip per batch. The
  // raw messages (most of the bytes) go as text parameters of their own when they are UTF-8
  // without U+0000, as received messages are: base64 inside JSON would cost an encoding here,
  // and a JSON parse and a decoding in the server, of every byte.
  const asText = records.every(({ pending }) => isUtf8(pending.raw) && !pending.raw.includes(0));
  const raws = asText
    ? sql`(select array[${sql.join(
        records.map(({ pending }) => sql`${Buffer.from(pending.raw).toString("utf8")}`),
        sql`, `,
      )}]::text[])`
    : sql`null::text[]`;
  if (!asText) {
    rows.forEach((row, i) => {
      row.raw = b64((records[i] as (typeof records)[number]).pending.raw);
    });
  }
  await tx.execute(sql`
    with input as (
      select t.*, coalesce(convert_to(${raws}[t.i], 'UTF8'), decode(t.raw, 'base64')) as bytes
      from jsonb_to_recordset(${JSON.stringify(rows.map((row, i) => ({ ...row, i: i + 1 })))}::jsonb)
        as t(i integer, seq bigint, leaf text, leaf_hash text, digest text, raw text)
    ), records as (
      insert into ${ledgerRecords} (log_id, seq, leaf, leaf_hash, digest)
      select ${log.id}::integer, seq, decode(leaf, 'base64'), decode(leaf_hash, 'base64'), digest
      from input
    ), tail as (
      insert into ${ledgerArchiveTail} (log_id, seq, leaf, raw)
      select ${log.id}::integer, seq, decode(leaf, 'base64'), bytes from input
    ), subtrees as (
      insert into ${ledgerSubtrees} (log_id, start, size, hash)
      select ${log.id}::integer, start, size, decode(hash, 'base64')
      from jsonb_to_recordset(${JSON.stringify(subtrees)}::jsonb)
        as t(start bigint, size bigint, hash text)
    )
    update ${ledgerLogs} set compact_range = ${range.serialize()} where id = ${log.id}`);
  for (const firstSeq of seals) await sealBundle(store, tx, log.id, firstSeq);
  for (const { size, rootHash } of checkpoints) await insertCheckpoint(tx, log, size, rootHash);
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
    const range = await rangeOf(store, tx, log);
    const object = sha256Hex(raw);
    const pending: PendingAppend = {
      log,
      seq: range.size,
      hostName: "portal",
      raw,
      object,
      range,
    };
    await finishAppend(store, tx, pending, object, at);
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
  // Members written in sorted order, so the canonical writer has nothing to sort.
  return sha256Hex(
    canonicalJson({
      nodes: [...nodes].sort(byId).map((n) => ({
        attributes: n.attributes ?? null,
        ext_id: n.ext_id ?? null,
        kind: n.kind ?? null,
        label: n.label ?? null,
        prov_type: n.prov_type ?? null,
      })),
      relations: [...relations].sort(byId).map((r) => ({
        attributes: r.attributes ?? null,
        ext_id: r.ext_id ?? null,
        from_ext_id: r.from_ext_id ?? null,
        kind: r.kind ?? null,
        time: r.time ?? null,
        to_ext_id: r.to_ext_id ?? null,
      })),
    }),
  );
}

/**
 * Seals the tail's records firstSeq .. firstSeq + BUNDLE_SIZE - 1 into a bundle and drops them
 * from the tail. The records are read and compressed SEAL_BATCH at a time: a bundle's raw
 * messages run to 15 MB and more, and reading them at once (as hex text, then bytes, then one
 * framed copy) held several times that while brotli ran. Throws if the tail lacks one of them.
 */
async function sealBundle(
  store: Store,
  tx: Executor,
  logId: number,
  firstSeq: number,
): Promise<void> {
  const end = firstSeq + BUNDLE_SIZE;
  const [sizes] = await store.rows<{ records: number; frame_bytes: string; raw_bytes: string }>(
    sql`select count(*)::int as records,
               (8 + coalesce(sum(8 + octet_length(leaf) + octet_length(raw)), 0))::text as frame_bytes,
               coalesce(sum(octet_length(raw)), 0)::text as raw_bytes
        from ${ledgerArchiveTail}
        where log_id = ${logId} and seq >= ${firstSeq} and seq < ${end}`,
    tx,
  );
  if (sizes?.records !== BUNDLE_SIZE) {
    throw new Error(
      `couldn't seal bundle ${firstSeq} of log ${logId}: the tail holds ${sizes?.records} of its ${BUNDLE_SIZE} records`,
    );
  }
  async function* batches() {
    for (let from = firstSeq; from < end; from += SEAL_BATCH) {
      yield await store.rows<{ leaf: Uint8Array; raw: Uint8Array }>(
        sql`select leaf, raw from ${ledgerArchiveTail}
            where log_id = ${logId} and seq >= ${from} and seq < ${Math.min(from + SEAL_BATCH, end)}
            order by seq`,
        tx,
      );
    }
  }
  await tx.insert(ledgerBundles).values({
    logId,
    firstSeq,
    count: BUNDLE_SIZE,
    data: await encodeBundleFrom(BUNDLE_SIZE, Number(sizes.frame_bytes), batches()),
    rawBytes: Number(sizes.raw_bytes),
  });
  await tx.execute(
    sql`delete from ${ledgerArchiveTail}
        where log_id = ${logId} and seq >= ${firstSeq} and seq < ${end}`,
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

/**
 * The locked log's compact range: the stored one, else (a log written before ranges were kept)
 * rebuilt from its leaf hashes. `next` is the log's size when the caller already read it.
 */
async function rangeOf(
  store: Store,
  tx: Executor,
  log: LockedLog,
  next?: number | null,
): Promise<CompactRange> {
  if (log.compactRange) return CompactRange.deserialize(new Uint8Array(log.compactRange));
  const rebuilt = new CompactRange();
  const hashes = await leafHashes(store, log.id, tx);
  if (next !== undefined && next !== null && Number(next) !== hashes.length) {
    throw new Error(
      `ledger ${log.origin}: records 0..${Number(next) - 1} expected, ${hashes.length} found`,
    );
  }
  for (const hash of hashes) rebuilt.append(hash);
  return rebuilt;
}

async function insertCheckpoint(
  tx: Executor,
  log: LogRow,
  size: number,
  rootHash: Uint8Array,
): Promise<void> {
  const note = signLogCheckpoint(log, size, rootHash);
  await tx.insert(ledgerCheckpoints).values({ logId: log.id, size, rootHash, note });
}

/** Signs and stores a checkpoint of the log's whole tree, unless its size is checkpointed. */
export async function writeCheckpoint(
  store: Store,
  tx: Executor,
  log: LockedLog,
): Promise<boolean> {
  const range = await rangeOf(store, tx, log);
  const size = range.size;
  if (size === 0) return false;
  const [latest] = await store.rows<{ size: number }>(
    sql`select max(size)::bigint as size from ${ledgerCheckpoints} where log_id = ${log.id}`,
    tx,
  );
  if (latest?.size !== null && latest?.size !== undefined && Number(latest.size) >= size)
    return false;
  await insertCheckpoint(tx, log, size, range.root());
  return true;
}

/** Checkpoints every log that grew since its last checkpoint (the "every T seconds" path). */
export async function checkpointAll(store: Store): Promise<number> {
  const logs = await store.rows<{ id: number }>(sql`select id from ${ledgerLogs} order by id`);
  let written = 0;
  for (const { id } of logs) {
    const wrote = await store.db.transaction(async (tx) => {
      const [log] = await store.rows<LockedLog>(
        sql`select id, origin, public_key as "publicKey", private_key as "privateKey",
                   compact_range as "compactRange"
            from ${ledgerLogs} where id = ${id} for update`,
        tx,
      );
      return log ? writeCheckpoint(store, tx, log) : false;
    });
    if (wrote) written += 1;
  }
  return written;
}
