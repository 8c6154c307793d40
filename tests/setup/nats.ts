/**
 * Throw-away JetStream names for tests on the shared NATS server: every test gets its own
 * stream, subject prefix and consumer, and deletes its stream afterwards, so parallel runs and
 * other people's streams are never touched.
 */
import { randomBytes } from "node:crypto";
import { jetstream, jetstreamManager, RetentionPolicy } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";

export interface TestStream {
  stream: string;
  consumer: string;
  /** Dot-separated subject prefix; hosts publish to `<prefix>.<host>`. */
  prefix: string;
  nc: NatsConnection;
  publish(host: string, payload: string | Uint8Array): Promise<void>;
  /** Creates the stream as the bridge would, for tests that publish before a bridge runs. */
  createStream(): Promise<void>;
  /** The consumer's num_pending and num_ack_pending (0 and 0 when absent). */
  consumerState(): Promise<{ pending: number; ackPending: number; delivered: number }>;
  /** Messages still in the stream (work-queue retention deletes acknowledged ones). */
  streamMessages(): Promise<number>;
  dispose(): Promise<void>;
}

export async function createTestStream(url: string): Promise<TestStream> {
  const tag = randomBytes(5).toString("hex");
  const stream = `PROVTOPIA_TEST_${tag}`;
  const consumer = `bridge_${tag}`;
  const prefix = `provtopia-test.${tag}.camflow.provenance`;
  const nc = await connect({ servers: url, name: `provtopia-test-${tag}` });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  return {
    stream,
    consumer,
    prefix,
    nc,
    async publish(host, payload) {
      await js.publish(`${prefix}.${host}`, payload);
    },
    async createStream() {
      await jsm.streams.add({
        name: stream,
        subjects: [`${prefix}.>`],
        retention: RetentionPolicy.Workqueue,
      });
    },
    async consumerState() {
      try {
        const info = await jsm.consumers.info(stream, consumer);
        return {
          pending: info.num_pending,
          ackPending: info.num_ack_pending,
          delivered: info.delivered.consumer_seq,
        };
      } catch {
        return { pending: 0, ackPending: 0, delivered: 0 };
      }
    },
    async streamMessages() {
      return (await jsm.streams.info(stream)).state.messages;
    },
    async dispose() {
      await jsm.streams.delete(stream).catch(() => false);
      await nc.close();
    },
  };
}
