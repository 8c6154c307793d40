/**
 * A subject's own decisions on the demo organisation: consent given and withdrawn, "never
 * again" blocks set and lifted. Each is kept with its history, re-judges the subject's flows,
 * and is recorded in the legal log with the user who made it; a subject can act only on
 * purposes and services that concern their own data, and only on their own blocks.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subjectFlowSummaries } from "../../../db/queries/flows";
import { recentLegalEvents } from "../../../db/queries/legal-events";
import {
  blockService,
  ChoiceError,
  liftBlock,
  setConsent,
  subjectChoices,
} from "../../../db/queries/subject-choices";
import { seedDemoStore } from "../../factories/demo";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";

const ALICE_EMAIL = "alice@example.org";
const BOB_EMAIL = "bob@example.org";

describe.each(STORE_KINDS)("a subject's choices on %s", (kind) => {
  let t: TestStore;
  let alice: { subjectId: number; email: string };
  let bob: { subjectId: number; email: string };

  beforeAll(async () => {
    t = await createTestStore(kind);
    const ids = await seedDemoStore(t.store);
    alice = { subjectId: ids.get("subj-alice") ?? -1, email: ALICE_EMAIL };
    bob = { subjectId: ids.get("subj-bob") ?? -1, email: BOB_EMAIL };
  });
  afterAll(async () => {
    await t?.dispose();
  });

  const choicesOf = async (subjectId: number) => {
    const choices = await subjectChoices(t.store, subjectId);
    if (!choices) throw new Error(`no subject ${subjectId}`);
    return choices;
  };
  const refusal = async (action: Promise<unknown>) => {
    const error = await action.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ChoiceError);
    return (error as ChoiceError).reason;
  };
  const subjectEvents = async () =>
    recentLegalEvents(t.store, { typePrefixes: ["subject."], limit: 50 });

  it("shows Alice her newsletter consent with its history, the services her data reached, and her block", async () => {
    const choices = await choicesOf(alice.subjectId);
    const newsletter = choices.consentPurposes.find((p) => p.key === "newsletter");
    expect(newsletter).toMatchObject({ legalBasis: "consent", consent: "withdrawn" });
    expect(newsletter?.history.map((e) => [e.action, e.at])).toEqual([
      ["withdrawn", "2026-11-01T18:00:00Z"],
      ["given", "2026-10-01T09:30:00Z"],
    ]);
    expect(choices.otherPurposes.every((p) => p.legalBasis !== "consent")).toBe(true);
    expect(choices.services.map((s) => s.name)).toEqual([
      "Backups",
      "CI",
      "CRM",
      "Flack",
      "git",
      "Mail delivery",
      "Newsletter",
      "Sign-up",
    ]);
    const [flackco] = choices.blocks;
    expect(choices.blocks).toHaveLength(1);
    expect(flackco).toMatchObject({ organisation: "FlackCo", service: null, liftedAt: null });
    // The organisation's block covers its service.
    expect(choices.services.find((s) => s.name === "Flack")?.blockedBy).toBe(flackco?.id);
    expect(choices.services.find((s) => s.name === "CRM")?.blockedBy).toBeNull();
  });

  it("records consent given and withdrawn again, from the portal, in the history and the legal log", async () => {
    await setConsent(t.store, alice, "newsletter", "given", new Date("2026-11-20T08:00:00Z"));
    let newsletter = (await choicesOf(alice.subjectId)).consentPurposes.find(
      (p) => p.key === "newsletter",
    );
    expect(newsletter?.consent).toBe("given");
    expect(newsletter?.history[0]).toEqual({
      action: "given",
      at: "2026-11-20T08:00:00Z",
      how: "portal: the subject's choices page",
    });
    expect(await refusal(setConsent(t.store, alice, "newsletter", "given"))).toBe("unchanged");

    await setConsent(t.store, alice, "newsletter", "withdrawn", new Date("2026-11-21T08:00:00Z"));
    newsletter = (await choicesOf(alice.subjectId)).consentPurposes.find(
      (p) => p.key === "newsletter",
    );
    expect(newsletter?.consent).toBe("withdrawn");
    expect(newsletter?.history).toHaveLength(4);

    const events = await subjectEvents();
    expect(
      events.slice(0, 2).map((e) => [e.type, e.actor, e.details.subject, e.details.purpose]),
    ).toEqual([
      ["subject.consent.withdrawn", ALICE_EMAIL, "subj-alice", "newsletter"],
      ["subject.consent.given", ALICE_EMAIL, "subj-alice", "newsletter"],
    ]);
  });

  it("refuses consent for a purpose that does not concern the subject or does not rest on consent", async () => {
    const bobs = await choicesOf(bob.subjectId);
    expect(bobs.consentPurposes.some((p) => p.key === "newsletter")).toBe(false);
    expect(await refusal(setConsent(t.store, bob, "newsletter", "given"))).toBe("unknown-purpose");
    const other = (await choicesOf(alice.subjectId)).otherPurposes[0];
    expect(other).toBeDefined();
    expect(await refusal(setConsent(t.store, alice, other?.key ?? "", "withdrawn"))).toBe(
      "not-consent",
    );
  });

  it("blocks a service the subject's data reached, never one it did not, and lifts only the subject's own block", async () => {
    const before = (await subjectEvents()).length;
    const rule = await blockService(t.store, alice, "CRM", new Date("2026-11-22T08:00:00Z"));
    let choices = await choicesOf(alice.subjectId);
    expect(choices.services.find((s) => s.name === "CRM")?.blockedBy).toBe(rule);
    expect(choices.blocks[0]).toMatchObject({
      id: rule,
      service: "CRM",
      category: null,
      createdAt: "2026-11-22T08:00:00Z",
      liftedAt: null,
      how: "portal: never again",
    });
    expect(await refusal(blockService(t.store, alice, "CRM"))).toBe("unchanged");
    // Bob's data never reached the newsletter; a service that does not exist reads the same.
    expect(await refusal(blockService(t.store, bob, "Newsletter"))).toBe("unknown-service");
    expect(await refusal(blockService(t.store, bob, "No such service"))).toBe("unknown-service");

    // Bob cannot lift Alice's block: refused as if it did not exist, and it stays in force.
    expect(await refusal(liftBlock(t.store, bob, rule))).toBe("unknown-block");
    const [still] = await t.store.rows<{ lifted: boolean }>(
      sql`select lifted_at is not null as lifted from blocking_rules where id = ${rule}`,
    );
    expect(still?.lifted).toBe(false);

    await liftBlock(t.store, alice, rule, new Date("2026-11-23T08:00:00Z"));
    choices = await choicesOf(alice.subjectId);
    expect(choices.services.find((s) => s.name === "CRM")?.blockedBy).toBeNull();
    expect(choices.blocks.find((b) => b.id === rule)?.liftedAt).toBe("2026-11-23T08:00:00Z");
    expect(await refusal(liftBlock(t.store, alice, rule))).toBe("unknown-block");

    const events = await subjectEvents();
    expect(events.length - before).toBe(2);
    expect(
      events.slice(0, 2).map((e) => [e.type, e.actor, e.details.service, e.details.rule]),
    ).toEqual([
      ["subject.block.lifted", ALICE_EMAIL, "CRM", rule],
      ["subject.block.added", ALICE_EMAIL, "CRM", rule],
    ]);
  });

  it("judges a use after the subject's block as after-block", async () => {
    // Alice's commit reached Flack on 2026-11-10, after her FlackCo block of 2026-11-05.
    const flows = (await subjectFlowSummaries(t.store, "subj-alice")) ?? [];
    const flack = flows.find((f) => f.service === "Flack");
    expect(flack?.status).toBe("after-block");
  });
});
