/**
 * Reading the flows: a subject's overview, the flows into one service, the witness path of one
 * flow, and the subjects whose data a node or a service held in a time window (the breach
 * report's question). Flows are summed here from the service entries the store keeps at ingest
 * (db/labels/flows.ts), each use judged at its time; reads only, except that a witness path is
 * computed on first request and kept in the flow's row.
 */
import { type SQL, sql } from "drizzle-orm";
import type { Executor, Store } from "../client";
import {
  decodeFlowId,
  flowIdOf,
  judgeUses,
  labelIdsOf,
  labelSetsHolding,
  usesInServices,
  usesOfLabels,
} from "../labels/flows";
import { witnessPathTo } from "../labels/witness";
import type { FlowStatus } from "../schema";

export interface FlowSummary {
  id: number;
  subject: string;
  category: string;
  service: string;
  organisation: string | null;
  viaService: string | null;
  /** The purpose the service uses the data for (else the one it was collected for). */
  purpose: string | null;
  /** The purpose the data was collected for (`gdpr:purpose` on the source). */
  collectedFor: string | null;
  legalBasis: string | null;
  firstSeen: string | null;
  lastSeen: string | null;
  count: number;
  ordered: boolean;
  status: FlowStatus;
  violations: number;
}

/**
 * The flows the uses in CTE `uses` make (see db/labels/flows.ts): judged use by use, then
 * summed per (label, service). `tail` orders and limits.
 */
function summarise(uses: SQL, tail: SQL): SQL {
  return sql`
    ${uses},
    ${judgeUses(sql`select * from uses`)},
    summed as (
      select label, service_id, subject_id, category_id, source_purpose_id,
             max(purpose_id) as purpose_id, max(legal_basis::text) as legal_basis,
             min(at) as first_seen, max(at) as last_seen, count(*)::integer as count,
             bool_or(ordered) as ordered, max(status) as status,
             (array_agg(src_service order by at nulls last, entry)
               filter (where src_service is not null))[1] as via_service_id
      from judged
      group by label, service_id, subject_id, category_id, source_purpose_id
    )
    select ${flowIdOf(sql`f.label`, sql`f.service_id`)}::float8 as id, s.ref as subject,
      c.key as category, sv.name as service, o.name as organisation, via.name as "viaService",
      p.key as purpose, sp.key as "collectedFor", f.legal_basis as "legalBasis",
      to_char(f.first_seen at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as "firstSeen",
      to_char(f.last_seen at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as "lastSeen",
      f.count, f.ordered, f.status::text as status,
      (select count(*) from violations v
       where v.flow_id = ${flowIdOf(sql`f.label`, sql`f.service_id`)})::integer as violations
    from summed f
    join subjects s on s.id = f.subject_id
    join data_categories c on c.id = f.category_id
    join services sv on sv.id = f.service_id
    left join organisations o on o.id = sv.organisation_id
    left join services via on via.id = f.via_service_id
    left join purposes p on p.id = f.purpose_id
    left join purposes sp on sp.id = f.source_purpose_id
    ${tail}`;
}

/**
 * Every flow of the subjects whose ids the query `subjectIds` selects, by service then
 * category: summarised from the entries that carried their labels (read through the label
 * sets holding them), each use judged at its time.
 */
export async function flowSummariesOf(store: Store, subjectIds: SQL): Promise<FlowSummary[]> {
  const labelIds = await labelIdsOf(store, store.db, subjectIds);
  if (labelIds.length === 0) return [];
  const setIds = await labelSetsHolding(store, store.db, labelIds);
  if (setIds.length === 0) return [];
  const rows = await store.rows<FlowSummary>(sql`
    with ${summarise(
      usesOfLabels("uses", labelIds, setIds),
      sql`order by s.ref, lower(sv.name), sv.name, c.key, sp.key nulls first`,
    )}`);
  return rows.map((row) => ({ ...row, id: Number(row.id) }));
}

/**
 * Every flow of the subject's data, by service then category; null when no subject has that
 * reference.
 */
export async function subjectFlowSummaries(
  store: Store,
  subjectRef: string,
): Promise<FlowSummary[] | null> {
  const [subject] = await store.rows<{ id: number }>(
    sql`select id from subjects where ref = ${subjectRef}`,
  );
  if (!subject) return null;
  return flowSummariesOf(store, sql`select ${subject.id}::integer`);
}

