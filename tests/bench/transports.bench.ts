/**
 * Transports: how fast the bridge drains each network source into the real PostgreSQL, one
 * message per generated PROV-JSON document (tests/bench/prov-generator.ts), a fresh database
 * per row (so every element is new).
 *
 * - NATS JetStream: the documents are published to a fresh stream first, then the bridge's
 *   NATS source drains it; the clock runs from the source's start until every message is
 *   acknowledged (the work-queue stream is empty). Rows compare NATS_MAX_IN_FLIGHT 1 and 16 and
 *   two bridges (two connections) sharing the durable consumer.
 * - HTTP: `POST /ingest` with a host token, 1 and 8 requests at a time; latency per request.
 *
 * Needs DATABASE_URL (and NATS_URL for the NATS rows); it throws if a row quarantines
 * anything or leaves messages unacknowledged (a wrong result), never for a slow one.
 */
import { sql } from "drizzle-orm";
import { loadConfig } from "../../capture-bridge/config";
import { meteredIngest } from "../../capture-bridge/intake";
import { createLogger } from "../../capture-bridge/logger";
import { startBridge } from "../../capture-bridge/main";
import { IngestTally, type Message } from "../../capture-bridge/pipeline/ingest";
import { type NatsSource, startNatsSource } from "../../capture-bridge/sources/nats";
import { issueHostToken } from "../../db/auth/host-tokens";
import {
  createTestStore,
  REAL_DATABASE_URL,
  REAL_NATS_URL,
  type TestStore,
} from "../setup/databases";
import { createTestStream } from "../setup/nats";
import { until } from "../setup/until";
import {
  type BenchOptions,
  type BenchResult,
  type BenchRow,
  currentLoad,
  describeEnvironment,
  type Figure,
  type StoreDescription,
} from "./bench-result";
import { percentile, perSecond, serverVersion } from "./bench-stats";
import { type GeneratedDocument, generateDocuments } from "./prov-generator";

const SEED = 20_261_130;
const SIZES = { quick: 60, full: 400 } as const;
const logger = createLogger("silent");

interface Drain {
  documents: number;
  elements: number;
  newElements: number;
  elapsedMs: number;
  latenciesMs: number[];
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const start = { date: new Date(), load: currentLoad() };
  if (!REAL_DATABASE_URL) throw new Error("the transports bench needs DATABASE_URL (PostgreSQL)");
  const documents = generateDocuments({
    seed: SEED,
    documents: quick ? SIZES.quick : SIZES.full,
    minElements: 50,
    maxElements: 300,
    appShare: 0.3,
    runTag: "transports",
  });
  const rows: BenchRow[] = [];
  const notes: string[] = [
    "2-core machine shared with other work: figures are lower bounds; compare rows of one run.",
    "Latency is per message inside the bridge (NATS: handed to the pipeline until committed; HTTP: the whole request).",
  ];
  const stores: StoreDescription[] = [];
  const nats = "NATS JetStream, drain a pre-filled stream into PostgreSQL";
  if (REAL_NATS_URL) {
    for (const [label, bridges, inFlight] of [
      ["1 bridge, NATS_MAX_IN_FLIGHT=1", 1, 1],
      ["1 bridge, NATS_MAX_IN_FLIGHT=16", 1, 16],
      ["2 bridges sharing the consumer, 16 each", 2, 16],
    ] as const) {
      const result = await withStore(stores, (t) =>
        drainNats(t, documents, REAL_NATS_URL as string, bridges, inFlight),
      );
      rows.push({ section: nats, label, figures: figures(result) });
    }
  } else {
    notes.push("NATS_URL is not set: the NATS rows were not measured.");
  }
  const http = "HTTP POST /ingest into PostgreSQL";
  for (const concurrency of [1, 8]) {
    const result = await withStore(stores, (t) => postAll(t, documents, concurrency));
    rows.push({
      section: http,
      label: `${concurrency} request(s) at a time`,
      figures: figures(result),
    });
  }
  return {
    title: "Transports: NATS JetStream and POST /ingest through the bridge into PostgreSQL",
    quick,
    parameters: { seed: SEED, documents: documents.length, minElements: 50, maxElements: 300 },
    rows,
    notes,
    environment: describeEnvironment(stores.slice(0, 1), start),
  };
}

