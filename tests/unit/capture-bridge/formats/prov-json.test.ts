import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  ProvFormatError,
  parseProvJson,
  parseProvJsonText,
} from "../../../../capture-bridge/formats/prov-json";
import type { ProvGraph } from "../../../../db/prov/model";

const FIXTURES = path.resolve(process.cwd(), "../shared/fixtures");
const PROV_JSON_DIR = path.join(FIXTURES, "prov-json");
const CAMFLOW_W3C_DIR = path.join(FIXTURES, "camflow", "w3c");
const WGET = path.join(CAMFLOW_W3C_DIR, "website-walkthrough-v0.3.x-wget.json");
const CYTOSCAPE = path.join(CAMFLOW_W3C_DIR, "cytoscape-v0.1.7-camflow-socket.json");

/**
 * Expected counts, taken from the fixtures by hand and cross-checked with an independent Python
 * count (nodes: distinct expanded ids in entity/activity/agent plus bundle ids; relations: one per
 * statement with both endpoints, one per hadMember member). start10 and end10 have no
 * `prov:trigger`: their statement keeps its starter / ender as the dependency.
 */
const PROV_JSON_EXPECTED: Record<string, { nodes: number; relations: number }> = {
  "activity8.json": { nodes: 1, relations: 0 },
  "agent7.json": { nodes: 1, relations: 0 },
  "alternate1.json": { nodes: 0, relations: 1 },
  "association9.json": { nodes: 0, relations: 1 },
  "attribution8.json": { nodes: 0, relations: 1 },
  "bundle1.json": { nodes: 6, relations: 2 },
  "communication6.json": { nodes: 0, relations: 1 },
  "delegation8.json": { nodes: 0, relations: 1 },
  "derivation8.json": { nodes: 0, relations: 1 },
  "end10.json": { nodes: 0, relations: 1 },
  "entity10.json": { nodes: 1, relations: 0 },
  "generation5.json": { nodes: 0, relations: 1 },
  "influence7.json": { nodes: 0, relations: 1 },
  "invalidation5.json": { nodes: 0, relations: 1 },
  "member3.json": { nodes: 0, relations: 3 },
  "mention2.json": { nodes: 0, relations: 1 },
  "provtoolbox-prov-json-spec-examples.json": { nodes: 10, relations: 18 },
  "scruffy-generation2-M.json": { nodes: 2, relations: 2 },
  "scruffy-usage2-M.json": { nodes: 2, relations: 2 },
  "specialization1.json": { nodes: 0, relations: 1 },
  "start10.json": { nodes: 0, relations: 1 },
  "usage5.json": { nodes: 0, relations: 1 },
};

const CAMFLOW_EXPECTED: Record<string, { nodes: number; relations: number }> = {
  [WGET]: { nodes: 6, relations: 4 },
  [CYTOSCAPE]: { nodes: 116, relations: 170 },
};

const KEY = "0123456789abcdef0123456789abcdef";
const SCOPE = KEY.slice(0, 16);

function parseFile(file: string): ProvGraph {
  return parseProvJsonText(readFileSync(file, "utf8"));
}

function parseProvFixture(name: string): ProvGraph {
  return parseProvJsonText(readFileSync(path.join(PROV_JSON_DIR, name), "utf8"), {
    documentKey: KEY,
  });
}

function node(graph: ProvGraph, id: string) {
  const found = graph.nodes.find((n) => n.id === id);
  if (found === undefined) throw new Error(`no node ${id} in ${graph.nodes.map((n) => n.id)}`);
  return found;
}

function relation(graph: ProvGraph, id: string) {
  const found = graph.relations.find((r) => r.id === id);
  if (found === undefined)
    throw new Error(`no relation ${id} in ${graph.relations.map((r) => r.id)}`);
  return found;
}

function formatError(run: () => unknown): ProvFormatError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ProvFormatError);
    return error as ProvFormatError;
  }
  throw new Error("expected a ProvFormatError, nothing was thrown");
}