/** The flows into one service, most recent first (at most `limit`); null for an unknown service. */
export async function serviceFlowSummaries(
  store: Store,
  service: string,
  limit = 1000,
): Promise<FlowSummary[] | null> {
  const [row] = await store.rows<{ id: number }>(
    sql`select id from services where name = ${service}`,
  );
  if (!row) return null;
  const rows = await store.rows<FlowSummary>(sql`
    with wanted_services as (select ${row.id}::integer as id),
    ${summarise(
      usesInServices("uses"),
      sql`order by f.last_seen desc nulls last, 1 limit ${limit}`,
    )}`);
  return rows.map((flow) => ({ ...flow, id: Number(flow.id) }));
}

export interface WitnessStep {
  node: string;
  label: string | null;
  service: string | null;
}

/**
 * The first entry (by time, then id) that brought the flow's data into its service: where its
 * witness path ends. Null when the flow id names no flow.
 */
async function firstEntryOf(
  store: Store,
  flowId: number,
): Promise<{ labelId: number; serviceId: number; src: string; dst: string } | null> {
  const key = decodeFlowId(flowId);
  if (!key) return null;
  // The sets first (materialized), then each set's first entry into the service by its index
  // (a lateral with offset 0), then the first of those. As a join, the planner (which puts the
  // sets holding a label at thousands, not the dozen there are) walked the service's entries in
  // time order, probing each one's set: 4,627 entries for one flow on a 5-million-element store.
  const [entry] = await store.rows<{ src: string; dst: string }>(sql`
    with holding as materialized (
      select ls.id from label_sets ls
      where ls.label_ids && array[${key.labelId}::integer, ${-key.labelId}::integer]
    )
    select e.src, e.dst
    from holding h
    cross join lateral (
      select se.from_ext_id as src, se.to_ext_id as dst, se.at, se.entry
      from service_entries se
      where se.label_set_id = h.id and se.service_id = ${key.serviceId}
      order by se.at nulls last, se.entry
      limit 1
    ) e
    order by e.at nulls last, e.entry
    limit 1`);
  return entry ? { ...key, ...entry } : null;
}

/** Whether flow `flowId` exists and is one of subject `subjectId`'s flows. */
export async function flowBelongsTo(
  store: Store,
  flowId: number,
  subjectId: number,
): Promise<boolean> {
  const key = decodeFlowId(flowId);
  if (!key) return false;
  const [label] = await store.rows<{ one: number }>(
    sql`select 1 as one from labels where id = ${key.labelId} and subject_id = ${subjectId}`,
  );
  return label !== undefined && (await firstEntryOf(store, flowId)) !== null;
}

/**
 * One path in the provenance graph from a source of the flow's data to the node where it
 * entered the service: computed on first request, then kept. Null for an unknown flow; an empty
 * list when no path is found any more.
 */
export async function flowWitness(store: Store, flowId: number): Promise<WitnessStep[] | null> {
  const [kept] = await store.rows<{ witness: string[] | null }>(
    sql`select witness from flows where id = ${flowId}`,
  );
  let witness = kept?.witness ?? null;
  if (!witness) {
    const entry = await firstEntryOf(store, flowId);
    if (!entry) return null;
    const path = await witnessPathTo(store, store.db, entry.labelId, entry.src);
    if (path) {
      witness = entry.dst !== entry.src ? [...path, entry.dst] : path;
      // Kept in the flow's row (written here for a lawful flow, which has none yet).
      await store.db.execute(sql`
        insert into flows (id, subject_id, category_id, source_purpose_id, service_id, witness)
        select ${flowId}::bigint, l.subject_id, l.category_id, l.purpose_id,
               ${entry.serviceId}::integer, ${JSON.stringify(witness)}::jsonb
        from labels l where l.id = ${entry.labelId}
        on conflict (id) do update set witness = excluded.witness
          where flows.witness is null`);
    }
  }
  if (!witness || witness.length === 0) return [];
  const nodes = await store.rows<WitnessStep>(sql`
    select w.node, n.label, sv.name as service
    from jsonb_array_elements_text(${JSON.stringify(witness)}::jsonb) with ordinality as w(node, i)
    left join prov_nodes n on n.ext_id = w.node
    left join services sv on sv.id = n.service_id
    order by w.i`);
  return nodes;
}

