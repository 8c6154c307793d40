/**
 * `provtopia bridge`, `provtopia start` and `provtopia host token` as an operator runs them, in
 * child processes: SIGTERM in the middle of a NATS stream stops taking, finishes and acknowledges
 * what is in flight, and exits 0, with every message either stored or still in the stream.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../../db/client";
import {
  createTestDatabase,
  REAL_DATABASE_URL,
  REAL_MQTT_URL,
  REAL_NATS_URL,
  type TestDatabase,
} from "../../setup/databases";
import { freePort } from "../../setup/free-port";
import { createTestStream, type TestStream } from "../../setup/nats";
import { until } from "../../setup/until";

const run = promisify(execFile);
const BIN = path.resolve("capture-bridge/bin/provtopia.js");

interface Child {
  process: ChildProcess;
  stdout(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnCli(args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (chunk) => {
    out += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    out += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { process: child, stdout: () => out, exited };
}

/** The bridge's HTTP address, from its "bridge: started" log line. */
function bridgeHttpUrl(child: Child): string | undefined {
  for (const line of child.stdout().split("\n")) {
    if (!line.startsWith("{")) continue;
    const record = JSON.parse(line) as { msg?: string; http?: string };
    if (record.msg === "bridge: started") return record.http;
  }
  return undefined;
}

describe("provtopia bridge / start / host token", () => {
  let env: NodeJS.ProcessEnv;
  let database: TestDatabase | undefined;
  let dataDir: string | undefined;
  const children: Child[] = [];
  let s: TestStream | undefined;

  beforeAll(async () => {
    const base = { ...process.env, LOG_LEVEL: "info", MQTT_PORT: "0", BRIDGE_PORT: "0" };
    if (REAL_DATABASE_URL) {
      database = await createTestDatabase();
      env = { ...base, DATABASE_URL: database.url };
    } else {
      dataDir = await mkdtemp(path.join(tmpdir(), "provtopia-cli-bridge-"));
      env = { ...base, DATABASE_URL: "", PGLITE_DIR: dataDir };
    }
    env.MQTT_URL = REAL_MQTT_URL ?? "";
    env.NATS_URL = "";
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.process.exitCode === null) child.process.kill("SIGKILL");
      await child.exited;
    }
    await s?.dispose();
    s = undefined;
  });
  afterAll(async () => {
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const withStore = async <T>(
    work: (store: Awaited<ReturnType<typeof openStore>>) => Promise<T>,
  ) => {
    const store = await openStore(
      database ? { url: database.url } : { dataDir: dataDir as string },
    );
    try {
      return await work(store);
    } finally {
      await store.close();
    }
  };

  it("issues a host token once (only its hash kept) and revokes it", async () => {
    const issued = await run(process.execPath, [BIN, "host", "token", "issue", "web-1"], { env });
    const token = issued.stdout.trim();
    expect(token).toMatch(/^[a-z2-7]{32}\.[a-z2-7]{32}$/);
    expect(issued.stderr).toContain("it is shown only now");
    const [id, secret] = token.split(".") as [string, string];
    const rows = await withStore((store) =>
      store.rows<{ dump: string }>(sql`select row_to_json(t)::text as dump from host_tokens t`),
    );
    expect(rows.map((r) => r.dump).join()).toContain(id);
    expect(rows.map((r) => r.dump).join()).not.toContain(secret);
    const listed = await run(process.execPath, [BIN, "host", "token", "list", "web-1"], { env });
    expect(listed.stdout).toMatch(new RegExp(`^${id}  issued \\S+  live\n$`));
    const revoked = await run(process.execPath, [BIN, "host", "token", "revoke", "web-1"], { env });
    expect(revoked.stdout.trim()).toBe("host web-1: 1 token(s) revoked");
    const after = await run(process.execPath, [BIN, "host", "token", "list", "web-1"], { env });
    expect(after.stdout).toMatch(new RegExp(`^${id}  issued \\S+  revoked \\S+\n$`));
    await expect(
      run(process.execPath, [BIN, "host", "token", "revoke", "web-1"], { env }),
    ).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining("has no live token") });
    await expect(
      run(process.execPath, [BIN, "host", "token", "issue"], { env }),
    ).rejects.toMatchObject({ code: 2 });
  });

  describe.skipIf(!REAL_NATS_URL)("with NATS", () => {
    it("bridge: SIGTERM mid-stream stops, acknowledges what it stored, exits 0, loses nothing", async () => {
      const stream = await createTestStream(REAL_NATS_URL as string);
      s = stream;
      await stream.createStream();
      const total = 300;
      const names: string[] = [];
      for (let i = 0; i < total; i++) {
        names.push(`sigterm-${i}`);
        await stream.publish(
          `host-${i % 4}`,
          JSON.stringify({
            prefix: { ex: "http://example.org/sigterm/" },
            entity: { [`ex:sigterm-${i}`]: {} },
          }),
        );
      }
      const bridgeEnv = {
        ...env,
        NATS_URL: REAL_NATS_URL,
        NATS_STREAM: stream.stream,
        NATS_CONSUMER: stream.consumer,
        NATS_SUBJECT_PREFIX: stream.prefix,
        NATS_MAX_IN_FLIGHT: "8",
      };
      const child = spawnCli(["bridge"], bridgeEnv);
      children.push(child);
      await until(() => bridgeHttpUrl(child) !== undefined, "the bridge to start", 60_000);
      const metricsUrl = `${bridgeHttpUrl(child)}/metrics`;
      await until(
        async () =>
          /provtopia_bridge_documents_stored_total\{source="nats"\} [1-9]/.test(
            await (await fetch(metricsUrl)).text(),
          ),
        "the first stored documents",
        60_000,
      );
      child.process.kill("SIGTERM");
      const { code } = await child.exited;
      expect(code, child.stdout()).toBe(0);
      expect(child.stdout()).toContain("shutdown: stop taking, flush, acknowledge");
      expect(child.stdout()).toContain("bridge: stopped");
      const count = () =>
        withStore(async (store) => {
          const [row] = await store.rows<{ n: number }>(
            sql`select count(*)::int as n from prov_nodes where ext_id like 'http://example.org/sigterm/%'`,
          );
          return row?.n ?? 0;
        });
      // Work-queue stream: what was acknowledged is deleted, so stored + left = published.
      // (What the stop nak'd stays "ack pending" at the server until the next pull.)
      const stored = await count();
      const left = await stream.streamMessages();
      expect(stored).toBeGreaterThan(0);
      expect(stored + left).toBe(total);

      // A bridge started again takes the rest, including what the first one handed back.
      const again = spawnCli(["bridge"], bridgeEnv);
      children.push(again);
      await until(
        async () => (await stream.streamMessages()) === 0,
        "the rest of the stream",
        60_000,
      );
      again.process.kill("SIGTERM");
      expect((await again.exited).code, again.stdout()).toBe(0);
      expect(await count()).toBe(total);
    });
  });

  it("start: SIGTERM stops the portal and the bridge and exits 0", async () => {
    if (!existsSync(path.resolve("build/server/index.js"))) {
      await run("npm", ["run", "build"], { timeout: 170_000 });
    }
    const port = await freePort();
    const child = spawnCli(["start"], { ...env, PORT: String(port) });
    children.push(child);
    await until(
      () => child.stdout().includes("Provtopia is running"),
      "the demo to start",
      120_000,
    );
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    child.process.kill("SIGTERM");
    const { code } = await child.exited;
    expect(code, child.stdout()).toBe(0);
    expect(child.stdout()).toContain("bridge: stopped");
  }, 300_000);
});
