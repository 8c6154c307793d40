import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../../../db/ledger/canonical";
import { elementsDigest } from "../../../../db/ledger/log";
import { canonicalText, fastElementsDigest } from "../../../../db/prov/element-digest";

/** JSON values as JSON.parse makes them, with the awkward cases over-represented. */
const awkwardKey = fc.constantFrom(
  "__proto__",
  "10",
  "9",
  "0",
  "constructor",
  "toJSON",
  "é",
  "\u{1F600}",
  "a\\ud800",
);
const jsonish = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string({ unit: "binary" }),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string(), awkwardKey), tie("value"), { maxKeys: 5 }),
  ),
})).value;

const outcome = (work: () => string) => {
  try {
    return work();
  } catch (error) {
    return `throws ${(error as Error).constructor.name}`;
  }
};

describe("canonicalText", () => {
  it("writes what the ledger's canonical encoder writes, or throws where it throws", () => {
    fc.assert(
      fc.property(jsonish, (value) => {
        expect(outcome(() => canonicalText(value))).toBe(outcome(() => canonicalJson(value)));
      }),
      { numRuns: 2_000 },
    );
  });

  it("handles members named __proto__ as JSON.parse makes them", () => {
    const value = JSON.parse('{"__proto__": {"a": 1}, "b": [1, {"10": 2, "9": 3}]}');
    expect(canonicalText(value)).toBe(canonicalJson(value));
  });
});

describe("fastElementsDigest", () => {
  it("is elementsDigest", () => {
    // Ids, labels and times with lone surrogates (refused) and text that looks like one.
    const text = fc.oneof(
      fc.string(),
      fc.string({ unit: "binary" }),
      fc.constantFrom("a\\ud800", "\ud800", "x\udc00y", "\u{1F600}"),
    );
    const node = fc.record({
      ext_id: text,
      kind: fc.constantFrom("entity", "activity", "agent"),
      prov_type: fc.option(text),
      label: fc.option(text),
      attributes: fc.oneof(fc.dictionary(fc.string(), jsonish), jsonish),
    });
    const relation = fc.record({
      ext_id: text,
      kind: fc.constantFrom("used", "wasGeneratedBy"),
      from_ext_id: text,
      to_ext_id: text,
      time: fc.option(text),
      attributes: fc.dictionary(fc.string(), jsonish),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(node, { selector: (n) => n.ext_id, maxLength: 6 }),
        fc.uniqueArray(relation, { selector: (r) => r.ext_id, maxLength: 6 }),
        (nodes, relations) => {
          expect(outcome(() => fastElementsDigest(nodes, relations))).toBe(
            outcome(() => elementsDigest(nodes, relations)),
          );
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