export interface HeldWindow {
  from: Date;
  to: Date;
}

/** A service as the window questions need it: its id and the longest retention it states. */
export interface HeldService {
  id: number;
  /** The longest retention of the service's purposes, in days; null when none states one. */
  retentionDays: number | null;
}

/** The service named `service`, for heldByService; null when no service has that name. */
export async function heldService(
  store: Store,
  service: string,
  executor: Executor = store.db,
): Promise<HeldService | null> {
  const [row] = await store.rows<HeldService>(
    sql`select sv.id, (select max(p.retention_days) from purposes p where p.service_id = sv.id)
                 as "retentionDays"
        from services sv where sv.name = ${service}`,
    executor,
  );
  return row ?? null;
}

/**
 * What a service held during the window, as a CTE prefix: `held` (one row per entry of personal
 * data into the service, with its label set) and `held_labels` (the distinct labels of those
 * sets). Held: entered before the window ended and, when the service's purposes state a
 * retention, not yet past it when the window began; entries of unknown time count
 * (conservative).
 *
 * The service's id and retention are constants here (heldService reads them first): the planner
 * then reads the service's entries by service_entries_service_at_idx, not all entries (1.6
 * million at 10 million elements), and each held set by its key (a lateral with offset 0), not
 * a scan of all label sets.
 */
export function heldByService(service: HeldService, window: HeldWindow): SQL {
  const retained =
    service.retentionDays === null
      ? sql``
      : sql`and (se.at is null
             or se.at + make_interval(days => ${service.retentionDays}::integer)
                >= ${window.from.toISOString()}::timestamptz)`;
  return sql`
    with held as (
      select se.label_set_id from service_entries se
      where se.service_id = ${service.id}::integer
        and (se.at is null or se.at <= ${window.to.toISOString()}::timestamptz)
        ${retained}
    ),
    -- Distinct by sorting (an aggregate's DISTINCT sorts its input): the planner, which counts
    -- the held labels at 10 where there are 388,000 among 1.2 million set entries, hashed them,
    -- and that hash took about 650 ms where the sort takes 350-450 (a year's retention: the day
    -- holds nearly every label).
    held_labels as materialized (
      select unnest(array_agg(distinct abs(x.id))) as id
      from (select distinct label_set_id from held) h
      cross join lateral (
        select unnest(ls.label_ids) as id from label_sets ls where ls.id = h.label_set_id offset 0
      ) x
    )`;
}

/**
 * The subjects whose data the service held during the window (heldByService). Sorted refs; none
 * for an unknown service.
 */
export async function subjectsHeldByService(
  store: Store,
  service: string,
  window: HeldWindow,
): Promise<string[]> {
  const held = await heldService(store, service);
  if (!held) return [];
  // Labels by one scan of all of them (`l.id + 0` keeps the planner off labels_pkey): once a
  // service keeps data a year nearly every label is held (388,000 of 394,737 at 10 million
  // elements), and the planner, which counts the held labels at 10, probed labels_pkey for each.
  // Then subjects once each, by a hash. (More work_mem, 64 MB, kept the sorts and hashes off disk
  // but was no faster here: 1.78 s against 1.63 s, six runs each.)
  const rows = await store.rows<{ ref: string }>(sql`${heldByService(held, window)}
    select s.ref from subjects s
    where s.id in (select l.subject_id from held_labels h join labels l on l.id + 0 = h.id)
    order by s.ref`);
  return rows.map((row) => row.ref);
}

/** The subjects whose data the node held at some time up to the window's end. */
export async function subjectsHeldByNode(
  store: Store,
  nodeExtId: string,
  window: HeldWindow,
): Promise<string[]> {
  const rows = await store.rows<{ ref: string }>(sql`
    select distinct s.ref
    from node_labels nl
    join label_sets ls on ls.id = nl.label_set_id
    cross join lateral unnest(ls.label_ids) as x(id)
    join labels l on l.id = abs(x.id)
    join subjects s on s.id = l.subject_id
    where nl.node_ext_id = ${nodeExtId} and nl.since <= ${window.to.toISOString()}::timestamptz
    order by s.ref`);
  return rows.map((row) => row.ref);
}
