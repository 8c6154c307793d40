/**
 * Flows: personal data reaching services, judged at the time of use. At ingest the store keeps
 * the entries and the violations; flows are summed from the entries when read (decision 41).
 *
 * An entry is one relation that carries labels from outside a service (another service, or a
 * node no rule maps) into a node of it, or a source node that itself belongs to a service
 * (`source:<node>`: the subject handed the data to it). service_entries keeps, per entry, the
 * interned label set it carried: one row per entry, however many subjects it carried. A flow
 * (subject, category, collected-for purpose, service; its id: flowIdOf) sums the entries whose
 * set holds its label: first and last time, how many entries, ordered or not, and the worst
 * status of its uses. Readers find those entries through the label sets holding the label (the
 * GIN index on label_ids), so a summary is exact by construction and does not depend on arrival
 * order; only uses judged unlawful are written per subject at ingest (a violation, and the
 * flow's row it refers to). Re-counting an entry judges only labels it did not carry before.
 *
 * Both ends of an entry must be stored: until the node a relation comes from arrives, nobody
 * knows whether it is outside the service (labels still travel through it, keyed by id). When
 * it arrives, its relations are counted; one that never arrives counts nothing.
 *
 * A source entry's time is when the source says it was collected (`gdpr:collectedAt`, else
 * `prov:generatedAtTime`), else unknown: never the time of a use, which a late relation could
 * move and so make the summary depend on arrival order.
 *
 * Judging one use (entry, label) at its time `at` (unknown time: judged against what is in
 * force when judged):
 * 1. a blocking rule of the subject for that category (or all), for the service or its
 *    organisation, created at or before `at` and not lifted by then: after-block;
 * 2. the purpose is the service's declared one (the label's own if the service declares it;
 *    else its first), or the label's when the service declares none; its Art. 6 basis: none
 *    stated: no-legal-basis; consent: the subject's last consent event for that purpose at or
 *    before `at` must be "given", else no-legal-basis; any other basis: allowed.
 * The two unlawful statuses are violations, kept with a witness path (db/labels/witness.ts).
 */
import { type SQL, sql } from "drizzle-orm";
import type { Executor, Store } from "../client";
import { CARRIES, internedId, internSets, ORDERED, RELATION_AT, textArray } from "./sql";
import { fillViolationWitnesses } from "./witness";

/**
 * When source node `n` says its data was collected, or null; never throws on a bad value
 * (jsonpath's datetime() in silent mode; it does not read a trailing Z, so that becomes +00:00).
 */
const COLLECTED_AT = sql`(
  select (jsonb_path_query_first(to_jsonb(regexp_replace(v, '[Zz]$', '+00:00')),
                                 '$.datetime()', '{}', true) #>> '{}')::timestamptz
  from (select coalesce(n.attributes->'gdpr:collectedAt'->>'$', n.attributes->>'gdpr:collectedAt',
                        n.attributes->'prov:generatedAtTime'->>'$',
                        n.attributes->>'prov:generatedAtTime') as v) as stated)`;

export interface FlowChange {
  flows: number;
  violations: number;
}

export interface EntrySeed {
  /** Nodes whose labels changed: their outflows are re-counted. */
  nodes: readonly string[];
  /** Nodes just stored (they may belong to a service): their inflows are re-counted. */
  newNodes: readonly string[];
  /** Relations just stored. */
  relations: readonly string[];
  /**
   * All the relations the batch inserted (their rows' ids), when `relations` holds only those of them that can be
   * entries (db/labels/batch.ts, entryCandidates): the others are not re-counted as relations
   * out of `nodes` or into `newNodes` either.
   */
  inserted?: Iterable<number>;
  /** Those of `newNodes` that belong to a service, when the caller knows (else they are read). */
  mapped?: readonly string[];
}

/**
 * Re-counts the entries the seed touches, and updates their flows and violations. Requires the
 * seed's labels to be propagated already (db/labels/propagate.ts).
 */
