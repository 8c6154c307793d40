/**
 * parseProvJson's attribute copies (copyAttributes): each node's and relation's attributes are
 * the statement's members without the relation's endpoints, `gdpr:` aliases renamed, in
 * code-unit key order with, of keys that read the same, the first one's place and the last
 * one's value (what a stable sort of the entries and Object.fromEntries give), and a
 * `__proto__` member kept as an ordinary own key. Checked against that reference on random
 * statements, key order included.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseProvJson } from "../../../../capture-bridge/formats/prov-json";
import { GDPR_NAMESPACE } from "../../../../db/prov/model";

const KEYS = [
  "cf:id",
  "cf:date",
  "prov:type",
  "prov:label",
  "ex:b",
  "ex:a",
  "gdpr:subject",
  "g2:subject",
  `${GDPR_NAMESPACE}subject`,
  "g2:category",
  "__proto__",
  "constructor",
  "10",
  "2",
  "zz",
  "Z",
  "é",
];

/** The reference: a stable sort of the renamed entries, then Object.fromEntries. */
function expected(statement: Record<string, unknown>, omit: string[]): [string, unknown][] {
  const rename = (key: string) =>
    key.startsWith(GDPR_NAMESPACE)
      ? `gdpr:${key.slice(GDPR_NAMESPACE.length)}`
      : key.startsWith("g2:")
        ? `gdpr:${key.slice(3)}`
        : key;
  const entries = Object.entries(statement)
    .filter(([key]) => !omit.includes(key))
    .map(([key, value]): [string, unknown] => [rename(key), value])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return Object.entries(Object.fromEntries(entries));
}

/** A statement as JSON.parse makes it (so `__proto__` is an own member). */
const statement = fc
  .dictionary(
    fc.constantFrom(...KEYS),
    fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.jsonValue()),
    { maxKeys: KEYS.length },
  )
  .map((members) => JSON.parse(JSON.stringify(members)) as Record<string, unknown>);

describe("parseProvJson attribute copies", () => {
  it("match a stable sort of the renamed entries, key order and own __proto__ included", () => {
    fc.assert(
      fc.property(statement, statement, (nodeStatement, relationStatement) => {
        const doc = JSON.parse(
          JSON.stringify({
            prefix: { g2: GDPR_NAMESPACE, ex: "https://example.org/" },
            entity: { "ex:e": nodeStatement },
            used: {
              "ex:u": { ...relationStatement, "prov:activity": "ex:x", "prov:entity": "ex:e" },
            },
          }),
        );
        const graph = parseProvJson(doc, { documentKey: "attributes-test" });
        const node = graph.nodes.find((n) => n.id === "https://example.org/e");
        expect(Object.entries(node?.attributes ?? {})).toEqual(expected(nodeStatement, []));
        const relation = graph.relations[0];
        expect(Object.entries(relation?.attributes ?? {})).toEqual(
          expected(doc.used["ex:u"], ["prov:activity", "prov:entity"]),
        );
        for (const attributes of [node?.attributes, relation?.attributes]) {
          expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype);
        }
      }),
      { numRuns: 500 },
    );
  });
});
