/**
 * The integrity page's "run verification": the same run as `provtopia verify` (capture-bridge/
 * cli.ts), with the same state file by default, so the page and the CLI vouch for one history.
 * The state moves forward only when the run passed; a failed run leaves it where it was, so the
 * next run still compares with the last good one.
 *
 * Audit: runVerification records each run, with the DPO's email, in ledger_verifications and in
 * the ledger's legal log; the server log gets a line too.
 */
import path from "node:path";
import type { SessionUser } from "../../../db/auth/sessions";
import {
  defaultVerifierStatePath,
  readVerifierState,
  runVerification,
  writeVerifierState,
} from "../../../db/ledger/verification";
import { env } from "../../env.server";
import { getStore } from "../../store.server";
import { summariseReport, type VerificationSummary } from "./queries.server";

/** VERIFIER_STATE_FILE, or the CLI's default for this store (the URL or absolute PGlite dir). */
export function verifierStateFile(): string {
  const { VERIFIER_STATE_FILE, DATABASE_URL, PGLITE_DIR } = env();
  return VERIFIER_STATE_FILE ?? defaultVerifierStatePath(DATABASE_URL ?? path.resolve(PGLITE_DIR));
}

/** Verifies every log now, on behalf of `runBy` (a DPO: the caller checks). */
export async function verifyLedgerNow(runBy: SessionUser): Promise<VerificationSummary> {
  const file = verifierStateFile();
  const previous = await readVerifierState(file);
  const { report, state } = await runVerification(await getStore(), {
    state: previous,
    runBy: runBy.email,
  });
  const finishedAt = new Date();
  if (report.ok) await writeVerifierState(file, state);
  console.info(
    `audit: ${finishedAt.toISOString()} ${runBy.email} (user ${runBy.id}, ${runBy.role}) verified the ledger: ${
      report.ok ? "ok" : `${report.findings.length} finding(s)`
    }, ${report.leaves} leaves in ${report.logs.length} logs`,
  );
  return summariseReport(report, finishedAt);
}
