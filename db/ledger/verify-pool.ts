/**
 * Worker threads for the verifier's per-chunk work (verify-chunk.ts), so hashing and decoding
 * run on the machine's other cores while the main thread reads the next chunks.
 *
 * The workers run `verifyChunk`'s own source text (eval workers): no second entry file to ship
 * next to the CLI, the portal's server bundle and the tests, which all load this module through
 * different loaders. Any failure of a worker (it cannot start, throws, exits) rejects that
 * chunk's promise; the verifier then does the chunk itself and stops using the pool.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { type ChunkInput, type ChunkOutput, verifyChunk } from "./verify-chunk";

// esbuild (tsx, vite) may keep function names through a `__name` helper; the worker has none.
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const deps = { crypto: require("node:crypto"), zlib: require("node:zlib") };
var __name = (target) => target;
const verifyChunk = (${verifyChunk.toString()});
parentPort.on("message", ({ id, input }) => {
  let out;
  try {
    out = verifyChunk(input, deps);
  } catch (error) {
    parentPort.postMessage({ id, error: String((error && error.stack) || error) });
    return;
  }
  // The chunk's bytes go back too, for the next chunk's read to write into.
  const spare = input.rows.buffer;
  parentPort.postMessage({ id, out, spare }, [
    out.seqs.buffer, out.leafSeqs.buffer, out.foreign.buffer, out.leafHashes.buffer, out.blockRoots.buffer,
    out.digestEnds.buffer, spare,
  ]);
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
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      const slot = { worker, busy: 0 };
      // Idle workers do not keep the process alive; busy ones do.
      worker.unref();
      type Message = { id: number; out?: ChunkOutput; spare?: ArrayBuffer; error?: string };
      worker.on("message", (message: Message) => {
        const task = this.pending.get(message.id);
        if (!task) return;
        this.pending.delete(message.id);
        slot.busy -= 1;
        if (slot.busy === 0) worker.unref();
        if (message.spare) task.onSpare?.(message.spare);
        if (message.out) task.resolve(message.out);
        else task.reject(new Error(`verifier worker: ${message.error ?? "no result"}`));
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

  async close(): Promise<void> {
    this.failed ??= new Error("the verifier pool is closed");
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()));
  }
}

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
