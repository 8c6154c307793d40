/**
 * GET /metrics behind METRICS_TOKEN: without the token configured it is open (the default, on
 * loopback); with it, a scrape without the bearer token, or with another, gets 401 and no
 * metrics, and one with it gets the exposition text. The other read paths stay as they were.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isLoopback, serveHttp } from "../../../capture-bridge/http";
import { createTestStore, type TestStore } from "../../setup/databases";

const TOKEN = "scrape-secret-0123456789";

describe("GET /metrics", () => {
  let t: TestStore;
  const servers: Server[] = [];
  const serve = async (metricsToken?: string) => {
    const server = await serveHttp(t.store, 0, { metricsToken });
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  beforeAll(async () => {
    t = await createTestStore("pglite");
  });
  afterAll(async () => {
    for (const server of servers)
      await new Promise<void>((resolve) => server.close(() => resolve()));
    await t?.dispose();
  });

  it("is open when no token is configured", async () => {
    const response = await fetch(`${await serve()}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("provtopia_bridge_messages_received_total");
  });

  it("wants the bearer token when one is configured, and says so", async () => {
    const base = await serve(TOKEN);
    const none = await fetch(`${base}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="provtopia-metrics"');
    expect(await none.text()).not.toContain("provtopia_bridge");
    for (const wrong of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Basic ${TOKEN}`, TOKEN]) {
      const response = await fetch(`${base}/metrics`, { headers: { authorization: wrong } });
      expect(response.status, wrong).toBe(401);
    }
    const right = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(right.status).toBe(200);
    expect(await right.text()).toContain("provtopia_bridge_messages_received_total");
    // Health checks and the auditor API are not metrics: the token does not guard them.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it("knows which bind addresses only this machine reaches", () => {
    expect(["127.0.0.1", "127.0.1.1", "::1", "localhost"].map(isLoopback)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(["0.0.0.0", "::", "10.0.0.5", "bridge.internal"].map(isLoopback)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});
