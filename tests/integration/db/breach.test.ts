/**
 * Breach impact on the demo organisation: whose data of which categories a service held during
 * a window (retention counted), who can be told through the portal, and the report pinned to
 * the ledger and recorded in the legal log.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCheckpoint } from "../../../db/ledger/checkpoint";
import { LEGAL_ORIGIN } from "../../../db/ledger/log";
import { parseVerifierKey } from "../../../db/ledger/note";
import { breachImpact, breachReport } from "../../../db/queries/breach";
import { subjectsHeldByService } from "../../../db/queries/flows";
import { recentLegalEvents } from "../../../db/queries/legal-events";
import { ALICE_ACCOUNT, seedDemoStore } from "../../factories/demo";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";

const AUTUMN = { from: new Date("2026-10-01T00:00:00Z"), to: new Date("2026-12-31T00:00:00Z") };

describe.each(STORE_KINDS)("breach impact on %s", (kind) => {
  let t: TestStore;

  beforeAll(async () => {
    t = await createTestStore(kind);
    await seedDemoStore(t.store, { accounts: [ALICE_ACCOUNT], checkpoint: true });
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("counts the subjects, categories and records the CRM held, and who can be told", async () => {
    const impact = await breachImpact(t.store, { service: "CRM", ...AUTUMN });
    expect(impact).toMatchObject({
      service: "CRM",
      organisation: "Lumen Books",
      thirdParty: false,
      // Carol's contact came in September and was still held (her erasure did not hold).
      subjects: 3,
      categories: [{ category: "email", subjects: 3 }],
      notifiable: 1,
      affected: [
        { ref: "subj-alice", categories: ["email"], accounts: ["alice@example.org"] },
        { ref: "subj-bob", categories: ["email"], accounts: [] },
        { ref: "subj-carol", categories: ["email"], accounts: [] },
      ],
    });
    expect(impact?.entries).toBeGreaterThanOrEqual(2);
    // The same subjects as the store's own "held in a window" query.
    expect(impact?.affected.map((s) => s.ref)).toEqual(
      await subjectsHeldByService(t.store, "CRM", AUTUMN),
    );
  });

  it("counts nothing before the data arrived, nor after the service's retention ran out", async () => {
    const before = await breachImpact(t.store, {
      service: "CRM",
      from: new Date("2026-01-01T00:00:00Z"),
      to: new Date("2026-01-02T00:00:00Z"),
    });
    expect(before).toMatchObject({ subjects: 0, entries: 0, affected: [], categories: [] });
    // Backups keep data 30 days; Bob's backup of 2026-10-05 is gone by December.
    const inOctober = await breachImpact(t.store, {
      service: "Backups",
      from: new Date("2026-10-10T00:00:00Z"),
      to: new Date("2026-10-11T00:00:00Z"),
    });
    expect(inOctober?.subjects).toBeGreaterThan(0);
    const inDecember = await breachImpact(t.store, {
      service: "Backups",
      from: new Date("2026-12-01T00:00:00Z"),
      to: new Date("2026-12-02T00:00:00Z"),
    });
    expect(inDecember).toMatchObject({ subjects: 0, entries: 0 });
    expect(await breachImpact(t.store, { service: "No such service", ...AUTUMN })).toBeNull();
  });

  it("pins the report to signed checkpoints and records it in the legal log", async () => {
    const report = await breachReport(
      t.store,
      { service: "CRM", ...AUTUMN },
      { email: "dpo@lumen-books.example", description: "CRM database dump found on a forum." },
      new Date("2026-12-01T09:00:00Z"),
    );
    if (!report) throw new Error("no report");
    expect(report.impact.subjects).toBe(3);
    expect(report.evidence.checkpoints.length).toBeGreaterThan(0);
    for (const { log, size, note } of report.evidence.checkpoints) {
      const key = report.evidence.logKeys[log];
      expect(key, `a key for ${log}`).toBeDefined();
      const { checkpoint } = openCheckpoint(note, parseVerifierKey(key ?? ""), log);
      expect(checkpoint.size).toBe(size);
    }
    const [event] = await recentLegalEvents(t.store, {
      typePrefixes: ["dpo.breach-report"],
      limit: 1,
    });
    expect(event).toMatchObject({
      seq: report.evidence.reportRecord.index,
      actor: "dpo@lumen-books.example",
      details: { service: "CRM", subjects: 3, from: "2026-10-01T00:00:00.000Z" },
    });
    expect(report.evidence.reportRecord.log).toBe(LEGAL_ORIGIN);
  });
});
