/**
 * The MQTT source holds the socket back while its pipeline is full, so a PINGRESP waits behind
 * the messages the broker already sent. That must not read as a dead connection: with a 1 s
 * keepalive and a pipeline that takes one message at a time, 100 ms each, the PINGRESP would
 * come 2 s late (mqtt.js gives it half a keepalive) and the source reconnect, and the broker
 * redeliver what was not acknowledged yet.
 */
import mqtt from "mqtt";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startMqttSource } from "../../../capture-bridge/sources/mqtt";
import { type PrivateMosquitto, startPrivateMosquitto } from "../../setup/private-servers";
import { until } from "../../setup/until";

const MESSAGES = 40;
const STORE_MS = 100;

let broker: PrivateMosquitto;
beforeAll(async () => {
  broker = await startPrivateMosquitto();
});
afterAll(async () => {
  await broker?.stop();
});

it("keeps the connection while the pipeline holds the socket back for longer than a keepalive", async () => {
  const prefix = `keepalive-${process.pid}`;
  const errors: Error[] = [];
  const received: string[] = [];
  let busy: Promise<void> = Promise.resolve();
  const source = await startMqttSource({
    url: broker.url,
    topicPrefix: prefix,
    clientId: `provtopia-keepalive-${process.pid}`,
    keepaliveS: 1,
    onMessage: (message) => {
      received.push(message.payload.toString());
      busy = new Promise((resolve) => setTimeout(resolve, STORE_MS));
      return busy;
    },
    // Room for one message at a time: the source reads the next only after the last is stored.
    whenReady: () => busy,
    onError: (error) => errors.push(error),
  });
  const publisher = await mqtt.connectAsync(broker.url);
  try {
    for (let i = 0; i < MESSAGES; i++) {
      await publisher.publishAsync(`${prefix}/host-1`, `{"n":${i}}`, { qos: 1 });
    }
    await until(() => received.length >= MESSAGES, `${MESSAGES} messages`, 30_000);
    // Idle now: pings go out and come back; anything redelivered would arrive meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(errors.map((e) => e.message)).toEqual([]);
    expect(received).toEqual(Array.from({ length: MESSAGES }, (_, i) => `{"n":${i}}`));
  } finally {
    await publisher.endAsync();
    await source.stop();
  }
});
