// RFC 8785 canonical JSON: the RFC's own samples (tests/vectors/ledger/rfc8785-*.json), local
// cases, and every kind of value that has no canonical form.
import { readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CanonicalJsonError, canonicalBytes, canonicalJson } from "../../../../db/ledger/canonical";

const VECTORS = path.resolve(process.cwd(), "tests/vectors/ledger");
const readVectors = <T>(name: string): T =>
  JSON.parse(readFileSync(path.join(VECTORS, name), "utf8")) as T;

interface NumberCase {
  ieee754: string;
  want?: string;
  wantErr?: boolean;
  desc?: string;
}

interface ValueCase {
  desc: string;
  json: string;
  want?: string;
  wantHex?: string;
  wantErr?: boolean;
  wantPath?: string;
}

const numbers = readVectors<{ cases: NumberCase[] }>("rfc8785-numbers.json").cases;
const values = readVectors<{ cases: ValueCase[] }>("rfc8785-values.json").cases;

function fromIeee754(bits: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${bits}`));
  return view.getFloat64(0);
}

// The error canonicalJson threw, for asserting on its path and message.
function thrownBy(call: () => unknown): CanonicalJsonError {
  try {
    call();
  } catch (error) {
    if (error instanceof CanonicalJsonError) return error;
    throw error;
  }
  throw new Error("got no error, want CanonicalJsonError");
}

describe("RFC 8785 Appendix B numbers", () => {
  it("reads all 26 rows", () => {
    expect(numbers).toHaveLength(26);
  });

  it.each(numbers)("0x$ieee754 → $want", ({ ieee754, want, wantErr }) => {
    const value = fromIeee754(ieee754);
    if (wantErr) {
      const error = thrownBy(() => canonicalJson({ n: value }));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.path).toBe("$.n");
      return;
    }
    expect(canonicalJson(value)).toBe(want);
    expect(canonicalJson([value])).toBe(`[${want}]`);
  });
});

describe("RFC 8785 samples and local cases", () => {
  it("reads all cases", () => {
    expect(values.length).toBeGreaterThanOrEqual(12);
  });

  it.each(values)("$desc", ({ json, want, wantHex, wantErr, wantPath }) => {
    const value: unknown = JSON.parse(json);
    if (wantErr) {
      expect(thrownBy(() => canonicalJson(value)).path).toBe(wantPath);
      expect(() => canonicalBytes(value)).toThrow(CanonicalJsonError);
      return;
    }
    expect(canonicalJson(value)).toBe(want);
    const bytes = canonicalBytes(value);
    expect(new TextDecoder("utf-8", { fatal: true }).decode(bytes)).toBe(want);
    if (wantHex) expect(Buffer.from(bytes).toString("hex")).toBe(wantHex);
    // Canonical output is a fixed point: parse it again and nothing changes.
    expect(canonicalJson(JSON.parse(canonicalJson(value)))).toBe(want);
  });
});

describe("canonicalJson on JavaScript values", () => {
  it.each([
    [
      "the numbers RFC 8785 §3.2.2.3 names",
      [1e21, -0, 333333333.3333333, 5e-324],
      "[1e+21,0,333333333.3333333,5e-324]",
    ],
    [
      "integers past 2^53 in shortest round-trip form",
      [2 ** 53 + 2, -(2 ** 60)],
      "[9007199254740994,-1152921504606847000]",
    ],
    [
      "an object without a prototype",
      Object.assign(Object.create(null), { b: 1, a: 2 }),
      '{"a":2,"b":1}',
    ],
    [
      "a shared (not cyclic) reference twice",
      (() => {
        const x = { k: 1 };
        return [x, { x }];
      })(),
      '[{"k":1},{"x":{"k":1}}]',
    ],
    [
      "number-like keys in string order, not insertion or numeric order",
      { 10: "a", 9: "b", 1: "c" },
      '{"1":"c","10":"a","9":"b"}',
    ],
    ["a string holding a well-formed surrogate pair", "\ud83d\ude00", '"\ud83d\ude00"'],
  ] as const)("writes %s", (_, value, want) => {
    expect(canonicalJson(value)).toBe(want);
  });

  it("ignores member insertion order", () => {
    const a = { origin: "o", seq: 3, host: "h", nested: { z: [1, { y: 2, x: 1 }], a: null } };
    const b = { nested: { a: null, z: [1, { x: 1, y: 2 }] }, host: "h", seq: 3, origin: "o" };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalBytes(a)).toEqual(canonicalBytes(b));
  });

  it("encodes UTF-8 without a byte order mark", () => {
    expect(Array.from(canonicalBytes("é€😀"))).toEqual([
      0x22, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0x22,
    ]);
  });

  const cyclic: Record<string, unknown> = { a: [] };
  (cyclic.a as unknown[]).push({ back: cyclic });
  const holey: unknown[] = [1];
  holey[2] = 3;
  const withSymbolKey = { a: 1, [Symbol("s")]: 2 };
  class Point {
    x = 1;
  }

  it.each([
    ["undefined", undefined, "$", "undefined"],
    ["undefined member", { a: { b: undefined } }, "$.a.b", "undefined"],
    ["undefined in an array", [1, undefined], "$[1]", "undefined"],
    ["a function", { f: () => 1 }, "$.f", "function"],
    ["a bigint", { n: 1n }, "$.n", "bigint"],
    ["a symbol", [Symbol("s")], "$[0]", "symbol"],
    ["NaN", { "a b": Number.NaN }, '$["a b"]', "NaN"],
    ["Infinity", [Number.POSITIVE_INFINITY], "$[0]", "Infinity"],
    ["-Infinity", [Number.NEGATIVE_INFINITY], "$[0]", "-Infinity"],
    ["a Date (no silent toJSON)", { at: new Date(0) }, "$.at", "an instance of Date"],
    ["a Map", { m: new Map() }, "$.m", "an instance of Map"],
    ["a Uint8Array", { bytes: new Uint8Array(2) }, "$.bytes", "an instance of Uint8Array"],
    ["a class instance", [new Point()], "$[0]", "an instance of Point"],
    ["a boxed string", { s: new String("x") }, "$.s", "an instance of String"],
    ["an array hole", holey, "$[1]", "an array hole"],
    ["a symbol key", withSymbolKey, "$", "an object with symbol keys"],
    ["a cycle", cyclic, "$.a[0].back", "a cycle"],
    ["a lone surrogate in a value", { s: "a\ud800" }, "$.s", "a string with a lone surrogate"],
    [
      "a lone surrogate in a name",
      { "\udfff": 1 },
      '$["\\udfff"]',
      "a member name with a lone surrogate",
    ],
  ] as const)("refuses %s, naming where", (_, value, wantPath, got) => {
    const error = thrownBy(() => canonicalJson(value));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.code).toBe("LEDGER_NOT_CANONICAL_JSON");
    expect(error.path).toBe(wantPath);
    expect(error.message).toContain(`at ${wantPath}: got ${got}, want`);
  });
});

// A plain reference: members sorted by UTF-16 code units, everything else as JSON.stringify.
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${reference(record[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

describe("canonicalJson's fast path", () => {
  it("writes what the reference writes for any JSON value (fast-check)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(reference(value));
      }),
      { numRuns: 400, seed: 8785 },
    );
  });

  it("orders integer-like member names as strings, at any depth", () => {
    const value = { b: { "10": 1, "9": 2, a: 3 }, a: [{ "2": 0, "1": 0, "0": 0 }] };
    expect(canonicalJson(value)).toBe('{"a":[{"0":0,"1":0,"2":0}],"b":{"10":1,"9":2,"a":3}}');
    expect(canonicalJson(value)).toBe(reference(value));
  });

  it("keeps a member named __proto__ when it reorders", () => {
    const value = JSON.parse('{"b":1,"__proto__":{"y":1,"x":2}}') as unknown;
    expect(canonicalJson(value)).toBe('{"__proto__":{"x":2,"y":1},"b":1}');
  });

  it("still names where a value nested deep in sorted data has no canonical form", () => {
    expect(() => canonicalJson({ a: { b: [1, { c: Number.NaN }] } })).toThrow(
      /canonical JSON at \$\.a\.b\[1\]\.c: got NaN/,
    );
    expect(() => canonicalJson({ a: "\udc00" })).toThrow(
      /\$\.a: got a string with a lone surrogate/,
    );
  });
});
