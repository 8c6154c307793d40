/**
 * Reads one W3C PROV-JSON document (W3C Member Submission 2013, SUBM-prov-json-20130424) into a
 * partial ProvGraph. Pure: no I/O, no clock; the same input and documentKey give the same graph.
 *
 * Read tolerantly, because real producers (CamFlow, the `prov` test suite) bend the format:
 * - any key order; statements in unknown top-level sections (CamFlow v0.3.3's stray `relation`,
 *   `message`) cannot be classified and are reported in `graph.skipped` (`unknown-section`);
 * - "scruffy" documents: an id may hold a JSON array of statements instead of one object;
 * - the same node id may appear several times (array, several sections, several bundles): its
 *   attributes are merged, later wins per key, array values are kept whole (never concatenated);
 *   the node keeps the kind of the section it first appeared in;
 * - relations never merge: each statement (and each member of a hadMember `prov:entity` array)
 *   becomes its own ProvRelation. The first one emitted under an id keeps `<id>`, the n-th gets
 *   `<id>#<n>` (n from 2, counted per document over emitted relations), so nothing is lost;
 * - wasStartedBy / wasEndedBy without a trigger take their starter / ender as `to`; any other
 *   statement missing one of its two endpoints (PROV's optional terms: wasGeneratedBy without
 *   activity, ...) has no edge to draw: it is not an error, and it is reported in
 *   `graph.skipped` (reason `incomplete`), never dropped silently;
 * - edges may name nodes that are not in the document (CamFlow streams): they are kept as is;
 * - attribute values are kept as the JSON they are (typed literals `{"$","type","lang"}` and
 *   CamFlow's nested `cf:address` objects stay objects); only endpoints leave `attributes`.
 *
 * Identity (see db/prov/model.ts): ids and endpoint references are qualified names, expanded to
 * namespace URI + local part with the document's `prefix` section (bundles add their own on top
 * of the outer ones; `default` expands unprefixed names). `prov:` and `xsd:` always expand to the
 * W3C namespaces (a document cannot rebind them; CamFlow declares `prov` without its `#`).
 * Kept exactly as written: `cf:` ids (CamFlow's ids are global already), bare numeric names
 * (CamFlow legacy machine ids), and names whose prefix the document does not declare. Blank
 * nodes `_:x` become `_:<first 16 chars of documentKey>:x`, stable per document.
 *
 * CamFlow documents (those binding `cf` to http://www.camflow.org) get camflow.ts's treatment:
 * pre-2017 bare base64 ids gain their `cf:`, a node's `type` is today's name for it, a relation
 * without `prov:time` takes its `cf:date`, and a document with no `cf:machine_id` but a legacy
 * machine vertex (keyed by its number) is that machine's.
 * Attribute keys in the gdpr namespace (model.ts GDPR_NAMESPACE), under whatever prefix or as a
 * full URI, are rewritten to `gdpr:<name>`; `gdpr:` annotations that do not make a node a
 * personal-data source are reported in `graph.skipped` (`gdpr-annotation`).
 *
 * Shapes that make the document meaningless throw ProvFormatError (code "PROV_FORMAT") naming
 * the section and id: a non-object document (or one with keys but no PROV-JSON section at
 * all), section, bundle or statement (including null), a non-string prefix URI, an endpoint
 * that is not a string (hadMember's `prov:entity` may also be an array of strings), an
 * attribute value that is not JSON.
 *
 * `host` is CamFlow's `cf:machine_id` of the first statement (document order) that carries one,
 * as camflow.ts camflowHost reads it ("cf:509509127"; numbers and digit strings become "cf:<n>").
 */

import { createHash } from "node:crypto";
import {
  type Attributes,
  GDPR_NAMESPACE,
  gdprAnnotations,
  hasGdprAnnotations,
  type JsonValue,
  NODE_KINDS,
  type NodeKind,
  type ProvGraph,
  type ProvNode,
  type ProvRelation,
  plainString,
  RELATION_KINDS,
  type RelationKind,
  type SkippedStatement,
} from "../../db/prov/model";
import {
  camflowHost,
  camflowId,
  camflowTime,
  camflowVertexType,
  isCamflowNamespace,
  legacyMachineHost,
} from "./camflow";

export class ProvFormatError extends Error {
  readonly code = "PROV_FORMAT";
  /**
   * `shape`: a value of the wrong type somewhere in a PROV-JSON document; `no-section`: JSON
   * that has none of PROV-JSON's sections (not provenance at all); `syntax`: not JSON.
   */
  readonly problem: "shape" | "no-section" | "syntax";