export async function refreshEntries(
  store: Store,
  tx: Executor,
  seed: EntrySeed,
): Promise<FlowChange> {
  if (seed.nodes.length === 0 && seed.newNodes.length === 0 && seed.relations.length === 0) {
    return { flows: 0, violations: 0 };
  }
  // Nodes whose labels changed or that just arrived: relations that carry data out of them
  // (whose `to` end they are) are re-counted; so are relations into nodes that just arrived
  // (`from`: it may belong to a service), and the relations just stored.
  const either = textArray([...new Set([...seed.nodes, ...seed.newNodes])]);
  const relations = textArray(seed.relations);
  const newNodes = textArray(seed.newNodes);
  // `not in` a subquery: a hashed lookup per row (`<> all(array)` compares with every element).
  const storedBefore = seed.inserted
    ? sql`and id not in (
        select jsonb_array_elements_text(${JSON.stringify([...seed.inserted])}::jsonb)::bigint)`
    : sql``;
  const carried = sql`
    -- Only relations that can be entries: out of a node that holds labels (a node that just
    -- arrived without any carries nothing out), into a node that belongs to a service, or just
    -- stored. Each row then probes its relation and both ends by index (laterals with offset 0:
    -- with the estimates of arrays, the planner hashed a scan of all of prov_relations, 106 ms
    -- of a 270 ms statement on a batch of CamFlow).
    labelled as (
      select n.node from unnest(${either}) as n(node)
      where exists (select 1 from node_labels nl where nl.node_ext_id = n.node)
    ),
    mapped as (${
      seed.mapped
        ? sql`select unnest(${textArray(seed.mapped)}) as ext_id`
        : sql`select n.ext_id from prov_nodes n
              where n.ext_id = any(${newNodes}) and n.service_id is not null`
    }),
    touched as (
      -- A union, not an OR: each arm walks its own index.
      select id from prov_relations where to_ext_id = any(array(select node from labelled))
        ${storedBefore}
      union select id from prov_relations where from_ext_id = any(array(select ext_id from mapped))
        ${storedBefore}
      union select id from prov_relations where ext_id = any(${relations})
    ),
    -- Materialized: once inlined into \`carried\`, the planner computed RELATION_AT (a
    -- correlated subquery with regular expressions) for every label the relation carried, not
    -- once per relation: 3,750 times for 75 relations in a 25-document batch.
    cand as materialized (
      select r.ext_id as entry, r.to_ext_id as src, r.from_ext_id as dst, d.service_id,
             s.service_id as src_service, ${RELATION_AT} as at, t.orders, ${ORDERED} as ordered
      from touched x
      cross join lateral (select * from prov_relations r where r.id = x.id offset 0) r
      cross join lateral (
        select d.service_id from prov_nodes d
        where d.ext_id = r.from_ext_id and d.service_id is not null offset 0
      ) d
      cross join lateral (
        select s.service_id from prov_nodes s where s.ext_id = r.to_ext_id offset 0
      ) s
      left join lateral (
        select rt.orders, rt.at from relation_times rt where rt.relation_id = r.id offset 0
      ) t on true
      where ${CARRIES} and s.service_id is distinct from d.service_id
    ),
    source_cand as (
      select n.id, n.ext_id, n.service_id, n.attributes from prov_nodes n
      where n.service_id is not null
        and n.ext_id = any(${either})
        and exists (select 1 from personal_data_sources p where p.node_id = n.id)
    ),
    carried as (
      select c.entry, c.service_id, c.src, c.dst, c.at, c.src_service,
             case when c.ordered then x.id else -abs(x.id) end as label
      from cand c
      cross join lateral (
        select nl.label_set_id from node_labels nl
        where nl.node_ext_id = c.src and (c.orders is not true or nl.since <= c.at) offset 0
      ) nl
      join label_sets ls on ls.id = nl.label_set_id
      cross join lateral unnest(ls.label_ids) as x(id)
      union all
      select 'source:' || n.ext_id, n.service_id, n.ext_id, n.ext_id, ${COLLECTED_AT},
             null::integer, x.id
      from source_cand n
      join node_labels nl on nl.node_ext_id = n.ext_id and nl.since = '-infinity'
      join label_sets ls on ls.id = nl.label_set_id
      cross join lateral unnest(ls.label_ids) as x(id)
    ),
    entry_sets as (
      select entry, service_id, src, dst, at, array_agg(distinct label order by label) as ids,
             md5(array_to_string(array_agg(distinct label order by label), ',')) as digest
      from carried group by entry, service_id, src, dst, at
    ),
    -- What each entry carried when last counted, by index per entry (as a semi-join the
    -- planner hashed a scan of all of service_entries and label_sets: work that grows with the
    -- store, not the batch).
    before as materialized (
      select e.entry, abs(x.id) as label
      from entry_sets e
      cross join lateral (
        select ls.label_ids from service_entries se
        join label_sets ls on ls.id = se.label_set_id
        where se.entry = e.entry offset 0
      ) ls
      cross join lateral unnest(ls.label_ids) as x(id)
    ),
    ev as (
      select g.*,
             not exists (select 1 from before b where b.entry = g.entry and b.label = g.label)
               as fresh
      from (
        select c.entry, c.service_id, c.at, c.src_service, c.src, c.dst, abs(c.label) as label,
               bool_or(c.label > 0) as ordered
        from carried c
        group by c.entry, c.service_id, c.at, c.src_service, c.src, c.dst, abs(c.label)
      ) g
    ),
    ${internSets("entry_sets")},
    entries as (
      insert into service_entries (entry, service_id, from_ext_id, to_ext_id, at, label_set_id)
      select e.entry, e.service_id, e.src, e.dst, e.at, ${internedId(sql`e.digest`)}
      from entry_sets e
      order by e.entry
      on conflict (entry) do update set
        service_id = excluded.service_id, at = excluded.at, label_set_id = excluded.label_set_id
      where (service_entries.service_id, service_entries.at, service_entries.label_set_id)
        is distinct from (excluded.service_id, excluded.at, excluded.label_set_id)
      returning entry
    ),`;
  const [row] = await store.rows<{ flows: number; violations: string[] }>(
    sql`with ${carried} ${storeViolations(sql`select * from ev where fresh`)}`,
    tx,
  );
  const violations = row?.violations ?? [];
  await fillViolationWitnesses(store, tx, violations);
  return { flows: Number(row?.flows ?? 0), violations: violations.length };
}

