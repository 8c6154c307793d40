/** Small statistics, timing and store helpers shared by the benchmarks. */
import { readFileSync } from "node:fs";
import { sql } from "drizzle-orm";
import type { Store } from "../../db/client";

export function perSecond(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (count * 1000) / elapsedMs : 0;
}

/** Nearest-rank percentile; null for no samples. Requires 0 < p <= 1. */
export function percentile(samples: readonly number[], p: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.ceil(p * sorted.length)) - 1] ?? null;
}

export function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** Runs `work` and returns its result with the wall time it took, in ms. */
export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

/** `timed` for synchronous work. */
export function timedSync<T>(work: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = work();
  return { value, ms: performance.now() - started };
}

/** Percent saved, 0..100, when `raw` bytes are stored as `stored` bytes. */
export function savedPercent(raw: number, stored: number): number {
  return raw > 0 ? (1 - stored / raw) * 100 : 0;
}

/** The store's server version ("15.20"; PGlite reports its PostgreSQL version). */
export async function serverVersion(store: Store): Promise<string> {
  const [row] = await store.rows<{ server_version: string }>(sql`show server_version`);
  return row?.server_version.split(" ")[0] ?? "unknown";
}

/** Rows in one of the store's tables. */
export async function countRows(store: Store, table: string): Promise<number> {
  const [row] = await store.rows<{ count: number }>(
    sql`select count(*)::int as count from ${sql.identifier(table)}`,
  );
  return row?.count ?? 0;
}

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** CPU time (utime + stime, ms) the threads or processes under /proc/<path>/stat have used. */
export function procCpuMs(paths: readonly string[]): number {
  let ticks = 0;
  for (const path of paths) {
    try {
      const stat = readFileSync(`/proc/${path}/stat`, "latin1");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Gone (a backend that ended): its CPU is missing from the figure.
    }
  }
  return (ticks * 1000) / USER_HZ;
}

/**
 * The PostgreSQL backends serving the store's database, as /proc paths for procCpuMs (the
 * server must run on this machine); none for PGlite, whose work is this process's.
 */
export async function serverBackends(store: Store): Promise<string[]> {
  if (store.kind !== "postgres") return [];
  const rows = await store.rows<{ pid: number }>(sql`
    select pid from pg_stat_activity where datname = current_database()`);
  return rows.map((r) => String(r.pid));
}

/**
 * Runs `work` and returns the CPU it cost the store's PostgreSQL backends (ms; 0 on PGlite),
 * counting the backends open before and after it, at 10 ms resolution.
 */
export async function serverCpu<T>(
  store: Store,
  work: () => Promise<T>,
): Promise<{ value: T; serverCpuMs: number }> {
  const start = new Map((await serverBackends(store)).map((pid) => [pid, procCpuMs([pid])]));
  const value = await work();
  // A backend first seen after the work counts from its start; one that ended is lost.
  let serverCpuMs = 0;
  for (const pid of await serverBackends(store)) {
    serverCpuMs += procCpuMs([pid]) - (start.get(pid) ?? 0);
  }
  return { value, serverCpuMs };
}