  constructor(
    message: string,
    options?: ErrorOptions & { problem?: "shape" | "no-section" | "syntax" },
  ) {
    super(message, options);
    this.name = "ProvFormatError";
    this.problem = options?.problem ?? "shape";
  }
}

export interface ParseOptions {
  /**
   * stable scope for blank-node ids, e.g. a sha256 of the raw message; or a function that makes
   * it, called only if the document has a blank node (most have none: the bridge then hashes
   * nothing for it)
   */
  documentKey: string | (() => string);
}

/** How many characters of the documentKey scope a blank node (64 bits of a hex sha256). */
const BLANK_SCOPE_LENGTH = 16;

/** Namespaces fixed by PROV-DM; they win over whatever a document declares for these prefixes. */
export const STANDARD_NAMESPACES: ReadonlyMap<string, string> = new Map([
  ["prov", "http://www.w3.org/ns/prov#"],
  ["xsd", "http://www.w3.org/2001/XMLSchema#"],
]);

/** Prefixes whose names are global ids already and are never expanded. */
const VERBATIM_PREFIXES: ReadonlySet<string> = new Set(["cf"]);

/** PROV-JSON endpoint keys per relation kind: [from (dependent), to (what it depends on)]. */
export const RELATION_ENDPOINTS: Readonly<Record<RelationKind, readonly [string, string]>> = {
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

/**
 * When the optional trigger is absent, the activity that started (ended) the activity is what
 * it depends on: kept as `to` rather than losing the statement. It also stays in `attributes`.
 */
const FALLBACK_TARGET: Partial<Record<RelationKind, string>> = {
  wasStartedBy: "prov:starter",
  wasEndedBy: "prov:ender",
};

/** Relation kinds whose `to` endpoint may be an array (one relation per member). */
const MULTI_TARGET_KINDS: ReadonlySet<RelationKind> = new Set(["hadMember"]);

const TIME_KEYS = ["prov:time", "prov:startTime", "prov:endTime"] as const;

const NODE_KIND_SET: ReadonlySet<string> = new Set(NODE_KINDS);
const RELATION_KIND_SET: ReadonlySet<string> = new Set(RELATION_KINDS);

type JsonObject = { [key: string]: unknown };

/** The names in force in one document or bundle. */
interface Scope {
  readonly prefixes: ReadonlyMap<string, string>;
  /** `cf` is bound to CamFlow's namespace: bare base64 names are CamFlow ids. */
  readonly camflow: boolean;
  /** Prefixes other than `gdpr` bound to GDPR_NAMESPACE (their attribute keys become `gdpr:`). */
  readonly gdprAliases: ReadonlySet<string>;
}

const EMPTY_SCOPE: Scope = { prefixes: new Map(), camflow: false, gdprAliases: new Set() };

interface ParseState {
  /** Read only for a blank node: the document key may be made on demand. */
  readonly blankScope: string;
  readonly nodes: Map<string, { kind: NodeKind; attributes: Attributes }>;
  readonly relations: ProvRelation[];
  /** Relations emitted so far per relation id, for the `<id>#<n>` suffix. */
  readonly emitted: Map<string, number>;
  readonly skipped: SkippedStatement[];
  host: string | null;
  /** The top-level document is CamFlow's (its nodes get camflow.ts types). */
  camflow: boolean;
}

/**
 * Parses a PROV-JSON document already decoded from JSON.
 * Requires a non-empty `options.documentKey` (throws TypeError otherwise).
 * Throws ProvFormatError when the document's shape is wrong (see the module header).
 */
export function parseProvJson(doc: unknown, options: ParseOptions): ProvGraph {
  const requireKey = (key: unknown): string => {
    if (typeof key !== "string" || key === "") {
      throw new TypeError(
        `parseProvJson: expected a non-empty documentKey, got ${describeValue(key)}`,
      );
    }
    return key;
  };
  const { documentKey } = options;
  let blankScope =
    typeof documentKey === "function" ? null : requireKey(documentKey).slice(0, BLANK_SCOPE_LENGTH);
  if (!isJsonObject(doc)) {
    throw new ProvFormatError(`PROV-JSON document: expected an object, got ${describeValue(doc)}`);
  }
  const state: ParseState = {
    get blankScope() {
      blankScope ??= requireKey((documentKey as () => string)()).slice(0, BLANK_SCOPE_LENGTH);
      return blankScope;
    },
    nodes: new Map(),
    relations: [],
    emitted: new Map(),
    skipped: [],
    host: null,
    camflow: false,
  };
  requireSomeSection(doc);
  readDocument(doc, EMPTY_SCOPE, "", state);

  const nodes: ProvNode[] = [];
  for (const [id, { kind, attributes }] of state.nodes) {
    nodes.push({
      id,
      kind,
      type: state.camflow
        ? camflowVertexType(attributes)
        : plainString(own(attributes, "prov:type")),
      label: plainString(own(attributes, "prov:label")),
      attributes,
    });
    if (hasGdprAnnotations(attributes)) noteGdprProblems(state, kind, id, attributes);
  }
  // A 2016-17 document holding only its machine's vertex names the host by that vertex's id.
  if (state.host === null && state.camflow) {
    for (const node of nodes) state.host ??= legacyMachineHost(node.id, node.type);
  }
  const graph: ProvGraph = { nodes, relations: state.relations, host: state.host };
  if (state.skipped.length > 0) graph.skipped = state.skipped;
  return graph;
}

/**
 * Parses PROV-JSON text: strips a UTF-8 BOM, decodes, then parseProvJson. `documentKey`
 * defaults to the sha256 hex of `text` as given (with its BOM, i.e. of the raw UTF-8 bytes).
 * Throws ProvFormatError when the text is not JSON (the SyntaxError is its `cause`) or when the
 * document's shape is wrong.
 */
export function parseProvJsonText(text: string, options: Partial<ParseOptions> = {}): ProvGraph {
  if (typeof text !== "string") {
    throw new ProvFormatError(`PROV-JSON text: expected a string, got ${describeValue(text)}`);
  }
  const documentKey =
    options.documentKey ?? createHash("sha256").update(text, "utf8").digest("hex");
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new ProvFormatError(
        `PROV-JSON text: expected valid JSON, got a syntax error: ${error.message}`,
        { cause: error, problem: "syntax" },
      );
    }
    throw error;
  }
  return parseProvJson(doc, { documentKey });
}

