/**
 * Reads camflowd's default output format, `format=spade_json` (libprovenance
 * src/provenanceSPADEJSON.c; ../shared/CAMFLOW.md "SPADE JSON format"): one JSON object per line,
 * a vertex `{"type":"Entity|Activity|Agent","id":"<base64>","annotations":{...}}` or an edge
 * `{"type":"Used|WasGeneratedBy|...","from":<effect id>,"to":<cause id>,"annotations":{...}}`.
 *
 * Ids get the `cf:` prefix the W3C format writes, so the same vertex reported in either format
 * is one element. SPADE's `from` is the effect and `to` the cause, which is PROV's dependent and
 * dependency: they map straight onto ProvRelation's `from` and `to`. Annotations are kept as the
 * element's attributes. Vertex kind, type and host follow camflow.ts, so a vertex reported in
 * both formats is one element of one kind: SPADE's `Entity` machine is the W3C format's agent.
 * Pure; a record of the wrong shape throws SpadeFormatError.
 */
import type {
  Attributes,
  NodeKind,
  ProvGraph,
  ProvNode,
  ProvRelation,
  RelationKind,
} from "../../db/prov/model";
import { plainString } from "../../db/prov/model";
import { camflowHost, camflowTime, camflowVertexKind, camflowVertexType } from "./camflow";

export class SpadeFormatError extends Error {
  readonly code = "SPADE_FORMAT";

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SpadeFormatError";
  }
}

const VERTEX_KINDS: Readonly<Record<string, NodeKind>> = {
  Entity: "entity",
  Activity: "activity",
  Agent: "agent",
};

const EDGE_KINDS: Readonly<Record<string, RelationKind>> = {
  Used: "used",
  WasGeneratedBy: "wasGeneratedBy",
  WasInformedBy: "wasInformedBy",
  WasDerivedFrom: "wasDerivedFrom",
  WasAssociatedWith: "wasAssociatedWith",
  WasInfluencedBy: "wasInfluencedBy",
  WasAttributedTo: "wasAttributedTo",
  ActedOnBehalfOf: "actedOnBehalfOf",
};

/** True when `value` looks like a SPADE JSON record (vertex or edge), not a PROV-JSON document. */
export function isSpadeRecord(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  const type = record.type;
  if (typeof type !== "string") return false;
  return Object.hasOwn(VERTEX_KINDS, type)
    ? "id" in record
    : Object.hasOwn(EDGE_KINDS, type) && ("from" in record || "to" in record);
}

const cfId = (id: string) => (id.startsWith("cf:") ? id : `cf:${id}`);

function requireString(value: unknown, what: string): string {
  if (typeof value !== "string" || value === "") {
    throw new SpadeFormatError(
      `${what}: expected a non-empty string, got ${JSON.stringify(value) ?? "nothing"}`,
    );
  }
  return value;
}

function annotationsOf(record: Record<string, unknown>, what: string): Attributes {
  const annotations = record.annotations ?? {};
  if (typeof annotations !== "object" || annotations === null || Array.isArray(annotations)) {
    throw new SpadeFormatError(`${what}: expected "annotations" to be an object`);
  }
  return annotations as Attributes;
}

/**
 * One graph from a run of SPADE JSON records (a camflowd batch or a log file's lines). Repeated
 * vertices keep their first annotations. Throws SpadeFormatError naming the record (0-based).
 */
export function parseSpadeRecords(records: readonly unknown[]): ProvGraph {
  const nodes = new Map<string, ProvNode>();
  const relations: ProvRelation[] = [];
  let host: string | null = null;
  records.forEach((value, index) => {
    if (!isSpadeRecord(value))
      throw new SpadeFormatError(`record ${index}: not a SPADE vertex or edge`);
    const record = value as Record<string, unknown>;
    const type = record.type as string;
    const what = `record ${index} (${type})`;
    const attributes = annotationsOf(record, what);
    host ??= camflowHost(attributes["cf:machine_id"]);
    const vertexKind = Object.hasOwn(VERTEX_KINDS, type) ? VERTEX_KINDS[type] : undefined;
    if (vertexKind) {
      const id = cfId(requireString(record.id, `${what} id`));
      if (!nodes.has(id)) {
        const vertexType = camflowVertexType(attributes);
        nodes.set(id, {
          id,
          kind: camflowVertexKind(vertexType, vertexKind),
          type: vertexType,
          label: null,
          attributes,
        });
      }
      return;
    }
    const from = cfId(requireString(record.from, `${what} from`));
    const to = cfId(requireString(record.to, `${what} to`));
    const edgeId = plainString(attributes.id);
    relations.push({
      id: edgeId ? cfId(edgeId) : `spade:${type}:${from}:${to}`,
      kind: EDGE_KINDS[type] as RelationKind,
      from,
      to,
      time: camflowTime(attributes["cf:date"]),
      attributes,
    });
  });
  return { nodes: [...nodes.values()], relations, host };
}