describe("parseProvJsonText over the fixtures", () => {
  const files = readdirSync(PROV_JSON_DIR)
    .filter((name) => name.endsWith(".json"))
    .sort();

  it("has an expectation for every PROV-JSON fixture", () => {
    expect(files).toEqual(Object.keys(PROV_JSON_EXPECTED).sort());
  });

  it.each(files)("parses prov-json/%s with the expected counts", (name) => {
    const graph = parseFile(path.join(PROV_JSON_DIR, name));
    const expected = PROV_JSON_EXPECTED[name];
    expect({ nodes: graph.nodes.length, relations: graph.relations.length }).toEqual(expected);
    expect(new Set(graph.nodes.map((n) => n.id)).size).toBe(graph.nodes.length);
    expect(new Set(graph.relations.map((r) => r.id)).size).toBe(graph.relations.length);
    expect(graph.host).toBeNull();
  });

  it.each(Object.keys(CAMFLOW_EXPECTED))("parses CamFlow %s with the expected counts", (file) => {
    const graph = parseFile(file);
    expect({ nodes: graph.nodes.length, relations: graph.relations.length }).toEqual(
      CAMFLOW_EXPECTED[file],
    );
    expect(new Set(graph.relations.map((r) => r.id)).size).toBe(graph.relations.length);
  });
});

