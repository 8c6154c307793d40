/**
 * What the DPO keeps and what the store concludes about personal data reaching services:
 * service mapping rules, consent history, blocking rules ("never again") with their history,
 * flows summarised at ingest, and violations with a witness path (db/labels/flows.ts).
 *
 * History is kept as rows, never rewritten: a consent change is a new consent event, a lifted
 * block keeps its row with `lifted_at`. Flows are judged against what was in force at the time
 * of each use, so a change re-judges stored flows (db/labels/judge.ts).
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  serial,
  text,
  timestamp,
  unique,
} from "drizzle-orm/pg-core";
import { elementId } from "./columns";
import { dataCategories, legalBasis, organisations, purposes, services, subjects } from "./gdpr";

/**
 * A DPO's rule that low-level nodes belong to a service: every given field must match. Globs
 * use `*` (any run) and `?` (one character). `executable` matches a node's path-like
 * attributes (`cf:pathname`, `cf:name`, `exe`, `executable`), `processName` its process name
 * (`cf:comm`, `comm`, `process`, `prov:label`). An explicit `gdpr:service` always wins; among
 * rules, the highest priority, then the lowest id.
 */
export const serviceMappingRules = pgTable(
  "service_mapping_rules",
  {
    id: serial("id").primaryKey(),
    serviceId: integer("service_id")
      .notNull()
      .references(() => services.id, { onDelete: "cascade" }),
    /** Host name as stored in `hosts.name`; null: any host. */
    host: text("host"),
    executable: text("executable"),
    processName: text("process_name"),
    priority: integer("priority").notNull().default(0),
    createdBy: text("created_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("service_mapping_rules_service_id_idx").on(t.serviceId),
    check(
      "service_mapping_rules_matches_something",
      sql`${t.executable} is not null or ${t.processName} is not null`,
    ),
  ],
);

export const CONSENT_ACTIONS = ["given", "withdrawn"] as const;
export const consentAction = pgEnum("consent_action", CONSENT_ACTIONS);

/** A subject's consent for one purpose, given or withdrawn at `at`, and how. */
export const consentEvents = pgTable(
  "consent_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    subjectId: integer("subject_id")
      .notNull()
      .references(() => subjects.id, { onDelete: "cascade" }),
    purposeId: integer("purpose_id")
      .notNull()
      .references(() => purposes.id, { onDelete: "cascade" }),
    action: consentAction("action").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull(),
    /** How: "portal", "sign-up form", "provenance: gdpr:consent on <node>", ... */
    how: text("how").notNull(),
    recordedAt: timestamp("recorded_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("consent_events_subject_purpose_at_idx").on(t.subjectId, t.purposeId, t.at),
    index("consent_events_purpose_id_idx").on(t.purposeId),
  ],
);

/**
 * "Never again": the subject's data (of one category, or all) must not reach a service or any
 * service of an organisation from `created_at` until `lifted_at`.
 */
export const blockingRules = pgTable(
  "blocking_rules",
  {
    id: serial("id").primaryKey(),
    subjectId: integer("subject_id")
      .notNull()
      .references(() => subjects.id, { onDelete: "cascade" }),
    categoryId: integer("category_id").references(() => dataCategories.id, {
      onDelete: "cascade",
    }),
    serviceId: integer("service_id").references(() => services.id, { onDelete: "cascade" }),
    organisationId: integer("organisation_id").references(() => organisations.id, {
      onDelete: "cascade",
    }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    liftedAt: timestamp("lifted_at", { withTimezone: true }),
    how: text("how").notNull(),
  },
  (t) => [
    index("blocking_rules_subject_id_idx").on(t.subjectId),
    index("blocking_rules_category_id_idx").on(t.categoryId),
    index("blocking_rules_service_id_idx").on(t.serviceId),
    index("blocking_rules_organisation_id_idx").on(t.organisationId),
    check(
      "blocking_rules_target",
      sql`${t.serviceId} is not null or ${t.organisationId} is not null`,
    ),
    check(
      "blocking_rules_lifted_after_created",
      sql`${t.liftedAt} is null or ${t.liftedAt} >= ${t.createdAt}`,
    ),
  ],
);

export const FLOW_STATUSES = ["allowed", "no-legal-basis", "after-block"] as const;
export type FlowStatus = (typeof FLOW_STATUSES)[number];
export const flowStatus = pgEnum("flow_status", FLOW_STATUSES);

/**
 * What is kept of a flow (one subject's data of one category, collected for one purpose,
 * reaching one service): the judgement of a flow that has violations (their foreign key), and a
 * witness path once computed. Flows themselves are not stored: first and last seen, count,
 * order and status are summarised from the service entries when read (db/queries/flows.ts),
 * judged at the time of each use, so lawful uses write no per-subject row at ingest. The id is
 * the flow's id, label id × 2^20 + service id (db/labels/flows.ts, flowIdOf), not a sequence.
 *
 * Only the subject and the service are foreign keys (erasing either removes the row). The
 * category and purposes are plain ids, copied from rows that are checked (labels, purposes read
 * when judging): a foreign key check on every inserted row locks the referenced row (FOR KEY
 * SHARE), all on the same handful of rows whatever the number of concurrent ingests.
 */
export const flows = pgTable(
  "flows",
  {
    id: bigint("id", { mode: "number" }).primaryKey(),
    subjectId: integer("subject_id")
      .notNull()
      .references(() => subjects.id, { onDelete: "cascade" }),
    /** data_categories.id (from the label); not a foreign key, see the table's comment. */
    categoryId: integer("category_id").notNull(),
    /** The purpose the data was collected for (the label's): purposes.id. */
    sourcePurposeId: integer("source_purpose_id"),
    serviceId: integer("service_id")
      .notNull()
      .references(() => services.id, { onDelete: "cascade" }),
    /** The purpose the service uses it for when its violations were judged: purposes.id. */
    purposeId: integer("purpose_id"),
    legalBasis: legalBasis("legal_basis"),
    /** Node external ids from a source to the service, once computed. */
    witness: jsonb("witness").$type<string[]>(),
    judgedAt: timestamp("judged_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique("flows_key")
      .on(t.subjectId, t.categoryId, t.sourcePurposeId, t.serviceId)
      .nullsNotDistinct(),
    index("flows_service_id_idx").on(t.serviceId),
  ],
);

/**
 * One relation carrying labels into a service (or a source node that belongs to one): what it
 * carried when last counted, so a re-propagation counts only what is new. The per-use record
 * flows are judged from.
 */
export const serviceEntries = pgTable(
  "service_entries",
  {
    /** Relation external id, or `source:<node external id>`. */
    entry: elementId("entry").primaryKey(),
    serviceId: integer("service_id")
      .notNull()
      .references(() => services.id, { onDelete: "cascade" }),
    /** The node that brought the data in (the relation's `to` end; the source itself). */
    fromExtId: elementId("from_ext_id").notNull(),
    /** The node in the service. */
    toExtId: elementId("to_ext_id").notNull(),
    at: timestamp("at", { withTimezone: true }),
    /** label_sets.id; not a foreign key, as node_labels.label_set_id (db/schema/labels.ts). */
    labelSetId: bigint("label_set_id", { mode: "number" }).notNull(),
  },
  (t) => [
    index("service_entries_service_at_idx").on(t.serviceId, t.at),
    index("service_entries_label_set_id_idx").on(t.labelSetId),
  ],
);

export const violationKind = pgEnum("violation_kind", ["no-legal-basis", "after-block"]);

/** A use judged unlawful when it happened, with the path that proves the data got there. */
export const violations = pgTable(
  "violations",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    flowId: bigint("flow_id", { mode: "number" })
      .notNull()
      .references(() => flows.id, { onDelete: "cascade" }),
    entry: text("entry").notNull(),
    at: timestamp("at", { withTimezone: true }),
    kind: violationKind("kind").notNull(),
    blockingRuleId: integer("blocking_rule_id").references(() => blockingRules.id, {
      onDelete: "set null",
    }),
    witness: jsonb("witness").$type<string[]>().notNull(),
    detectedAt: timestamp("detected_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique("violations_flow_entry_key").on(t.flowId, t.entry),
    index("violations_blocking_rule_id_idx").on(t.blockingRuleId),
    index("violations_at_idx").on(t.at),
  ],
);

export type ServiceMappingRule = typeof serviceMappingRules.$inferSelect;
export type ConsentEvent = typeof consentEvents.$inferSelect;
export type BlockingRule = typeof blockingRules.$inferSelect;
export type Flow = typeof flows.$inferSelect;
export type NewFlow = typeof flows.$inferInsert;
export type Violation = typeof violations.$inferSelect;
