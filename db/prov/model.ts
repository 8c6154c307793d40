/**
 * The provenance model shared by the capture bridge (which produces it from wire formats) and
 * the store (which persists it). Plain data, no I/O.
 *
 * Identity: an element's `id` is global. For W3C PROV documents it is the expanded qualified
 * name (namespace URI + local part); for CamFlow it is the `cf:` id as CamFlow writes it (it
 * already embeds machine, boot and version). Blank nodes (`_:x`) are scoped to the document
 * they came from, so the parser rewrites them to a stable document-scoped id.
 *
 * Direction: relations point from the dependent (`from`) to what it depends on (`to`), as in
 * PROV; information flows from `to` to `from` for the kinds in FLOW_RELATION_KINDS.
 */

export const NODE_KINDS = ["entity", "activity", "agent"] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

/** Every PROV-JSON relation section, in the order of the PROV-JSON submission. */
export const RELATION_KINDS = [
  "used",
  "wasGeneratedBy",
  "wasInformedBy",
  "wasDerivedFrom",
  "wasAssociatedWith",
  "wasAttributedTo",
  "actedOnBehalfOf",
  "wasStartedBy",
  "wasEndedBy",
  "wasInvalidatedBy",
  "wasInfluencedBy",
  "specializationOf",
  "alternateOf",
  "hadMember",
  "mentionOf",
] as const;
export type RelationKind = (typeof RELATION_KINDS)[number];

/** Relation kinds along which data (and so personal-data labels) travels, `to` -> `from`. */
export const FLOW_RELATION_KINDS: readonly RelationKind[] = [
  "used",
  "wasGeneratedBy",
  "wasInformedBy",
  "wasDerivedFrom",
];

/** A JSON value as kept in `attributes` (typed literals are kept as `{ "$", "type", "lang" }`). */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

export type Attributes = Record<string, JsonValue>;

export interface ProvNode {
  id: string;
  kind: NodeKind;
  /** First `prov:type` value as a plain string (qualified name as written), or null. */
  type: string | null;
  /** `prov:label` as a plain string, or null. */
  label: string | null;
  /** Every attribute as written, keyed by its qualified name (`prov:type`, `cf:pid`, `gdpr:subject`). */
  attributes: Attributes;
}

export interface ProvRelation {
  id: string;
  kind: RelationKind;
  /** The dependent end (PROV's first argument: the activity of `used`, the entity of `wasGeneratedBy`). */
  from: string;
  /** What `from` depends on (PROV's second argument). */
  to: string;
  /** `prov:time` (or start/end time) as an ISO string, when the statement carries one. */
  time: string | null;
  attributes: Attributes;
}

/**
 * Why a statement that was read did not become an element (or not all of one):
 * - `incomplete`: a relation missing an optional end (PROV allows `wasGeneratedBy(e, -, t)`);
 *   with one end there is no edge to store, and inventing the other end would invent data;
 * - `unknown-section`: a statement in a section PROV-JSON does not define (CamFlow v0.3.3's stray
 *   `relation`, `message`), whose kind cannot be told;
 * - `gdpr-annotation`: a node carries `gdpr:` annotations that do not make it a personal-data
 *   source (a subject without a category, a value that is not a string). The node is stored.
 * The raw document stays in the ledger's archive, so what these statements said is kept.
 */
export const SKIP_REASONS = ["incomplete", "unknown-section", "gdpr-annotation"] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface SkippedStatement {
  reason: SkipReason;
  /** The section as written (`wasGeneratedBy`, `relation`, `entity`). */
  section: string;
  /** The statement's id as written. */
  id: string;
  /** What was missing or wrong, for the operator. */
  detail: string;
}

/** What one parsed document yields: a partial graph. */
export interface ProvGraph {
  nodes: ProvNode[];
  relations: ProvRelation[];
  /** Capture host named inside the document (CamFlow's `cf:machine_id`), if any. */
  host: string | null;
  /** Statements read but not (wholly) turned into elements; absent means none. */
  skipped?: SkippedStatement[];
}

/**
 * The plain string of an attribute value: a string as is, a typed literal's `$`, a number or
 * boolean as text, the first of an array. Null for anything else.
 */
