/**
 * The NATS JetStream source against the real server (NATS_URL): one durable pull consumer
 * shared by several bridges, acknowledgement only after the store committed, redelivery after a
 * store failure, a bounded number of messages in flight, and a stop that acknowledges what it
 * finished and hands back what it did not start. Each test has its own stream and consumer.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect as connectTcp } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../capture-bridge/config";
import { meteredIngest } from "../../../capture-bridge/intake";
import { lineLogger } from "../../../capture-bridge/logger";
import { startBridge } from "../../../capture-bridge/main";
import { IngestTally, type Message } from "../../../capture-bridge/pipeline/ingest";
import { type NatsSource, startNatsSource } from "../../../capture-bridge/sources/nats";
import { createTestStore, REAL_NATS_URL, STORE_KINDS, type TestStore } from "../../setup/databases";
import { freePort } from "../../setup/free-port";
import { createTestStream, type TestStream } from "../../setup/nats";
import { until } from "../../setup/until";

const NATS_URL = REAL_NATS_URL as string;
const NATS_SERVER = "/usr/sbin/nats-server";

const doc = (name: string) =>
  JSON.stringify({ prefix: { ex: "http://example.org/nats/" }, entity: { [`ex:${name}`]: {} } });

describe.skipIf(!REAL_NATS_URL)("NATS JetStream source", () => {
  let t: TestStore;
  let s: TestStream;
  const started: NatsSource[] = [];
  const logged: string[] = [];
  const logger = lineLogger((line) => logged.push(line));

  beforeAll(async () => {
    t = await createTestStore(STORE_KINDS.at(-1) ?? "pglite");
  });
  afterAll(async () => {
    await t?.dispose();
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((source) => source.stop()));
    await s?.dispose();
  });

  const start = async (
    onMessage: (message: Message) => Promise<unknown>,
    maxInFlight = 16,
  ): Promise<NatsSource> => {
    const source = await startNatsSource({
      url: NATS_URL,
      subjectPrefix: s.prefix,
      stream: s.stream,
      consumer: s.consumer,
      maxInFlight,
      ackWaitMs: 30_000,
      onMessage,
      logger,
    });
    started.push(source);
    return source;
  };

  const storedNames = async () =>
    (
      await t.store.rows<{ ext_id: string }>(
        sql`select ext_id from prov_nodes where ext_id like 'http://example.org/nats/%' order by ext_id`,
      )
    ).map((row) => row.ext_id.slice("http://example.org/nats/".length));

  it("stores what is published to <prefix>.<host>, attributed to that host, and acknowledges it", async () => {
    s = await createTestStream(NATS_URL);
    const tally = new IngestTally();
    await start(meteredIngest(t.store, tally));
    await s.publish("nats-host-1", doc("a1"));
    await s.publish("nats-host-2", doc("a2"));
    await s.publish("nats-host-2", ""); // a keep-alive: acknowledged, nothing stored
    await until(() => tally.documents >= 2, "two documents");
    await until(async () => (await s.consumerState()).ackPending === 0, "the acks");
    expect(tally.summary()).toEqual({ nodes: 2, relations: 0, new: 2, quarantined: 0 });
    const hosts = await t.store.rows<{ ext_id: string; name: string }>(sql`
      select n.ext_id, h.name from prov_nodes n
      join prov_node_hosts nh on nh.node_id = n.id join hosts h on h.id = nh.host_id
      where n.ext_id in ('http://example.org/nats/a1', 'http://example.org/nats/a2')
      order by n.ext_id`);
    expect(hosts.map((h) => h.name)).toEqual(["nats-host-1", "nats-host-2"]);
    expect(await s.consumerState()).toMatchObject({ pending: 0, ackPending: 0 });
    expect(await s.streamMessages()).toBe(0); // work queue: acknowledged = deleted
  });

  it("shares one durable consumer between two bridges: each message stored once", async () => {
    s = await createTestStream(NATS_URL);
    const seen = [new Map<string, number>(), new Map<string, number>()];
    const slowIngest = (i: 0 | 1) => {
      const ingest = meteredIngest(t.store, new IngestTally());
      return async (message: Message) => {
        const name = JSON.parse(Buffer.from(message.payload).toString()).entity;
        const key = Object.keys(name)[0] as string;
        seen[i]?.set(key, (seen[i]?.get(key) ?? 0) + 1);
        await new Promise((resolve) => setTimeout(resolve, 5)); // let the other one pull too
        return ingest(message);
      };
    };
    await start(slowIngest(0), 4);
    await start(slowIngest(1), 4);
    const total = 120;
    for (let i = 0; i < total; i++) await s.publish(`scale-${i % 3}`, doc(`s${i}`));
    await until(async () => (await s.consumerState()).delivered >= total, "every delivery");
    await until(async () => (await s.consumerState()).ackPending === 0, "every ack");
    const first = seen[0] as Map<string, number>;
    const second = seen[1] as Map<string, number>;
    expect(first.size).toBeGreaterThan(0);
    expect(second.size).toBeGreaterThan(0);
    // A message goes to one bridge; only a store failure (nak) sends it to the other one.
    const naks = logged.filter((line) => line.includes("will be redelivered")).length;
    expect(new Set([...first.keys(), ...second.keys()]).size).toBe(total);
    expect(first.size + second.size).toBeLessThanOrEqual(total + naks);
    const names = (await storedNames()).filter((name) => name.startsWith("s"));
    expect(names).toHaveLength(total);
  });

  it("naks a message the store failed to take and stores it when it comes back", async () => {
    s = await createTestStream(NATS_URL);
    const ingest = meteredIngest(t.store, new IngestTally());
    let failures = 0;
    await start(async (message) => {
      if (failures < 1) {
        failures += 1;
        throw new Error("store down (injected)");
      }
      return ingest(message);
    });
    await s.publish("retry-host", doc("retried"));
    await until(async () => (await storedNames()).includes("retried"), "the redelivered message");
    await until(async () => (await s.consumerState()).ackPending === 0, "the ack");
    expect(failures).toBe(1);
    expect((await s.consumerState()).delivered).toBe(2);
    expect(logged.some((line) => line.includes("will be redelivered: store down"))).toBe(true);
  });

  it("holds at most maxInFlight messages, and a stop acks what it finished and returns the rest", async () => {
    s = await createTestStream(NATS_URL);
    const ingest = meteredIngest(t.store, new IngestTally());
    let running = 0;
    let peak = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const source = await start(async (message) => {
      running += 1;
      peak = Math.max(peak, running);
      await gate;
      try {
        return await ingest(message);
      } finally {
        running -= 1;
      }
    }, 3);
    const total = 30;
    for (let i = 0; i < total; i++) await s.publish("bounded", doc(`b${i}`));
    await until(() => running === 3, "three messages in flight");
    // Nothing more is started while the three are held.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(peak).toBe(3);
    const stopped = source.stop();
    started.splice(started.indexOf(source), 1);
    release();
    await stopped;
    expect(peak).toBe(3);
    await until(async () => (await s.consumerState()).ackPending === 0, "the acks and naks");
    const stored = (await storedNames()).filter((name) => /^b\d+$/.test(name));
    const state = await s.consumerState();
    // Every message is either stored and acknowledged, or back in the stream for another bridge.
    expect(state.ackPending).toBe(0);
    expect(stored.length).toBeGreaterThanOrEqual(3);
    expect(stored.length + (await s.streamMessages())).toBe(total);
  });

  it("runs in the bridge from NATS_URL and reports consumer lag on /metrics", async () => {
    s = await createTestStream(NATS_URL);
    const config = loadConfig({
      MQTT_PORT: "0",
      BRIDGE_PORT: "0",
      NATS_URL,
      NATS_SUBJECT_PREFIX: s.prefix,
      NATS_STREAM: s.stream,
      NATS_CONSUMER: s.consumer,
      LOG_LEVEL: "silent",
    });
    const bridge = await startBridge(config, { store: t.store });
    try {
      await s.publish("metered", doc("m1"));
      await until(() => bridge.tally.documents >= 1, "the document");
      await until(async () => (await s.consumerState()).ackPending === 0, "the ack");
      expect(await bridge.nats?.lag()).toEqual({ pending: 0, ackPending: 0 });
      const metrics = await (await fetch(`${bridge.httpUrl}/metrics`)).text();
      expect(metrics).toMatch(/provtopia_bridge_messages_received_total\{source="nats"\} [1-9]/);
      expect(metrics).toMatch(/provtopia_bridge_elements_stored_total\{source="nats"\} [1-9]/);
      expect(metrics).toContain(
        `provtopia_bridge_consumer_lag_messages{source="nats",consumer="${s.stream}/${s.consumer}"} 0`,
      );
      expect(metrics).toMatch(/provtopia_bridge_pending_relations\{store="\w+"\} \d+/);
      expect(metrics).toMatch(
        /provtopia_bridge_batch_duration_seconds_count\{source="nats"\} [1-9]/,
      );
    } finally {
      await bridge.stop();
    }
  });

  it("refuses a stream that does not hold the subject prefix", async () => {
    s = await createTestStream(NATS_URL);
    await s.createStream();
    await expect(
      startNatsSource({
        url: NATS_URL,
        subjectPrefix: `${s.prefix}-other`,
        stream: s.stream,
        consumer: s.consumer,
        maxInFlight: 1,
        ackWaitMs: 30_000,
        onMessage: async () => undefined,
        logger,
      }),
    ).rejects.toThrow(`NATS stream ${s.stream} holds ["${s.prefix}.>"], not ${s.prefix}-other.>`);
  });
});

describe.skipIf(!REAL_NATS_URL || !existsSync(NATS_SERVER))(
  "NATS source across a server restart",
  () => {
    let t: TestStore;
    let dir: string;
    let server: ChildProcess | undefined;

    beforeAll(async () => {
      t = await createTestStore(STORE_KINDS.at(-1) ?? "pglite");
      dir = await mkdtemp(path.join(tmpdir(), "provtopia-nats-"));
    });
    afterAll(async () => {
      server?.kill("SIGKILL");
      await t?.dispose();
      await rm(dir, { recursive: true, force: true });
    });

    /** A private JetStream server on `port` keeping its data in `dir` (never the shared one). */
    const startServer = async (port: number) => {
      const child = spawn(NATS_SERVER, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir], {
        stdio: "ignore",
      });
      await until(
        () =>
          new Promise<boolean>((resolve) => {
            const socket = connectTcp(port, "127.0.0.1", () => {
              socket.destroy();
              resolve(true);
            });
            socket.on("error", () => resolve(false));
          }),
        "the private nats-server",
      );
      return child;
    };

    it("keeps consuming after the server went away and came back, losing nothing", async () => {
      const port = await freePort();
      const url = `nats://127.0.0.1:${port}`;
      server = await startServer(port);
      const s = await createTestStream(url);
      const logged: string[] = [];
      const tally = new IngestTally();
      const source = await startNatsSource({
        url,
        subjectPrefix: s.prefix,
        stream: s.stream,
        consumer: s.consumer,
        maxInFlight: 8,
        ackWaitMs: 5_000,
        onMessage: meteredIngest(t.store, tally),
        logger: lineLogger((line) => logged.push(line)),
      });
      try {
        for (let i = 0; i < 20; i++) await s.publish("restart-host", doc(`before-${i}`));
        await until(() => tally.documents >= 20, "the messages before the restart");
        const stopped = server;
        await new Promise((resolve) => {
          stopped.once("exit", resolve);
          stopped.kill("SIGTERM");
        });
        server = await startServer(port);
        // The publisher's connection reconnects too; publish again once JetStream answers.
        await until(
          async () =>
            s.publish("restart-host", doc("after-0")).then(
              () => true,
              () => false,
            ),
          "JetStream after the restart",
        );
        for (let i = 1; i < 20; i++) await s.publish("restart-host", doc(`after-${i}`));
        await until(() => tally.documents >= 40, "the messages after the restart", 60_000);
      } finally {
        await source.stop();
        await s.dispose();
      }
      const stored = await t.store.rows<{ n: number }>(
        sql`select count(*)::int as n from prov_nodes where ext_id ~ '^http://example.org/nats/(before|after)-'`,
      );
      expect(stored[0]?.n).toBe(40);
    });
  },
);
