/**
 * Appending many documents to the ledger in one ingest transaction with a fixed number of round
 * trips, whatever the batch's size: the bridge's batched write path (db/prov/ingest.ts).
 *
 * Same records as `beginAppend`/`finishAppend` one by one (log.ts), so the verifier cannot tell
 * them apart: each document gets the next sequence number of its host's log, in batch order; a
 * document whose raw bytes the log already holds (a re-delivery), or that appears twice in the
 * batch, is not appended again. Logs are locked in origin order, so two bridges appending
 * overlapping batches cannot deadlock. Sealing and checkpointing happen when the batch crosses
 * a BUNDLE_SIZE or CHECKPOINT_EVERY boundary; a checkpoint then covers the whole batch (sizes
 * need not be multiples of CHECKPOINT_EVERY, as with the timer's checkpoints).
 */
import { sql } from "drizzle-orm";
import type { Executor, Store } from "../client";
import { ledgerArchiveTail, ledgerLogs, ledgerRecords } from "../schema";
import { BUNDLE_SIZE } from "./archive";
import { canonicalBytes } from "./canonical";
import { CompactRange } from "./compact-range";
import {
  CHECKPOINT_EVERY,
  compactRangeOf,
  hostOrigin,
  type LogRow,
  leafRecord,
  lockLog,
  type PendingAppend,
  sealBundle,
  sha256Hex,
  writeCheckpoint,
} from "./log";
import { hashLeaf } from "./merkle";

export interface AppendRequest {
  hostId: number;
  hostName: string;
  raw: Uint8Array;
  signedBy?: string;
}

interface LockedLog extends LogRow {
  compactRange: Uint8Array | null;
}

/**
 * Reserves one record per request, in order; null where the log already holds the same raw
 * bytes (stored before, or earlier in this batch). Locks every log involved until commit.
 */
export async function reserveAppends(
  store: Store,
  tx: Executor,
  requests: readonly AppendRequest[],
): Promise<(PendingAppend | null)[]> {
  if (requests.length === 0) return [];
  const origins = [...new Set(requests.map((r) => hostOrigin(r.hostName)))].sort();
  const logs = await lockLogs(store, tx, origins);
  for (const request of requests) {
    const origin = hostOrigin(request.hostName);
    if (!logs.has(origin)) {
      // First document of a new host: created (with its key) by the one-by-one path.
      const created = await lockLog(store, tx, origin, request.hostId);
      logs.set(origin, { ...created, compactRange: null });
    }
  }
  const logIds = [...logs.values()].map((log) => log.id);
  const objects = requests.map((r) => sha256Hex(r.raw));
  const state = await store.rows<{ log_id: number; next: number; seen: string[] | null }>(
    sql`select l.id as log_id,
               coalesce((select max(seq) + 1 from ${ledgerRecords} r where r.log_id = l.id), 0)::bigint as next,
               (select array_agg(r.digest) from ${ledgerRecords} r
                 where r.log_id = l.id and r.digest in (
                   select jsonb_array_elements_text(${JSON.stringify([...new Set(objects)])}::jsonb))) as seen
        from jsonb_array_elements_text(${JSON.stringify(logIds.map(String))}::jsonb) as i(id)
        join ${ledgerLogs} l on l.id = i.id::integer`,
    tx,
  );
  const nextSeq = new Map(state.map((row) => [Number(row.log_id), Number(row.next)]));
  const seen = new Set(state.flatMap((row) => (row.seen ?? []).map((d) => `${row.log_id}/${d}`)));
  return requests.map((request, i) => {
    const log = logs.get(hostOrigin(request.hostName)) as LockedLog;
    const object = objects[i] as string;
    const key = `${log.id}/${object}`;
    if (seen.has(key)) return null;
    seen.add(key);
    const seq = nextSeq.get(log.id) ?? 0;
    nextSeq.set(log.id, seq + 1);
    return {
      log,
      seq,
      hostName: request.hostName,
      raw: request.raw,
      object,
      ...(request.signedBy ? { signedBy: request.signedBy } : {}),
    };
  });
}

export interface FinishedAppend {
  pending: PendingAppend;
  /** `elementsDigest` of the elements the document added to the store. */
  digest: string;
  receivedAt: Date;
}

/** Writes the reserved records (in reservation order), then seals and checkpoints as due. */
export async function finishAppends(
  store: Store,
  tx: Executor,
  appends: readonly FinishedAppend[],
): Promise<void> {
  if (appends.length === 0) return;
  const rows = appends.map(({ pending, digest, receivedAt }) => {
    const leaf = canonicalBytes(leafRecord(pending, digest, receivedAt));
    return { pending, leaf, leafHash: hashLeaf(leaf) };
  });
  await tx.insert(ledgerRecords).values(
    rows.map(({ pending, leaf, leafHash }) => ({
      logId: pending.log.id,
      seq: pending.seq,
      leaf,
      leafHash,
      digest: pending.object,
    })),
  );
  await tx.insert(ledgerArchiveTail).values(
    rows.map(({ pending, leaf }) => ({
      logId: pending.log.id,
      seq: pending.seq,
      leaf,
      raw: pending.raw,
    })),
  );
  const byLog = new Map<number, typeof rows>();
  for (const row of rows) {
    const list = byLog.get(row.pending.log.id);
    if (list) list.push(row);
    else byLog.set(row.pending.log.id, [row]);
  }
  for (const [logId, logRows] of byLog) {
    const log = (logRows[0] as (typeof rows)[number]).pending.log as LockedLog;
    const firstSeq = (logRows[0] as (typeof rows)[number]).pending.seq;
    const stored = log.compactRange ? CompactRange.deserialize(log.compactRange) : null;
    const range =
      stored && stored.size === firstSeq
        ? stored
        : await compactRangeOf(store, tx, logId, firstSeq);
    for (const row of logRows) range.append(row.leafHash);
    await tx
      .update(ledgerLogs)
      .set({ compactRange: range.serialize() })
      .where(sql`${ledgerLogs.id} = ${logId}`);
    const endSeq = firstSeq + logRows.length; // the log's size after this batch
    for (let boundary = nextMultiple(firstSeq, BUNDLE_SIZE); boundary <= endSeq; ) {
      await sealBundle(store, tx, logId, boundary - BUNDLE_SIZE);
      boundary += BUNDLE_SIZE;
    }
    if (nextMultiple(firstSeq, CHECKPOINT_EVERY) <= endSeq) await writeCheckpoint(store, tx, log);
  }
}

/** The smallest positive multiple of `step` greater than `n`. */
function nextMultiple(n: number, step: number): number {
  return (Math.floor(n / step) + 1) * step;
}

/** The existing logs named in `origins`, locked in origin order, with their compact ranges. */
async function lockLogs(
  store: Store,
  tx: Executor,
  origins: readonly string[],
): Promise<Map<string, LockedLog>> {
  const rows = await store.rows<LockedLog>(
    sql`select id, origin, public_key as "publicKey", private_key as "privateKey",
               compact_range as "compactRange"
        from ${ledgerLogs}
        where origin in (select jsonb_array_elements_text(${JSON.stringify(origins)}::jsonb))
        order by origin
        for update`,
    tx,
  );
  return new Map(rows.map((row) => [row.origin, row]));
}
