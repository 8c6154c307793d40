/**
 * Hand-built provenance graphs for the label and flow tests, and readers that put what the
 * store concluded into plain, comparable form.
 */
import { sql } from "drizzle-orm";
import type { Store } from "../../db/client";
import { ingestGraph } from "../../db/prov/ingest";
import type {
  Attributes,
  NodeKind,
  ProvGraph,
  ProvNode,
  ProvRelation,
  RelationKind,
} from "../../db/prov/model";
import { flowSummariesOf } from "../../db/queries/flows";

export function node(id: string, kind: NodeKind, attributes: Attributes = {}): ProvNode {
  return { id, kind, type: null, label: null, attributes };
}

/** A relation `from` depends on `to` (data flows to -> from); `time` is prov:time (ISO). */
export function rel(
  id: string,
  kind: RelationKind,
  from: string,
  to: string,
  time: string | null = null,
  attributes: Attributes = {},
): ProvRelation {
  return { id, kind, from, to, time, attributes };
}

export const source = (subject: string, category: string, extra: Attributes = {}): Attributes => ({
  "gdpr:subject": subject,
  "gdpr:category": category,
  ...extra,
});

export const inService = (service: string, organisation?: string): Attributes =>
  organisation
    ? { "gdpr:service": service, "gdpr:organisation": organisation }
    : { "gdpr:service": service };

/** Stores a graph as one document from `host`, without a ledger record. */
export async function store(
  target: Store,
  nodes: ProvNode[],
  relations: ProvRelation[],
  host = "test-host",
): Promise<void> {
  const graph: ProvGraph = { nodes, relations, host };
  await ingestGraph(target, graph, host, null);
}

/**
 * Every node's labels as `node subject/category[/purpose] ordered|unordered since`, each label
 * at the earliest time the node holds it, sorted; only nodes whose id starts with `prefix`.
 */
export async function labelsOf(target: Store, prefix = ""): Promise<string[]> {
  const rows = await target.rows<{ line: string }>(sql`
    select nl.node_ext_id || ' ' || s.ref || '/' || c.key || coalesce('/' || p.key, '')
           || case when x.id > 0 then ' ordered ' else ' unordered ' end
           || case when min(nl.since) = '-infinity' then 'always'
                   else to_char(min(nl.since) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') end
           as line
    from node_labels nl
    join label_sets ls on ls.id = nl.label_set_id
    cross join lateral unnest(ls.label_ids) as x(id)
    join labels l on l.id = abs(x.id)
    join subjects s on s.id = l.subject_id
    join data_categories c on c.id = l.category_id
    left join purposes p on p.id = l.purpose_id
    where nl.node_ext_id like ${`${prefix}%`}
    group by nl.node_ext_id, s.ref, c.key, p.key, x.id > 0
    order by 1`);
  return rows.map((row) => row.line);
}

/** The subjects labelling one node (any time, ordered or not). */
export async function subjectsOn(target: Store, nodeId: string): Promise<string[]> {
  const rows = await target.rows<{ ref: string }>(sql`
    select distinct s.ref from node_labels nl
    join label_sets ls on ls.id = nl.label_set_id
    cross join lateral unnest(ls.label_ids) as x(id)
    join labels l on l.id = abs(x.id) join subjects s on s.id = l.subject_id
    where nl.node_ext_id = ${nodeId} order by 1`);
  return rows.map((row) => row.ref);
}

/**
 * Flows as `subject/category service first..last xcount ordered status`, sorted; only subjects
 * whose reference starts with `prefix`.
 */
export async function flowsOf(target: Store, prefix = ""): Promise<string[]> {
  const flows = await flowSummariesOf(
    target,
    sql`select id from subjects where ref like ${`${prefix}%`}`,
  );
  return flows
    .map(
      (f) =>
        `${f.subject}/${f.category} ${f.service} ${short(f.firstSeen)}..${short(f.lastSeen)}` +
        ` x${f.count} ${f.ordered ? "ordered" : "unordered"} ${f.status}`,
    )
    .sort();
}

/** An ISO time as flowsOf prints it: seconds, no zone; "?" when unknown. */
function short(iso: string | null): string {
  return iso ? iso.replace(/Z$/, "") : "?";
}
