/**
 * The bridge's composition root: opens the store, starts every source the configuration names
 * (MQTT always, with an embedded broker when there is no MQTT_URL; NATS JetStream with NATS_URL;
 * camflowd's FIFO and unix socket with CAMFLOW_FIFO / CAMFLOW_SOCKET), serves GET /healthz,
 * GET /metrics, POST /ingest and the ledger's auditor API, and signs checkpoints of grown logs
 * every CHECKPOINT_INTERVAL_MS. Every source hands its messages to one batching pipeline
 * (pipeline/pipeline.ts), which acknowledges them only once committed and pauses the sources
 * when the store falls behind. `start()` resolves once every part listens; `stop()` stops
 * taking messages, lets the ones in flight finish (and be acknowledged), then closes the store.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { openStore, type Store } from "../db/client";
import { countPointsBehind } from "../db/enforcement/rule-set";
import { checkpointAll } from "../db/ledger/log";
import { countPendingRelations } from "../db/queries/stats";
import type { BridgeConfig } from "./config";
import { guardDriverClosedSocket } from "./driver-guard";
import { type RulePublisher, startRulePublisher } from "./enforcement/publisher";
import { isLoopback, serveHttp } from "./http";
import { metered } from "./intake";
import { createLogger, type Logger, lineLogger } from "./logger";
import { registerPendingRelationsProbe, registerPointsBehindProbe } from "./metrics";
import type { IngestTally } from "./pipeline/ingest";
import { createPipeline } from "./pipeline/pipeline";
import { type EmbeddedBroker, startEmbeddedBroker } from "./sources/embedded-broker";
import { startCamflowdFifo, startCamflowdSocket } from "./sources/local";
import { startMqttSource } from "./sources/mqtt";
import { type NatsSource, startNatsSource } from "./sources/nats";

export interface BridgeDeps {
  /** An open store to use (and not close); opened from the config when absent. */
  store?: Store;
  /** Structured logger; else `log` gets each message as a line; else JSON lines at LOG_LEVEL. */
  logger?: Logger;
  log?: (line: string) => void;
}

/** Something the bridge started and must stop before it closes the store. */
interface Stoppable {
  stop(): Promise<void>;
}

export interface RunningBridge {
  store: Store;
  /** The broker URL capture hosts should publish to. */
  mqttUrl: string;
  /** The bridge's own HTTP address. */
  httpUrl: string;
  /** Totals since start. */
  tally: IngestTally;
  /** The NATS source, when NATS_URL is set. */
  nats?: NatsSource;
  /** Announces the rule set's version to the enforcement points. */
  rules: RulePublisher;
  logger: Logger;
  stop(): Promise<void>;
}

