/**
 * The provenance graph as received: capture hosts, nodes (entities, activities, agents) and
 * relations, each keyed by its global external id (see db/prov/model.ts).
 *
 * Relations reference their ends by external id, not by foreign key: CamFlow streams edges
 * before (or without) their vertices, so a relation may name a node that is not stored yet.
 * Such a relation is "pending" until the node arrives; nothing is rewritten when it does.
 * Writes are idempotent: the external id is unique and re-delivered elements change nothing.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { NODE_KINDS, RELATION_KINDS } from "../prov/model";
import { QUARANTINE_KINDS } from "../prov/quarantine-kinds";
import { bytea, elementId } from "./columns";
import { services } from "./gdpr";

/**
 * The ledger record (log, sequence) of the document that first brought an element in. Not a
 * foreign key on purpose: the verifier must see an element whose record was deleted.
 */
function ledgerReference() {
  return {
    ledgerLogId: integer("ledger_log_id"),
    ledgerSeq: bigint("ledger_seq", { mode: "number" }),
  };
}

export const nodeKind = pgEnum("node_kind", NODE_KINDS);
export const relationKind = pgEnum("relation_kind", RELATION_KINDS);

/** A machine or application that reports provenance (CamFlow machine id, MQTT topic, token, --host). */
export const hosts = pgTable("hosts", {
  id: serial("id").primaryKey(),
  name: text("name").notNull().unique(),
  /**
   * The host's Ed25519 key as a signed-note vkey, when it signs its messages. A host with a key
   * must sign every message (non-repudiation); its signature is kept in the ledger's archive.
   */
  verifierKey: text("verifier_key"),
  firstSeenAt: timestamp("first_seen_at", { withTimezone: true }).notNull().defaultNow(),
});

export const provNodes = pgTable(
  "prov_nodes",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    extId: elementId("ext_id").notNull(),
    kind: nodeKind("kind").notNull(),
    provType: text("prov_type"),
    label: text("label"),
    attributes: jsonb("attributes").notNull().default(sql`'{}'::jsonb`),
    /** The service this node belongs to, when app-level provenance says so (`gdpr:service`). */
    serviceId: integer("service_id").references(() => services.id, { onDelete: "set null" }),
    ...ledgerReference(),
    firstSeenAt: timestamp("first_seen_at", { withTimezone: true }).notNull().defaultNow(),
  },
  // See prov_relations for why ext_id keeps a plain unique btree.
  (t) => [
    uniqueIndex("prov_nodes_ext_id_key").on(t.extId),
    index("prov_nodes_ledger_idx").on(t.ledgerLogId, t.ledgerSeq),
    index("prov_nodes_service_id_idx").on(t.serviceId).where(sql`${t.serviceId} is not null`),
  ],
);

/**
 * Which hosts reported a node: the same id from two hosts is one node seen twice. No foreign
 * keys (README decision 40): the ingest writes these rows from ids it has just inserted or read
 * in the same transaction, and nothing deletes nodes or hosts; a check per row (a `FOR KEY
 * SHARE` lookup of the node and of the host) cost 2 of the 3 µs a row took. Code that deletes
 * a node or a host must delete its rows here in the same transaction.
 */
export const provNodeHosts = pgTable(
  "prov_node_hosts",
  {
    nodeId: bigint("node_id", { mode: "number" }).notNull(),
    hostId: integer("host_id").notNull(),
  },
  // No index on host_id alone: no query looks nodes up by host (deleting a host, which nothing
  // does, would scan the table), and every ingested node pays for each index.
  (t) => [primaryKey({ columns: [t.nodeId, t.hostId] })],
);

export const provRelations = pgTable(
  "prov_relations",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    extId: elementId("ext_id").notNull(),
    kind: relationKind("kind").notNull(),
    /** The dependent end (PROV's first argument). */
    fromExtId: elementId("from_ext_id").notNull(),
    /** What the dependent end depends on; data flows from here to `fromExtId`. */
    toExtId: elementId("to_ext_id").notNull(),
    time: text("time"),
    attributes: jsonb("attributes").notNull().default(sql`'{}'::jsonb`),
    /** hosts.id, not a foreign key: see prov_node_hosts (its check cost ~1 µs a relation). */
    hostId: integer("host_id"),
    ...ledgerReference(),
    firstSeenAt: timestamp("first_seen_at", { withTimezone: true }).notNull().defaultNow(),
  },
  // Ingest pays for every index here, per relation, but these are btrees in the columns' own
  // collation although "C" btrees and hash indexes insert faster (C.UTF-8 compares through
  // strcoll): the planner proves that a join on ext_id returns at most one row only from a
  // unique index it can match, and it costs labelling's joins on from/to ids well only on
  // btrees. With a "C" unique index and hash indexes, labelling's statements took 2.3 times the
  // PostgreSQL CPU per element (README decision 36). There is no index on host_id: no query
  // looks relations up by host (see prov_node_hosts).
  (t) => [
    uniqueIndex("prov_relations_ext_id_key").on(t.extId),
    index("prov_relations_ledger_idx").on(t.ledgerLogId, t.ledgerSeq),
    index("prov_relations_from_ext_id_idx").on(t.fromExtId),
    index("prov_relations_to_ext_id_idx").on(t.toExtId),
  ],
);

export const quarantineKind = pgEnum("quarantine_kind", QUARANTINE_KINDS);

/** A message the bridge could not read, kept whole with the reason, for the DPO to inspect. */
export const quarantine = pgTable(
  "quarantine",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    source: text("source").notNull(),
    /** Rows kept before kinds existed were given one by their reason's wording (migration 0019). */
    kind: quarantineKind("kind").notNull().default("other"),
    reason: text("reason").notNull(),
    raw: bytea("raw").notNull(),
    /**
     * SHA-256 (hex) of `raw`: a message redelivered after a crash (its first quarantine committed,
     * its acknowledgement lost) is kept once per source. Null only in rows kept before it existed.
     */
    digest: text("digest"),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("quarantine_received_at_idx").on(t.receivedAt),
    uniqueIndex("quarantine_source_digest_key").on(t.source, t.digest),
  ],
);

export type Host = typeof hosts.$inferSelect;
export type ProvNodeRow = typeof provNodes.$inferSelect;
export type NewProvNodeRow = typeof provNodes.$inferInsert;
export type ProvRelationRow = typeof provRelations.$inferSelect;
export type NewProvRelationRow = typeof provRelations.$inferInsert;
export type QuarantinedMessage = typeof quarantine.$inferSelect;
