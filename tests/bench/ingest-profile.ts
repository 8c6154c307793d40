/**
 * Where the bridge's ingest path spends CPU, per element: the ingest bench's simulated
 * organisation (same seed, hosts, subjects and zlib level) generated in this process, then
 *
 * 1. the bridge's reading steps one by one over every message (decode = base64 + inflate,
 *    JSON.parse, format conversion, the document key's SHA-256), CPU time of this process;
 * 2. the messages written in batches as the pipeline makes them (`writeMessages`), each
 *    statement of the transaction timed by the source line that issued it: this process's CPU
 *    while preparing it (from the previous statement's end) and while sending it, and the
 *    PostgreSQL backend's CPU while it ran (/proc/<pid>/schedstat, nanoseconds).
 *
 * Not a bench (no JSON, no figures kept): a profiling aid. Needs DATABASE_URL.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx tests/bench/ingest-profile.ts \
 *     [messages (3000)] [--labels] [--pglite]
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { sql } from "drizzle-orm";
import { parseProvJson } from "../../capture-bridge/formats/prov-json";
import { isSpadeRecord, parseSpadeRecords } from "../../capture-bridge/formats/spade-json";
import { decodePayload, readDocuments } from "../../capture-bridge/pipeline/decode";
import {
  type Message,
  type PreparedMessage,
  prepareMessage,
  writeMessages,
} from "../../capture-bridge/pipeline/ingest";
import { PIPELINE_DEFAULTS } from "../../capture-bridge/pipeline/pipeline";
import { createSimulation } from "../../capture-bridge/simulate/organisation";
import { createTestStore } from "../setup/databases";

const args = process.argv.slice(2);
const count = Number(args.find((a) => /^\d+$/.test(a)) ?? 3000);
const labels = args.includes("--labels");
const kind = args.includes("--pglite") ? "pglite" : "postgres";

const simulation = createSimulation({
  seed: 20_261_130,
  hosts: 12,
  subjects: 20_000,
  compressionLevel: 1,
  tag: `profile-${Date.now().toString(36)}`,
});
const messages: Message[] = [];
let elements = 0;
for (let i = 0; i < count; i++) {
  const m = simulation.next();
  messages.push({
    source: `mqtt:bench/camflow/provenance/${m.topicSuffix}`,
    host: m.topicSuffix,
    payload: new Uint8Array(m.payload),
  });
  elements += m.elements;
}
console.log(
  `${count} messages, ${elements} elements (${(elements / count).toFixed(0)} per message)`,
);

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
function time(name: string, work: () => void) {
  const before = cpuUs();
  work();
  const us = cpuUs() - before;
  console.log(`${name.padEnd(40)} ${(us / elements).toFixed(2).padStart(7)} µs/element`);
}

// 1. Reading, step by step.
const texts: string[] = [];
time("decode (base64 + inflate + utf8)", () => {
  for (const m of messages) texts.push(decodePayload(m.payload));
});
const values: unknown[][] = [];
time("JSON.parse (readDocuments)", () => {
  for (const t of texts) values.push(readDocuments(t).map((d) => (d.ok ? d.value : null)));
});
time("document key SHA-256 (utf8 + hash)", () => {
  for (const t of texts) createHash("sha256").update(Buffer.from(t, "utf8")).digest("hex");
});
time("format conversion (parseProvJson/SPADE)", () => {
  values.forEach((vs, i) => {
    const first = vs[0];
    if (isSpadeRecord(first)) parseSpadeRecords(vs);
    else parseProvJson(first, { documentKey: String(i) });
  });
});
const test = await createTestStore(kind);
const { store } = test;
const prepared: PreparedMessage[] = [];
const prepStarted = cpuUs();
for (const m of messages) prepared.push(await prepareMessage(store, m));
console.log(
  `${"prepareMessage (all of the above)".padEnd(40)} ${((cpuUs() - prepStarted) / elements).toFixed(2).padStart(7)} µs/element`,
);

// 2. Writing, statement by statement.
const totals = new Map<string, { nodeUs: number; sendUs: number; pgUs: number; calls: number }>();
const schedNs = (pid: number) =>
  kind === "postgres" ? Number(readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[0]) : 0;
let lastEnd = cpuUs();
let txPgUs = 0;
let explainCalls = 0;
const add = (key: string, nodeUs: number, sendUs: number, pgUs: number) => {
  const entry = totals.get(key) ?? { nodeUs: 0, sendUs: 0, pgUs: 0, calls: 0 };
  entry.nodeUs += nodeUs;
  entry.sendUs += sendUs;
  entry.pgUs += pgUs;
  entry.calls += 1;
  totals.set(key, entry);
};
const originalTransaction = store.db.transaction.bind(store.db);
// biome-ignore lint/suspicious/noExplicitAny: a profiling shim around drizzle's transaction.
(store.db as any).transaction = (work: (tx: any) => Promise<unknown>, config?: unknown) =>
  // biome-ignore lint/suspicious/noExplicitAny: see above.
  originalTransaction(async (tx: any) => {
    const execute = tx.execute.bind(tx);
    let pid = 0;
    if (kind === "postgres") {
      const rows = (await execute(sql`select pg_backend_pid() as pid`)) as { pid: number }[];
      pid = Number(rows[0]?.pid);
    }
    lastEnd = cpuUs();
    tx.execute = async (query: unknown) => {
      const frames = (new Error().stack ?? "").split("\n").slice(2);
      const frame = frames.find((f) => f.includes("/db/") && !f.includes("client.ts")) ?? "?";
      const key = frame
        .replace(/.*\/db\//, "db/")
        .replace(/\)$/, "")
        .replace(/:\d+$/, "");
      // EXPLAIN_MATCH=<source line>: the plan of that statement's EXPLAIN_CALL-th call (40).
      const explainMatch = process.env.EXPLAIN_MATCH;
      if (explainMatch && key.includes(explainMatch)) {
        explainCalls += 1;
        if (explainCalls === Number(process.env.EXPLAIN_CALL ?? 40)) {
          await execute(sql`savepoint profile_explain`);
          const plan = (await execute(sql`explain (analyze, buffers) ${query}`)) as unknown as {
            "QUERY PLAN": string;
          }[];
          console.log(`--- ${key}\n${plan.map((row) => row["QUERY PLAN"]).join("\n")}`);
          await execute(sql`rollback to savepoint profile_explain`);
        }
      }
      const started = cpuUs();
      const pg0 = schedNs(pid);
      try {
        return await execute(query);
      } finally {
        add(key, started - lastEnd, cpuUs() - started, (schedNs(pid) - pg0) / 1000);
        lastEnd = cpuUs();
      }
    };
    const pgStart = schedNs(pid);
    const result = await work(tx);
    lastEnd = cpuUs();
    txPgUs += (schedNs(pid) - pgStart) / 1000;
    return result;
  }, config as never);

const batches: PreparedMessage[][] = [];
{
  let batch: PreparedMessage[] = [];
  let inBatch = 0;
  for (const p of prepared) {
    if (
      batch.length > 0 &&
      (batch.length >= PIPELINE_DEFAULTS.maxBatchMessages ||
        inBatch + p.elements > PIPELINE_DEFAULTS.maxBatchElements)
    ) {
      batches.push(batch);
      batch = [];
      inBatch = 0;
    }
    batch.push(p);
    inBatch += p.elements;
  }
  if (batch.length) batches.push(batch);
}
const wallStarted = performance.now();
const writeStarted = cpuUs();
let stored = 0;
for (const batch of batches) {
  lastEnd = cpuUs();
  const outcomes = await writeMessages(store, batch, labels ? {} : { labels: false });
  stored += outcomes.reduce((n, o) => n + o.newElements, 0);
}
const writeUs = cpuUs() - writeStarted;
const wallMs = performance.now() - wallStarted;
console.log(
  `\n${batches.length} batches, ${stored} new elements, labels ${labels ? "on" : "off"}, ${kind}; wall ${(wallMs / 1000).toFixed(1)} s`,
);
console.log(
  `${"statement (source line)".padEnd(44)} ${"calls".padStart(6)} ${"node prep".padStart(10)} ${"node send".padStart(10)} ${"server".padStart(10)}   µs/element`,
);
let sumNode = 0;
let sumPg = 0;
for (const [key, t] of [...totals].sort((a, b) => b[1].pgUs - a[1].pgUs)) {
  const f = (us: number) => (us / elements).toFixed(2).padStart(10);
  console.log(
    `${key.slice(-44).padEnd(44)} ${String(t.calls).padStart(6)} ${f(t.nodeUs)} ${f(t.sendUs)} ${f(t.pgUs)}`,
  );
  sumNode += t.nodeUs + t.sendUs;
  sumPg += t.pgUs;
}
console.log(
  `${"total in statements".padEnd(44)} ${"".padStart(6)} ${(sumNode / elements).toFixed(2).padStart(21)} ${(sumPg / elements).toFixed(2).padStart(10)}`,
);
console.log(
  `server CPU in the transactions: ${(txPgUs / elements).toFixed(2)} µs/element; outside the statements above (COPY, commit) ${((txPgUs - sumPg) / elements).toFixed(2)}`,
);
console.log(
  `bridge CPU while writing (all of it): ${(writeUs / elements).toFixed(2)} µs/element; outside statements ${((writeUs - sumNode) / elements).toFixed(2)}`,
);
if (process.env.KEEP_PROFILE_DB === "1") console.log(`kept ${test.url}`);
else await test.dispose();
process.exit(0);