/**
 * A flow's id: its label (subject, category, collected-for purpose) and the service, in one
 * number (label id × 2^20 + service id). Flows are not rows (see the module header); the id
 * names one all the same, in a URL and in the rows kept for it (violations, a witness path).
 */
export const FLOW_ID_SERVICE_BITS = 20;
const FLOW_ID_FACTOR = 2 ** FLOW_ID_SERVICE_BITS;

/** SQL: the flow id of a label id and a service id. */
export function flowIdOf(label: SQL, service: SQL): SQL {
  return sql`((${label})::bigint * ${sql.raw(String(FLOW_ID_FACTOR))} + (${service}))`;
}

/** The label and service a flow id names, or null when it cannot be one. */
export function decodeFlowId(id: number): { labelId: number; serviceId: number } | null {
  if (!Number.isSafeInteger(id) || id <= 0) return null;
  const labelId = Math.floor(id / FLOW_ID_FACTOR);
  const serviceId = id % FLOW_ID_FACTOR;
  return labelId > 0 && serviceId > 0 ? { labelId, serviceId } : null;
}

/**
 * Uses (one row per entry and label it carried, as `events` wants them) of the given labels,
 * read through the label sets holding them (`setIds`: labelSetsHolding) and the entries pointing
 * to those sets: what a subject's flows are made of. CTEs `wanted`, `wanted_sets` and `name`.
 * Requires `setIds` to hold every set that holds one of the labels (either sign); other sets
 * are harmless (their entries carry none of the labels).
 *
 * Both lists are constants, not subqueries nor a GIN condition here: the planner then counts the
 * sets exactly. With `label_ids && array[...]` in this statement it put a subject's 20 sets at
 * 20,266 (the GIN estimate grows with label_sets), and the overview's estimated cost with them:
 * 66,000 at 5 million elements, 119,280 at 10 million, past jit_above_cost (100,000), so every
 * overview compiled its plan (JIT, 178 functions: 77-103 ms of a 94-230 ms statement). With the
 * sets' ids the same statement is estimated at 640 and runs in 8-14 ms.
 */
export function usesOfLabels(
  name: string,
  labelIds: readonly number[],
  setIds: readonly number[],
): SQL {
  return sql`
  wanted as (select unnest(${`{${labelIds.join(",")}}`}::integer[]) as id),
  wanted_sets as materialized (
    select ls.id, ls.label_ids from label_sets ls
    where ls.id = any(${`{${setIds.join(",")}}`}::bigint[])
  ),
  ${sql.raw(name)} as (
    select se.entry, se.service_id, se.at, ps.service_id as src_service,
           se.from_ext_id as src, se.to_ext_id as dst, w.id as label,
           w.id = any(ws.label_ids) as ordered, true as fresh
    from wanted_sets ws
    join service_entries se on se.label_set_id = ws.id
    join wanted w on w.id = any(ws.label_ids) or -w.id = any(ws.label_ids)
    left join prov_nodes ps on ps.ext_id = se.from_ext_id and se.entry not like 'source:%'
  )`;
}

