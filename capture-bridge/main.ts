/**
 * The bridge's composition root: opens the store, starts the MQTT source (and, with no
 * MQTT_URL, an embedded broker), and serves GET /healthz. `start()` resolves once every part
 * listens; `stop()` stops taking messages, lets the queued ones finish, then closes the store.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { openStore, pingStore, type Store } from "../db/client";
import type { BridgeConfig } from "./config";
import { IngestTally, ingestMessage } from "./pipeline/ingest";
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
  const tally = new IngestTally();
  let broker: EmbeddedBroker | undefined;
  let source: MqttSource | undefined;
  let http: Server | undefined;
  try {
    if (!config.MQTT_URL) broker = await startEmbeddedBroker(config.MQTT_PORT, log);
    const mqttUrl = config.MQTT_URL ?? (broker as EmbeddedBroker).url;
    source = await startMqttSource({
      url: mqttUrl,
      topicPrefix: config.MQTT_TOPIC_PREFIX,
      onMessage: async (message) => {
        await ingestMessage(store, message, tally);
      },
      onError: (error) => log(`bridge: ${error.message}`),
    });
    http = await serveHealth(store, config.BRIDGE_PORT);
    const httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    return {
      store,
      mqttUrl,
      httpUrl,
      tally,
      async stop() {
        await source?.stop();
        await new Promise<void>((resolve) => http?.close(() => resolve()));
        await broker?.close();
        if (ownsStore) await store.close();
      },
    };
  } catch (error) {
    await source?.stop().catch(() => undefined);
    http?.close();
    await broker?.close();
    if (ownsStore) await store.close();
    throw new Error("couldn't start the capture bridge", { cause: error });
  }
}

function serveHealth(store: Store, port: number): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method === "GET" && request.url === "/healthz") {
      pingStore(store).then(
        () => {
          response.writeHead(200, { "content-type": "application/json" });
          response.end(JSON.stringify({ status: "ok", store: store.kind }));
        },
        (error: Error) => {
          response.writeHead(503, { "content-type": "application/json" });
          response.end(JSON.stringify({ status: "unavailable", error: error.message }));
        },
      );
      return;
    }
    response.writeHead(404, { "content-type": "text/plain" });
    response.end("not found\n");
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}