export async function startBridge(
  config: BridgeConfig,
  deps: BridgeDeps = {},
): Promise<RunningBridge> {
  const logger = deps.logger ?? (deps.log ? lineLogger(deps.log) : createLogger(config.LOG_LEVEL));
  const store =
    deps.store ?? (await openStore({ url: config.DATABASE_URL, dataDir: config.PGLITE_DIR }));
  const ownsStore = deps.store === undefined;
  const unguard = guardDriverClosedSocket((line) => logger.warn(line));
  const pipeline = createPipeline(store, {
    maxBatchMessages: config.BATCH_MAX_MESSAGES,
    maxBatchDelayMs: config.BATCH_MAX_DELAY_MS,
    maxInFlightMessages: config.MAX_IN_FLIGHT_MESSAGES,
    maxMessageBytes: config.MAX_MESSAGE_BYTES,
    onRetry: (error, attempt) =>
      logger.warn({ err: error, attempt }, "bridge: the store failed; retry with sources paused"),
  });
  const tally = pipeline.tally;
  const handle = metered((message) => pipeline.onMessage(message));
  const sources: Stoppable[] = [];
  let broker: EmbeddedBroker | undefined;
  let nats: NatsSource | undefined;
  let http: Server | undefined;
  let checkpointTimer: NodeJS.Timeout | undefined;
  let rules: RulePublisher | undefined;
  const removePendingProbe = registerPendingRelationsProbe({ store: store.kind }, () =>
    countPendingRelations(store),
  );
  const removeBehindProbe = registerPointsBehindProbe({ store: store.kind }, () =>
    countPointsBehind(store),
  );
  const stopSources = async () => {
    // Every source at once: each stops taking, finishes what it holds, and acknowledges it.
    const results = await Promise.allSettled(sources.splice(0).map((source) => source.stop()));
    for (const result of results) {
      if (result.status === "rejected")
        logger.error({ err: result.reason }, "a source failed to stop");
    }
  };
  try {
    if (!config.MQTT_URL)
      broker = await startEmbeddedBroker(config.MQTT_PORT, (line) => logger.warn(line));
    const mqttUrl = config.MQTT_URL ?? (broker as EmbeddedBroker).url;
    sources.push(
      await startMqttSource({
        url: mqttUrl,
        topicPrefix: config.MQTT_TOPIC_PREFIX,
        ...(config.MQTT_CLIENT_ID ? { clientId: config.MQTT_CLIENT_ID } : {}),
        onMessage: handle,
        whenReady: () => pipeline.whenReady(),
        onError: (error) => logger.error({ err: error, source: "mqtt" }, "mqtt: message failed"),
      }),
    );
    if (config.NATS_URL) {
      nats = await startNatsSource({
        url: config.NATS_URL,
        subjectPrefix: config.NATS_SUBJECT_PREFIX,
        stream: config.NATS_STREAM,
        consumer: config.NATS_CONSUMER,
        maxInFlight: config.NATS_MAX_IN_FLIGHT,
        ackWaitMs: config.NATS_ACK_WAIT_MS,
        onMessage: handle,
        logger,
      });
      sources.push(nats);
    }
    const local = [
      [config.CAMFLOW_FIFO, startCamflowdFifo],
      [config.CAMFLOW_SOCKET, startCamflowdSocket],
    ] as const;
    for (const [path, startLocal] of local) {
      if (!path) continue;
      sources.push(
        await startLocal({ path, host: config.CAMFLOW_HOST, onMessage: handle, logger }),
      );
    }
    http = await serveHttp(store, config.BRIDGE_PORT, {
      ingest: { handle, maxBodyBytes: config.INGEST_MAX_BODY_BYTES, logger },
      host: config.BRIDGE_HOST,
      enforcement: { logger },
      metricsToken: config.METRICS_TOKEN,
    });
    if (!config.METRICS_TOKEN && !isLoopback(config.BRIDGE_HOST)) {
      logger.warn(
        { host: config.BRIDGE_HOST },
        "GET /metrics is open on a non-loopback address: set METRICS_TOKEN",
      );
    }
    rules = await startRulePublisher({
      store,
      mqttUrl,
      topicPrefix: config.ENFORCEMENT_TOPIC_PREFIX,
      natsUrl: config.NATS_URL,
      natsPrefix: config.ENFORCEMENT_NATS_PREFIX,
      intervalMs: config.ENFORCEMENT_PUBLISH_INTERVAL_MS,
      logger,
    });
    // The "every T seconds" half of checkpointing (the "every N records" half is in the append).
    checkpointTimer = setInterval(() => {
      checkpointAll(store).catch((error: Error) =>
        logger.error({ err: error }, "checkpoint failed"),
      );
    }, config.CHECKPOINT_INTERVAL_MS);
    checkpointTimer.unref();
    const httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    logger.info(
      { store: store.kind, mqtt: mqttUrl, nats: config.NATS_URL ?? null, http: httpUrl },
      "bridge: started",
    );
    return {
      store,
      mqttUrl,
      httpUrl,
      tally,
      nats,
      rules,
      logger,
      async stop() {
        clearInterval(checkpointTimer);
        await rules?.stop();
        // Stop taking HTTP requests first; requests already inside finish before close resolves.
        const httpClosed = new Promise<void>((resolve) => http?.close(() => resolve()));
        http?.closeIdleConnections();
        await stopSources();
        await httpClosed;
        await pipeline.stop();
        await checkpointAll(store);
        removePendingProbe();
        removeBehindProbe();
        await broker?.close();
        if (ownsStore) await store.close();
        unguard();
        logger.info(tally.summary(), "bridge: stopped");
      },
    };
  } catch (error) {
    clearInterval(checkpointTimer);
    await rules?.stop().catch(() => undefined);
    removePendingProbe();
    removeBehindProbe();
    await stopSources();
    await pipeline.stop().catch(() => undefined);
    http?.close();
    await broker?.close();
    if (ownsStore) await store.close();
    unguard();
    throw new Error("couldn't start the capture bridge", { cause: error });
  }
}
