/**
 * Starts the whole demo (`provtopia start`: bridge, seed over MQTT, built portal) once for the
 * e2e run, on a store nobody else uses, and returns the teardown that stops it and throws the
 * store away. Not Playwright's `webServer`: that cannot create and drop a database around the
 * server.
 *
 * - DATABASE_URL set (CI): a fresh database on that server, dropped afterwards.
 * - otherwise: the embedded PGlite store in a fresh temporary directory, removed afterwards.
 * - the ledger: checkpoints every second (CHECKPOINT_INTERVAL_MS), and the verifier's state file
 *   in a temporary directory of its own (VERIFIER_STATE_FILE), removed afterwards.
 * - MQTT_URL set: kept, so the seed goes through the real broker; otherwise the embedded broker
 *   on any free port. Either way a unique topic prefix keeps this run's messages apart from a
 *   demo that is running on the same broker.
 *
 * Requires `npm run build` first (npm run test:e2e does it): the portal is served from build/.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createTestDatabase, REAL_DATABASE_URL, type TestDatabase } from "../setup/databases";
import { E2E_BRIDGE_PORT, E2E_PORT } from "./ports";

const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");
const READY_LINE = "Provtopia is running";
const START_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 10_000;
const FORCED_STOP_MS = 5_000;
/** How much of the child's output to show when it fails to start. */
const OUTPUT_TAIL_CHARS = 8_000;

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(path.join(PROJECT_ROOT, "build", "server", "index.js"))) {
    throw new Error(
      "build/server/index.js is missing: run `npm run build` (npm run test:e2e does)",
    );
  }
  const cleanups: (() => Promise<void>)[] = [];
  const cleanUp = async () => {
    // Last in, first out: the server stops before its store goes away.
    for (const cleanup of cleanups.reverse()) await cleanup();
  };

  try {
    const run = randomBytes(6).toString("hex");
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(E2E_PORT),
      BRIDGE_PORT: String(E2E_BRIDGE_PORT),
      MQTT_PORT: "0",
      MQTT_TOPIC_PREFIX: `provtopia-e2e/${run}/camflow/provenance`,
      ENFORCEMENT_TOPIC_PREFIX: `provtopia-e2e/${run}/enforcement`,
      // The seeded logs are signed within a second, not ten: the integrity page shows them.
      CHECKPOINT_INTERVAL_MS: "1000",
    };
    // The verifier's state for this run's store, thrown away with it (not left in .data/).
    const stateDir = await mkdtemp(path.join(tmpdir(), "provtopia-e2e-verifier-"));
    cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
    env.VERIFIER_STATE_FILE = path.join(stateDir, "verifier-state.json");
    let storeDescription: string;
    if (REAL_DATABASE_URL) {
      const database: TestDatabase = await createTestDatabase();
      cleanups.push(() => database.drop());
      env.DATABASE_URL = database.url;
      delete env.PGLITE_DIR;
      storeDescription = `PostgreSQL database ${new URL(database.url).pathname.slice(1)}`;
    } else {
      const dir = await mkdtemp(path.join(tmpdir(), "provtopia-e2e-pglite-"));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      delete env.DATABASE_URL;
      env.PGLITE_DIR = dir;
      storeDescription = `PGlite in ${dir}`;
    }

    const startedAt = performance.now();
    const server = await startServer(env);
    cleanups.push(() => stopServer(server));
    console.log(
      `e2e: portal on http://127.0.0.1:${E2E_PORT} after ${((performance.now() - startedAt) / 1000).toFixed(1)} s (${storeDescription}, MQTT ${env.MQTT_URL ?? "embedded"})`,
    );
  } catch (error) {
    await cleanUp();
    throw error;
  }
  return cleanUp;
}

/** Spawns `provtopia start` and resolves once it prints its ready line. */
async function startServer(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(
    path.join(PROJECT_ROOT, "node_modules", ".bin", "tsx"),
    ["capture-bridge/cli.ts", "start"],
    { cwd: PROJECT_ROOT, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const record = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on("data", record);
  child.stderr?.on("data", record);

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "${READY_LINE}" within ${START_TIMEOUT_MS} ms`)),
        START_TIMEOUT_MS,
      );
      const onData = () => {
        if (output.includes(READY_LINE)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on("data", onData);
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the server exited before it was ready (code ${code}, signal ${signal})`));
      });
    });
  } catch (error) {
    await stopServer(child);
    const message = `couldn't start the e2e server: ${(error as Error).message}`;
    throw new Error(`${message}\n--- its output ---\n${output}`, { cause: error });
  }
  // A crash during the run would otherwise show up only as refused connections.
  const onCrash = (code: number | null, signal: NodeJS.Signals | null) => {
    console.error(
      `e2e: the server exited during the run (code ${code}, signal ${signal})\n--- its output ---\n${output}`,
    );
  };
  child.once("exit", onCrash);
  stopping.set(child, () => child.off("exit", onCrash));
  return child;
}

/** Servers started here, with how to tell their crash watch that the exit is wanted. */
const stopping = new WeakMap<ChildProcess, () => void>();

/**
 * Stops the server the way an operator would: SIGTERM, and if it has not exited within
 * STOP_GRACE_MS a second SIGTERM (the CLI's "again to force"), then SIGKILL as a last resort.
 * tsx relays both signals to the node process that runs the CLI; a SIGKILL to tsx would not
 * reach it, so SIGKILL is only for a CLI that ignores the forced stop too.
 */
async function stopServer(child: ChildProcess): Promise<void> {
  stopping.get(child)?.();
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<boolean>((resolve) => child.once("exit", () => resolve(true)));
  const within = async (ms: number): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(resolve, ms, false);
    });
    try {
      return await Promise.race([exited, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  };
  child.kill("SIGTERM");
  if (await within(STOP_GRACE_MS)) return;
  console.warn(`e2e: the server did not stop within ${STOP_GRACE_MS} ms of SIGTERM; forcing it`);
  child.kill("SIGTERM");
  if (await within(FORCED_STOP_MS)) return;
  child.kill("SIGKILL");
  await exited;
}