describe("ids", () => {
  it("expands a prefixed name with the document's prefix", () => {
    const graph = parseProvJson(
      {
        prefix: { ex: "http://example.org/" },
        entity: { "ex:e1": {} },
        activity: { "ex:a1": {} },
        used: { "ex:u1": { "prov:activity": "ex:a1", "prov:entity": "ex:e1" } },
      },
      { documentKey: KEY },
    );
    expect(graph.nodes.map((n) => [n.id, n.kind])).toEqual([
      ["http://example.org/e1", "entity"],
      ["http://example.org/a1", "activity"],
    ]);
    expect(graph.relations).toEqual([
      {
        id: "http://example.org/u1",
        kind: "used",
        from: "http://example.org/a1",
        to: "http://example.org/e1",
        time: null,
        attributes: {},
      },
    ]);
  });

  it("keeps names with an undeclared prefix as written, and uses the standard prov namespace", () => {
    const graph = parseProvJson(
      {
        prefix: { prov: "http://www.w3.org/ns/prov" },
        entity: { "ex:e1": {}, "prov:e2": {}, "http://example.org/e3": {} },
      },
      { documentKey: KEY },
    );
    expect(graph.nodes.map((n) => n.id)).toEqual([
      "ex:e1",
      "http://www.w3.org/ns/prov#e2",
      "http://example.org/e3",
    ]);
  });

  it("expands unprefixed names with the default prefix (ProvToolbox spec examples)", () => {
    const graph = parseProvFixture("provtoolbox-prov-json-spec-examples.json");
    const e1 = node(graph, "http://example.org/e1");
    expect(e1.kind).toBe("entity");
    expect(node(graph, "http://example.org/a1").kind).toBe("activity");
    expect(node(graph, "http://example.org/ag1").kind).toBe("agent");
    const generation = relation(graph, "http://example.org/ex#gen1");
    expect(generation).toMatchObject({
      kind: "wasGeneratedBy",
      from: "http://example.org/e1",
      to: "http://example.org/a1",
      time: "2011-11-16T16:06:00",
    });
    expect(generation.attributes).toEqual({
      "prov:time": "2011-11-16T16:06:00",
      "prov:role": "output",
    });
  });

  it("scopes blank nodes to the documentKey", () => {
    const doc = {
      entity: { "_:e": {} },
      alternateOf: { "_:alt": { "prov:alternate1": "_:e", "prov:alternate2": "_:f" } },
    };
    const a = parseProvJson(doc, { documentKey: KEY });
    const again = parseProvJson(doc, { documentKey: KEY });
    const b = parseProvJson(doc, { documentKey: "fedcba9876543210fedcba9876543210" });
    expect(a.nodes.map((n) => n.id)).toEqual([`_:${SCOPE}:e`]);
    expect(a.relations[0]).toMatchObject({
      id: `_:${SCOPE}:alt`,
      from: `_:${SCOPE}:e`,
      to: `_:${SCOPE}:f`,
    });
    expect(again).toEqual(a);
    expect(b.nodes.map((n) => n.id)).toEqual(["_:fedcba9876543210:e"]);
    expect(b.relations[0]?.id).not.toBe(a.relations[0]?.id);
  });

  it("defaults the documentKey to the sha256 of the text", () => {
    // sha256sum of the fixture file: 5350ae6c9e32a64a6acd26bf8cd5038f818df186709cab7422e7bee6043a6c5d
    const graph = parseFile(path.join(PROV_JSON_DIR, "provtoolbox-prov-json-spec-examples.json"));
    expect(relation(graph, "_:5350ae6c9e32a64a:Infm2")).toMatchObject({
      kind: "wasInformedBy",
      from: "http://example.org/a2",
      to: "http://example.org/a1",
    });
  });

  it("keeps CamFlow cf: ids and bare numeric legacy ids as written", () => {
    const wget = parseFile(WGET);
    const task = node(wget, "cf:AQAAAAAAAEBW5AEAAAAAABwAAAAHfl4eEAAAAAAAAAA=");
    expect(task).toMatchObject({ kind: "activity", type: "task", label: "[task] 16" });
    expect(relation(wget, "cf:AAAAAgAAIID+AgAAAAAAABwAAAAHfl4eAAAAAAAAAAA=")).toMatchObject({
      kind: "used",
      from: "cf:AQAAAAAAAEBW5AEAAAAAABwAAAAHfl4eEAAAAAAAAAA=",
      to: "cf:ABAAAAAAACBq5AEAAAAAABwAAAAHfl4eCwAAAAAAAAA=",
      time: "2017-09-25T21:11:46Z", // its cf:date, 2017:09:25T21:11:46
    });

    const cytoscape = parseFile(CYTOSCAPE);
    expect(node(cytoscape, "184983327")).toMatchObject({
      kind: "entity",
      type: "machine",
      label: "[machine] 184983327",
    });
    expect(cytoscape.nodes.every((n) => n.id.startsWith("cf:") || /^[0-9]+$/.test(n.id))).toBe(
      true,
    );
  });

  it("keeps bare numeric ids even with a default prefix", () => {
    const graph = parseProvJson(
      { prefix: { default: "http://example.org/" }, entity: { "42": {}, e: {} } },
      { documentKey: KEY },
    );
    expect(graph.nodes.map((n) => n.id)).toEqual(["42", "http://example.org/e"]);
  });
});

describe("bundles", () => {
  it("reads bundle contents with their own prefixes on top of the outer ones", () => {
    const graph = parseProvFixture("provtoolbox-prov-json-spec-examples.json");
    expect(node(graph, "http://example.org/ex#b1").kind).toBe("entity");
    expect(node(graph, "http://example.org/bundle#e3").label).toBe("dans le lot");
    expect(relation(graph, `_:${SCOPE}:g3`)).toMatchObject({
      kind: "wasGeneratedBy",
      from: "http://example.org/bundle#e3",
      to: "http://example.org/a1",
    });
  });

  it("merges the bundle id with its entity declaration (bundle1)", () => {
    const graph = parseProvFixture("bundle1.json");
    expect(node(graph, "http://example.org/bundle1")).toMatchObject({
      kind: "entity",
      type: "prov:Bundle",
    });
    expect(relation(graph, "http://example.org/use2")).toMatchObject({
      from: "http://example.org/aa1",
      to: "http://example.org/ee1",
    });
  });

  it("does not leak a bundle's prefixes to the outer document", () => {
    const graph = parseProvJson(
      {
        bundle: { "b:x": { prefix: { b: "http://b.example/" }, entity: { "b:in": {} } } },
        entity: { "b:out": {} },
      },
      { documentKey: KEY },
    );
    expect(graph.nodes.map((n) => n.id)).toEqual(["b:x", "http://b.example/in", "b:out"]);
  });
});

