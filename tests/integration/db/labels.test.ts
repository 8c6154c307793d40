/**
 * Personal-data labels, flows and their judgement, on hand-built graphs whose answers are known
 * (db/labels). Each test uses its own ids, subjects and services, so they share one store.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addBlockingRule,
  addServiceMappingRule,
  declarePurpose,
  liftBlockingRule,
  recordConsent,
} from "../../../db/labels/rules";
import { ingestBatch } from "../../../db/prov/ingest";
import {
  flowWitness,
  serviceFlowSummaries,
  subjectFlowSummaries,
  subjectsHeldByNode,
  subjectsHeldByService,
} from "../../../db/queries/flows";
import { ingestDemoDocuments } from "../../factories/demo";
import {
  flowsOf,
  inService,
  labelsOf,
  node,
  rel,
  source,
  store,
  subjectsOn,
} from "../../factories/labels";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";

/** 2026-11-01 12:mm:00 UTC, as PROV-JSON writes it. */
const at = (minute: number) => new Date(Date.UTC(2026, 10, 1, 12, minute)).toISOString();
/** The same time as labelsOf / flowsOf print it. */
const shown = (minute: number) => at(minute).slice(0, 19);

describe.each(STORE_KINDS)("labels and flows on %s", (kind) => {
  let t: TestStore;

  beforeAll(async () => {
    t = await createTestStore(kind);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("labels a chain in time order, and summarises the flows into each service", async () => {
    await store(
      t.store,
      [
        node("chain:form", "entity", {
          ...source("chain-ann", "email", { "prov:generatedAtTime": at(0) }),
          ...inService("Web-chain"),
        }),
        node("chain:request", "activity", inService("Web-chain")),
        node("chain:row", "entity"),
        node("chain:sync", "activity", inService("CRM-chain")),
        node("chain:contact", "entity", inService("CRM-chain")),
      ],
      [
        rel("chain:u1", "used", "chain:request", "chain:form", at(1)),
        rel("chain:g1", "wasGeneratedBy", "chain:row", "chain:request", at(2)),
        rel("chain:u2", "used", "chain:sync", "chain:row", at(3)),
        rel("chain:g2", "wasGeneratedBy", "chain:contact", "chain:sync", at(4)),
      ],
    );
    expect(await labelsOf(t.store, "chain:")).toEqual([
      `chain:contact chain-ann/email ordered ${shown(4)}`,
      "chain:form chain-ann/email ordered always",
      `chain:request chain-ann/email ordered ${shown(1)}`,
      `chain:row chain-ann/email ordered ${shown(2)}`,
      `chain:sync chain-ann/email ordered ${shown(3)}`,
    ]);
    // Web-chain got it from the subject (the form is its own); CRM-chain through the row.
    expect(await flowsOf(t.store, "chain-")).toEqual([
      `chain-ann/email CRM-chain ${shown(3)}..${shown(3)} x1 ordered no-legal-basis`,
      `chain-ann/email Web-chain ${shown(0)}..${shown(0)} x1 ordered no-legal-basis`,
    ]);
    const [crm] = (await subjectFlowSummaries(t.store, "chain-ann")) ?? [];
    expect(crm).toMatchObject({ service: "CRM-chain", viaService: null, count: 1 });
    const witness = await flowWitness(t.store, crm?.id ?? -1);
    expect(witness?.map((step) => step.node)).toEqual([
      "chain:form",
      "chain:request",
      "chain:row",
      "chain:sync",
    ]);
  });

  it("counts both arms of a diamond as two uses of one flow", async () => {
    await store(
      t.store,
      [
        node("dia:src", "entity", source("dia-bea", "phone")),
        node("dia:a", "activity"),
        node("dia:b", "entity"),
        node("dia:c", "entity"),
        node("dia:d", "activity", inService("Calls-dia")),
      ],
      [
        rel("dia:u", "used", "dia:a", "dia:src", at(1)),
        rel("dia:gb", "wasGeneratedBy", "dia:b", "dia:a", at(2)),
        rel("dia:gc", "wasGeneratedBy", "dia:c", "dia:a", at(3)),
        rel("dia:ub", "used", "dia:d", "dia:b", at(4)),
        rel("dia:uc", "used", "dia:d", "dia:c", at(5)),
      ],
    );
    expect(await labelsOf(t.store, "dia:d")).toEqual([`dia:d dia-bea/phone ordered ${shown(4)}`]);
    expect(await flowsOf(t.store, "dia-")).toEqual([
      `dia-bea/phone Calls-dia ${shown(4)}..${shown(5)} x2 ordered no-legal-basis`,
    ]);
  });

  it("fans out through a shared database file: one interned set, every reader after each write", async () => {
    const cf = (id: string) => `cf:fan-${id}`;
    const date = { "cf:date": "2026:11:01T12:00:00" };
    await store(
      t.store,
      [
        node(cf("file-cleo"), "entity", source("fan-cleo", "address")),
        node(cf("file-dan"), "entity", source("fan-dan", "address")),
        node(cf("p1"), "activity"),
        node(cf("p2"), "activity"),
        node(cf("db-v1"), "entity"),
        node(cf("db-v2"), "entity"),
        node(cf("r1"), "activity", { "cf:name": "/usr/bin/report-early" }),
        node(cf("r2"), "activity", { "cf:name": "/usr/bin/report" }),
        node(cf("r3"), "activity", { "cf:name": "/usr/bin/report" }),
      ],
      [
        rel(cf("u1"), "used", cf("p1"), cf("file-cleo"), null, date),
        rel(cf("g1"), "wasGeneratedBy", cf("db-v1"), cf("p1"), null, date),
        rel(cf("u2"), "used", cf("p2"), cf("file-dan"), null, date),
        rel(cf("v"), "wasDerivedFrom", cf("db-v2"), cf("db-v1"), null, {
          ...date,
          "prov:type": "version_entity",
        }),
        rel(cf("g2"), "wasGeneratedBy", cf("db-v2"), cf("p2"), null, date),
        rel(cf("r1u"), "used", cf("r1"), cf("db-v1"), null, date),
        rel(cf("r2u"), "used", cf("r2"), cf("db-v2"), null, date),
        rel(cf("r3u"), "used", cf("r3"), cf("db-v2"), null, date),
      ],
      "db-host",
    );
    expect(await subjectsOn(t.store, cf("r1"))).toEqual(["fan-cleo"]);
    expect(await subjectsOn(t.store, cf("db-v2"))).toEqual(["fan-cleo", "fan-dan"]);
    expect(await subjectsOn(t.store, cf("r3"))).toEqual(["fan-cleo", "fan-dan"]);
    const sets = await t.store.rows<{ sets: number }>(sql`
      select count(distinct label_set_id)::integer as sets from node_labels
      where node_ext_id in (${cf("db-v2")}, ${cf("r2")}, ${cf("r3")})`);
    expect(sets).toEqual([{ sets: 1 }]);

    // The DPO maps the reporting binary on that host to a service: stored nodes are re-mapped.
    expect(await flowsOf(t.store, "fan-")).toEqual([]);
    const rule = await addServiceMappingRule(t.store, {
      service: "Reporting-fan",
      organisation: "Lumen Books",
      host: "db-host",
      executable: "/usr/bin/report",
    });
    expect(rule.remapped).toBe(2);
    expect(await flowsOf(t.store, "fan-")).toEqual([
      "fan-cleo/address Reporting-fan 2026-11-01T12:00:00..2026-11-01T12:00:00 x2 ordered no-legal-basis",
      "fan-dan/address Reporting-fan 2026-11-01T12:00:00..2026-11-01T12:00:00 x2 ordered no-legal-basis",
    ]);
    const window = { from: new Date("2026-11-01T00:00:00Z"), to: new Date("2026-11-02T00:00:00Z") };
    expect(await subjectsHeldByService(t.store, "Reporting-fan", window)).toEqual([
      "fan-cleo",
      "fan-dan",
    ]);
    expect(await subjectsHeldByNode(t.store, cf("db-v1"), window)).toEqual(["fan-cleo"]);
  });

  it("crosses hosts through a packet both hosts report, whichever host's document comes first", async () => {
    const cf = (id: string) => `cf:pkt-${id}`;
    await addServiceMappingRule(t.store, {
      service: "Analytics-pkt",
      organisation: "MeasureCo",
      host: "host-b",
      executable: "*/analytics",
    });
    // The receiver's document arrives first: its relations name the packet before it exists.
    await store(
      t.store,
      [
        node(cf("packet"), "entity", { "prov:type": "packet" }),
        node(cf("sock-b"), "entity"),
        node(cf("task-b"), "activity", { "cf:name": "/opt/analytics" }),
      ],
      [
        rel(cf("recv"), "wasDerivedFrom", cf("sock-b"), cf("packet"), null, {
          "prov:type": "receive_packet",
        }),
        rel(cf("read"), "used", cf("task-b"), cf("sock-b")),
      ],
      "host-b",
    );
    expect(await subjectsOn(t.store, cf("task-b"))).toEqual([]);
    await store(
      t.store,
      [
        node(cf("gps"), "entity", source("pkt-finn", "location")),
        node(cf("task-a"), "activity"),
        node(cf("sock-a"), "entity"),
        node(cf("packet"), "entity", { "prov:type": "packet" }),
      ],
      [
        rel(cf("use"), "used", cf("task-a"), cf("gps")),
        rel(cf("write"), "wasGeneratedBy", cf("sock-a"), cf("task-a")),
        rel(cf("send"), "wasDerivedFrom", cf("packet"), cf("sock-a"), null, {
          "prov:type": "send_packet",
        }),
      ],
      "host-a",
    );
    expect(await subjectsOn(t.store, cf("task-b"))).toEqual(["pkt-finn"]);
    const flows = await subjectFlowSummaries(t.store, "pkt-finn");
    expect(flows?.map((f) => [f.service, f.organisation, f.category, f.ordered])).toEqual([
      ["Analytics-pkt", "MeasureCo", "location", true],
    ]);
  });

  it("does not label a file a process wrote before it read personal data (prov:time)", async () => {
    await store(
      t.store,
      [
        node("wbr:secret", "entity", source("wbr-gus", "health")),
        node("wbr:proc", "activity"),
        node("wbr:before", "entity"),
        node("wbr:after", "entity"),
      ],
      [
        rel("wbr:write1", "wasGeneratedBy", "wbr:before", "wbr:proc", at(1)),
        rel("wbr:read", "used", "wbr:proc", "wbr:secret", at(2)),
        rel("wbr:write2", "wasGeneratedBy", "wbr:after", "wbr:proc", at(3)),
      ],
    );
    expect(await subjectsOn(t.store, "wbr:before")).toEqual([]);
    expect(await labelsOf(t.store, "wbr:")).toEqual([
      `wbr:after wbr-gus/health ordered ${shown(3)}`,
      `wbr:proc wbr-gus/health ordered ${shown(2)}`,
      "wbr:secret wbr-gus/health ordered always",
    ]);
  });

  it("does not label a file a task version wrote before the version that read personal data (CamFlow)", async () => {
    const cf = (id: string) => `cf:wbrv-${id}`;
    await store(
      t.store,
      [
        node(cf("secret"), "entity", source("wbrv-hal", "health")),
        node(cf("task-v1"), "activity", { "cf:version": 1 }),
        node(cf("task-v2"), "activity", { "cf:version": 2 }),
        node(cf("file-v1"), "entity"),
        node(cf("file-v2"), "entity"),
      ],
      [
        rel(cf("w1"), "wasGeneratedBy", cf("file-v1"), cf("task-v1")),
        rel(cf("va"), "wasInformedBy", cf("task-v2"), cf("task-v1"), null, {
          "prov:type": "version_activity",
        }),
        rel(cf("r"), "used", cf("task-v2"), cf("secret")),
        rel(cf("w2"), "wasGeneratedBy", cf("file-v2"), cf("task-v2")),
      ],
    );
    expect(await subjectsOn(t.store, cf("file-v1"))).toEqual([]);
    expect(await subjectsOn(t.store, cf("file-v2"))).toEqual(["wbrv-hal"]);
  });

  it("propagates conservatively where nothing orders the relations, and says so", async () => {
    await store(
      t.store,
      [
        node("unord:src", "entity", source("unord-ida", "email")),
        node("unord:job", "activity", inService("Mailer-unord")),
        node("unord:out", "entity"),
      ],
      [
        rel("unord:u", "used", "unord:job", "unord:src"),
        rel("unord:g", "wasGeneratedBy", "unord:out", "unord:job"),
      ],
    );
    expect(await labelsOf(t.store, "unord:")).toEqual([
      "unord:job unord-ida/email unordered always",
      "unord:out unord-ida/email unordered always",
      "unord:src unord-ida/email ordered always",
    ]);
    expect(await flowsOf(t.store, "unord-")).toEqual([
      "unord-ida/email Mailer-unord ?..? x1 unordered no-legal-basis",
    ]);
  });

  it("re-propagates when a relation arrives after what it connects", async () => {
    await store(
      t.store,
      [
        node("late:src", "entity", source("late-jo", "email")),
        node("late:proc", "activity", inService("Late-svc")),
        node("late:out", "entity"),
      ],
      [rel("late:g", "wasGeneratedBy", "late:out", "late:proc", at(5))],
    );
    expect(await subjectsOn(t.store, "late:out")).toEqual([]);
    await store(t.store, [], [rel("late:u", "used", "late:proc", "late:src", at(4))]);
    expect(await subjectsOn(t.store, "late:out")).toEqual(["late-jo"]);
    expect(await flowsOf(t.store, "late-")).toEqual([
      `late-jo/email Late-svc ${shown(4)}..${shown(4)} x1 ordered no-legal-basis`,
    ]);
  });

  describe("consent at the time of use", () => {
    const sourceNode = (who: string) =>
      node(`ct:${who}:src`, "entity", source(`ct-${who}`, "email", { "gdpr:purpose": "news-ct" }));
    const useGraph = (who: string) => ({
      nodes: [
        sourceNode(who),
        node(`ct:${who}:contact`, "entity"),
        node(`ct:${who}:send-before`, "activity", inService("News-ct")),
        node(`ct:${who}:send-after`, "activity", inService("News-ct")),
      ],
      relations: [
        rel(`ct:${who}:d`, "wasDerivedFrom", `ct:${who}:contact`, `ct:${who}:src`, at(0)),
        rel(`ct:${who}:u1`, "used", `ct:${who}:send-before`, `ct:${who}:contact`, at(29)),
        rel(`ct:${who}:u2`, "used", `ct:${who}:send-after`, `ct:${who}:contact`, at(31)),
      ],
    });
    const consent = (who: string, action: "given" | "withdrawn", minute: number) =>
      recordConsent(t.store, {
        subject: `ct-${who}`,
        purpose: "news-ct",
        action,
        at: new Date(at(minute)),
        how: "portal",
      });

    beforeAll(async () => {
      await declarePurpose(t.store, { key: "news-ct", service: "News-ct", legalBasis: "consent" });
    });

    const expectMinuteAfterIsTheViolation = async (who: string) => {
      const [flow] = (await subjectFlowSummaries(t.store, `ct-${who}`)) ?? [];
      expect(flow).toMatchObject({
        service: "News-ct",
        purpose: "news-ct",
        legalBasis: "consent",
        count: 2,
        status: "no-legal-basis",
        violations: 1,
      });
      const violations = await t.store.rows<{ at: string; kind: string; witness: string[] }>(sql`
        select to_char(v.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') as at, v.kind::text,
               v.witness
        from violations v join flows f on f.id = v.flow_id where f.id = ${flow?.id ?? -1}`);
      expect(violations).toEqual([
        {
          at: shown(31),
          kind: "no-legal-basis",
          witness: [`ct:${who}:src`, `ct:${who}:contact`, `ct:${who}:send-after`],
        },
      ]);
    };

    it("allows the use a minute before the withdrawal, and the use a minute after is a violation", async () => {
      await store(t.store, [sourceNode("kim")], []);
      await consent("kim", "given", -60);
      await consent("kim", "withdrawn", 30);
      const { nodes, relations } = useGraph("kim");
      await store(t.store, nodes, relations);
      await expectMinuteAfterIsTheViolation("kim");
    });

    it("judges the same when the withdrawal is recorded after the uses were stored", async () => {
      await store(t.store, [sourceNode("lea")], []);
      await consent("lea", "given", -60);
      const { nodes, relations } = useGraph("lea");
      await store(t.store, nodes, relations);
      const [before] = (await subjectFlowSummaries(t.store, "ct-lea")) ?? [];
      expect(before).toMatchObject({ status: "allowed", violations: 0 });
      await consent("lea", "withdrawn", 30);
      await expectMinuteAfterIsTheViolation("lea");
    });
  });

  it("judges uses during a block as after-block, and allowed again once it is lifted", async () => {
    await declarePurpose(t.store, {
      key: "ads-bl",
      service: "Ads-bl",
      legalBasis: "legitimate_interests",
      retentionDays: 30,
    });
    await store(t.store, [node("bl:src", "entity", source("bl-max", "clicks"))], []);
    const rule = await addBlockingRule(t.store, {
      subject: "bl-max",
      service: "Ads-bl",
      at: new Date(at(10)),
      how: "portal: never again",
    });
    await liftBlockingRule(t.store, rule.id, new Date(at(20)));
    await store(
      t.store,
      [
        node("bl:use5", "activity", inService("Ads-bl")),
        node("bl:use15", "activity", inService("Ads-bl")),
        node("bl:use25", "activity", inService("Ads-bl")),
      ],
      [
        rel("bl:u5", "used", "bl:use5", "bl:src", at(5)),
        rel("bl:u15", "used", "bl:use15", "bl:src", at(15)),
        rel("bl:u25", "used", "bl:use25", "bl:src", at(25)),
      ],
    );
    const [flow] = (await serviceFlowSummaries(t.store, "Ads-bl")) ?? [];
    expect(flow).toMatchObject({
      subject: "bl-max",
      legalBasis: "legitimate_interests",
      count: 3,
      status: "after-block",
      violations: 1,
    });
    const violations = await t.store.rows<{ entry: string; rule: number }>(sql`
      select entry, blocking_rule_id as rule from violations where flow_id = ${flow?.id ?? -1}`);
    expect(violations).toEqual([{ entry: "bl:u15", rule: rule.id }]);
  });

  it("gives the demo's subjects their own flows, and a declared purpose makes them lawful", async () => {
    const tally = await ingestDemoDocuments(t.store);
    expect(tally.quarantined).toBe(0);
    const services = async (ref: string) =>
      ((await subjectFlowSummaries(t.store, ref)) ?? []).map(
        (f) => `${f.category} ${f.service} (${f.organisation}) ${f.status}`,
      );
    expect(await services("subj-bob")).toEqual([
      "email CRM (Lumen Books) no-legal-basis",
      "email Sign-up (Lumen Books) no-legal-basis",
    ]);
    expect(await services("subj-alice")).toEqual([
      "commit CI (SquareCI) no-legal-basis",
      "email CRM (Lumen Books) no-legal-basis",
      "commit Flack (FlackCo) no-legal-basis",
      "commit git (gitCo) no-legal-basis",
      "email Mail delivery (PostHaste Ltd) no-legal-basis",
      "email Newsletter (Lumen Books) no-legal-basis",
      "email Sign-up (Lumen Books) no-legal-basis",
    ]);
    await declarePurpose(t.store, { key: "account", service: "Sign-up", legalBasis: "contract" });
    expect(await services("subj-bob")).toContain("email Sign-up (Lumen Books) allowed");
    const window = { from: new Date("2026-10-04T00:00:00Z"), to: new Date("2026-10-05T00:00:00Z") };
    // Carol's contact, in the CRM since September, is held in October too.
    expect(await subjectsHeldByService(t.store, "CRM", window)).toEqual([
      "subj-alice",
      "subj-bob",
      "subj-carol",
    ]);
    // Before Carol's CRM sync, the CRM held nothing; after it, hers alone.
    const september = {
      from: new Date("2026-09-14T00:00:00Z"),
      to: new Date("2026-09-16T00:00:00Z"),
    };
    expect(await subjectsHeldByService(t.store, "CRM", september)).toEqual(["subj-carol"]);
    // No service here declares a purpose: each use is judged by the purpose the data was
    // collected for, "account", which is now declared on a contract.
    expect(await services("subj-carol")).toEqual([
      "email Audience matching (AdReach Inc) allowed",
      "email CRM (Lumen Books) allowed",
      "email Sign-up (Lumen Books) allowed",
    ]);
    expect(await subjectFlowSummaries(t.store, "subj-nobody")).toBeNull();
  });

  it("labels every subject and category a record names, not only the first", async () => {
    await store(
      t.store,
      [
        node("multi:invite", "entity", {
          "gdpr:subject": ["multi-ann", "multi-ben"],
          "gdpr:category": ["email", "name"],
          "prov:generatedAtTime": at(0),
          ...inService("Web-multi"),
        }),
        node("multi:send", "activity", inService("Mail-multi")),
      ],
      [rel("multi:u1", "used", "multi:send", "multi:invite", at(1))],
    );
    expect(await subjectsOn(t.store, "multi:send")).toEqual(["multi-ann", "multi-ben"]);
    expect(await flowsOf(t.store, "multi-")).toEqual([
      `multi-ann/email Mail-multi ${shown(1)}..${shown(1)} x1 ordered no-legal-basis`,
      `multi-ann/email Web-multi ${shown(0)}..${shown(0)} x1 ordered no-legal-basis`,
      `multi-ann/name Mail-multi ${shown(1)}..${shown(1)} x1 ordered no-legal-basis`,
      `multi-ann/name Web-multi ${shown(0)}..${shown(0)} x1 ordered no-legal-basis`,
      `multi-ben/email Mail-multi ${shown(1)}..${shown(1)} x1 ordered no-legal-basis`,
      `multi-ben/email Web-multi ${shown(0)}..${shown(0)} x1 ordered no-legal-basis`,
      `multi-ben/name Mail-multi ${shown(1)}..${shown(1)} x1 ordered no-legal-basis`,
      `multi-ben/name Web-multi ${shown(0)}..${shown(0)} x1 ordered no-legal-basis`,
    ]);
  });

  it("keeps each unlawful use as a violation of its own flow, with or without a collected-for purpose", async () => {
    // Two documents in one transaction, as the bridge writes them: one labelling pass.
    await ingestBatch(
      t.store,
      [
        {
          graph: {
            host: "test-host",
            nodes: [
              node("vio:form1", "entity", source("vio-ann", "email")),
              node("vio:form2", "entity", source("vio-ann", "phone", { "gdpr:purpose": "vio-x" })),
            ],
            relations: [],
          },
          hostName: "test-host",
          evidence: null,
        },
        {
          graph: {
            host: "test-host",
            nodes: [node("vio:task", "activity", inService("Vio-svc"))],
            relations: [
              rel("vio:u1", "used", "vio:task", "vio:form1", at(1)),
              rel("vio:u2", "used", "vio:task", "vio:form2", at(2)),
            ],
          },
          hostName: "test-host",
          evidence: null,
        },
      ],
      { refuseUnsigned: false },
    );
    const rows = await t.store.rows<{ line: string }>(sql`
      select c.key || coalesce('/' || p.key, '') || ' ' || sv.name || ' ' || v.kind || ' '
             || v.entry || ' ' || v.witness::text as line
      from violations v
      join flows f on f.id = v.flow_id
      join subjects s on s.id = f.subject_id
      join data_categories c on c.id = f.category_id
      left join purposes p on p.id = f.source_purpose_id
      join services sv on sv.id = f.service_id
      where s.ref = 'vio-ann'
      order by 1`);
    expect(rows.map((row) => row.line)).toEqual([
      'email Vio-svc no-legal-basis vio:u1 ["vio:form1", "vio:task"]',
      'phone/vio-x Vio-svc no-legal-basis vio:u2 ["vio:form2", "vio:task"]',
    ]);
  });

  it("takes consent stated in the record as a JSON boolean (gdpr:consent: true) from the start", async () => {
    await declarePurpose(t.store, {
      key: "news-bool",
      service: "News-bool",
      legalBasis: "consent",
    });
    await store(
      t.store,
      [
        node("bool:form", "entity", {
          ...source("bool-ann", "email", {
            "gdpr:purpose": "news-bool",
            "gdpr:consent": true,
            "prov:generatedAtTime": at(0),
          }),
        }),
        node("bool:send", "activity", inService("News-bool")),
      ],
      [rel("bool:u1", "used", "bool:send", "bool:form", at(5))],
    );
    expect(await flowsOf(t.store, "bool-")).toEqual([
      `bool-ann/email News-bool ${shown(5)}..${shown(5)} x1 ordered allowed`,
    ]);
  });
});
