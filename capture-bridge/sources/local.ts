/**
 * camflowd's local outputs, for a bridge running on the capture host itself (CAMFLOW.md §2):
 *
 * - `output=fifo`: camflowd runs mkfifo(path) itself (and exits if the path exists), then blocks
 *   until a reader opens it. We wait for the FIFO to appear and open it read-write, so the open
 *   never blocks a libuv thread and a restarting camflowd is never seen as end-of-file.
 * - `output=unix`: camflowd connects a SOCK_DGRAM socket to `[unix] address` and sends one
 *   datagram per document. Node cannot bind a unix datagram socket (node:dgram is UDP only, and
 *   net is stream only); rather than a native addon, a 20-line python3 relay binds the socket
 *   and copies each datagram to its stdout (README, Decisions).
 *
 * Both carry NUL-terminated documents. One reader splits the byte stream at NULs and hands the
 * documents to the pipeline one at a time, pausing the stream meanwhile: a slow store fills the
 * pipe (or the socket's queue) and blocks camflowd instead of growing memory. There is no
 * redelivery on these paths, so a store failure is retried, with growing delays, until it
 * succeeds or the bridge stops; what is then still unstored is logged as lost, with its count.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { constants, open as openFd } from "node:fs";
import { stat, unlink } from "node:fs/promises";
import { Socket } from "node:net";
import { hostname } from "node:os";
import type { Readable } from "node:stream";
import type { Logger } from "../logger";
import type { Message } from "../pipeline/ingest";

export interface LocalSourceOptions {
  path: string;
  /** Host for documents that name none (CamFlow documents carry cf:machine_id); default: this machine. */
  host?: string;
  onMessage(message: Message): Promise<unknown>;
  logger: Logger;
  /** Poll interval while waiting for camflowd to create the FIFO. */
  pollMs?: number;
}

export interface LocalSource {
  /** Documents handed to the pipeline so far. */
  readonly documents: number;
  stop(): Promise<void>;
}

/** A document longer than this without a NUL is handed on as is (and will be quarantined). */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;
const QUEUE_HIGH_WATER = 64;

/** Splits a byte stream at NUL bytes; `push` returns the complete documents so far. */
export class NulSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let start = 0;
    for (let nul = chunk.indexOf(0); nul !== -1; nul = chunk.indexOf(0, start)) {
      this.pending.push(chunk.subarray(start, nul));
      out.push(Buffer.concat(this.pending));
      this.pending = [];
      this.pendingBytes = 0;
      start = nul + 1;
    }
    if (start < chunk.length) {
      this.pending.push(chunk.subarray(start));
      this.pendingBytes += chunk.length - start;
      if (this.pendingBytes > MAX_DOCUMENT_BYTES) out.push(this.flush());
    }
    return out.filter((document) => document.length > 0);
  }

  /** What is left without a terminating NUL. */
  flush(): Buffer {
    const rest = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    return rest;
  }
}

/**
 * Reads NUL-terminated documents from `stream` into the pipeline, one at a time. Resolves
 * `drained` once the stream ended (or `stop` was called) and every queued document is handled.
 */
function pumpDocuments(
  stream: Readable,
  source: string,
  options: LocalSourceOptions,
): { drained: Promise<void>; count(): number; stop(): void } {
  const host = options.host ?? hostname();
  const splitter = new NulSplitter();
  const queue: Buffer[] = [];
  let handled = 0;
  let pumping = false;
  let ended = false;
  let stopping = false;
  let finish!: () => void;
  const drained = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const pump = async () => {
    if (pumping) return;
    pumping = true;
    for (let next = queue.shift(); next; next = queue.shift()) {
      await store(next);
      if (queue.length < QUEUE_HIGH_WATER / 2 && !stopping) stream.resume();
    }
    pumping = false;
    if (ended) finish();
  };
  const store = async (payload: Buffer) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await options.onMessage({ source, host, payload });
        handled += 1;
        return;
      } catch (error) {
        if (stopping) {
          options.logger.error(
            { err: error, source, lost: queue.length + 1 },
            "local source: the store failed while stopping; these documents are lost",
          );
          queue.length = 0;
          return;
        }
        const delay = Math.min(30_000, 500 * 2 ** (attempt - 1));
        options.logger.error(
          { err: error, source, attempt, retryInMs: delay },
          "local source: the store failed; retrying (camflowd is held back meanwhile)",
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  };

  stream.on("data", (chunk: Buffer) => {
    queue.push(...splitter.push(chunk));
    if (queue.length >= QUEUE_HIGH_WATER) stream.pause();
    void pump();
  });
  const onEnd = () => {
    if (ended) return;
    ended = true;
    const rest = splitter.flush();
    if (rest.length > 0) queue.push(rest); // a last document camflowd did not terminate
    if (!pumping) void pump();
  };
  stream.on("end", onEnd);
  stream.on("close", onEnd);
  stream.on("error", (error) => {
    options.logger.error({ err: error, source }, "local source: read failed");
    onEnd();
  });
  return {
    drained,
    count: () => handled,
    stop() {
      stopping = true;
      stream.pause();
      onEnd();
    },
  };
}