describe("repeated ids", () => {
  it("turns a scruffy array of statements into one relation each", () => {
    const graph = parseProvFixture("scruffy-usage2-M.json");
    expect(graph.relations.map((r) => [r.id, r.from, r.to, r.time])).toEqual([
      [
        "http://example.org/use1",
        "http://example.org/a1",
        "http://example.org/e1",
        "2014-06-23T12:28:52.654+01:00",
      ],
      [
        "http://example.org/use1#2",
        "http://example.org/a1",
        "http://example.org/e1",
        "2012-12-03T21:08:16.686Z",
      ],
    ]);
    expect(graph.relations[1]?.attributes["ex:tag2"]).toEqual({ $: "hi", type: "xsd:string" });
  });

  it("numbers scruffy generations the same way", () => {
    const graph = parseProvFixture("scruffy-generation2-M.json");
    expect(graph.relations.map((r) => [r.id, r.kind, r.from, r.to])).toEqual([
      [
        "http://example.org/gen1",
        "wasGeneratedBy",
        "http://example.org/e1",
        "http://example.org/a1",
      ],
      [
        "http://example.org/gen1#2",
        "wasGeneratedBy",
        "http://example.org/e1",
        "http://example.org/a1",
      ],
    ]);
  });

  it("merges a node seen several times, later wins per key, arrays kept whole", () => {
    const graph = parseProvJson(
      {
        prefix: { ex: "http://example.org/" },
        entity: {
          "ex:e": [
            { "prov:label": "first", "ex:a": 1, "ex:list": [1, 2] },
            { "prov:label": "second", "ex:b": 2 },
          ],
        },
        activity: { "ex:e": { "ex:list": [3] } },
        bundle: { "ex:b": { entity: { "ex:e": { "ex:c": { $: "3", type: "xsd:int" } } } } },
      },
      { documentKey: KEY },
    );
    expect(graph.nodes).toEqual([
      {
        id: "http://example.org/e",
        kind: "entity",
        type: null,
        label: "second",
        attributes: {
          "prov:label": "second",
          "ex:a": 1,
          "ex:list": [3],
          "ex:b": 2,
          "ex:c": { $: "3", type: "xsd:int" },
        },
      },
      { id: "http://example.org/b", kind: "entity", type: null, label: null, attributes: {} },
    ]);
  });
});

