/**
 * verifyLedger alone over the ledger bench's synthetic store (8 logs x 6,500 leaves by default),
 * with the CPU it costs on both sides: this process (process.cpuUsage, all threads) and the
 * PostgreSQL backends serving the store's database (utime + stime from /proc/<pid>/stat of every
 * backend pg_stat_activity lists for it). On a machine shared with other work the wall figure is
 * a lower bound; leaves per CPU-second (client + server) moves much less with the load.
 * Run: DATABASE_URL=... npx tsx tests/bench/ledger-verify-cpu.ts [rounds] [logs] [leavesPerLog] [pglite]
 */
import { availableParallelism, loadavg } from "node:os";
import { sql } from "drizzle-orm";
import { openStore } from "../../db/client";
import { verifyLedger } from "../../db/ledger/verify";
import {
  createTestStore,
  REAL_DATABASE_URL,
  type StoreKind,
  type TestStore,
} from "../setup/databases";
import { procCpuMs, serverCpu } from "./bench-stats";
import { buildSyntheticLogs, insertSyntheticLogs } from "./ledger-synthetic";

const rounds = Number(process.argv[2] ?? 5);
const logs = Number(process.argv[3] ?? 8);
const leavesPerLog = Number(process.argv[4] ?? 6_500);
const kinds: StoreKind[] =
  process.argv[5] === "pglite" ? ["pglite"] : REAL_DATABASE_URL ? ["postgres"] : ["pglite"];
/** CHUNK_SIZE: records per chunk (default: the verifier's). */
const chunkSize = process.env.CHUNK_SIZE ? Number(process.env.CHUNK_SIZE) : undefined;
// VERIFY_STORE_URL: a database kept between runs while iterating (created with createdb; filled
// with these synthetic logs on the first run, when it has no ledger logs yet); otherwise a fresh
// one, filled and dropped.
const kept = process.env.VERIFY_STORE_URL;
for (const kind of kinds) {
  const testStore: TestStore = kept
    ? await openStore({ url: kept }).then((store) => ({
        store,
        kind,
        dispose: () => store.close(),
      }))
    : await createTestStore(kind);
  try {
    const [existing] = kept
      ? await testStore.store.rows<{ n: number }>(sql`select count(*)::int as n from ledger_logs`)
      : [];
    if (!kept || existing?.n === 0) {
      const synthetic = buildSyntheticLogs({ logs, leavesPerLog, hostPrefix: "bench-synthetic" });
      await insertSyntheticLogs(testStore.store, synthetic);
      await testStore.store.rows(sql`vacuum analyze`);
    }
    for (const workers of [undefined, 0]) {
      await verifyLedger(testStore.store, { workers, chunkSize }); // warm-up: connections, workers, caches
      const results: { ms: number; client: number; server: number; main: number }[] = [];
      for (let r = 0; r < rounds; r++) {
        const mainThread = [`${process.pid}/task/${process.pid}`];
        const main0 = procCpuMs(mainThread);
        const cpu = process.cpuUsage();
        const start = performance.now();
        const {
          value: { report },
          serverCpuMs: server,
        } = await serverCpu(testStore.store, () =>
          verifyLedger(testStore.store, { workers, chunkSize }),
        );
        const ms = performance.now() - start;
        const used = process.cpuUsage(cpu);
        const main = procCpuMs(mainThread) - main0;
        if (!report.ok || report.leaves !== logs * leavesPerLog) {
          throw new Error(`verify: ${JSON.stringify(report.findings.slice(0, 3))}`);
        }
        results.push({ ms, client: (used.user + used.system) / 1000, server, main });
      }
      const leaves = logs * leavesPerLog;
      const best = results.reduce((a, b) => (b.ms < a.ms ? b : a));
      const median = (xs: number[]) =>
        xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
      const clientMs = median(results.map((r) => r.client));
      const serverMs = median(results.map((r) => r.server));
      console.log(
        JSON.stringify({
          kind,
          workers: workers ?? `default ${Math.min(4, availableParallelism())}`,
          chunkSize: chunkSize ?? "default",
          leaves,
          bestMs: Math.round(best.ms),
          bestLeavesPerS: Math.round((leaves / best.ms) * 1000),
          medianMs: Math.round(median(results.map((r) => r.ms))),
          clientCpuMs: Math.round(clientMs),
          mainThreadCpuMs: Math.round(median(results.map((r) => r.main))),
          serverCpuMs: Math.round(serverMs),
          leavesPerCpuS: Math.round((leaves / (clientMs + serverMs)) * 1000),
          clientLeavesPerCpuS: Math.round((leaves / clientMs) * 1000),
          load: loadavg().map((l) => Number(l.toFixed(2))),
        }),
      );
    }
  } finally {
    await testStore.dispose();
  }
}
process.exit(0);
