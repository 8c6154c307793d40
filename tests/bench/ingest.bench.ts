/**
 * Ingest throughput, end to end: `provtopia simulate` (a separate process, as capture hosts
 * are) publishes a simulated organisation's CamFlow-shaped and app-level PROV-JSON over MQTT
 * into a Mosquitto of the bench's own; the bridge's MQTT source and batching pipeline (in this
 * process, composed as capture-bridge/main.ts does) store it in a fresh database on the real
 * PostgreSQL (DATABASE_URL, required), ledger included.
 *
 * The simulator's messages are generated once into a recording (`provtopia simulate --record`,
 * kept in the system's temporary directory under a name made of the parameters and the
 * generator's source, so a changed generator records afresh) and replayed (`--replay`) at RATE
 * elements/s for the duration (`--duration S`, default 300 s; `--quick`: 15 s): replaying costs
 * the publisher about a tenth of generating, so the cores go to the bridge and PostgreSQL as
 * they would with the capture hosts elsewhere (decision 46). `INGEST_BENCH_SIMULATOR=live`
 * generates while publishing, as before. The bench then waits until every published message is committed and checks
 * that nothing was lost (committed messages = published, nothing quarantined, and the store holds exactly the
 * new elements the batches reported). Reported: elements/s over the whole run
 * (first publish to last commit) and over each 10 s window (the slowest window is the
 * "sustained" figure), how far the bridge lagged when publishing stopped, p50/p99 batch latency
 * (first message of a batch received -> batch committed), peak RSS of this process (the
 * bridge; PostgreSQL and Mosquitto are other processes), and the publisher's CPU time.
 *
 * The bench broker allows MAX_INFLIGHT unacknowledged messages per client (Mosquitto's default is
 * 20, which caps a batch at 20 messages) and queues without limit (default 1,000 messages, beyond
 * which Mosquitto drops QoS 1 messages for a slow or absent subscriber): the settings README.md
 * recommends for a bridge's broker.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { sql } from "drizzle-orm";
import { MALLOC_ENV } from "../../capture-bridge/bin/malloc-env.js";
import { createPipeline } from "../../capture-bridge/pipeline/pipeline";
import { startMqttSource } from "../../capture-bridge/sources/mqtt";
import { openStore } from "../../db/client";
import { checkpointAll } from "../../db/ledger/log";
import { createTestDatabase, REAL_DATABASE_URL } from "../setup/databases";
import { processCpuMs, startPrivateMosquitto } from "../setup/private-servers";
import {
  type BenchOptions,
  type BenchResult,
  currentLoad,
  describeEnvironment,
} from "./bench-result";
import { percentile, serverVersion } from "./bench-stats";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const exec = promisify(execFile);

const RATE = Number(process.env.INGEST_BENCH_RATE ?? 65_000);
/** `INGEST_BENCH_LABELS=off` measures the ingest path without labelling (db/labels). */
const LABELS = process.env.INGEST_BENCH_LABELS !== "off";
/** `INGEST_BENCH_SIMULATOR=live`: generate while publishing instead of replaying a recording. */
const LIVE = process.env.INGEST_BENCH_SIMULATOR === "live";
const HOSTS = 12;
const SUBJECTS = 20_000;
const SEED = 20_261_130;
const DURATION_S = { quick: 15, full: 300 } as const;
const WINDOW_MS = 10_000;
const MAX_INFLIGHT = 1_000;
/** How long the bench waits for the backlog after publishing (`INGEST_BENCH_DRAIN_TIMEOUT_S`). */
const DRAIN_TIMEOUT_MS = Number(process.env.INGEST_BENCH_DRAIN_TIMEOUT_S ?? 600) * 1000;
const RSS_SAMPLE_MS = 100;
const CHECKPOINT_INTERVAL_MS = 10_000;

const GENERATOR_SOURCES = ["organisation.ts", "camflow-shape.ts", "recording.ts"].map((file) =>
  path.join(ROOT, "capture-bridge/simulate", file),
);
const simulateCli = (args: string[]) =>
  exec(process.execPath, ["--import", "tsx", "capture-bridge/cli.ts", "simulate", ...args], {
    cwd: ROOT,
    maxBuffer: 1 << 20,
  });
const lastJsonLine = <T>(stdout: string) =>
  JSON.parse(stdout.trim().split("\n").at(-1) as string) as T;

