/**
 * The bridge loses nothing and invents nothing, on real servers: a bridge process killed with
 * SIGKILL in the middle of a stream and restarted; PostgreSQL restarted in the middle of a
 * stream; malformed messages mixed into good ones. Each test runs its own Mosquitto (the
 * default limit of 1,000 queued messages per client would drop messages published while the
 * bridge is down) and the PostgreSQL test restarts a private server, never the shared one.
 *
 * Scale: the issue asks for 1,000 malformed among 100,000 good messages; this runs 150 among
 * 15,000 (the same 1% ratio, every kind of damage) so the file stays near two minutes on the
 * shared 2-core CI machine; `RELIABILITY_FULL_SCALE=1` runs the issue's 1,000 among 100,000
 * (by hand, not in CI). Needs DATABASE_URL (the SIGKILL and malformed tests use a fresh
 * database on it) and PostgreSQL 15's binaries in /usr/lib/postgresql/15/bin.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../capture-bridge/config";
import { startBridge } from "../../../capture-bridge/main";
import { prepareMessage } from "../../../capture-bridge/pipeline/ingest";
import {
  createSimulation,
  type SimulatedMessage,
} from "../../../capture-bridge/simulate/organisation";
import { openStore, type Store } from "../../../db/client";
import { runVerification } from "../../../db/ledger/verification";
import { createTestDatabase, REAL_DATABASE_URL, type TestDatabase } from "../../setup/databases";
import {
  type PrivateMosquitto,
  type PrivatePostgres,
  startPrivateMosquitto,
  startPrivatePostgres,
} from "../../setup/private-servers";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const PREFIX = "reliability/camflow/provenance";
const quiet = () => undefined;
/** The malformed-among-good test at the scale, or 1/7 of it (same 1% ratio) for CI. */
const MIXED =
  process.env.RELIABILITY_FULL_SCALE === "1"
    ? { good: 100_000, perKind: 200, waitMs: 1_500_000, ms: 1_600_000 }
    : { good: 15_000, perKind: 30, waitMs: 110_000, ms: 180_000 };

