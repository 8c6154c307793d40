/**
 * The bridge's batching pipeline between the sources and the store.
 *
 * Contract with a source: `onMessage(message)` resolves once the message's documents are
 * committed (or quarantined) and rejects if the store failed, so a source acknowledges a message
 * only then (MQTT PUBACK, JetStream ack, HTTP 202). A source must also `await whenReady()` before
 * taking the next message: that is the backpressure. The pipeline holds at most
 * MAX_IN_FLIGHT messages (or bytes) between receipt and commit; when it is full, `whenReady`
 * stays pending and the source stops reading (the broker keeps the rest), so a slow database
 * pauses the sources instead of growing memory. The bound is in messages, payload bytes and
 * parsed elements (whichever is reached first): parsed documents are what takes the memory.
 *
 * Batching: messages are parsed as they arrive (CPU work that overlaps the previous batch's
 * database round trips) and written together, one transaction per batch, when the batch has
 * `maxBatchMessages` messages or `maxBatchElements` elements, or `maxBatchDelayMs` after its
 * first message, whichever comes first. One batch is written at a time, in arrival order, so
 * acknowledgements go out in order too.
 *
 * Failures: a transient store failure (connection lost, server restarting, deadlock) is retried
 * with backoff for up to `retryForMs`; nothing is acknowledged meanwhile and the sources stay
 * paused. After that, or on any other store failure, the batch's messages reject and the source
 * leaves them unacknowledged for redelivery. Writes are idempotent, so a redelivered message
 * (or a batch retried after a commit whose reply was lost) changes nothing.
 */
import type { Store } from "../../db/client";
import {
  countInto,
  IngestTally,
  type Message,
  type MessageOutcome,
  type PreparedMessage,
  prepareMessage,
  writeMessages,
} from "./ingest";

export interface PipelineOptions {
  /** Write a batch once it holds this many messages. */
  maxBatchMessages?: number;
  /** ... or this many elements (nodes + relations). */
  maxBatchElements?: number;
  /** ... or this long after its first message arrived. */
  maxBatchDelayMs?: number;
  /** Messages received but not committed; beyond this `whenReady` waits. */
  maxInFlightMessages?: number;
  /** Payload bytes received but not committed; beyond this `whenReady` waits. */
  maxInFlightBytes?: number;
  /**
   * Parsed elements waiting to be committed; beyond this `whenReady` waits. Parsed documents
   * are what costs memory (about 1 kB per element), so this is the bound that keeps RSS flat.
   */
  maxInFlightElements?: number;
  /** A larger message is quarantined unread (its bytes kept), not parsed. */
  maxMessageBytes?: number;
  /** How long transient store failures are retried before the batch's messages reject. */
  retryForMs?: number;
  /** `false` only for benchmarks that measure labelling's cost (db/labels). */
  labels?: boolean;
  /** Told after each committed batch (metrics, benchmarks). */
  onBatch?(batch: BatchReport): void;
  /** Told about store failures that are being retried. */
  onRetry?(error: Error, attempt: number): void;
}

export interface BatchReport {
  messages: number;
  /** Documents committed, and of those the ones the store already held (redeliveries). */
  documents: number;
  duplicates: number;
  elements: number;
  newElements: number;
  quarantined: number;
  /** From the batch's first message's arrival to its commit. */
  latencyMs: number;
  /** Time spent in the transaction. */
  writeMs: number;
}

export interface Pipeline {
  onMessage(message: Message): Promise<MessageOutcome>;
  /** Resolves when the pipeline can take another message. */
  whenReady(): Promise<void>;
  /** Writes what is queued now; resolves when everything received so far is committed. */
  flush(): Promise<void>;
  /** Refuses new messages, then flushes. */
  stop(): Promise<void>;
  readonly inFlight: { messages: number; bytes: number; elements: number };
  readonly tally: IngestTally;
}

export const PIPELINE_DEFAULTS = {
  maxBatchMessages: 500,
  maxBatchElements: 10_000,
  maxBatchDelayMs: 50,
  maxInFlightMessages: 2_000,
  // Received payloads waiting to be parsed hold their bytes; parsed documents about 1 kB an
  // element. Measured with the ingest bench (README): 64 MiB and 30,000 peaked at 420-446 MB
  // RSS, 16 MiB and 15,000 at 376-386 MB, with no measurable loss of throughput.
  maxInFlightBytes: 16 * 1024 * 1024,
  maxInFlightElements: 15_000,
  maxMessageBytes: 16 * 1024 * 1024,
  retryForMs: 5 * 60_000,
} as const;

const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5_000;

export class PipelineStoppedError extends Error {
  readonly code = "PIPELINE_STOPPED";
}

interface Entry {
  prepared: PreparedMessage;
  bytes: number;
  arrivedMs: number;
  resolve(outcome: MessageOutcome): void;
  reject(error: Error): void;
}