/**
 * The recording the run replays: RATE x duration elements of the bench's organisation, made
 * once per parameters and generator source. Returns its path and how long making it took (0
 * when it was already there).
 */
async function recordingFor(durationS: number): Promise<{ file: string; recordedInMs: number }> {
  const generator = createHash("sha256");
  for (const file of GENERATOR_SOURCES) generator.update(readFileSync(file));
  const key = [SEED, HOSTS, SUBJECTS, RATE, durationS, generator.digest("hex").slice(0, 12)];
  const dir = path.join(tmpdir(), "provtopia-bench");
  const file = path.join(dir, `ingest-${key.join("-")}.recording`);
  if (existsSync(file)) return { file, recordedInMs: 0 };
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  await simulateCli([
    ...["--record", file, "--hosts", String(HOSTS), "--subjects", String(SUBJECTS)],
    ...["--rate", String(RATE), "--duration", String(durationS), "--seed", String(SEED)],
    ...["--compression-level", "1", "--json"],
  ]);
  return { file, recordedInMs: performance.now() - started };
}

export async function run({ quick, durationS }: BenchOptions): Promise<BenchResult> {
  return runBench(quick, durationS ?? (quick ? DURATION_S.quick : DURATION_S.full));
}

async function runBench(quick: boolean, durationS: number): Promise<BenchResult> {
  if (!REAL_DATABASE_URL) {
    throw new Error("the ingest bench needs DATABASE_URL (a real PostgreSQL), got none");
  }
  const recording = LIVE ? null : await recordingFor(durationS);
  const start = { date: new Date(), load: currentLoad() };
  const broker = await startPrivateMosquitto({ maxInflightMessages: MAX_INFLIGHT });
  const database = await createTestDatabase();
  const store = await openStore({ url: database.url });
  // INGEST_BENCH_TOPIC_PREFIX: several checkouts benchmarking at once keep their topics apart.
  const prefix = process.env.INGEST_BENCH_TOPIC_PREFIX || "bench/camflow/provenance";
  let peakRssMb = 0;
  // What the peak was made of: V8's heap (total, used) and memory outside it (Buffers).
  let atPeak = process.memoryUsage();
  const rssTimer = setInterval(() => {
    const memory = process.memoryUsage();
    if (memory.rss / 1e6 > peakRssMb) {
      peakRssMb = memory.rss / 1e6;
      atPeak = memory;
    }
  }, RSS_SAMPLE_MS);
  const batches: { atMs: number; messages: number; elements: number; latencyMs: number }[] = [];
  let storedDocuments = 0;
  let redelivered = 0;
  let quarantined = 0;
  let newElements = 0;
  const pipeline = createPipeline(store, {
    maxInFlightMessages: MAX_INFLIGHT,
    ...(LABELS ? {} : { labels: false }),
    onBatch: (batch) => {
      storedDocuments += batch.documents - batch.duplicates;
      redelivered += batch.duplicates;
      quarantined += batch.quarantined;
      newElements += batch.newElements;
      batches.push({
        atMs: performance.now(),
        messages: batch.messages,
        elements: batch.elements,
        latencyMs: batch.latencyMs,
      });
    },
  });
  const errors: Error[] = [];
  const source = await startMqttSource({
    url: broker.url,
    topicPrefix: prefix,
    clientId: "provtopia-bench-bridge",
    onMessage: (message) => pipeline.onMessage(message),
    whenReady: () => pipeline.whenReady(),
    onError: (error) => errors.push(error),
  });
  const checkpoints = setInterval(() => {
    checkpointAll(store).catch((error: Error) => errors.push(error));
  }, CHECKPOINT_INTERVAL_MS);
  // PostgreSQL's CPU: the bench database's backends (the server's background processes, shared
  // with other users of the server, are not counted).
  const backendPids = new Set<number>();
  const name = new URL(database.url).pathname.slice(1);
  const sampleBackends = async () => {
    const rows = await store.rows<{ pid: number }>(
      sql`select pid from pg_stat_activity where datname = ${name}`,
    );
    for (const { pid } of rows) backendPids.add(Number(pid));
  };
  const backendCpu = new Map<number, number>();
  const backendTimer = setInterval(() => {
    sampleBackends()
      .then(() => {
        for (const pid of backendPids) {
          const ms = processCpuMs(pid);
          if (ms > 0) backendCpu.set(pid, ms);
        }
      })
      .catch((error: Error) => errors.push(error));
  }, 1_000);
  const cpuAtStart = process.cpuUsage();
  const brokerCpuAtStart = processCpuMs(broker.pid);
  try {
    const startedMs = performance.now();
    const target = ["--mqtt", broker.url, "--topic", prefix, "--rate", String(RATE), "--json"];
    const { stdout } = await simulateCli(
      recording
        ? ["--replay", recording.file, ...target]
        : [
            ...target,
            ...["--hosts", String(HOSTS), "--duration", String(durationS), "--seed", String(SEED)],
            ...["--subjects", String(SUBJECTS), "--compression-level", "1"],
          ],
    );
    const publishedAtMs = performance.now();
    const published = lastJsonLine<{
      messages: number;
      elements: number;
      elapsedMs: number;
      bytes: number;
      cpuSeconds: number;
    }>(stdout);
    // Each simulated message is one document with its own bytes: stored once, whatever the
    // broker redelivers (after a reconnect it resends what was not acknowledged yet).
    const lagMessages = published.messages - storedDocuments;
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (storedDocuments < published.messages) {
      if (Date.now() > deadline) {
        // Not lost (the broker still holds them, and the bridge would take them), but the run
        // cannot report a figure for what it did not store: it fails.
        throw new Error(
          `${published.messages - storedDocuments} of ${published.messages} published messages were not committed within ${DRAIN_TIMEOUT_MS / 1000} s of the end of publishing (INGEST_BENCH_DRAIN_TIMEOUT_S gives more time)`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const doneMs = performance.now();
    clearInterval(backendTimer);
    await sampleBackends();
    for (const pid of backendPids)
      backendCpu.set(pid, Math.max(backendCpu.get(pid) ?? 0, processCpuMs(pid)));
    const cpu = process.cpuUsage(cpuAtStart);
    const bridgeCpuMs = (cpu.user + cpu.system) / 1000;
    const postgresCpuMs = [...backendCpu.values()].reduce((a, b) => a + b, 0);
    const brokerCpuMs = processCpuMs(broker.pid) - brokerCpuAtStart;
    const [stored] = await store.rows<{ n: number; records: number }>(
      sql`select (select count(*) from prov_nodes) + (select count(*) from prov_relations) as n,
                 (select count(*) from ledger_records) as records`,
    );
    if (
      storedDocuments !== published.messages ||
      Number(stored?.records) !== published.messages ||
      quarantined !== 0
    ) {
      throw new Error(
        `expected ${published.messages} documents stored and recorded and none quarantined, got ${storedDocuments}, ${stored?.records} and ${quarantined}`,
      );
    }
    if (Number(stored?.n) !== newElements) {
      throw new Error(
        `the batches reported ${newElements} new elements, the store holds ${stored?.n}`,
      );
    }
    const received = published.elements; // each counted once, redeliveries aside
    const windows: number[] = [];
    for (let from = startedMs; from + WINDOW_MS <= publishedAtMs; from += WINDOW_MS) {
      const inWindow = batches.filter((b) => b.atMs >= from && b.atMs < from + WINDOW_MS);
      windows.push(inWindow.reduce((sum, b) => sum + b.elements, 0) / (WINDOW_MS / 1000));
    }
    const latencies = batches.map((b) => b.latencyMs);
    const perElement = (ms: number) => (ms * 1000) / received;
    const cpuPerElementUs =
      perElement(bridgeCpuMs) + perElement(postgresCpuMs) + perElement(brokerCpuMs);
    const version = await serverVersion(store);
    const row = {
      section: `${recording ? "recorded simulation, replayed" : "simulator"} -> Mosquitto -> bridge (MQTT source, batching pipeline) -> PostgreSQL, ledger on, labels ${LABELS ? "on" : "off"}`,
      label: `${HOSTS} hosts, ${durationS} s at ${RATE.toLocaleString("en-US")} elements/s offered`,
      figures: [
        { name: "messages", value: published.messages, unit: "" },
        { name: "elements", value: received, unit: "" },
        { name: "new elements", value: newElements, unit: "" },
        {
          name: "elements/s (whole run)",
          value: received / ((doneMs - startedMs) / 1000),
          unit: "",
        },
        {
          name: "slowest 10 s window",
          value: windows.length ? Math.min(...windows) : null,
          unit: "elements/s",
        },
        { name: "lag when publishing stopped", value: lagMessages, unit: "messages" },
        { name: "drain", value: doneMs - publishedAtMs, unit: "ms" },
        { name: "redelivered", value: redelivered, unit: "messages" },
        { name: "batches", value: batches.length, unit: "" },
        { name: "messages/batch", value: published.messages / batches.length, unit: "", digits: 1 },
        { name: "p50 batch latency", value: percentile(latencies, 0.5), unit: "ms" },
        { name: "p99 batch latency", value: percentile(latencies, 0.99), unit: "ms" },
        { name: "peak RSS", value: peakRssMb, unit: "MB" },
        { name: "publisher CPU", value: published.cpuSeconds, unit: "s" },
      ],
    };
    const cpuRow = {
      section: "CPU time per element received (robust to other load on the machine)",
      label: row.label,
      figures: [
        { name: "bridge", value: perElement(bridgeCpuMs), unit: "µs", digits: 1 },
        { name: "PostgreSQL backends", value: perElement(postgresCpuMs), unit: "µs", digits: 1 },
        { name: "Mosquitto", value: perElement(brokerCpuMs), unit: "µs", digits: 1 },
        {
          name: recording ? "publisher (replaying)" : "simulator",
          value: perElement(published.cpuSeconds * 1000),
          unit: "µs",
          digits: 1,
        },
        {
          name: "projected on 2 free cores (bridge + PostgreSQL + Mosquitto)",
          value: 2e6 / cpuPerElementUs,
          unit: "elements/s",
        },
      ],
    };
    return {
      title: "Ingest throughput: simulated organisation over MQTT into PostgreSQL",
      quick,
      parameters: {
        rate: RATE,
        labels: LABELS,
        simulator: recording ? "replayed recording" : "live",
        hosts: HOSTS,
        subjects: SUBJECTS,
        seed: SEED,
        durationS,
        maxInflight: MAX_INFLIGHT,
        bytesPublished: published.bytes,
        publishedElementsPerSecond: Math.round(published.elements / (published.elapsedMs / 1000)),
      },
      rows: [row, cpuRow],
      notes: [
        "Elements count every node and relation published (an element repeated in several documents counts each time); 'new elements' is what the store holds afterwards. The 10 s windows count what batches committed, redeliveries included.",
        recording
          ? `The simulator's messages (zlib level 1 for CamFlow payloads) were generated before the run into a recording${recording.recordedInMs ? ` (in ${(recording.recordedInMs / 1000).toFixed(0)} s)` : " (already there)"} and replayed by a separate process on the same 2 cores (its CPU time is reported); PostgreSQL and Mosquitto share the cores too. Figures are lower bounds when other work shares the machine.`
          : "The simulator generates while it publishes, as a separate process on the same 2 cores (its CPU time is reported), with zlib level 1 for CamFlow payloads; PostgreSQL and Mosquitto share the cores too. Figures are lower bounds when other work shares the machine.",
        "The projection divides two cores' time by the CPU time the bridge, the bench database's PostgreSQL backends and Mosquitto spent per element; it leaves out PostgreSQL's background writers and assumes perfect overlap, so it is an upper bound, as the wall-clock figures under contention are a lower bound.",
        `Peak RSS is this process (the bridge and the bench's few counters), sampled every ${RSS_SAMPLE_MS} ms; at the peak V8's heap was ${Math.round(atPeak.heapTotal / 1e6)} MB (${Math.round(atPeak.heapUsed / 1e6)} MB used), Buffers and other memory outside it ${Math.round(atPeak.external / 1e6)} MB. glibc malloc: ${mallocSettings()}.`,
        ...(errors.length
          ? [`errors during the run: ${errors.map((e) => e.message).join("; ")}`]
          : []),
      ],
      environment: describeEnvironment([{ kind: "postgres", version }], start),
    };
  } finally {
    clearInterval(backendTimer);
    clearInterval(checkpoints);
    clearInterval(rssTimer);
    await source.stop();
    await pipeline.stop();
    await store.close();
    await database.drop();
    await broker.stop();
  }
}

/** The glibc malloc variables this process started with (capture-bridge/bin/malloc-env.js). */
function mallocSettings(): string {
  const set = Object.keys(MALLOC_ENV)
    .filter((name) => process.env[name])
    .map((name) => `${name}=${process.env[name]}`);
  return set.length ? set.join(", ") : "defaults (PROVTOPIA_MALLOC_ENV=off or not glibc)";
}
