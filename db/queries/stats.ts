/** The store's totals, as `provtopia stats` prints them. */
import { sql } from "drizzle-orm";
import type { Store } from "../client";

export interface StoreStats {
  nodes: number;
  relations: number;
  /** Relations that name a node the store has not received (yet). */
  pending: number;
  /** Distinct node ids that relations name and the store has not received (yet). */
  danglingNodes: number;
  quarantined: number;
  hosts: number;
}

/** Relations that name a node the store has not received (yet): a full anti-join, so cache it. */
const PENDING_RELATIONS = sql`select count(*) from prov_relations r
        where not exists (select 1 from prov_nodes n where n.ext_id = r.from_ext_id)
           or not exists (select 1 from prov_nodes n where n.ext_id = r.to_ext_id)`;

export async function countPendingRelations(store: Store): Promise<number> {
  const [row] = await store.rows<{ pending: number }>(
    sql`select (${PENDING_RELATIONS})::int as pending`,
  );
  return row?.pending ?? 0;
}

export async function storeStats(store: Store): Promise<StoreStats> {
  const [row] = await store.rows<StoreStats>(sql`
    select
      (select count(*) from prov_nodes)::int as nodes,
      (select count(*) from prov_relations)::int as relations,
      (${PENDING_RELATIONS})::int as pending,
      (select count(*) from (
          select from_ext_id as ext_id from prov_relations
          union select to_ext_id from prov_relations) e
        where not exists (select 1 from prov_nodes n where n.ext_id = e.ext_id))::int
        as "danglingNodes",
      (select count(*) from quarantine)::int as quarantined,
      (select count(*) from hosts)::int as hosts`);
  if (!row) throw new Error("couldn't read the store's totals: the query returned no row");
  return row;
}

export interface DanglingNode {
  /** The node id as relations name it. */
  id: string;
  /** Relations waiting for it. */
  relations: number;
}

/**
 * Node ids that relations name but the store has not received, most awaited first (then by
 * id), at most `limit` (requires a positive integer).
 */
export async function danglingNodes(store: Store, limit: number): Promise<DanglingNode[]> {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(`danglingNodes: expected a positive integer limit, got ${limit}`);
  }
  return store.rows<DanglingNode>(sql`
    select e.ext_id as id, count(*)::int as relations
    from (select from_ext_id as ext_id from prov_relations
          union all select to_ext_id from prov_relations) e
    where not exists (select 1 from prov_nodes n where n.ext_id = e.ext_id)
    group by e.ext_id
    order by count(*) desc, e.ext_id
    limit ${limit}`);
}
