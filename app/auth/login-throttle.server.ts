/**
 * Slows password guessing (the Lucia guide's advice): after MAX_FAILURES failed log-ins for
 * one email address within WINDOW_MS, further attempts are refused until the window passes.
 * Kept in this process's memory: enough for one portal process; several processes behind a
 * load balancer would need it in the store.
 */
export const MAX_FAILURES = 5;
export const WINDOW_MS = 15 * 60 * 1000;

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds until `key` may try again; 0 when it may try now. */
  retryAfterMs(key: string): number {
    const recent = this.recent(key);
    if (recent.length < MAX_FAILURES) return 0;
    return Math.max(0, (recent[0] ?? 0) + WINDOW_MS - this.now());
  }

  recordFailure(key: string): void {
    this.failures.set(key, [...this.recent(key), this.now()]);
  }

  reset(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string): number[] {
    const since = this.now() - WINDOW_MS;
    const kept = (this.failures.get(key) ?? []).filter((at) => at > since);
    if (kept.length === 0) this.failures.delete(key);
    return kept;
  }
}

export const loginThrottle = new LoginThrottle();
