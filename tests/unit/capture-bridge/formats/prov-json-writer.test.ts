/**
 * Read tolerantly, write strictly: every fixture the reader accepts (including those the strict
 * schema rejects) is written back as PROV-JSON that the schema accepts, checked by an independent
 * validator (Python's `jsonschema`, Draft 4, as ../shared/fixtures/prov-json/SOURCES.md did), and
 * reading what was written gives the same elements back.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseProvJson, parseProvJsonText } from "../../../../capture-bridge/formats/prov-json";
import {
  JSON_LITERAL_TYPE,
  writeProvJson,
} from "../../../../capture-bridge/formats/prov-json-writer";
import { parseSpadeRecords } from "../../../../capture-bridge/formats/spade-json";
import type { ProvGraph } from "../../../../db/prov/model";

const FIXTURES = path.resolve("../shared/fixtures");
const SCHEMA = path.join(FIXTURES, "prov-json-schema/prov-json-schema-v4.json");
const KEY = "00112233445566778899aabbccddeeff";

/** Schema errors per document, from Python's jsonschema (Draft4Validator). */
function schemaErrors(documents: unknown[]): string[][] {
  const script = [
    "import json, sys",
    "from jsonschema import Draft4Validator",
    `schema = json.load(open(${JSON.stringify(SCHEMA)}))`,
    "v = Draft4Validator(schema)",
    "docs = json.load(sys.stdin)",
    "print(json.dumps([[e.message[:200] for e in v.iter_errors(d)] for d in docs]))",
  ].join("\n");
  const run = spawnSync("python3", ["-c", script], {
    input: JSON.stringify(documents),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`python3 jsonschema failed: ${run.stderr || run.error}`);
  return JSON.parse(run.stdout) as string[][];
}

function fixtureGraphs(): [string, ProvGraph, unknown][] {
  const out: [string, ProvGraph, unknown][] = [];
  for (const name of readdirSync(path.join(FIXTURES, "prov-json")).filter((f) =>
    f.endsWith(".json"),
  )) {
    const text = readFileSync(path.join(FIXTURES, "prov-json", name), "utf8");
    out.push([
      name,
      parseProvJsonText(text, { documentKey: KEY }),
      JSON.parse(text.replace(/^\uFEFF/, "")),
    ]);
  }
  for (const name of [
    "website-walkthrough-v0.3.x-wget.json",
    "cytoscape-v0.1.7-camflow-socket.json",
  ]) {
    const text = readFileSync(path.join(FIXTURES, "camflow/w3c", name), "utf8");
    out.push([
      name,
      parseProvJsonText(text, { documentKey: KEY }),
      JSON.parse(text.replace(/^\uFEFF/, "")),
    ]);
  }
  // The badlog documents holding a nested cf:address, which the schema rejects as read.
  const badlog = readFileSync(path.join(FIXTURES, "camflow/w3c/camtool-v0.2.2-badlog.log"), "utf8")
    .split("\n")
    .filter((line) => line.startsWith("{") && line.includes('"cf:address"'))
    .slice(0, 3);
  badlog.forEach((line, i) => {
    out.push([
      `badlog address ${i}`,
      parseProvJsonText(line, { documentKey: KEY }),
      JSON.parse(line),
    ]);
  });
  const spade = readFileSync(
    path.join(FIXTURES, "camflow/spade-json/android-v0.8.0-example-cp.log"),
    "utf8",
  )
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as unknown);
  out.push(["spade cp", parseSpadeRecords(spade), null]);
  return out;
}

const shape = (graph: ProvGraph) => ({
  nodes: graph.nodes.map((n) => [n.id, n.kind]).sort(),
  relations: graph.relations.map((r) => [r.id, r.kind, r.from, r.to]).sort(),
});

describe("writeProvJson", () => {
  const graphs = fixtureGraphs();

  it("writes every fixture the reader accepts as PROV-JSON the strict schema accepts", () => {
    const originals = graphs.map(([, , original]) => original).filter((o) => o !== null);
    const rejectedAsRead = schemaErrors(originals).filter((errors) => errors.length > 0).length;
    expect(rejectedAsRead).toBeGreaterThanOrEqual(15); // lang+type literals, scruffy arrays, cf:address

    const written = graphs.map(([, graph]) => writeProvJson(graph));
    const errors = schemaErrors(written);
    expect(
      graphs.map(([name], i) => [name, errors[i]]).filter(([, e]) => (e as string[]).length > 0),
    ).toEqual([]);
  }, 60_000); // two python3 runs over 30 documents on a shared 2-core machine

  it("reads back what it wrote as the same nodes and relations", () => {
    for (const [name, graph] of graphs) {
      const reread = parseProvJson(writeProvJson(graph), { documentKey: KEY });
      // Blank nodes are scoped to the document that holds them; the fixtures' are re-scoped.
      const named = (g: ProvGraph) => {
        const s = shape(g);
        return JSON.stringify(s).includes('"_:') ? s.nodes.length : s;
      };
      expect(named(reread), name).toEqual(named(graph));
    }
  });

  it("keeps what PROV-JSON has no literal for as JSON text, typed", () => {
    const graph = parseProvJson(
      {
        prefix: { cf: "http://www.camflow.org" },
        entity: {
          "cf:a": {
            "cf:address": { type: "AF_INET", host: "1.2.3.4", service: "80" },
            "cf:none": null,
            "cf:nested": [[1], "x"],
            "cf:label": { $: "hi", type: "prov:InternationalizedString", lang: "en" },
          },
        },
      },
      { documentKey: KEY },
    );
    const written = writeProvJson(graph) as { entity: Record<string, Record<string, unknown>> };
    expect(written.entity["cf:a"]).toEqual({
      "cf:address": {
        $: '{"type":"AF_INET","host":"1.2.3.4","service":"80"}',
        type: JSON_LITERAL_TYPE,
      },
      "cf:none": { $: "null", type: JSON_LITERAL_TYPE },
      "cf:nested": [{ $: "[1]", type: JSON_LITERAL_TYPE }, "x"],
      "cf:label": { $: "hi", lang: "en" },
    });
  });

  it("round-trips random graphs read from random documents (property)", () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/);
    const literal = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.record({ $: fc.string(), type: fc.constantFrom("xsd:string", "xsd:int") }),
      fc.record({ $: fc.string(), lang: fc.constantFrom("en", "fr") }),
    );
    const doc = fc.record({
      prefix: fc.constant({ ex: "http://example.org/ns#", other: "urn:o/" }),
      entity: fc.dictionary(
        name.map((n) => `ex:${n}`),
        fc.dictionary(
          name.map((n) => `ex:${n}`),
          literal,
        ),
      ),
      activity: fc.dictionary(
        name.map((n) => `other:${n}`),
        fc.constant({}),
      ),
      used: fc.dictionary(
        name.map((n) => `ex:u${n}`),
        fc.record({
          "prov:activity": name.map((n) => `other:${n}`),
          "prov:entity": name.map((n) => `ex:${n}`),
        }),
      ),
    });
    fc.assert(
      fc.property(doc, (d) => {
        const graph = parseProvJson(d, { documentKey: KEY });
        const reread = parseProvJson(writeProvJson(graph), { documentKey: KEY });
        expect(shape(reread)).toEqual(shape(graph));
        expect(reread.nodes.map((n) => n.attributes)).toEqual(graph.nodes.map((n) => n.attributes));
      }),
      { numRuns: 200 },
    );
  });
});
