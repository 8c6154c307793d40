/**
 * Reading the flows the store maintains at ingest (db/labels): a subject's overview, the flows
 * into one service, the witness path of one flow, and the subjects whose data a node or a service
 * held in a time window (the breach report's question). Reads only; a witness path is computed
 * on first request and kept.
 */
import { sql } from "drizzle-orm";
import type { Store } from "../client";
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

const FLOW_COLUMNS = sql`
  f.id::integer as id, s.ref as subject, c.key as category, sv.name as service,
  o.name as organisation, via.name as "viaService", p.key as purpose,
  sp.key as "collectedFor", f.legal_basis::text as "legalBasis",
  to_char(f.first_seen at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as "firstSeen",
  to_char(f.last_seen at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as "lastSeen",
  f.count, f.ordered, f.status::text as status,
  (select count(*) from violations v where v.flow_id = f.id)::integer as violations`;

const FLOW_JOINS = sql`
  from flows f
  join subjects s on s.id = f.subject_id
  join data_categories c on c.id = f.category_id
  join services sv on sv.id = f.service_id
  left join organisations o on o.id = sv.organisation_id
  left join services via on via.id = f.via_service_id
  left join purposes p on p.id = f.purpose_id
  left join purposes sp on sp.id = f.source_purpose_id`;

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
  return store.rows<FlowSummary>(sql`
    select ${FLOW_COLUMNS} ${FLOW_JOINS}
    where f.subject_id = ${subject.id}
    order by lower(sv.name), sv.name, c.key, sp.key nulls first`);
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
  return store.rows<FlowSummary>(sql`
    select ${FLOW_COLUMNS} ${FLOW_JOINS}
    where f.service_id = ${row.id}
    order by f.last_seen desc nulls last, f.id
    limit ${limit}`);
}

export interface WitnessStep {
  node: string;
  label: string | null;
  service: string | null;
}

/**
 * One path in the provenance graph from a source of the flow's data to the node where it
 * entered the service: computed on first request, then kept. Null for an unknown flow; an empty
 * list when no path is found any more.
 */
export async function flowWitness(store: Store, flowId: number): Promise<WitnessStep[] | null> {
  const [flow] = await store.rows<{
    witness: string[] | null;
    labelId: number | null;
    src: string | null;
    dst: string | null;
  }>(sql`
    select f.witness, l.id as "labelId", se.from_ext_id as src, se.to_ext_id as dst
    from flows f
    left join labels l on l.subject_id = f.subject_id and l.category_id = f.category_id
      and l.purpose_id is not distinct from f.source_purpose_id
    left join service_entries se on se.entry = f.entry
    where f.id = ${flowId}`);
  if (!flow) return null;
  let witness = flow.witness;
  if (!witness && flow.labelId !== null && flow.src) {
    const path = await witnessPathTo(store, store.db, flow.labelId, flow.src);
    if (path) {
      witness = flow.dst && flow.dst !== flow.src ? [...path, flow.dst] : path;
      await store.db.execute(
        sql`update flows set witness = ${JSON.stringify(witness)}::jsonb where id = ${flowId}`,
      );
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

/**
 * The subjects whose data the service held during the window: data that entered it before the
 * window ended and, when the service's purposes state a retention, was not yet past it when the
 * window began. Entries of unknown time count (conservative). Sorted references.
 */
export async function subjectsHeldByService(
  store: Store,
  service: string,
  window: HeldWindow,
): Promise<string[]> {
  const rows = await store.rows<{ ref: string }>(sql`
    with svc as (
      select sv.id, (select max(p.retention_days) from purposes p where p.service_id = sv.id)
               as retention_days
      from services sv where sv.name = ${service}
    ),
    held_sets as (
      select distinct se.label_set_id from service_entries se, svc
      where se.service_id = svc.id
        and (se.at is null or se.at <= ${window.to.toISOString()}::timestamptz)
        and (se.at is null or svc.retention_days is null
             or se.at + make_interval(days => svc.retention_days)
                >= ${window.from.toISOString()}::timestamptz)
    ),
    held_labels as (
      select distinct abs(x.id) as id
      from held_sets h join label_sets ls on ls.id = h.label_set_id
      cross join lateral unnest(ls.label_ids) as x(id)
    )
    select distinct s.ref from held_labels h
    join labels l on l.id = h.id join subjects s on s.id = l.subject_id
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
