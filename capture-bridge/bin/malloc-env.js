/**
 * glibc malloc settings for the long-running commands (`bridge`, `start`, `ingest`): they re-run
 * themselves once in a child Node process with MALLOC_ARENA_MAX=2, MALLOC_MMAP_THRESHOLD_ and
 * MALLOC_TRIM_THRESHOLD_ at 128 KiB, unless the operator set them (or PROVTOPIA_MALLOC_ENV=off).
 *
 * Why: the bridge's RSS grew with the length of a stream (540 MB after 5 minutes at 16,000
 * elements/s) while V8's heap and Buffers stayed flat: native memory that glibc kept after zlib
 * inflate, brotli sealing and the threads that allocate for them had freed it. A fixed mmap
 * threshold (setting it turns glibc's dynamic threshold off) gives every large buffer back to the
 * kernel on free, a low trim threshold returns the top of the heap, and two arenas stop each
 * thread from growing one of its own. glibc reads these variables only at process start, and Node
 * has no mallopt(), hence the child process. README.md, decision 44.
 *
 * Invariants: the child runs this same entry with all three variables set, so it never re-runs
 * again; the wrapper forwards SIGINT/SIGTERM/SIGHUP exactly once (the child has its own session,
 * so a terminal's Ctrl-C reaches it only through the wrapper) and exits with the child's code or
 * signal; a child whose wrapper dies (SIGKILL) kills itself the same way. Plain JavaScript: it
 * runs before tsx is loaded, and the wrapper loads nothing else.
 */
import { spawn } from "node:child_process";
import { constants } from "node:os";

/** What the child gets for each variable the operator left unset. */
export const MALLOC_ENV = Object.freeze({
  MALLOC_ARENA_MAX: "2",
  MALLOC_MMAP_THRESHOLD_: "131072",
  MALLOC_TRIM_THRESHOLD_: "131072",
});

/** Commands that run long enough for the heap to fragment. */
export const LONG_RUNNING_COMMANDS = Object.freeze(["bridge", "start", "ingest"]);

/** Signals the wrapper passes on to the child. */
export const FORWARDED_SIGNALS = Object.freeze(["SIGINT", "SIGTERM", "SIGHUP"]);

export class MallocEnvError extends Error {
  code = "MALLOC_ENV";
}

/** Whether this Node runs on glibc (the variables mean nothing to musl or macOS's malloc). */
export function runsOnGlibc() {
  const header = /** @type {{ glibcVersionRuntime?: string } | undefined} */ (
    process.report?.getReport().header
  );
  return typeof header?.glibcVersionRuntime === "string";
}

/**
 * The environment to re-run `command` with, or null to run it in this process: null for a
 * command that is not long-running, off glibc, with PROVTOPIA_MALLOC_ENV=off, or when every
 * variable is already set (a non-empty value, the operator's or the wrapper's). Pure.
 * Throws MallocEnvError when PROVTOPIA_MALLOC_ENV is neither unset, "on" nor "off".
 *
 * @param {string | undefined} command
 * @param {Record<string, string | undefined>} env
 * @param {{ glibc: boolean }} platform
 * @returns {Record<string, string | undefined> | null}
 */
export function mallocEnvFor(command, env, { glibc }) {
  const choice = env.PROVTOPIA_MALLOC_ENV;
  if (choice !== undefined && choice !== "" && choice !== "on" && choice !== "off") {
    throw new MallocEnvError(
      `PROVTOPIA_MALLOC_ENV: expected "on" or "off", got ${JSON.stringify(choice)}`,
    );
  }
  if (choice === "off" || !glibc) return null;
  if (command === undefined || !LONG_RUNNING_COMMANDS.includes(command)) return null;
  const missing = Object.entries(MALLOC_ENV).filter(([name]) => !env[name]);
  if (missing.length === 0) return null;
  return { ...env, ...Object.fromEntries(missing) };
}

/**
 * Re-runs this process (same Node flags, script and arguments) with `env`, forwards
 * FORWARDED_SIGNALS to it and exits as it exits: with its code, or killed by its signal.
 * Never returns normally; the process ends when the child does.
 *
 * @param {Record<string, string | undefined>} env
 */
export function runInChild(env) {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    env,
    stdio: ["inherit", "inherit", "inherit", "ipc"],
    // Its own session: a terminal's Ctrl-C goes to this process only, which passes it on once
    // (twice would be the bridge's "again to force").
    detached: true,
  });
  /** @type {Map<string, () => void>} */
  const handlers = new Map();
  for (const signal of FORWARDED_SIGNALS) {
    const forward = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    handlers.set(signal, forward);
    process.on(signal, forward);
  }
  child.once("error", (error) => {
    console.error(`provtopia: couldn't start ${process.execPath} with the malloc settings:`, error);
    process.exit(1);
  });
  child.once("exit", (code, signal) => {
    for (const [name, handler] of handlers) process.off(name, handler);
    if (signal) {
      process.kill(process.pid, signal);
      // A signal whose default action does not end a process: exit as a shell reports it.
      process.exit(128 + (constants.signals[signal] ?? 0));
    }
    process.exit(code ?? 1);
  });
}

/**
 * In a child that runInChild started (it has an IPC channel to its parent): when the parent goes
 * away without waiting for it (killed with SIGKILL), end with SIGKILL too, rather than run on
 * unsupervised. The channel does not keep the process alive. No-op without a channel.
 */
export function exitWithParent() {
  if (!process.channel) return;
  process.channel.unref();
  process.once("disconnect", () => process.kill(process.pid, "SIGKILL"));
}
