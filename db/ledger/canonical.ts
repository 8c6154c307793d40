/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): one byte string per JSON value, so a leaf's
 * hash commits to its content and not to how some serialiser happened to lay it out.
 *
 * Invariants: object members sorted by their names' UTF-16 code units, arrays in order, no
 * whitespace; strings and numbers exactly as ECMAScript's JSON.stringify writes them (which is
 * what RFC 8785 §3.2.2 specifies: shortest round-trip numbers, -0 as 0, minimal escapes).
 * Trade-off: only plain JSON data is accepted. Values JSON.stringify would silently drop,
 * coerce or call `toJSON` on (undefined, functions, symbols, bigint, NaN, Infinity, Date and
 * other class instances, array holes, symbol keys, cycles) and strings with lone surrogates
 * (not I-JSON, RFC 7493) throw CanonicalJsonError naming where they are, so that two parties
 * can never hash different bytes for what each believes is the same record.
 */

/** Thrown for a value that has no RFC 8785 form; `path` is where, e.g. `$.nodes[3].label`. */
export class CanonicalJsonError extends TypeError {
  readonly code = "LEDGER_NOT_CANONICAL_JSON";
  constructor(
    readonly path: string,
    got: string,
  ) {
    super(
      `canonical JSON at ${path}: got ${got}, want null, boolean, finite number, well-formed string, array or plain object`,
    );
    this.name = "CanonicalJsonError";
  }
}

/** The RFC 8785 text of `value`. Throws CanonicalJsonError for anything that is not plain JSON. */
export function canonicalJson(value: unknown): string {
  try {
    const text = JSON.stringify(sortedPlain(value, 0, []));
    // JSON.stringify writes a lone surrogate as an escape; RFC 8785 refuses it.
    if (!(text.includes("\\ud") && hasLoneSurrogate(value))) return text;
  } catch (error) {
    if (error !== NOT_PLAIN) throw error;
  }
  // Not plain JSON: the careful writer finds where, and throws with the path.
  const out: string[] = [];
  write(value, null, out, new Set());
  return out.join("");
}

/**
 * The fast path: checks that `value` is plain JSON data and returns it with every object's
 * members in sorted order (the same objects where they already are, copies where not), for
 * JSON.stringify to write natively; for plain data its output is RFC 8785's (numbers and
 * string escapes are ECMAScript's in both). Cycles are looked for only past CYCLE_CHECK_DEPTH
 * (a cycle nests without end, so it gets there). Throws NOT_PLAIN on anything else, and
 * `write` runs instead, for the error and its path.
 */
const NOT_PLAIN = Symbol("not plain JSON");
const CYCLE_CHECK_DEPTH = 64;

function sortedPlain(value: unknown, depth: number, ancestors: object[]): unknown {
  switch (typeof value) {
    case "boolean":
    case "string":
      return value;
    case "number":
      if (!Number.isFinite(value)) throw NOT_PLAIN;
      return value;
    case "object":
      if (value === null) return value;
      break;
    default:
      throw NOT_PLAIN;
  }
  if (depth >= CYCLE_CHECK_DEPTH && ancestors.includes(value)) throw NOT_PLAIN;
  ancestors.push(value);
  let result: unknown = value;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw NOT_PLAIN;
      const item = sortedPlain(value[i], depth + 1, ancestors);
      if (item !== value[i] && !copy) copy = value.slice(0, i);
      copy?.push(item);
    }
    if (copy) result = copy;
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw NOT_PLAIN;
    if (Object.getOwnPropertySymbols(value).length > 0) throw NOT_PLAIN;
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    let changed = false;
    for (let i = 1; i < keys.length && !changed; i++) {
      changed = (keys[i - 1] as string) > (keys[i] as string);
    }
    // Integer-like names ("1", "20") come first in any object whatever the order they were
    // set in, so such an object (its first name is one) is written by `write`.
    if (changed) {
      if (isArrayIndex(keys[0] as string)) throw NOT_PLAIN;
      keys.sort();
    }
    const members: unknown[] = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const original = record[keys[i] as string];
      const member = sortedPlain(original, depth + 1, ancestors);
      if (member !== original) changed = true;
      members[i] = member;
    }
    if (changed) {
      // No prototype: a member named "__proto__" (JSON.parse makes those) stays a member.
      const copy = Object.create(null) as Record<string, unknown>;
      for (let i = 0; i < keys.length; i++) copy[keys[i] as string] = members[i];
      result = copy;
    }
  }
  ancestors.pop();
  return result;
}

const ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/;
function isArrayIndex(key: string): boolean {
  return ARRAY_INDEX.test(key) && Number(key) < 4294967295;
}

function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === "string") return LONE_SURROGATE.test(value);
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value)) return value.some(hasLoneSurrogate);
  return Object.entries(value).some(([k, v]) => LONE_SURROGATE.test(k) || hasLoneSurrogate(v));
}

/** The UTF-8 bytes of `canonicalJson(value)`: what a ledger leaf holds. Throws as it does. */
export function canonicalBytes(value: unknown): Uint8Array {
  return encoder.encode(canonicalJson(value));
}
const encoder = new TextEncoder();

// A lone surrogate is the only thing a JS string can hold that is not Unicode; with the `u`
// flag a well-formed pair is one code point outside this range, so only lone halves match.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const PLAIN_NAME = /^[A-Za-z_$][\w$]*$/;

/**
 * Where a value sits, kept as a chain and turned into `$.a[0]` text only when an error needs
 * it: building path strings for every member was a third of the cost of canonicalising.
 */
interface Path {
  readonly parent: Path | null;
  readonly key: string | number;
}

function pathText(path: Path | null): string {
  const segments: string[] = [];
  for (let at = path; at; at = at.parent) {
    const { key } = at;
    segments.push(
      typeof key === "number"
        ? `[${key}]`
        : PLAIN_NAME.test(key)
          ? `.${key}`
          : `[${JSON.stringify(key)}]`,
    );
  }
  return `$${segments.reverse().join("")}`;
}

function fail(path: Path | null, got: string): never {
  throw new CanonicalJsonError(pathText(path), got);
}

function write(value: unknown, path: Path | null, out: string[], ancestors: Set<object>): void {
  switch (typeof value) {
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "number":
      if (!Number.isFinite(value)) fail(path, String(value));
      out.push(JSON.stringify(value));
      return;
    case "string":
      out.push(quote(value, path, "a string"));
      return;
    case "object":
      if (value === null) {
        out.push("null");
        return;
      }
      break;
    default:
      fail(path, typeof value);
  }
  if (ancestors.has(value)) fail(path, "a cycle");
  ancestors.add(value);
  if (Array.isArray(value)) {
    out.push("[");
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(",");
      const itemPath: Path = { parent: path, key: i };
      if (!(i in value)) fail(itemPath, "an array hole");
      write(value[i], itemPath, out, ancestors);
    }
    out.push("]");
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      fail(path, `an instance of ${String(name ?? "a class")}`);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) {
      fail(path, "an object with symbol keys");
    }
    const record = value as Record<string, unknown>;
    // Array.prototype.sort without a comparator orders strings by UTF-16 code units (§3.2.3).
    const keys = Object.keys(record).sort();
    out.push("{");
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const memberPath: Path = { parent: path, key };
      if (i > 0) out.push(",");
      out.push(quote(key, memberPath, "a member name"), ":");
      write(record[key], memberPath, out, ancestors);
    }
    out.push("}");
  }
  ancestors.delete(value);
}

function quote(text: string, path: Path | null, what: string): string {
  if (LONE_SURROGATE.test(text)) fail(path, `${what} with a lone surrogate`);
  return JSON.stringify(text);
}
