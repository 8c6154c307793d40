/**
 * The consent-aware store (db/labels) on the real PostgreSQL: ingest throughput with labelling
 * on and off, the latency of the portal's and the breach report's reads, and what it costs on
 * disk. Needs DATABASE_URL (PGlite is for the demo, not for measuring); without it the bench
 * says so and measures nothing.
 *
 * The graph is generated here (tests/bench/store-generator.ts): app-level sign-ups (sources),
 * CamFlow-shaped tasks and versions of a shared database file, services mapped by DPO rules,
 * packets across hosts, relations across documents. Two fresh databases get the same documents
 * in transactions of STORE_BENCH_BATCH documents (default 25; 1 is one document per
 * transaction) through ingestBatch, the bridge's path (without a ledger record, to isolate
 * labelling), alternating batch by batch so that load on this shared machine hits both arms
 * alike. Besides wall time, it counts the CPU time of this process and of each arm's
 * PostgreSQL backends during its transactions: on a shared machine, the figure to decide by.
 *
 * Size: `--quick` is small enough for CI; otherwise STORE_BENCH_DOCUMENTS (default 400) and
 * STORE_BENCH_SUBJECTS (default 20,000), 331 elements per document (331 n - 13 for n
 * documents). The issue's scale (10 million elements, 100,000 subjects) is
 * STORE_BENCH_DOCUMENTS=30212 STORE_BENCH_SUBJECTS=100000: 10,000,159 elements per arm (25000
 * documents are 8.3 million). Measured 2026-12-02 on 2 shared cores (load average 4-10): 33
 * minutes in all (27.5 of ingest, both arms; 1.6 of ANALYZE; 4 of reads, counts and sizes), the
 * bench's Node at 280 MiB peak RSS: documents are streamed from the generator, one ANALYZE_EVERY
 * chunk at a time. Not a CI run. README, "Consent-aware store", has the figures.
 */
import { readFile } from "node:fs/promises";
import { sql } from "drizzle-orm";
import type { Store } from "../../db/client";
import { addServiceMappingRule, declarePurpose } from "../../db/labels/rules";
import { ingestBatch } from "../../db/prov/ingest";
import { flowWitness, subjectFlowSummaries, subjectsHeldByService } from "../../db/queries/flows";
import { createTestStore, REAL_DATABASE_URL, type TestStore } from "../setup/databases";
import {
  type BenchOptions,
  type BenchResult,
  type BenchRow,
  currentLoad,
  describeEnvironment,
  type Figure,
} from "./bench-result";
import { percentile, perSecond, serverVersion, sum, timed } from "./bench-stats";
import { createRandom } from "./prov-generator";
import {
  chunks,
  generateStoreDocuments,
  MAPPING_RULES,
  START_MS,
  type StoreDocument,
  storeDocuments,
  subjectRef,
} from "./store-generator";

const SEED = 20_261_130;
const QUICK = { documents: 24, subjects: 600, samples: 30, warmUp: 3, batch: 8 } as const;
const FULL_DEFAULTS = {
  documents: 400,
  subjects: 20_000,
  samples: 200,
  warmUp: 10,
  batch: 25,
} as const;
const SUBJECTS_PER_DOCUMENT = 50;
const HOSTS = 4;
const SLICE_MINUTES = 10;
/** Tables the ingest writes with labelling off too, and those labelling adds. */
const INGEST_TABLES = [
  "prov_nodes",
  "prov_relations",
  "prov_node_hosts",
  "personal_data_sources",
] as const;
const LABELLING_TABLES = [
  "labels",
  "label_sets",
  "node_labels",
  "relation_times",
  "service_entries",
  "flows",
  "violations",
] as const;
/**
 * Documents between two ANALYZEs of both stores (not timed) at least, and how many documents the
 * bench generates and holds at a time: documents are streamed from the generator, never all in
 * memory.
 */
const ANALYZE_EVERY = 100;
/**
 * Past 1,000 documents, ANALYZE only once the store has grown by this fraction since the last
 * one, as autovacuum does (autovacuum_analyze_scale_factor, 0.1 by default): at 10 million
 * elements an ANALYZE every 100 documents would cost more wall time than the ingest it serves.
 */
const ANALYZE_SCALE_FACTOR = 0.1;
/** Documents between two progress lines on stderr (not with `--quick`). */
const PROGRESS_EVERY = 1000;

function sizeFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`expected ${name} to be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** The Art. 30 record and the DPO's rules, before anything is ingested. */
export async function prepare(store: Store): Promise<void> {
  await declarePurpose(store, { key: "account", service: "Sign-up", legalBasis: "contract" });
  await declarePurpose(store, {
    key: "crm",
    service: "CRM",
    legalBasis: "legitimate_interests",
    retentionDays: 365,
  });
  await declarePurpose(store, { key: "newsletter", service: "Newsletter", legalBasis: "consent" });
  await declarePurpose(store, {
    key: "analytics",
    service: "Analytics",
    legalBasis: "legitimate_interests",
  });
  for (const rule of MAPPING_RULES) await addServiceMappingRule(store, rule);
}

/**
 * Consent for the newsletter from nine subjects in ten, recorded before the uses (set-based):
 * the tenth subject's newsletter uses are violations, kept with their witness paths.
 */
export async function recordConsents(store: Store, tag: string, subjects: number): Promise<void> {
  await store.db.execute(sql`
    insert into subjects (ref)
    select ${tag} || '-subject-' || i from generate_series(0, ${subjects - 1}) as i
    on conflict do nothing`);
  await store.db.execute(sql`
    insert into consent_events (subject_id, purpose_id, action, at, how)
    select s.id, p.id, 'given', ${new Date(START_MS - 86_400_000).toISOString()}::timestamptz,
           'bench: sign-up form'
    from subjects s, purposes p
    where p.key = 'newsletter' and s.ref like ${`${tag}-subject-%`} and s.id % 10 <> 0`);
}

interface Arm {
  name: string;
  labels: boolean;
  store: TestStore;
  latenciesMs: number[];
  elements: number;
  /** CPU time of this process during the arm's transactions (user + system). */
  nodeCpuMs: number;
  /** CPU time of the arm's PostgreSQL backends during its transactions (user + system). */
  serverCpuMs: number;
  backends: number[];
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

/**
 * The PostgreSQL backends serving this store's database. Only this arm's pool connects to it,
 * so their CPU time is the arm's server side. Empty when the server is not on this machine.
 */
async function backendsOf(store: Store): Promise<number[]> {
  const rows = await store.rows<{ pid: number }>(
    sql`select pid from pg_stat_activity where datname = current_database()`,
  );
  return rows.map((row) => row.pid);
}

/** user + system CPU of the given processes, in ms (0 for one that is gone or unreadable). */
async function processCpuMs(pids: readonly number[]): Promise<number> {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, "utf8");
      // Fields after the command (which may hold spaces) in parentheses: utime is the 14th
      // field of the line, stime the 15th.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Gone (an idle connection closed): its CPU up to then was counted before.
    }
  }
  return (ticks * 1000) / USER_HZ;
}

/**
 * Ingests the documents in transactions of `batch` documents (as the bridge does: ingestBatch,
 * one labelIngested per batch), the arms alternating batch by batch.
 */
async function ingestAll(
  arms: Arm[],
  documents: StoreDocument[],
  batch: number,
  record: boolean,
): Promise<void> {
  for (let offset = 0; offset < documents.length; offset += batch) {
    const part = documents.slice(offset, offset + batch);
    for (const arm of arms) {
      const nodeBefore = process.cpuUsage();
      const serverBefore = await processCpuMs(arm.backends);
      const { ms } = await timed(() =>
        ingestBatch(
          arm.store.store,
          part.map((document) => ({
            graph: document.graph,
            hostName: document.host,
            evidence: null,
          })),
          { refuseUnsigned: false, labels: arm.labels },
        ),
      );
      const serverAfter = await processCpuMs(arm.backends);
      const node = process.cpuUsage(nodeBefore);
      if (record) {
        arm.latenciesMs.push(ms);
        arm.elements += sum(part.map((document) => document.elements));
        arm.nodeCpuMs += (node.user + node.system) / 1000;
        arm.serverCpuMs += serverAfter - serverBefore;
      }
    }
  }
}

async function storeBytes(store: Store): Promise<number> {
  const [row] = await store.rows<{ bytes: string }>(sql`
    select sum(pg_total_relation_size(c.oid))::text as bytes
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'r'`);
  return Number(row?.bytes ?? 0);
}

async function labellingBytes(store: Store): Promise<number> {
  const [row] = await store.rows<{ bytes: string }>(sql`
    select sum(pg_total_relation_size(c.oid))::text as bytes
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'r'
      and c.relname in ('labels', 'label_sets', 'node_labels', 'relation_times',
                        'service_entries', 'flows', 'violations')`);
  return Number(row?.bytes ?? 0);
}

async function latencies<T>(
  samples: T[],
  work: (sample: T) => Promise<unknown>,
): Promise<number[]> {
  const out: number[] = [];
  for (const sample of samples) out.push((await timed(() => work(sample))).ms);
  return out;
}

function latencyFigures(samplesMs: number[]): Figure[] {
  return [
    { name: "samples", value: samplesMs.length, unit: "" },
    { name: "p50", value: percentile(samplesMs, 0.5), unit: "ms" },
    { name: "p95", value: percentile(samplesMs, 0.95), unit: "ms" },
    { name: "max", value: samplesMs.length ? Math.max(...samplesMs) : null, unit: "ms" },
  ];
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const start = { date: new Date(), load: currentLoad() };
  const sizes = quick
    ? QUICK
    : {
        ...FULL_DEFAULTS,
        documents: sizeFromEnv("STORE_BENCH_DOCUMENTS", FULL_DEFAULTS.documents),
        subjects: sizeFromEnv("STORE_BENCH_SUBJECTS", FULL_DEFAULTS.subjects),
        batch: sizeFromEnv("STORE_BENCH_BATCH", FULL_DEFAULTS.batch),
      };
  const parameters = {
    seed: SEED,
    documents: sizes.documents,
    subjects: sizes.subjects,
    subjectsPerDocument: SUBJECTS_PER_DOCUMENT,
    documentsPerTransaction: sizes.batch,
    hosts: HOSTS,
    sliceMinutes: SLICE_MINUTES,
  };
  const title = "Consent-aware store: labelling at ingest, flow reads, bytes per element";
  if (!REAL_DATABASE_URL) {
    return {
      title,
      quick,
      parameters,
      rows: [],
      notes: ["DATABASE_URL is not set: this bench measures the real PostgreSQL only."],
      environment: describeEnvironment([], start),
    };
  }
  const tag = "bench";
  const options = { hosts: HOSTS, sliceMinutes: SLICE_MINUTES };
  // A generator, not an array: read one ANALYZE_EVERY chunk at a time below.
  const documents = storeDocuments({
    ...options,
    seed: SEED,
    documents: sizes.documents,
    subjects: sizes.subjects,
    subjectsPerDocument: SUBJECTS_PER_DOCUMENT,
    runTag: tag,
  });
  const warmUp = generateStoreDocuments({
    ...options,
    seed: SEED + 1,
    documents: sizes.warmUp,
    subjects: 50,
    subjectsPerDocument: 5,
    runTag: "warm-up",
  });

  const arms: Arm[] = [];
  try {
    for (const [name, labels] of [
      ["labelling off", false],
      ["labelling on", true],
    ] as const) {
      const store = await createTestStore("postgres");
      arms.push({
        name,
        labels,
        store,
        latenciesMs: [],
        elements: 0,
        nodeCpuMs: 0,
        serverCpuMs: 0,
        backends: [],
      });
      await prepare(store.store);
      await recordConsents(store.store, tag, sizes.subjects);
    }
    await ingestAll(arms, warmUp, sizes.batch, false);
    let wallMs = 0;
    let analyzeMs = 0;
    let analyzes = 0;
    let analyzedAt = 0;
    let documentCount = 0;
    let generatedElements = 0;
    for (const chunk of chunks(documents, ANALYZE_EVERY)) {
      // What autovacuum does on a running server (its naptime is longer than this bench):
      // without statistics, the planner takes a growing table for an empty one.
      if (
        documentCount === 0 ||
        documentCount - analyzedAt >= Math.max(ANALYZE_EVERY, ANALYZE_SCALE_FACTOR * documentCount)
      ) {
        const analyzeStarted = performance.now();
        for (const arm of arms) {
          await arm.store.store.db.execute(sql`analyze`);
          arm.backends = await backendsOf(arm.store.store);
        }
        analyzeMs += performance.now() - analyzeStarted;
        analyzes += 1;
        analyzedAt = documentCount;
      }
      const started = performance.now();
      await ingestAll(arms, chunk, sizes.batch, true);
      wallMs += performance.now() - started;
      documentCount += chunk.length;
      generatedElements += sum(chunk.map((document) => document.elements));
      if (!quick && documentCount % PROGRESS_EVERY === 0) {
        // A long run (the issue's 10 million elements) says how far it is, on stderr.
        const perArm = arms.map(
          (arm) =>
            `${arm.name} ${Math.round(perSecond(arm.elements, sum(arm.latenciesMs)))} elements/s, ${(((arm.nodeCpuMs + arm.serverCpuMs) * 1000) / Math.max(1, arm.elements)).toFixed(1)} µs CPU/element`,
        );
        console.error(
          `store bench: ${new Date().toISOString()} ${documentCount}/${sizes.documents} documents, ${generatedElements} elements per arm; ${perArm.join("; ")}; ANALYZE ${(analyzeMs / 1000).toFixed(0)} s; load ${currentLoad()}; RSS ${Math.round(process.memoryUsage.rss() / 2 ** 20)} MiB`,
        );
      }
    }
    if (documentCount !== sizes.documents) {
      throw new Error(`expected ${sizes.documents} documents, got ${documentCount}`);
    }

    const rows: BenchRow[] = [];
    const ingestSection = `ingest: ${documentCount} documents of about ${Math.round(generatedElements / documentCount)} elements, ${sizes.batch} per transaction (ingestBatch, as the bridge; no ledger record), the two arms alternating`;
    const off = arms[0] as Arm;
    const on = arms[1] as Arm;
    for (const arm of arms) {
      const busyMs = sum(arm.latenciesMs);
      rows.push({
        section: ingestSection,
        label: `postgres, ${arm.name}`,
        figures: [
          { name: "elements", value: arm.elements, unit: "" },
          { name: "elements/s", value: perSecond(arm.elements, busyMs), unit: "" },
          { name: "p50", value: percentile(arm.latenciesMs, 0.5), unit: "ms" },
          { name: "p95", value: percentile(arm.latenciesMs, 0.95), unit: "ms" },
          {
            name: "slower than off",
            value:
              arm === off
                ? null
                : (sum(on.latenciesMs) / Math.max(1, sum(off.latenciesMs)) - 1) * 100,
            unit: "%",
          },
          {
            name: "node CPU/element",
            value: (arm.nodeCpuMs * 1000) / Math.max(1, arm.elements),
            unit: "µs",
          },
          {
            name: "postgres CPU/element",
            value: (arm.serverCpuMs * 1000) / Math.max(1, arm.elements),
            unit: "µs",
          },
          {
            name: "elements per CPU-second",
            value: perSecond(arm.elements, arm.nodeCpuMs + arm.serverCpuMs),
            unit: "",
          },
          {
            name: "CPU more than off",
            value:
              arm === off
                ? null
                : ((on.nodeCpuMs + on.serverCpuMs) / Math.max(1, off.nodeCpuMs + off.serverCpuMs) -
                    1) *
                  100,
            unit: "%",
          },
        ],
      });
    }

    const store = on.store.store;
    const random = createRandom(SEED + 2);
    const [totals] = await store.rows<{
      flowRows: number;
      violations: number;
      sets: number;
      nodeLabels: number;
      subjects: number;
    }>(sql`select (select count(*) from flows)::integer as "flowRows",
                  (select count(*) from violations)::integer as violations,
                  (select count(*) from label_sets)::integer as sets,
                  (select count(*) from node_labels)::integer as "nodeLabels",
                  (select count(*) from subjects)::integer as subjects`);
    // Rows each arm keeps: what labelling writes beside what the ingest writes anyway.
    const rowCount = async (tables: readonly string[]) => {
      const [row] = await store.rows<{ rows: number }>(
        sql.raw(
          `select (${tables.map((table) => `(select count(*) from ${table})`).join(" + ")})::integer as rows`,
        ),
      );
      return row?.rows ?? 0;
    };
    const ingestRows = await rowCount(INGEST_TABLES);
    const labelRows = await rowCount(LABELLING_TABLES);
    const subjectSamples = Array.from({ length: sizes.samples }, () =>
      subjectRef(
        tag,
        random.int(0, Math.min(sizes.subjects, documentCount * SUBJECTS_PER_DOCUMENT) - 1),
      ),
    );
    // Flows are summarised when read: the witness samples are flows of the sampled subjects
    // whose path is not kept yet (a violation's is), one per subject.
    const flowIds: { id: number }[] = [];
    const overview = await latencies(subjectSamples, async (ref) => {
      const flows = await subjectFlowSummaries(store, ref);
      if (!flows || flows.length === 0) throw new Error(`expected flows for ${ref}, got none`);
      const lawful = flows.filter((flow) => flow.violations === 0);
      const pick = lawful[random.int(0, lawful.length - 1)];
      if (pick && !flowIds.some((flow) => flow.id === pick.id)) flowIds.push({ id: pick.id });
    });
    const witness = await latencies(flowIds, async ({ id }) => {
      const path = await flowWitness(store, id);
      if (!path || path.length === 0) throw new Error(`expected a witness path for flow ${id}`);
    });
    const spanMs = documentCount * SLICE_MINUTES * 60_000;
    const windows = Array.from({ length: Math.min(sizes.samples, 30) }, () => {
      const from = START_MS + random.int(0, Math.max(0, spanMs - 86_400_000));
      return { from: new Date(from), to: new Date(from + 86_400_000) };
    });
    const window = await latencies(windows, (w) => subjectsHeldByService(store, "CRM", w));
    const readsSection = "reads on the labelled store (uncached witness paths)";
    rows.push(
      {
        section: readsSection,
        label: "a subject's flow overview",
        figures: latencyFigures(overview),
      },
      {
        section: readsSection,
        label: "a witness path for one flow",
        figures: latencyFigures(witness),
      },
      {
        section: readsSection,
        label: "subjects whose data CRM held in a 24 h window",
        figures: latencyFigures(window),
      },
    );

    const elements = on.elements + sum(warmUp.map((d) => d.elements));
    const bytesOff = await storeBytes(off.store.store);
    const bytesOn = await storeBytes(store);
    const bytesLabels = await labellingBytes(store);
    const sizeSection = "store size (all tables with indexes and TOAST)";
    rows.push(
      {
        section: sizeSection,
        label: "postgres, labelling off",
        figures: [
          { name: "elements", value: elements, unit: "" },
          { name: "bytes/element", value: bytesOff / elements, unit: "" },
          { name: "labelling part", value: null, unit: "bytes/element" },
        ],
      },
      {
        section: sizeSection,
        label: "postgres, labelling on",
        figures: [
          { name: "elements", value: elements, unit: "" },
          { name: "bytes/element", value: bytesOn / elements, unit: "" },
          { name: "labelling part", value: bytesLabels / elements, unit: "bytes/element" },
        ],
      },
    );
    return {
      title,
      quick,
      parameters,
      rows,
      notes: [
        `Rows kept per stored element: ${(ingestRows / Math.max(1, elements)).toFixed(2)} by the ingest (${INGEST_TABLES.join(", ")}), ${(labelRows / Math.max(1, elements)).toFixed(2)} by labelling (${LABELLING_TABLES.join(", ")}).`,
        `Labelled store: ${totals?.flowRows ?? 0} kept flow rows (flows with violations or a witness) of ${totals?.subjects ?? 0} subjects, ${totals?.violations ?? 0} violations, ${totals?.sets ?? 0} interned label sets for ${totals?.nodeLabels ?? 0} node label rows.`,
        `Wall time of both arms together: ${(wallMs / 1000).toFixed(1)} s. elements/s is per arm: elements over the sum of that arm's transaction times.`,
        `CPU: this process's (process.cpuUsage) and the arm's PostgreSQL backends' (/proc/<pid>/stat, ${arms.map((arm) => `${arm.name}: ${arm.backends.length}`).join(", ")} backends) user + system time during the arm's transactions; elements per CPU-second is elements over that CPU time (what the arm needs whatever else runs on the machine). With the server on another machine, its CPU reads 0.`,
        `Both stores are ANALYZEd every ${ANALYZE_EVERY} documents, past 1,000 documents once they have grown by ${ANALYZE_SCALE_FACTOR * 100}% since the last time (${analyzes} times, not timed, ${(analyzeMs / 1000).toFixed(1)} s in all), as autovacuum would on a running server.`,
        "The machine is shared (2 cores, other work running): figures are lower bounds.",
        "Scale with STORE_BENCH_DOCUMENTS and STORE_BENCH_SUBJECTS (331 elements per document; 30212 documents are the issue's 10 million elements); STORE_BENCH_BATCH sets documents per transaction.",
      ],
      environment: describeEnvironment(
        [{ kind: "postgres", version: await serverVersion(store) }],
        start,
      ),
    };
  } finally {
    for (const arm of arms) await arm.store.dispose();
  }
}
