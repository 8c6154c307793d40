/**
 * runVerification — what the DPO's "Verify" button and `provtopia verify` run — on both stores,
 * on the demo organisation after subjects' and the DPO's legal events: it finishes, and finds
 * nothing wrong. On PGlite its chunk reads must run inside its read-only transaction (the one
 * connection is the transaction's; a read outside it waited for ever and hung the portal).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runVerification } from "../../../db/ledger/verification";
import { breachReport } from "../../../db/queries/breach";
import { setConsent } from "../../../db/queries/subject-choices";
import { ALICE_ACCOUNT, seedDemoStore } from "../../factories/demo";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";

describe.each(STORE_KINDS)("a verification run on %s", (kind) => {
  let t: TestStore;
  let ids: Map<string, number>;
  beforeAll(async () => {
    t = await createTestStore(kind);
    ids = await seedDemoStore(t.store, { accounts: [ALICE_ACCOUNT], checkpoint: true });
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("verifies the demo's logs, then again after legal events of a subject and the DPO", async () => {
    const first = await runVerification(t.store, { state: { logs: {} } });
    expect(first.report.findings).toEqual([]);
    expect(first.report.ok).toBe(true);
    expect(first.report.leaves).toBeGreaterThan(0);

    await setConsent(
      t.store,
      { subjectId: ids.get("subj-alice") ?? -1, email: ALICE_ACCOUNT.email },
      "newsletter",
      "given",
    );
    await breachReport(
      t.store,
      { service: "CRM", from: new Date("2026-10-01"), to: new Date("2026-12-31") },
      { email: "dpo@lumen-books.example", description: "A test of the verifier after a report." },
    );
    const second = await runVerification(t.store, { state: first.state });
    expect(second.report.findings).toEqual([]);
    expect(second.report.ok).toBe(true);
    expect(second.report.leaves).toBeGreaterThan(first.report.leaves);
  }, 120_000);
});
