/**
 * Micro-benchmark of verifyChunk (db/ledger/verify-chunk.ts) on one synthetic 4,096-record chunk
 * laid out as readChunk hands it over (binary COPY rows: records, then bundles): CPU µs per leaf on this
 * thread, which contention from other work moves less than wall time.
 * Run: npx tsx tests/bench/verify-chunk-micro.ts [rounds]
 */
import * as crypto from "node:crypto";
import * as zlib from "node:zlib";
import { type ChunkInput, verifyChunk } from "../../db/ledger/verify-chunk";
import { encodeChunkRows } from "../setup/chunk-rows";
import { buildSyntheticLogs } from "./ledger-synthetic";

const LEAVES = 4096;
const rounds = Number(process.argv[2] ?? 30);
const [log] = buildSyntheticLogs({ logs: 1, leavesPerLog: LEAVES, hostPrefix: "micro" });
if (!log) throw new Error("no synthetic log");
const input: ChunkInput = {
  origin: log.origin,
  host: log.host,
  rows: encodeChunkRows({
    records: log.leaves.map((leaf, seq) => ({
      seq,
      leaf,
      hash: log.leafHashes[seq] as Uint8Array,
    })),
    bundles: log.bundles.map((b) => ({ firstSeq: b.firstSeq, count: 256, data: b.data })),
  }),
  ownedFrom: Number.MIN_SAFE_INTEGER,
  ownedTo: Number.MAX_SAFE_INTEGER,
};
const deps = { crypto, zlib };
const check = verifyChunk(input, deps);
if (check.findings.length > 0) throw new Error(`findings: ${JSON.stringify(check.findings[0])}`);
for (let i = 0; i < 5; i++) verifyChunk(input, deps);
const samples: number[] = [];
for (let r = 0; r < rounds; r++) {
  const before = process.cpuUsage();
  verifyChunk(input, deps);
  const used = process.cpuUsage(before);
  samples.push((used.user + used.system) / LEAVES);
}
samples.sort((a, b) => a - b);
const median = samples[Math.floor(samples.length / 2)] as number;
console.log(
  JSON.stringify({
    leaves: LEAVES,
    rounds,
    cpuUsPerLeafMin: Number((samples[0] as number).toFixed(3)),
    cpuUsPerLeafMedian: Number(median.toFixed(3)),
    leavesPerCpuSecond: Math.round(1e6 / median),
  }),
);
