/**
 * Portal accounts and sessions, the Lucia way (lucia-auth.com, "Sessions"): a session token is
 * `<id>.<secret>`; only the id and SHA-256 of the secret are stored, so a read of this table
 * does not yield a usable token. Passwords are argon2id hashes.
 */
import { index, integer, pgEnum, pgTable, serial, text, timestamp } from "drizzle-orm/pg-core";
import { bytea } from "./columns";
import { subjects } from "./gdpr";

export const userRole = pgEnum("user_role", ["subject", "dpo"]);

export const users = pgTable(
  "users",
  {
    id: serial("id").primaryKey(),
    email: text("email").notNull().unique(),
    passwordHash: text("password_hash").notNull(),
    role: userRole("role").notNull().default("subject"),
    /** The data subject this account speaks for; null for staff accounts. */
    subjectId: integer("subject_id").references(() => subjects.id, { onDelete: "set null" }),
    displayName: text("display_name").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("users_subject_id_idx").on(t.subjectId)],
);

export const sessions = pgTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    secretHash: bytea("secret_hash").notNull(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("sessions_user_id_idx").on(t.userId)],
);

export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
export type Session = typeof sessions.$inferSelect;
