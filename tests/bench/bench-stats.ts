/** Small statistics, timing and store helpers shared by the benchmarks. */
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