/**
 * A document with keys but none of PROV-JSON's (a SPADE record of a type no reader knows, an
 * application's own JSON) is not provenance: storing it as an empty graph would hide it.
 */
function requireSomeSection(doc: JsonObject): void {
  const keys = Object.keys(doc);
  const known = (key: string) =>
    key === "prefix" || key === "bundle" || NODE_KIND_SET.has(key) || RELATION_KIND_SET.has(key);
  if (keys.length === 0 || keys.some(known)) return;
  const shown = keys.slice(0, 5).map(quote).join(", ");
  throw new ProvFormatError(
    `PROV-JSON document: expected a section such as "entity" or "used", got only ${shown}${keys.length > 5 ? ", ..." : ""}`,
    { problem: "no-section" },
  );
}

/** Reads one document or bundle body; `where` prefixes error messages ("" at top level). */
function readDocument(doc: JsonObject, outer: Scope, where: string, state: ParseState): void {
  // The prefix section may come after the sections that use it, so read it first.
  const scope = readPrefixes(doc, outer, where);
  if (where === "") state.camflow = scope.camflow;
  for (const [section, value] of Object.entries(doc)) {
    if (section === "prefix") continue;
    if (NODE_KIND_SET.has(section)) {
      readNodeSection(section as NodeKind, value, scope, where, state);
    } else if (RELATION_KIND_SET.has(section)) {
      readRelationSection(section as RelationKind, value, scope, where, state);
    } else if (section === "bundle") {
      readBundleSection(value, scope, where, state);
    } else {
      skipUnknownSection(section, value, where, state);
    }
  }
}

/**
 * A section PROV-JSON does not define (CamFlow's stray `relation`, `message`): each statement in
 * it is reported, since its kind cannot be told. A value that is not an object is reported once.
 */
function skipUnknownSection(section: string, value: unknown, where: string, state: ParseState) {
  const detail = `${where}${quote(section)} is not a PROV-JSON section`;
  if (!isJsonObject(value)) {
    state.skipped.push({ reason: "unknown-section", section, id: "", detail });
    return;
  }
  for (const id of Object.keys(value)) {
    state.skipped.push({ reason: "unknown-section", section, id, detail });
  }
}