export function plainString(value: JsonValue | undefined): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return value.length > 0 ? plainString(value[0]) : null;
  const literal = value.$;
  return literal === undefined ? null : plainString(literal);
}

/**
 * The namespace of Provtopia's app-level annotations. Readers rewrite any prefix bound to it (and
 * full URIs in it) to `gdpr:`, so `attributes["gdpr:subject"]` is where the store looks.
 */
export const GDPR_NAMESPACE = "https://provtopia.example/ns/gdpr#";

/** The app-level `gdpr:` annotations of one node, typed (see DESIGN.md "Personal data"). */
export interface GdprAnnotations {
  /** `gdpr:subject`: the subjects' stable references (a record may hold several subjects' data). */
  subjects: string[];
  /** `gdpr:category`: email, location, health, ... */
  categories: string[];
  /** `gdpr:purpose`: the purposes the data was collected for. */
  purposes: string[];
  /**
   * `gdpr:consent`: true/false when given as a boolean (JSON, `"true"`/`"false"`, or an
   * `xsd:boolean` literal); otherwise the reference as written (a consent record id); null if absent.
   */
  consent: boolean | string | null;
  /** `gdpr:service`: the service the node belongs to. */
  service: string | null;
  /** `gdpr:organisation`: the organisation running that service. */
  organisation: string | null;
  /** Annotations present but unreadable (an object without `$`, an empty string): key -> why. */
  problems: string[];
}

const GDPR_KEYS = [
  "gdpr:subject",
  "gdpr:category",
  "gdpr:purpose",
  "gdpr:consent",
  "gdpr:service",
  "gdpr:organisation",
] as const;

/** True when the attributes hold any of the annotations gdprAnnotations reads. */
export function hasGdprAnnotations(attributes: Attributes): boolean {
  return GDPR_KEYS.some((key) => Object.hasOwn(attributes, key));
}

/**
 * Reads a node's `gdpr:` annotations. Each value may be a string, a number, a typed literal
 * `{"$": ..., "type": ...}` (a `prov:QUALIFIED_NAME` stays as written), or an array of those.
 * Never throws; what cannot be read is named in `problems`.
 */
export function gdprAnnotations(attributes: Attributes): GdprAnnotations {
  const problems: string[] = [];
  const values = (key: string): string[] => {
    if (!Object.hasOwn(attributes, key)) return [];
    const raw = attributes[key];
    const list = Array.isArray(raw) ? raw : [raw];
    const out: string[] = [];
    for (const item of list) {
      const text = Array.isArray(item) ? null : plainString(item);
      if (text === null || text.trim() === "") {
        problems.push(`${key}: expected a string or a typed literal, got ${JSON.stringify(item)}`);
      } else if (!out.includes(text)) {
        out.push(text);
      }
    }
    return out;
  };
  const single = (key: string): string | null => {
    const [first, ...rest] = values(key);
    if (rest.length > 0) problems.push(`${key}: expected one value, got ${rest.length + 1}`);
    return first ?? null;
  };
  let consent: boolean | string | null = null;
  if (Object.hasOwn(attributes, "gdpr:consent")) {
    const raw = attributes["gdpr:consent"];
    const text = typeof raw === "boolean" ? String(raw) : single("gdpr:consent");
    consent = text === "true" ? true : text === "false" ? false : text;
  }
  return {
    subjects: values("gdpr:subject"),
    categories: values("gdpr:category"),
    purposes: values("gdpr:purpose"),
    consent,
    service: single("gdpr:service"),
    organisation: single("gdpr:organisation"),
    problems,
  };
}

/**
 * The personal data a node is a source of (`gdpr:subject` + `gdpr:category`): every subject x
 * category it names (an invitation names two people), for its first purpose. Empty for a node
 * that names no subject. The store's personal_data_sources and the labels both read it.
 */
export function personalDataOf(
  attributes: Attributes,
): { subject: string; category: string; purpose: string | null; service: string | null }[] {
  if (!Object.hasOwn(attributes, "gdpr:subject")) return [];
  const gdpr = gdprAnnotations(attributes);
  const purpose = gdpr.purposes[0] ?? null;
  return gdpr.subjects.flatMap((subject) =>
    gdpr.categories.map((category) => ({ subject, category, purpose, service: gdpr.service })),
  );
}
