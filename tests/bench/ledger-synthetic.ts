/**
 * Synthetic ledger logs, for verifying and proving over many leaves without ingesting tens of
 * thousands of documents (one ingest transaction per document is what limits the rate, not
 * the ledger). Each log holds the rows `finishAppend` (db/ledger/log.ts) would write: RFC 8785
 * leaves with origin, sequence, host, the raw message's digest, the digest of no elements (the
 * records bring none into prov_nodes / prov_relations), a fixed clock; a sealed bundle for
 * every full BUNDLE_SIZE run, the rest in the archive tail; a signed checkpoint at every
 * CHECKPOINT_EVERY records, the 256+ leaf subtrees proofs read. They are inserted with multi-row INSERTs instead of
 * beginAppend/finishAppend, so the insert time is not an append figure. Built once, inserted
 * into each store.
 *
 * One difference, for time: the bundles are the ledger's frame (checked byte for byte against
 * `encodeBundle`'s on the first bundle) compressed with brotli quality 5 instead of 11, which
 * would take minutes for hundreds of bundles. The verifier reads them the same way;
 * `decodeCost` measures what the quality changes for it.
 */
import { brotliCompressSync, brotliDecompressSync, constants } from "node:zlib";
import { sql } from "drizzle-orm";
import type { Store } from "../../db/client";
import {
  type ArchivedEntry,
  BUNDLE_SIZE,
  decodeBundle,
  encodeBundle,
} from "../../db/ledger/archive";
import { canonicalBytes } from "../../db/ledger/canonical";
import { CompactRange } from "../../db/ledger/compact-range";
import {
  CHECKPOINT_EVERY,
  elementsDigest,
  hostOrigin,
  type LeafRecord,
  newKeyPair,
  sha256Hex,
} from "../../db/ledger/log";
import { hashLeaf, rootFromLeafHashes } from "../../db/ledger/merkle";
import { signLogCheckpoint } from "../../db/ledger/signing";
import {
  hosts,
  ledgerArchiveTail,
  ledgerBundles,
  ledgerCheckpoints,
  ledgerLogs,
  ledgerRecords,
  ledgerSubtrees,
} from "../../db/schema";
import { timedSync } from "./bench-stats";
import { rootsAtSizes, sameBytes } from "./ledger-tree";

export interface SyntheticLog {
  host: string;
  origin: string;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
  leaves: Uint8Array[];
  leafHashes: Uint8Array[];
  objects: string[];
  raws: Uint8Array[];
  bundles: { firstSeq: number; data: Uint8Array; rawBytes: number }[];
  checkpoints: { size: number; rootHash: Uint8Array; note: string }[];
  /** The perfect subtrees of 256 leaves and more that finishAppends stores for proofs. */
  subtrees: { start: number; size: number; hash: Uint8Array }[];
}

const START_MS = Date.UTC(2024, 4, 1, 9, 0, 0);

/** `logs` logs of `leavesPerLog` records each, host names `<prefix>-<i>`. */
export function buildSyntheticLogs(options: {
  logs: number;
  leavesPerLog: number;
  hostPrefix: string;
}): SyntheticLog[] {
  const noElements = elementsDigest([], []);
  const logs: SyntheticLog[] = [];
  for (let l = 0; l < options.logs; l++) {
    const host = `${options.hostPrefix}-${l}`;
    const origin = hostOrigin(host);
    const keys = newKeyPair();
    const log: SyntheticLog = {
      host,
      origin,
      ...keys,
      leaves: [],
      leafHashes: [],
      objects: [],
      raws: [],
      bundles: [],
      checkpoints: [],
      subtrees: [],
    };
    for (let seq = 0; seq < options.leavesPerLog; seq++) {
      const raw = Buffer.from(
        JSON.stringify({
          prefix: { bench: "https://bench.example/prov/" },
          entity: { [`bench:${host}/e${seq}`]: { "prov:label": `synthetic record ${seq}` } },
        }),
        "utf8",
      );
      const object = sha256Hex(raw);
      const record: LeafRecord = {
        v: 1,
        origin,
        seq,
        host,
        object,
        digest: noElements,
        receivedAt: new Date(START_MS + seq * 997).toISOString(),
      };
      const leaf = canonicalBytes(record);
      log.leaves.push(leaf);
      log.leafHashes.push(hashLeaf(leaf));
      log.objects.push(object);
      log.raws.push(raw);
    }
    const range = new CompactRange();
    for (const leafHash of log.leafHashes) {
      for (const node of range.append(leafHash)) {
        if (node.size >= BUNDLE_SIZE) log.subtrees.push({ start: range.size - node.size, ...node });
      }
    }
    const sizes: number[] = [];
    for (let size = CHECKPOINT_EVERY; size <= options.leavesPerLog; size += CHECKPOINT_EVERY) {
      sizes.push(size);
    }
    const roots = rootsAtSizes(log.leafHashes, sizes);
    const last = sizes[sizes.length - 1];
    const lastRoot = last === undefined ? undefined : roots.get(last);
    if (last !== undefined && lastRoot !== undefined) {
      // Sanity: the one-pass roots are the ledger's roots.
      if (!sameBytes(lastRoot, rootFromLeafHashes(log.leafHashes.slice(0, last)))) {
        throw new Error(`${origin}: rootsAtSizes disagrees with rootFromLeafHashes at ${last}`);
      }
    }
    for (const size of sizes) {
      const rootHash = roots.get(size) as Uint8Array;
      log.checkpoints.push({ size, rootHash, note: signLogCheckpoint(log, size, rootHash) });
    }
    logs.push(log);
  }

  let checked = false;
  for (const log of logs) {
    for (let first = 0; first + BUNDLE_SIZE <= log.leaves.length; first += BUNDLE_SIZE) {
      const entries: ArchivedEntry[] = [];
      for (let seq = first; seq < first + BUNDLE_SIZE; seq++) {
        entries.push({ leaf: log.leaves[seq] as Uint8Array, raw: log.raws[seq] as Uint8Array });
      }
      const frame = bundleFrame(entries);
      if (!checked) {
        if (!sameBytes(frame, brotliDecompressSync(encodeBundle(entries)))) {
          throw new Error(
            "the bench's bundle frame differs from encodeBundle's; update bundleFrame",
          );
        }
        checked = true;
      }
      log.bundles.push({
        firstSeq: first,
        data: fastBrotli(frame),
        rawBytes: entries.reduce((total, e) => total + e.raw.length, 0),
      });
    }
  }
  return logs;
}

