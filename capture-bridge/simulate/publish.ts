/**
 * Publishes a simulation at a steady rate over MQTT (as camflowd does: QoS 1 on
 * `<prefix>/<machine id>`) or NATS JetStream (`<prefix with dots>.<machine id>`). The rate is in
 * elements per second over all hosts; messages go out in small bursts every TICK_MS so the rate
 * holds at any message size. At most MAX_UNACKED publishes wait for the broker's
 * acknowledgement: a broker slower than the rate slows the publisher rather than its memory.
 */
import { jetstream } from "@nats-io/jetstream";
import { connect as connectNats } from "@nats-io/transport-node";
import mqtt from "mqtt";
import type { SimulatedMessage } from "./organisation";
import type { MessageSource } from "./recording";

export interface Publisher {
  publish(message: SimulatedMessage): Promise<void>;
  close(): Promise<void>;
}

export interface PublishOptions {
  /** Elements per second over all hosts; Infinity = as fast as the broker takes them. */
  rate: number;
  durationMs: number;
  /** Stop early after this many messages. */
  maxMessages?: number;
  /** Called for each message after the broker acknowledged it. */
  onPublished?(message: SimulatedMessage): void;
}

export interface PublishSummary {
  messages: number;
  elements: number;
  elapsedMs: number;
  bytes: number;
}

const TICK_MS = 10;
const MAX_UNACKED = 256;

/** Publishes what `source` yields (a live simulation or a recording) until it ends or time is up. */
export async function publishSimulation(
  source: MessageSource,
  publisher: Publisher,
  options: PublishOptions,
): Promise<PublishSummary> {
  const summary: PublishSummary = { messages: 0, elements: 0, elapsedMs: 0, bytes: 0 };
  const unacked = new Set<Promise<void>>();
  let failure: Error | null = null;
  const started = performance.now();
  const limit = options.maxMessages ?? Number.POSITIVE_INFINITY;
  let ended = false;
  while (!ended && summary.messages < limit && failure === null) {
    const elapsed = performance.now() - started;
    if (elapsed >= options.durationMs) break;
    const due = Number.isFinite(options.rate) ? (options.rate * elapsed) / 1000 : Infinity;
    while (summary.elements <= due && summary.messages < limit && unacked.size < MAX_UNACKED) {
      const message = source.next();
      if (message === undefined) {
        ended = true;
        break;
      }
      summary.messages += 1;
      summary.elements += message.elements;
      summary.bytes += message.payload.length;
      const sent: Promise<void> = publisher
        .publish(message)
        .then(
          () => options.onPublished?.(message),
          (error: Error) => {
            failure ??= error;
          },
        )
        .finally(() => unacked.delete(sent));
      unacked.add(sent);
    }
    if (unacked.size >= MAX_UNACKED) await Promise.race(unacked);
    else await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  await Promise.all(unacked);
  summary.elapsedMs = performance.now() - started;
  if (failure) throw new Error("couldn't publish the simulation", { cause: failure });
  return summary;
}

/** QoS 1 publishes to `<prefix>/<topic suffix>`. */
export async function mqttPublisher(url: string, topicPrefix: string): Promise<Publisher> {
  const client = await mqtt.connectAsync(url, {
    clientId: `provtopia-simulate-${process.pid}-${Date.now().toString(36)}`,
    reconnectPeriod: 1_000,
  });
  return {
    async publish(message) {
      await client.publishAsync(`${topicPrefix}/${message.topicSuffix}`, message.payload, {
        qos: 1,
      });
    },
    async close() {
      await client.endAsync();
    },
  };
}

/** JetStream publishes to `<prefix>.<topic suffix>`; a stream must capture those subjects. */
export async function natsPublisher(url: string, subjectPrefix: string): Promise<Publisher> {
  const connection = await connectNats({ servers: url });
  const js = jetstream(connection);
  const prefix = subjectPrefix.replaceAll("/", ".");
  return {
    async publish(message) {
      await js.publish(`${prefix}.${message.topicSuffix.replaceAll(".", "_")}`, message.payload);
    },
    async close() {
      await connection.drain();
    },
  };
}
