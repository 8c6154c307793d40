/**
 * Personal-data labels and how they sit on the provenance graph (db/labels/propagate.ts).
 *
 * A label is (subject, category, purpose it was collected for). Nodes never list labels: they
 * point to an interned label set, a sorted array of label ids stored once, so a database file
 * that holds a million subjects costs one set however many nodes carry it.
 *
 * A set entry `-id` is label `id` reached only through a relation that nothing orders in time
 * (a generic PROV relation without `prov:time`): propagated conservatively, and flows built on it
 * are marked unordered. `id` and `-id` may both be present.
 *
 * A node's labels over time are a step function: `node_labels` keeps one row per time at which
 * labels arrived (`since`), and the node holds the union of the sets of its rows with
 * `since <= t`. `-infinity` is "from the start": sources, CamFlow (ordered by object versions,
 * each version its own node) and unordered relations. Rows are keyed by the node's external id,
 * so labels reach nodes that are still pending (named by a relation, not yet received).
 */
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  unique,
} from "drizzle-orm/pg-core";
import { elementId } from "./columns";
import { subjects } from "./gdpr";

export const labels = pgTable(
  "labels",
  {
    id: serial("id").primaryKey(),
    subjectId: integer("subject_id")
      .notNull()
      .references(() => subjects.id, { onDelete: "cascade" }),
    /**
     * data_categories.id. Not a foreign key (nor purpose_id): each inserted label ran a
     * `FOR KEY SHARE` lookup per constraint, on the same handful of rows, and the store never
     * deletes a category or a purpose; labels are created only from ids read in the same
     * statement (db/labels/propagate.ts, recordSources); their indexes served only the
     * constraints. Decision 45, as 33 for flows.
     */
    categoryId: integer("category_id").notNull(),
    /** The purpose the data was collected for (`gdpr:purpose` on the source), if stated. */
    purposeId: integer("purpose_id"),
  },
  (t) => [
    unique("labels_subject_category_purpose_key")
      .on(t.subjectId, t.categoryId, t.purposeId)
      .nullsNotDistinct(),
  ],
);

export const labelSets = pgTable(
  "label_sets",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    /** md5 of the ids joined by commas: the interning key. */
    digest: text("digest").notNull().unique(),
    /** Sorted, distinct label ids; negative = reached only without order (see module header). */
    labelIds: integer("label_ids").array().notNull(),
  },
  // "Which sets hold this label": a subject's flows, witness paths. Without fastupdate: with it,
  // new entries wait in a pending list (up to gin_pending_list_limit, 4 MB) that every search
  // reads through until a vacuum merges it; a subject's overview took 30 ms of 38 reading it
  // (decision 41).
  (t) => [index("label_sets_label_ids_idx").using("gin", t.labelIds).with({ fastupdate: false })],
);

export const nodeLabels = pgTable(
  "node_labels",
  {
    nodeExtId: elementId("node_ext_id").notNull(),
    since: timestamp("since", { withTimezone: true }).notNull(),
    /**
     * label_sets.id. Not a foreign key, nor indexed: the set is interned in the statement that
     * writes the row, sets are never deleted, and nothing looks node rows up by set; the check
     * locked the set's row (FOR KEY SHARE) and the index grew with every row (decision 41).
     */
    labelSetId: bigint("label_set_id", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.nodeExtId, t.since] })],
);

/**
 * The time of a data-carrying relation that orders it, parsed once at ingest: `prov:time` (which
 * orders generic PROV flows). CamFlow's `cf:date` (the flush second; shown and judged, but
 * CamFlow flows are ordered by versions, not by it) is read from the relation where an entry
 * needs it (db/labels/sql.ts, RELATION_AT); relations without an ordering time have no row.
 */
export const relationTimes = pgTable("relation_times", {
  /**
   * prov_relations.id. Not a foreign key: the row is written from the stored relation in the
   * same statement and relations are never deleted; the check locked every relation's row.
   */
  relationId: bigint("relation_id", { mode: "number" }).primaryKey(),
  at: timestamp("at", { withTimezone: true }).notNull(),
  /** Always true since migration 0015 (rows of informational times were dropped). */
  orders: boolean("orders").notNull(),
});

export type Label = typeof labels.$inferSelect;
export type LabelSet = typeof labelSets.$inferSelect;
export type NodeLabel = typeof nodeLabels.$inferSelect;