describe("relations", () => {
  it("fans hadMember with an array out to one relation per member", () => {
    const graph = parseProvFixture("member3.json");
    expect(graph.relations.map((r) => [r.id, r.kind, r.from, r.to])).toEqual([
      [`_:${SCOPE}:hM3`, "hadMember", "http://example.org/c", "http://example.org/e1"],
      [`_:${SCOPE}:hM3#2`, "hadMember", "http://example.org/c", "http://example.org/e2"],
      [`_:${SCOPE}:hM3#3`, "hadMember", "http://example.org/c", "http://example.org/e3"],
    ]);
    expect(graph.relations.every((r) => Object.keys(r.attributes).length === 0)).toBe(true);
  });

  it("keeps prov:bundle of mentionOf in the attributes", () => {
    const graph = parseProvFixture("mention2.json");
    expect(graph.relations).toEqual([
      {
        id: `_:${SCOPE}:mO2`,
        kind: "mentionOf",
        from: "http://example.org/e2",
        to: "http://example.org/e1",
        time: null,
        attributes: { "prov:bundle": "ex:b" },
      },
    ]);
  });

  it("maps every kind's endpoints in PROV order (ProvToolbox spec examples)", () => {
    const graph = parseProvFixture("provtoolbox-prov-json-spec-examples.json");
    const ex = (local: string) => `http://example.org/${local}`;
    const edges = graph.relations.map((r) => `${r.kind} ${r.from} -> ${r.to}`);
    expect(edges).toEqual([
      `wasGeneratedBy ${ex("e1")} -> ${ex("a1")}`,
      `used ${ex("a1")} -> ${ex("e2")}`,
      `wasInformedBy ${ex("a2")} -> ${ex("a1")}`,
      `wasStartedBy ${ex("a2")} -> ${ex("e2")}`,
      `wasEndedBy ${ex("a2")} -> ${ex("e1")}`,
      `wasInvalidatedBy ${ex("e2")} -> ${ex("a2")}`,
      `wasDerivedFrom ${ex("e1")} -> ${ex("e2")}`,
      `wasAttributedTo ${ex("e1")} -> ${ex("ag1")}`,
      `wasAssociatedWith ${ex("a1")} -> ${ex("ag1")}`,
      `actedOnBehalfOf ${ex("ag1")} -> ${ex("ag2")}`,
      `wasInfluencedBy ${ex("e1")} -> ${ex("ag2")}`,
      `specializationOf ${ex("e1")} -> ${ex("e2")}`,
      `specializationOf ${ex("c")} -> ${ex("e2")}`,
      `alternateOf ${ex("e1")} -> ${ex("e2")}`,
      `hadMember ${ex("c")} -> ${ex("e1")}`,
      `hadMember ${ex("c")} -> ${ex("e1")}`,
      `hadMember ${ex("c")} -> ${ex("e2")}`,
      `wasGeneratedBy ${ex("bundle#e3")} -> ${ex("a1")}`,
    ]);
    expect(relation(graph, "http://example.org/ex#start1").attributes).toEqual({
      "prov:starter": "a1",
      "prov:time": "2011-11-16T16:05:00",
    });
  });

  it("keeps attributes verbatim and removes only the endpoints (usage5)", () => {
    const graph = parseProvFixture("usage5.json");
    const use = relation(graph, "http://example.org/use5");
    expect(use).toMatchObject({
      kind: "used",
      from: "http://example.org/a1",
      to: "http://example.org/e1",
      time: "2014-06-23T12:28:54.510+01:00",
    });
    expect(Object.keys(use.attributes).sort()).toEqual(
      [
        "ex2:tag3",
        "ex:tag1",
        "ex:tag2",
        "prov:label",
        "prov:location",
        "prov:role",
        "prov:time",
        "prov:type",
      ].sort(),
    );
    expect(use.attributes["prov:role"]).toEqual({ $: "somerole", type: "xsd:string" });
  });

  it("keeps a start without trigger as depending on its starter", () => {
    const [start] = parseProvFixture("start10.json").relations;
    expect(start).toMatchObject({
      kind: "wasStartedBy",
      from: "http://example.org/a1",
      to: "http://example.org/a2",
    });
    expect(start?.attributes["prov:starter"]).toBe("ex:a2");
  });

  it("reports a statement with a missing endpoint instead of storing or losing it", () => {
    const graph = parseProvJson(
      {
        wasGeneratedBy: {
          "ex:g1": { "prov:entity": "ex:e", "prov:time": "2020-01-01T00:00:00Z" },
          "ex:g2": { "prov:entity": "ex:e", "prov:activity": "ex:a" },
        },
        used: { "ex:u": {} },
        hadMember: { "ex:m": { "prov:collection": "ex:c", "prov:entity": [] } },
      },
      { documentKey: KEY },
    );
    expect(graph.relations.map((r) => r.id)).toEqual(["ex:g2"]);
    expect(graph.skipped).toEqual([
      {
        reason: "incomplete",
        section: "wasGeneratedBy",
        id: "ex:g1",
        detail: 'wasGeneratedBy "ex:g1" has no prov:activity',
      },
      {
        reason: "incomplete",
        section: "used",
        id: "ex:u",
        detail: 'used "ex:u" has no prov:activity and no prov:entity',
      },
      {
        reason: "incomplete",
        section: "hadMember",
        id: "ex:m",
        detail: 'hadMember "ex:m" has no prov:entity',
      },
    ]);
  });

  it("takes the time from prov:time, then prov:startTime, then prov:endTime, unwrapped", () => {
    const graph = parseProvJson(
      {
        wasStartedBy: {
          s1: {
            "prov:activity": "a",
            "prov:trigger": "e",
            "prov:startTime": { $: "2020-01-01T00:00:00Z", type: "xsd:dateTime" },
            "prov:endTime": "2021-01-01T00:00:00Z",
          },
          s2: { "prov:activity": "a", "prov:trigger": "e", "prov:endTime": "2021-01-01T00:00:00Z" },
        },
      },
      { documentKey: KEY },
    );
    expect(graph.relations.map((r) => r.time)).toEqual([
      "2020-01-01T00:00:00Z",
      "2021-01-01T00:00:00Z",
    ]);
  });

  it("keeps the 3 dangling edge references of the wget document as relations", () => {
    const graph = parseFile(WGET);
    const nodeIds = new Set(graph.nodes.map((n) => n.id));
    const dangling = graph.relations
      .flatMap((r) => [r.from, r.to])
      .filter((id) => !nodeIds.has(id))
      .sort();
    expect(dangling).toEqual([
      "cf:ABAAAAAAACBq5AEAAAAAABwAAAAHfl4eCgAAAAAAAAA=",
      "cf:AQAAAAAAAEBW5AEAAAAAABwAAAAHfl4eDwAAAAAAAAA=",
      "cf:AQAAAAAAAEBW5AEAAAAAABwAAAAHfl4eDwAAAAAAAAA=",
    ]);
    expect(graph.relations.map((r) => r.kind)).toEqual([
      "used",
      "wasGeneratedBy",
      "wasInformedBy",
      "wasDerivedFrom",
    ]);
  });
});

