/**
 * The tamper-evident ledger's costs (issue 4, "Measured"), on the real PostgreSQL when
 * DATABASE_URL is set (fresh databases, dropped afterwards) and on embedded PGlite (memory://):
 *
 * - Append overhead on ingest: the same generated documents go into two fresh stores of the
 *   same kind, one document at a time, through the bridge's path (decode, split, parse,
 *   `ingestGraph`), once with evidence (a ledger record in the same transaction) and once with
 *   evidence null (no record). The two alternate per document, which one goes first switching
 *   each time, so machine noise hits both. Two workloads: the first documents of the ingest
 *   bench (100-500 elements, nine hosts: no log reaches a seal), and small CamFlow-shaped
 *   documents from one host, enough to cross a bundle seal and a checkpoint.
 * - Verification: verifyLedger over the store the ledger arm filled, and over a store of
 *   synthetic logs (ledger-synthetic.ts: the rows finishAppend writes, bulk-inserted) for many
 *   leaves, with worker threads and without; the time split by kind of work
 *   (ledger-verify-profile.ts), and hashing alone for comparison.
 * - Proofs: inclusionProofFor at random indices and consistencyProofFor from a random size to
 *   the whole log, on a synthetic log; each proof is checked with verifyInclusion /
 *   verifyConsistency (a failing proof throws: a correctness figure).
 * - Archive: sealed bundles (the ledger's encodeBundle) against the raw messages, on the
 *   CamFlow fixture and on generator output, plus the bundles the stores sealed while ingesting.
 *
 * Figures are printed, never compared with the targets (300,000 leaves/s; 85% saved).
 */

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { inflateSync } from "node:zlib";
import { sql } from "drizzle-orm";
import { ProvFormatError, parseProvJson } from "../../capture-bridge/formats/prov-json";
import { decodePayload, readDocuments } from "../../capture-bridge/pipeline/decode";
import type { Store } from "../../db/client";
import { type ArchivedEntry, BUNDLE_SIZE } from "../../db/ledger/archive";
import { CHECKPOINT_EVERY, leafHashes } from "../../db/ledger/log";
import {
  inclusionProof,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from "../../db/ledger/merkle";
import { consistencyProofFor, inclusionProofFor } from "../../db/ledger/proofs";
import { type VerifyReport, verifyLedger } from "../../db/ledger/verify";
import { ingestGraph } from "../../db/prov/ingest";
import {
  createTestStore,
  REAL_DATABASE_URL,
  type StoreKind,
  type TestStore,
} from "../setup/databases";
import {
  type BenchOptions,
  type BenchResult,
  type BenchRow,
  currentLoad,
  describeEnvironment,
  type Figure,
  type StoreDescription,
} from "./bench-result";
import {
  countRows,
  percentile,
  perSecond,
  savedPercent,
  serverCpu,
  serverVersion,
  sum,
  timed,
  timedSync,
} from "./bench-stats";
import {
  type ArchiveFigures,
  type ArchiveMessage,
  fullBundles,
  ledgerEntries,
  measureArchive,
} from "./ledger-archive";
import {
  buildSyntheticLogs,
  decodeCost,
  insertSyntheticLogs,
  type SyntheticLog,
} from "./ledger-synthetic";
import { sameBytes } from "./ledger-tree";
import { type Part, profileVerification, type VerificationProfile } from "./ledger-verify-profile";
import { createRandom, type GeneratedDocument, generateDocuments } from "./prov-generator";

const FIXTURE_PATH = path.resolve("../shared/fixtures/camflow/w3c/camtool-v0.2.2-badlog.log");
const SPADE_DIR = path.resolve("../shared/fixtures/camflow/spade-json");
const SEED = 20_240_501; // the ingest bench's
const SIZES = {
  quick: {
    largeDocuments: 6,
    smallDocuments: 40,
    warmUp: 2,
    syntheticLogs: 1,
    leavesPerLog: 1_100,
    inclusionSamples: 15,
    verifyRounds: 1,
    consistencySamples: 8,
    archiveBundle: 16,
  },
  full: {
    largeDocuments: 60,
    smallDocuments: 300,
    warmUp: 10,
    syntheticLogs: 8,
    leavesPerLog: 6_500,
    inclusionSamples: 30,
    // As tests/bench/ledger-verify-cpu.ts: a run takes a quarter of a second, and one of three
    // often meets a collection of the heap the bench built before.
    verifyRounds: 7,
    consistencySamples: 15,
    archiveBundle: BUNDLE_SIZE,
  },
} as const;
const LARGE = { minElements: 100, maxElements: 500, appShare: 0.3 } as const; // the ingest bench's
const SMALL = { minElements: 1, maxElements: 3, appShare: 0, machines: 1 } as const;
const ALTERNATIVE_BROTLI = [
  { quality: 5, lgwin: 22 },
  { quality: 9, lgwin: 24 },
] as const;

const SECTION = {
  append: "append overhead on ingest (same documents, with and without the ledger, alternating)",
  verify: "verification: verifyLedger over the stored logs",
  profile: "verification, where the time goes (each part timed alone over the same logs)",
  proofs: "proofs from the store (latency per request)",
  archive: "archive: sealed bundles (brotli, encodeBundle) against the raw messages",
  brotli: "archive: the same bundles at other brotli settings (suggestion)",
} as const;

interface Arm {
  documents: number;
  elements: number;
  newElements: number;
  latenciesMs: number[];
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const start = { date: new Date(), load: currentLoad() };
  const sizes = quick ? SIZES.quick : SIZES.full;
  const large = generateDocuments({
    seed: SEED,
    documents: sizes.largeDocuments,
    ...LARGE,
    runTag: "bench",
  });
  const small = generateDocuments({
    seed: SEED + 2,
    documents: sizes.smallDocuments,
    ...SMALL,
    runTag: "ledger-small",
  });
  const warmUp = generateDocuments({
    seed: SEED + 1,
    documents: sizes.warmUp,
    ...SMALL,
    runTag: "warm-up",
  });

  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const stores: StoreDescription[] = [];
  // Where this bench's own wall time goes, for keeping it within its budget.
  const phases = new Map<string, number>();
  let phaseStarted = performance.now();
  const phase = (name: string) => {
    const now = performance.now();
    phases.set(name, (phases.get(name) ?? 0) + (now - phaseStarted));
    phaseStarted = now;
  };

  // Pure: before any timing.
  const buildStarted = performance.now();
  const synthetic = buildSyntheticLogs({
    logs: sizes.syntheticLogs,
    leavesPerLog: sizes.leavesPerLog,
    hostPrefix: "bench-synthetic",
  });
  const syntheticBuildMs = performance.now() - buildStarted;
  const decode = decodeCost(synthetic[0] as SyntheticLog);
  phase("synthetic logs built");
  const syntheticLeaves = sizes.syntheticLogs * sizes.leavesPerLog;

  const kinds: StoreKind[] = REAL_DATABASE_URL ? ["postgres", "pglite"] : ["pglite"];
  for (const kind of kinds) {
    const open: TestStore[] = [];
    try {
      // The three fresh stores of this kind, opened together (PGlite spends seconds on each).
      const opened = await Promise.allSettled([1, 2, 3].map(() => createTestStore(kind)));
      for (const result of opened) if (result.status === "fulfilled") open.push(result.value);
      const failed = opened.find((result) => result.status === "rejected");
      if (failed) throw failed.reason;
      const [withLedger, without, syntheticStore] = open as [TestStore, TestStore, TestStore];
      stores.push({ kind, version: await serverVersion(withLedger.store) });
      phase("stores opened");

      // Warm-up: other ids, not counted, into both stores.
      for (const document of warmUp) {
        await ingestDocument(withLedger.store, document, true);
        await ingestDocument(without.store, document, false);
      }
      const hostsOf = (documents: GeneratedDocument[]) =>
        new Set(documents.map((d) => d.host)).size;
      const perDocument = (documents: GeneratedDocument[]) =>
        Math.round(sum(documents.map((d) => d.elements)) / Math.max(1, documents.length));
      for (const [workload, documents] of [
        [
          `ingest-bench documents (${LARGE.minElements}-${LARGE.maxElements} elements, ${hostsOf(large)} hosts)`,
          large,
        ],
        [
          `small CamFlow documents (${perDocument(small)} elements on average, ${hostsOf(small)} host)`,
          small,
        ],
      ] as const) {
        phase("append");
        const arms = await alternate(withLedger.store, without.store, documents);
        phase("append");
        if (arms.ledger.newElements !== arms.plain.newElements) {
          throw new Error(
            `${kind}, ${workload}: ${arms.ledger.newElements} new elements with the ledger, ${arms.plain.newElements} without; want equal`,
          );
        }
        const withoutMs = sum(arms.plain.latenciesMs);
        const withMs = sum(arms.ledger.latenciesMs);
        rows.push({
          section: SECTION.append,
          label: `${kind}, ${workload}, without ledger`,
          figures: armFigures(arms.plain),
        });
        rows.push({
          section: SECTION.append,
          label: `${kind}, ${workload}, with ledger`,
          figures: [
            ...armFigures(arms.ledger),
            { name: "overhead", value: (withMs / withoutMs - 1) * 100, unit: "%" },
            {
              name: "p50 overhead",
              value:
                (percentile(arms.ledger.latenciesMs, 0.5) ?? 0) -
                (percentile(arms.plain.latenciesMs, 0.5) ?? 0),
              unit: "ms",
            },
            {
              name: "ledger ms/doc",
              value: (withMs - withoutMs) / documents.length,
              unit: "",
              digits: 2,
            },
          ],
        });
      }
      const recorded = await countRows(withLedger.store, "ledger_records");
      const unrecorded = await countRows(without.store, "ledger_records");
      const expectedRecords = warmUp.length + large.length + small.length;
      if (recorded !== expectedRecords || unrecorded !== 0) {
        throw new Error(
          `${kind}: ${recorded} ledger records with evidence (want ${expectedRecords}), ${unrecorded} without (want 0)`,
        );
      }
      const [sealed] = await withLedger.store.rows<{ bundles: number; data: number; raw: number }>(
        sql`select count(*)::int as bundles, coalesce(sum(length(data)), 0)::bigint as data,
                   coalesce(sum(raw_bytes), 0)::bigint as raw from ledger_bundles`,
      );
      const [checkpointed] = await withLedger.store.rows<{ count: number }>(
        sql`select count(*)::int as count from ledger_checkpoints`,
      );
      notes.push(
        `${kind}: the ledger arm holds ${recorded} records, ${sealed?.bundles ?? 0} sealed bundle(s) and ${checkpointed?.count ?? 0} checkpoint(s) (one of each every ${BUNDLE_SIZE} records of a log).`,
      );
      if (sealed && sealed.bundles > 0) {
        rows.push({
          section: SECTION.archive,
          label: `${kind} store: bundles sealed while ingesting the small documents (raw = the decoded message, as the pipeline archives it)`,
          figures: [
            { name: "bundles", value: sealed.bundles, unit: "" },
            { name: "raw", value: Number(sealed.raw), unit: "bytes" },
            { name: "bundle", value: Number(sealed.data), unit: "bytes" },
            {
              name: "saved",
              value: savedPercent(Number(sealed.raw), Number(sealed.data)),
              unit: "%",
            },
            {
              name: "ratio",
              value: Number(sealed.raw) / Number(sealed.data),
              unit: "x",
              digits: 2,
            },
          ],
        });
      }
      await without.dispose();
      open.splice(open.indexOf(without), 1);

      // Verification of what the ledger arm recorded through ingest.
      phase("append");
      const ingested = await verifyStore(
        withLedger.store,
        `${kind}`,
        "ingested store",
        sizes.verifyRounds,
      );
      phase("verification and profile");
      rows.push(...ingested.rows);
      await withLedger.dispose();
      open.splice(open.indexOf(withLedger), 1);

      // Many leaves: the synthetic logs.
      const inserted = await timed(() => insertSyntheticLogs(syntheticStore.store, synthetic));
      notes.push(
        `${kind}: ${syntheticLeaves.toLocaleString("en-US")} synthetic records inserted in ${Math.round(inserted.ms)} ms (one INSERT ... SELECT per table and log; not an append figure).`,
      );
      phase("synthetic logs inserted");
      const many = await verifyStore(
        syntheticStore.store,
        kind,
        `synthetic store: ${sizes.syntheticLogs} logs x ${sizes.leavesPerLog.toLocaleString("en-US")} leaves`,
        sizes.verifyRounds,
      );
      if (many.leaves !== syntheticLeaves) {
        throw new Error(
          `${kind}: verified ${many.leaves} synthetic leaves, want ${syntheticLeaves}`,
        );
      }
      rows.push(...many.rows);
      phase("verification and profile");
      rows.push(
        ...(await measureProofs(syntheticStore.store, kind, synthetic[0] as SyntheticLog, sizes)),
      );
      phase("proofs");
    } finally {
      for (const testStore of open.reverse()) await testStore.dispose();
    }
  }

  phase("stores closed");
  const archive = measureArchives(sizes.archiveBundle, quick);
  rows.push(...archive.rows);
  phase("archive");

  const largeElements = sum(large.map((d) => d.elements));
  const smallElements = sum(small.map((d) => d.elements));
  notes.unshift(
    `Append: ${large.length} ingest-bench documents (the first of its seed, ${largeElements.toLocaleString("en-US")} elements, ${large.filter((d) => d.flavour === "app").length} app-level) and ${small.length} small CamFlow-shaped documents from one host (${smallElements.toLocaleString("en-US")} elements), each into a fresh store with the ledger and a fresh store without, alternating per document; ${warmUp.length} warm-up documents per store not counted. Time per document is decode + parse + ingestGraph (one transaction); the ledger arm's evidence is the decoded message, as ingestMessage passes it. "without ledger" still runs the RETURNING of full rows that the ledger's digest uses.`,
    `"overhead" is total time with over total time without; "ledger ms/doc" the difference per document; "p50 overhead" the difference of the medians, which leaves out the rare seal. The ingest-bench documents spread over ${new Set(large.map((d) => d.host)).size} host logs and reach no ${BUNDLE_SIZE}-record boundary, so they include no seal or checkpoint; the small documents' one log ${quick ? "reaches none either in quick" : `seals a bundle and signs a checkpoint at record ${BUNDLE_SIZE} (the max column): brotli 11 over the ${BUNDLE_SIZE} raw messages, whose time grows with their bytes (see the archive's encode MB/s), plus reading every leaf hash of the log and rebuilding its tree`}.`,
    `Synthetic logs: ${sizes.syntheticLogs} log(s) of ${sizes.leavesPerLog.toLocaleString("en-US")} records (tiny raw messages, no elements), built once in ${(syntheticBuildMs / 1000).toFixed(1)} s with the rows finishAppend writes (leaves, sealed bundles, a tail of ${sizes.leavesPerLog % BUNDLE_SIZE} records, a signed checkpoint every ${CHECKPOINT_EVERY}) and inserted with one statement per table and log. One difference: their bundles are the ledger's frame at brotli 5, not 11 (11 would take minutes for the full run's 200 bundles); decodeBundle takes ${decode.fastMs.toFixed(2)} ms on one of them and ${decode.sealedMs.toFixed(2)} ms on the same bundle sealed by encodeBundle (best of 20).`,
    `Verification is verifyLedger without verifier state (a first run), best of ${sizes.verifyRounds} by wall time, once as the CLI runs it (chunks of 4,096 records verified on worker threads while the next chunks are read) and once on this thread alone (workers: 0); leaves/s = leaves / wall time; CPU = process.cpuUsage over the run, all threads; server CPU (PostgreSQL only) = utime + stime of the database's backends from /proc/<pid>/stat over the same run (10 ms resolution), and "with server" divides by the sum of both. On a machine shared with other work the wall time is a lower bound on speed; leaves per CPU-second moves less. The profile repeats the reads and checks one kind at a time on this thread, right after; "share" is of the sum of the parts.`,
    `Proofs: p50/p95/p99 are nearest-rank over the samples (p99 of few samples is near the max). A proof reads the stored subtrees of 256 leaves and more it needs (O(log n)) and at most a few runs of fewer than 256 leaf hashes; the "for comparison" rows time what every proof request did before: read all the log's leaf hashes and hash from them.`,
    ...archive.notes,
  );
  if (!REAL_DATABASE_URL) notes.push("DATABASE_URL is not set: PostgreSQL was not measured.");
  notes.push(
    `This bench's own time: ${[...phases].map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)} s`).join(", ")}.`,
  );

  return {
    title: "Ledger: append overhead, verification, proofs and archive size",
    quick,
    parameters: {
      seed: SEED,
      largeDocuments: sizes.largeDocuments,
      smallDocuments: sizes.smallDocuments,
      warmUpDocuments: sizes.warmUp,
      syntheticLogs: sizes.syntheticLogs,
      leavesPerLog: sizes.leavesPerLog,
      inclusionSamples: sizes.inclusionSamples,
      consistencySamples: sizes.consistencySamples,
      archiveBundle: sizes.archiveBundle,
      bundleSize: BUNDLE_SIZE,
      checkpointEvery: CHECKPOINT_EVERY,
      fixture: FIXTURE_PATH,
    },
    rows,
    notes,
    environment: describeEnvironment(stores, start),
  };
}

/** Each document into both stores, the order switching per document. */
async function alternate(
  ledgerStore: Store,
  plainStore: Store,
  documents: readonly GeneratedDocument[],
): Promise<{ ledger: Arm; plain: Arm }> {
  const arm = (): Arm => ({ documents: 0, elements: 0, newElements: 0, latenciesMs: [] });
  const ledger = arm();
  const plain = arm();
  for (const [i, document] of documents.entries()) {
    const order: [Store, boolean, Arm][] = [
      [ledgerStore, true, ledger],
      [plainStore, false, plain],
    ];
    if (i % 2 === 1) order.reverse();
    for (const [store, withEvidence, into] of order) {
      const { ms, added } = await ingestDocument(store, document, withEvidence);
      into.documents += 1;
      into.elements += document.elements;
      into.newElements += added;
      into.latenciesMs.push(ms);
    }
  }
  return { ledger, plain };
}

/** ingestMessage's path for one message, with or without the ledger record. */
async function ingestDocument(
  store: Store,
  document: GeneratedDocument,
  withEvidence: boolean,
): Promise<{ ms: number; added: number }> {
  const started = performance.now();
  const text = decodePayload(document.payload);
  const parts = readDocuments(text);
  let added = 0;
  for (const part of parts) {
    if (!part.ok) throw new Error(`generated document is not JSON: ${part.reason}`);
    // As ingestMessage archives it: the decoded message (camflowd's base64+zlib undone).
    const raw = Buffer.from(parts.length === 1 ? text : part.text, "utf8");
    const documentKey = createHash("sha256").update(raw).digest("hex");
    const graph = parseProvJson(part.value, { documentKey });
    const evidence = withEvidence ? { raw, receivedAt: new Date() } : null;
    const result = await ingestGraph(store, graph, graph.host ?? document.host, evidence);
    added += result.newNodes + result.newRelations;
  }
  return { ms: performance.now() - started, added };
}

function armFigures(arm: Arm): Figure[] {
  const elapsedMs = sum(arm.latenciesMs);
  return [
    { name: "documents", value: arm.documents, unit: "" },
    { name: "elements", value: arm.elements, unit: "" },
    { name: "elements/s", value: perSecond(arm.elements, elapsedMs), unit: "" },
    { name: "documents/s", value: perSecond(arm.documents, elapsedMs), unit: "" },
    { name: "p50", value: percentile(arm.latenciesMs, 0.5), unit: "ms" },
    { name: "p99", value: percentile(arm.latenciesMs, 0.99), unit: "ms" },
    { name: "max", value: Math.max(...arm.latenciesMs), unit: "ms" },
  ];
}

/**
 * verifyLedger (must pass) as the CLI runs it (worker threads) and on this thread alone, best of
 * `rounds` each by wall time, with the CPU time of that run (all threads); then the profile.
 */
async function verifyStore(
  store: Store,
  kind: StoreKind,
  what: string,
  rounds: number,
): Promise<{ rows: BenchRow[]; leaves: number }> {
  const run = async (workers: number | undefined) => {
    let best: { ms: number; cpuMs: number; serverCpuMs: number; report: VerifyReport } | null =
      null;
    for (let round = 0; round < rounds; round++) {
      const cpu = process.cpuUsage();
      const { value: verified, serverCpuMs } = await serverCpu(store, () =>
        timed(() => verifyLedger(store, { workers })),
      );
      const used = process.cpuUsage(cpu);
      const { report } = verified.value;
      if (!report.ok) {
        const first = report.findings[0];
        throw new Error(
          `${kind}, ${what}: verifyLedger found ${report.findings.length} problem(s), first: ${first?.log} ${first?.index} ${first?.kind} ${first?.detail}`,
        );
      }
      if (!best || verified.ms < best.ms) {
        best = { ms: verified.ms, cpuMs: (used.user + used.system) / 1000, serverCpuMs, report };
      }
    }
    return best as { ms: number; cpuMs: number; serverCpuMs: number; report: VerifyReport };
  };
  // Warm-up, not counted: this thread's code, and the worker threads with their connections.
  await verifyLedger(store, { workers: 0 });
  await verifyLedger(store);
  const pooled = await run(undefined);
  const single = await run(0);
  const profile = await profileVerification(store);
  if (profile.leaves !== pooled.report.leaves) {
    throw new Error(
      `${kind}, ${what}: profile saw ${profile.leaves} leaves, verifyLedger ${pooled.report.leaves}`,
    );
  }
  const report = pooled.report;
  const row = (label: string, r: { ms: number; cpuMs: number; serverCpuMs: number }): BenchRow => ({
    section: SECTION.verify,
    label: `${kind}, ${what}, ${label}`,
    figures: [
      { name: "logs", value: report.logs.length, unit: "" },
      { name: "leaves", value: report.leaves, unit: "" },
      { name: "elements", value: profile.elements, unit: "" },
      { name: "checkpoints", value: profile.checkpoints, unit: "" },
      { name: "time", value: r.ms, unit: "ms" },
      { name: "leaves/s", value: perSecond(report.leaves, r.ms), unit: "" },
      { name: "CPU", value: r.cpuMs, unit: "ms" },
      { name: "leaves per CPU-s", value: perSecond(report.leaves, r.cpuMs), unit: "" },
      ...(kind === "postgres"
        ? [
            { name: "server CPU", value: r.serverCpuMs, unit: "ms" },
            {
              name: "leaves per CPU-s, with server",
              value: perSecond(report.leaves, r.cpuMs + r.serverCpuMs),
              unit: "",
            },
          ]
        : []),
    ],
  });
  const rows: BenchRow[] = [
    row(`worker threads (default: ${Math.min(4, availableParallelism())})`, pooled),
    row("this thread only (workers: 0)", single),
  ];
  rows.push(...profileRows(profile, single.ms, `${kind}, ${what}`));
  return { rows, leaves: report.leaves };
}

function profileRows(profile: VerificationProfile, totalMs: number, prefix: string): BenchRow[] {
  const parts: [string, Part][] = [
    ["DB reads: records, bundles, tail (one binary COPY per chunk)", profile.chunkReads],
    [
      "per chunk (verifyChunk): leaf hashes, leaf reads, archive (brotli, raw hashes), block roots",
      profile.chunkWork,
    ],
    ["DB reads: checkpoints", profile.checkpointReads],
    [
      `roots at ${profile.checkpoints} checkpoint sizes and the whole log, from block roots`,
      profile.roots,
    ],
    ["checkpoint signatures (Ed25519, signed note)", profile.signatures],
    ["DB reads: elements (prov_nodes, prov_relations)", profile.elementReads],
    ["element digests (group, RFC 8785, SHA-256)", profile.elementDigests],
  ];
  const counted = sum(parts.map(([, part]) => part.ms));
  const figures = (part: Part, share: number | null): Figure[] => [
    { name: "time", value: part.ms, unit: "ms" },
    ...(share === null ? [] : [{ name: "share", value: share, unit: "%" }]),
    { name: "µs/leaf", value: (part.ms * 1000) / profile.leaves, unit: "", digits: 2 },
    { name: "CPU", value: part.cpuMs, unit: "ms" },
    { name: "CPU µs/leaf", value: (part.cpuMs * 1000) / profile.leaves, unit: "", digits: 2 },
  ];
  const rows: BenchRow[] = parts.map(([label, part]) => ({
    section: SECTION.profile,
    label: `${prefix}: ${label}`,
    figures: figures(part, (part.ms / counted) * 100),
  }));
  rows.push({
    section: SECTION.profile,
    label: `${prefix}: sum of the parts (verifyLedger on this thread: ${Math.round(totalMs).toLocaleString("en-US")} ms)`,
    figures: figures({ ms: counted, cpuMs: sum(parts.map(([, part]) => part.cpuMs)) }, 100),
  });
  rows.push({
    section: SECTION.profile,
    label: `${prefix}: for comparison, hashing alone (hashLeaf + rootFromLeafHashes, one node:crypto call per hash)`,
    figures: figures(profile.hashingCeiling, null),
  });
  return rows;
}

async function measureProofs(
  store: Store,
  kind: StoreKind,
  log: SyntheticLog,
  sizes: (typeof SIZES)[keyof typeof SIZES],
): Promise<BenchRow[]> {
  const random = createRandom(SEED + 5);
  const n = log.leaves.length;
  const root = rootFromLeafHashes(log.leafHashes);
  const fromB64 = (text: string) => new Uint8Array(Buffer.from(text, "base64"));
  // Warm-up: one of each, not counted.
  await inclusionProofFor(store, log.origin, { index: 0 });
  await consistencyProofFor(store, log.origin, 1, n);

  const inclusion: number[] = [];
  for (let i = 0; i < sizes.inclusionSamples; i++) {
    const index = random.int(0, n - 1);
    const { value, ms } = await timed(() => inclusionProofFor(store, log.origin, { index }));
    inclusion.push(ms);
    const leafHash = fromB64(value.leafHash);
    if (
      !sameBytes(leafHash, log.leafHashes[index] as Uint8Array) ||
      !sameBytes(fromB64(value.rootHash), root) ||
      !verifyInclusion(leafHash, index, value.treeSize, value.proof.map(fromB64), root)
    ) {
      throw new Error(`${kind}: the inclusion proof of ${index} in ${log.origin} does not verify`);
    }
  }
  const consistency: number[] = [];
  for (let i = 0; i < sizes.consistencySamples; i++) {
    const size1 = random.int(1, n - 1);
    const { value, ms } = await timed(() => consistencyProofFor(store, log.origin, size1, n));
    consistency.push(ms);
    if (
      !sameBytes(fromB64(value.root2), root) ||
      !verifyConsistency(size1, n, value.proof.map(fromB64), fromB64(value.root1), root)
    ) {
      throw new Error(`${kind}: the consistency proof ${size1} -> ${n} does not verify`);
    }
  }
  // What a request spent before the stored subtrees: every leaf hash of the log, then hashing.
  const [row] = await store.rows<{ id: number }>(
    sql`select id from ledger_logs where origin = ${log.origin}`,
  );
  const reads: number[] = [];
  const hashing: number[] = [];
  for (let i = 0; i < 5; i++) {
    const read = await timed(() => leafHashes(store, row?.id ?? -1));
    reads.push(read.ms);
    const index = random.int(0, n - 1);
    hashing.push(
      timedSync(() => {
        rootFromLeafHashes(read.value);
        inclusionProof(index, read.value);
      }).ms,
    );
  }
  const latency = (samples: number[]): Figure[] => [
    { name: "samples", value: samples.length, unit: "" },
    { name: "p50", value: percentile(samples, 0.5), unit: "ms" },
    { name: "p95", value: percentile(samples, 0.95), unit: "ms" },
    { name: "p99", value: percentile(samples, 0.99), unit: "ms" },
    { name: "mean", value: sum(samples) / samples.length, unit: "ms" },
  ];
  return [
    {
      section: SECTION.proofs,
      label: `${kind}, inclusion proof, random index, log of ${n.toLocaleString("en-US")} leaves`,
      figures: latency(inclusion),
    },
    {
      section: SECTION.proofs,
      label: `${kind}, consistency proof, random size1 -> ${n.toLocaleString("en-US")}`,
      figures: latency(consistency),
    },
    {
      section: SECTION.proofs,
      label: `${kind}, for comparison: reading every leaf hash of the log (what each proof did before ledger_subtrees)`,
      figures: latency(reads),
    },
    {
      section: SECTION.proofs,
      label: `${kind}, for comparison: then hashing the root and an inclusion path from them`,
      figures: latency(hashing),
    },
  ];
}

function measureArchives(
  bundleSize: number,
  quick: boolean,
): { rows: BenchRow[]; notes: string[] } {
  const rows: BenchRow[] = [];
  const notes: string[] = [];

  // (a) The CamFlow fixture: each w3c document line a message, as ingestMessage splits a log.
  const fixtureText = readFileSync(FIXTURE_PATH, "utf8");
  // One capture host wrote the file; its first document (the machine entity) names no
  // machine id, so it is put in the same log as the rest.
  const fixtureParts = readDocuments(fixtureText).flatMap((part) => (part.ok ? [part] : []));
  const hostCounts = new Map<string, number>();
  for (const part of fixtureParts) {
    const host = parseProvJson(part.value, { documentKey: "fixture" }).host;
    if (host) hostCounts.set(host, (hostCounts.get(host) ?? 0) + 1);
  }
  const fixtureHost = [...hostCounts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "camtool-v0.2.2";
  const fixtureMessages: ArchiveMessage[] = fixtureParts.map((part) => ({
    host: fixtureHost,
    raw: Buffer.from(part.text, "utf8"),
    json: part.text,
  }));
  const fixtureEntries = ledgerEntries(fixtureMessages).get(fixtureHost) ?? [];
  const fixtureCount = fixtureMessages.length;
  // Fewer documents than a bundle: seal what there is, in runs of at most bundleSize.
  const fixtureGroups: ArchivedEntry[][] = [];
  for (let first = 0; first < fixtureEntries.length; first += bundleSize) {
    fixtureGroups.push(fixtureEntries.slice(first, first + bundleSize));
  }
  if (quick) fixtureGroups.splice(1);
  const fixtureName = FIXTURE_PATH.split("/").pop();
  const fixture = measureArchive(fixtureGroups, ALTERNATIVE_BROTLI);
  rows.push(archiveRow(`CamFlow fixture ${fixtureName} (w3c lines)`, fixture));

  // (b) Simulator output: CamFlow-shaped documents as raw JSON (what the pipeline archives), and
  // for comparison as they travel (the MQTT payload: base64 of zlib); app-level documents.
  const camflow = generateDocuments({
    seed: SEED + 3,
    documents: bundleSize,
    ...SMALL,
    runTag: "archive",
  });
  const asJson = (d: GeneratedDocument) =>
    inflateSync(Buffer.from(Buffer.from(d.payload).toString("ascii"), "base64")).toString("utf8");
  const camflowJson = camflow.map((d) => {
    const json = asJson(d);
    return { host: d.host, raw: Buffer.from(json, "utf8"), json };
  });
  const simulator = measureArchive(
    fullBundles(ledgerEntries(camflowJson), bundleSize),
    ALTERNATIVE_BROTLI,
  );
  rows.push(archiveRow("simulator, CamFlow-shaped, raw JSON", simulator));
  const payloads = measureArchive(
    fullBundles(
      ledgerEntries(
        camflow.map((d, i) => ({ host: d.host, raw: d.payload, json: camflowJson[i]?.json ?? "" })),
      ),
      bundleSize,
    ),
  );
  rows.push(
    archiveRow(
      "simulator, CamFlow-shaped, if archived as received (MQTT payload: base64 of zlib)",
      payloads,
    ),
  );
  const apps = generateDocuments({
    seed: SEED + 4,
    documents: bundleSize * 7,
    minElements: 1,
    maxElements: 3,
    appShare: 1,
    runTag: "archive-app",
  });
  const appGroups = fullBundles(
    ledgerEntries(
      apps.map((d) => {
        const json = Buffer.from(d.payload).toString("utf8");
        return { host: d.host, raw: d.payload, json };
      }),
    ),
    bundleSize,
  ).slice(0, 1);
  rows.push(archiveRow("simulator, app-level (gdpr:), plain JSON", measureArchive(appGroups)));

  for (const [label, figures] of [
    ["CamFlow fixture", fixture],
    ["simulator, CamFlow-shaped, raw JSON", simulator],
  ] as const) {
    rows.push({
      section: SECTION.brotli,
      label: `${label}: brotli 11, window 2^24 (encodeBundle today)`,
      figures: brotliFigures(figures.rawBytes, figures.bundleBytes, figures.encodeMs),
    });
    for (const alternative of figures.alternatives) {
      rows.push({
        section: SECTION.brotli,
        label: `${label}: brotli ${alternative.setting.quality}, window 2^${alternative.setting.lgwin}`,
        figures: brotliFigures(figures.rawBytes, alternative.bytes, alternative.encodeMs),
      });
    }
  }

  const spade = spadeLines();
  notes.push(
    `Archive (a): ${fixtureName} holds ${fixtureCount} documents from one host (${fixtureHost}; its first document names no machine and is counted in the same log), fewer than a ${BUNDLE_SIZE}-record bundle: sealed directly with encodeBundle as ${fixtureGroups.length} bundle(s) of at most ${bundleSize}${quick ? " (quick: the first only)" : ""}. The spade-json logs (${spade.lines} lines) are not PROV-JSON messages: each line parses as JSON but yields ${spade.elements} PROV elements, so they are left out.`,
    `Archive (b): ${camflow.length} CamFlow-shaped generator documents from one machine (${SMALL.minElements}-${SMALL.maxElements} element target, about ${Math.round(simulator.rawBytes / Math.max(1, simulator.documents))} bytes of JSON each, near the fixture's ${Math.round(fixture.rawBytes / Math.max(1, fixture.documents))}); app-level: the first full bundle of one service host. Leaves are built as finishAppend builds them. "saved" and "ratio" are against the raw messages only; "leaves" is their raw size, "leaves sealed alone" what the same leaves compress to without the messages (what they add to a bundle, at most).${quick ? ` Quick: bundles of ${bundleSize}, not ${BUNDLE_SIZE}.` : ""}`,
  );
  return { rows, notes };
}

function archiveRow(label: string, f: ArchiveFigures): BenchRow {
  return {
    section: SECTION.archive,
    label,
    figures: [
      { name: "bundles", value: f.bundles, unit: "" },
      { name: "documents", value: f.documents, unit: "" },
      { name: "raw", value: f.rawBytes, unit: "bytes" },
      { name: "bundle", value: f.bundleBytes, unit: "bytes" },
      { name: "saved", value: savedPercent(f.rawBytes, f.bundleBytes), unit: "%" },
      { name: "ratio", value: f.rawBytes / f.bundleBytes, unit: "x", digits: 1 },
      { name: "worst bundle saved", value: f.worstSavedPercent, unit: "%" },
      { name: "leaves", value: f.leafBytes, unit: "bytes" },
      { name: "leaves sealed alone", value: f.leavesOnlyBytes, unit: "bytes" },
      { name: "encode", value: f.encodeMs / f.bundles, unit: "ms/bundle" },
      { name: "encode rate", value: f.rawBytes / 1000 / f.encodeMs, unit: "MB/s", digits: 2 },
      { name: "decode", value: f.decodeMs / f.bundles, unit: "ms/bundle" },
    ],
  };
}

function brotliFigures(raw: number, bytes: number, ms: number): Figure[] {
  return [
    { name: "bytes", value: bytes, unit: "" },
    { name: "saved", value: savedPercent(raw, bytes), unit: "%" },
    { name: "ratio", value: raw / bytes, unit: "x", digits: 1 },
    { name: "encode", value: ms, unit: "ms" },
    { name: "encode rate", value: raw / 1000 / ms, unit: "MB/s", digits: 2 },
  ];
}

/** Lines of the spade-json logs and the PROV elements parseProvJson finds in them. */
function spadeLines(): { lines: number; elements: number } {
  let lines = 0;
  let elements = 0;
  for (const name of [
    "android-v0.8.0-example-cp.log",
    "android-v0.8.0-example-cp-filter-applied.log",
    "android-v0.8.0-example-write-file.log",
    "android-v0.8.0-example-write-file-noprop.log",
  ]) {
    for (const part of readDocuments(readFileSync(`${SPADE_DIR}/${name}`, "utf8"))) {
      if (!part.ok) continue;
      let graph: ReturnType<typeof parseProvJson>;
      try {
        graph = parseProvJson(part.value, { documentKey: `spade-${lines + 1}` });
      } catch (error) {
        // A line with no PROV-JSON section (SPADE's header) is quarantined by the bridge.
        if (error instanceof ProvFormatError) continue;
        throw error;
      }
      lines += 1;
      elements += graph.nodes.length + graph.relations.length;
    }
  }
  return { lines, elements };
}
