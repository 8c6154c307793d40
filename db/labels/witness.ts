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
import { CARRIES, ROW_BEFORE_RELATION, textSet } from "./sql";

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
  const parents = new Map<string, string | null>([[to, null]]);
  let frontier = [to];
  for (let depth = 0; depth <= WITNESS_MAX_DEPTH && frontier.length > 0; depth++) {
    const [origin] = await store.rows<{ node: string }>(
      sql`select n.ext_id as node from prov_nodes n
          join personal_data_sources p on p.node_id = n.id
          join labels l on l.subject_id = p.subject_id and l.category_id = p.category_id
          where n.ext_id in ${textSet(frontier)} and l.id = ${labelId}
          order by n.ext_id limit 1`,
      executor,
    );
    if (origin) {
      const path: string[] = [];
      for (let node: string | null = origin.node; node !== null; node = parents.get(node) ?? null) {
        path.push(node);
      }
      return path;
    }
    const steps = await store.rows<{ node: string; pred: string }>(
      sql`select distinct on (r.to_ext_id) r.from_ext_id as node, r.to_ext_id as pred
          from prov_relations r
          left join relation_times t on t.relation_id = r.id
          where r.from_ext_id in ${textSet(frontier)} and ${CARRIES}
            and exists (
              select 1 from node_labels nl join label_sets ls on ls.id = nl.label_set_id
              where nl.node_ext_id = r.to_ext_id and ${ROW_BEFORE_RELATION}
                and ls.label_ids && array[${labelId}::integer, ${-labelId}::integer])
          order by r.to_ext_id, r.from_ext_id`,
      executor,
    );
    const next: string[] = [];
    for (const { node, pred } of steps) {
      if (parents.has(pred)) continue;
      parents.set(pred, node);
      next.push(pred);
    }
    frontier = next;
  }
  return null;
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
        where v.id::text in ${textSet(violationIds)}`,
    tx,
  );
  for (const row of rows) {
    const dst = row.dst;
    const path = (await witnessPathTo(store, tx, row.labelId, row.src)) ?? [row.src];
    const witness = dst && dst !== row.src ? [...path, dst] : path;
    await tx.execute(
      sql`update violations set witness = ${JSON.stringify(witness)}::jsonb
          where id = ${row.id}::bigint`,
    );
    await tx.execute(
      sql`update flows set witness = ${JSON.stringify(witness)}::jsonb
          where id = ${row.flowId}::bigint and witness is null`,
    );
  }
}
