/**
 * Ingest throughput: PROV-JSON messages through the bridge's one path (`ingestMessage`:
 * decode, split, parse, `ingestGraph` in one transaction per document) into each store this
 * machine offers: the real PostgreSQL when DATABASE_URL is set (a fresh database, dropped
 * afterwards) and embedded PGlite (memory://). Documents are sent one at a time, as a source
 * would, so per-document latency is what a broker's consumer waits.
 *
 * Measured per store: a first delivery of generated documents (tests/bench/prov-generator.ts),
 * a second delivery of the same documents (idempotence: it must store nothing new, and this
 * bench throws if it does), and one real CamFlow 2017 log file sent as a single file message.
 * A "parse only" row runs the same documents without a store, the CPU ceiling of the bridge.
 *
 * Each store gets a few warm-up documents first (other ids, not counted), so PGlite's slow
 * first queries are not in the latency figures. PostgreSQL runs first: PGlite lives in this
 * process and its heap would otherwise inflate the other store's RSS.
 */

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseProvJson } from "../../capture-bridge/formats/prov-json";
import { decodePayload, readDocuments } from "../../capture-bridge/pipeline/decode";
import { IngestTally, ingestMessage, type Message } from "../../capture-bridge/pipeline/ingest";
import type { Store } from "../../db/client";
import { createTestStore, REAL_DATABASE_URL, type StoreKind } from "../setup/databases";
import {
  type BenchOptions,
  type BenchResult,
  type BenchRow,
  currentLoad,
  describeEnvironment,
  type Figure,
  type StoreDescription,
} from "./bench-result";
import { countRows, percentile, serverVersion } from "./bench-stats";
import { type DocumentFlavour, type GeneratedDocument, generateDocuments } from "./prov-generator";

const FIXTURE_PATH = path.resolve("../shared/fixtures/camflow/w3c/camtool-v0.2.2-badlog.log");
const SEED = 20_240_501;
const SIZES = {
  quick: { documents: 30, warmUp: 5 },
  full: { documents: 300, warmUp: 20 },
} as const;
const ELEMENTS_PER_DOCUMENT = { min: 100, max: 500 } as const;
const APP_SHARE = 0.3;
const RSS_SAMPLE_INTERVAL_MS = 25;

interface Pass {
  documents: number;
  elements: number;
  elapsedMs: number;
  latenciesMs: number[];
  tally: IngestTally;
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const start = { date: new Date(), load: currentLoad() };
  const sizes = quick ? SIZES.quick : SIZES.full;
  const generatorOptions = {
    seed: SEED,
    documents: sizes.documents,
    minElements: ELEMENTS_PER_DOCUMENT.min,
    maxElements: ELEMENTS_PER_DOCUMENT.max,
    appShare: APP_SHARE,
  };
  const documents = generateDocuments({ ...generatorOptions, runTag: "bench" });
  const warmUp = generateDocuments({
    ...generatorOptions,
    seed: SEED + 1,
    documents: sizes.warmUp,
    runTag: "warm-up",
  });
  const fixture = readFileSync(FIXTURE_PATH);
  const kinds: StoreKind[] = REAL_DATABASE_URL ? ["postgres", "pglite"] : ["pglite"];

  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const stores: StoreDescription[] = [];
  const synthetic = "synthetic PROV-JSON, first delivery (one message per document)";
  const redelivery = "re-delivery of the same documents (idempotence: new must be 0)";
  const byFlavour = "first delivery by document flavour";
  const real = `real capture: ${FIXTURE_PATH.split("/").pop()} as one file message`;

