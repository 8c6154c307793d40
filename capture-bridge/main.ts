/**
 * The bridge's composition root: opens the store, starts the MQTT source (and, with no
 * MQTT_URL, an embedded broker), serves GET /healthz and the ledger's auditor API, and signs
 * checkpoints of grown logs every CHECKPOINT_INTERVAL_MS. `start()` resolves once every part
 * listens; `stop()` stops taking messages, lets the queued ones finish, then closes the store.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { openStore, type Store } from "../db/client";
import { checkpointAll } from "../db/ledger/log";
import type { BridgeConfig } from "./config";
import { guardDriverClosedSocket } from "./driver-guard";
import { serveHttp } from "./http";
import type { IngestTally } from "./pipeline/ingest";
import { createPipeline, type Pipeline } from "./pipeline/pipeline";
import { type EmbeddedBroker, startEmbeddedBroker } from "./sources/embedded-broker";
import { type MqttSource, startMqttSource } from "./sources/mqtt";

export interface BridgeDeps {
  /** An open store to use (and not close); opened from the config when absent. */
  store?: Store;
  log?: (line: string) => void;
}

export interface RunningBridge {
  store: Store;
  /** The broker URL capture hosts should publish to. */
  mqttUrl: string;
  /** The bridge's own HTTP address. */
  httpUrl: string;
  /** Totals since start. */
  tally: IngestTally;
  stop(): Promise<void>;
}

export async function startBridge(
  config: BridgeConfig,
  deps: BridgeDeps = {},
): Promise<RunningBridge> {
  const log = deps.log ?? ((line: string) => console.log(line));
  const store =
    deps.store ?? (await openStore({ url: config.DATABASE_URL, dataDir: config.PGLITE_DIR }));
  const ownsStore = deps.store === undefined;
  const unguard = guardDriverClosedSocket(log);
  const pipeline: Pipeline = createPipeline(store, {
    maxBatchMessages: config.BATCH_MAX_MESSAGES,
    maxBatchDelayMs: config.BATCH_MAX_DELAY_MS,
    maxInFlightMessages: config.MAX_IN_FLIGHT_MESSAGES,
    maxMessageBytes: config.MAX_MESSAGE_BYTES,
    onRetry: (error, attempt) =>
      log(`bridge: the store failed (${error.message}); retry ${attempt}, sources paused`),
  });
  const tally = pipeline.tally;
  let broker: EmbeddedBroker | undefined;
  let source: MqttSource | undefined;
  let http: Server | undefined;
  let checkpointTimer: NodeJS.Timeout | undefined;
  try {
    if (!config.MQTT_URL) broker = await startEmbeddedBroker(config.MQTT_PORT, log);
    const mqttUrl = config.MQTT_URL ?? (broker as EmbeddedBroker).url;
    source = await startMqttSource({
      url: mqttUrl,
      topicPrefix: config.MQTT_TOPIC_PREFIX,
      ...(config.MQTT_CLIENT_ID ? { clientId: config.MQTT_CLIENT_ID } : {}),
      onMessage: (message) => pipeline.onMessage(message),
      whenReady: () => pipeline.whenReady(),
      onError: (error) => log(`bridge: ${error.message}`),
    });
    http = await serveHttp(store, config.BRIDGE_PORT);
    // The "every T seconds" half of checkpointing (the "every N records" half is in the append).
    checkpointTimer = setInterval(() => {
      checkpointAll(store).catch((error: Error) =>
        log(`bridge: checkpoint failed: ${error.message}`),
      );
    }, config.CHECKPOINT_INTERVAL_MS);
    checkpointTimer.unref();
    const httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    return {
      store,
      mqttUrl,
      httpUrl,
      tally,
      async stop() {
        clearInterval(checkpointTimer);
        await source?.stop();
        await pipeline.stop();
        await checkpointAll(store);
        await new Promise<void>((resolve) => http?.close(() => resolve()));
        await broker?.close();
        if (ownsStore) await store.close();
        unguard();
      },
    };
  } catch (error) {
    clearInterval(checkpointTimer);
    await source?.stop().catch(() => undefined);
    await pipeline.stop().catch(() => undefined);
    http?.close();
    await broker?.close();
    if (ownsStore) await store.close();
    unguard();
    throw new Error("couldn't start the capture bridge", { cause: error });
  }
}