/**
 * The ids of the label sets that hold any of the labels (either sign), by the GIN index on
 * label_ids. The ids are a parameter, not a subquery: the planner then takes the GIN index (with
 * a subquery's array it scanned every set).
 */
export async function labelSetsHolding(
  store: Store,
  executor: Executor,
  labelIds: readonly number[],
): Promise<number[]> {
  if (labelIds.length === 0) return [];
  const ids = labelIds.flatMap((id) => [id, -id]);
  const rows = await store.rows<{ id: string }>(
    sql`select id::text from label_sets where label_ids && ${`{${ids.join(",")}}`}::integer[]
        order by id`,
    executor,
  );
  return rows.map((row) => Number(row.id));
}

/** The ids of the labels of the subjects that the query `subjectIds` selects. */
export async function labelIdsOf(
  store: Store,
  executor: Executor,
  subjectIds: SQL,
): Promise<number[]> {
  const rows = await store.rows<{ id: number }>(
    sql`select id from labels where subject_id in (${subjectIds}) order by id`,
    executor,
  );
  return rows.map((row) => row.id);
}

/**
 * Uses of every label that entries into the services that CTE `wanted_services(id)` lists
 * carried: CTE `name`.
 */
export function usesInServices(name: string): SQL {
  return sql`
  ${sql.raw(name)} as (
    select se.entry, se.service_id, se.at, ps.service_id as src_service,
           se.from_ext_id as src, se.to_ext_id as dst, abs(x.id) as label,
           bool_or(x.id > 0) as ordered, true as fresh
    from service_entries se
    join label_sets ls on ls.id = se.label_set_id
    cross join lateral unnest(ls.label_ids) as x(id)
    left join prov_nodes ps on ps.ext_id = se.from_ext_id and se.entry not like 'source:%'
    where se.service_id in (select id from wanted_services)
    group by se.entry, se.service_id, se.at, ps.service_id, se.from_ext_id, se.to_ext_id,
             abs(x.id)
  )`;
}

/**
 * Re-judges every flow of the given subjects and/or services against the consent and blocking
 * rules as they are now recorded: what a consent, rule or purpose change calls. Their
 * violations are rebuilt (and their kept witness paths dropped, to be found again).
 */
export async function rebuildFlows(
  store: Store,
  tx: Executor,
  filter: { subjectIds?: readonly number[]; serviceIds?: readonly number[] },
): Promise<FlowChange> {
  const subjects = JSON.stringify(filter.subjectIds ?? []);
  const servicesJson = JSON.stringify(filter.serviceIds ?? []);
  const subjectSet = sql`(select jsonb_array_elements_text(${subjects}::jsonb)::integer)`;
  const serviceSet = sql`(select jsonb_array_elements_text(${servicesJson}::jsonb)::integer)`;
  await tx.execute(sql`
    delete from flows where subject_id in ${subjectSet} or service_id in ${serviceSet}`);
  const labelIds = await labelIdsOf(store, tx, sql`select * from ${subjectSet} as s`);
  const setIds = await labelSetsHolding(store, tx, labelIds);
  const [row] = await store.rows<{ flows: number; violations: string[] }>(
    sql`with
      wanted_services as materialized (select id from services where id in ${serviceSet}),
      ${usesOfLabels("subject_uses", labelIds, setIds)},
      ${usesInServices("service_uses")},
      all_uses as (
        select * from subject_uses
        union
        select * from service_uses
      ),
      ${storeViolations(sql`select * from all_uses`)}`,
    tx,
  );
  const violations = row?.violations ?? [];
  await fillViolationWitnesses(store, tx, violations);
  return { flows: Number(row?.flows ?? 0), violations: violations.length };
}

/**
 * CTEs `events` (the given uses: columns entry, service_id, at, src_service, src, dst, label,
 * ordered, fresh), `chosen` and `judged`: each use judged against what was in force when it
 * happened (status, the blocking rule, the purpose and its basis).
 */
