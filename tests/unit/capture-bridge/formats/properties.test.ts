/**
 * Property tests of the readers (fast-check): random valid PROV-JSON documents, written as JSON
 * text, read back to exactly the elements they were built from; random garbage (and valid
 * documents with random parts replaced) never makes a reader throw anything but its own
 * format error, which names what was wrong.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { repairCamflowJson } from "../../../../capture-bridge/formats/camflow";
import {
  ProvFormatError,
  parseProvJson,
  parseProvJsonText,
} from "../../../../capture-bridge/formats/prov-json";
import { parseSpadeRecords, SpadeFormatError } from "../../../../capture-bridge/formats/spade-json";
import { readDocuments } from "../../../../capture-bridge/pipeline/decode";
import { RELATION_KINDS, type RelationKind } from "../../../../db/prov/model";

const KEY = "fedcba9876543210fedcba9876543210";
const NODE_SECTIONS = ["entity", "activity", "agent"] as const;

/**
 * PROV-JSON endpoint keys [dependent, dependency] per kind, written out from the PROV-JSON
 * submission on purpose rather than imported from the reader, so a wrong key there fails here.
 */
const ENDS: Record<RelationKind, [string, string]> = {
  used: ["prov:activity", "prov:entity"],
  wasGeneratedBy: ["prov:entity", "prov:activity"],
  wasInformedBy: ["prov:informed", "prov:informant"],
  wasDerivedFrom: ["prov:generatedEntity", "prov:usedEntity"],
  wasAssociatedWith: ["prov:activity", "prov:agent"],
  wasAttributedTo: ["prov:entity", "prov:agent"],
  actedOnBehalfOf: ["prov:delegate", "prov:responsible"],
  wasStartedBy: ["prov:activity", "prov:trigger"],
  wasEndedBy: ["prov:activity", "prov:trigger"],
  wasInvalidatedBy: ["prov:entity", "prov:activity"],
  wasInfluencedBy: ["prov:influencee", "prov:influencer"],
  specializationOf: ["prov:specificEntity", "prov:generalEntity"],
  alternateOf: ["prov:alternate1", "prov:alternate2"],
  hadMember: ["prov:collection", "prov:entity"],
  mentionOf: ["prov:specificEntity", "prov:generalEntity"],
};

const localName = fc.stringMatching(/^[a-z][a-z0-9_-]{0,11}$/);

/** Attribute values in every form PROV-JSON allows, and a few it tolerates. */
const attributeValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.boolean(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.record({
    $: fc.string(),
    type: fc.constantFrom("xsd:string", "xsd:int", "prov:QUALIFIED_NAME"),
  }),
  fc.record({ $: fc.string(), lang: fc.constantFrom("en", "de", "fr") }),
  fc.record({
    $: fc.string(),
    type: fc.constant("prov:InternationalizedString"),
    lang: fc.constant("en"),
  }),
  fc.array(fc.oneof(fc.string(), fc.record({ $: fc.string(), type: fc.constant("xsd:string") })), {
    maxLength: 3,
  }),
);

const attributes = fc.dictionary(
  fc.constantFrom("ex:a", "ex:b", "prov:label", "prov:value", "other:x", "prov:role"),
  attributeValue,
  { maxKeys: 4 },
);

/** What a generated document must read back to. */
interface Expected {
  nodeIds: Set<string>;
  relations: number;
  incomplete: number;
}

/**
 * A valid PROV-JSON document (with optional `default` prefix, bundles, scruffy statement arrays,
 * hadMember arrays and statements missing an optional end) and the elements it holds.
 */
