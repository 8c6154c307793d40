/**
 * Propagation within one ingested batch, in memory (db/labels/propagate.ts has the semantics).
 *
 * Nearly all of what a batch labels it labels along its own new relations: a process reads a
 * row and writes a file in the same document. The recursive SQL walk did that work one
 * (node, label) row at a time, three index probes each (16,350 rows for a 25-document batch of
 * the store bench). Here the batch's relations are known already: the labels their ends hold
 * are read in one statement, the least fixpoint over the new relations is computed on sets,
 * and the labels that are new are merged in one statement. What leaves the batch (a node that
 * gained labels and has older relations out of it, stored before: CamFlow relations that
 * arrived before their nodes, a late relation) continues through the SQL walk, which reads the
 * labels just merged. Same result as walking everything in SQL: both compute the same least
 * fixpoint, and the property tests deliver graphs in random orders and batch splits.
 *
 * Only relations this batch inserted are walked here: a relation stored before was propagated
 * when it was stored, and whenever its `to` end gained labels since (every gain walks the
 * stored relations out of the node). For an inserted relation the stored row is the statement
 * the batch holds (the first statement of an id wins; db/prov/ingest.ts).
 */
import { sql } from "drizzle-orm";
import type { Executor, Store } from "../client";
import { FLOW_RELATION_KINDS, type ProvRelation } from "../prov/model";
import { textArray, UPSERT_DIGESTED } from "./sql";
import { parseIsoTime } from "./time";

/** What a source node says (`gdpr:subject`, `gdpr:category`, `gdpr:purpose`), as stored. */
export interface SourceData {
  node: string;
  subject: string;
  category: string;
  purpose: string | null;
}

/** "From the start" (`-infinity`), as a time in microseconds. */
const START = Number.NEGATIVE_INFINITY;

/** One new relation that carries data, as the walk needs it. */
export interface BatchFlow {
  /** The relation's id. */
  id: string;
  /** Receives (PROV's first argument). */
  from: string;
  /** Gives. */
  to: string;
  /** Its `prov:time` in microseconds when that orders it, else null. */
  at: number | null;
  /** Ordered by time or by CamFlow/SPADE versions: labels cross as themselves, not as twins. */
  ordered: boolean;
}

/** The text PostgreSQL's `->>` gives for a JSON value (null for a missing key or JSON null). */
function jsonText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/**
 * The relation as the walk reads it, or null when it carries no data: the same test as
 * CARRIES and ORDERED in db/labels/sql.ts, on the statement instead of the stored row.
 */
export function batchFlowOf(relation: ProvRelation): BatchFlow | null {
  if (!FLOW_RELATION_KINDS.includes(relation.kind) || relation.from === relation.to) return null;
  const allowed =
    jsonText(relation.attributes["cf:allowed"]) ?? jsonText(relation.attributes.allowed) ?? "true";
  if (allowed === "false") return null;
  // Only prov:time orders (db/labels/time.ts, relationTime's `orders`): cf:date is not parsed.
  const time = relation.time ? parseIsoTime(relation.time) : null;
  const at = time ? time.getTime() * 1000 : null;
  return {
    id: relation.id,
    from: relation.from,
    to: relation.to,
    at,
    ordered: at !== null || relation.id.startsWith("cf:") || relation.id.startsWith("spade:"),
  };
}

/** A node's labels over time: per `since` (microseconds, START for -infinity) a set. */
type Held = Map<number, Set<number>>;

/** Whether `held` holds `label` at `since` or earlier. */
function holds(held: Held | undefined, label: number, since: number): boolean {
  if (!held) return false;
  for (const [at, labels] of held) if (at <= since && labels.has(label)) return true;
  return false;
}

/** The set `node` holds from `since` on, in `map` (created empty when missing). */
function setAt(map: Map<string, Held>, node: string, since: number): Set<number> {
  let held = map.get(node);
  if (!held) {
    held = new Map();
    map.set(node, held);
  }
  let labels = held.get(since);
  if (!labels) {
    labels = new Set();
    held.set(since, labels);
  }
  return labels;
}