export function createPipeline(store: Store, options: PipelineOptions = {}): Pipeline {
  const settings = { ...PIPELINE_DEFAULTS, ...options };
  const tally = new IngestTally(false);
  const inFlight = { messages: 0, bytes: 0, elements: 0 };
  const queue: Entry[] = [];
  let queuedElements = 0;
  let preparing: Promise<unknown> = Promise.resolve();
  let writing: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let waiters: (() => void)[] = [];

  const full = () =>
    inFlight.messages >= settings.maxInFlightMessages ||
    inFlight.bytes >= settings.maxInFlightBytes ||
    inFlight.elements >= settings.maxInFlightElements;

  function release(bytes: number, elements = 0) {
    inFlight.messages -= 1;
    inFlight.bytes -= bytes;
    inFlight.elements -= elements;
    if (!full() && waiters.length > 0) {
      const ready = waiters;
      waiters = [];
      for (const wake of ready) wake();
    }
  }

  function batchIsFull() {
    return queue.length >= settings.maxBatchMessages || queuedElements >= settings.maxBatchElements;
  }

  function schedule() {
    if (queue.length === 0) return;
    if (batchIsFull()) {
      kick();
      return;
    }
    if (timer) return;
    const first = queue[0] as Entry;
    const dueIn = Math.max(0, first.arrivedMs + settings.maxBatchDelayMs - performance.now());
    timer = setTimeout(() => {
      timer = null;
      kick();
    }, dueIn);
  }

  /** Starts writing the queued batch unless one is being written (it calls back when done). */
  function kick() {
    if (writing || queue.length === 0) return;
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    const batch = takeBatch();
    writing = writeBatch(batch).finally(() => {
      writing = null;
      schedule();
    });
  }

  function takeBatch(): Entry[] {
    const batch: Entry[] = [];
    let elements = 0;
    while (queue.length > 0 && batch.length < settings.maxBatchMessages) {
      const next = queue[0] as Entry;
      if (batch.length > 0 && elements + next.prepared.elements > settings.maxBatchElements) break;
      batch.push(next);
      elements += next.prepared.elements;
      queue.shift();
    }
    queuedElements -= elements;
    return batch;
  }

  async function writeBatch(batch: Entry[]): Promise<void> {
    const started = performance.now();
    let outcomes: MessageOutcome[];
    try {
      outcomes = await withRetry(() =>
        writeMessages(
          store,
          batch.map((e) => e.prepared),
          settings.labels === false ? { labels: false } : {},
        ),
      );
    } catch (error) {
      for (const entry of batch) {
        release(entry.bytes, entry.prepared.elements);
        entry.reject(error as Error);
      }
      return;
    }
    const report: BatchReport = {
      messages: batch.length,
      documents: 0,
      duplicates: 0,
      elements: 0,
      newElements: 0,
      quarantined: 0,
      latencyMs: performance.now() - (batch[0] as Entry).arrivedMs,
      writeMs: performance.now() - started,
    };
    batch.forEach((entry, i) => {
      const outcome = outcomes[i] as MessageOutcome;
      countInto(tally, entry.prepared, outcome);
      report.documents += outcome.documents;
      report.duplicates += outcome.duplicates;
      report.elements += outcome.elements;
      report.newElements += outcome.newElements;
      report.quarantined += outcome.quarantined;
      release(entry.bytes, entry.prepared.elements);
      entry.resolve(outcome);
    });
    settings.onBatch?.(report);
  }

  async function withRetry<T>(write: () => Promise<T>): Promise<T> {
    const deadline = performance.now() + settings.retryForMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (!isTransient(error) || performance.now() > deadline) throw error;
        settings.onRetry?.(error as Error, attempt);
        const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (attempt - 1));
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  return {
    tally,
    inFlight,
    onMessage(message) {
      if (stopped) {
        return Promise.reject(new PipelineStoppedError("the pipeline is stopping; redeliver"));
      }
      const bytes = message.payload.byteLength;
      inFlight.messages += 1;
      inFlight.bytes += bytes;
      const arrivedMs = performance.now();
      return new Promise<MessageOutcome>((resolve, reject) => {
        // Prepared one after another, so batches keep arrival order.
        preparing = preparing.then(async () => {
          let prepared: PreparedMessage;
          try {
            prepared = await prepareMessage(store, message, {
              maxMessageBytes: settings.maxMessageBytes,
            });
          } catch (error) {
            release(bytes);
            reject(error as Error);
            return;
          }
          queue.push({ prepared, bytes, arrivedMs, resolve, reject });
          queuedElements += prepared.elements;
          inFlight.elements += prepared.elements;
          schedule();
        });
      });
    },
    whenReady() {
      if (!full()) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    async flush() {
      for (;;) {
        await preparing;
        if (writing) {
          await writing;
          continue;
        }
        if (queue.length === 0) return;
        kick();
      }
    },
    async stop() {
      stopped = true;
      await this.flush();
    },
  };
}

/** Codes of failures that go away by themselves: the connection, the server, lock conflicts. */
const TRANSIENT_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, shutting down)
  "53300", // too_many_connections
  "40001", // serialization_failure
  "40P01", // deadlock_detected
]);

/** True when `error` (or one of its causes) is a failure worth retrying. */
export function isTransient(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    const code = (e as Error & { code?: unknown }).code;
    if (typeof code === "string" && (TRANSIENT_CODES.has(code) || code.startsWith("08"))) {
      return true;
    }
    e = e.cause;
  }
  return false;
}
