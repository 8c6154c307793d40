/**
 * The store bench's three reads (tests/bench/store.bench.ts), timed on a store kept by
 * `KEEP_PROFILE_DB=1 npx tsx tests/bench/label-profile.ts <documents> <subjects> <batch>`, with
 * the same sampling: subjects drawn with the bench's seed, one lawful flow per sampled subject
 * for the witness paths (uncached: the rows a witness read keeps are removed again afterwards,
 * so the next run times the same work), 24 h windows over the documents' time span. Not a bench
 * (no JSON): a profiling aid; it prints a digest of all answers, to compare code on one store.
 * `EXPLAIN=1` also prints `EXPLAIN (ANALYZE, BUFFERS)` of every query the reads run (so their
 * timings include the explained runs: use it with few samples).
 *
 *   DATABASE_URL=<the kept database's URL> npx tsx tests/bench/read-profile.ts \
 *     <documents> <subjects> [samples]
 */
import { createHash } from "node:crypto";
import { type SQL, sql } from "drizzle-orm";
import { type Executor, openStore } from "../../db/client";
import { flowWitness, subjectFlowSummaries, subjectsHeldByService } from "../../db/queries/flows";
import { percentile, timed } from "./bench-stats";
import { createRandom } from "./prov-generator";
import { START_MS, subjectRef } from "./store-generator";

const documents = Number(process.argv[2] ?? 15_000);
const subjects = Number(process.argv[3] ?? 100_000);
const samples = Number(process.argv[4] ?? 200);
const url = process.env.DATABASE_URL;
if (!url) throw new Error("DATABASE_URL: the kept database");
const SEED = 20_261_130;
const SLICE_MINUTES = 10;
const SUBJECTS_PER_DOCUMENT = 50;

const store = await openStore({ url });
if (process.env.EXPLAIN === "1") {
  const rows = store.rows.bind(store);
  store.rows = async <T>(query: SQL, executor?: Executor): Promise<T[]> => {
    const plan = await rows<{ "QUERY PLAN": string }>(
      sql`explain (analyze, buffers) ${query}`,
      executor,
    );
    console.log(plan.map((row) => row["QUERY PLAN"]).join("\n"));
    return rows<T>(query, executor);
  };
}
const figures = (ms: number[]) =>
  `p50 ${percentile(ms, 0.5)?.toFixed(1)} ms, p95 ${percentile(ms, 0.95)?.toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms (${ms.length})`;
try {
  const random = createRandom(SEED + 2);
  const refs = Array.from({ length: samples }, () =>
    subjectRef("bench", random.int(0, Math.min(subjects, documents * SUBJECTS_PER_DOCUMENT) - 1)),
  );
  // A digest of every answer, to compare runs of different code on the same store.
  const digest = createHash("sha256");
  const flowIds: number[] = [];
  const overview: number[] = [];
  for (const ref of refs) {
    const { value: flows, ms } = await timed(() => subjectFlowSummaries(store, ref));
    overview.push(ms);
    digest.update(JSON.stringify(flows));
    if (!flows || flows.length === 0) throw new Error(`expected flows for ${ref}, got none`);
    const lawful = flows.filter((flow) => flow.violations === 0);
    const pick = lawful[random.int(0, lawful.length - 1)];
    if (pick && !flowIds.includes(pick.id)) flowIds.push(pick.id);
  }
  console.log(`a subject's flow overview: ${figures(overview)}`);
  // Rows that exist before (a violation's flow): their witness is kept, not timed here.
  const existing = new Set(
    (
      await store.rows<{ id: string }>(
        sql`select id::text from flows where id = any(${`{${flowIds.join(",")}}`}::bigint[])`,
      )
    ).map((row) => Number(row.id)),
  );
  const fresh = flowIds.filter((id) => !existing.has(id));
  const witness: number[] = [];
  try {
    for (const id of fresh) {
      const { value: path, ms } = await timed(() => flowWitness(store, id));
      witness.push(ms);
      digest.update(JSON.stringify(path));
      if (!path || path.length === 0) throw new Error(`expected a witness path for flow ${id}`);
    }
  } finally {
    await store.rows(
      sql`delete from flows where id = any(${`{${fresh.join(",")}}`}::bigint[])
          and not exists (select 1 from violations v where v.flow_id = flows.id)`,
    );
  }
  console.log(`a witness path for one flow: ${figures(witness)}`);
  const spanMs = documents * SLICE_MINUTES * 60_000;
  const windows = Array.from({ length: Math.min(samples, 30) }, () => {
    const from = START_MS + random.int(0, Math.max(0, spanMs - 86_400_000));
    return { from: new Date(from), to: new Date(from + 86_400_000) };
  });
  const held: number[] = [];
  let count = 0;
  for (const w of windows) {
    const { value, ms } = await timed(() => subjectsHeldByService(store, "CRM", w));
    held.push(ms);
    digest.update(JSON.stringify(value));
    count += value.length;
  }
  console.log(
    `subjects whose data CRM held in a 24 h window: ${figures(held)}; ${count / windows.length} subjects per window`,
  );
  console.log(`answers' digest: ${digest.digest("hex").slice(0, 16)}`);
} finally {
  await store.close();
}
