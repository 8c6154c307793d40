import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import {
  MALLOC_ENV,
  MallocEnvError,
  mallocEnvFor,
} from "../../../../capture-bridge/bin/malloc-env.js";
import { until } from "../../../setup/until";

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "malloc-env-child.mjs");
const GLIBC = { glibc: true };

describe("mallocEnvFor", () => {
  it("adds the three variables for the long-running commands on glibc", () => {
    for (const command of ["bridge", "start", "ingest"]) {
      expect(mallocEnvFor(command, { PATH: "/bin" }, GLIBC)).toEqual({
        PATH: "/bin",
        MALLOC_ARENA_MAX: "2",
        MALLOC_MMAP_THRESHOLD_: "131072",
        MALLOC_TRIM_THRESHOLD_: "131072",
      });
    }
    expect(mallocEnvFor("bridge", { PROVTOPIA_MALLOC_ENV: "on" }, GLIBC)).toMatchObject(MALLOC_ENV);
  });

  it("keeps what the operator set and adds only the rest", () => {
    expect(
      mallocEnvFor("bridge", { MALLOC_ARENA_MAX: "4", MALLOC_TRIM_THRESHOLD_: "" }, GLIBC),
    ).toEqual({
      MALLOC_ARENA_MAX: "4",
      MALLOC_MMAP_THRESHOLD_: "131072",
      MALLOC_TRIM_THRESHOLD_: "131072",
    });
  });

  it("runs in this process when all are set (the child), opted out, off glibc or a short command", () => {
    expect(mallocEnvFor("bridge", { ...MALLOC_ENV }, GLIBC)).toBeNull();
    expect(mallocEnvFor("bridge", { PROVTOPIA_MALLOC_ENV: "off" }, GLIBC)).toBeNull();
    expect(mallocEnvFor("bridge", {}, { glibc: false })).toBeNull();
    for (const command of ["verify", "stats", "simulate", "migrate", "help", undefined]) {
      expect(mallocEnvFor(command, {}, GLIBC)).toBeNull();
    }
  });

  it("refuses a PROVTOPIA_MALLOC_ENV that is neither on nor off", () => {
    expect(() => mallocEnvFor("bridge", { PROVTOPIA_MALLOC_ENV: "no" }, GLIBC)).toThrow(
      new MallocEnvError('PROVTOPIA_MALLOC_ENV: expected "on" or "off", got "no"'),
    );
    // Even for a command it would not wrap: a typo should not wait for the day it matters.
    expect(() => mallocEnvFor("stats", { PROVTOPIA_MALLOC_ENV: "0" }, GLIBC)).toThrow(
      MallocEnvError,
    );
  });
});

interface Wrapped {
  process: ChildProcess;
  lines: () => Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: Wrapped[] = [];

/** The stand-in CLI, as an operator's shell starts it: in a process group of its own. */
function startWrapped(env: Record<string, string | undefined>): Wrapped {
  const child = spawn(process.execPath, [CHILD, "bridge"], {
    env: env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  let out = "";
  child.stdout?.on("data", (chunk) => {
    out += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const wrapped = {
    process: child,
    lines: () =>
      out
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    exited,
  };
  started.push(wrapped);
  return wrapped;
}

/** What the command reported about itself once it runs. */
async function command(wrapped: Wrapped) {
  await until(() => wrapped.lines().some((l) => "pid" in l), "the command to start");
  return wrapped.lines().find((l) => "pid" in l) as {
    pid: number;
    ppid: number;
    malloc: Record<string, string | undefined>;
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const BASE_ENV = { PATH: process.env.PATH };

describe("runInChild (a real wrapper and child process)", () => {
  afterEach(async () => {
    for (const wrapped of started.splice(0)) {
      for (const line of wrapped.lines()) {
        const pid = line.pid;
        if (typeof pid === "number" && alive(pid)) process.kill(pid, "SIGKILL");
      }
      if (wrapped.process.exitCode === null && wrapped.process.signalCode === null) {
        wrapped.process.kill("SIGKILL");
      }
      await wrapped.exited;
    }
  });

  it("runs the command in a child with the malloc variables, passes SIGTERM on once and exits with its code", async () => {
    const wrapped = startWrapped(BASE_ENV);
    const reported = await command(wrapped);
    expect(reported.ppid).toBe(wrapped.process.pid);
    expect(reported.malloc).toEqual(MALLOC_ENV);
    wrapped.process.kill("SIGTERM");
    expect(await wrapped.exited).toEqual({ code: 41, signal: null });
    expect(wrapped.lines().filter((l) => "signal" in l)).toEqual([{ signal: "SIGTERM" }]);
  });

  it("passes a Ctrl-C to the child once, though the terminal signals the whole process group", async () => {
    const wrapped = startWrapped(BASE_ENV);
    await command(wrapped);
    process.kill(-(wrapped.process.pid as number), "SIGINT");
    expect(await wrapped.exited).toEqual({ code: 41, signal: null });
    expect(wrapped.lines().filter((l) => "signal" in l)).toEqual([{ signal: "SIGINT" }]);
  });

  it("ends with the signal that ended the child", async () => {
    const wrapped = startWrapped(BASE_ENV);
    await command(wrapped);
    wrapped.process.kill("SIGHUP");
    expect(await wrapped.exited).toEqual({ code: null, signal: "SIGHUP" });
  });

  it("does not leave the child running when the wrapper is killed with SIGKILL", async () => {
    const wrapped = startWrapped(BASE_ENV);
    const { pid } = await command(wrapped);
    expect(alive(pid)).toBe(true);
    wrapped.process.kill("SIGKILL");
    await wrapped.exited;
    await until(() => !alive(pid), `the child ${pid} to end`);
  });

  it("runs the command in its own process with PROVTOPIA_MALLOC_ENV=off", async () => {
    const wrapped = startWrapped({ ...BASE_ENV, PROVTOPIA_MALLOC_ENV: "off" });
    const reported = await command(wrapped);
    expect(reported.pid).toBe(wrapped.process.pid);
    expect(reported.malloc).toEqual({
      MALLOC_ARENA_MAX: undefined,
      MALLOC_MMAP_THRESHOLD_: undefined,
      MALLOC_TRIM_THRESHOLD_: undefined,
    });
    wrapped.process.kill("SIGTERM");
    expect(await wrapped.exited).toEqual({ code: 41, signal: null });
  });
});
