/**
 * Enforcement points end to end: the DPO registers a point, a subject's "never again" is written
 * to the store only, the bridge announces the new rule-set version on MQTT (and NATS), the
 * point's SDK pulls the rules over HTTP, decides locally and acknowledges, and the subject's
 * block counts the point only then. Tokens are hashed at rest; wrong or revoked tokens get 401;
 * a point whose rules are older than its fail-closed bound refuses everything.
 *
 * On PGlite with the embedded broker, and on PostgreSQL with Mosquitto (and NATS) when
 * DATABASE_URL / MQTT_URL / NATS_URL are set.
 */
import { createHash, randomBytes } from "node:crypto";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../capture-bridge/config";
import { DEMO_PREFIXES } from "../../../capture-bridge/demo/demo-org";
import {
  connectEnforcementPoint,
  type EnforcementPoint,
} from "../../../capture-bridge/enforcement/sdk";
import { type RunningBridge, startBridge } from "../../../capture-bridge/main";
import { IngestTally, ingestMessage } from "../../../capture-bridge/pipeline/ingest";
import { registerEnforcementPoint, revokeEnforcementPoint } from "../../../db/enforcement/points";
import { blockEnforcement } from "../../../db/enforcement/rule-set";
import { addBlockingRule } from "../../../db/labels/rules";
import { recentLegalEvents } from "../../../db/queries/legal-events";
import { blockService, liftBlock, subjectChoices } from "../../../db/queries/subject-choices";
import { recentViolations } from "../../../db/queries/violations";
import { seedDemoStore } from "../../factories/demo";
import {
  createTestStore,
  REAL_MQTT_URL,
  REAL_NATS_URL,
  STORE_KINDS,
  type StoreKind,
  type TestStore,
} from "../../setup/databases";
import { until } from "../../setup/until";

const DPO = { email: "dpo@lumen-books.example" };
const SETUPS: { name: string; store: StoreKind; mqttUrl?: string; natsUrl?: string }[] = [
  { name: "PGlite, embedded broker", store: "pglite" },
  ...(REAL_MQTT_URL
    ? [
        {
          name: "PostgreSQL, Mosquitto, NATS",
          store: STORE_KINDS.at(-1) as StoreKind,
          mqttUrl: REAL_MQTT_URL,
          natsUrl: REAL_NATS_URL,
        },
      ]
    : []),
];