async function until(
  condition: () => Promise<boolean>,
  what: string,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function simulatedMessages(count: number, seed: number): SimulatedMessage[] {
  const simulation = createSimulation({ seed, hosts: 6, elementsPerMessage: 40, subjects: 500 });
  return Array.from({ length: count }, () => simulation.next());
}

/** Distinct element ids the messages hold, as the bridge reads them. */
async function distinctElements(store: Store, messages: SimulatedMessage[]): Promise<number> {
  const ids = new Set<string>();
  for (const message of messages) {
    const prepared = await prepareMessage(store, {
      source: "t",
      host: message.host,
      payload: message.payload,
    });
    for (const { graph } of prepared.documents) {
      for (const node of graph.nodes) ids.add(`n:${node.id}`);
      for (const relation of graph.relations) ids.add(`r:${relation.id}`);
    }
  }
  return ids.size;
}

async function publishAll(client: MqttClient, messages: readonly SimulatedMessage[]) {
  for (const message of messages) {
    await client.publishAsync(`${PREFIX}/${message.topicSuffix}`, message.payload, { qos: 1 });
  }
}

/** `provtopia bridge` as its own process, as an operator runs it. */
function spawnBridge(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "capture-bridge/cli.ts", "bridge"], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

async function counts(store: Store) {
  const [row] = await store.rows<{ records: number; elements: number; quarantined: number }>(sql`
    select (select count(*) from ledger_records)::int as records,
           ((select count(*) from prov_nodes) + (select count(*) from prov_relations))::int as elements,
           (select count(*) from quarantine)::int as quarantined`);
  return row as { records: number; elements: number; quarantined: number };
}

async function expectLedgerVerifies(store: Store) {
  const { report } = await runVerification(store, { state: { logs: {} } });
  expect(report.ok, JSON.stringify(report).slice(0, 2_000)).toBe(true);
}

describe.skipIf(!REAL_DATABASE_URL)("the bridge under failure", () => {
  let broker: PrivateMosquitto;
  beforeAll(async () => {
    broker = await startPrivateMosquitto();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it("stores exactly N messages' elements when killed with SIGKILL mid-stream and restarted", async () => {
    const database: TestDatabase = await createTestDatabase();
    const store = await openStore({ url: database.url });
    const publisher = await mqtt.connectAsync(broker.url);
    const clientId = `reliability-kill-${process.pid}`;
    const env = {
      DATABASE_URL: database.url,
      MQTT_URL: broker.url,
      MQTT_TOPIC_PREFIX: PREFIX,
      MQTT_CLIENT_ID: clientId,
      BRIDGE_PORT: "0",
      BATCH_MAX_MESSAGES: "25",
    };
    const startChild = () => spawnBridge(env);
    let child: ChildProcess | undefined;
    try {
      const messages = simulatedMessages(600, 11);
      const expected = await distinctElements(store, messages);
      // The bridge's persistent session exists from its first connection on; make it now, so
      // the broker keeps what is published before the bridge process is up.
      const session = await mqtt.connectAsync(broker.url, { clientId, clean: false });
      await session.subscribeAsync(`${PREFIX}/#`, { qos: 1 });
      await session.endAsync();
      child = startChild();
      const firstHalf = publishAll(publisher, messages.slice(0, 300));
      await until(async () => (await counts(store)).records > 0, "a first commit");
      child.kill("SIGKILL");
      await new Promise((resolve) => child?.once("exit", resolve));
      const atKill = (await counts(store)).records;
      await firstHalf;
      await publishAll(publisher, messages.slice(300));
      expect(atKill).toBeLessThan(300); // killed mid-stream, not after the first half
      child = startChild();
      await until(async () => (await counts(store)).records >= messages.length, "600 records");
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // anything extra would show now
      const after = await counts(store);
      expect(after).toEqual({ records: 600, elements: expected, quarantined: 0 });
      await expectLedgerVerifies(store);
    } finally {
      child?.kill("SIGKILL");
      await publisher.endAsync();
      await store.close();
      await database.drop();
    }
  }, 180_000);

  it("loses nothing when PostgreSQL restarts mid-stream", async () => {
    const pg: PrivatePostgres = await startPrivatePostgres();
    const store = await openStore({ url: pg.url });
    const publisher = await mqtt.connectAsync(broker.url);
    const output: string[] = [];
    const child = spawnBridge({
      DATABASE_URL: pg.url,
      MQTT_URL: broker.url,
      MQTT_TOPIC_PREFIX: `${PREFIX}/pg`,
      MQTT_CLIENT_ID: `reliability-pg-${process.pid}`,
      BRIDGE_PORT: "0",
      BATCH_MAX_MESSAGES: "20",
    });
    child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    try {
      const messages = simulatedMessages(400, 12);
      const expected = await distinctElements(store, messages);
      await until(async () => output.join("").includes("bridge"), "the bridge to start");
      const publishing = (async () => {
        for (const message of messages) {
          await publisher.publishAsync(`${PREFIX}/pg/${message.topicSuffix}`, message.payload, {
            qos: 1,
          });
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      await until(async () => (await counts(store)).records >= 50, "50 records");
      await pg.stop();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await pg.start();
      await publishing;
      await until(async () => (await counts(store)).records >= 400, "400 records");
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // anything extra would show now
      expect(await counts(store)).toEqual({ records: 400, elements: expected, quarantined: 0 });
      expect(child.exitCode).toBeNull(); // it rode out the restart
      expect(output.join("")).toContain("retry");
      await expectLedgerVerifies(store);
    } finally {
      child.kill("SIGKILL");
      await publisher.endAsync();
      await store.close().catch(quiet);
      await pg.destroy();
    }
  }, 180_000);

  it(
    "stores every good message and quarantines every malformed one among them, with reasons",
    async () => {
      const GOOD = MIXED.good;
      const PER_KIND = MIXED.perKind; // five kinds: 1% of the good ones
      const database = await createTestDatabase();
      const bridge = await startBridge(
        loadConfig({
          DATABASE_URL: database.url,
          MQTT_URL: broker.url,
          MQTT_TOPIC_PREFIX: `${PREFIX}/mixed`,
          MQTT_CLIENT_ID: `reliability-mixed-${process.pid}`,
          BRIDGE_PORT: "0",
          MAX_MESSAGE_BYTES: String(256 * 1024),
        }),
        { log: quiet },
      );
      const publisher = await mqtt.connectAsync(broker.url);
      try {
        const prefix = { ex: "http://example.org/mixed/" };
        const good = (i: number) =>
          JSON.stringify({
            prefix,
            entity: { [`ex:record-${i}`]: { "ex:n": i } },
            activity: { [`ex:job-${i}`]: {} },
            used: {
              [`ex:use-${i}`]: { "prov:activity": `ex:job-${i}`, "prov:entity": `ex:record-${i}` },
            },
          });
        const malformed: { kind: string; payload: Buffer }[] = [];
        for (let i = 0; i < PER_KIND; i++) {
          malformed.push(
            {
              // Cut inside the document (221 characters) after its unique id (characters 66-73):
              // every one distinct, none complete.
              kind: "broken JSON",
              payload: Buffer.from(good(1e6 + i).slice(0, 80 + (i % 120))),
            },
            {
              kind: "wrong types",
              payload: Buffer.from(
                JSON.stringify({ prefix, used: { [`ex:u${i}`]: { "prov:activity": i } } }),
              ),
            },
            {
              kind: "unknown relation kind",
              payload: Buffer.from(
                JSON.stringify({ prefix, wasFooBy: { [`ex:r${i}`]: { "prov:a": "ex:x" } } }),
              ),
            },
            {
              kind: "huge",
              payload: Buffer.from(
                JSON.stringify({
                  prefix,
                  entity: { [`ex:big${i}`]: { "ex:blob": "x".repeat(300_000) } },
                }),
              ),
            },
            {
              kind: "invalid UTF-8",
              payload: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x80 + i, 0x22, 0x7d]),
            },
          );
        }
        // Malformed messages spread evenly through the stream, over 10 hosts' topics.
        const every = Math.floor(GOOD / malformed.length);
        const stream: Buffer[] = [];
        for (let i = 0; i < GOOD; i++) {
          stream.push(Buffer.from(good(i)));
          if (i % every === every - 1 && malformed[Math.floor(i / every)]) {
            stream.push((malformed[Math.floor(i / every)] as { payload: Buffer }).payload);
          }
        }
        expect(stream.length).toBe(GOOD + malformed.length);
        for (let at = 0; at < stream.length; at += 500) {
          await Promise.all(
            stream.slice(at, at + 500).map((payload, k) =>
              publisher.publishAsync(`${PREFIX}/mixed/host-${(at + k) % 10}`, payload, {
                qos: 1,
              }),
            ),
          );
        }
        await until(
          async () => {
            const now = await counts(bridge.store);
            return now.records + now.quarantined >= stream.length;
          },
          "every message stored or quarantined",
          MIXED.waitMs,
        );
        expect(await counts(bridge.store)).toEqual({
          records: GOOD,
          elements: GOOD * 3,
          quarantined: malformed.length,
        });
        const reasons = await bridge.store.rows<{ kind: string; reason: string; raw: Uint8Array }>(
          sql`select kind::text as kind, reason, raw from quarantine`,
        );
        // The kind of problem each is stored as (the DPO's page names it in their language).
        const storedKind: Record<string, string> = {
          "broken JSON": "not-json",
          "wrong types": "bad-prov",
          "unknown relation kind": "not-prov",
          huge: "too-large",
          "invalid UTF-8": "not-text",
        };
        const kindOf = (raw: Uint8Array) =>
          malformed.find((m) => Buffer.compare(m.payload, Buffer.from(raw)) === 0)?.kind;
        const byKind = new Map<string, number>();
        for (const { kind: stored, reason, raw } of reasons) {
          expect(reason.length).toBeGreaterThan(10);
          const kind = kindOf(raw) ?? `unexpected: ${reason}`;
          expect(stored, `${kind}: ${reason}`).toBe(storedKind[kind]);
          byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
        }
        expect(Object.fromEntries(byKind)).toEqual({
          "broken JSON": PER_KIND,
          "wrong types": PER_KIND,
          "unknown relation kind": PER_KIND,
          huge: PER_KIND,
          "invalid UTF-8": PER_KIND,
        });
      } finally {
        await publisher.endAsync();
        await bridge.stop();
        await database.drop();
      }
    },
    MIXED.ms,
  );
});
