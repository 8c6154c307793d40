/**
 * NATS JetStream source, the scale-out path: capture hosts (or a relay in front of them) publish
 * to `<prefix>.<machine id>`; one stream holds `<prefix>.>` and one durable pull consumer is
 * shared by every bridge process, so the server spreads messages over the bridges and a bridge
 * that dies leaves its unacknowledged messages to the others after NATS_ACK_WAIT_MS.
 *
 * Invariants: a message is acknowledged only after the pipeline's promise resolved (committed
 * or quarantined); a store failure naks it with a growing delay, so it comes back (to any
 * bridge) instead of being lost; at most `maxInFlight` messages are in the pipeline at once,
 * and the client pulls no more than that ahead, so a slow store pauses the pulls instead of
 * growing memory. Redelivered messages are harmless: the pipeline's writes are idempotent.
 *
 * Works with NATS 2.9 (no 2.10 features: one filter subject, no multi-filter consumers). The
 * stream is created with work-queue retention when absent (an acknowledged message is deleted;
 * the store and the ledger's archive keep it); an operator may create it beforehand with other
 * limits, as long as it holds `<prefix>.>`.
 */
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import { connect, nanos } from "@nats-io/transport-node";
import type { Logger } from "../logger";
import { registerConsumerAckPendingProbe, registerConsumerLagProbe } from "../metrics";
import type { Message } from "../pipeline/ingest";

export interface NatsSourceOptions {
  url: string;
  /** Dot-separated subject prefix; hosts publish to `<prefix>.<machine id>`. */
  subjectPrefix: string;
  stream: string;
  consumer: string;
  /** Messages this process has in the pipeline at most (and pulls ahead at most). */
  maxInFlight: number;
  ackWaitMs: number;
  /** Resolves once the message is committed or quarantined; rejects if the store failed. */
  onMessage(message: Message): Promise<unknown>;
  logger: Logger;
}

export interface NatsSource {
  /** Messages waiting in the stream for the consumer, and delivered but unacknowledged. */
  lag(): Promise<{ pending: number; ackPending: number }>;
  /** Stops pulling, naks what was pulled but not started, waits for the rest, acks, closes. */
  stop(): Promise<void>;
}

/** NATS JetStream API error codes (server/errors.json). */
const STREAM_NOT_FOUND = 10059;
const CONSUMER_NOT_FOUND = 10014;
/** How long one pull request waits for messages; also the longest a stop waits for it. */
const FETCH_EXPIRES_MS = 2_000;

/** Redelivery delay after a store failure: 1 s, 2 s, 4 s, ... up to 30 s. */
export function redeliveryDelayMs(deliveryCount: number): number {
  return Math.min(30_000, 1_000 * 2 ** Math.max(0, deliveryCount - 1));
}

/** The capture host a subject names: what follows `<prefix>.`. */
export function hostOfSubject(subject: string, prefix: string): string {
  return subject.startsWith(`${prefix}.`) ? subject.slice(prefix.length + 1) : subject;
}

/**
 * Connects, makes sure the stream and the durable consumer exist, and starts consuming.
 * Throws if the server cannot be reached, has no JetStream, or the existing stream does not
 * hold `<prefix>.>`.
 */
