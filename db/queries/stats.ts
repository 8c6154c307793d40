/** The store's totals, as `provtopia stats` prints them. */
import { sql } from "drizzle-orm";
import type { Store } from "../client";

export interface StoreStats {
  nodes: number;
  relations: number;
  /** Relations that name a node the store has not received (yet). */
  pending: number;
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
      (select count(*) from quarantine)::int as quarantined,
      (select count(*) from hosts)::int as hosts`);
  if (!row) throw new Error("couldn't read the store's totals: the query returned no row");
  return row;
}