  const parseOnly = measureParseOnly(documents);
  for (const kind of kinds) {
    const rssBeforeMb = rssMb();
    const sampler = startRssSampler();
    const openedMs = performance.now();
    const testStore = await createTestStore(kind);
    try {
      const { store } = testStore;
      const openMs = performance.now() - openedMs;
      stores.push({ kind, version: await serverVersion(store) });
      await ingestDocuments(store, warmUp, sampler);

      const first = await ingestDocuments(store, documents, sampler);
      requireNothingQuarantined(kind, "first delivery", first.tally);
      const second = await ingestDocuments(store, documents, sampler);
      requireNothingQuarantined(kind, "re-delivery", second.tally);
      if (second.tally.newElements !== 0) {
        throw new Error(
          `${kind}: re-delivering ${second.documents} documents stored ${second.tally.newElements} new elements; want 0`,
        );
      }
      const personalDataSources = await countRows(store, "personal_data_sources");

      const fixtureFirst = await ingestFile(store, fixture, sampler);
      const fixtureSecond = await ingestFile(store, fixture, sampler);
      const peakRssMb = sampler.stop();

      rows.push({
        section: synthetic,
        label: kind,
        figures: [
          ...throughputFigures(first),
          { name: "new", value: first.tally.newElements, unit: "" },
          { name: "peak RSS", value: peakRssMb, unit: "MB" },
        ],
      });
      rows.push({
        section: redelivery,
        label: kind,
        figures: [
          { name: "new", value: second.tally.newElements, unit: "" },
          ...throughputFigures(second),
        ],
      });
      for (const flavour of ["camflow", "app"] as const) {
        rows.push({
          section: byFlavour,
          label: `${kind}, ${flavour === "app" ? "app-level (gdpr:)" : "CamFlow-shaped"}`,
          figures: throughputFigures(onlyFlavour(first, documents, flavour)),
        });
      }
      const fixtureSummary = fixtureFirst.tally.summary();
      rows.push({
        section: real,
        label: kind,
        figures: [
          {
            name: "documents",
            value: fixtureFirst.tally.documents + fixtureSummary.quarantined,
            unit: "",
          },
          { name: "stored", value: fixtureFirst.tally.documents, unit: "" },
          { name: "quarantined", value: fixtureSummary.quarantined, unit: "" },
          { name: "elements", value: fixtureSummary.nodes + fixtureSummary.relations, unit: "" },
          { name: "new", value: fixtureSummary.new, unit: "" },
          { name: "time", value: fixtureFirst.elapsedMs, unit: "ms" },
          {
            name: "elements/s",
            value: perSecond(
              fixtureSummary.nodes + fixtureSummary.relations,
              fixtureFirst.elapsedMs,
            ),
            unit: "",
          },
          { name: "re-delivery new", value: fixtureSecond.tally.newElements, unit: "" },
          { name: "re-delivery time", value: fixtureSecond.elapsedMs, unit: "ms" },
        ],
      });
      notes.push(
        `${kind}: opened and migrated in ${Math.round(openMs)} ms; RSS ${rssBeforeMb} MB before opening; ${personalDataSources} personal-data sources stored from the generated documents.`,
      );
    } finally {
      sampler.stop();
      await testStore.dispose();
    }
  }
  rows.push({
    section: synthetic,
    label: "parse only (no store)",
    figures: throughputFigures(parseOnly),
  });

  const elements = documents.reduce((sum, d) => sum + d.elements, 0);
  const appDocuments = documents.filter((d) => d.flavour === "app").length;
  notes.unshift(
    `${documents.length} generated documents (${appDocuments} app-level, ${documents.length - appDocuments} CamFlow-shaped), ${elements} elements, ${ELEMENTS_PER_DOCUMENT.min}-${ELEMENTS_PER_DOCUMENT.max} per document; ${sizes.warmUp} warm-up documents per store not counted.`,
    "Latency is per document, sent one at a time (decode + parse + one transaction); elements/s is elements delivered over wall time, whether new or not.",
    "Peak RSS is this Node process, sampled every 25 ms and after each document: it includes PGlite (in-process) but not the PostgreSQL server.",
    "The real capture is ingested after the generated documents, into the same store.",
  );
  if (!REAL_DATABASE_URL) notes.push("DATABASE_URL is not set: PostgreSQL was not measured.");

  return {
    title: "Ingest throughput: PROV-JSON messages through ingestMessage() into the store",
    quick,
    parameters: {
      ...generatorOptions,
      warmUpDocuments: sizes.warmUp,
      fixture: FIXTURE_PATH,
    },
    rows,
    notes,
    environment: describeEnvironment(stores, start),
  };
}

