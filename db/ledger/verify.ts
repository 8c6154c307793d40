/**
 * The ledger verifier. Trusts nothing it reads: it recomputes every leaf hash from the leaf
 * bytes, checks each leaf against its position, its log and its archive copy, every
 * checkpoint's signature and root against the recomputed tree, every stored element against
 * the digest its record committed to, and the whole log against the state it kept (outside
 * the database) from its previous run. Each finding names the log, the index and what is wrong.
 *
 * Localisation: an edit of one table (records, bundles, elements, checkpoints) is named at its
 * exact index; an attacker who rewrites every copy of a record consistently still breaks the
 * signed checkpoints, which then name the first checkpoint that no longer matches.
 */
import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Store } from "../client";
import { type ArchivedEntry, ArchiveError, decodeBundle } from "./archive";
import { canonicalJson } from "./canonical";
import { rootsAtSizes } from "./compact-range";
import { openHostSignedMessage } from "./host-signatures";
import {
  type DigestedNode,
  type DigestedRelation,
  elementsDigest,
  groupByRecord,
  type LeafRecord,
} from "./log";
import { hashLeaf, rootFromLeafHashes } from "./merkle";
import { NoteError } from "./note";
import { openLogCheckpoint } from "./signing";

export type FindingKind =
  | "changed"
  | "missing"
  | "inserted"
  | "reordered"
  | "re-attributed"
  | "bad-signature"
  | "checkpoint-mismatch"
  | "split-view"
  | "rolled-back"
  | "archive"
  | "object-changed"
  | "object-unrecorded";

export interface Finding {
  /** The log's origin; "(store)" for elements that belong to no log. */
  log: string;
  /** The record's index in its log, when the finding is about one record. */
  index: number | null;
  kind: FindingKind;
  detail: string;
}

export interface LogSummary {
  origin: string;
  size: number;
  /** Size of the latest valid checkpoint, or null. */
  checkpointSize: number | null;
  rootHash: string;
}

export interface VerifyReport {
  ok: boolean;
  leaves: number;
  logs: LogSummary[];
  findings: Finding[];
}

/** What the verifier remembers between runs: each log's verified size and root (base64). */
export interface VerifierState {
  logs: Record<string, { size: number; rootHash: string; verifiedAt: string }>;
}