/**
 * Reads camflowd's FIFO at `options.path`, waiting for camflowd to create it. Throws if the
 * path exists and is not a FIFO.
 */
export async function startCamflowdFifo(options: LocalSourceOptions): Promise<LocalSource> {
  const { path, logger } = options;
  const source = `fifo:${path}`;
  let stopped = false;
  let pump: ReturnType<typeof pumpDocuments> | undefined;
  let socket: Socket | undefined;
  let wakeUp: (() => void) | undefined;

  const isFifo = async () => {
    try {
      const info = await stat(path);
      if (!info.isFIFO()) throw new Error(`CAMFLOW_FIFO ${path} exists and is not a FIFO`);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw error;
    }
  };
  const attach = async () => {
    // Read-write: the open does not wait for a writer, and we never see end-of-file.
    // A raw descriptor, not a FileHandle: the socket owns it (a FileHandle would close it on GC).
    const fd = await new Promise<number>((resolve, reject) =>
      openFd(path, constants.O_RDWR | constants.O_NONBLOCK, (error, opened) =>
        error ? reject(error) : resolve(opened),
      ),
    );
    socket = new Socket({ fd, readable: true, writable: false });
    pump = pumpDocuments(socket, source, options);
    logger.info({ path }, "fifo: reading camflowd's FIFO");
  };

  if (await isFifo()) await attach();
  else logger.info({ path }, "fifo: waiting for camflowd to create the FIFO");
  const waiting = pump
    ? Promise.resolve()
    : (async () => {
        while (!stopped && !(await isFifo())) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, options.pollMs ?? 1_000);
            wakeUp = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        if (!stopped) await attach();
      })().catch((error: unknown) => logger.error({ err: error, path }, "fifo: cannot read"));

  return {
    get documents() {
      return pump?.count() ?? 0;
    },
    async stop() {
      stopped = true;
      wakeUp?.();
      await waiting;
      pump?.stop();
      await pump?.drained;
      socket?.destroy();
    },
  };
}

/** The relay: binds the datagram socket, then copies each datagram, NUL-terminated, to stdout. */
const DATAGRAM_RELAY = `
import os, socket, sys, threading
path = sys.argv[1]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind(path)
def watch_parent():
    sys.stdin.buffer.read()
    os._exit(0)
threading.Thread(target=watch_parent, daemon=True).start()
sys.stderr.write("listening\\n"); sys.stderr.flush()
out = sys.stdout.buffer
while True:
    data = s.recv(1 << 22)
    out.write(data if data.endswith(b"\\0") else data + b"\\0")
    out.flush()
`;

/**
 * Binds a unix datagram socket at `options.path` (replacing a stale one) for camflowd's
 * `output=unix`. Needs python3 on the PATH; throws if it is missing or cannot bind.
 */
export async function startCamflowdSocket(options: LocalSourceOptions): Promise<LocalSource> {
  const { path, logger } = options;
  const relay: ChildProcess = spawn("python3", ["-c", DATAGRAM_RELAY, path], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  const stdout = relay.stdout as Readable;
  const stderr = relay.stderr as Readable;
  await new Promise<void>((resolve, reject) => {
    let said = "";
    const onData = (chunk: Buffer) => {
      said += chunk.toString();
      if (said.includes("listening\n")) {
        stderr.off("data", onData);
        resolve();
      }
    };
    stderr.on("data", onData);
    relay.once("error", (error) =>
      reject(
        new Error(`CAMFLOW_SOCKET needs python3 to bind a unix datagram socket: ${error.message}`),
      ),
    );
    relay.once("exit", (code) =>
      reject(
        new Error(`couldn't bind the unix datagram socket ${path} (exit ${code}): ${said.trim()}`),
      ),
    );
  });
  stderr.on("data", (chunk: Buffer) =>
    logger.warn({ path, relay: chunk.toString().trim() }, "socket: the relay says"),
  );
  const pump = pumpDocuments(stdout, `socket:${path}`, options);
  logger.info({ path }, "socket: listening for camflowd's datagrams");
  return {
    get documents() {
      return pump.count();
    },
    async stop() {
      // Stop taking: the relay exits and its socket goes; what it already relayed is stored.
      if (relay.exitCode === null && relay.signalCode === null) {
        const exited = new Promise((resolve) => relay.once("exit", resolve));
        relay.stdin?.end();
        await exited;
      }
      await pump.drained;
      await unlink(path).catch(() => undefined);
    },
  };
}
