/**
 * camflowd's local outputs: the FIFO it creates and writes NUL-terminated documents to, and the
 * unix datagram socket it sends one document per datagram to (here sent by python3 exactly as
 * camflowd does: SOCK_DGRAM, connect, send document + NUL). Documents are stored, attributed
 * to the CamFlow machine id they carry, and a store failure is retried, not dropped.
 */
import { execFile } from "node:child_process";
import { constants } from "node:fs";
import { mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../capture-bridge/config";
import { meteredIngest } from "../../../capture-bridge/intake";
import { lineLogger } from "../../../capture-bridge/logger";
import { startBridge } from "../../../capture-bridge/main";
import { IngestTally, type Message } from "../../../capture-bridge/pipeline/ingest";
import { startCamflowdFifo, startCamflowdSocket } from "../../../capture-bridge/sources/local";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";
import { until } from "../../setup/until";

const run = promisify(execFile);
const WALKTHROUGH = path.resolve(
  "../shared/fixtures/camflow/w3c/website-walkthrough-v0.3.x-wget.json",
);

const doc = (name: string) =>
  JSON.stringify({ prefix: { ex: "http://example.org/local/" }, entity: { [`ex:${name}`]: {} } });

/** Sends each document as one datagram with its NUL, as camflowd's `output=unix` does. */
async function sendDatagrams(socketPath: string, documents: string[]): Promise<void> {
  const script = `
import socket, sys, json
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect(sys.argv[1])
for d in json.load(sys.stdin):
    s.send(d.encode() + b"\\0")
`;
  await new Promise<void>((resolve, reject) => {
    const child = execFile("python3", ["-c", script, socketPath], (error) =>
      error ? reject(error) : resolve(),
    );
    child.stdin?.end(JSON.stringify(documents));
  });
}

describe("camflowd's local outputs", () => {
  let t: TestStore;
  let dir: string;
  const logged: string[] = [];
  const logger = lineLogger((line) => logged.push(line));

  beforeAll(async () => {
    t = await createTestStore(STORE_KINDS.at(-1) ?? "pglite");
    dir = await mkdtemp(path.join(tmpdir(), "provtopia-local-"));
  });
  afterAll(async () => {
    await t?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  const stored = async (pattern: string) =>
    (
      await t.store.rows<{ ext_id: string }>(
        sql`select ext_id from prov_nodes where ext_id like ${pattern} order by ext_id`,
      )
    ).map((row) => row.ext_id);

  it("waits for camflowd's FIFO, then stores NUL-terminated documents cut anywhere", async () => {
    const fifo = path.join(dir, "camflowd-pipe");
    const tally = new IngestTally();
    const source = await startCamflowdFifo({
      path: fifo,
      host: "fifo-host",
      onMessage: meteredIngest(t.store, tally),
      logger,
      pollMs: 20,
    });
    try {
      await run("mkfifo", [fifo]); // camflowd creates it itself, after the bridge started
      const writer = await open(fifo, constants.O_WRONLY);
      const stream = `${doc("f1")}\0${doc("f2")}\0${doc("f3")}\0`;
      await writer.write(stream.slice(0, 30));
      await writer.write(stream.slice(30, 95));
      await writer.write(stream.slice(95));
      await until(() => tally.documents >= 3, "three documents from the FIFO");
      await writer.close();
      // camflowd restarting opens the FIFO again: still read (we never saw end-of-file).
      const again = await open(fifo, constants.O_WRONLY);
      await again.write(`${doc("f4")}\0`);
      await until(() => tally.documents >= 4, "the document after camflowd reopened");
      await again.close();
    } finally {
      await source.stop();
    }
    expect(await stored("http://example.org/local/f%")).toEqual(
      ["f1", "f2", "f3", "f4"].map((n) => `http://example.org/local/${n}`),
    );
    const [host] = await t.store.rows<{ name: string }>(sql`
      select distinct h.name from prov_node_hosts nh join hosts h on h.id = nh.host_id
      join prov_nodes n on n.id = nh.node_id where n.ext_id = 'http://example.org/local/f1'`);
    expect(host?.name).toBe("fifo-host");
  });

  it("refuses a CAMFLOW_FIFO path that is not a FIFO", async () => {
    const file = path.join(dir, "plain-file");
    await writeFile(file, "");
    await expect(
      startCamflowdFifo({ path: file, onMessage: async () => undefined, logger }),
    ).rejects.toThrow(`CAMFLOW_FIFO ${file} exists and is not a FIFO`);
  });

  it("binds the datagram socket and stores a real CamFlow document under its machine id", async () => {
    const socketPath = path.join(dir, "camflowd.sock");
    const tally = new IngestTally();
    const source = await startCamflowdSocket({
      path: socketPath,
      onMessage: meteredIngest(t.store, tally),
      logger,
    });
    const camflow = (await readFile(WALKTHROUGH, "utf8")).trim();
    try {
      await sendDatagrams(socketPath, [camflow, doc("d1"), "{broken", doc("d2")]);
      await until(() => tally.documents >= 3 && tally.quarantined >= 1, "the datagrams");
    } finally {
      await source.stop();
    }
    expect(tally.quarantined).toBe(1);
    expect(await stored("http://example.org/local/d%")).toHaveLength(2);
    const hosts = await t.store.rows<{ name: string }>(sql`
      select distinct h.name from prov_node_hosts nh join hosts h on h.id = nh.host_id
      join prov_nodes n on n.id = nh.node_id where n.ext_id like 'cf:%'`);
    expect(hosts.map((h) => h.name)).toEqual(["cf:509509127"]);
    const [row] = await t.store.rows<{ source: string }>(
      sql`select source from quarantine where source like 'socket:%'`,
    );
    expect(row?.source).toBe(`socket:${socketPath}`);
  });

  it("retries a document the store failed to take instead of dropping it", async () => {
    const socketPath = path.join(dir, "retry.sock");
    const ingest = meteredIngest(t.store, new IngestTally());
    let failures = 0;
    const source = await startCamflowdSocket({
      path: socketPath,
      host: "retry-host",
      onMessage: async (message: Message) => {
        if (failures < 2) {
          failures += 1;
          throw new Error("store down (injected)");
        }
        return ingest(message);
      },
      logger,
    });
    try {
      await sendDatagrams(socketPath, [doc("r1")]);
      await until(
        async () => (await stored("http://example.org/local/r1")).length === 1,
        "the retried document",
      );
    } finally {
      await source.stop();
    }
    expect(failures).toBe(2);
    expect(logged.filter((line) => line.includes("retrying")).length).toBe(2);
  });

  it("runs from CAMFLOW_FIFO in the bridge and counts source=fifo on /metrics", async () => {
    const fifo = path.join(dir, "bridge-pipe");
    await run("mkfifo", [fifo]);
    const bridge = await startBridge(
      loadConfig({ MQTT_PORT: "0", BRIDGE_PORT: "0", CAMFLOW_FIFO: fifo, LOG_LEVEL: "silent" }),
      { store: t.store },
    );
    try {
      const writer = await open(fifo, constants.O_WRONLY);
      await writer.write(`${doc("b1")}\0`);
      await writer.close();
      await until(() => bridge.tally.documents >= 1, "the document");
      const metrics = await (await fetch(`${bridge.httpUrl}/metrics`)).text();
      expect(metrics).toMatch(/provtopia_bridge_documents_stored_total\{source="fifo"\} [1-9]/);
    } finally {
      await bridge.stop();
    }
  });
});
