/**
 * Witness paths: one path in the provenance graph from a personal-data source to the node where
 * the data entered a service, proving that it got there.
 *
 * Found backwards, breadth first (so the shortest), one statement per level: from the entry's
 * node, step to what a data-carrying relation came from, but only to nodes that held the label
 * when that relation happened. A level costs one query whatever its width. The path is a path of
 * nodes that held the data; each step is in time order, though the whole path is not checked to
 * be (a node may have received the label after the step it is used for, through another route).
 */
import { sql } from "drizzle-orm";
import type { Executor, Store } from "../client";
import { CARRIES, ROW_BEFORE_RELATION } from "./sql";

/** How far back a witness search goes before it gives up (levels of the graph). */
export const WITNESS_MAX_DEPTH = 512;

/**
 * A path of node external ids from a source of `labelId` to `to`, or null when none is found
 * within WITNESS_MAX_DEPTH levels (e.g. the label reached `to` through a relation since deleted).
 */
export async function witnessPathTo(
  store: Store,
  executor: Executor,
  labelId: number,
  to: string,
): Promise<string[] | null> {
  const [path] = await witnessPaths(store, executor, [{ labelId, to }]);
  return path ?? null;
}

/**
 * witnessPathTo for many (label, node) pairs at once: one breadth-first search per pair, all of
 * them in one recursive statement (a row per search and level: its frontier, the parent of
 * every node it visited, and the source it found). Returns the paths in the order of
 * `searches`.
 */
export async function witnessPaths(
  store: Store,
  executor: Executor,
  searches: readonly { labelId: number; to: string }[],
): Promise<(string[] | null)[]> {
  if (searches.length === 0) return [];
  const input = searches.map((search, key) => ({ key, label: search.labelId, node: search.to }));
  const rows = await store.rows<{ key: number; origin: string; parents: Record<string, string> }>(
    sql`with recursive bfs(key, label, depth, frontier, parents, origin) as (
          select f.key, f.label, 0, array[f.node], jsonb_build_object(f.node, null),
                 null::text collate "C"
          from jsonb_to_recordset(${JSON.stringify(input)}::jsonb)
            as f(key integer, label integer, node text collate "C")
          union all
          select b.key, b.label, b.depth + 1, coalesce(step.next, '{}'),
                 b.parents || coalesce(step.links, '{}'), o.origin
          from bfs b
          -- A source of the label in the frontier ends the search (the first by id).
          cross join lateral (
            select min(x.node) as origin
            from unnest(b.frontier) as x(node)
            join prov_nodes n on n.ext_id = x.node
            join personal_data_sources p on p.node_id = n.id
            join labels l on l.id = b.label and l.subject_id = p.subject_id
              and l.category_id = p.category_id
          ) o
          -- Else one level back: what a data-carrying relation came from, if it held the label
          -- then and is not visited yet; one parent per new node.
          cross join lateral (
            select array_agg(s.pred) as next, jsonb_object_agg(s.pred, s.node) as links
            from (
              select distinct on (e.pred) e.node, e.pred
              from unnest(b.frontier) as x(node)
              -- Per frontier node, a lateral with offset 0 (not flattened) and a check that
              -- cannot be pulled up into a join: both probe indexes by that node. Flattened,
              -- the planner took the label's sets by the GIN index, hashed node_labels and
              -- scanned all of prov_relations at every level (260 ms for one batch's searches).
              cross join lateral (
                select r.from_ext_id as node, r.to_ext_id as pred
                from prov_relations r
                left join lateral (
                  select rt.orders, rt.at from relation_times rt
                  where rt.relation_id = r.id offset 0
                ) t on true
                where r.from_ext_id = x.node and o.origin is null and ${CARRIES}
                  and not (b.parents ? r.to_ext_id)
                  and exists (
                    select 1 from node_labels nl join label_sets ls on ls.id = nl.label_set_id
                    where nl.node_ext_id = r.to_ext_id and ${ROW_BEFORE_RELATION}
                      and ls.label_ids && array[b.label, -b.label]
                    offset 0)
                offset 0
              ) e
              order by e.pred, e.node
            ) s
          ) step
          where b.origin is null and cardinality(b.frontier) > 0
            and b.depth <= ${WITNESS_MAX_DEPTH}
        )
        select key, origin, parents from bfs where origin is not null`,
    executor,
  );
  const found: (string[] | null)[] = searches.map(() => null);
  for (const { key, origin, parents } of rows) {
    const path: string[] = [];
    for (let node: string | null = origin; node !== null; node = parents[node] ?? null) {
      path.push(node);
    }
    found[key] = path;
  }
  return found;
}

/** Computes and stores the witness of each violation (and of its flow, if it has none yet). */
export async function fillViolationWitnesses(
  store: Store,
  tx: Executor,
  violationIds: readonly string[],
): Promise<void> {
  if (violationIds.length === 0) return;
  const rows = await store.rows<{
    id: string;
    flowId: string;
    labelId: number;
    src: string;
    dst: string | null;
  }>(
    sql`select v.id::text as id, f.id::text as "flowId", l.id as "labelId",
               coalesce(se.from_ext_id, v.witness->>0) as src,
               se.to_ext_id as dst
        from violations v
        join flows f on f.id = v.flow_id
        join labels l on l.subject_id = f.subject_id and l.category_id = f.category_id
          and l.purpose_id is not distinct from f.source_purpose_id
        left join service_entries se on se.entry = v.entry
        where v.id in (select jsonb_array_elements_text(${JSON.stringify(violationIds)}::jsonb)::bigint)`,
    tx,
  );
  const paths = await witnessPaths(
    store,
    tx,
    rows.map((row) => ({ labelId: row.labelId, to: row.src })),
  );
  const witnesses = rows.map((row, i) => {
    const path = paths[i] ?? [row.src];
    return {
      violation: row.id,
      flow: row.flowId,
      witness: row.dst && row.dst !== row.src ? [...path, row.dst] : path,
    };
  });
  const input = sql`jsonb_to_recordset(${JSON.stringify(witnesses)}::jsonb)
    as w(violation text, flow text, witness jsonb)`;
  // Two tables, one round trip: data-modifying CTEs run whether or not the query reads them.
  await tx.execute(sql`
    with violation_witnesses as (
      update violations v set witness = w.witness from ${input} where v.id = w.violation::bigint
      returning 1
    )
    update flows f set witness = w.witness
    from (select distinct on (flow) flow, witness from ${input} order by flow, violation) w
    where f.id = w.flow::bigint and f.witness is null`);
}
