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

/** What one parsed document yields: a partial graph. */
export interface ProvGraph {
  nodes: ProvNode[];
  relations: ProvRelation[];
  /** Capture host named inside the document (CamFlow's `cf:machine_id`), if any. */
  host: string | null;
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
