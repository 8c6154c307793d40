/**
 * How fast the readers turn real capture text into elements, without a store:
 * `npm run bench -- formats [--quick]`. Each row splits a fixture as the pipeline does
 * (decode.ts readDocuments) and parses it (W3C PROV-JSON per document, SPADE JSON per file),
 * for at least a fixed wall time, after a warm-up. A bench throws only for a wrong count.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseProvJson } from "../../capture-bridge/formats/prov-json";
import { writeProvJson } from "../../capture-bridge/formats/prov-json-writer";
import { parseSpadeRecords } from "../../capture-bridge/formats/spade-json";
import { readDocuments } from "../../capture-bridge/pipeline/decode";
import {
  type BenchOptions,
  type BenchResult,
  type BenchRow,
  currentLoad,
  describeEnvironment,
} from "./bench-result";

const FIXTURES = path.resolve("../shared/fixtures");

interface Case {
  label: string;
  text: string;
  /** Elements the case must yield per pass (from the integration test's independent count). */
  elements: number;
  parse(text: string): number;
}

const w3c = (text: string) => {
  let n = 0;
  for (const document of readDocuments(text)) {
    if (!document.ok) throw new Error(`fixture line not read: ${document.reason}`);
    const graph = parseProvJson(document.value, { documentKey: "bench" });
    n += graph.nodes.length + graph.relations.length;
  }
  return n;
};

const spade = (text: string) => {
  const graph = parseSpadeRecords(readDocuments(text).flatMap((d) => (d.ok ? [d.value] : [])));
  return graph.nodes.length + graph.relations.length;
};

function cases(): Case[] {
  const read = (file: string) => readFileSync(path.join(FIXTURES, file), "utf8");
  const badlog = read("camflow/w3c/camtool-v0.2.2-badlog.log");
  const writtenBadlog = readDocuments(badlog)
    .map((d) =>
      d.ok ? JSON.stringify(writeProvJson(parseProvJson(d.value, { documentKey: "b" }))) : "",
    )
    .join("\n");
  return [
    {
      label: "CamFlow W3C v0.2.2 log (camtool badlog, 192 documents)",
      text: badlog,
      elements: 4038,
      parse: w3c,
    },
    {
      label: "CamFlow SPADE JSON v0.8.0 log (android cp, 87 records)",
      text: read("camflow/spade-json/android-v0.8.0-example-cp.log"),
      elements: 86,
      parse: spade,
    },
    {
      label: "the badlog documents as writeProvJson writes them (strict PROV-JSON)",
      text: writtenBadlog,
      elements: 4038,
      parse: w3c,
    },
  ];
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const start = { date: new Date(), load: currentLoad() };
  const seconds = quick ? 1 : 5;
  const rows: BenchRow[] = [];
  for (const c of cases()) {
    const once = c.parse(c.text);
    if (once !== c.elements)
      throw new Error(`${c.label}: expected ${c.elements} elements, got ${once}`);
    for (let i = 0; i < 3; i++) c.parse(c.text);
    const t0 = performance.now();
    let passes = 0;
    while (performance.now() - t0 < seconds * 1000) {
      c.parse(c.text);
      passes += 1;
    }
    const elapsedS = (performance.now() - t0) / 1000;
    rows.push({
      section: "parse only: decode.ts split + reader, no store",
      label: c.label,
      figures: [
        { name: "bytes", value: Buffer.byteLength(c.text), unit: "B" },
        { name: "passes", value: passes, unit: "" },
        { name: "elements/s", value: Math.round((passes * c.elements) / elapsedS), unit: "" },
        {
          name: "MB/s",
          value: (passes * Buffer.byteLength(c.text)) / elapsedS / 1e6,
          unit: "",
          digits: 1,
        },
      ],
    });
  }
  return {
    title: "Readers: real CamFlow captures to elements, without a store",
    quick,
    parameters: { secondsPerCase: seconds },
    rows,
    notes: [
      "One Node thread; the figures include JSON.parse. Under load (see loadAverage) they are lower bounds.",
    ],
    environment: describeEnvironment([], { ...start }),
  };
}
