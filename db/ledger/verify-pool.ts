/**
 * Worker threads for the verifier's per-chunk work (verify-chunk.ts), so hashing and decoding
 * run on the machine's other cores while the main thread reads the next chunks.
 *
 * The workers run `verifyChunk`'s own source text (eval workers): no second entry file to ship
 * next to the CLI, the portal's server bundle and the tests, which all load this module through
 * different loaders. Any failure of a worker (it cannot start, throws, exits) rejects that
 * chunk's promise; the verifier then does the chunk itself and stops using the pool.
 */
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { collectCopyStream } from "../copy-stream";
import { type ChunkInput, type ChunkOutput, verifyChunk } from "./verify-chunk";

/**
 * A chunk a worker reads itself, over its own connection to `url`, and then verifies: the COPY
 * statement's rows (`select`, SQL text from trusted parts only, as for Store.copyBinary) become
 * the chunk's `rows`.
 */
export interface RemoteChunk {
  url: string;
  /**
   * An exported snapshot (pg_export_snapshot) to read in: the worker reads inside a
   * repeatable-read transaction that imports it, so it sees what the verifying transaction sees.
   */
  snapshot?: string;
  select: string;
  input: Omit<ChunkInput, "rows">;
}

/** Where the worker loads postgres.js from (this module's own copy), or null without one. */
function postgresModulePath(): string | null {
  try {
    return createRequire(import.meta.url).resolve("postgres");
  } catch {
    return null;
  }
}

// esbuild (tsx, vite) may keep function names through a `__name` helper; the worker has none.
// A remote chunk is read over the worker's own postgres.js connection (one per URL, closed when
// idle), into a buffer of an earlier remote chunk: the main thread never handles its rows.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const deps = { crypto: require("node:crypto"), zlib: require("node:zlib") };
var __name = (target) => target;
const verifyChunk = (${verifyChunk.toString()});
const collectCopyStream = (${collectCopyStream.toString()});
const clients = new Map();
const queues = new Map();
const spares = [];
const connect = (url) => {
  let sql = clients.get(url);
  if (!sql) {
    if (!workerData.postgres) throw new Error("no postgres.js to read with");
    const postgres = require(workerData.postgres);
    sql = postgres(url, { max: 1, idle_timeout: 10, onnotice: () => {} });
    clients.set(url, sql);
  }
  return sql;
};
const reply = (id, out, spare) => {
  const transfer = [
    out.seqs.buffer, out.leafSeqs.buffer, out.foreign.buffer, out.leafHashes.buffer, out.blockRoots.buffer,
    out.digestEnds.buffer,
  ];
  if (spare) transfer.push(spare);
  parentPort.postMessage({ id, out, spare }, transfer);
};
const failed = (id, error, remote) =>
  parentPort.postMessage({ id, remote, error: String((error && error.stack) || error) });
