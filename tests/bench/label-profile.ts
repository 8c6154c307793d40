/**
 * Where labelling at ingest spends its time, statement by statement: ingests the store bench's
 * documents (tests/bench/store-generator.ts) into one fresh PostgreSQL database with labelling
 * on, timing every statement the ingest's transaction runs by the source line that issued it:
 * wall time, and the PostgreSQL backend's CPU while it ran (/proc/<pid>/schedstat), which a
 * busy machine disturbs less than the wall.
 * Not a bench (no JSON): a profiling aid. Needs DATABASE_URL.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx tests/bench/label-profile.ts \
 *     [documents] [subjects] [documents per transaction]
 */
import { readFileSync } from "node:fs";
import { sql } from "drizzle-orm";
import { ingestBatch } from "../../db/prov/ingest";
import { createTestStore } from "../setup/databases";
import { prepare, recordConsents } from "./store.bench";
import { chunks, storeDocuments } from "./store-generator";

const documents = Number(process.argv[2] ?? 60);
const subjects = Number(process.argv[3] ?? 600);
/** Documents per transaction (the bridge batches up to 500 messages). */
const batch = Number(process.argv[4] ?? 1);
let explainNow = false;
const keep = process.env.KEEP_PROFILE_DB === "1";
const test = await createTestStore("postgres");
const { store } = test;
const totals = new Map<string, { ms: number; cpuMs: number; calls: number }>();
/** The backend's CPU time so far, in ms (the server runs on this machine). */
const backendCpuMs = (pid: number) =>
  Number(readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[0]) / 1e6;
const originalTransaction = store.db.transaction.bind(store.db);
// biome-ignore lint/suspicious/noExplicitAny: a profiling shim around drizzle's transaction.
(store.db as any).transaction = (work: (tx: any) => Promise<unknown>, config?: unknown) =>
  // biome-ignore lint/suspicious/noExplicitAny: see above.
  originalTransaction(async (tx: any) => {
    const execute = tx.execute.bind(tx);
    const [backend] = (await execute(sql`select pg_backend_pid() as pid`)) as unknown as {
      pid: number;
    }[];
    const pid = backend?.pid ?? 0;
    tx.execute = async (query: unknown) => {
      const frames = (new Error().stack ?? "").split("\n").slice(2);
      const frame = frames.find((f) => f.includes("/db/") && !f.includes("client.ts")) ?? "?";
      const key = frame.replace(/.*\/db\//, "db/").replace(/\)$/, "");
      if (explainNow && key.includes("labels/") && !frames.some((f) => f.includes("withoutJit"))) {
        await execute(sql`savepoint profile_explain`);
        const plan = (await execute(sql`explain (analyze, buffers) ${query}`)) as unknown as {
          "QUERY PLAN": string;
        }[];
        console.log(`--- ${key}\n${plan.map((row) => row["QUERY PLAN"]).join("\n")}`);
        await execute(sql`rollback to savepoint profile_explain`);
      }
      const started = performance.now();
      const cpuBefore = backendCpuMs(pid);
      try {
        return await execute(query);
      } finally {
        const entry = totals.get(key) ?? { ms: 0, cpuMs: 0, calls: 0 };
        entry.ms += performance.now() - started;
        entry.cpuMs += backendCpuMs(pid) - cpuBefore;
        entry.calls += 1;
        totals.set(key, entry);
      }
    };
    return work(tx);
  }, config as never);

try {
  await prepare(store);
  await recordConsents(store, "bench", subjects);
  // A generator, not an array: at 10 million elements the documents do not fit in memory.
  const docs = storeDocuments({
    hosts: 4,
    sliceMinutes: 10,
    seed: 20_261_130,
    documents,
    subjects,
    subjectsPerDocument: 50,
    runTag: "bench",
  });
  let elements = 0;
  let wall = 0;
  let nodeCpuUs = 0;
  let i = 0;
  let analyzedAt = 0;
  for (const part of chunks(docs, batch)) {
    // As store.bench.ts does (autovacuum's scale factor): past 1,000 documents, ANALYZE only once
    // the store has grown 10% since the last one, or a 10-million-element store spends more time
    // in ANALYZE than in the ingest it profiles.
    if (i === 0 || i - analyzedAt >= Math.max(Math.max(20, batch), 0.1 * i)) {
      await store.db.execute(sql`analyze`);
      analyzedAt = i;
    }
    explainNow = process.env.EXPLAIN === "1" && i + batch >= documents;
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    await ingestBatch(
      store,
      part.map((document) => ({ graph: document.graph, hostName: document.host, evidence: null })),
      { refuseUnsigned: false, labels: process.env.LABELS !== "0" },
    );
    wall += performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    nodeCpuUs += cpu.user + cpu.system;
    for (const document of part) elements += document.elements;
    i += part.length;
    if (process.env.PROGRESS === "1" && i % 1000 < batch) {
      console.error(`${i} documents, ${elements} elements, ${(wall / 1000).toFixed(0)} s`);
    }
  }
  await store.db.execute(sql`analyze`);
  const rows = [...totals].sort((a, b) => b[1].cpuMs - a[1].cpuMs);
  console.log("   wall  server CPU  calls  statement");
  let cpuTotal = 0;
  for (const [key, { ms, cpuMs, calls }] of rows) {
    cpuTotal += cpuMs;
    console.log(
      `${ms.toFixed(0).padStart(7)} ms ${cpuMs.toFixed(0).padStart(7)} ms ${String(calls).padStart(5)}x  ${key}`,
    );
  }
  console.log(`server CPU in statements: ${((cpuTotal * 1000) / elements).toFixed(1)} µs/element`);
  console.log(
    `this process's CPU while ingesting: ${(nodeCpuUs / elements).toFixed(1)} µs/element`,
  );
  console.log(
    `${elements} elements in ${wall.toFixed(0)} ms: ${((elements / wall) * 1000).toFixed(0)} el/s`,
  );
  if (keep) console.log(`kept: ${test.url}`);
} finally {
  if (!keep) await test.dispose();
  else await store.close();
}
