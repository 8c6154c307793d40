/**
 * Flows: personal data reaching services, summarised at ingest and judged at the time of use.
 *
 * An entry is one relation that carries labels from outside a service (another service, or a
 * node no rule maps) into a node of it, or a source node that itself belongs to a service
 * (`source:<node>`: the subject handed the data to it). service_entries keeps, per entry, the
 * label set it carried when last counted; a flow (subject, category, collected-for purpose,
 * service) sums its entries: first and last time, how many entries, ordered or not, and the
 * worst status of its uses. Re-counting an entry adds only labels it did not carry before, so
 * the summary does not depend on arrival order.
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
import { CARRIES, INTERNED_IDS, internedId, ORDERED, textArray } from "./sql";
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
  const carried = sql`
    touched as (
      -- A union, not an OR: each arm walks its own index.
      select id from prov_relations where to_ext_id = any(${either})
      union select id from prov_relations where from_ext_id = any(${newNodes})
      union select id from prov_relations where ext_id = any(${relations})
    ),
    cand as (
      select r.ext_id as entry, r.to_ext_id as src, r.from_ext_id as dst, d.service_id,
             s.service_id as src_service, t.at, t.orders, ${ORDERED} as ordered
      from touched x
      join prov_relations r on r.id = x.id
      join prov_nodes d on d.ext_id = r.from_ext_id and d.service_id is not null
      join prov_nodes s on s.ext_id = r.to_ext_id
      left join relation_times t on t.relation_id = r.id
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
      join node_labels nl on nl.node_ext_id = c.src and (c.orders is not true or nl.since <= c.at)
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
    before as (
      select se.entry, abs(x.id) as label
      from service_entries se
      join label_sets ls on ls.id = se.label_set_id
      cross join lateral unnest(ls.label_ids) as x(id)
      where se.entry in (select entry from entry_sets)
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
    interned as (
      insert into label_sets (digest, label_ids)
      select distinct on (digest) digest, ids from entry_sets order by digest
      on conflict (digest) do update set digest = excluded.digest
      returning id, digest
    ),
    ${INTERNED_IDS},
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
    sql`with ${carried} ${upsertFlows(sql`select * from ev`, "add")}`,
    tx,
  );
  const violations = row?.violations ?? [];
  await fillViolationWitnesses(store, tx, violations);
  return { flows: Number(row?.flows ?? 0), violations: violations.length };
}

/**
 * Recomputes every flow of the given subjects and/or services from their entries, judged
 * against the consent and blocking rules as they are now recorded: what a consent, rule or
 * purpose change calls. Violations of those flows are rebuilt too.
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
  const [row] = await store.rows<{ flows: number; violations: string[] }>(
    sql`with
      wanted as (
        select id from labels where subject_id in ${subjectSet}
      ),
      wanted_signed as (
        select array_agg(id) || array_agg(-id) as ids from wanted
      ),
      ev as (
        select se.entry, se.service_id, se.at, ps.service_id as src_service,
               se.from_ext_id as src, se.to_ext_id as dst, abs(x.id) as label,
               bool_or(x.id > 0) as ordered, true as fresh
        from service_entries se
        join label_sets ls on ls.id = se.label_set_id
        cross join lateral unnest(ls.label_ids) as x(id)
        left join prov_nodes ps
          on ps.ext_id = se.from_ext_id and se.entry not like 'source:%'
        where se.service_id in ${serviceSet}
           or (ls.label_ids && (select ids from wanted_signed)
               and abs(x.id) in (select id from wanted))
        group by se.entry, se.service_id, se.at, ps.service_id, se.from_ext_id, se.to_ext_id,
                 abs(x.id)
      ),
      ${upsertFlows(sql`select * from ev`, "replace")}`,
    tx,
  );
  const violations = row?.violations ?? [];
  await fillViolationWitnesses(store, tx, violations);
  return { flows: Number(row?.flows ?? 0), violations: violations.length };
}

/**
 * The judgement of each use in `events` (columns entry, service_id, at, src_service, src, dst,
 * label, ordered, fresh), then the flows and violations they make. `add`: counts add to the
 * stored flow; `replace`: the flows were deleted first.
 */
