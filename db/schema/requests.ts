/**
 * Data subjects' requests that a person must answer: erasure (GDPR Art. 17). The subject asks
 * in the portal; the DPO answers within a month (Art. 12(3)), either that the data was erased
 * (and the recipients told, Art. 19) or why not (Art. 12(4)). The request and its answer are in
 * the ledger's legal log too; this table is what the pages read.
 */
import { sql } from "drizzle-orm";
import {
  index,
  integer,
  pgEnum,
  pgTable,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { organisations, subjects } from "./gdpr";

export const erasureRequestStatus = pgEnum("erasure_request_status", ["open", "erased", "refused"]);

export const erasureRequests = pgTable(
  "erasure_requests",
  {
    id: serial("id").primaryKey(),
    subjectId: integer("subject_id")
      .notNull()
      .references(() => subjects.id, { onDelete: "cascade" }),
    requestedAt: timestamp("requested_at", { withTimezone: true }).notNull().defaultNow(),
    /** When the answer is due: a month after the request (Art. 12(3)). */
    dueAt: timestamp("due_at", { withTimezone: true }).notNull(),
    status: erasureRequestStatus("status").notNull().default("open"),
    answeredAt: timestamp("answered_at", { withTimezone: true }),
    /** The DPO who answered (their email). */
    answeredBy: text("answered_by"),
    /** What was done, or why not: shown to the subject. */
    answer: text("answer"),
  },
  (t) => [
    index("erasure_requests_subject_id_idx").on(t.subjectId),
    // One open request per subject: asking twice does not make two.
    uniqueIndex("erasure_requests_one_open_key").on(t.subjectId).where(sql`${t.status} = 'open'`),
  ],
);

export type ErasureRequest = typeof erasureRequests.$inferSelect;

/**
 * The recipients told of an erasure (Art. 19): one row per request and organisation the
 * subject's data was observed reaching, with who told them and when. The subject may see whom
 * (Art. 19, second sentence); each is in the legal log too.
 */
export const erasureNotices = pgTable(
  "erasure_notices",
  {
    requestId: integer("request_id")
      .notNull()
      .references(() => erasureRequests.id, { onDelete: "cascade" }),
    organisationId: integer("organisation_id")
      .notNull()
      .references(() => organisations.id, { onDelete: "cascade" }),
    toldAt: timestamp("told_at", { withTimezone: true }).notNull(),
    /** The DPO who recorded it (their email). */
    toldBy: text("told_by").notNull(),
  },
  (t) => [
    uniqueIndex("erasure_notices_request_organisation_key").on(t.requestId, t.organisationId),
  ],
);