export function judgeUses(events: SQL): SQL {
  return sql`
    events as (${events}),
    -- The purpose each (service, collected-for purpose) pair is used for, and its basis: once
    -- per pair, not per use (materialized: inlined, the planner ran it for every use). Each
    -- distinct label is looked up by its key (a lateral with offset 0): joined, the planner,
    -- which puts a subject's uses at thousands (the estimate of the sets holding its labels),
    -- merge-joined its few dozen with all of labels, walking labels_pkey from the start.
    chosen as materialized (
      select pr.service_id, pr.source_purpose_id, pu.purpose_id, pp.legal_basis
      from (
        select distinct e.service_id, l.purpose_id as source_purpose_id
        from (select distinct service_id, label from events) e
        cross join lateral (select l.purpose_id from labels l where l.id = e.label offset 0) l
      ) pr
      cross join lateral (
        select coalesce(
          (select p.id from purposes p where p.service_id = pr.service_id
           order by (p.id = pr.source_purpose_id) desc, p.id limit 1),
          pr.source_purpose_id) as purpose_id
      ) pu
      left join purposes pp on pp.id = pu.purpose_id
    ),
    judged as (
      select e.*, l.subject_id, l.category_id, l.purpose_id as source_purpose_id,
             c.purpose_id, c.legal_basis, blk.id as rule_id,
             (case
                when blk.id is not null then 'after-block'
                when c.legal_basis is null then 'no-legal-basis'
                when c.legal_basis = 'consent' and cons.action is distinct from 'given'
                  then 'no-legal-basis'
                else 'allowed'
              end)::flow_status as status
      from events e
      join labels l on l.id = e.label
      join services sv on sv.id = e.service_id
      -- Ids are positive: 0 stands for "no purpose stated", so that the join can hash.
      join chosen c on c.service_id = e.service_id
        and coalesce(c.source_purpose_id, 0) = coalesce(l.purpose_id, 0)
      left join lateral (
        select br.id from blocking_rules br
        where br.subject_id = l.subject_id
          and (br.category_id is null or br.category_id = l.category_id)
          and (br.service_id = e.service_id or br.organisation_id = sv.organisation_id)
          and br.created_at <= coalesce(e.at, now())
          and (br.lifted_at is null or br.lifted_at > coalesce(e.at, now()))
        order by br.created_at, br.id limit 1
      ) blk on true
      -- Only a consent basis reads the consent history (a one-time filter for the others).
      left join lateral (
        select ce.action from consent_events ce
        where c.legal_basis = 'consent'
          and ce.subject_id = l.subject_id and ce.purpose_id = c.purpose_id
          and ce.at <= coalesce(e.at, now())
        order by ce.at desc, ce.id desc limit 1
      ) cons on true
    )`;
}

/**
 * Judges the given uses (see judgeUses) and stores the unlawful ones: a violation per (flow,
 * entry) with a one- or two-node witness (db/labels/witness.ts finds the full path), and the
 * flow's row (its judgement, the violations' foreign key). Lawful uses write nothing: flows are
 * summarised when read. Selects `flows` (flow rows written) and `violations` (new ids).
 */
function storeViolations(events: SQL): SQL {
  return sql`
    ${judgeUses(events)},
    bad as materialized (
      select j.*, ${flowIdOf(sql`j.label`, sql`j.service_id`)} as flow_id from judged j
      where j.status <> 'allowed'
    ),
    upflows as (
      insert into flows (id, subject_id, category_id, source_purpose_id, service_id, purpose_id,
                         legal_basis)
      select distinct on (flow_id) flow_id, subject_id, category_id, source_purpose_id,
             service_id, purpose_id, legal_basis
      from bad
      order by flow_id
      on conflict (id) do update set
        purpose_id = excluded.purpose_id,
        legal_basis = excluded.legal_basis,
        judged_at = now()
      where (flows.purpose_id, flows.legal_basis) is distinct from
            (excluded.purpose_id, excluded.legal_basis)
      returning id
    ),
    new_violations as (
      insert into violations (flow_id, entry, at, kind, blocking_rule_id, witness)
      select b.flow_id, b.entry, b.at, b.status::text::violation_kind, b.rule_id,
             case when b.src = b.dst then jsonb_build_array(b.src)
                  else jsonb_build_array(b.src, b.dst) end
      from bad b
      order by b.flow_id, b.entry
      on conflict (flow_id, entry) do nothing
      returning id
    )
    select (select count(*) from upflows)::integer as flows,
           coalesce((select array_agg(id::text) from new_violations), '{}') as violations`;
}
