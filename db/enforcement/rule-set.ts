/**
 * The rule set that enforcement points apply, versioned (db/schema/enforcement.ts).
 *
 * - `recordRuleChange` runs inside the transaction that adds or lifts a blocking rule: the
 *   outbox row commits with the rule or not at all. It takes the next version under an
 *   EXCLUSIVE lock of the change table (plain reads still pass), so versions commit in order:
 *   once version v is visible, every version below it is too. Rule changes are human clicks;
 *   serialising them costs nothing that matters. Call it last in the transaction, to hold the
 *   lock briefly.
 * - `ruleSetFor` reads the version first and the rules after it (read committed): the rules
 *   hold at least every change up to that version, so acknowledging it is never a claim the
 *   point cannot back. A change that commits between the two reads shows up early, which a
 *   later pull repairs.
 */
import { sql } from "drizzle-orm";
import type { Executor, Store } from "../client";
import type { RuleChange } from "../schema";

/** Appends the change to the rule set's history; returns the version it makes. */
export async function recordRuleChange(
  store: Store,
  tx: Executor,
  change: { blockingRuleId: number; change: RuleChange; at: Date },
): Promise<number> {
  await tx.execute(sql`lock table enforcement_rule_changes in exclusive mode`);
  const [row] = await store.rows<{ version: string }>(
    sql`insert into enforcement_rule_changes (version, blocking_rule_id, change, at)
        select coalesce(max(version), 0) + 1, ${change.blockingRuleId}, ${change.change},
               ${change.at.toISOString()}
        from enforcement_rule_changes
        returning version::text`,
    tx,
  );
  if (!row) throw new Error("couldn't record the rule change: no version returned");
  return Number(row.version);
}

/** The rule set's current version: 0 before the first rule. */
export async function currentRuleVersion(store: Store, executor?: Executor): Promise<number> {
  const [row] = await store.rows<{ version: string }>(
    sql`select coalesce(max(version), 0)::text as version from enforcement_rule_changes`,
    executor,
  );
  return Number(row?.version ?? 0);
}

/** One block as an enforcement point receives it. */
export interface EnforcedRule {
  id: number;
  /** The subject's stable reference (`gdpr:subject`), as applications know it. */
  subject: string;
  /** null: every category of the subject's data. */
  category: string | null;
  /** The guarded services the rule stops data from reaching (never empty). */
  services: string[];
  /** ISO 8601, UTC. */
  since: string;
}

export interface PointRuleSet {
  /** The point's id: its push topic is `<ENFORCEMENT_TOPIC_PREFIX>/<pointId>`. */
  pointId: number;
  point: string;
  version: number;
  /** The services the point guards, by name. */
  services: string[];
  /** The point refuses every flow when its rules are older than this; null: never. */
  failClosedAfterMs: number | null;
  rules: EnforcedRule[];
}

/**
 * The active blocks that concern the services the point guards: a block of a service, or of the
 * organisation a guarded service belongs to, expanded to the guarded services it covers.
 */
export async function ruleSetFor(store: Store, pointId: number): Promise<PointRuleSet | null> {
  const version = await currentRuleVersion(store);
  const [point] = await store.rows<{
    name: string;
    failClosedAfterSeconds: number | null;
    services: string[] | null;
  }>(sql`
    select p.name, p.fail_closed_after_seconds as "failClosedAfterSeconds",
           (select array_agg(sv.name order by sv.name)
            from enforcement_point_services ps join services sv on sv.id = ps.service_id
            where ps.point_id = p.id) as services
    from enforcement_points p where p.id = ${pointId} and p.revoked_at is null`);
  if (!point) return null;
  const rules = await store.rows<EnforcedRule>(sql`
    select r.id, s.ref as subject, dc.key as category,
           array_agg(distinct sv.name order by sv.name) as services,
           to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as since
    from enforcement_point_services ps
    join services sv on sv.id = ps.service_id
    join blocking_rules r
      on r.lifted_at is null
     and (r.service_id = sv.id or r.organisation_id = sv.organisation_id)
    join subjects s on s.id = r.subject_id
    left join data_categories dc on dc.id = r.category_id
    where ps.point_id = ${pointId}
    group by r.id, s.ref, dc.key, r.created_at
    order by r.id`);
  return {
    pointId,
    point: point.name,
    version,
    services: point.services ?? [],
    failClosedAfterMs:
      point.failClosedAfterSeconds === null ? null : point.failClosedAfterSeconds * 1000,
    rules,
  };
}

