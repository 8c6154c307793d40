/**
 * Where a data subject's personal data went, at the level of services and organisations.
 *
 * Walking-skeleton semantics: starting from the subject's personal-data sources, follow every
 * data-carrying relation forward (information flows from a relation's `to` end to its `from`
 * end), regardless of time, and report each service reached and each hop between services.
 * This is conservative reachability (it may over-report a flow that time ordering would rule
 * out); ordered, summarised flows maintained at ingest replace it (issue "consent-aware store").
 * The walk tracks (node, category, last service on the path); UNION makes it terminate on
 * cycles because that set is finite.
 */
import { sql } from "drizzle-orm";
import type { Store } from "../client";
import { FLOW_RELATION_KINDS } from "../prov/model";

export interface ServiceReached {
  serviceId: number;
  service: string;
  organisation: string | null;
  categories: string[];
}

export interface ServiceHop {
  /** null: straight from the subject (the data's source belongs to no service). */
  fromServiceId: number | null;
  toServiceId: number;
  categories: string[];
}

export interface SubjectFlowOverview {
  subjectRef: string;
  categories: string[];
  services: ServiceReached[];
  hops: ServiceHop[];
}

/** The subject's flow overview; a subject with no stored sources gets empty lists. */
export async function subjectFlowOverview(
  store: Store,
  subjectId: number,
): Promise<SubjectFlowOverview> {
  const flowKinds = sql.join(
    FLOW_RELATION_KINDS.map((kind) => sql`${kind}`),
    sql`, `,
  );
  const reach = sql`
    with recursive reach(ext_id, category_id, via_service_id) as (
      select n.ext_id, s.category_id, n.service_id
      from personal_data_sources s join prov_nodes n on n.id = s.node_id
      where s.subject_id = ${subjectId}
      union
      select r.from_ext_id, reach.category_id, coalesce(n.service_id, reach.via_service_id)
      from reach
      join prov_relations r on r.to_ext_id = reach.ext_id and r.kind::text in (${flowKinds})
      left join prov_nodes n on n.ext_id = r.from_ext_id
    )`;

  const [subject] = await store.rows<{ ref: string }>(
    sql`select ref from subjects where id = ${subjectId}`,
  );
  const categories = await store.rows<{ key: string }>(sql`
    select distinct c.key from personal_data_sources s
    join data_categories c on c.id = s.category_id
    where s.subject_id = ${subjectId} order by c.key`);
  const services = await store.rows<ServiceReached>(sql`
    ${reach}
    select sv.id as "serviceId", sv.name as service, o.name as organisation,
           array_agg(distinct c.key order by c.key) as categories
    from reach
    join services sv on sv.id = reach.via_service_id
    left join organisations o on o.id = sv.organisation_id
    join data_categories c on c.id = reach.category_id
    group by sv.id, sv.name, o.name
    order by lower(sv.name), sv.name`);
  const hops = await store.rows<ServiceHop>(sql`
    ${reach},
    hop as (
      select distinct reach.via_service_id as from_id, n.service_id as to_id, reach.category_id
      from reach
      join prov_relations r on r.to_ext_id = reach.ext_id and r.kind::text in (${flowKinds})
      join prov_nodes n on n.ext_id = r.from_ext_id
      where n.service_id is not null and n.service_id is distinct from reach.via_service_id
      union
      select null, n.service_id, s.category_id
      from personal_data_sources s join prov_nodes n on n.id = s.node_id
      where s.subject_id = ${subjectId} and n.service_id is not null
    )
    select hop.from_id as "fromServiceId", hop.to_id as "toServiceId",
           array_agg(distinct c.key order by c.key) as categories
    from hop join data_categories c on c.id = hop.category_id
    group by hop.from_id, hop.to_id
    order by hop.from_id nulls first, hop.to_id`);
  return {
    subjectRef: subject?.ref ?? "",
    categories: categories.map((c) => c.key),
    services,
    hops,
  };
}