function readPrefixes(doc: JsonObject, outer: Scope, where: string): Scope {
  if (!Object.hasOwn(doc, "prefix")) return outer;
  const section = requireObject(doc.prefix, `${where}prefix`);
  const prefixes = new Map(outer.prefixes);
  for (const [name, uri] of Object.entries(section)) {
    if (typeof uri !== "string") {
      throw new ProvFormatError(
        `${where}prefix ${quote(name)}: expected a string (namespace URI), got ${describeValue(uri)}`,
      );
    }
    prefixes.set(name, uri);
  }
  const gdprAliases = new Set<string>();
  for (const [name, uri] of prefixes) {
    if (uri === GDPR_NAMESPACE && name !== "gdpr") gdprAliases.add(name);
  }
  return { prefixes, camflow: isCamflowNamespace(prefixes.get("cf")), gdprAliases };
}

function readNodeSection(
  kind: NodeKind,
  value: unknown,
  scope: Scope,
  where: string,
  state: ParseState,
): void {
  const section = requireObject(value, `${where}${kind}`);
  for (const [key, element] of Object.entries(section)) {
    const context = elementContext(where, kind, key);
    const id = expandName(key, scope, state);
    // An id with an empty array of statements is still declared: it gets a node.
    addNode(state, id, kind, {});
    for (const statement of statementsOf(element, context)) {
      noteHost(state, statement);
      addNode(state, id, kind, copyAttributes(statement, context, [], scope));
    }
  }
}

function readRelationSection(
  kind: RelationKind,
  value: unknown,
  scope: Scope,
  where: string,
  state: ParseState,
): void {
  const section = requireObject(value, `${where}${kind}`);
  const [fromKey, toKey] = RELATION_ENDPOINTS[kind];
  for (const [key, element] of Object.entries(section)) {
    const context = elementContext(where, kind, key);
    const id = expandName(key, scope, state);
    for (const statement of statementsOf(element, context)) {
      noteHost(state, statement);
      const from = endpointName(statement, fromKey, context);
      let to = MULTI_TARGET_KINDS.has(kind)
        ? endpointMembers(statement, toKey, context)
        : optionalList(endpointName(statement, toKey, context));
      const fallbackKey = FALLBACK_TARGET[kind];
      if (to.length === 0 && fallbackKey) {
        to = optionalList(endpointName(statement, fallbackKey, context));
      }
      const attributes = copyAttributes(statement, context, [fromKey, toKey], scope);
      const time =
        relationTime(attributes) ?? (scope.camflow ? camflowTime(attributes["cf:date"]) : null);
      if (from === undefined || to.length === 0) {
        // PROV's optional terms: no edge to draw. Reported, not stored (model.ts SkipReason).
        const missing = [from === undefined ? fromKey : null, to.length === 0 ? toKey : null];
        state.skipped.push({
          reason: "incomplete",
          section: kind,
          id: key,
          detail: `${where}${kind} ${quote(key)} has no ${missing.filter(Boolean).join(" and no ")}`,
        });
        continue;
      }
      const fromId = expandName(from, scope, state);
      to.forEach((target, index) => {
        state.relations.push({
          id: nextRelationId(state, id),
          kind,
          from: fromId,
          to: expandName(target, scope, state),
          time,
          attributes: index === 0 ? attributes : structuredClone(attributes),
        });
      });
    }
  }
}

function readBundleSection(value: unknown, scope: Scope, where: string, state: ParseState): void {
  const section = requireObject(value, `${where}bundle`);
  for (const [key, body] of Object.entries(section)) {
    const context = `${where}bundle ${quote(key)}`;
    const content = requireObject(body, context);
    // A bundle is itself an entity (PROV-DM 5.4.1), named in the enclosing document.
    addNode(state, expandName(key, scope, state), "entity", {});
    // PROV does not nest bundles; if a producer does, reading them the same way loses nothing.
    readDocument(content, scope, `${context} > `, state);
  }
}

function addNode(state: ParseState, id: string, kind: NodeKind, attributes: Attributes): void {
  const existing = state.nodes.get(id);
  if (existing === undefined) {
    state.nodes.set(id, { kind, attributes });
  } else if (isEmpty(existing.attributes)) {
    // Declared (readNodeSection adds every id with no attributes first): take the statement's
    // own copy rather than copying it once more.
    existing.attributes = attributes;
  } else {
    existing.attributes = { ...existing.attributes, ...attributes };
  }
}

