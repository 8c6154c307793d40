/**
 * Bearer tokens with which a capture host (an application) posts provenance to the bridge's
 * `POST /ingest`. A token is `<id>.<secret>`, both random base32; only the id and SHA-256 of
 * the secret are stored, so reading this table yields no usable token. Revoked tokens stay,
 * with the time they were revoked, for the audit trail.
 */
import { index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { bytea } from "./columns";
import { hosts } from "./prov";

export const hostTokens = pgTable(
  "host_tokens",
  {
    id: text("id").primaryKey(),
    hostId: integer("host_id")
      .notNull()
      .references(() => hosts.id, { onDelete: "cascade" }),
    secretHash: bytea("secret_hash").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [index("host_tokens_host_id_idx").on(t.hostId)],
);

export type HostToken = typeof hostTokens.$inferSelect;
