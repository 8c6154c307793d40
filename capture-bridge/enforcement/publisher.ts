/**
 * Announces the rule set's version to every live enforcement point: the delivery half of the
 * transactional outbox (db/enforcement/rule-set.ts). The portal only writes rules to the store;
 * every `intervalMs` this reads the current version and, for each point that was not yet told
 * it, publishes `{"version":V}` to MQTT `<topicPrefix>/<pointId>` (QoS 1, retained, so a point
 * that connects later gets it at once) and, with NATS, to `<natsPrefix>.<pointId>`. Then it
 * marks the changes up to V as published.
 *
 * Only the version travels on the brokers, never the rules: camflowd's brokers often accept
 * anyone, and rules name subjects. A point fetches the rules themselves from the bridge over
 * HTTP with its token (enforcement/http.ts), so a forged announcement can make it fetch early,
 * never unblock anything. Several bridges announcing the same version is harmless (retained
 * messages are idempotent). After a restart every point is told again once.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { connect } from "@nats-io/transport-node";
import mqtt, { type MqttClient } from "mqtt";
import type { Store } from "../../db/client";
import {
  currentRuleVersion,
  livePointIds,
  markRuleChangesPublished,
} from "../../db/enforcement/rule-set";
import type { Logger } from "../logger";

export interface RulePublisherOptions {
  store: Store;
  mqttUrl: string;
  /** MQTT topic prefix; a point's topic is `<prefix>/<pointId>`. */
  topicPrefix: string;
  /** With NATS_URL: announcements also go to `<natsPrefix>.<pointId>` (core NATS). */
  natsUrl?: string;
  natsPrefix: string;
  intervalMs: number;
  logger: Logger;
}

export interface RulePublisher {
  /** Runs one announcement pass now (tests call it instead of waiting). */
  publishNow(): Promise<void>;
  stop(): Promise<void>;
}

export const pointTopic = (prefix: string, pointId: number) => `${prefix}/${pointId}`;

export async function startRulePublisher(options: RulePublisherOptions): Promise<RulePublisher> {
  const { store, logger } = options;
  const client: MqttClient = await mqtt.connectAsync(options.mqttUrl, {
    clientId: `provtopia-rules-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    reconnectPeriod: 1_000,
  });
  let nats: NatsConnection | undefined;
  try {
    if (options.natsUrl) {
      nats = await connect({
        servers: options.natsUrl,
        name: `provtopia-rules-${process.pid}`,
        maxReconnectAttempts: -1,
      });
    }
  } catch (error) {
    await client.endAsync();
    throw error;
  }
  /** pointId -> the version it was last told. */
  const told = new Map<number, number>();
  let running: Promise<void> | undefined;

  const pass = async () => {
    const version = await currentRuleVersion(store);
    const points = await livePointIds(store);
    for (const id of told.keys()) if (!points.includes(id)) told.delete(id);
    const payload = JSON.stringify({ version });
    for (const id of points) {
      if (told.get(id) === version) continue;
      await client.publishAsync(pointTopic(options.topicPrefix, id), payload, {
        qos: 1,
        retain: true,
      });
      nats?.publish(`${options.natsPrefix}.${id}`, payload);
      told.set(id, version);
    }
    const published = await markRuleChangesPublished(store, version);
    if (published > 0) logger.info({ version, points: points.length }, "rules: announced");
  };
  const publishNow = () => {
    // One pass at a time; a call during a pass waits for it and runs another.
    const next = (running ?? Promise.resolve()).then(pass);
    const settled = next.catch(() => undefined);
    running = settled;
    void settled.then(() => {
      if (running === settled) running = undefined;
    });
    return next;
  };
  const timer = setInterval(() => {
    publishNow().catch((error: Error) =>
      logger.error({ err: error }, "rules: couldn't announce the rule set"),
    );
  }, options.intervalMs);
  timer.unref();
  await publishNow().catch((error: Error) =>
    logger.error({ err: error }, "rules: couldn't announce the rule set"),
  );
  return {
    publishNow,
    async stop() {
      clearInterval(timer);
      await running;
      await client.endAsync();
      await nats?.close();
    },
  };
}
