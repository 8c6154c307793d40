/**
 * The ledger: one append-only Merkle log per capture host (and one for the portal's legal
 * events), RFC 9162 hashing over canonical (RFC 8785) leaf bytes, signed checkpoints, and the
 * archive of the raw messages the leaves commit to.
 *
 * Nothing here is trusted by the verifier: it recomputes every hash from the leaf bytes, checks
 * the leaves against their archive copies and the checkpoints' signatures, and compares with
 * the state it kept outside the database. `leaf_hash` is stored for fast proofs only.
 */
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { bytea } from "./columns";
import { hosts } from "./prov";

export const ledgerLogs = pgTable(
  "ledger_logs",
  {
    id: serial("id").primaryKey(),
    /** `<organisation>/prov/<host>` or `<organisation>/legal`; the checkpoint's first line. */
    origin: text("origin").notNull().unique(),
    /** The capture host whose messages this log records; null for the legal-events log. */
    hostId: integer("host_id").references(() => hosts.id, { onDelete: "restrict" }),
    /** Ed25519 public key, raw 32 bytes. */
    publicKey: bytea("public_key").notNull(),
    /** Ed25519 private key, PKCS#8 DER. Demo trade-off: production keeps it in a KMS/HSM. */
    privateKey: bytea("private_key").notNull(),
    /**
     * The tree's compact range (db/ledger/compact-range.ts), kept up to date by each append so a
     * checkpoint costs O(log n). Never trusted: the verifier recomputes every root from leaves.
     */
    compactRange: bytea("compact_range"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("ledger_logs_host_id_key").on(t.hostId)],
);

export const ledgerRecords = pgTable(
  "ledger_records",
  {
    logId: integer("log_id")
      .notNull()
      .references(() => ledgerLogs.id, { onDelete: "restrict" }),
    seq: bigint("seq", { mode: "number" }).notNull(),
    /** RFC 8785 JSON of the record: origin, seq, host, object, digest, receivedAt. */
    leaf: bytea("leaf").notNull(),
    leafHash: bytea("leaf_hash").notNull(),
    /** `sha256:<hex>` of the raw message; a re-delivered message is not appended twice. */
    digest: text("digest").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.logId, t.seq] }),
    index("ledger_records_log_id_digest_idx").on(t.logId, t.digest),
  ],
);

/**
 * The archive's unsealed tail: each record's leaf and raw message until BUNDLE_SIZE of them are
 * sealed into a bundle. A second copy of the leaf, kept apart from ledger_records, so an edit of
 * either one is caught at its exact index.
 */
export const ledgerArchiveTail = pgTable(
  "ledger_archive_tail",
  {
    logId: integer("log_id")
      .notNull()
      .references(() => ledgerLogs.id, { onDelete: "restrict" }),
    seq: bigint("seq", { mode: "number" }).notNull(),
    leaf: bytea("leaf").notNull(),
    /** TOAST-compressed with LZ4 where the server has it (migration 0021; drizzle cannot say so). */
    raw: bytea("raw").notNull(),
  },
  (t) => [primaryKey({ columns: [t.logId, t.seq] })],
);

/** A sealed archive bundle: BUNDLE_SIZE consecutive records' leaves and raw messages, brotli. */
export const ledgerBundles = pgTable(
  "ledger_bundles",
  {
    logId: integer("log_id")
      .notNull()
      .references(() => ledgerLogs.id, { onDelete: "restrict" }),
    firstSeq: bigint("first_seq", { mode: "number" }).notNull(),
    count: integer("count").notNull(),
    data: bytea("data").notNull(),
    rawBytes: bigint("raw_bytes", { mode: "number" }).notNull(),
    sealedAt: timestamp("sealed_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.logId, t.firstSeq] })],
);

/**
 * Perfect subtrees of 256 leaves and more (start a multiple of size), written when an append
 * completes one, so a proof reads O(log n) of them plus at most a few runs of 256 leaf hashes
 * instead of every leaf hash of the log. Never trusted: a proof is checked against a signed
 * checkpoint, and the verifier recomputes every root from the leaves.
 */
export const ledgerSubtrees = pgTable(
  "ledger_subtrees",
  {
    logId: integer("log_id")
      .notNull()
      .references(() => ledgerLogs.id, { onDelete: "restrict" }),
    start: bigint("start", { mode: "number" }).notNull(),
    size: bigint("size", { mode: "number" }).notNull(),
    hash: bytea("hash").notNull(),
  },
  (t) => [primaryKey({ columns: [t.logId, t.start, t.size] })],
);

export const ledgerCheckpoints = pgTable(
  "ledger_checkpoints",
  {
    id: serial("id").primaryKey(),
    logId: integer("log_id")
      .notNull()
      .references(() => ledgerLogs.id, { onDelete: "restrict" }),
    size: bigint("size", { mode: "number" }).notNull(),
    rootHash: bytea("root_hash").notNull(),
    /** The signed note, C2SP tlog-checkpoint, exactly as signed. */
    note: text("note").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("ledger_checkpoints_log_id_size_idx").on(t.logId, t.size)],
);

/** Each run of the verifier, for the DPO's integrity page. */
export const ledgerVerifications = pgTable(
  "ledger_verifications",
  {
    id: serial("id").primaryKey(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true }).notNull(),
    ok: boolean("ok").notNull(),
    /** Who asked for it: a portal user's email, or "cli". */
    runBy: text("run_by").notNull().default("cli"),
    leaves: bigint("leaves", { mode: "number" }).notNull(),
    findings: jsonb("findings").notNull(),
  },
  (t) => [index("ledger_verifications_started_at_idx").on(t.startedAt)],
);

export type LedgerLog = typeof ledgerLogs.$inferSelect;
export type LedgerRecord = typeof ledgerRecords.$inferSelect;
export type LedgerCheckpoint = typeof ledgerCheckpoints.$inferSelect;
export type LedgerVerification = typeof ledgerVerifications.$inferSelect;
