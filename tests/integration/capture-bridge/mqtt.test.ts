/**
 * The bridge end to end over MQTT: the embedded broker always, and the real Mosquitto when
 * MQTT_URL is set. Payloads as camflowd sends them (base64 of zlib JSON) and as applications do
 * (plain JSON); camflowd's empty keep-alives are ignored; the topic names the capture host.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { deflateSync } from "node:zlib";
import { sql } from "drizzle-orm";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../capture-bridge/config";
import { type RunningBridge, startBridge } from "../../../capture-bridge/main";
import { startEmbeddedBroker } from "../../../capture-bridge/sources/embedded-broker";
import { storeStats } from "../../../db/queries/stats";
import {
  createTestStore,
  REAL_MQTT_URL,
  STORE_KINDS,
  type StoreKind,
  type TestStore,
} from "../../setup/databases";

const brokers: Array<{ name: string; url: string | undefined; store: StoreKind }> = [
  { name: "the embedded broker", url: undefined, store: "pglite" },
  ...(REAL_MQTT_URL
    ? [{ name: "Mosquitto", url: REAL_MQTT_URL, store: STORE_KINDS.at(-1) as StoreKind }]
    : []),
];

async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.each(brokers)("bridge over $name", ({ url, store: storeKind }) => {
  let t: TestStore;
  let bridge: RunningBridge;
  const prefix = `provtopia-test/${randomBytes(4).toString("hex")}/camflow/provenance`;
  const logged: string[] = [];

  beforeAll(async () => {
    t = await createTestStore(storeKind);
    const config = loadConfig({
      MQTT_URL: url,
      MQTT_PORT: "0",
      BRIDGE_PORT: "0",
      MQTT_TOPIC_PREFIX: prefix,
    });
    bridge = await startBridge(config, { store: t.store, log: (line) => logged.push(line) });
  });
  afterAll(async () => {
    await bridge?.stop();
    await t?.dispose();
  });

  it("stores camflowd's compressed payloads and plain JSON, attributed to the topic's host", async () => {
    const publisher = await mqtt.connectAsync(bridge.mqttUrl);
    const compressed = deflateSync(
      JSON.stringify({ prefix: { ex: "http://example.org/m/" }, entity: { "ex:zipped": {} } }),
    ).toString("base64");
    await publisher.publishAsync(`${prefix}/host-a`, compressed, { qos: 1 });
    await publisher.publishAsync(`${prefix}/host-a`, "", { qos: 1 }); // keep-alive
    await publisher.publishAsync(
      `${prefix}/host-b`,
      JSON.stringify({
        prefix: { ex: "http://example.org/m/" },
        activity: { "ex:job": {} },
        used: { "ex:u": { "prov:activity": "ex:job", "prov:entity": "ex:zipped" } },
      }),
      { qos: 1 },
    );
    await publisher.endAsync();
    await until(() => bridge.tally.documents >= 2, "two documents");
    expect(bridge.tally.summary()).toEqual({ nodes: 2, relations: 1, new: 3, quarantined: 0 });
    const hosts = await t.store.rows<{ ext_id: string; name: string }>(sql`
      select n.ext_id, h.name from prov_nodes n
      join prov_node_hosts nh on nh.node_id = n.id join hosts h on h.id = nh.host_id
      order by n.ext_id`);
    expect(hosts).toEqual([
      { ext_id: "http://example.org/m/job", name: "host-b" },
      { ext_id: "http://example.org/m/zipped", name: "host-a" },
    ]);
    expect(await storeStats(t.store)).toMatchObject({ nodes: 2, relations: 1, pending: 0 });
  });

  it("quarantines a garbled message and goes on with the next", async () => {
    const publisher = await mqtt.connectAsync(bridge.mqttUrl);
    await publisher.publishAsync(`${prefix}/host-a`, "{not json", { qos: 1 });
    await publisher.publishAsync(
      `${prefix}/host-a`,
      JSON.stringify({ prefix: { ex: "http://example.org/m/" }, entity: { "ex:after": {} } }),
      { qos: 1 },
    );
    await publisher.endAsync();
    await until(() => bridge.tally.documents >= 3, "the message after the garbled one");
    expect(bridge.tally.quarantined).toBe(1);
    const [row] = await t.store.rows<{ source: string }>(sql`select source from quarantine`);
    expect(row?.source).toBe(`mqtt:${prefix}/host-a`);
  });

  it("answers /healthz", async () => {
    const response = await fetch(`${bridge.httpUrl}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", store: t.store.kind });
  });
});

describe("embedded broker", () => {
  it("says so and takes a free port when the wanted one is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const taken = (blocker.address() as { port: number }).port;
    const lines: string[] = [];
    const broker = await startEmbeddedBroker(taken, (line) => lines.push(line));
    try {
      expect(broker.port).not.toBe(taken);
      expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
      expect(lines).toEqual([
        `MQTT port ${taken} is already taken (another broker?); the embedded broker listens on ${broker.port} instead`,
      ]);
    } finally {
      await broker.close();
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
