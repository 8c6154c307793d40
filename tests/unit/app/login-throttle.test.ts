import { describe, expect, it } from "vitest";
import { LoginThrottle, MAX_FAILURES, WINDOW_MS } from "../../../app/auth/login-throttle.server";

describe("LoginThrottle", () => {
  it("lets an address try until MAX_FAILURES failures, then makes it wait out the window", () => {
    let now = 1_000_000;
    const throttle = new LoginThrottle(() => now);
    for (let i = 0; i < MAX_FAILURES; i += 1) {
      expect(throttle.retryAfterMs("a@example.org")).toBe(0);
      throttle.recordFailure("a@example.org");
      now += 1_000;
    }
    expect(throttle.retryAfterMs("a@example.org")).toBe(WINDOW_MS - MAX_FAILURES * 1_000);
    expect(throttle.retryAfterMs("b@example.org")).toBe(0);
    now += WINDOW_MS;
    expect(throttle.retryAfterMs("a@example.org")).toBe(0);
  });

  it("forgets failures after a successful log-in", () => {
    const throttle = new LoginThrottle(() => 0);
    for (let i = 0; i < MAX_FAILURES; i += 1) throttle.recordFailure("a@example.org");
    throttle.reset("a@example.org");
    expect(throttle.retryAfterMs("a@example.org")).toBe(0);
  });
});