function upsertFlows(events: SQL, mode: "add" | "replace"): SQL {
  const count = mode === "add" ? sql`flows.count + excluded.count` : sql`excluded.count`;
  return sql`
    events as (${events}),
    -- The purpose each (service, collected-for purpose) pair is used for, and its basis: once
    -- per pair, not per use (materialized: inlined, the planner ran it for every use).
    chosen as materialized (
      select pr.service_id, pr.source_purpose_id, pu.purpose_id, pp.legal_basis
      from (
        select distinct e.service_id, l.purpose_id as source_purpose_id
        from events e join labels l on l.id = e.label
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
    ),
    flow_rows as (
      select subject_id, category_id, source_purpose_id, service_id,
             max(purpose_id) as purpose_id, max(legal_basis) as legal_basis,
             min(at) as first_seen, max(at) as last_seen,
             (count(*) filter (where fresh))::integer as added,
             bool_or(ordered) as ordered,
             coalesce(max(status) filter (where fresh), 'allowed') as status,
             min(entry) filter (where fresh) as entry,
             (array_agg(src_service order by at nulls last, entry)
               filter (where src_service is not null))[1] as via
      from judged
      group by subject_id, category_id, source_purpose_id, service_id
    ),
    upflows as (
      insert into flows (subject_id, category_id, source_purpose_id, service_id, via_service_id,
                         purpose_id, legal_basis, first_seen, last_seen, count, ordered, status,
                         entry)
      select subject_id, category_id, source_purpose_id, service_id, via, purpose_id,
             legal_basis, first_seen, last_seen, added, ordered, status,
             coalesce(entry, '')
      from flow_rows
      order by subject_id, category_id, source_purpose_id, service_id
      on conflict on constraint flows_key do update set
        first_seen = least(flows.first_seen, excluded.first_seen),
        last_seen = greatest(flows.last_seen, excluded.last_seen),
        count = ${count},
        ordered = flows.ordered or excluded.ordered,
        status = greatest(flows.status, excluded.status),
        via_service_id = coalesce(flows.via_service_id, excluded.via_service_id),
        purpose_id = excluded.purpose_id,
        legal_basis = excluded.legal_basis,
        judged_at = now()
      where (flows.first_seen, flows.last_seen, flows.ordered, flows.status, flows.purpose_id,
             flows.legal_basis) is distinct from
            (least(flows.first_seen, excluded.first_seen),
             greatest(flows.last_seen, excluded.last_seen), flows.ordered or excluded.ordered,
             greatest(flows.status, excluded.status), excluded.purpose_id, excluded.legal_basis)
         or excluded.count > 0
      returning id, subject_id, category_id, source_purpose_id, service_id
    ),
    -- Flow ids by key, one jsonb object: a join of two CTEs nested-loops (see INTERNED_IDS).
    flow_ids as (
      select jsonb_object_agg(concat_ws(',', subject_id, category_id,
                                        coalesce(source_purpose_id, 0), service_id), id) as ids
      from upflows
    ),
    new_violations as (
      insert into violations (flow_id, entry, at, kind, blocking_rule_id, witness)
      select v.flow_id, v.entry, v.at, v.kind, v.rule_id, v.witness
      from (
        select ((select ids from flow_ids)
                 ->> concat_ws(',', j.subject_id, j.category_id,
                               coalesce(j.source_purpose_id, 0), j.service_id))::bigint as flow_id,
               j.entry, j.at, j.status::text::violation_kind as kind, j.rule_id,
               case when j.src = j.dst then jsonb_build_array(j.src)
                    else jsonb_build_array(j.src, j.dst) end as witness
        from judged j
        where j.fresh and j.status <> 'allowed'
      ) v
      where v.flow_id is not null
      order by v.flow_id, v.entry
      on conflict (flow_id, entry) do nothing
      returning id
    )
    select (select count(*) from upflows)::integer as flows,
           coalesce((select array_agg(id::text) from new_violations), '{}') as violations`;
}
