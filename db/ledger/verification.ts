/**
 * Running the verifier as an operation: keeps its state outside the database (a file), records
 * each run in `ledger_verifications` for the DPO's integrity page and in the legal log.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { sql } from "drizzle-orm";
import type { Store } from "../client";
import { ledgerVerifications } from "../schema";
import { appendLegalEvent } from "./log";
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
  let value: VerifierState;
  try {
    value = JSON.parse(text) as VerifierState;
  } catch (error) {
    throw new Error(`${file} is not a verifier state: ${(error as Error).message}`, {
      cause: error,
    });
  }
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

/**
 * Runs `work` on one consistent snapshot of the store: a read-only, repeatable-read transaction
 * (records the bridge appends and bundles it seals meanwhile are not seen). On PostgreSQL the
 * snapshot is exported too (pg_export_snapshot), for the verifier's worker threads, which read
 * chunks over connections of their own, to read it as well. `work` gets a store whose every
 * read, chunk reads included, goes through the transaction.
 */
export async function inSnapshot<T>(
  store: Store,
  work: (snapshotStore: Store, snapshot: string | undefined) => Promise<T>,
): Promise<T> {
  return store.db.transaction(
    async (tx) => {
      const executor = tx as unknown as Store["db"];
      const [exported] =
        store.kind === "postgres"
          ? await store.rows<{ id: string }>(sql`select pg_export_snapshot() as id`, executor)
          : [];
      return work(
        {
          ...store,
          db: executor,
          rows: (query, on) => store.rows(query, on ?? executor),
          // The chunks too come from the transaction's snapshot (and, on PGlite, must).
          copyBinary: (select, reuse, on) => store.copyBinary(select, reuse, on ?? executor),
        },
        exported?.id,
      );
    },
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
}

/**
 * Verifies on one consistent snapshot (inSnapshot: records the bridge appends meanwhile cannot
 * look like tampering), records the run in ledger_verifications and, as a DPO action with
 * legal weight, in the legal log. Returns the report and the state to keep if it passed.
 */
export async function runVerification(
  store: Store,
  options: { only?: string; state: VerifierState; runBy?: string },
): Promise<{ report: VerifyReport; state: VerifierState }> {
  const startedAt = new Date();
  const result = await inSnapshot(store, (snapshotStore, snapshot) =>
    verifyLedger(snapshotStore, {
      only: options.only,
      state: options.state,
      now: startedAt,
      snapshot,
    }),
  );
  const runBy = options.runBy ?? "cli";
  await store.db.insert(ledgerVerifications).values({
    startedAt,
    finishedAt: new Date(),
    ok: result.report.ok,
    runBy,
    leaves: result.report.leaves,
    findings: result.report.findings,
  });
  await appendLegalEvent(store, {
    type: "ledger-verified",
    actor: runBy,
    details: {
      ok: result.report.ok,
      leaves: result.report.leaves,
      findings: result.report.findings.length,
      ...(options.only ? { log: options.only } : {}),
    },
  });
  return result;
}
