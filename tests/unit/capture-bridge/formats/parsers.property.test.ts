/**
 * Property tests (fast-check) of everything between a received payload and a parsed graph:
 * decodePayload, readDocuments, parseProvJson, parseSpadeRecords. Two properties each: on any
 * input they return or throw their own documented error (never a TypeError from deep inside,
 * which a source would take for a store failure and redeliver forever), and on valid input they
 * lose no element.
 */
import { deflateSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ProvFormatError, parseProvJson } from "../../../../capture-bridge/formats/prov-json";
import {
  isSpadeRecord,
  parseSpadeRecords,
  SpadeFormatError,
} from "../../../../capture-bridge/formats/spade-json";
import {
  decodePayload,
  MessageDecodeError,
  readDocuments,
} from "../../../../capture-bridge/pipeline/decode";
import { NODE_KINDS, RELATION_KINDS } from "../../../../db/prov/model";

const RUNS = { numRuns: 300 };

/** Runs `work`; an error must be an instance of `allowed`. */
function returnsOrThrows(work: () => unknown, allowed: new (...args: never[]) => Error): void {
  try {
    work();
  } catch (error) {
    expect(error, String(error)).toBeInstanceOf(allowed);
    expect((error as Error).message.length).toBeGreaterThan(0);
  }
}

const localName = fc.stringMatching(/^[a-z][a-z0-9_-]{0,11}$/);
const jsonObjectText = fc.dictionary(fc.string(), fc.jsonValue()).map((o) => JSON.stringify(o));

describe("decodePayload", () => {
  it("returns text or throws MessageDecodeError, whatever the bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) =>
        returnsOrThrows(() => decodePayload(bytes), MessageDecodeError),
      ),
      RUNS,
    );
  });

  it("gives back the JSON camflowd compressed and base64-encoded, and plain JSON as is", () => {
    fc.assert(
      fc.property(jsonObjectText, (text) => {
        const camflowd = Buffer.from(deflateSync(text).toString("base64"));
        expect(decodePayload(camflowd)).toBe(text);
        expect(decodePayload(Buffer.from(text, "utf8"))).toBe(text);
      }),
      RUNS,
    );
  });
});

describe("readDocuments", () => {
  it("never throws, and every document it reads is the JSON of its text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 300 }), (text) => {
        for (const document of readDocuments(text)) {
          if (document.ok) expect(document.value).toEqual(JSON.parse(document.text));
          else expect(document.reason).toMatch(/\S/);
        }
      }),
      RUNS,
    );
  });

  it("reads every line of a CamFlow log among status lines, and no other", () => {
    fc.assert(
      fc.property(
        fc.array(jsonObjectText, { minLength: 1, maxLength: 8 }),
        fc.array(fc.constantFrom("camflowd: started", "", "  ", "status ok"), { maxLength: 4 }),
        (documents, noise) => {
          const lines = documents.flatMap((d, i) => (noise[i] ? [noise[i], d] : [d]));
          const read = readDocuments(lines.join("\n"));
          if (documents.length === 1 && read.length === 1) {
            expect(read[0]?.ok).toBe(true);
            return;
          }
          expect(read.map((d) => (d.ok ? JSON.stringify(d.value) : d.reason))).toEqual(documents);
        },
      ),
      RUNS,
    );
  });
});

/** Anything JSON.parse can return, shaped like PROV-JSON often enough to reach deep code. */
const provLike = fc.oneof(
  fc.jsonValue(),
  fc.record(
    {
      prefix: fc.oneof(fc.dictionary(localName, fc.webUrl()), fc.jsonValue()),
      entity: fc.dictionary(fc.string(), fc.jsonValue()),
      activity: fc.dictionary(fc.string(), fc.jsonValue()),
      used: fc.dictionary(
        fc.string(),
        fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue())),
      ),
      wasDerivedFrom: fc.dictionary(fc.string(), fc.jsonValue()),
      bundle: fc.dictionary(fc.string(), fc.jsonValue()),
    },
    { requiredKeys: [] },
  ),
);

