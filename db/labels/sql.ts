/**
 * SQL fragments shared by propagation, flows and queries: which relations carry data, whether
 * they are ordered, when they gate, and how a batch of (node, since, label) rows is merged into
 * interned label sets. Set-based throughout: one statement per step, whatever the batch size.
 */
import { type SQL, sql } from "drizzle-orm";
import { FLOW_RELATION_KINDS } from "../prov/model";

/** `r.kind in ('used', ...)`: the relation kinds along which data travels (literals, not input). */
export const FLOW_KINDS = sql.raw(FLOW_RELATION_KINDS.map((kind) => `'${kind}'`).join(", "));

/**
 * A relation `r` (prov_relations) carries data: a flow kind, not a loop, and not a flow the
 * kernel denied (CamFlow's `cf:allowed: "false"`, SPADE's `allowed`).
 */
export const CARRIES = sql`(r.kind in (${FLOW_KINDS})
  and r.from_ext_id <> r.to_ext_id
  and coalesce(r.attributes->>'cf:allowed', r.attributes->>'allowed', 'true') <> 'false')`;

/**
 * The relation `r` (with its time `t`, left-joined relation_times) is ordered: by `prov:time`,
 * or by CamFlow's object versions (its ids are `cf:`; SPADE edges without an id `spade:`).
 */
export const ORDERED = sql`(t.orders is true or r.ext_id like 'cf:%' or r.ext_id like 'spade:%')`;

/** The label a relation delivers: itself when ordered, its unordered twin (-id) otherwise. */
export function deliveredLabel(label: SQL): SQL {
  return sql`case when ${ORDERED} then ${label} else -abs(${label}) end`;
}

/**
 * When relation `r` (with `t`, left-joined relation_times) happened, for judging a use: its
 * ordering time, else CamFlow's `cf:date` (`YYYY:MM:DDTHH:MM:SS`, UTC; or an ISO date-time, a
 * missing zone read as UTC), read from the stored relation here rather than kept as a row per
 * relation: only an entry into a service needs it (db/labels/time.ts reads the same way; a
 * date that does not exist, e.g. February 30, is null here).
 */
export const RELATION_AT = sql`coalesce(t.at, (
  select case
    when v ~ '^\\d{4}:\\d{2}:\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?$'
      then timestamptz_or_null(regexp_replace(v, '^(\\d{4}):(\\d{2}):(\\d{2})T', '\\1-\\2-\\3T') || 'Z')
    when v ~ '^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:?\\d{2})?$'
      then timestamptz_or_null(
        case when v ~ '(Z|[+-]\\d{2}:?\\d{2})$' and v !~ '[T ]\\d{2}:\\d{2}$' then v else v || 'Z' end)
  end
  from (select upper(btrim(coalesce(r.attributes->'cf:date'->>'$', r.attributes->>'cf:date'))) as v)
    as stated))`;

/** From when the receiving end holds what `r` delivered: its time if it orders, else always. */
export const DELIVERED_SINCE = sql`case when t.orders then t.at else '-infinity'::timestamptz end`;

/** A node's label row `nl` counts for relation `r`: it existed when `r` happened (if timed). */
export const ROW_BEFORE_RELATION = sql`(t.orders is not true or nl.since <= t.at)`;

/**
 * A JSON array parameter as a text[] for `= any(...)`. Not `in (select ...)`: the planner cannot
 * know how many rows a function returns, and once a table is large it hashes the whole table
 * instead of probing its index; `= any(array)` is always an index probe.
 */
export function textArray(values: readonly string[]): SQL {
  return sql`array(select jsonb_array_elements_text(${JSON.stringify(values)}::jsonb))`;
}

/**
 * Interns the sets of CTE `source` (columns `digest`, `ids`): CTEs `known` (sets stored
 * already), `interned` (the others, inserted) and `interned_ids`, one jsonb object from digest
 * to id. Sets stored already are looked up, not upserted: most sets a batch names exist (a
 * source's singleton, what a node already held), and `on conflict do update` wrote a new
 * version of each of them, every time. The insert keeps `do update` for a set that a
 * concurrent ingest committed after this statement's snapshot (then `known` misses it and the
 * upsert returns it). Joining rows to these CTEs directly lets the planner, which takes every
 * CTE over a function's output for one row, pick a nested loop over both: quadratic, 265 of
 * the 285 ms a 25-document batch's source labels took. A lookup in one object is linear
 * whatever the estimates.
 */
export function internSets(source: string): SQL {
  const from = sql.raw(source);
  // Probes by digest per set (offset 0): as a (anti-)join, the planner hashed a scan of all
  // of label_sets, which grows with the store.
  return sql`known as (
    select k.id, k.digest from (select distinct digest from ${from}) d
    cross join lateral (
      select ls.id, ls.digest from label_sets ls where ls.digest = d.digest offset 0
    ) k
  ),
  interned as (
    insert into label_sets (digest, label_ids)
    select distinct on (s.digest) s.digest, s.ids from ${from} s
    where not exists (select 1 from label_sets k where k.digest = s.digest offset 0)
    order by s.digest
    on conflict (digest) do update set digest = excluded.digest
    returning id, digest
  ),
  interned_ids as (
    select coalesce(jsonb_object_agg(digest, id), '{}'::jsonb) as ids
    from (select id, digest from known union all select id, digest from interned) as both_
  )`;
}

/** The label set id that `interned_ids` holds for a digest. */
export function internedId(digest: SQL): SQL {
  return sql`((select ids from interned_ids) ->> ${digest})::bigint`;
}

/**
 * The tail of a merge: interns the sets of CTE `digested(node, since, ids, digest)` and writes
 * them to node_labels; selects the nodes whose rows changed as `node`.
 */
export const UPSERT_DIGESTED = sql`
  ${internSets("digested")},
  upserted as (
    insert into node_labels (node_ext_id, since, label_set_id)
    select d.node, d.since, ${internedId(sql`d.digest`)} from digested d
    order by 1, 2
    on conflict (node_ext_id, since) do update set label_set_id = excluded.label_set_id
      where node_labels.label_set_id <> excluded.label_set_id
    returning node_ext_id
  )
  select distinct node_ext_id as node from upserted`;

/**
 * Merges `incoming(node, since, label)` (a CTE defined by the caller) into node_labels: per
 * (node, since) the existing row's set united with the new labels, interned by digest. Returns
 * the statement's tail; it selects the nodes whose rows changed as `node`.
 */
export const MERGE_INCOMING = sql`
  grouped as (
    select node, since, array_agg(distinct label) as ids from incoming group by node, since
  ),
  merged as (
    select g.node, g.since,
      (select array_agg(distinct v order by v)
         from unnest(g.ids || coalesce(ls.label_ids, '{}'::integer[])) as v) as ids
    from grouped g
    -- A lateral probe (offset 0: not flattened into a join that scans all of node_labels).
    left join lateral (
      select cur.label_set_id from node_labels cur
      where cur.node_ext_id = g.node and cur.since = g.since offset 0
    ) cur on true
    left join label_sets ls on ls.id = cur.label_set_id
  ),
  digested as (
    select node, since, ids, md5(array_to_string(ids, ',')) as digest from merged
  ),
  ${UPSERT_DIGESTED}`;
