/**
 * `npx provtopia` as an operator runs it, in a child process against a fresh store (a fresh
 * PostgreSQL database when DATABASE_URL is set, else a temporary PGlite directory).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRecording } from "../../../capture-bridge/simulate/recording";
import { startEmbeddedBroker } from "../../../capture-bridge/sources/embedded-broker";
import {
  CAMFLOW_FIXTURE_FILES,
  countCamflowFile,
  danglingIds,
  emptyCounts,
} from "../../factories/fixture-counts";
import {
  createTestDatabase,
  REAL_DATABASE_URL,
  REAL_MQTT_URL,
  type TestDatabase,
} from "../../setup/databases";

const run = promisify(execFile);
const BIN = path.resolve("capture-bridge/bin/provtopia.js");
const PROV_JSON_DIR = path.resolve("../shared/fixtures/prov-json");
const CAMFLOW_DIR = path.resolve("../shared/fixtures/camflow");

describe("provtopia CLI", () => {
  let env: NodeJS.ProcessEnv;
  let database: TestDatabase | undefined;
  let dataDir: string | undefined;
  let fixtures: string[];

  beforeAll(async () => {
    fixtures = (await readdir(PROV_JSON_DIR))
      .filter((f) => f.endsWith(".json"))
      .map((f) => path.join(PROV_JSON_DIR, f));
    if (REAL_DATABASE_URL) {
      database = await createTestDatabase();
      env = { ...process.env, DATABASE_URL: database.url };
    } else {
      dataDir = await mkdtemp(path.join(tmpdir(), "provtopia-cli-"));
      env = { ...process.env, DATABASE_URL: "", PGLITE_DIR: dataDir };
    }
  });
  afterAll(async () => {
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const provtopia = async (...args: string[]) => {
    const { stdout } = await run(process.execPath, [BIN, ...args], { env, timeout: 60_000 });
    return stdout.trim();
  };

  it("ingests the PROV-JSON fixtures, and a second run finds nothing new", async () => {
    const first = JSON.parse(await provtopia("ingest", ...fixtures, "--json"));
    expect(first.quarantined).toBe(0);
    expect(first.new).toBe(first.nodes + first.relations);
    const stats = JSON.parse(await provtopia("stats", "--json"));
    expect(stats).toMatchObject({
      nodes: first.nodes,
      relations: first.relations,
      quarantined: 0,
      hosts: 1,
    });
    expect(Object.keys(stats).sort()).toEqual([
      "danglingNodes",
      "hosts",
      "nodes",
      "pending",
      "quarantined",
      "relations",
    ]);

    const second = JSON.parse(await provtopia("ingest", ...fixtures, "--json"));
    expect(second).toEqual({ ...first, new: 0 });
    expect(JSON.parse(await provtopia("stats", "--json"))).toEqual(stats);
  });

  it("ingests a directory tree of CamFlow captures; ingest and stats report what the files hold", async () => {
    const before = JSON.parse(await provtopia("stats", "--json"));
    const report = JSON.parse(await provtopia("ingest", CAMFLOW_DIR, "--json", "--host", "ops"));
    const counts = emptyCounts();
    for (const file of CAMFLOW_FIXTURE_FILES) {
      countCamflowFile(path.join(CAMFLOW_DIR, file), counts);
    }
    expect(report).toEqual({
      nodes: counts.nodes.size,
      relations: counts.relations.size,
      new: counts.nodes.size + counts.relations.size,
      quarantined: 0,
      files: 7,
      ignoredFiles: 1, // SOURCES.md
      documents: 198, // 4 SPADE logs (one graph each), 192 + 1 + 1 W3C documents
      repaired: 0,
      skipped: { incomplete: 0, "unknown-section": 0, "gdpr-annotation": 0 },
    });
    const stats = JSON.parse(await provtopia("stats", "--json", "--dangling", "2"));
    expect(stats.nodes - before.nodes).toBe(counts.nodes.size);
    expect(stats.relations - before.relations).toBe(counts.relations.size);
    // The PROV-JSON fixtures ingested before dangle nothing CamFlow could resolve.
    expect(stats.danglingNodes - before.danglingNodes).toBe(danglingIds(counts).length);
    expect(stats.dangling).toHaveLength(2);
    expect(stats.dangling[0]).toEqual({ id: expect.stringMatching(/^cf:/), relations: 3 });
  });

  it("prints a one-line summary without --json", async () => {
    const line = await provtopia("ingest", path.join(PROV_JSON_DIR, "bundle1.json"));
    expect(line).toMatch(
      /^1 file\(s\), 1 document\(s\): \d+ nodes, \d+ relations read, 0 new, 0 quarantined$/,
    );
  });

  it("refuses an unknown command and a missing file with exit code 2", async () => {
    await expect(provtopia("frobnicate")).rejects.toMatchObject({ code: 2 });
    await expect(provtopia("ingest", "/nonexistent/file.json")).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("couldn't read /nonexistent/file.json"),
    });
    await expect(provtopia("stats", "--dangling", "x")).rejects.toMatchObject({ code: 2 });
  });
  it("registers, lists and revokes an enforcement point; the token is on stdout alone", async () => {
    const doc = path.join(dataDir ?? tmpdir(), `newsletter-${process.pid}.json`);
    await writeFile(
      doc,
      JSON.stringify({
        prefix: { ex: "http://example.org/cli-enforcement/" },
        activity: { "ex:mailer": { "gdpr:service": "Newsletter" } },
      }),
    );
    await provtopia("ingest", doc, "--json", "--host", "mail-1");
    await expect(
      provtopia("enforcement", "register", "Mailer", "--service", "Nowhere"),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("unknown service Nowhere"),
    });
    const token = await provtopia(
      "enforcement",
      "register",
      "Mailer",
      "--service",
      "Newsletter",
      "--fail-closed-minutes",
      "15",
    );
    expect(token).toMatch(/^[a-z0-9]+\.[a-z0-9]+$/);
    const listed = JSON.parse(await provtopia("enforcement", "list", "--json"));
    expect(listed.points).toEqual([
      expect.objectContaining({
        name: "Mailer",
        services: ["Newsletter"],
        failClosedAfterSeconds: 900,
        appliedVersion: null,
        revokedAt: null,
      }),
    ]);
    expect(JSON.stringify(listed)).not.toContain(token.split(".")[1]);
    await expect(provtopia("enforcement", "revoke", "Mailer")).resolves.toBe(
      "enforcement point Mailer revoked",
    );
    await expect(provtopia("enforcement", "revoke", "Mailer")).rejects.toMatchObject({ code: 1 });
    await rm(doc, { force: true });
  });

  it("records a simulation to a file and replays it over MQTT, byte for byte", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "provtopia-replay-"));
    const file = path.join(dir, "sim.rec");
    const embedded = REAL_MQTT_URL ? null : await startEmbeddedBroker(0, () => {});
    const url = REAL_MQTT_URL ?? (embedded?.url as string);
    const topic = `cli-replay-${process.pid}/camflow/provenance`;
    const subscriber = await mqtt.connectAsync(url, { clientId: `cli-replay-${process.pid}` });
    try {
      const recorded = JSON.parse(
        await provtopia(
          ...["simulate", "--record", file, "--hosts", "3", "--rate", "2000", "--duration", "2"],
          "--json",
        ),
      );
      expect(recorded).toMatchObject({ file, hosts: 3, messages: expect.any(Number) });
      expect(recorded.elements).toBeGreaterThanOrEqual(4_000);

      const received: { topic: string; payload: Buffer }[] = [];
      subscriber.on("message", (t, payload) => received.push({ topic: t, payload }));
      await subscriber.subscribeAsync(`${topic}/#`, { qos: 1 });
      const replayed = JSON.parse(
        await provtopia(
          ...["simulate", "--replay", file, "--rate", "20000", "--mqtt", url, "--topic", topic],
          "--json",
        ),
      );
      expect(replayed).toMatchObject({
        messages: recorded.messages,
        elements: recorded.elements,
        replayed: file,
      });
      for (let i = 0; i < 100 && received.length < recorded.messages; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const recording = openRecording(file);
      const expected = Array.from({ length: recorded.messages }, () => recording.next());
      expect(recording.next()).toBeUndefined();
      recording.close();
      expect(received.map((m) => m.topic)).toEqual(
        expected.map((m) => `${topic}/${m?.topicSuffix}`),
      );
      expect(received.every((m, i) => m.payload.equals(expected[i]?.payload as Buffer))).toBe(true);

      await expect(
        provtopia("simulate", "--replay", file, "--hosts", "4", "--mqtt", url),
      ).rejects.toMatchObject({
        code: 2,
        stderr: expect.stringContaining("--hosts only apply when generating"),
      });
      await expect(
        provtopia("simulate", "--replay", path.join(dir, "missing.rec"), "--mqtt", url),
      ).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining("can't open the recording"),
      });
    } finally {
      await subscriber.endAsync();
      await embedded?.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("lists the quarantine and retries it; a bad id is a usage error", async () => {
    const broken = path.join(dataDir ?? tmpdir(), `broken-${process.pid}.json`);
    await writeFile(broken, '{"entity": {"ex:cut":');
    const ingested = JSON.parse(await provtopia("ingest", broken, "--json", "--host", "ops"));
    expect(ingested.quarantined).toBe(1);
    const listed = JSON.parse(await provtopia("quarantine", "list", "--source", broken, "--json"));
    expect(listed.matching).toBe(1);
    expect(listed.messages).toEqual([
      expect.objectContaining({ source: `file:${broken}`, reason: expect.stringMatching(/JSON/) }),
    ]);
    const retried = JSON.parse(
      await provtopia("quarantine", "retry", "--source", broken, "--host", "ops", "--json"),
    );
    expect(retried).toMatchObject({
      tried: 1,
      stored: [],
      unreadable: [{ id: listed.messages[0].id }],
    });
    await expect(provtopia("quarantine", "retry", "--id", "x")).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--id expects a message id, got x"),
    });
    await rm(broken, { force: true });
  });
});