function add(map: Map<string, Held>, node: string, since: number, label: number): void {
  setAt(map, node, since).add(label);
}

/** What nodes gained: per node, per `since`, the labels (each once). */
type Gained = Map<string, Map<number, number[]>>;

/**
 * The least fixpoint over the flows, from what their ends hold (`state`, which it updates to
 * what they hold after): per node, the labels it gains and from when. Allocation is what costs
 * here (a Map and a Set per node and time), so gains are kept as arrays.
 */
export function fixpoint(flows: readonly BatchFlow[], state: Map<string, Held>): Gained {
  const gained: Gained = new Map();
  const out = new Map<string, BatchFlow[]>();
  for (const flow of flows) {
    const list = out.get(flow.to);
    if (list) list.push(flow);
    else out.set(flow.to, [flow]);
  }
  // Work: labels a node gained at a time, to pass on along the flows out of it.
  const work: { node: string; since: number; labels: number[] }[] = [];
  const deliver = (flow: BatchFlow, since: number, labels: Iterable<number>) => {
    if (flow.at !== null && since > flow.at) return;
    const at = flow.at ?? START;
    const held = state.get(flow.from);
    let fresh: number[] | null = null;
    for (const label of labels) {
      const delivered = flow.ordered ? label : -Math.abs(label);
      if (held && holds(held, delivered, at)) continue;
      if (fresh === null) fresh = [];
      fresh.push(delivered);
    }
    if (fresh === null) return;
    const into = setAt(state, flow.from, at);
    for (const label of fresh) into.add(label);
    let gains = gained.get(flow.from);
    if (!gains) {
      gains = new Map();
      gained.set(flow.from, gains);
    }
    const list = gains.get(at);
    if (list) list.push(...fresh);
    else gains.set(at, fresh.slice());
    work.push({ node: flow.from, since: at, labels: fresh });
  };
  // No copies: a flow only adds to its `from` end, never its `to` (a loop carries nothing).
  for (const flow of flows) {
    const held = state.get(flow.to);
    if (held) for (const [since, labels] of held) deliver(flow, since, labels);
  }
  for (let next = work.pop(); next; next = work.pop()) {
    for (const flow of out.get(next.node) ?? []) deliver(flow, next.since, next.labels);
  }
  // A label gained at two times is kept from the earlier one only (it holds from then on), as
  // the SQL walk keeps min(since) per node and label.
  for (const [node, gains] of gained) {
    if (gains.size < 2) continue;
    const first = new Map<number, number>();
    for (const [since, labels] of gains) {
      for (const label of labels) {
        const seen = first.get(label);
        if (seen === undefined || since < seen) first.set(label, since);
      }
    }
    const kept = new Map<number, number[]>();
    for (const [label, since] of first) {
      const labels = kept.get(since);
      if (labels) labels.push(label);
      else kept.set(since, [label]);
    }
    gained.set(node, kept);
  }
  return gained;
}

/** `since` in microseconds from a row: null is -infinity. */
const sinceOf = (us: string | number | null) => (us === null ? START : Number(us));

/**
 * Propagates along the batch's new relations that carry data, in memory, and merges what the
 * nodes gained. Returns the nodes whose labels changed. Requires the relations' ends' labels
 * (the sources' included) to be stored.
 */
