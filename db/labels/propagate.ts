/**
 * Personal-data labels follow information flow forward in time (DESIGN.md, "Personal data and
 * how it spreads"), maintained incrementally at ingest, inside the ingest's transaction.
 *
 * Semantics. A node holds, at time t, the labels of its sources plus those every flow relation
 * into it delivered at or before t; a relation delivers what its other end held when it
 * happened. So a process that wrote a file before it read someone's data did not put that data
 * in the file. What orders a relation:
 * - generic PROV: `prov:time` (relation_times.orders); the receiving end holds the labels from
 *   that time on, and only labels its other end held at that time cross;
 * - CamFlow: object versions. Every version is its own node, so plain reachability between
 *   versions is already in time order; the relation gates nothing;
 * - nothing (PROV without time): conservative, everything crosses, and the labels become their
 *   unordered twins (-id), so flows built on them say they are unordered.
 * This is the least fixpoint of a monotone system, so it does not depend on the order in which
 * relations and nodes arrive: a late relation propagates from its ends to what is stored.
 *
 * Incremental and set-based: one recursive statement per ingested graph walks from the graph's
 * new relations and new sources, and stops wherever a node already holds a label at that time
 * or earlier. Rows are per (node, since), pointing to interned label sets (db/schema/labels.ts).
 *
 * Cost: the walk carries single labels, so it is linear in labels x nodes it reaches for the
 * first time; a node that already holds everything stops it at once.
 */
import { sql } from "drizzle-orm";
import type { Executor, Store } from "../client";
import {
  FLOW_RELATION_KINDS,
  type ProvGraph,
  type ProvNode,
  personalDataOf,
  plainString,
} from "../prov/model";
import {
  batchFlowOf,
  entryCandidates,
  propagateBatch,
  type SourceData,
  storedRelationsOut,
} from "./batch";
import { refreshEntries } from "./flows";
import { mapNodesToServices } from "./services";
import {
  CARRIES,
  DELIVERED_SINCE,
  deliveredLabel,
  MERGE_INCOMING,
  ROW_BEFORE_RELATION,
  textArray,
} from "./sql";
import { parseIsoTime } from "./time";

/** What the batch's ingest inserted (elements it names that were stored before are not). */
export interface BatchWritten {
  /** The relations' ids, each with its row's id. */
  relations: ReadonlyMap<string, number>;
  /** The nodes' ids, each with its service at insert (`gdpr:service`), or null. */
  nodes: ReadonlyMap<string, number | null>;
}

export interface LabellingResult {
  /** Source nodes in the graph (`gdpr:subject` + `gdpr:category`). */
  sources: number;
  /** Nodes whose labels changed, sources included. */
  labelled: number;
  /** Flows whose summary changed. */
  flows: number;
  /** New violations. */
  violations: number;
}

/**
 * Labels what one ingested graph changed, and the flows and violations that follow. Call it in
 * the ingest's transaction, after the graph's nodes and relations are stored (`written`: what
 * the batch inserted; the other relations were stored, and propagated, before), and the
 * subjects, data categories and purposes its sources name (db/prov/ingest.ts stores them with
 * the personal-data sources). Throws if the database rejects a statement (the caller's
 * transaction then rolls back).
 */
export async function labelIngested(
  store: Store,
  tx: Executor,
  graph: ProvGraph,
  written: BatchWritten,
): Promise<LabellingResult> {
  const inserted = new Set(written.relations.keys());
  await withoutJit(tx);
  await recordRelationTimes(tx, graph, written.relations);
  const sourceData = await recordSources(store, tx, graph.nodes);
  const sources = [...new Set(sourceData.map((source) => source.node))];
  const nodeIds = graph.nodes.map((node) => node.id);
  const remapped = await mapNodesToServices(store, tx, nodeIds);
  // Along the batch's new relations in memory (db/labels/batch.ts), then beyond the batch, from
  // every node that gained labels, along the relations stored before it, in SQL.
  const batchFlows = graph.relations.flatMap((relation) => {
    const flow = inserted.has(relation.id) ? batchFlowOf(relation) : null;
    return flow ? [flow] : [];
  });
  const inBatch = await propagateBatch(store, tx, batchFlows, sourceData);
  const beyond = await storedRelationsOut(
    store,
    tx,
    [...new Set([...sources, ...inBatch])],
    inserted,
  );
  const changed = [...inBatch, ...(await propagate(store, tx, { relations: beyond, nodes: [] }))];
  const labelled = new Set([...sources, ...changed]);
  const flows = await refreshEntries(store, tx, {
    nodes: [...labelled],
    newNodes: nodeIds,
    relations: await entryCandidates(store, tx, batchFlows, written.nodes, remapped),
    inserted: written.relations.values(),
    // The new nodes in a service: by gdpr:service at insert, or by the rules just now.
    mapped: [...written.nodes].flatMap(([node, service]) =>
      (remapped.has(node) ? remapped.get(node) : service) == null ? [] : [node],
    ),
  });
  return { sources: sources.length, labelled: labelled.size, ...flows };
}

