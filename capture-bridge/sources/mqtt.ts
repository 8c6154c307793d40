/**
 * MQTT source: camflowd publishes each buffer of provenance to `<prefix>/<machine id>`. We
 * subscribe to `<prefix>/#` with QoS 1 in a persistent session (clean: false, a stable client
 * id), so what capture hosts publish while the bridge is down waits in the broker and arrives
 * when it returns.
 *
 * A message is acknowledged (PUBACK) only once the pipeline has committed it, never on receipt.
 * mqtt.js sends the PUBACK when `handleMessage` calls back, and reads the next packet only then;
 * waiting there would commit one message per transaction. So `handleMessage` calls back at once
 * with a sentinel error, which makes mqtt.js skip its automatic PUBACK (handlers/publish.js:
 * `if (err) return done(err)`) and read on, and we send the PUBACK ourselves after the commit.
 * While the pipeline is full, `handleMessage` waits for room before calling back, so mqtt.js
 * stops reading the socket: the broker holds the rest (TCP flow control plus the broker's
 * in-flight window: Mosquitto's `max_inflight_messages`, 20 by default).
 *
 * A PUBACK is sent only on the connection the message came in on: after a reconnect the broker
 * redelivers every unacknowledged message itself, and an acknowledgement for the old delivery
 * could otherwise acknowledge a different message that reuses its packet id. A message whose
 * write failed is not acknowledged; the source reconnects so the broker redelivers it.
 * Empty payloads (camflowd's keep-alives) are acknowledged and ignored.
 */
import mqtt, { type IPublishPacket, type MqttClient } from "mqtt";
import type { Message } from "../pipeline/ingest";

export interface MqttSourceOptions {
  url: string;
  topicPrefix: string;
  /** Stable across restarts, or the broker cannot find the session and what it kept. */
  clientId?: string;
  /** Resolves after the message is committed or quarantined; rejects if the store failed. */
  onMessage(message: Message): Promise<unknown>;
  /** Resolves when the pipeline can take another message (backpressure). */
  whenReady?(): Promise<void>;
  onError(error: Error): void;
  /** MQTT keepalive in seconds (default KEEPALIVE_S); tests make it short. */
  keepaliveS?: number;
}

export interface MqttSource {
  /** Stops reading, waits for the messages taken to be committed and acknowledged, disconnects. */
  stop(): Promise<void>;
}

/** The default client id: one bridge per machine and topic prefix keeps one session. */
/** The capture host a topic names: what follows `<prefix>/` (camflowd's machine id), else the topic. */
export function hostOfTopic(topic: string, prefix: string): string {
  return (topic.startsWith(`${prefix}/`) && topic.slice(prefix.length + 1)) || topic;
}

export function defaultClientId(topicPrefix: string): string {
  return `provtopia-bridge-${topicPrefix.replace(/[^A-Za-z0-9]+/g, "-")}`.slice(0, 128);
}

class SkipAutomaticAck extends Error {
  readonly code = "MQTT_ACK_AFTER_COMMIT";
}
const SKIP_AUTOMATIC_ACK = new SkipAutomaticAck("acknowledged after commit");

const RECONNECT_AFTER_FAILURE_MS = 1_000;
const KEEPALIVE_S = 600;

export async function startMqttSource(options: MqttSourceOptions): Promise<MqttSource> {
  let connection = 0; // which connection a delivery came in on
  let stopping = false;
  const pending = new Set<Promise<void>>();
  let reconnectTimer: NodeJS.Timeout | undefined;
  const client: MqttClient = mqtt.connect(options.url, {
    clientId: options.clientId ?? defaultClientId(options.topicPrefix),
    clean: false,
    reconnectPeriod: 1_000,
    // mqtt.js counts a PINGRESP only when it reads it, and it reads nothing while the pipeline is
    // full; with the default 60 s a store that stalls for two minutes cost a reconnect (and the
    // redelivery of everything unacknowledged). The broker still sees our PUBACKs meanwhile.
    keepalive: options.keepaliveS ?? KEEPALIVE_S,
    // Resubscribing is harmless with a persistent session and needed if the broker lost it.
    resubscribe: true,
  });
  client.on("connect", () => {
    connection += 1;
  });
  // mqtt.js restarts its keepalive clock only on a PINGRESP or an acknowledgement it reads, never
  // on a PUBLISH: a subscriber that only receives pings every keepalive and gives up 1.5
  // keepalives after its last PINGRESP. While the pipeline holds the socket back, the PINGRESP
  // waits behind up to the broker's in-flight window of messages; in a long drain that took more
  // than the half keepalive mqtt.js allows, and a healthy connection was dropped (66 messages
  // redelivered). A PUBLISH taken from the connection shows the broker is there as well as a
  // PINGRESP does, so it restarts the clock too; pings go out once the messages stop.
  client.on("packetreceive", (packet) => {
    if (packet.cmd === "publish") client.reschedulePing(true);
  });
  client.on("error", (error) => options.onError(error));
  client.on("offline", () => {
    if (!stopping) {
      options.onError(new Error("lost the MQTT connection; unacknowledged messages come again"));
    }
  });

  const ack = (packet: IPublishPacket, from: number) => {
    if (from !== connection || !client.connected || packet.messageId === undefined) return;
    // mqtt.js's own PUBACK path (handlers/publish.js), deferred to after the commit.
    // biome-ignore lint/complexity/useLiteralKeys: _sendPacket is private in mqtt.js's typings
    client["_sendPacket"]({ cmd: "puback", messageId: packet.messageId });
  };

  client.handleMessage = (packet, callback) => {
    const from = connection;
    const publish = packet as IPublishPacket;
    const payload = publish.payload as Buffer;
    if (publish.qos === 0 || payload.length === 0 || stopping) {
      // QoS 0 needs no ack; an empty keep-alive is done; while stopping, leave it for later.
      if (stopping && publish.qos > 0) return callback(SKIP_AUTOMATIC_ACK);
      return callback();
    }
    const host = hostOfTopic(publish.topic, options.topicPrefix);
    const delivery = options
      .onMessage({ source: `mqtt:${publish.topic}`, host, payload })
      .then(
        () => ack(publish, from),
        (error: Error) => {
          options.onError(
            new Error(`couldn't store an MQTT message; it stays unacknowledged`, { cause: error }),
          );
          forceRedelivery();
        },
      )
      .finally(() => pending.delete(delivery));
    pending.add(delivery);
    const ready = options.whenReady?.();
    if (ready) void ready.then(() => callback(SKIP_AUTOMATIC_ACK));
    else callback(SKIP_AUTOMATIC_ACK);
  };

  /** Reconnects, so the broker redelivers what was not acknowledged. */
  function forceRedelivery() {
    if (stopping || reconnectTimer) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      if (stopping) return;
      // Dropping the connection makes mqtt.js reconnect after reconnectPeriod, as on any loss.
      client.stream?.destroy();
    }, RECONNECT_AFTER_FAILURE_MS);
  }

  await new Promise<void>((resolve, reject) => {
    const onConnect = () => {
      client.off("error", onError);
      resolve();
    };
    const onError = (error: Error) => {
      client.off("connect", onConnect);
      client.end(true);
      reject(new Error(`couldn't connect to the MQTT broker at ${options.url}`, { cause: error }));
    };
    client.once("connect", onConnect);
    client.once("error", onError);
  });
  await client.subscribeAsync(`${options.topicPrefix}/#`, { qos: 1 });

  return {
    async stop() {
      stopping = true;
      clearTimeout(reconnectTimer);
      while (pending.size > 0) await Promise.allSettled([...pending]);
      await client.endAsync();
    },
  };
}
