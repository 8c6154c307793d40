/**
 * The DPO's record of processing on the demo organisation: reading it, changing it (each change
 * re-maps or re-judges what is stored and is audited in the legal log), the violations list, a
 * subject's access to their own flows, and reading legal events back across a sealed bundle.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEMO_SEED_ACTOR,
  seedConsentHistory,
  seedRecordOfProcessing,
} from "../../../capture-bridge/demo/record-of-processing";
import { BUNDLE_SIZE } from "../../../db/ledger/archive";
import { appendLegalEvent } from "../../../db/ledger/log";
import { subjectFlowSummaries } from "../../../db/queries/flows";
import { recentLegalEvents } from "../../../db/queries/legal-events";
import {
  addMappingRule,
  addOrganisation,
  ProcessingError,
  recordOfProcessing,
  removeMappingRule,
  savePurpose,
  updateService,
} from "../../../db/queries/processing";
import { subjectOwnsFlow, subjectRefOf } from "../../../db/queries/subject-access";
import { recentViolations } from "../../../db/queries/violations";
import { ingestDemoDocuments } from "../../factories/demo";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";

const DPO = "dpo@lumen-books.example";
const BACKUP_FILE = "https://lumen-books.example/prov/backups/crm-2026-10-05.sql";

describe.each(STORE_KINDS)("the record of processing on %s", (kind) => {
  let t: TestStore;

  beforeAll(async () => {
    t = await createTestStore(kind);
    await seedRecordOfProcessing(t.store);
    const tally = await ingestDemoDocuments(t.store);
    expect(tally.quarantined).toBe(0);
    await seedConsentHistory(t.store);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  const serviceId = async (name: string) => {
    const record = await recordOfProcessing(t.store);
    const service = record.services.find((s) => s.name === name);
    if (!service) throw new Error(`no service ${name}`);
    return service.id;
  };
  const serviceOfNode = async (extId: string) => {
    const [row] = await t.store.rows<{ service: string | null }>(
      sql`select s.name as service from prov_nodes n left join services s on s.id = n.service_id
          where n.ext_id = ${extId}`,
    );
    if (!row) throw new Error(`no node ${extId}`);
    return row.service;
  };
  const statuses = async (ref: string) =>
    Object.fromEntries(
      ((await subjectFlowSummaries(t.store, ref)) ?? []).map((f) => [
        `${f.service}/${f.category}`,
        f.status,
      ]),
    );

  it("reads the seeded record: third parties, services, purposes and the backup rule", async () => {
    const record = await recordOfProcessing(t.store);
    expect(record.organisations.map((o) => [o.name, o.thirdParty, o.services])).toEqual([
      ["AdReach Inc", true, 1],
      ["FlackCo", true, 1],
      ["gitCo", true, 1],
      ["Lumen Books", false, 4],
      ["PostHaste Ltd", true, 1],
      ["SquareCI", true, 1],
    ]);
    expect(record.services.find((s) => s.name === "Backups")).toMatchObject({
      organisation: "Lumen Books",
      nodes: 1, // the pg_dump process, mapped by the rule at ingest; its file is not
      byRule: 1,
    });
    expect(record.purposes.find((p) => p.key === "newsletter")).toMatchObject({
      service: "Newsletter",
      legalBasis: "consent",
      retentionDays: 365,
    });
    expect(record.rules.map((r) => [r.service, r.host, r.processName, r.createdBy])).toEqual([
      ["Backups", "crm-1", "pg_dump", DEMO_SEED_ACTOR],
    ]);
    expect(record.hosts).toEqual(["ci-runner", "crm-1", "mail-1", "web-1"]);
  });

  it("judges the demo's flows: the newsletter after withdrawal and Flack after the block", async () => {
    expect(await statuses("subj-alice")).toEqual({
      "Backups/email": "allowed",
      "CI/commit": "allowed",
      "CRM/email": "allowed",
      "Flack/commit": "after-block",
      "git/commit": "allowed",
      "Mail delivery/email": "allowed",
      "Newsletter/email": "no-legal-basis",
      "Sign-up/email": "allowed",
    });
    const { total, violations } = await recentViolations(t.store, 10);
    expect(total).toBe(2);
    expect(violations.map((v) => [v.at, v.kind, v.subject, v.service, v.organisation])).toEqual([
      ["2026-11-10T14:06:40Z", "after-block", "subj-alice", "Flack", "FlackCo"],
      ["2026-11-02T08:00:01Z", "no-legal-basis", "subj-alice", "Newsletter", "Lumen Books"],
    ]);
    const flack = violations[0]?.witness ?? [];
    expect(flack[0]?.node).toBe("https://ci.example/prov/commit/4f2a9c1");
    expect(flack.at(-1)).toMatchObject({ service: "Flack" });
    expect((await recentViolations(t.store, 1)).violations).toHaveLength(1);
  });

  it("re-maps stored nodes when the DPO adds and removes a rule, and audits both", async () => {
    expect(await serviceOfNode(BACKUP_FILE)).toBeNull();
    const added = await addMappingRule(t.store, DPO, {
      serviceId: await serviceId("Backups"),
      host: null,
      executable: "/var/backups/*",
      processName: null,
      priority: 5,
    });
    expect(added.remapped).toBe(1);
    expect(await serviceOfNode(BACKUP_FILE)).toBe("Backups");
    expect(
      (await recordOfProcessing(t.store)).services.find((s) => s.name === "CRM"),
    ).toMatchObject({ nodes: 6, byRule: 0 }); // each sync job and the contact it made
    expect((await recordOfProcessing(t.store)).rules.map((r) => r.executable)).toEqual([
      "/var/backups/*", // priority 5 comes first
      null,
    ]);

    const removed = await removeMappingRule(t.store, DPO, added.id);
    expect(removed.remapped).toBe(1);
    expect(await serviceOfNode(BACKUP_FILE)).toBeNull();

    const [last, before] = await recentLegalEvents(t.store, {
      typePrefixes: ["processing."],
      limit: 2,
    });
    expect(last).toMatchObject({
      type: "processing.mapping-rule-removed",
      actor: DPO,
      details: { rule: added.id, service: "Backups", executable: "/var/backups/*", remapped: 1 },
    });
    expect(before).toMatchObject({
      type: "processing.mapping-rule-added",
      actor: DPO,
      details: { rule: added.id, priority: 5, remapped: 1 },
    });
    expect((last?.seq ?? 0) - (before?.seq ?? 0)).toBe(1);
  });

  it("drops the flows a removed rule made, and brings them back with a new one", async () => {
    const [rule] = (await recordOfProcessing(t.store)).rules;
    if (!rule) throw new Error("the seeded rule is gone");
    await removeMappingRule(t.store, DPO, rule.id);
    expect(await statuses("subj-bob")).toEqual({
      "CRM/email": "allowed",
      "Sign-up/email": "allowed",
    });
    await addMappingRule(t.store, DPO, {
      serviceId: rule.serviceId,
      host: "crm-1",
      executable: null,
      processName: "pg_*",
      priority: 0,
    });
    expect(await statuses("subj-bob")).toMatchObject({ "Backups/email": "allowed" });
  });

  it("re-judges a service's flows when it moves to another organisation", async () => {
    const flack = await serviceId("Flack");
    const lumen = (await recordOfProcessing(t.store)).organisations.find(
      (o) => o.name === "Lumen Books",
    );
    await updateService(t.store, DPO, { id: flack, name: "Flack", organisationId: lumen?.id ?? 0 });
    // Alice blocked FlackCo, not Lumen Books; Flack still declares no purpose.
    expect((await statuses("subj-alice"))["Flack/commit"]).toBe("no-legal-basis");
    const flackCo = (await recordOfProcessing(t.store)).organisations.find(
      (o) => o.name === "FlackCo",
    );
    await updateService(t.store, DPO, {
      id: flack,
      name: "Flack",
      organisationId: flackCo?.id ?? 0,
    });
    expect((await statuses("subj-alice"))["Flack/commit"]).toBe("after-block");
  });

  it("re-judges when a purpose is declared, and refuses names and keys already taken", async () => {
    const flack = await serviceId("Flack");
    await savePurpose(t.store, DPO, {
      key: "team-chat",
      serviceId: flack,
      legalBasis: "legitimate_interests",
      retentionDays: 14,
    });
    // A block wins over any basis.
    expect((await statuses("subj-alice"))["Flack/commit"]).toBe("after-block");
    const [event] = await recentLegalEvents(t.store, { typePrefixes: ["processing."], limit: 1 });
    expect(event).toMatchObject({
      type: "processing.purpose-declared",
      details: { key: "team-chat", service: "Flack", retentionDays: 14 },
    });

    const taken = (error: unknown) =>
      error instanceof ProcessingError && error.reason === "taken" ? error.field : error;
    await expect(
      addOrganisation(t.store, DPO, { name: "FlackCo", thirdParty: true }).catch(taken),
    ).resolves.toBe("name");
    await expect(
      savePurpose(t.store, DPO, {
        key: "newsletter",
        serviceId: flack,
        legalBasis: "consent",
        retentionDays: null,
      }).catch(taken),
    ).resolves.toBe("key");
    await expect(
      removeMappingRule(t.store, DPO, 999_999).catch((e) =>
        e instanceof ProcessingError ? e.reason : e,
      ),
    ).resolves.toBe("unknown");
  });

  it("lets a subject open only their own flows", async () => {
    const ids = new Map(
      (await t.store.rows<{ id: number; ref: string }>(sql`select id, ref from subjects`)).map(
        (r) => [r.ref, r.id],
      ),
    );
    const alice = ids.get("subj-alice") ?? 0;
    const bob = ids.get("subj-bob") ?? 0;
    expect(await subjectRefOf(t.store, alice)).toBe("subj-alice");
    expect(await subjectRefOf(t.store, 987_654)).toBeNull();
    const [aliceFlow] = (await subjectFlowSummaries(t.store, "subj-alice")) ?? [];
    if (!aliceFlow) throw new Error("Alice has no flows");
    expect(await subjectOwnsFlow(t.store, alice, aliceFlow.id)).toBe(true);
    expect(await subjectOwnsFlow(t.store, bob, aliceFlow.id)).toBe(false);
  });
});

describe.each(STORE_KINDS)("legal events read back on %s", (kind) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore(kind);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("returns nothing before the legal log exists", async () => {
    expect(await recentLegalEvents(t.store, { limit: 5 })).toEqual([]);
  });

  it("reads newest first across the unsealed tail and a sealed bundle, filtered by type", async () => {
    const count = BUNDLE_SIZE + 10;
    const start = Date.parse("2026-11-01T00:00:00Z");
    for (let i = 0; i < count; i++) {
      await appendLegalEvent(
        t.store,
        { type: i % 2 === 0 ? "processing.even" : "other.odd", actor: "test", details: { i } },
        new Date(start + i * 1000),
      );
    }
    const [sealed] = await t.store.rows<{ n: number }>(
      sql`select count(*)::integer as n from ledger_bundles`,
    );
    expect(sealed?.n).toBe(1);

    const all = await recentLegalEvents(t.store, { limit: 3 });
    expect(all.map((e) => [e.seq, e.details.i])).toEqual([
      [count - 1, count - 1],
      [count - 2, count - 2],
      [count - 3, count - 3],
    ]);
    // 10 in the tail, 5 of them even: the other 15 come from the sealed bundle.
    const even = await recentLegalEvents(t.store, { typePrefixes: ["processing."], limit: 20 });
    expect(even).toHaveLength(20);
    expect(even.every((e) => e.type === "processing.even")).toBe(true);
    expect(even.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, k) => count - 2 - 2 * k));
    expect(even[0]?.at).toBe(new Date(start + (count - 2) * 1000).toISOString());
  });

  it("shows what it can read when a sealed bundle is damaged", async () => {
    await t.store.db.execute(sql`update ledger_bundles set data = decode('00', 'hex')`);
    const even = await recentLegalEvents(t.store, { typePrefixes: ["processing."], limit: 20 });
    expect(even.map((e) => e.seq)).toEqual([
      BUNDLE_SIZE + 8,
      BUNDLE_SIZE + 6,
      BUNDLE_SIZE + 4,
      BUNDLE_SIZE + 2,
      BUNDLE_SIZE,
    ]);
  });
});
