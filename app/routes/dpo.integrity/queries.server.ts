/**
 * What the DPO's integrity page shows, read from the ledger tables: each log with its size,
 * its latest signed checkpoint and its public key (as a signed-note verifier key), and the last
 * recorded verifier run. Values leave here JSON-ready (ISO times, plain numbers), because
 * postgres.js and PGlite disagree on bigint (string vs number) and bytea (Buffer vs Uint8Array).
 */
import { desc, sql } from "drizzle-orm";
import { z } from "zod";
import type { Store } from "../../../db/client";
import { logVerifierKey } from "../../../db/ledger/signing";
import type { Finding, VerifyReport } from "../../../db/ledger/verify";
import { ledgerVerifications } from "../../../db/schema";

/** More findings than this are counted, not listed: the CLI lists them all. */
export const MAX_FINDINGS_SHOWN = 200;

export interface LogOverview {
  origin: string;
  records: number;
  /** `<origin>+<key id>+<base64 key>`: what a witness needs to check this log's checkpoints. */
  verifierKey: string;
  /** The latest checkpoint (the largest size; the newest of equals), or null before the first. */
  checkpoint: { size: number; signedAt: string; note: string } | null;
}

/** One verifier run as the page shows it. */
export interface VerificationSummary {
  finishedAt: string;
  ok: boolean;
  leaves: number;
  /** How many logs were verified; ledger_verifications does not keep it, so null for past runs. */
  logs: number | null;
  /** The first MAX_FINDINGS_SHOWN findings. */
  findings: Finding[];
  findingsTotal: number;
  /** The stored findings were not the list the verifier writes (the row was edited?). */
  findingsUnreadable: boolean;
}

interface LogRow {
  origin: string;
  publicKey: Uint8Array;
  records: number | string;
  checkpointSize: number | string | null;
  note: string | null;
  signedAt: Date | string | null;
}

const iso = (value: Date | string) => new Date(value).toISOString();

/** Every log, in origin order. */
export async function logOverviews(store: Store): Promise<LogOverview[]> {
  const rows = await store.rows<LogRow>(sql`
    select l.origin, l.public_key as "publicKey",
      (select count(*) from ledger_records r where r.log_id = l.id) as records,
      c.size as "checkpointSize", c.note, c.created_at as "signedAt"
    from ledger_logs l
    left join lateral (
      select size, note, created_at from ledger_checkpoints
      where log_id = l.id order by size desc, id desc limit 1
    ) c on true
    order by l.origin`);
  return rows.map((row) => ({
    origin: row.origin,
    records: Number(row.records),
    verifierKey: logVerifierKey(row.origin, new Uint8Array(row.publicKey)),
    checkpoint:
      row.note !== null && row.checkpointSize !== null && row.signedAt !== null
        ? { size: Number(row.checkpointSize), signedAt: iso(row.signedAt), note: row.note }
        : null,
  }));
}

const StoredFindings = z.array(
  z.object({
    log: z.string(),
    index: z.number().nullable(),
    kind: z.string(),
    detail: z.string(),
  }),
);

/** The most recent verifier run, or null if the ledger was never verified. */
export async function lastVerification(store: Store): Promise<VerificationSummary | null> {
  const [row] = await store.db
    .select()
    .from(ledgerVerifications)
    .orderBy(desc(ledgerVerifications.startedAt), desc(ledgerVerifications.id))
    .limit(1);
  if (!row) return null;
  const findings = StoredFindings.safeParse(row.findings);
  const list = findings.success ? (findings.data as Finding[]) : [];
  return {
    finishedAt: iso(row.finishedAt),
    ok: row.ok,
    leaves: Number(row.leaves),
    logs: null,
    findings: list.slice(0, MAX_FINDINGS_SHOWN),
    findingsTotal: list.length,
    findingsUnreadable: !findings.success,
  };
}

/** A run that has just finished, from the verifier's own report. */
export function summariseReport(report: VerifyReport, finishedAt: Date): VerificationSummary {
  return {
    finishedAt: finishedAt.toISOString(),
    ok: report.ok,
    leaves: report.leaves,
    logs: report.logs.length,
    findings: report.findings.slice(0, MAX_FINDINGS_SHOWN),
    findingsTotal: report.findings.length,
    findingsUnreadable: false,
  };
}
