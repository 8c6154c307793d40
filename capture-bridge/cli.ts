/**
 * `provtopia <command>`: the operator's command line. Every command honours DATABASE_URL
 * (else the embedded PGlite store) and migrates a new store before it does anything.
 *
 *   ingest FILE... [--host NAME] [--json]   store provenance files; print what was read
 *   stats [--json]                          the store's totals
 *   bridge                                  run the capture bridge (MQTT, GET /healthz)
 *   start                                   the demo: bridge + seed + portal (npm start)
 *   migrate                                 apply migrations and exit
 */
import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { closeAllStores, openStore, type Store } from "../db/client";
import { storeStats } from "../db/queries/stats";
import { type BridgeConfig, loadConfig } from "./config";
import { DEMO_ACCOUNTS } from "./demo/demo-org";
import { seedDemo } from "./demo/seed";
import { servePortal } from "./demo/serve-portal";
import { startBridge } from "./main";
import { IngestTally, ingestMessage } from "./pipeline/ingest";

const USAGE = `usage: provtopia <command>

  ingest FILE... [--host NAME] [--json]   store PROV-JSON / CamFlow files
  stats [--json]                          the store's totals
  bridge                                  run the capture bridge
  start                                   run the demo: bridge, seed, portal
  migrate                                 apply the store's migrations

Environment: DATABASE_URL (default: embedded store in .data/pglite), MQTT_URL (default:
embedded broker on MQTT_PORT=1883), BRIDGE_PORT=3001, PORT=3000.`;

class UsageError extends Error {
  readonly code = "USAGE";
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const config = loadConfig();
  switch (command) {
    case "ingest":
      return ingest(config, rest);
    case "stats":
      return stats(config, rest);
    case "migrate":
      return withStore(config, async () => {
        console.log("store is up to date");
        return 0;
      });
    case "bridge":
      return runBridge(config);
    case "start":
      return runDemo(config);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

async function withStore<T>(config: BridgeConfig, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({ url: config.DATABASE_URL, dataDir: config.PGLITE_DIR });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

async function ingest(config: BridgeConfig, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean" }, host: { type: "string" } },
  });
  if (positionals.length === 0) throw new UsageError("ingest needs at least one FILE");
  const host = values.host ?? hostname();
  return withStore(config, async (store) => {
    const tally = new IngestTally();
    for (const file of positionals) {
      let payload: Buffer;
      try {
        payload = await readFile(file);
      } catch (error) {
        throw new UsageError(`couldn't read ${file}: ${(error as Error).message}`);
      }
      await ingestMessage(store, { source: `file:${file}`, host, payload }, tally);
    }
    const summary = tally.summary();
    if (values.json) console.log(JSON.stringify(summary));
    else
      console.log(
        `${positionals.length} file(s), ${tally.documents} document(s): ${summary.nodes} nodes, ${summary.relations} relations read, ${summary.new} new, ${summary.quarantined} quarantined`,
      );
    return 0;
  });
}

async function stats(config: BridgeConfig, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: "boolean" } } });
  return withStore(config, async (store) => {
    const totals = await storeStats(store);
    if (values.json) console.log(JSON.stringify(totals));
    else
      console.log(
        Object.entries(totals)
          .map(([key, value]) => `${key.padEnd(12)}${value}`)
          .join("\n"),
      );
    return 0;
  });
}

async function runBridge(config: BridgeConfig): Promise<number> {
  const bridge = await startBridge(config);
  console.log(
    `bridge: store ${bridge.store.kind}, MQTT ${bridge.mqttUrl}, health ${bridge.httpUrl}/healthz`,
  );
  await untilSignal();
  await bridge.stop();
  return 0;
}

async function runDemo(config: BridgeConfig): Promise<number> {
  const bridge = await startBridge(config);
  try {
    const seeded = await seedDemo(bridge.store, bridge, config.MQTT_TOPIC_PREFIX);
    const portal = await servePortal(config.PORT);
    const logins = DEMO_ACCOUNTS.map(
      (a) =>
        `  ${a.email.padEnd(26)} ${a.password.padEnd(18)} ${a.role === "dpo" ? "DPO" : "data subject"}`,
    );
    console.log(
      [
        "",
        `Provtopia is running: http://localhost:${config.PORT}`,
        "",
        "Demo log-ins:",
        ...logins,
        "",
        `store:  ${bridge.store.kind === "pglite" ? `embedded (${config.PGLITE_DIR})` : "PostgreSQL"}${seeded === "seeded" ? ", demo organisation seeded" : ""}`,
        `bridge: MQTT ${bridge.mqttUrl} (topic ${config.MQTT_TOPIC_PREFIX}/<host>), health ${bridge.httpUrl}/healthz`,
        "Ctrl-C stops.",
      ].join("\n"),
    );
    await untilSignal();
    await new Promise<void>((resolve) => portal.close(() => resolve()));
  } finally {
    await bridge.stop();
    await closeAllStores(); // the portal's own store, opened inside its server bundle
  }
  return 0;
}

/** Resolves on the first SIGINT/SIGTERM; a second one exits at once. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      console.log(`${signal}: stopping (again to force)`);
      process.once("SIGINT", () => process.exit(130));
      process.once("SIGTERM", () => process.exit(143));
      resolve();
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`provtopia: ${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    console.error("provtopia:", error);
    process.exitCode = 1;
  },
);