describe("parseProvJson", () => {
  it("returns a graph or throws ProvFormatError, whatever JSON it is given", () => {
    fc.assert(
      fc.property(provLike, (doc) =>
        returnsOrThrows(() => parseProvJson(doc, { documentKey: "k".repeat(64) }), ProvFormatError),
      ),
      RUNS,
    );
  });

  it("keeps every entity, activity, agent and relation of a valid document", () => {
    const document = fc
      .record({
        entities: fc.uniqueArray(localName, { minLength: 1, maxLength: 10 }),
        activities: fc.uniqueArray(localName, { minLength: 1, maxLength: 10 }),
        agents: fc.uniqueArray(localName, { maxLength: 4 }),
        attribute: fc.oneof(fc.string(), fc.integer(), fc.boolean()),
      })
      .chain((names) =>
        fc.record({
          names: fc.constant(names),
          used: fc.array(
            fc.tuple(fc.constantFrom(...names.activities), fc.constantFrom(...names.entities)),
            { maxLength: 12 },
          ),
          generated: fc.array(
            fc.tuple(fc.constantFrom(...names.entities), fc.constantFrom(...names.activities)),
            { maxLength: 12 },
          ),
        }),
      );
    fc.assert(
      fc.property(document, ({ names, used, generated }) => {
        const ns = "http://example.org/property/";
        const section = (list: string[], prefix: string) =>
          Object.fromEntries(
            list.map((name) => [`ex:${prefix}${name}`, { "ex:attr": names.attribute }]),
          );
        const doc = {
          prefix: { ex: ns },
          entity: section(names.entities, "e-"),
          activity: section(names.activities, "a-"),
          agent: section(names.agents, "g-"),
          used: Object.fromEntries(
            used.map(([a, e], i) => [
              `ex:u${i}`,
              { "prov:activity": `ex:a-${a}`, "prov:entity": `ex:e-${e}` },
            ]),
          ),
          wasGeneratedBy: Object.fromEntries(
            generated.map(([e, a], i) => [
              `ex:g${i}`,
              { "prov:entity": `ex:e-${e}`, "prov:activity": `ex:a-${a}` },
            ]),
          ),
        };
        const graph = parseProvJson(doc, { documentKey: "k".repeat(64) });
        const want = [
          ...names.entities.map((n) => `${ns}e-${n}`),
          ...names.activities.map((n) => `${ns}a-${n}`),
          ...names.agents.map((n) => `${ns}g-${n}`),
        ].sort();
        expect(graph.nodes.map((n) => n.id).sort()).toEqual(want);
        for (const node of graph.nodes) expect(node.attributes["ex:attr"]).toEqual(names.attribute);
        expect(graph.relations).toHaveLength(used.length + generated.length);
        expect(new Set(graph.relations.map((r) => r.id)).size).toBe(used.length + generated.length);
        for (const [i, [a, e]] of used.entries()) {
          expect(graph.relations).toContainEqual(
            expect.objectContaining({
              id: `${ns}u${i}`,
              kind: "used",
              from: `${ns}a-${a}`,
              to: `${ns}e-${e}`,
            }),
          );
        }
      }),
      RUNS,
    );
  });
});

const spadeType = fc.constantFrom(
  "Entity",
  "Activity",
  "Agent",
  "Used",
  "WasGeneratedBy",
  "WasDerivedFrom",
  "WasInformedBy",
  "constructor",
  "toString",
  "__proto__",
  "Unknown",
);
const spadeLike = fc.oneof(
  fc.jsonValue(),
  fc.record(
    {
      type: fc.oneof(spadeType, fc.jsonValue()),
      id: fc.oneof(fc.base64String(), fc.jsonValue()),
      from: fc.oneof(fc.base64String(), fc.jsonValue()),
      to: fc.oneof(fc.base64String(), fc.jsonValue()),
      annotations: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue()),
    },
    { requiredKeys: [] },
  ),
);

describe("parseSpadeRecords", () => {
  it("returns a graph or throws SpadeFormatError, whatever records it is given", () => {
    fc.assert(
      fc.property(fc.array(spadeLike, { maxLength: 6 }), (records) =>
        returnsOrThrows(() => parseSpadeRecords(records), SpadeFormatError),
      ),
      RUNS,
    );
  });

  it("takes only SPADE's own record types for SPADE records", () => {
    fc.assert(
      fc.property(spadeLike, (record) => {
        if (!isSpadeRecord(record)) return;
        let graph: ReturnType<typeof parseSpadeRecords>;
        try {
          graph = parseSpadeRecords([record]);
        } catch (error) {
          expect(error).toBeInstanceOf(SpadeFormatError);
          return;
        }
        for (const node of graph.nodes) expect(NODE_KINDS).toContain(node.kind);
        for (const relation of graph.relations) expect(RELATION_KINDS).toContain(relation.kind);
      }),
      RUNS,
    );
  });

  it("keeps every vertex and edge of valid records", () => {
    const records = fc
      .uniqueArray(fc.base64String({ minLength: 4, maxLength: 44 }), {
        minLength: 2,
        maxLength: 12,
      })
      .chain((ids) =>
        fc.record({
          ids: fc.constant(ids),
          kinds: fc.array(fc.constantFrom("Entity", "Activity", "Agent"), {
            minLength: ids.length,
            maxLength: ids.length,
          }),
          edges: fc.array(
            fc.tuple(
              fc.constantFrom("Used", "WasGeneratedBy", "WasDerivedFrom", "WasInformedBy"),
              fc.constantFrom(...ids),
              fc.constantFrom(...ids),
            ),
            { maxLength: 12 },
          ),
        }),
      );
    fc.assert(
      fc.property(records, ({ ids, kinds, edges }) => {
        const input = [
          ...ids.map((id, i) => ({ type: kinds[i], id, annotations: { object_type: "file" } })),
          ...edges.map(([type, from, to], i) => ({
            type,
            from,
            to,
            annotations: { id: `edge${i}=` },
          })),
        ];
        const graph = parseSpadeRecords(input);
        expect(graph.nodes.map((n) => n.id).sort()).toEqual(
          ids.map((id) => (id.startsWith("cf:") ? id : `cf:${id}`)).sort(),
        );
        expect(graph.relations).toHaveLength(edges.length);
      }),
      RUNS,
    );
  });
});