async function ingestDocuments(
  store: Store,
  documents: GeneratedDocument[],
  sampler: RssSampler,
): Promise<Pass> {
  const tally = new IngestTally();
  const latenciesMs: number[] = [];
  const started = performance.now();
  for (const document of documents) {
    const message: Message = {
      source: document.source,
      host: document.host,
      payload: document.payload,
    };
    const before = performance.now();
    await ingestMessage(store, message, tally);
    latenciesMs.push(performance.now() - before);
    sampler.sample();
  }
  return {
    documents: documents.length,
    elements: documents.reduce((sum, d) => sum + d.elements, 0),
    elapsedMs: performance.now() - started,
    latenciesMs,
    tally,
  };
}

async function ingestFile(store: Store, payload: Uint8Array, sampler: RssSampler) {
  const tally = new IngestTally();
  const message: Message = { source: `file:${FIXTURE_PATH}`, host: "camtool-v0.2.2", payload };
  const started = performance.now();
  await ingestMessage(store, message, tally);
  const elapsedMs = performance.now() - started;
  sampler.sample();
  return { tally, elapsedMs };
}

/** The bridge's CPU work without a store: decode, split, hash, parse. */
function measureParseOnly(documents: GeneratedDocument[]): Pass {
  const latenciesMs: number[] = [];
  const started = performance.now();
  for (const document of documents) {
    const before = performance.now();
    for (const part of readDocuments(decodePayload(document.payload))) {
      if (!part.ok) throw new Error(`generated document is not JSON: ${part.reason}`);
      const documentKey = createHash("sha256").update(part.text).digest("hex");
      parseProvJson(part.value, { documentKey });
    }
    latenciesMs.push(performance.now() - before);
  }
  return {
    documents: documents.length,
    elements: documents.reduce((sum, d) => sum + d.elements, 0),
    elapsedMs: performance.now() - started,
    latenciesMs,
    tally: new IngestTally(),
  };
}

/** The documents of one flavour out of a pass; elapsed time is the sum of their latencies. */
function onlyFlavour(pass: Pass, documents: GeneratedDocument[], flavour: DocumentFlavour): Pass {
  const latenciesMs: number[] = [];
  let elements = 0;
  documents.forEach((document, i) => {
    if (document.flavour !== flavour) return;
    latenciesMs.push(pass.latenciesMs[i] ?? 0);
    elements += document.elements;
  });
  return {
    documents: latenciesMs.length,
    elements,
    elapsedMs: latenciesMs.reduce((sum, ms) => sum + ms, 0),
    latenciesMs,
    tally: pass.tally,
  };
}

function throughputFigures(pass: Pass): Figure[] {
  return [
    { name: "documents", value: pass.documents, unit: "" },
    { name: "elements", value: pass.elements, unit: "" },
    { name: "elements/s", value: perSecond(pass.elements, pass.elapsedMs), unit: "" },
    { name: "documents/s", value: perSecond(pass.documents, pass.elapsedMs), unit: "" },
    { name: "p50", value: percentile(pass.latenciesMs, 0.5), unit: "ms" },
    { name: "p99", value: percentile(pass.latenciesMs, 0.99), unit: "ms" },
  ];
}

function requireNothingQuarantined(kind: StoreKind, pass: string, tally: IngestTally): void {
  if (tally.quarantined !== 0) {
    throw new Error(
      `${kind}, ${pass}: ${tally.quarantined} generated documents quarantined; want 0`,
    );
  }
}

function perSecond(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (count * 1000) / elapsedMs : 0;
}

/** Nearest-rank percentile; null for no samples. Requires 0 < p <= 1. */

function rssMb(): number {
  return Math.round(process.memoryUsage.rss() / 2 ** 20);
}

type RssSampler = ReturnType<typeof startRssSampler>;

/** Samples RSS on a timer and on demand; `stop()` returns the peak in MB (idempotent). */
function startRssSampler() {
  let peak = process.memoryUsage.rss();
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage.rss());
  };
  const timer = setInterval(sample, RSS_SAMPLE_INTERVAL_MS);
  timer.unref();
  return {
    sample,
    stop(): number {
      clearInterval(timer);
      sample();
      return Math.round(peak / 2 ** 20);
    },
  };
}
