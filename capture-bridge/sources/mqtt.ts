/**
 * MQTT source: camflowd publishes each buffer of provenance to `<prefix>/<machine id>`. We
 * subscribe to `<prefix>/#` with QoS 1 and hand each message to the pipeline one at a time, in
 * arrival order. Empty payloads (camflowd's keep-alives) are ignored.
 *
 * Known limit (walking skeleton): mqtt.js acknowledges on receipt and the queue is unbounded,
 * so a store slower than the publishers grows memory, and a crash loses what is queued.
 * Batching, backpressure and a persistent session belong to the bridge issue.
 */
import mqtt, { type MqttClient } from "mqtt";
import type { Message } from "../pipeline/ingest";

export interface MqttSourceOptions {
  url: string;
  topicPrefix: string;
  clientId?: string;
  onMessage(message: Message): Promise<void>;
  onError(error: Error): void;
}

export interface MqttSource {
  stop(): Promise<void>;
}

export async function startMqttSource(options: MqttSourceOptions): Promise<MqttSource> {
  const client: MqttClient = await mqtt.connectAsync(options.url, {
    clientId: options.clientId ?? `provtopia-bridge-${process.pid}`,
    reconnectPeriod: 1_000,
  });
  const topic = `${options.topicPrefix}/#`;
  await client.subscribeAsync(topic, { qos: 1 });
  let queue: Promise<void> = Promise.resolve();
  client.on("message", (messageTopic, payload) => {
    if (payload.length === 0) return;
    const host = messageTopic.slice(options.topicPrefix.length + 1) || messageTopic;
    queue = queue.then(() =>
      options
        .onMessage({ source: `mqtt:${messageTopic}`, host, payload })
        .catch((error: Error) => options.onError(error)),
    );
  });
  client.on("error", (error) => options.onError(error));
  return {
    async stop() {
      await queue;
      await client.endAsync();
    },
  };
}
