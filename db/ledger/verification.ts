/**
 * Running the verifier as an operation: keeps its state outside the database (a file), and
 * records each run in `ledger_verifications` for the DPO's integrity page.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Store } from "../client";
import { ledgerVerifications } from "../schema";
import { type VerifierState, type VerifyReport, verifyLedger } from "./verify";

/**
 * `.data/verifier-state-<hash of the store's address>.json`: one state file per store, so two
 * databases never vouch for each other's logs. `storeAddress` is the DATABASE_URL or the
 * absolute PGlite directory.
 */
export function defaultVerifierStatePath(storeAddress: string): string {
  const key = createHash("sha256").update(storeAddress).digest("hex").slice(0, 12);
  return path.join(".data", `verifier-state-${key}.json`);
}

/** The state file's content, or an empty state when there is none yet. */
export async function readVerifierState(file: string): Promise<VerifierState> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { logs: {} };
    throw new Error(`couldn't read the verifier state ${file}`, { cause: error });
  }
  const value = JSON.parse(text) as VerifierState;
  if (typeof value !== "object" || value === null || typeof value.logs !== "object") {
    throw new Error(`${file} is not a verifier state (expected {"logs": {...}})`);
  }
  return value;
}

/** Writes the state atomically (write, then rename). */
export async function writeVerifierState(file: string, state: VerifierState): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`);
  await rename(temporary, file);
}

/** Verifies and records the run; returns the report and the state to keep if it passed. */
export async function runVerification(
  store: Store,
  options: { only?: string; state: VerifierState },
): Promise<{ report: VerifyReport; state: VerifierState }> {
  const startedAt = new Date();
  const result = await verifyLedger(store, {
    only: options.only,
    state: options.state,
    now: startedAt,
  });
  await store.db.insert(ledgerVerifications).values({
    startedAt,
    finishedAt: new Date(),
    ok: result.report.ok,
    leaves: result.report.leaves,
    findings: result.report.findings,
  });
  return result;
}