export async function propagateBatch(
  store: Store,
  tx: Executor,
  flows: readonly BatchFlow[],
  sources: readonly SourceData[] = [],
): Promise<string[]> {
  if (flows.length === 0 && sources.length === 0) return [];
  const ends = [
    ...new Set([...flows.flatMap((flow) => [flow.from, flow.to]), ...sources.map((s) => s.node)]),
  ];
  // Per end, its rows by index (a lateral with offset 0: as a join the planner hashed a scan of
  // all of node_labels), and each set's labels once.
  const [loaded] = await store.rows<{ result: string }>(
    sql`with held as materialized (
      select nl.node_ext_id as node, nl.since, nl.label_set_id
      from unnest(${textArray(ends)}) as e(node)
      cross join lateral (
        select * from node_labels nl where nl.node_ext_id = e.node offset 0
      ) nl
    )
    select json_build_object(
      'rows', (select coalesce(json_agg(json_build_array(node,
                 case when since = '-infinity' then null
                      else (extract(epoch from since) * 1000000)::bigint end,
                 label_set_id)), '[]') from held),
      'sets', (select coalesce(json_object_agg(ls.id, ls.label_ids), '{}')
               from (select distinct label_set_id from held) d
               cross join lateral (
                 select ls.id, ls.label_ids from label_sets ls where ls.id = d.label_set_id offset 0
               ) ls),
      'sources', (select coalesce(json_agg(json_build_array(i.node, l.id)), '[]')
                  from jsonb_to_recordset(${JSON.stringify(sources)}::jsonb)
                    as i(node text, subject text, category text, purpose text)
                  -- By index per source (offset 0), whatever the estimates: labels grows with
                  -- the subjects.
                  cross join lateral (
                    select l.id from subjects s
                    join data_categories c on c.key = i.category
                    join labels l on l.subject_id = s.id and l.category_id = c.id
                      and l.purpose_id is not distinct from
                        (select p.id from purposes p where p.key = i.purpose)
                    where s.ref = i.subject offset 0
                  ) l)
    )::text as result`,
    tx,
  );
  const {
    rows,
    sets,
    sources: sourceLabels,
  } = JSON.parse(loaded?.result ?? '{"rows":[],"sets":{},"sources":[]}') as {
    rows: [string, string | number | null, number][];
    sets: Record<string, number[]>;
    sources: [string, number][];
  };
  const stored = new Map<string, Held>();
  /** The set each loaded row pointed to, by `${node} ${since}`. */
  const readSet = new Map<string, number>();
  for (const [node, us, set] of rows) {
    const since = sinceOf(us);
    readSet.set(`${node} ${since}`, set);
    for (const label of sets[String(set)] ?? []) add(stored, node, since, label);
  }
  // Sources hold their labels from the start: what they did not hold yet they gain, and the
  // fixpoint passes it on (it reads the state, not only what it gains).
  const fromSources = new Map<string, Held>();
  for (const [node, label] of sourceLabels) {
    if (holds(stored.get(node), label, START)) continue;
    add(stored, node, START, label);
    add(fromSources, node, START, label);
  }
  const gained = fixpoint(flows, stored);
  for (const [node, held] of fromSources) {
    const gains = gained.get(node) ?? new Map<number, number[]>();
    gained.set(node, gains);
    gains.set(START, [...(gains.get(START) ?? []), ...(held.get(START) ?? [])]);
  }
  if (gained.size === 0) return [];
  // Per changed row, the set it was read with united with what it gained, sorted as PostgreSQL
  // sorts integers (the store digests a set as md5 of its ids joined by commas).
  const merged: [string, number | null, number | null, string][] = [];
  for (const [node, held] of gained) {
    for (const [since, labels] of held) {
      const read = readSet.get(`${node} ${since}`);
      const ids = [
        ...new Set([...(read === undefined ? [] : (sets[String(read)] ?? [])), ...labels]),
      ];
      ids.sort((a, b) => a - b);
      const text = ids.join(",");
      merged.push([node, since === START ? null : since, read ?? null, `{${text}}`]);
    }
  }
  // A row that another ingest changed since it was read here is merged again from its set now.
  const changed = await store.rows<{ node: string }>(
    sql`with input as (
      select e->>0 as node,
        case when jsonb_typeof(e->1) = 'null' then '-infinity'::timestamptz
             else 'epoch'::timestamptz + (e->>1)::bigint * interval '1 microsecond' end as since,
        (e->>2)::bigint as read_set, (e->>3)::integer[] as ids
      from jsonb_array_elements(${JSON.stringify(merged)}::jsonb) as e
    ),
    current as (
      select i.*, cur.label_set_id is not distinct from i.read_set as as_read, cur.label_set_id
      from input i
      left join lateral (
        select cur.label_set_id from node_labels cur
        where cur.node_ext_id = i.node and cur.since = i.since offset 0
      ) cur on true
    ),
    digested as (
      select node, since, ids, md5(array_to_string(ids, ',')) as digest from current where as_read
      union all
      select c.node, c.since, m.ids, md5(array_to_string(m.ids, ',')) from current c
      cross join lateral (
        select array_agg(distinct v order by v) as ids
        from unnest(c.ids || (select ls.label_ids from label_sets ls where ls.id = c.label_set_id))
          as v
      ) m
      where not c.as_read
    ),
    ${UPSERT_DIGESTED}`,
    tx,
  );
  return changed.map((row) => row.node);
}