async function withStore<T>(stores: StoreDescription[], work: (t: TestStore) => Promise<T>) {
  const t = await createTestStore("postgres");
  try {
    stores.push({ kind: "postgres", version: await serverVersion(t.store) });
    return await work(t);
  } finally {
    await t.dispose();
  }
}

function figures(result: Drain): Figure[] {
  return [
    { name: "documents", value: result.documents, unit: "" },
    { name: "elements", value: result.elements, unit: "" },
    { name: "elements/s", value: perSecond(result.elements, result.elapsedMs), unit: "" },
    { name: "documents/s", value: perSecond(result.documents, result.elapsedMs), unit: "" },
    { name: "p50", value: percentile(result.latenciesMs, 0.5), unit: "ms" },
    { name: "p99", value: percentile(result.latenciesMs, 0.99), unit: "ms" },
    { name: "new", value: result.newElements, unit: "" },
  ];
}

const elementsOf = (documents: GeneratedDocument[]) =>
  documents.reduce((total, d) => total + d.elements, 0);

async function drainNats(
  t: TestStore,
  documents: GeneratedDocument[],
  url: string,
  bridges: number,
  maxInFlight: number,
): Promise<Drain> {
  const stream = await createTestStream(url);
  const sources: NatsSource[] = [];
  try {
    await stream.createStream();
    for (const d of documents) await stream.publish(d.host, d.payload);
    const tally = new IngestTally();
    const ingest = meteredIngest(t.store, tally);
    const latenciesMs: number[] = [];
    const timedIngest = async (message: Message) => {
      const began = performance.now();
      const outcome = await ingest(message);
      latenciesMs.push(performance.now() - began);
      return outcome;
    };
    const began = performance.now();
    for (let i = 0; i < bridges; i++) {
      sources.push(
        await startNatsSource({
          url,
          subjectPrefix: stream.prefix,
          stream: stream.stream,
          consumer: stream.consumer,
          maxInFlight,
          ackWaitMs: 60_000,
          onMessage: timedIngest,
          logger,
        }),
      );
    }
    await until(async () => (await stream.streamMessages()) === 0, "the stream to drain", 600_000);
    const elapsedMs = performance.now() - began;
    if (tally.quarantined > 0) throw new Error(`NATS: ${tally.quarantined} quarantined, want 0`);
    return {
      documents: documents.length,
      elements: elementsOf(documents),
      newElements: tally.newElements,
      elapsedMs,
      latenciesMs,
    };
  } finally {
    await Promise.all(sources.map((source) => source.stop()));
    await stream.dispose();
  }
}

async function postAll(
  t: TestStore,
  documents: GeneratedDocument[],
  concurrency: number,
): Promise<Drain> {
  const bridge = await startBridge(
    loadConfig({ MQTT_PORT: "0", BRIDGE_PORT: "0", LOG_LEVEL: "silent" }),
    { store: t.store },
  );
  try {
    const tokens = new Map<string, string>();
    for (const host of new Set(documents.map((d) => d.host))) {
      tokens.set(host, (await issueHostToken(t.store, host)).token);
    }
    const latenciesMs: number[] = [];
    let next = 0;
    let newElements = 0;
    const worker = async () => {
      for (let i = next++; i < documents.length; i = next++) {
        const d = documents[i] as GeneratedDocument;
        const began = performance.now();
        const response = await fetch(`${bridge.httpUrl}/ingest`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${tokens.get(d.host)}`,
            "content-type": "application/json",
          },
          body: Buffer.from(d.payload),
        });
        const answer = (await response.json()) as { new?: number; quarantined?: number };
        latenciesMs.push(performance.now() - began);
        if (response.status !== 200 || answer.quarantined !== 0) {
          throw new Error(
            `POST /ingest: want 200 and nothing quarantined, got ${response.status} ${JSON.stringify(answer)}`,
          );
        }
        newElements += answer.new ?? 0;
      }
    };
    const began = performance.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    const elapsedMs = performance.now() - began;
    const [row] = await t.store.rows<{ n: number }>(sql`select count(*)::int as n from prov_nodes`);
    if (!row || row.n === 0) throw new Error("POST /ingest: nothing stored");
    return {
      documents: documents.length,
      elements: elementsOf(documents),
      newElements,
      elapsedMs,
      latenciesMs,
    };
  } finally {
    await bridge.stop();
  }
}