describe.each(SETUPS)("enforcement points on $name", (setup) => {
  let t: TestStore;
  let bridge: RunningBridge;
  let subjects: Map<string, number>;
  const points: EnforcementPoint[] = [];
  const tag = randomBytes(5).toString("hex");
  const topicPrefix = `provtopia-test/${tag}/enforcement`;
  const natsPrefix = `provtopia-test.${tag}.enforcement`;

  beforeAll(async () => {
    t = await createTestStore(setup.store);
    subjects = await seedDemoStore(t.store);
    bridge = await startBridge(
      loadConfig({
        MQTT_PORT: "0",
        BRIDGE_PORT: "0",
        LOG_LEVEL: "silent",
        MQTT_TOPIC_PREFIX: `provtopia-test/${tag}/camflow/provenance`,
        ENFORCEMENT_TOPIC_PREFIX: topicPrefix,
        ENFORCEMENT_NATS_PREFIX: natsPrefix,
        ENFORCEMENT_PUBLISH_INTERVAL_MS: "100",
        ...(setup.mqttUrl ? { MQTT_URL: setup.mqttUrl } : {}),
        ...(setup.natsUrl ? { NATS_URL: setup.natsUrl } : {}),
      }),
      { store: t.store },
    );
  });
  afterAll(async () => {
    for (const point of points) await point.close();
    await bridge?.stop();
    await t?.dispose();
  });

  const alice = () => ({
    subjectId: subjects.get("subj-alice") as number,
    email: "alice@example.org",
  });
  /** Polling only once a minute: what arrives sooner came by the broker's announcement. */
  const connectPoint = async (token: string, extra: { now?: () => number } = {}) => {
    const point = await connectEnforcementPoint({
      bridgeUrl: bridge.httpUrl,
      token,
      mqttUrl: bridge.mqttUrl,
      topicPrefix,
      pollIntervalMs: 60_000,
      ...extra,
    });
    points.push(point);
    return point;
  };
  const enforcementOf = async (ruleId: number) =>
    (await blockEnforcement(t.store, alice().subjectId)).get(ruleId) ?? {
      points: 0,
      acknowledged: 0,
    };

  it("counts a block at a point only once the point acknowledged the rules that hold it", async () => {
    const [flackBlock] = await t.store.rows<{ id: number }>(
      sql`select id from blocking_rules where subject_id = ${alice().subjectId}`,
    );
    const ruleId = flackBlock?.id as number;
    expect(await enforcementOf(ruleId)).toEqual({ points: 0, acknowledged: 0 });

    const { token } = await registerEnforcementPoint(
      t.store,
      { name: "Flack connector", services: ["Flack"], failClosedAfterSeconds: null },
      DPO,
    );
    expect(await enforcementOf(ruleId)).toEqual({ points: 1, acknowledged: 0 });

    const point = await connectPoint(token);
    expect(point.rules?.rules).toEqual([
      expect.objectContaining({
        id: ruleId,
        subject: "subj-alice",
        category: null,
        services: ["Flack"],
      }),
    ]);
    expect(point.decide({ subject: "subj-alice", service: "Flack" })).toMatchObject({
      allowed: false,
      reason: "blocked",
      rule: ruleId,
    });
    expect(point.decide({ subject: "subj-bob", service: "Flack" })).toMatchObject({
      allowed: true,
      reason: "no-block",
    });
    expect(point.decide({ subject: "subj-alice", service: "Newsletter" })).toMatchObject({
      allowed: true,
      reason: "unguarded",
    });
    expect(await enforcementOf(ruleId)).toEqual({ points: 1, acknowledged: 1 });
  });

  it("tells the DPO whether a block had reached a point guarding the service before a use", async () => {
    const flackViolations = async () =>
      (await recentViolations(t.store, 100)).violations.filter(
        (v) => v.kind === "after-block" && v.service === "Flack" && v.subject === "subj-alice",
      );
    // The demo's CI run reached Flack on 10 November, weeks before the connector existed.
    expect((await flackViolations()).map((v) => v.appliedBefore)).toEqual([0]);

    // The connector applied the block (the test above); a use a minute from now still happens.
    const at = new Date(Date.now() + 60_000).toISOString();
    const tally = new IngestTally();
    await ingestMessage(
      t.store,
      {
        source: "test:ci-runner",
        host: "ci-runner",
        payload: new TextEncoder().encode(
          JSON.stringify({
            prefix: DEMO_PREFIXES,
            activity: {
              "ci:flack/notify-312": {
                "prov:label": "Flack",
                "gdpr:service": "Flack",
                "gdpr:organisation": "FlackCo",
                "prov:startTime": at,
              },
            },
            used: {
              "ci:u/flack-report-312": {
                "prov:activity": "ci:flack/notify-312",
                "prov:entity": "ci:report/run-311",
                "prov:time": at,
              },
            },
          }),
        ),
      },
      tally,
    );
    expect(tally.quarantined).toBe(0);
    const violations = await flackViolations();
    expect(violations.map((v) => [v.at, v.appliedBefore])).toEqual([
      [at.replace(/\.\d+Z$/, "Z"), 1],
      [expect.any(String), 0],
    ]);
  });

  it("delivers a subject's new block and its lifting through the broker's announcement", async () => {
    const { token } = await registerEnforcementPoint(
      t.store,
      {
        name: "Newsletter mailer",
        services: ["Newsletter", "Mail delivery"],
        failClosedAfterSeconds: null,
      },
      DPO,
    );
    const mailer = await connectPoint(token);
    const before = mailer.rules?.version as number;
    expect(mailer.decide({ subject: "subj-alice", service: "Newsletter" }).allowed).toBe(true);

    let nats: NatsConnection | undefined;
    const natsAnnouncements: unknown[] = [];
    if (setup.natsUrl) {
      nats = await connect({ servers: setup.natsUrl });
      const subscription = nats.subscribe(`${natsPrefix}.${mailer.rules?.pointId}`);
      void (async () => {
        for await (const message of subscription) natsAnnouncements.push(message.json());
      })();
      await nats.flush();
    }
    try {
      const ruleId = await blockService(t.store, alice(), "Newsletter");
      // No pull was asked for: the announcement on the broker made the point pull.
      await until(
        () => mailer.decide({ subject: "subj-alice", service: "Newsletter" }).allowed === false,
        "the mailer to apply Alice's new block",
      );
      expect(mailer.rules?.version).toBeGreaterThan(before);
      expect(mailer.decide({ subject: "subj-alice", service: "Mail delivery" }).allowed).toBe(true);
      await until(
        async () => (await enforcementOf(ruleId)).acknowledged === 1,
        "the mailer's acknowledgement",
      );
      expect(await enforcementOf(ruleId)).toEqual({ points: 1, acknowledged: 1 });
      const choices = await subjectChoices(t.store, alice().subjectId);
      expect(choices?.blocks.find((b) => b.id === ruleId)?.enforcement).toEqual({
        points: 1,
        acknowledged: 1,
      });
      if (nats) {
        await until(
          () =>
            natsAnnouncements.some(
              (a) => (a as { version: number }).version === mailer.rules?.version,
            ),
          "the announcement on NATS",
        );
      }

      await liftBlock(t.store, alice(), ruleId);
      await until(
        () => mailer.decide({ subject: "subj-alice", service: "Newsletter" }).allowed,
        "the mailer to apply the lifting",
      );
    } finally {
      await nats?.close();
    }
  });

  it("answers an unchanged rule set with 304 and refuses acknowledging a version not reached", async () => {
    const { token } = await registerEnforcementPoint(
      t.store,
      { name: "Export job", services: ["CRM"], failClosedAfterSeconds: null },
      DPO,
    );
    const headers = { authorization: `Bearer ${token}` };
    const first = await fetch(`${bridge.httpUrl}/enforcement/rules`, { headers });
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag") as string;
    const body = (await first.json()) as { version: number; rules: unknown[] };
    expect(etag).toBe(`"${body.version}"`);
    expect(body.rules).toEqual([]);
    const again = await fetch(`${bridge.httpUrl}/enforcement/rules`, {
      headers: { ...headers, "if-none-match": etag },
    });
    expect(again.status).toBe(304);

    // Prometheus sees the point that has not acknowledged yet.
    const metrics = await (await fetch(`${bridge.httpUrl}/metrics`)).text();
    const behind = /^provtopia_enforcement_points_behind\{store="\w+"\} (\d+)$/m.exec(metrics);
    expect(Number(behind?.[1])).toBeGreaterThanOrEqual(1);

    const ack = (version: unknown) =>
      fetch(`${bridge.httpUrl}/enforcement/ack`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify({ version }),
      });
    const ahead = await ack(body.version + 1);
    expect(ahead.status).toBe(400);
    expect(await ahead.json()).toMatchObject({ error: { code: "bad_version" } });
    expect((await ack("7")).status).toBe(400);
    const ok = await ack(body.version);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ appliedVersion: body.version });
    // A late, older acknowledgement does not take the point back.
    if (body.version > 0) {
      expect(await (await ack(body.version - 1)).json()).toEqual({ appliedVersion: body.version });
    }
  });

  it("keeps only a hash of the token, and refuses wrong and revoked tokens", async () => {
    const { id, token } = await registerEnforcementPoint(
      t.store,
      { name: "Egress proxy", services: ["git"], failClosedAfterSeconds: null },
      DPO,
    );
    const [tokenId, secret] = token.split(".");
    const [row] = await t.store.rows<{ tokenId: string; secretHash: Uint8Array }>(
      sql`select token_id as "tokenId", secret_hash as "secretHash" from enforcement_points where id = ${id}`,
    );
    expect(row?.tokenId).toBe(tokenId);
    expect(Buffer.from(row?.secretHash as Uint8Array).toString("hex")).toBe(
      createHash("sha256")
        .update(secret as string)
        .digest("hex"),
    );
    const dump = JSON.stringify(await t.store.rows(sql`select * from enforcement_points`));
    expect(dump).not.toContain(secret as string);

    const get = (authorization?: string) =>
      fetch(`${bridge.httpUrl}/enforcement/rules`, {
        headers: authorization ? { authorization } : {},
      });
    expect((await get()).status).toBe(401);
    expect((await get(`Bearer ${tokenId}.wrong-secret`)).status).toBe(401);
    expect((await get(`Bearer ${token}`)).status).toBe(200);
    await revokeEnforcementPoint(t.store, id, DPO);
    const revoked = await get(`Bearer ${token}`);
    expect(revoked.status).toBe(401);
    expect(await revoked.json()).toMatchObject({ error: { code: "unauthorized" } });

    const events = await recentLegalEvents(t.store, {
      typePrefixes: ["dpo.enforcement-point."],
      limit: 20,
    });
    expect(events.filter((e) => e.details.point === "Egress proxy").map((e) => e.type)).toEqual([
      "dpo.enforcement-point.revoked",
      "dpo.enforcement-point.registered",
    ]);
    expect(events.every((e) => e.actor === DPO.email)).toBe(true);
  });

  it("fails closed when its rules are older than the DPO's bound, and recovers on the next pull", async () => {
    const { token } = await registerEnforcementPoint(
      t.store,
      { name: "CI uploader", services: ["CI"], failClosedAfterSeconds: 60 },
      DPO,
    );
    let now = Date.now();
    const point = await connectPoint(token, { now: () => now });
    expect(point.rules?.failClosedAfterMs).toBe(60_000);
    const request = { subject: "subj-bob", service: "CI" };
    expect(point.decide(request)).toMatchObject({ allowed: true });
    now += 59_000;
    expect(point.decide(request)).toMatchObject({ allowed: true });
    now += 2_000;
    expect(point.decide(request)).toMatchObject({ allowed: false, reason: "stale" });
    await point.refresh();
    expect(point.decide(request)).toMatchObject({ allowed: true });
  });

  it("gives rule changes made at once distinct versions with no gaps", async () => {
    const before = (
      await t.store.rows<{ v: string }>(
        sql`select coalesce(max(version), 0)::text as v from enforcement_rule_changes`,
      )
    )[0]?.v;
    const refs = [...subjects.keys()].filter((ref) => ref !== "subj-alice").slice(0, 4);
    await Promise.all(
      refs.map((subject) =>
        addBlockingRule(t.store, { subject, service: "CI", at: new Date(), how: "test" }),
      ),
    );
    const versions = await t.store.rows<{ version: string }>(
      sql`select version::text from enforcement_rule_changes where version > ${Number(before)} order by version`,
    );
    expect(versions.map((v) => Number(v.version))).toEqual(
      refs.map((_, i) => Number(before) + i + 1),
    );
  });
});
