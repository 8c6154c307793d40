/**
 * Enforcement points: the mailers, export jobs, egress proxies and third-party connectors that
 * check data before it moves, and the rule-set versions they have applied (DESIGN.md,
 * "Enforcement points").
 *
 * - A point is registered by the DPO with the services it guards; it authenticates to the
 *   bridge with a bearer token `<token_id>.<secret>` of which only the id and SHA-256 of the
 *   secret are stored. Revoking keeps the row (audit trail) and refuses the token.
 * - Every change to the blocking rules (a block added or lifted) is a row of
 *   `enforcement_rule_changes` written in the same transaction as the rule: the transactional
 *   outbox the bridge publishes from, so a rule is never lost between two writes. Its `version`
 *   is the rule set's version after the change; versions are taken under a table lock, so they
 *   commit in order and a point that applied version v has every change up to v.
 * - A point acknowledges the version it applied (`applied_version`, and each step in
 *   `enforcement_acks`); a block counts as enforced at a point once that point applied the
 *   block's `added` version.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  index,
  integer,
  pgEnum,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
} from "drizzle-orm/pg-core";
import { bytea } from "./columns";
import { blockingRules } from "./flows";
import { services } from "./gdpr";

export const enforcementPoints = pgTable(
  "enforcement_points",
  {
    id: serial("id").primaryKey(),
    name: text("name").notNull().unique(),
    tokenId: text("token_id").notNull().unique(),
    secretHash: bytea("secret_hash").notNull(),
    /** Rules older than this make the point refuse every flow; null: it keeps its last rules. */
    failClosedAfterSeconds: integer("fail_closed_after_seconds"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    createdBy: text("created_by").notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    revokedBy: text("revoked_by"),
    /** The last rule-set version the point acknowledged; null: none yet. */
    appliedVersion: bigint("applied_version", { mode: "number" }),
    appliedAt: timestamp("applied_at", { withTimezone: true }),
    /** The point's last authenticated request (a rule pull or an acknowledgement). */
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }),
  },
  (t) => [
    check(
      "enforcement_points_fail_closed_positive",
      sql`${t.failClosedAfterSeconds} is null or ${t.failClosedAfterSeconds} > 0`,
    ),
  ],
);

/** The services a point guards: the rules it receives are those that concern them. */
export const enforcementPointServices = pgTable(
  "enforcement_point_services",
  {
    pointId: integer("point_id")
      .notNull()
      .references(() => enforcementPoints.id, { onDelete: "cascade" }),
    serviceId: integer("service_id")
      .notNull()
      .references(() => services.id, { onDelete: "cascade" }),
  },
  (t) => [
    primaryKey({ columns: [t.pointId, t.serviceId] }),
    index("enforcement_point_services_service_id_idx").on(t.serviceId),
  ],
);

export const RULE_CHANGES = ["added", "lifted"] as const;
export type RuleChange = (typeof RULE_CHANGES)[number];
export const ruleChange = pgEnum("rule_change", RULE_CHANGES);

export const enforcementRuleChanges = pgTable(
  "enforcement_rule_changes",
  {
    version: bigint("version", { mode: "number" }).primaryKey(),
    blockingRuleId: integer("blocking_rule_id")
      .notNull()
      .references(() => blockingRules.id, { onDelete: "cascade" }),
    change: ruleChange("change").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull(),
    /** When the bridge first announced this version to the points; null: not yet. */
    publishedAt: timestamp("published_at", { withTimezone: true }),
  },
  (t) => [
    index("enforcement_rule_changes_blocking_rule_id_idx").on(t.blockingRuleId),
    index("enforcement_rule_changes_unpublished_idx")
      .on(t.version)
      .where(sql`${t.publishedAt} is null`),
  ],
);

/**
 * Each version a point acknowledged beyond its last, with when: whether a block had reached a
 * point before a use that still happened (the DPO's violations page tells them apart).
 */
export const enforcementAcks = pgTable(
  "enforcement_acks",
  {
    pointId: integer("point_id")
      .notNull()
      .references(() => enforcementPoints.id, { onDelete: "cascade" }),
    version: bigint("version", { mode: "number" }).notNull(),
    at: timestamp("at", { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.pointId, t.version] })],
);

export type EnforcementPoint = typeof enforcementPoints.$inferSelect;
export type EnforcementRuleChange = typeof enforcementRuleChanges.$inferSelect;