interface LogRow {
  id: number;
  origin: string;
  host: string | null;
  verifier_key: string | null;
  public_key: Uint8Array;
}
interface RecordRow {
  seq: number;
  leaf: Uint8Array;
  leaf_hash: Uint8Array;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const equalBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** Verifies every log (or the one whose origin is `only`) and the elements they recorded. */
export async function verifyLedger(
  store: Store,
  options: { only?: string; state?: VerifierState; now?: Date } = {},
): Promise<{ report: VerifyReport; state: VerifierState }> {
  const now = options.now ?? new Date();
  const previous = options.state ?? { logs: {} };
  const logs = await store.rows<LogRow>(sql`
    select l.id, l.origin, h.name as host, h.verifier_key, l.public_key
    from ledger_logs l left join hosts h on h.id = l.host_id order by l.origin`);
  const findings: Finding[] = [];
  const summaries: LogSummary[] = [];
  const state: VerifierState = { logs: { ...previous.logs } };
  let leaves = 0;
  for (const log of logs) {
    if (options.only && log.origin !== options.only) continue;
    const result = await verifyLog(store, log, previous.logs[log.origin], findings);
    leaves += result.size;
    summaries.push(result);
    state.logs[log.origin] = {
      size: result.size,
      rootHash: result.rootHash,
      verifiedAt: now.toISOString(),
    };
  }
  for (const [origin, seen] of Object.entries(previous.logs)) {
    if (options.only && origin !== options.only) continue;
    if (!logs.some((l) => l.origin === origin)) {
      findings.push({
        log: origin,
        index: null,
        kind: "rolled-back",
        detail: `the log is gone; it had ${seen.size} records when verified at ${seen.verifiedAt}`,
      });
    }
  }
  if (!options.only) await verifyUnrecordedElements(store, findings);
  const ok = findings.length === 0;
  return { report: { ok, leaves, logs: summaries, findings }, state: ok ? state : previous };
}

async function verifyLog(
  store: Store,
  log: LogRow,
  previous: VerifierState["logs"][string] | undefined,
  findings: Finding[],
): Promise<LogSummary> {
  const found = (index: number | null, kind: FindingKind, detail: string) =>
    findings.push({ log: log.origin, index, kind, detail });
  const records = await readRecords(store, log.id);
  const archive = await readArchive(store, log.id, (index, detail) =>
    found(index, "archive", detail),
  );

  const hashes: Uint8Array[] = [];
  const leavesBySeq = new Map<number, LeafRecord>();
  let expected = 0;
  for (const row of records) {
    const seq = Number(row.seq);
    if (seq > expected)
      found(expected, "missing", `records ${expected}..${seq - 1} are not in the log`);
    expected = seq + 1;
    const leafBytes = new Uint8Array(row.leaf);
    const leafHash = hashLeaf(leafBytes);
    hashes.push(leafHash);
    if (!equalBytes(leafHash, row.leaf_hash)) {
      found(seq, "changed", "the stored leaf hash does not match the leaf's bytes");
    }
    const copy = archive.get(seq);
    if (!copy)
      found(seq, "archive", "the record has no copy in the archive (tail or sealed bundle)");
    else if (!equalBytes(copy.leaf, leafBytes)) {
      found(seq, "changed", "the record differs from its archived copy");
    }
    const leaf = readLeaf(leafBytes);
    if (!leaf) {
      found(seq, "changed", "the leaf is not the canonical JSON of a ledger record");
      continue;
    }
    leavesBySeq.set(seq, leaf);
    if (leaf.origin !== log.origin || (log.host !== null && leaf.host !== log.host)) {
      found(
        seq,
        "re-attributed",
        `the record belongs to ${leaf.origin} (host ${leaf.host}), not to this log`,
      );
    }
    if (copy && `sha256:${createHash("sha256").update(copy.raw).digest("hex")}` !== leaf.object) {
      found(seq, "archive", "the archived raw message does not hash to the record's object digest");
    }
    if (copy && leaf.signedBy !== undefined) {
      const problem = hostSignatureProblem(log.verifier_key, copy.raw, leaf.signedBy);
      if (problem) found(seq, "bad-signature", `host signature: ${problem}`);
    }
  }
  classifyPositions(leavesBySeq, log.origin, found);

  const checkpoints = await store.rows<{ size: number; root_hash: Uint8Array; note: string }>(sql`
    select size, root_hash, note from ledger_checkpoints where log_id = ${log.id} order by size, id`);
  const rootsBySize = new Map<number, string>();
  // Every size the checkpoints and the remembered state name, computed in one pass.
  const recomputed = rootsAtSizes(hashes, [
    ...checkpoints.map((c) => Number(c.size)),
    previous?.size ?? 0,
    hashes.length,
  ]);
  const rootAt = (size: number) =>
    b64(recomputed.get(size) ?? rootFromLeafHashes(hashes.slice(0, size)));
  let checkpointSize: number | null = null;
  const firstRecordFinding = () =>
    findings.find((f) => f.log === log.origin && f.index !== null)?.index ?? null;
  for (const checkpoint of checkpoints) {
    const size = Number(checkpoint.size);
    let signed: { size: number; rootHash: Uint8Array };
    try {
      signed = openLogCheckpoint(log.origin, new Uint8Array(log.public_key), checkpoint.note);
    } catch (error) {
      found(null, "bad-signature", `checkpoint of size ${size}: ${(error as Error).message}`);
      continue;
    }
    if (signed.size !== size || !equalBytes(signed.rootHash, checkpoint.root_hash)) {
      found(
        null,
        "checkpoint-mismatch",
        `checkpoint of size ${size}: its columns differ from its signed note`,
      );
    }
    const root = b64(signed.rootHash);
    const other = rootsBySize.get(signed.size);
    if (other !== undefined && other !== root) {
      found(
        null,
        "split-view",
        `two signed checkpoints of size ${signed.size} with different roots`,
      );
    }
    rootsBySize.set(signed.size, root);
    if (signed.size > hashes.length) {
      found(
        hashes.length,
        "missing",
        `a signed checkpoint covers ${signed.size} records; the log has ${hashes.length}`,
      );
    } else if (rootAt(signed.size) !== root) {
      found(
        firstRecordFinding(),
        "checkpoint-mismatch",
        `the records no longer produce the signed root of size ${signed.size}`,
      );
    }
    checkpointSize = Math.max(checkpointSize ?? 0, signed.size);
  }

  const rootHash = rootAt(hashes.length);
  if (previous) {
    if (hashes.length < previous.size) {
      found(
        null,
        "rolled-back",
        `the log had ${previous.size} records at the last verification (${previous.verifiedAt}); now ${hashes.length}`,
      );
    } else if (rootAt(previous.size) !== previous.rootHash) {
      found(
        firstRecordFinding(),
        "split-view",
        `its first ${previous.size} records differ from those verified at ${previous.verifiedAt}`,
      );
    }
  }
  // Host logs record provenance documents; the legal log records events, its digest is the event's.
  if (log.host !== null) await verifyRecordedElements(store, log, leavesBySeq, found);
  else {
    for (const [seq, leaf] of leavesBySeq) {
      if (leaf.digest !== leaf.object)
        found(seq, "changed", "a legal event's digest must be its object's");
    }
  }
  return { origin: log.origin, size: hashes.length, checkpointSize, rootHash };
}

/**
 * The log's records in order. PGlite hands bytea over slowly, so there they travel as base64
 * text (tests/bench/ledger.bench.ts: 2.9 s -> 0.6 s for 52,000 leaves); PostgreSQL gains
 * nothing from it and keeps bytea.
 */
async function readRecords(store: Store, logId: number): Promise<RecordRow[]> {
  if (store.kind !== "pglite") {
    return store.rows<RecordRow>(sql`
      select seq, leaf, leaf_hash from ledger_records where log_id = ${logId} order by seq`);
  }
  const rows = await store.rows<{ seq: number; leaf: string; leaf_hash: string }>(sql`
    select seq, encode(leaf, 'base64') as leaf, encode(leaf_hash, 'base64') as leaf_hash
    from ledger_records where log_id = ${logId} order by seq`);
  return rows.map((row) => ({
    seq: row.seq,
    leaf: new Uint8Array(Buffer.from(row.leaf, "base64")),
    leaf_hash: new Uint8Array(Buffer.from(row.leaf_hash, "base64")),
  }));
}

async function readArchive(
  store: Store,
  logId: number,
  report: (index: number, detail: string) => void,
): Promise<Map<number, ArchivedEntry>> {
  const bundles = await store.rows<{ first_seq: number; count: number; data: Uint8Array }>(sql`
    select first_seq, count, data from ledger_bundles where log_id = ${logId} order by first_seq`);
  const entries = new Map<number, ArchivedEntry>();
  const tail = await store.rows<{ seq: number; leaf: Uint8Array; raw: Uint8Array }>(sql`
    select seq, leaf, raw from ledger_archive_tail where log_id = ${logId}`);
  for (const row of tail) {
    entries.set(Number(row.seq), { leaf: new Uint8Array(row.leaf), raw: new Uint8Array(row.raw) });
  }
  for (const bundle of bundles) {
    const first = Number(bundle.first_seq);
    try {
      const decoded = decodeBundle(new Uint8Array(bundle.data));
      if (decoded.length !== bundle.count) {
        report(first, `bundle ${first} holds ${decoded.length} entries, not ${bundle.count}`);
      }
      for (const [i, entry] of decoded.entries()) entries.set(first + i, entry);
    } catch (error) {
      if (!(error instanceof ArchiveError)) throw error;
      report(first, `bundle ${first}: ${error.message}`);
    }
  }
  return entries;
}

/**
 * Names what moved, from each leaf's own sequence number against its position: two records
 * that point at each other were swapped; a run shifted by +1 follows a deletion, by -1 an
 * insertion (with the later records renumbered to hide it).
 */
function classifyPositions(
  leaves: Map<number, LeafRecord>,
  origin: string,
  found: (index: number | null, kind: FindingKind, detail: string) => void,
): void {
  let runOffset = 0;
  for (const [seq, leaf] of [...leaves].sort(([a], [b]) => a - b)) {
    if (leaf.origin !== origin) continue; // reported as re-attributed
    const offset = leaf.seq - seq;
    if (offset === 0) {
      runOffset = 0;
      continue;
    }
    const partner = leaves.get(leaf.seq);
    if (partner?.seq === seq) {
      if (seq < leaf.seq) found(seq, "reordered", `records ${seq} and ${leaf.seq} swapped places`);
      runOffset = 0;
      continue;
    }
    if (offset !== runOffset) {
      if (offset > 0)
        found(
          seq,
          "missing",
          `record ${seq} was deleted and the ${offset === 1 ? "records" : "record"} after it renumbered`,
        );
      else
        found(
          seq + offset,
          "inserted",
          `a record was inserted at ${seq + offset} and the records after it renumbered`,
        );
    }
    runOffset = offset;
  }
}

/** Why the archived message is not signed by the host key the leaf names, or null if it is. */
function hostSignatureProblem(
  vkey: string | null,
  raw: Uint8Array,
  signedBy: string,
): string | null {
  if (!vkey) return `the record names ${signedBy}, but the host has no registered key`;
  try {
    const opened = openHostSignedMessage(vkey, Buffer.from(raw).toString("utf8"));
    return opened.signedBy === signedBy
      ? null
      : `signed by ${opened.signedBy}, the record names ${signedBy}`;
  } catch (error) {
    if (error instanceof NoteError) return error.message;
    throw error;
  }
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function readLeaf(bytes: Uint8Array): LeafRecord | null {
  let text: string;
  let value: unknown;
  try {
    text = strictUtf8.decode(bytes);
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const leaf = value as Partial<LeafRecord>;
  const valid =
    leaf.v === 1 &&
    typeof leaf.origin === "string" &&
    Number.isSafeInteger(leaf.seq) &&
    typeof leaf.host === "string" &&
    typeof leaf.object === "string" &&
    typeof leaf.digest === "string" &&
    typeof leaf.receivedAt === "string" &&
    (leaf.signedBy === undefined || typeof leaf.signedBy === "string");
  if (!valid || canonicalJson(value) !== text) return null;
  return leaf as LeafRecord;
}

/** Each record's elements, as stored now, must digest to what the record committed to. */
async function verifyRecordedElements(
  store: Store,
  log: LogRow,
  leaves: Map<number, LeafRecord>,
  found: (index: number | null, kind: FindingKind, detail: string) => void,
): Promise<void> {
  const nodes = await store.rows<DigestedNode & { ledger_seq: number }>(sql`
    select ext_id, kind::text as kind, prov_type, label, attributes, ledger_seq
    from prov_nodes where ledger_log_id = ${log.id}`);
  const relations = await store.rows<DigestedRelation & { ledger_seq: number }>(sql`
    select ext_id, kind::text as kind, from_ext_id, to_ext_id, time, attributes, ledger_seq
    from prov_relations where ledger_log_id = ${log.id}`);
  const bySeq = groupByRecord(nodes, relations);
  const emptyDigest = elementsDigest([], []);
  for (const [seq, leaf] of leaves) {
    const g = bySeq.get(seq);
    const digest = g ? elementsDigest(g.nodes, g.relations) : emptyDigest;
    if (digest !== leaf.digest) {
      const ids = [...(g?.nodes ?? []), ...(g?.relations ?? [])].map((e) => e.ext_id).slice(0, 5);
      found(
        seq,
        "object-changed",
        `the elements stored from this record differ from what it recorded (${ids.join(", ")}${ids.length === 5 ? ", ..." : ""})`,
      );
    }
  }
  for (const seq of bySeq.keys()) {
    if (!leaves.has(seq))
      found(seq, "object-unrecorded", "elements point at a record this log does not have");
  }
}

/** Elements that no ledger record brought in: written behind the ledger's back. */
async function verifyUnrecordedElements(store: Store, findings: Finding[]): Promise<void> {
  const rows = await store.rows<{ ext_id: string }>(sql`
    select ext_id from prov_nodes where ledger_log_id is null
    union all select ext_id from prov_relations where ledger_log_id is null
    limit 20`);
  for (const row of rows) {
    findings.push({
      log: "(store)",
      index: null,
      kind: "object-unrecorded",
      detail: `${row.ext_id} was stored without a ledger record`,
    });
  }
}