describe("node fields", () => {
  it("takes type and label from the first value, unwrapping typed literals", () => {
    const entity = node(parseProvFixture("entity10.json"), "http://example.org/e10");
    expect(entity).toMatchObject({ kind: "entity", type: "a", label: "entity10" });
    const toolbox = parseProvFixture("provtoolbox-prov-json-spec-examples.json");
    expect(node(toolbox, "http://example.org/e1")).toMatchObject({
      type: "prov:Collection",
      label: "an entity",
    });
    expect(node(toolbox, "http://example.org/ag1").type).toBe("prov:Person");
    expect(node(toolbox, "http://example.org/e2")).toMatchObject({ type: null, label: null });
    const numbers = parseProvJson(
      {
        agent: {
          ag: {
            "prov:type": [5, "x"],
            "prov:label": { $: "Bob", lang: "en" },
          },
        },
      },
      { documentKey: KEY },
    );
    expect(numbers.nodes[0]).toMatchObject({ kind: "agent", type: "5", label: "Bob" });
  });

  it("keeps attribute values as the JSON they are", () => {
    const toolbox = parseProvFixture("provtoolbox-prov-json-spec-examples.json");
    expect(node(toolbox, "http://example.org/e1").attributes).toMatchObject({
      "ex:count": 3,
      "ex:flag": true,
      "ex:desc": { $: "une entité", lang: "fr" },
      "ex:values": [
        { $: "1034", type: "xsd:positiveInteger" },
        2,
        { $: "82.5", type: "xsd:decimal" },
        "text",
      ],
    });
    const cytoscape = parseFile(CYTOSCAPE);
    expect(
      node(cytoscape, "cf:AEAAAAAAAACk2wAAAAAAAAmnZWP11Xg/AAAAAAAAAAA=").attributes["cf:address"],
    ).toEqual({ type: "AF_UNIX", path: "/var/run/nscd/socket" });
  });
});

