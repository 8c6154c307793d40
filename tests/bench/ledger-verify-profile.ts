/**
 * Where verifyLedger's time goes: the same reads and checks db/ledger/verify.ts does, one kind
 * of work at a time on this thread, each timed on its own over the same stored logs. The parts
 * add up to roughly the verifier's time on one thread (`workers: 0`); with worker threads the
 * per-chunk part runs beside the reads. CPU time (process.cpuUsage, all threads) is given with
 * each part: on a machine shared with other work it moves less than wall time does.
 */
import * as crypto from "node:crypto";
import * as zlib from "node:zlib";
import { sql } from "drizzle-orm";
import type { Store } from "../../db/client";
import { rootsAtSizesFromChunks } from "../../db/ledger/compact-range";
import {
  type DigestedNode,
  type DigestedRelation,
  elementsDigest,
  groupByRecord,
} from "../../db/ledger/log";
import { hashLeaf, rootFromLeafHashes } from "../../db/ledger/merkle";
import { openLogCheckpoint } from "../../db/ledger/signing";
import { CHUNK_SIZE, planChunks, readChunk } from "../../db/ledger/verify";
import { type ChunkInput, type ChunkOutput, verifyChunk } from "../../db/ledger/verify-chunk";
import { leavesOfChunkRows } from "../setup/chunk-rows";
import { sameBytes } from "./ledger-tree";

export interface Part {
  ms: number;
  cpuMs: number;
}

export interface VerificationProfile {
  logs: number;
  leaves: number;
  elements: number;
  checkpoints: number;
  /** Records, bundles and tail, as verify.ts reads them (one binary COPY per chunk). */
  chunkReads: Part;
  /** verifyChunk on this thread: leaf hashes, leaf reads, archive, 256-leaf block roots. */
  chunkWork: Part;
  /** The root at every checkpointed size and the whole log's, from the chunks' block roots. */
  roots: Part;
  checkpointReads: Part;
  /** Ed25519 over every checkpoint's signed note. */
  signatures: Part;
  elementReads: Part;
  /** Group, RFC 8785, SHA-256 per record. */
  elementDigests: Part;
  /** For comparison: hashLeaf + rootFromLeafHashes over the leaves, one call each per hash. */
  hashingCeiling: Part;
}

interface LogRow {
  id: number;
  origin: string;
  host: string | null;
  public_key: Uint8Array;
}

const zero = (): Part => ({ ms: 0, cpuMs: 0 });

async function measure<T>(into: Part, work: () => Promise<T> | T): Promise<T> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const value = await work();
  into.ms += performance.now() - started;
  const used = process.cpuUsage(cpu);
  into.cpuMs += (used.user + used.system) / 1000;
  return value;
}

export async function profileVerification(store: Store): Promise<VerificationProfile> {
  const profile: VerificationProfile = {
    logs: 0,
    leaves: 0,
    elements: 0,
    checkpoints: 0,
    chunkReads: zero(),
    chunkWork: zero(),
    roots: zero(),
    checkpointReads: zero(),
    signatures: zero(),
    elementReads: zero(),
    elementDigests: zero(),
    hashingCeiling: zero(),
  };
  const deps = { crypto, zlib };
  const logs = await store.rows<LogRow>(sql`
    select l.id, l.origin, h.name as host, l.public_key
    from ledger_logs l left join hosts h on h.id = l.host_id order by l.origin`);
  for (const log of logs) {
    profile.logs += 1;
    const inputs = await measure(profile.chunkReads, async () => {
      const plan = await planChunks(store, log.id, CHUNK_SIZE);
      return Promise.all(plan.map((chunk) => readChunk(store, log, chunk)));
    });
    const outputs = await measure(profile.chunkWork, () =>
      inputs.map((input: ChunkInput) => verifyChunk(input, deps)),
    );
    const findings = outputs.flatMap((o: ChunkOutput) => o.findings);
    if (findings.length > 0) {
      throw new Error(
        `${log.origin}: verifyChunk found ${findings[0]?.kind} at ${findings[0]?.index}`,
      );
    }
    const leaves = outputs.reduce((n, o) => n + o.count, 0);
    const checkpoints = await measure(profile.checkpointReads, () =>
      store.rows<{ size: number; note: string }>(sql`
        select size, note from ledger_checkpoints where log_id = ${log.id} order by size, id`),
    );
    const roots = await measure(profile.roots, () =>
      rootsAtSizesFromChunks(outputs, CHUNK_SIZE, [
        ...checkpoints.map((c) => Number(c.size)),
        leaves,
      ]),
    );
    await measure(profile.signatures, () => {
      for (const checkpoint of checkpoints) {
        const signed = openLogCheckpoint(
          log.origin,
          new Uint8Array(log.public_key),
          checkpoint.note,
        );
        if (!sameBytes(signed.rootHash, roots.get(signed.size) ?? new Uint8Array())) {
          throw new Error(`${log.origin}: checkpoint ${signed.size} does not match the leaves`);
        }
      }
    });
    if (log.host !== null) {
      const elements = await measure(profile.elementReads, async () => ({
        nodes: await store.rows<DigestedNode & { ledger_seq: number }>(sql`
          select ext_id, kind::text as kind, prov_type, label, attributes, ledger_seq
          from prov_nodes where ledger_log_id = ${log.id}`),
        relations: await store.rows<DigestedRelation & { ledger_seq: number }>(sql`
          select ext_id, kind::text as kind, from_ext_id, to_ext_id, time, attributes, ledger_seq
          from prov_relations where ledger_log_id = ${log.id}`),
      }));
      await measure(profile.elementDigests, () => {
        const bySeq = groupByRecord(elements.nodes, elements.relations);
        const digests = outputs.flatMap((o) =>
          [...o.digestEnds].map((end, i) => o.digests.slice(o.digestEnds[i - 1] ?? 0, end)),
        );
        const seqs = outputs.flatMap((o) => [...o.seqs]);
        const none = elementsDigest([], []);
        for (const [i, seq] of seqs.entries()) {
          const g = bySeq.get(seq);
          if ((g ? elementsDigest(g.nodes, g.relations) : none) !== digests[i]) {
            throw new Error(`${log.origin} ${seq}: element digest differs`);
          }
        }
      });
      profile.elements += elements.nodes.length + elements.relations.length;
    }
    // The hashing alone, one node:crypto call per hash: leaf bytes from the chunks' rows.
    const leafBytes = inputs.flatMap((input) => leavesOfChunkRows(input.rows));
    await measure(profile.hashingCeiling, () => {
      const hashes = leafBytes.map(hashLeaf);
      if (hashes.length > 0) rootFromLeafHashes(hashes);
    });
    profile.leaves += leaves;
    profile.checkpoints += checkpoints.length;
  }
  return profile;
}