function isEmpty(attributes: Attributes): boolean {
  for (const _ in attributes) return false;
  return true;
}

function nextRelationId(state: ParseState, id: string): string {
  const n = (state.emitted.get(id) ?? 0) + 1;
  state.emitted.set(id, n);
  return n === 1 ? id : `${id}#${n}`;
}

/** One statement or a "scruffy" array of statements under one id. */
function statementsOf(element: unknown, context: Where): JsonObject[] {
  if (!Array.isArray(element)) return [requireObject(element, context)];
  return element.map((statement, index) =>
    requireObject(statement, () => `${say(context)} (statement ${index + 1} of ${element.length})`),
  );
}

/** The name at one endpoint, or undefined when the statement leaves it out. */
function endpointName(statement: JsonObject, key: string, context: Where): string | undefined {
  if (!Object.hasOwn(statement, key)) return undefined;
  return requireName(statement[key], () => `${say(context)}: ${key}`);
}

/** hadMember's members: one name or an array of names; empty when left out. */
function endpointMembers(statement: JsonObject, key: string, context: Where): string[] {
  if (!Object.hasOwn(statement, key)) return [];
  const value = statement[key];
  if (!Array.isArray(value)) return [requireName(value, () => `${say(context)}: ${key}`)];
  return value.map((member, index) =>
    requireName(member, () => `${say(context)}: ${key}[${index}]`),
  );
}

function optionalList(name: string | undefined): string[] {
  return name === undefined ? [] : [name];
}

function requireName(value: unknown, context: Where): string {
  if (typeof value !== "string" || value === "") {
    throw new ProvFormatError(
      `${say(context)}: expected a non-empty string (qualified name), got ${describeValue(value)}`,
    );
  }
  return value;
}

