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
 * witnessPathTo for many (label, node) pairs at once: one breadth-first search per pair, but
 * one statement per level for all of them. Returns the paths in the order of `searches`.
 */
export async function witnessPaths(
  store: Store,
  executor: Executor,
  searches: readonly { labelId: number; to: string }[],
): Promise<(string[] | null)[]> {
  const parents = searches.map((search) => new Map<string, string | null>([[search.to, null]]));
  const found: (string[] | null)[] = searches.map(() => null);
  let frontier = searches.map((search, key) => ({ key, label: search.labelId, node: search.to }));
  const pathFrom = (key: number, origin: string): string[] => {
    const path: string[] = [];
    const parent = parents[key] as Map<string, string | null>;
    for (let node: string | null = origin; node !== null; node = parent.get(node) ?? null) {
      path.push(node);
    }
    return path;
  };
  for (let depth = 0; depth <= WITNESS_MAX_DEPTH && frontier.length > 0; depth++) {
    const rows = await store.rows<{ key: number; node: string; pred: string | null }>(
      sql`with f as (
            select * from jsonb_to_recordset(${JSON.stringify(frontier)}::jsonb)
              as f(key integer, label integer, node text)
          ),
          origins as (
            select distinct on (f.key) f.key, f.node, null::text as pred from f
            join prov_nodes n on n.ext_id = f.node
            join personal_data_sources p on p.node_id = n.id
            join labels l on l.id = f.label and l.subject_id = p.subject_id
              and l.category_id = p.category_id
            order by f.key, f.node
          )
          select key, node, pred from origins
          union all
          select distinct on (f.key, r.to_ext_id) f.key, r.from_ext_id, r.to_ext_id
          from f
          join prov_relations r on r.from_ext_id = f.node
          left join relation_times t on t.relation_id = r.id
          where f.key not in (select key from origins) and ${CARRIES}
            and exists (
              select 1 from node_labels nl join label_sets ls on ls.id = nl.label_set_id
              where nl.node_ext_id = r.to_ext_id and ${ROW_BEFORE_RELATION}
                and ls.label_ids && array[f.label, -f.label])`,
      executor,
    );
    const next: typeof frontier = [];
    for (const { key, node, pred } of rows) {
      if (found[key]) continue;
      if (pred === null) {
        found[key] = pathFrom(key, node);
        continue;
      }
      const parent = parents[key] as Map<string, string | null>;
      if (parent.has(pred)) continue;
      parent.set(pred, node);
      next.push({ key, label: searches[key]?.labelId ?? 0, node: pred });
    }
    frontier = next.filter((entry) => !found[entry.key]);
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
  await tx.execute(sql`
    update violations v set witness = w.witness from ${input} where v.id = w.violation::bigint`);
  await tx.execute(sql`
    update flows f set witness = w.witness
    from (select distinct on (flow) flow, witness from ${input} order by flow, violation) w
    where f.id = w.flow::bigint and f.witness is null`);
}