const provDocument = fc
  .record({
    namespace: fc.constantFrom("http://example.org/", "urn:x:", "https://a.example/ns#"),
    useDefault: fc.boolean(),
    nodes: fc.uniqueArray(
      fc.record({ name: localName, section: fc.constantFrom(...NODE_SECTIONS), attrs: attributes }),
      { selector: (n) => n.name, maxLength: 12 },
    ),
    relations: fc.uniqueArray(
      fc.record({
        name: localName,
        kind: fc.constantFrom(...RELATION_KINDS),
        from: fc.nat(),
        to: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
        statements: fc.integer({ min: 1, max: 3 }),
        missing: fc.constantFrom("none", "none", "none", "from", "to"),
        attrs: attributes,
        inBundle: fc.boolean(),
      }),
      { selector: (r) => r.name, maxLength: 15 },
    ),
    bundleName: localName,
  })
  .filter((d) => d.nodes.length > 0)
  .map((d) => {
    const ns = d.namespace;
    const name = (local: string) => (d.useDefault ? local : `ex:${local}`);
    const prefix: Record<string, string> = d.useDefault ? { default: ns } : { ex: ns };
    const outer: Record<string, Record<string, unknown>> = {};
    const inner: Record<string, Record<string, unknown>> = {};
    const expected: Expected = { nodeIds: new Set(), relations: 0, incomplete: 0 };
    for (const node of d.nodes) {
      outer[node.section] ??= {};
      (outer[node.section] as Record<string, unknown>)[name(node.name)] = node.attrs;
      expected.nodeIds.add(ns + node.name);
    }
    const nodeName = (i: number) => name((d.nodes[i % d.nodes.length] as { name: string }).name);
    let usesBundle = false;
    for (const r of d.relations) {
      // hadMember may name several members; every other kind one dependency.
      const members = r.kind === "hadMember" ? r.to.map(nodeName) : [nodeName(r.to[0] ?? 0)];
      const [fromKey, toKey] = ENDS[r.kind];
      const statement: Record<string, unknown> = { ...r.attrs };
      if (r.missing !== "from") statement[fromKey] = nodeName(r.from);
      if (r.missing !== "to") {
        statement[toKey] = r.kind === "hadMember" && members.length > 1 ? members : members[0];
      }
      const complete = r.missing === "none";
      expected.relations += complete ? r.statements * members.length : 0;
      expected.incomplete += complete ? 0 : r.statements;
      const body = r.statements === 1 ? statement : Array(r.statements).fill(statement);
      const target = r.inBundle ? inner : outer;
      if (target === inner) usesBundle = true;
      target[r.kind] ??= {};
      (target[r.kind] as Record<string, unknown>)[name(`r-${r.name}`)] = body;
    }
    const doc: Record<string, unknown> = { prefix, ...outer };
    if (usesBundle) {
      doc.bundle = { [name(`b-${d.bundleName}`)]: inner };
      expected.nodeIds.add(`${ns}b-${d.bundleName}`);
    }
    return { doc, expected };
  });

/** Valid documents with one value somewhere replaced by random JSON. */
function replaceSomewhere(value: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0 || value === null || typeof value !== "object") return replacement;
  const entries = Array.isArray(value)
    ? value.map((v, i) => [i, v] as const)
    : Object.entries(value);
  if (entries.length === 0) return replacement;
  const [head = 0, ...rest] = path;
  const [key, child] = entries[head % entries.length] as readonly [string | number, unknown];
  const replaced = replaceSomewhere(child, rest, replacement);
  if (Array.isArray(value)) return value.map((v, i) => (i === key ? replaced : v));
  return { ...value, [key]: replaced };
}

function onlyFormatErrors(run: () => unknown, errorClass: new (...args: never[]) => Error) {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(errorClass);
    expect((error as Error).message.length).toBeGreaterThan(10);
  }
}

