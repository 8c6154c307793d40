/**
 * The GDPR side of the store: data subjects, data categories, organisations, the services they
 * run and the purposes those services declare (the Art. 30 record of processing), and the
 * personal-data sources that app-level provenance marks with `gdpr:subject` / `gdpr:category`.
 *
 * A subject is identified by a stable reference (`ref`) that applications put in provenance;
 * the portal links a user account to at most one subject.
 */
import {
  bigint,
  boolean,
  index,
  integer,
  pgEnum,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
} from "drizzle-orm/pg-core";
import { provNodes } from "./prov";

export const subjects = pgTable("subjects", {
  id: serial("id").primaryKey(),
  ref: text("ref").notNull().unique(),
  displayName: text("display_name"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export const dataCategories = pgTable("data_categories", {
  id: serial("id").primaryKey(),
  key: text("key").notNull().unique(),
});

export const organisations = pgTable("organisations", {
  id: serial("id").primaryKey(),
  name: text("name").notNull().unique(),
  /** A recipient outside the controller (Art. 30(1)(d)): processors, partners, other controllers. */
  thirdParty: boolean("third_party").notNull().default(false),
});

export const services = pgTable(
  "services",
  {
    id: serial("id").primaryKey(),
    name: text("name").notNull().unique(),
    organisationId: integer("organisation_id").references(() => organisations.id, {
      onDelete: "set null",
    }),
  },
  (t) => [index("services_organisation_id_idx").on(t.organisationId)],
);

/** GDPR Art. 6(1) legal bases. */
export const legalBasis = pgEnum("legal_basis", [
  "consent",
  "contract",
  "legal_obligation",
  "vital_interests",
  "public_task",
  "legitimate_interests",
]);

export const purposes = pgTable(
  "purposes",
  {
    id: serial("id").primaryKey(),
    key: text("key").notNull().unique(),
    serviceId: integer("service_id").references(() => services.id, { onDelete: "cascade" }),
    legalBasis: legalBasis("legal_basis"),
    retentionDays: integer("retention_days"),
  },
  (t) => [index("purposes_service_id_idx").on(t.serviceId)],
);

/** A provenance node that holds a subject's personal data of one category at its origin. */
export const personalDataSources = pgTable(
  "personal_data_sources",
  {
    nodeId: bigint("node_id", { mode: "number" })
      .notNull()
      .references(() => provNodes.id, { onDelete: "cascade" }),
    subjectId: integer("subject_id")
      .notNull()
      .references(() => subjects.id, { onDelete: "cascade" }),
    categoryId: integer("category_id")
      .notNull()
      .references(() => dataCategories.id, { onDelete: "cascade" }),
    purposeId: integer("purpose_id").references(() => purposes.id, { onDelete: "set null" }),
  },
  (t) => [
    primaryKey({ columns: [t.nodeId, t.subjectId, t.categoryId] }),
    index("personal_data_sources_subject_id_idx").on(t.subjectId),
    index("personal_data_sources_category_id_idx").on(t.categoryId),
    index("personal_data_sources_purpose_id_idx").on(t.purposeId),
  ],
);

export type Subject = typeof subjects.$inferSelect;
export type Service = typeof services.$inferSelect;
export type Organisation = typeof organisations.$inferSelect;
export type Purpose = typeof purposes.$inferSelect;
export type PersonalDataSource = typeof personalDataSources.$inferSelect;