function requireObject(value: unknown, context: Where): JsonObject {
  if (!isJsonObject(value)) {
    throw new ProvFormatError(`${say(context)}: expected an object, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Expands a qualified name to its global id (rules in the module header). Requires that
 * `scope.prefixes` hold the document's declarations, including `default` when declared.
 */
function expandName(name: string, scope: Scope, state: { readonly blankScope: string }): string {
  const { prefixes } = scope;
  const colon = name.indexOf(":");
  if (colon === -1) {
    if (/^[0-9]+$/.test(name)) return name;
    if (scope.camflow) {
      const id = camflowId(name);
      if (id !== name) return id;
    }
    const namespace = prefixes.get("default");
    return namespace === undefined ? name : namespace + name;
  }
  const prefix = name.slice(0, colon);
  const local = name.slice(colon + 1);
  if (prefix === "_") return `_:${state.blankScope}:${local}`;
  if (VERBATIM_PREFIXES.has(prefix)) return name;
  const namespace = STANDARD_NAMESPACES.get(prefix) ?? prefixes.get(prefix);
  return namespace === undefined ? name : namespace + local;
}

/** The statement's attributes, minus `omit`, as fresh JSON values; gdpr keys as `gdpr:`. */
function copyAttributes(
  statement: JsonObject,
  context: Where,
  omit: readonly string[],
  scope: Scope,
): Attributes {
  // In key order (a stable sort: of repeated keys the last still wins), which is the order the
  // ledger's canonical JSON writes them in: its digest then needs no sorted copy of a flat
  // element (db/prov/element-digest.ts). Nested values (a CamFlow address) keep the document's
  // order, which the writer's JSON literals show. Per attribute, nothing is allocated but the
  // copy itself: no [key, value] pair, no context string (built only for an error message).
  const names: string[] = [];
  const values: JsonValue[] = [];
  let sorted = true;
  for (const key in statement) {
    if (!Object.hasOwn(statement, key) || (omit.length > 0 && omit.includes(key))) continue;
    const name = gdprKey(key, scope);
    if (name === "__proto__") return copyAttributesByEntries(statement, context, omit, scope);
    const value = statement[key];
    values.push(
      value === null ||
        typeof value === "string" ||
        typeof value === "boolean" ||
        (typeof value === "number" && Number.isFinite(value))
        ? value
        : toJsonValue(value, () => `${say(context)}: ${key}`),
    );
    if (sorted && names.length > 0 && !((names[names.length - 1] as string) < name)) {
      sorted = false;
    }
    names.push(name);
  }
  const attributes: Attributes = {};
  if (sorted) {
    for (let i = 0; i < names.length; i++) {
      attributes[names[i] as string] = values[i] as JsonValue;
    }
    return attributes;
  }
  // Insertion sort of the positions (a statement has a few dozen attributes at most): stable.
  const order: number[] = [];
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    let j = order.length;
    while (j > 0 && name < (names[order[j - 1] as number] as string)) j--;
    order.splice(j, 0, i);
  }
  for (const i of order) attributes[names[i] as string] = values[i] as JsonValue;
  return attributes;
}

/**
 * copyAttributes for a statement with a key that is `__proto__` once read: Object.fromEntries
 * defines own properties, so it stays an ordinary key.
 */
function copyAttributesByEntries(
  statement: JsonObject,
  context: Where,
  omit: readonly string[],
  scope: Scope,
): Attributes {
  const entries: [string, JsonValue][] = [];
  for (const [key, value] of Object.entries(statement)) {
    if (omit.includes(key)) continue;
    entries.push([gdprKey(key, scope), toJsonValue(value, () => `${say(context)}: ${key}`)]);
  }
  return Object.fromEntries(entries.sort(byKey));
}

/** Code-unit order of entries' keys, as canonical JSON sorts members. */
function byKey(a: [string, JsonValue], b: [string, JsonValue]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

function toJsonValue(value: unknown, context: Where): JsonValue {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (Array.isArray(value)) {
    return value.map((item, index) => toJsonValue(item, () => `${say(context)}[${index}]`));
  }
  if (isJsonObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        toJsonValue(item, () => `${say(context)}.${key}`),
      ]),
    );
  }
  throw new ProvFormatError(`${say(context)}: expected a JSON value, got ${describeValue(value)}`);
}

function relationTime(attributes: Attributes): string | null {
  for (const key of TIME_KEYS) {
    // plainString (shared with the store) unwraps typed literals and takes an array's first value.
    const time = plainString(own(attributes, key));
    if (time !== null && time !== "") return time;
  }
  return null;
}

/** `g:subject` (g bound to the gdpr namespace) and `<namespace>subject` become `gdpr:subject`. */
function gdprKey(key: string, scope: Scope): string {
  if (key.startsWith(GDPR_NAMESPACE)) return `gdpr:${key.slice(GDPR_NAMESPACE.length)}`;
  if (scope.gdprAliases.size === 0) return key;
  const colon = key.indexOf(":");
  return colon > 0 && scope.gdprAliases.has(key.slice(0, colon))
    ? `gdpr:${key.slice(colon + 1)}`
    : key;
}

/** Reports gdpr: annotations that will not make the node a personal-data source. */
function noteGdprProblems(state: ParseState, kind: NodeKind, id: string, attributes: Attributes) {
  const gdpr = gdprAnnotations(attributes);
  const problems = [...gdpr.problems];
  if (gdpr.subjects.length > 0 && gdpr.categories.length === 0) {
    problems.push("gdpr:subject without gdpr:category: not recorded as personal data");
  } else if (gdpr.categories.length > 0 && gdpr.subjects.length === 0) {
    problems.push("gdpr:category without gdpr:subject: not recorded as personal data");
  }
  for (const detail of problems) {
    state.skipped.push({ reason: "gdpr-annotation", section: kind, id, detail });
  }
}

function noteHost(state: ParseState, statement: JsonObject): void {
  if (state.host !== null || !Object.hasOwn(statement, "cf:machine_id")) return;
  state.host = camflowHost(statement["cf:machine_id"] as JsonValue);
}

function own(object: { readonly [key: string]: JsonValue }, key: string): JsonValue | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

function isJsonObject(value: unknown): value is JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function quote(name: string): string {
  return JSON.stringify(name);
}

/**
 * Where in the document a value is, for error messages: the text, or what makes it. Built only
 * when a message needs it (an element's context was a string built for every element, and one
 * more for every attribute).
 */
type Where = string | (() => string);

function say(where: Where): string {
  return typeof where === "string" ? where : where();
}

/** `<where><section> "<id>"`, the context of one element's statements. */
function elementContext(where: string, section: string, key: string): Where {
  return () => `${where}${section} ${quote(key)}`;
}

/** A short account of what came, for "expected X, got Y" messages. */
function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "string":
      return `string ${quote(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
    case "number":
    case "boolean":
    case "bigint":
      return `${typeof value} ${String(value)}`;
    case "object":
      return "a non-plain object";
    default:
      return typeof value;
  }
}