/**
 * Turns PostgreSQL's JIT off for the rest of the transaction. Labelling runs a few statements
 * whose estimated cost (recursive walks, tables without statistics yet) crosses jit_above_cost
 * while they touch a few hundred rows: compiling them cost about a second each on the bench
 * machine, a hundred times the work itself.
 */
export async function withoutJit(tx: Executor): Promise<void> {
  await tx.execute(sql`set local jit = off`);
}

/** Where propagation starts: relations (from their `to` end) and nodes (all their outflows). */
export interface PropagationSeed {
  relations: readonly string[];
  nodes: readonly string[];
}

/**
 * Propagates labels from the seed to everything they reach and returns the nodes whose labels
 * changed. Requires the seed's relations, nodes and their times to be stored.
 */
export async function propagate(
  store: Store,
  tx: Executor,
  seed: PropagationSeed,
): Promise<string[]> {
  if (seed.relations.length === 0 && seed.nodes.length === 0) return [];
  const rows = await store.rows<{ node: string }>(
    sql`with recursive
      seed_relation as (
        select id from prov_relations where ext_id = any(${textArray(seed.relations)})
        union select id from prov_relations where to_ext_id = any(${textArray(seed.nodes)})
      ),
      -- Per seed relation, its row, time and labelled end by index (laterals with offset 0):
      -- with an array's estimates the planner hashed a scan of all of prov_relations.
      seed as (
        select r.from_ext_id as node, n.label, n.since
        from seed_relation sr
        cross join lateral (select * from prov_relations r where r.id = sr.id offset 0) r
        left join lateral (
          select rt.orders, rt.at from relation_times rt where rt.relation_id = r.id offset 0
        ) t on true
        cross join lateral (
          select nl.label_set_id from node_labels nl
          where nl.node_ext_id = r.to_ext_id and ${ROW_BEFORE_RELATION} offset 0
        ) nl
        join label_sets ls on ls.id = nl.label_set_id
        cross join lateral unnest(ls.label_ids) as x(id)
        cross join lateral (select ${deliveredLabel(sql`x.id`)} as label,
                                   ${DELIVERED_SINCE} as since) n
        where ${CARRIES}
      ),
      walk(node, label, since) as (
        select s.node, s.label, s.since from seed s
        where not exists (
          select 1 from node_labels h join label_sets hs on hs.id = h.label_set_id
          where h.node_ext_id = s.node and h.since <= s.since and hs.label_ids @> array[s.label]
          offset 0)
        union
        select step.node, step.label, step.since
        from walk w
        -- One step per walked row in a lateral with offset 0 (not flattened), so it probes the
        -- indexes by that row's node. As a join, the planner takes the work table for 900 rows
        -- and hashes all of prov_relations, relation_times and node_labels at every step: work
        -- that grows with the store, not with the batch.
        cross join lateral (
          select r.from_ext_id as node, n.label, n.since
          from prov_relations r
          left join relation_times t on t.relation_id = r.id
          cross join lateral (select ${deliveredLabel(sql`w.label`)} as label,
                                     ${DELIVERED_SINCE} as since) n
          where r.to_ext_id = w.node and ${CARRIES}
            and (t.orders is not true or w.since <= t.at)
            and not exists (
              select 1 from node_labels h join label_sets hs on hs.id = h.label_set_id
              where h.node_ext_id = r.from_ext_id and h.since <= n.since
                and hs.label_ids @> array[n.label])
          offset 0
        ) step
      ),
      incoming as (
        select node, label, min(since) as since from walk group by node, label
      ),
      ${MERGE_INCOMING}`,
    tx,
  );
  return rows.map((row) => row.node);
}

/**
 * Parses the time of each relation that carries data and is ordered by it (`prov:time`,
 * db/labels/time.ts) once into relation_times. An informational time (CamFlow's cf:date) gets
 * no row: only an entry into a service reads it, from the relation (sql.ts, RELATION_AT), so a
 * CamFlow stream that carries no personal data writes nothing here. Only the relations the batch
 * inserted (`inserted`, with their rows' ids): their stored statement is the one read here (the
 * first statement of an id wins), and a relation stored before got its time then.
 */
