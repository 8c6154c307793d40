/**
 * Violations for the DPO: uses of personal data judged unlawful when they happened
 * (db/labels/flows.ts), newest first, each with the witness path stored with it, resolved to
 * the nodes' labels and services, and for a use after a block whether the block had reached an
 * enforcement point guarding that service before the use. Reads only.
 */
import { sql } from "drizzle-orm";
import type { Store } from "../client";
import type { WitnessStep } from "./flows";

export interface ViolationRow {
  id: number;
  flowId: number;
  subject: string;
  category: string;
  service: string;
  organisation: string | null;
  purpose: string | null;
  legalBasis: string | null;
  kind: "no-legal-basis" | "after-block";
  /** When the use happened; null when its relation carries no time. */
  at: string | null;
  detectedAt: string;
  witness: WitnessStep[];
  /**
   * For a use after a block, at a known time: how many enforcement points guarding the service
   * had acknowledged a rule set holding the block before the use (> 0: one let it through or
   * was bypassed; 0: the block had not reached any yet). null otherwise.
   */
  appliedBefore: number | null;
}

const ISO = (column: string) =>
  sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`);

/** The newest `limit` violations (by time of use, then detection) and how many there are. */
export async function recentViolations(
  store: Store,
  limit: number,
): Promise<{ total: number; violations: ViolationRow[] }> {
  const [count] = await store.rows<{ total: number }>(
    sql`select count(*)::integer as total from violations`,
  );
  const violations = await store.rows<ViolationRow>(sql`
    select v.id::integer as id, v.flow_id::integer as "flowId", s.ref as subject,
      c.key as category, sv.name as service, o.name as organisation, p.key as purpose,
      f.legal_basis::text as "legalBasis", v.kind::text as kind,
      ${ISO("v.at")} as at, ${ISO("v.detected_at")} as "detectedAt",
      coalesce((
        select jsonb_agg(jsonb_build_object('node', w.node, 'label', n.label, 'service', ws.name)
                         order by w.i)
        from jsonb_array_elements_text(v.witness) with ordinality as w(node, i)
        left join prov_nodes n on n.ext_id = w.node
        left join services ws on ws.id = n.service_id
      ), '[]'::jsonb) as witness,
      case when v.kind = 'after-block' and v.at is not null and v.blocking_rule_id is not null then (
        select count(distinct a.point_id)::integer
        from enforcement_rule_changes c
        join enforcement_acks a on a.version >= c.version and a.at <= v.at
        join enforcement_point_services ps
          on ps.point_id = a.point_id and ps.service_id = f.service_id
        where c.blocking_rule_id = v.blocking_rule_id and c.change = 'added'
      ) end as "appliedBefore"
    from violations v
    join flows f on f.id = v.flow_id
    join subjects s on s.id = f.subject_id
    join data_categories c on c.id = f.category_id
    join services sv on sv.id = f.service_id
    left join organisations o on o.id = sv.organisation_id
    left join purposes p on p.id = f.purpose_id
    order by coalesce(v.at, v.detected_at) desc, v.id desc
    limit ${limit}`);
  return { total: count?.total ?? 0, violations };
}