/** The uncompressed bundle of db/ledger/archive.ts: "PTB1", u32 count, (u32 len, bytes) x 2n. */
function bundleFrame(entries: readonly ArchivedEntry[]): Uint8Array {
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const parts: Buffer[] = [Buffer.from("PTB1", "ascii"), u32(entries.length)];
  for (const { leaf, raw } of entries) {
    parts.push(u32(leaf.length), Buffer.from(leaf), u32(raw.length), Buffer.from(raw));
  }
  return Buffer.concat(parts);
}

function fastBrotli(frame: Uint8Array): Uint8Array {
  return brotliCompressSync(frame, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 5,
      [constants.BROTLI_PARAM_LGWIN]: 22,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
    },
  });
}

/**
 * decodeBundle's time on one synthetic bundle as stored (quality 5) and as encodeBundle seals it
 * (quality 11), best of `rounds`: how far the synthetic bundles move the verifier's archive time.
 */
export function decodeCost(log: SyntheticLog, rounds = 20): { fastMs: number; sealedMs: number } {
  const bundle = log.bundles[0];
  if (!bundle) return { fastMs: 0, sealedMs: 0 };
  const sealed = encodeBundle(decodeBundle(bundle.data));
  let fastMs = Number.POSITIVE_INFINITY;
  let sealedMs = Number.POSITIVE_INFINITY;
  for (let i = 0; i < rounds; i++) {
    fastMs = Math.min(fastMs, timedSync(() => decodeBundle(bundle.data)).ms);
    sealedMs = Math.min(sealedMs, timedSync(() => decodeBundle(sealed)).ms);
  }
  return { fastMs, sealedMs };
}

/** Inserts the logs (and their hosts) into a migrated store, in one transaction. */
export async function insertSyntheticLogs(store: Store, logs: SyntheticLog[]): Promise<void> {
  await store.db.transaction(async (tx) => {
    for (const log of logs) {
      const [host] = await tx.insert(hosts).values({ name: log.host }).returning({ id: hosts.id });
      if (!host) throw new Error(`couldn't insert host ${log.host}`);
      const [row] = await tx
        .insert(ledgerLogs)
        .values({
          origin: log.origin,
          hostId: host.id,
          publicKey: log.publicKey,
          privateKey: log.privateKey,
        })
        .returning({ id: ledgerLogs.id });
      if (!row) throw new Error(`couldn't insert log ${log.origin}`);
      const logId = row.id;
      // One statement per table and log: rows as one jsonb parameter, bytes as base64.
      const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
      const records = log.leaves.map((leaf, seq) => ({
        seq,
        leaf: b64(leaf),
        leaf_hash: b64(log.leafHashes[seq] as Uint8Array),
        digest: log.objects[seq] as string,
      }));
      await tx.execute(sql`
        insert into ${ledgerRecords} (log_id, seq, leaf, leaf_hash, digest)
        select ${logId}::integer, seq, decode(leaf, 'base64'), decode(leaf_hash, 'base64'), digest
        from jsonb_to_recordset(${JSON.stringify(records)}::jsonb)
          as t(seq bigint, leaf text, leaf_hash text, digest text)`);
      const sealed = log.bundles.length * BUNDLE_SIZE;
      const tail = log.leaves.slice(sealed).map((leaf, i) => ({
        seq: sealed + i,
        leaf: b64(leaf),
        raw: b64(log.raws[sealed + i] as Uint8Array),
      }));
      if (tail.length > 0) {
        await tx.execute(sql`
          insert into ${ledgerArchiveTail} (log_id, seq, leaf, raw)
          select ${logId}::integer, seq, decode(leaf, 'base64'), decode(raw, 'base64')
          from jsonb_to_recordset(${JSON.stringify(tail)}::jsonb) as t(seq bigint, leaf text, raw text)`);
      }
      for (const bundle of log.bundles) {
        await tx.insert(ledgerBundles).values({
          logId,
          firstSeq: bundle.firstSeq,
          count: BUNDLE_SIZE,
          data: bundle.data,
          rawBytes: bundle.rawBytes,
        });
      }
      if (log.subtrees.length > 0) {
        await tx
          .insert(ledgerSubtrees)
          .values(log.subtrees.map((t) => ({ logId, start: t.start, size: t.size, hash: t.hash })));
      }
      if (log.checkpoints.length > 0) {
        await tx.insert(ledgerCheckpoints).values(
          log.checkpoints.map((c) => ({
            logId,
            size: c.size,
            rootHash: c.rootHash,
            note: c.note,
          })),
        );
      }
    }
  });
}
