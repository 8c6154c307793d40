/**
 * Which service a low-level node belongs to. App-level provenance may say so itself
 * (`gdpr:service`, set at ingest, never overridden); otherwise the DPO's mapping rules decide
 * (db/schema/flows.ts, serviceMappingRules): host, executable path and process name globs, the
 * highest priority then the oldest rule winning. The result is kept in prov_nodes.service_id,
 * which the ledger's element digests do not cover.
 */
import { type SQL, sql } from "drizzle-orm";
import type { Executor, Store } from "../client";
import { textArray } from "./sql";

/** A glob (`*`, `?`) as a LIKE pattern, in SQL. */
function likeOf(glob: SQL): SQL {
  return sql`replace(replace(replace(replace(replace(${glob}, '\\', '\\\\'), '%', '\\%'), '_', '\\_'), '*', '%'), '?', '_')`;
}

/** The best rule's service for node `n` (null when no rule matches), as a scalar subquery. */
const RULE_SERVICE = sql`(
  select rule.service_id from service_mapping_rules rule
  where (rule.host is null or exists (
          select 1 from prov_node_hosts nh join hosts h on h.id = nh.host_id
          where nh.node_id = n.id and h.name = rule.host))
    and (rule.executable is null or exists (
          select 1 from unnest(array[n.attributes->>'cf:pathname', n.attributes->>'cf:name',
                                     n.attributes->>'exe', n.attributes->>'executable']) as v(x)
          where v.x like ${likeOf(sql`rule.executable`)}))
    and (rule.process_name is null or exists (
          select 1 from unnest(array[n.attributes->>'cf:comm', n.attributes->>'comm',
                                     n.attributes->>'process', n.label]) as v(x)
          where v.x like ${likeOf(sql`rule.process_name`)}))
  order by rule.priority desc, rule.id
  limit 1)`;

/**
 * Maps the given nodes (those without `gdpr:service`) by the rules; returns those whose service
 * changed, with their service now.
 */
export async function mapNodesToServices(
  store: Store,
  tx: Executor,
  nodeIds: readonly string[],
): Promise<Map<string, number | null>> {
  if (nodeIds.length === 0) return new Map();
  // Most deployments map by gdpr:service alone: no rule, no work (a one-time filter, in the
  // same round trip).
  const rows = await remap(
    store,
    tx,
    sql`exists (select 1 from service_mapping_rules) and n.ext_id = any(${textArray(nodeIds)})`,
  );
  return new Map(rows.map((row) => [row.node, row.service]));
}

/**
 * Re-applies the rules to every stored node without `gdpr:service` (after a rule change);
 * returns the nodes whose service changed.
 */
export async function remapAllNodes(store: Store, tx: Executor): Promise<string[]> {
  return (await remap(store, tx, sql`true`)).map((row) => row.node);
}

async function remap(
  store: Store,
  tx: Executor,
  which: SQL,
): Promise<{ node: string; service: number | null }[]> {
  return store.rows<{ node: string; service: number | null }>(
    sql`with mapped as (
          select n.id, ${RULE_SERVICE} as service_id from prov_nodes n
          where ${which} and not (n.attributes ? 'gdpr:service')
        )
        update prov_nodes n set service_id = m.service_id
        from mapped m
        where n.id = m.id and n.service_id is distinct from m.service_id
        returning n.ext_id as node, n.service_id as service`,
    tx,
  );
}