/**
 * Relations stored before this batch (not among `inserted`) out of the given nodes: where what
 * those nodes gained must continue beyond the batch (by the SQL walk).
 */
export async function storedRelationsOut(
  store: Store,
  tx: Executor,
  nodes: readonly string[],
  inserted: ReadonlySet<string>,
): Promise<string[]> {
  if (nodes.length === 0) return [];
  const [row] = await store.rows<{ ids: string | null }>(
    sql`select json_agg(r.ext_id)::text as ids
      from unnest(${textArray(nodes)}) as n(node)
      cross join lateral (
        select r.ext_id from prov_relations r where r.to_ext_id = n.node offset 0
      ) r`,
    tx,
  );
  const ids = JSON.parse(row?.ids ?? "[]") as string[];
  return ids.filter((id) => !inserted.has(id));
}

/**
 * Which of the batch's new flows can be entries into a service (db/labels/flows.ts): both ends
 * stored, the receiving end in a service, the giving end not in the same one. The services of
 * the nodes the batch inserted are known here (`inserted`: their service at insert, from
 * `gdpr:service`; `remapped`: those the DPO's rules then mapped); the other ends' are read, by
 * index per node. Spares the entries' statement four index probes for every new relation that
 * cannot be one (most of a batch: a process reading a file of the same service).
 */
export async function entryCandidates(
  store: Store,
  tx: Executor,
  flows: readonly BatchFlow[],
  inserted: ReadonlyMap<string, number | null>,
  remapped: ReadonlyMap<string, number | null>,
): Promise<string[]> {
  if (flows.length === 0) return [];
  /** Stored nodes' services (null: none); a node that is not stored has no entry. */
  const serviceOf = new Map<string, number | null>();
  for (const [node, service] of inserted) {
    serviceOf.set(node, remapped.has(node) ? (remapped.get(node) ?? null) : service);
  }
  const others = [
    ...new Set(flows.flatMap((flow) => [flow.from, flow.to]).filter((n) => !serviceOf.has(n))),
  ];
  if (others.length > 0) {
    const [row] = await store.rows<{ nodes: string | null }>(
      sql`select json_agg(json_build_array(n.ext_id, n.service_id))::text as nodes
        from unnest(${textArray(others)}) as o(node)
        cross join lateral (
          select n.ext_id, n.service_id from prov_nodes n where n.ext_id = o.node offset 0
        ) n`,
      tx,
    );
    for (const [node, service] of JSON.parse(row?.nodes ?? "[]") as [string, number | null][]) {
      serviceOf.set(node, service);
    }
  }
  return flows.flatMap((flow) => {
    const service = serviceOf.get(flow.from);
    if (service === null || service === undefined || !serviceOf.has(flow.to)) return [];
    return serviceOf.get(flow.to) === service ? [] : [flow.id];
  });
}