export async function startNatsSource(options: NatsSourceOptions): Promise<NatsSource> {
  const { logger, subjectPrefix, stream } = options;
  const filter = `${subjectPrefix}.>`;
  const nc = await connect({
    servers: options.url,
    name: `provtopia-bridge-${process.pid}`,
    maxReconnectAttempts: -1,
  });
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStream(jsm, stream, filter);
    await ensureConsumer(jsm, options, filter);
    const consumer = await jetstream(nc).consumers.get(stream, options.consumer);
    const lag = async () => {
      const info = await consumer.info();
      return { pending: info.num_pending, ackPending: info.num_ack_pending };
    };
    const labels = { source: "nats", consumer: `${stream}/${options.consumer}` };
    const removeProbes = [
      registerConsumerLagProbe(labels, async () => (await lag()).pending),
      registerConsumerAckPendingProbe(labels, async () => (await lag()).ackPending),
    ];

    let stopping = false;
    const inFlight = new Set<Promise<void>>();
    let freeSlot: (() => void) | undefined;
    const handle = async (m: JsMsg) => {
      if (m.data.length === 0) {
        m.ack(); // nothing to store (a keep-alive)
        return;
      }
      const host = hostOfSubject(m.subject, subjectPrefix);
      try {
        await options.onMessage({ source: `nats:${m.subject}`, host, payload: m.data });
        m.ack();
      } catch (error) {
        const delay = redeliveryDelayMs(m.info.deliveryCount);
        logger.error(
          { err: error, subject: m.subject, deliveryCount: m.info.deliveryCount, retryInMs: delay },
          "nats: the store failed; the message will be redelivered",
        );
        m.nak(delay);
      }
    };
    // One pull request at a time, for at most the free slots, waited out to its end: a pull
    // request cannot be withdrawn, and what the server sends to an abandoned one would sit
    // unacknowledged until NATS_ACK_WAIT_MS. So a stop lets the open request run out (at most
    // FETCH_EXPIRES_MS) and naks what it still brings.
    const loop = (async () => {
      while (!stopping) {
        const free = options.maxInFlight - inFlight.size;
        if (free === 0) {
          await new Promise<void>((resolve) => {
            freeSlot = resolve;
          });
          continue;
        }
        try {
          const batch = await consumer.fetch({ max_messages: free, expires: FETCH_EXPIRES_MS });
          for await (const m of batch) {
            if (stopping) {
              m.nak(); // pulled but not started: let another bridge have it now
              continue;
            }
            const task: Promise<void> = handle(m).finally(() => {
              inFlight.delete(task);
              freeSlot?.();
            });
            inFlight.add(task);
          }
        } catch (error) {
          // Server gone, consumer deleted, heartbeats missed: keep trying (the client
          // reconnects by itself); what was delivered and not acked comes back after ack_wait.
          if (stopping) break;
          logger.error({ err: error }, "nats: pulling failed; retrying in 1 s");
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      }
    })();
    logger.info(
      { url: options.url, stream, consumer: options.consumer, filter },
      "nats: consuming",
    );

    return {
      lag,
      async stop() {
        stopping = true;
        freeSlot?.();
        await loop;
        await Promise.allSettled([...inFlight]);
        for (const remove of removeProbes) remove();
        await nc.drain(); // flushes the acks and naks before closing
      },
    };
  } catch (error) {
    await nc.close();
    throw error;
  }
}

async function ensureStream(jsm: JetStreamManager, name: string, filter: string): Promise<void> {
  try {
    const info = await jsm.streams.info(name);
    if (!info.config.subjects?.some((subject) => subjectCovers(subject, filter))) {
      throw new Error(
        `NATS stream ${name} holds ${JSON.stringify(info.config.subjects)}, not ${filter}: set NATS_STREAM or NATS_SUBJECT_PREFIX`,
      );
    }
    return;
  } catch (error) {
    if (!isApiError(error, STREAM_NOT_FOUND)) throw error;
  }
  try {
    await jsm.streams.add({
      name,
      subjects: [filter],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
    });
  } catch (error) {
    // Another bridge created it at the same moment: fine if it is there now.
    await jsm.streams.info(name).catch(() => {
      throw error;
    });
  }
}

async function ensureConsumer(
  jsm: JetStreamManager,
  options: NatsSourceOptions,
  filter: string,
): Promise<void> {
  try {
    await jsm.consumers.info(options.stream, options.consumer);
    return;
  } catch (error) {
    if (!isApiError(error, CONSUMER_NOT_FOUND)) throw error;
  }
  try {
    await jsm.consumers.add(options.stream, {
      durable_name: options.consumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: filter,
      ack_wait: nanos(options.ackWaitMs),
    });
  } catch (error) {
    await jsm.consumers.info(options.stream, options.consumer).catch(() => {
      throw error;
    });
  }
}

function isApiError(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

/** Whether stream subject `subject` (maybe with wildcards) matches everything `filter` does. */
export function subjectCovers(subject: string, filter: string): boolean {
  const s = subject.split(".");
  const f = filter.split(".");
  for (let i = 0; i < s.length; i++) {
    if (s[i] === ">") return true;
    if (i >= f.length || f[i] === ">") return false;
    if (s[i] !== "*" && s[i] !== f[i]) return false;
  }
  return s.length === f.length;
}