describe("host", () => {
  it("reads cf:machine_id as written (wget: cf:509509127)", () => {
    expect(parseFile(WGET).host).toBe("cf:509509127");
  });

  it("prefixes a numeric cf:machine_id with cf: (legacy cytoscape capture)", () => {
    expect(parseFile(CYTOSCAPE).host).toBe("cf:1064883701");
    const graph = parseProvJson(
      { activity: { a: { "cf:machine_id": 42 } }, entity: { e: { "cf:machine_id": 7 } } },
      { documentKey: KEY },
    );
    expect(graph.host).toBe("cf:42");
  });
});

describe("tolerance", () => {
  it("strips a UTF-8 BOM", () => {
    const graph = parseProvJsonText('\uFEFF{"entity":{"ex:e":{}}}', { documentKey: KEY });
    expect(graph.nodes.map((n) => n.id)).toEqual(["ex:e"]);
    expect(readFileSync(CYTOSCAPE, "utf8").charCodeAt(0)).toBe(0xfeff);
  });

  it("reports, and does not store, statements in unknown sections such as CamFlow's relation", () => {
    const graph = parseProvJson(
      {
        relation: { "cf:x": { "prov:type": "unknown" }, "cf:y": {} },
        message: null,
        entity: { "cf:e": {} },
      },
      { documentKey: KEY },
    );
    expect(graph).toEqual({
      nodes: [{ id: "cf:e", kind: "entity", type: null, label: null, attributes: {} }],
      relations: [],
      host: null,
      skipped: [
        { reason: "unknown-section", section: "relation", id: "cf:x", detail: expect.any(String) },
        { reason: "unknown-section", section: "relation", id: "cf:y", detail: expect.any(String) },
        { reason: "unknown-section", section: "message", id: "", detail: expect.any(String) },
      ],
    });
  });

  it("accepts an empty document", () => {
    expect(parseProvJson({}, { documentKey: KEY })).toEqual({
      nodes: [],
      relations: [],
      host: null,
    });
  });
});

describe("garbage", () => {
  it("rejects text that is not JSON, keeping the SyntaxError as cause", () => {
    const error = formatError(() => parseProvJsonText("{not json", { documentKey: KEY }));
    expect(error.code).toBe("PROV_FORMAT");
    expect(error.name).toBe("ProvFormatError");
    expect(error.message).toMatch(/^PROV-JSON text: expected valid JSON, got /);
    expect(error.cause).toBeInstanceOf(SyntaxError);
    expect(formatError(() => parseProvJsonText("")).message).toMatch(/expected valid JSON/);
  });

  it.each([
    ["a JSON array", "[]", "PROV-JSON document: expected an object, got an array"],
    ["a JSON string", '"entity"', 'PROV-JSON document: expected an object, got string "entity"'],
    ["JSON null", "null", "PROV-JSON document: expected an object, got null"],
    ["a null section", '{"entity": null}', "entity: expected an object, got null"],
    [
      "a number element",
      '{"entity": {"ex:e": 5}}',
      'entity "ex:e": expected an object, got number 5',
    ],
    [
      "a null element",
      '{"entity": {"ex:e1": null}}',
      'entity "ex:e1": expected an object, got null',
    ],
    [
      "a number endpoint",
      '{"used": {"u": {"prov:activity": 3}}}',
      'used "u": prov:activity: expected a non-empty string (qualified name), got number 3',
    ],
    [
      "a null statement in a scruffy array",
      '{"used": {"u": [{}, null]}}',
      'used "u" (statement 2 of 2): expected an object, got null',
    ],
    [
      "a number member of hadMember",
      '{"hadMember": {"m": {"prov:collection": "c", "prov:entity": ["e", 1]}}}',
      'hadMember "m": prov:entity[1]: expected a non-empty string (qualified name), got number 1',
    ],
    [
      "an array endpoint outside hadMember",
      '{"used": {"u": {"prov:activity": "a", "prov:entity": ["e"]}}}',
      'used "u": prov:entity: expected a non-empty string (qualified name), got an array',
    ],
    [
      "a non-string namespace",
      '{"prefix": {"ex": 1}}',
      'prefix "ex": expected a string (namespace URI), got number 1',
    ],
    ["a null bundle", '{"bundle": {"ex:b": null}}', 'bundle "ex:b": expected an object, got null'],
    [
      "a bad element inside a bundle",
      '{"bundle": {"ex:b": {"activity": {"ex:a": true}}}}',
      'bundle "ex:b" > activity "ex:a": expected an object, got boolean true',
    ],
  ])("rejects %s", (_what, text, message) => {
    const error = formatError(() => parseProvJsonText(text, { documentKey: KEY }));
    expect(error.message).toBe(message);
    expect(error.code).toBe("PROV_FORMAT");
  });

  it("rejects attribute values that are not JSON when given a JS object", () => {
    const error = formatError(() =>
      parseProvJson({ entity: { e: { "ex:n": Number.NaN } } }, { documentKey: KEY }),
    );
    expect(error.message).toBe('entity "e": ex:n: expected a JSON value, got number NaN');
  });

  it("requires a documentKey", () => {
    expect(() => parseProvJson({}, { documentKey: "" })).toThrow(TypeError);
  });
});

