/** Small statistics and timing helpers shared by the ledger benchmark's modules. */

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