export class AcknowledgementError extends Error {
  readonly code = "bad_version";
}

/**
 * Records that the point applied `version` (a point never goes back: an older acknowledgement
 * arriving late changes nothing). Throws AcknowledgementError for a version the rule set has
 * not reached.
 */
export async function acknowledgeRuleVersion(
  store: Store,
  pointId: number,
  version: number,
  now: Date = new Date(),
): Promise<{ appliedVersion: number }> {
  const current = await currentRuleVersion(store);
  if (!Number.isSafeInteger(version) || version < 0 || version > current) {
    throw new AcknowledgementError(
      `expected a rule-set version between 0 and ${current}, got ${JSON.stringify(version)}`,
    );
  }
  const at = now.toISOString();
  const applied = await store.db.transaction(async (tx) => {
    const [point] = await store.rows<{ appliedVersion: string | null }>(
      sql`select applied_version::text as "appliedVersion" from enforcement_points
          where id = ${pointId} and revoked_at is null for update`,
      tx,
    );
    if (!point)
      throw new AcknowledgementError(`enforcement point ${pointId} is unknown or revoked`);
    const before = point.appliedVersion === null ? -1 : Number(point.appliedVersion);
    if (version <= before) {
      await tx.execute(
        sql`update enforcement_points set last_seen_at = ${at} where id = ${pointId}`,
      );
      return before;
    }
    await tx.execute(sql`
      update enforcement_points
      set applied_version = ${version}, applied_at = ${at}, last_seen_at = ${at}
      where id = ${pointId}`);
    await tx.execute(sql`
      insert into enforcement_acks (point_id, version, at) values (${pointId}, ${version}, ${at})`);
    return version;
  });
  return { appliedVersion: applied };
}

/** Live points that have not acknowledged the current version (never connected included). */
export async function countPointsBehind(store: Store): Promise<number> {
  const [row] = await store.rows<{ behind: number }>(sql`
    select count(*)::integer as behind from enforcement_points
    where revoked_at is null
      and coalesce(applied_version, -1)
          < (select coalesce(max(version), 0) from enforcement_rule_changes)`);
  return row?.behind ?? 0;
}

/** The live points' ids, for the bridge's announcements. */
export async function livePointIds(store: Store): Promise<number[]> {
  const rows = await store.rows<{ id: number }>(
    sql`select id from enforcement_points where revoked_at is null order by id`,
  );
  return rows.map((row) => row.id);
}

/** Marks every change up to `version` as announced to the points; returns how many were new. */
export async function markRuleChangesPublished(
  store: Store,
  version: number,
  now: Date = new Date(),
): Promise<number> {
  const rows = await store.rows(sql`
    update enforcement_rule_changes set published_at = ${now.toISOString()}
    where published_at is null and version <= ${version}
    returning version`);
  return rows.length;
}

/** Per active block of the subject: how many live points guard it, and how many applied it. */
export async function blockEnforcement(
  store: Store,
  subjectId: number,
): Promise<Map<number, { points: number; acknowledged: number }>> {
  const rows = await store.rows<{ id: number; points: number; acknowledged: number }>(sql`
    select r.id,
           count(distinct p.id)::int as points,
           (count(distinct p.id) filter (where p.applied_version >= c.version))::int as acknowledged
    from blocking_rules r
    join enforcement_rule_changes c on c.blocking_rule_id = r.id and c.change = 'added'
    join services sv on sv.id = r.service_id or sv.organisation_id = r.organisation_id
    join enforcement_point_services ps on ps.service_id = sv.id
    join enforcement_points p on p.id = ps.point_id and p.revoked_at is null
    where r.subject_id = ${subjectId} and r.lifted_at is null
    group by r.id`);
  return new Map(
    rows.map((row) => [row.id, { points: row.points, acknowledged: row.acknowledged }]),
  );
}