async function recordRelationTimes(
  tx: Executor,
  graph: ProvGraph,
  inserted: ReadonlyMap<string, number>,
): Promise<void> {
  const times = graph.relations.flatMap((relation) => {
    const id = inserted.get(relation.id);
    if (id === undefined || !FLOW_RELATION_KINDS.includes(relation.kind) || !relation.time) {
      return [];
    }
    // Only prov:time orders (relationTime's `orders`); cf:date is not parsed for nothing.
    const at = parseIsoTime(relation.time);
    return at ? [[id, at.toISOString()]] : [];
  });
  if (times.length === 0) return;
  await tx.execute(sql`
    insert into relation_times (relation_id, at, orders)
    select (e->>0)::bigint, (e->>1)::timestamptz, true
    from jsonb_array_elements(${JSON.stringify(times)}::jsonb) as e
    order by 1
    on conflict (relation_id) do nothing`);
}

/**
 * Stores the labels of the graph's sources (`gdpr:subject` + `gdpr:category`, optional
 * `gdpr:purpose`), and the consent a source states (`gdpr:consent`: a date-time, or
 * true/yes/given for "from the start"). Returns what the stored nodes say: the sources' nodes
 * hold these labels from the start of time (written by propagateBatch).
 */
async function recordSources(
  store: Store,
  tx: Executor,
  nodes: readonly ProvNode[],
): Promise<SourceData[]> {
  const sources = nodes.flatMap((node) => {
    const data = personalDataOf(node.attributes);
    if (data.length === 0) return [];
    const purpose = data[0]?.purpose ?? null;
    const stated = Object.fromEntries(
      GDPR_SOURCE_KEYS.flatMap((key) =>
        node.attributes[key] === undefined ? [] : [[key, node.attributes[key]]],
      ),
    );
    const consent = consentTime(node, purpose);
    return data.map(({ subject, category }) => ({
      node: node.id,
      subject,
      category,
      purpose,
      consent,
      stated,
    }));
  });
  if (sources.length === 0) return [];
  // Only what the stored node says: the first statement of an id wins, a later one that
  // disagrees about the subject or purpose of a node labels nothing.
  // The stored node is probed per source (a check that is not pulled up into a join: as a join,
  // the planner hashed a scan of all of prov_nodes, which grows with the store).
  const input = sql`(select i.* from jsonb_to_recordset(${JSON.stringify(sources)}::jsonb)
      as i(node text, subject text, category text, purpose text, consent timestamptz,
           stated jsonb)
    where exists (
      select 1 from prov_nodes n where n.ext_id = i.node and n.attributes @> i.stated offset 0)
    ) as i`;
  // The labels here; the sources' label rows with the batch's propagation (db/labels/batch.ts:
  // a later statement, so that it sees labels a concurrent ingest committed meanwhile). The subjects,
  // categories and purposes are stored already: the ingest records personal-data sources
  // before it labels (db/prov/ingest.ts), in earlier statements of the same transaction.
  // Sorted inserts: concurrent ingests of the same new labels lock them in the same order.
  const [confirmed] = await store.rows<{ nodes: string | null }>(
    sql`
    with new_labels as (
      insert into labels (subject_id, category_id, purpose_id)
      select distinct s.id, c.id, p.id from ${input}
        join subjects s on s.ref = i.subject
        join data_categories c on c.key = i.category
        left join purposes p on p.key = i.purpose
      order by 1, 2, 3
      on conflict do nothing returning 1)
    select json_agg(distinct i.node)::text as nodes from ${input}`,
    tx,
  );
  const stored = new Set(JSON.parse(confirmed?.nodes ?? "[]") as string[]);
  if (sources.some((source) => source.consent !== null)) {
    await tx.execute(sql`
        insert into consent_events (subject_id, purpose_id, action, at, how)
        select distinct s.id, p.id, 'given'::consent_action, i.consent,
               'provenance: gdpr:consent on ' || i.node
        from ${input}
          join subjects s on s.ref = i.subject
          join purposes p on p.key = i.purpose
        where i.consent is not null
          and not exists (
            select 1 from consent_events e
            where e.subject_id = s.id and e.purpose_id = p.id and e.action = 'given'
              and e.at = i.consent and e.how = 'provenance: gdpr:consent on ' || i.node)`);
  }
  return sources.flatMap(({ node, subject, category, purpose }) =>
    stored.has(node) ? [{ node, subject, category, purpose }] : [],
  );
}

const GDPR_SOURCE_KEYS = ["gdpr:subject", "gdpr:category", "gdpr:purpose", "gdpr:consent"];
const CONSENT_FROM_THE_START = new Set(["true", "yes", "given", "1"]);

/** When the source says consent was given: its date-time, "-infinity" for a plain yes, or null. */
function consentTime(node: ProvNode, purpose: string | null): string | null {
  const value = plainString(node.attributes["gdpr:consent"]);
  if (!value || !purpose) return null;
  if (CONSENT_FROM_THE_START.has(value.trim().toLowerCase())) return "-infinity";
  return parseIsoTime(value)?.toISOString() ?? null;
}