parentPort.on("message", ({ id, input, remote }) => {
  if (remote) {
    // One COPY at a time per connection (postgres.js refuses a query during a COPY); the next
    // is started before this one's rows are verified, so the server writes it meanwhile.
    const reading = (queues.get(remote.url) || Promise.resolve()).then(async () => {
      const sql = connect(remote.url);
      const copy = "copy (" + remote.select + ") to stdout (format binary)";
      if (!remote.snapshot) return collectCopyStream(await sql.unsafe(copy).readable(), spares.pop());
      return sql.begin("isolation level repeatable read read only", async (tx) => {
        await tx.unsafe("set transaction snapshot '" + remote.snapshot + "'");
        return collectCopyStream(await tx.unsafe(copy).readable(), spares.pop());
      });
    });
    const done = reading.then(() => undefined, () => undefined);
    queues.set(remote.url, done);
    done.then(() => { if (queues.get(remote.url) === done) queues.delete(remote.url); });
    reading.then(
      (rows) => new Promise((resolve) => setImmediate(resolve, rows)),
    ).then(
      (rows) => {
        let out;
        try {
          out = verifyChunk({ ...remote.input, rows }, deps);
        } catch (error) {
          failed(id, error, false);
          return;
        }
        if (spares.length < 2) spares.push(rows);
        reply(id, out);
      },
      (error) => failed(id, error, true),
    );
    return;
  }
  let out;
  try {
    out = verifyChunk(input, deps);
  } catch (error) {
    failed(id, error, false);
    return;
  }
  // The chunk's bytes go back too, for the next chunk's read to write into.
  reply(id, out, input.rows.buffer);
});
`;

interface Pending {
  resolve: (out: ChunkOutput) => void;
  reject: (error: Error) => void;
  onSpare?: (buffer: ArrayBuffer) => void;
}

export class VerifyPool {
  private readonly workers: { worker: Worker; busy: number }[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failed: Error | null = null;

  /** `size` workers (default: one per core, at most 4). */
  constructor(size = Math.min(4, availableParallelism())) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { postgres: postgresModulePath() },
      });
      const slot = { worker, busy: 0 };
      // Idle workers do not keep the process alive; busy ones do.
      worker.unref();
      type Message = {
        id: number;
        out?: ChunkOutput;
        spare?: ArrayBuffer;
        error?: string;
        remote?: boolean;
      };
      worker.on("message", (message: Message) => {
        const task = this.pending.get(message.id);
        if (!task) return;
        this.pending.delete(message.id);
        slot.busy -= 1;
        if (slot.busy === 0) worker.unref();
        if (message.spare) task.onSpare?.(message.spare);
        if (message.out) task.resolve(message.out);
        else
          task.reject(
            new (message.remote ? RemoteReadError : Error)(
              `verifier worker: ${message.error ?? "no result"}`,
            ),
          );
      });
      const fail = (error: Error) => {
        this.failed ??= error;
        for (const task of this.pending.values()) task.reject(error);
        this.pending.clear();
      };
      worker.on("error", fail);
      worker.on("exit", (code) => {
        if (code !== 0) fail(new Error(`verifier worker exited with code ${code}`));
      });
      this.workers.push(slot);
    }
  }

  get usable(): boolean {
    return this.failed === null && this.workers.length > 0;
  }

  /**
   * Verifies the chunk on a worker. When `input.rows` starts at offset 0 of its ArrayBuffer, that
   * whole buffer is moved to the worker, not copied (copying 1.6 MB cost the sending thread about
   * 4 ms), and comes back to `onSpare` with the result, for reuse: `input.rows` is detached
   * meanwhile, so a caller that wants the chunk again after a failure reads it again. The buffer
   * must then hold nothing else (Store.copyBinary's results do not).
   */
  run(input: ChunkInput, onSpare?: (buffer: ArrayBuffer) => void): Promise<ChunkOutput> {
    if (this.failed) return Promise.reject(this.failed);
    const slot = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    slot.busy += 1;
    slot.worker.ref();
    const { buffer, byteOffset } = input.rows;
    const movable = buffer instanceof ArrayBuffer && byteOffset === 0;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onSpare });
      slot.worker.postMessage({ id, input }, movable ? [buffer] : []);
    });
  }

  /**
   * Reads the chunk on a worker, over the worker's own connection, and verifies it there. Rejects
   * with a RemoteReadError when the read failed (the worker stays usable), with another error when
   * the worker did.
   */
  runRemote(chunk: RemoteChunk): Promise<ChunkOutput> {
    if (this.failed) return Promise.reject(this.failed);
    if (chunk.snapshot !== undefined && !SNAPSHOT_ID.test(chunk.snapshot)) {
      return Promise.reject(new RangeError(`not a snapshot id: ${chunk.snapshot}`));
    }
    const slot = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    slot.busy += 1;
    slot.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, remote: chunk });
    });
  }

  async close(): Promise<void> {
    this.failed ??= new Error("the verifier pool is closed");
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()));
  }
}

/** What pg_export_snapshot returns (e.g. 00000003-0000001B-1): spliced into SQL, so checked. */
const SNAPSHOT_ID = /^[0-9A-Fa-f]+(-[0-9A-Fa-f]+)+$/;

/** A worker could not read a remote chunk (no postgres.js, no connection, a failed COPY). */
export class RemoteReadError extends Error {}

const SHARED = Symbol.for("provtopia.ledger.verifyPool");

/**
 * One pool per process and size, kept between verifications (starting a worker costs about as
 * much CPU as verifying thousands of records); replaced when it failed.
 */
export function sharedVerifyPool(size: number): VerifyPool {
  const g = globalThis as { [SHARED]?: Map<number, VerifyPool> };
  g[SHARED] ??= new Map();
  let pool = g[SHARED].get(size);
  if (!pool?.usable) {
    pool = new VerifyPool(size);
    g[SHARED].set(size, pool);
  }
  return pool;
}
