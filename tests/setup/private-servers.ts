/**
 * Private server instances for tests and benchmarks that must stop, restart or configure a
 * server: a Mosquitto and a PostgreSQL 15 of their own, in a temporary directory, on a free
 * port. The shared services on the standard ports are never touched.
 */
import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { chown, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const PG_BIN = "/usr/lib/postgresql/15/bin";
const MOSQUITTO = "/usr/sbin/mosquitto";

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

/** CPU time (user + system) a process has used so far, in ms; 0 once it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) * (1000 / CLOCK_TICKS_PER_SECOND);
  } catch {
    return 0; // the process has exited
  }
}
const CLOCK_TICKS_PER_SECOND = 100; // sysconf(_SC_CLK_TCK) on Linux

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function portOpen(port: number): Promise<boolean> {
  const { connect } = await import("node:net");
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export interface PrivateMosquitto {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export interface MosquittoOptions {
  /** QoS 1 messages sent to a client and not yet acknowledged (Mosquitto's default: 20). */
  maxInflightMessages?: number;
  /** Messages queued per client beyond those in flight (default here: 10 million). */
  maxQueuedMessages?: number;
}

/** Starts Mosquitto (no persistence) on a free port. */
export async function startPrivateMosquitto(
  options: MosquittoOptions = {},
): Promise<PrivateMosquitto> {
  const dir = await mkdtemp(path.join(tmpdir(), "provtopia-mosquitto-"));
  const port = await freePort();
  const config = path.join(dir, "mosquitto.conf");
  await writeFile(
    config,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      "persistence false",
      `max_inflight_messages ${options.maxInflightMessages ?? 20}`,
      `max_queued_messages ${options.maxQueuedMessages ?? 10_000_000}`,
      "max_queued_bytes 0",
      "log_dest none",
      "",
    ].join("\n"),
  );
  const child = spawn(MOSQUITTO, ["-c", config], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await waitFor(() => portOpen(port), `mosquitto on port ${port}`);
  return {
    url: `mqtt://127.0.0.1:${port}`,
    pid: child.pid as number,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivatePostgres {
  /** URL of the `postgres` database; create your own with `createDatabase`. */
  url: string;
  port: number;
  /** Stops the server (fast shutdown: open connections are cut). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server for good and deletes its files. */
  destroy(): Promise<void>;
}

/**
 * PostgreSQL refuses to run as root: as root, run it as the `postgres` system user (which the
 * Debian package creates), in a directory that user owns.
 */
async function serverUser(dir: string): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  const id = async (flag: string) => Number((await run("id", [flag, "postgres"])).stdout.trim());
  const [uid, gid] = [await id("-u"), await id("-g")];
  await chown(dir, uid, gid);
  return { uid, gid };
}

/** initdb + pg_ctl in a temporary directory, on a free port, trust auth, socket in the dir. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = await mkdtemp(path.join(tmpdir(), "provtopia-pg-"));
  const data = path.join(dir, "data");
  const port = await freePort();
  const user = await serverUser(dir);
  await run(`${PG_BIN}/initdb`, ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync"], {
    env: { ...process.env, LC_ALL: "C.UTF-8" },
    cwd: dir,
    ...user,
  });
  const ctl = (...args: string[]) =>
    run(`${PG_BIN}/pg_ctl`, ["-D", data, "-w", "-t", "30", ...args], { cwd: dir, ...user });
  const start = async () => {
    await ctl(
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`,
      "-l",
      path.join(dir, "log"),
      "start",
    );
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    async stop() {
      await ctl("-m", "fast", "stop");
    },
    async destroy() {
      await ctl("-m", "immediate", "stop").catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