describe("PROV-JSON reader, properties", () => {
  it("reads a random valid document, as JSON text, to exactly its nodes and relations", () => {
    fc.assert(
      fc.property(provDocument, ({ doc, expected }) => {
        const graph = parseProvJsonText(JSON.stringify(doc), { documentKey: KEY });
        expect(new Set(graph.nodes.map((n) => n.id))).toEqual(expected.nodeIds);
        expect(graph.nodes).toHaveLength(expected.nodeIds.size);
        expect(graph.relations).toHaveLength(expected.relations);
        expect(new Set(graph.relations.map((r) => r.id)).size).toBe(expected.relations);
        const incomplete = graph.skipped?.filter((s) => s.reason === "incomplete") ?? [];
        expect(incomplete).toHaveLength(expected.incomplete);
        // Every endpoint resolved against the prefix, every relation kind kept.
        for (const relation of graph.relations) {
          expect(
            relation.from.startsWith(doc.prefix ? Object.values(doc.prefix as object)[0] : ""),
          ).toBe(true);
          expect(RELATION_KINDS).toContain(relation.kind);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("is deterministic: the same text and key give the same graph", () => {
    fc.assert(
      fc.property(provDocument, ({ doc }) => {
        const text = JSON.stringify(doc);
        expect(parseProvJsonText(text)).toEqual(parseProvJsonText(text));
      }),
      { numRuns: 100 },
    );
  });

  it("throws only ProvFormatError on random JSON values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        onlyFormatErrors(() => parseProvJson(value, { documentKey: KEY }), ProvFormatError);
      }),
      { numRuns: 500 },
    );
  });

  it("throws only ProvFormatError on random section contents", () => {
    const section = fc.constantFrom(
      "prefix",
      "entity",
      "bundle",
      "used",
      "hadMember",
      "wasStartedBy",
      "relation",
    );
    fc.assert(
      fc.property(fc.dictionary(section, fc.jsonValue()), (doc) => {
        onlyFormatErrors(() => parseProvJson(doc, { documentKey: KEY }), ProvFormatError);
      }),
      { numRuns: 500 },
    );
  });

  it("throws only ProvFormatError when any part of a valid document is replaced", () => {
    fc.assert(
      fc.property(
        provDocument,
        fc.array(fc.nat(), { maxLength: 5 }),
        fc.jsonValue(),
        ({ doc }, path, replacement) => {
          const broken = replaceSomewhere(doc, path, replacement);
          onlyFormatErrors(() => parseProvJson(broken, { documentKey: KEY }), ProvFormatError);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("throws only ProvFormatError on random text, including truncated documents", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: "binary" }),
          provDocument.chain(({ doc }) => {
            const text = JSON.stringify(doc);
            return fc.nat({ max: text.length }).map((n) => text.slice(0, n));
          }),
        ),
        (text) => {
          onlyFormatErrors(() => parseProvJsonText(text), ProvFormatError);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("SPADE JSON reader and document splitter, properties", () => {
  const spadeRecord = fc.oneof(
    fc.record({
      type: fc.constantFrom("Entity", "Activity", "Agent"),
      id: fc.oneof(fc.base64String({ minLength: 4 }), fc.jsonValue()),
      annotations: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue()),
    }),
    fc.record({
      type: fc.constantFrom("Used", "WasGeneratedBy", "WasDerivedFrom", "Frobbed"),
      from: fc.oneof(fc.base64String({ minLength: 4 }), fc.jsonValue()),
      to: fc.oneof(fc.base64String({ minLength: 4 }), fc.jsonValue()),
      annotations: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue()),
    }),
    fc.jsonValue(),
  );

  it("throws only SpadeFormatError on random records", () => {
    fc.assert(
      fc.property(fc.array(spadeRecord, { maxLength: 8 }), (records) => {
        onlyFormatErrors(() => parseSpadeRecords(records), SpadeFormatError);
      }),
      { numRuns: 500 },
    );
  });

  it("never throws splitting random text into documents, and loses no line that looks like one", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.json()), { maxLength: 6 }), (lines) => {
        const text = lines.join("\n");
        const documents = readDocuments(text);
        for (const document of documents) {
          if (!document.ok) expect(document.reason.length).toBeGreaterThan(0);
        }
        const candidates = text.split(/\r?\n/).filter((line) => line.trim().startsWith("{"));
        if (documents.length > 1) expect(documents).toHaveLength(candidates.length);
      }),
      { numRuns: 500 },
    );
  });
});

describe("the document generator itself", () => {
  it("produces relations, incomplete statements, bundles and scruffy arrays", () => {
    const samples = fc.sample(provDocument, { numRuns: 200, seed: 42 });
    const texts = samples.map((s) => JSON.stringify(s.doc));
    expect(samples.filter((s) => s.expected.relations > 0).length).toBeGreaterThan(100);
    expect(samples.filter((s) => s.expected.incomplete > 0).length).toBeGreaterThan(20);
    expect(texts.filter((t) => t.includes('"bundle"')).length).toBeGreaterThan(20);
    expect(texts.filter((t) => t.includes(":[{")).length).toBeGreaterThan(20);
    expect(texts.filter((t) => t.includes('"default"')).length).toBeGreaterThan(20);
  });
});

describe("repairCamflowJson, properties", () => {
  // camflowd turns backslashes in pathnames into "/", and writes the rest raw (CAMFLOW.md §0.8).
  const rawPath = fc
    .array(fc.constantFrom("a", "b", "/", " ", ".", '"', "\t", "\u0001", "é", ",", "-"), {
      maxLength: 30,
    })
    .map((chars) => chars.join(""))
    // What the heuristic cannot tell from the end of a string: `"` before `:`, `}`, `]` or `,"`
    // (the path is followed by `","`, marked here by a `|`, which paths here never hold).
    .filter((p) => !/"\s*([:}\]]|,\s*["{|])/.test(`${p}|`));

  it("gives back any pathname camflowd wrote unescaped", () => {
    fc.assert(
      fc.property(rawPath, (pathname) => {
        const text = `{"entity":{"cf:AA==":{"cf:pathname":"${pathname}","cf:id":"1"}}}`;
        const repaired = repairCamflowJson(text);
        const parsed = JSON.parse(repaired ?? text) as {
          entity: Record<string, Record<string, string>>;
        };
        expect(parsed.entity["cf:AA=="]?.["cf:pathname"]).toBe(pathname);
      }),
      { numRuns: 500 },
    );
  });

  it("never throws, and returns only text that parses", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string(), (noise, more) => {
        const out = repairCamflowJson(`{"cf:id":"${noise}", ${more}`);
        if (out !== null) expect(() => JSON.parse(out)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});