describe("gdpr annotations", () => {
  const GDPR = "https://provtopia.example/ns/gdpr#";

  it("rewrites any prefix bound to the gdpr namespace, and full URIs, to gdpr:", () => {
    const graph = parseProvJson(
      {
        prefix: { g: GDPR, ex: "http://example.org/" },
        entity: {
          "ex:email": { "g:subject": "subj-alice", [`${GDPR}category`]: "email", "ex:x": 1 },
        },
      },
      { documentKey: KEY },
    );
    expect(node(graph, "http://example.org/email").attributes).toEqual({
      "gdpr:subject": "subj-alice",
      "gdpr:category": "email",
      "ex:x": 1,
    });
    expect(graph.skipped).toBeUndefined();
  });

  it("reports annotations that do not make a personal-data source, and keeps the node", () => {
    const graph = parseProvJson(
      {
        entity: {
          "ex:a": { "gdpr:subject": "subj-alice" },
          "ex:b": { "gdpr:subject": { "not-a-literal": true }, "gdpr:category": "email" },
          "ex:c": { "gdpr:category": "email", "gdpr:service": ["CRM", "Billing"] },
        },
      },
      { documentKey: KEY },
    );
    expect(graph.nodes).toHaveLength(3);
    expect(graph.skipped?.map((s) => [s.reason, s.id, s.detail])).toEqual([
      [
        "gdpr-annotation",
        "ex:a",
        "gdpr:subject without gdpr:category: not recorded as personal data",
      ],
      [
        "gdpr-annotation",
        "ex:b",
        'gdpr:subject: expected a string or a typed literal, got {"not-a-literal":true}',
      ],
      [
        "gdpr-annotation",
        "ex:b",
        "gdpr:category without gdpr:subject: not recorded as personal data",
      ],
      ["gdpr-annotation", "ex:c", "gdpr:service: expected one value, got 2"],
      [
        "gdpr-annotation",
        "ex:c",
        "gdpr:category without gdpr:subject: not recorded as personal data",
      ],
    ]);
  });
});

describe("not provenance at all", () => {
  it("rejects a document with keys but no PROV-JSON section, naming them", () => {
    const error = formatError(() =>
      parseProvJson(
        { type: "WasTriggeredBy", from: "a", to: "b", annotations: {} },
        { documentKey: KEY },
      ),
    );
    expect(error.message).toBe(
      'PROV-JSON document: expected a section such as "entity" or "used", got only "type", "from", "to", "annotations"',
    );
  });

  it("still accepts a document holding only prefixes, or nothing", () => {
    expect(
      parseProvJson({ prefix: { ex: "http://example.org/" } }, { documentKey: KEY }).nodes,
    ).toEqual([]);
  });
});
