/**
 * Erasure requests (db/queries/erasure.ts) on both stores, on the demo organisation: a subject
 * asks once (asking again returns the same request), sees only their own requests; the DPO's
 * queue lists the open ones with every service the subject's data reached, third parties
 * first, and when one is overdue; an answer is given once, recorded in the legal log with who
 * gave it, and the subject may ask again afterwards.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CAROL_LATE_EXPORT_AT, DEMO_PREFIXES } from "../../../capture-bridge/demo/demo-org";
import { IngestTally, ingestMessage } from "../../../capture-bridge/pipeline/ingest";
import {
  answerErasure,
  ErasureAnswerError,
  ErasureNoticeError,
  erasureQueue,
  recordNotice,
  requestErasure,
  subjectErasureRequests,
} from "../../../db/queries/erasure";
import { seedDemoStore } from "../../factories/demo";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";

const DPO = "dpo@lumen-books.example";

describe.each(STORE_KINDS)("erasure requests on %s", (kind) => {
  let t: TestStore;
  let ids: Map<string, number>;
  const alice = () => ({ subjectId: ids.get("subj-alice") as number, email: "alice@example.org" });
  beforeAll(async () => {
    t = await createTestStore(kind);
    ids = await seedDemoStore(t.store);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  const legalEvents = async () =>
    (
      await t.store.rows<{ raw: Uint8Array }>(sql`
        select t.raw from ledger_archive_tail t join ledger_logs l on l.id = t.log_id
        where l.origin like '%/legal' order by t.seq`)
    )
      .map((row) => JSON.parse(Buffer.from(row.raw).toString("utf8")))
      .filter(
        (event) =>
          String(event.type).includes("erasure") && event.details?.subject === "subj-alice",
      );

  it("records a subject's request once, due a month later, visible only to them", async () => {
    const now = new Date("2026-11-30T10:00:00Z");
    const first = await requestErasure(t.store, alice(), now);
    expect(first.created).toBe(true);
    expect(first.request).toMatchObject({
      subject: "subj-alice",
      status: "open",
      requestedAt: "2026-11-30T10:00:00Z",
      dueAt: "2026-12-30T10:00:00Z",
      answer: null,
    });
    const again = await requestErasure(t.store, alice(), new Date("2026-12-01T10:00:00Z"));
    expect(again).toEqual({ request: first.request, created: false });
    expect(await subjectErasureRequests(t.store, alice().subjectId)).toEqual([
      { ...first.request, usedSince: null, notices: [] },
    ]);
    expect(await subjectErasureRequests(t.store, ids.get("subj-bob") as number)).toEqual([]);
    expect(await legalEvents()).toEqual([
      expect.objectContaining({
        type: "subject.erasure.requested",
        actor: "alice@example.org",
        details: { subject: "subj-alice", request: first.request.id, due: "2026-12-30T10:00:00Z" },
      }),
    ]);
  });

  it("queues it for the DPO with every service the data reached, third parties first", async () => {
    const { open, answered } = await erasureQueue(t.store, 20, new Date("2026-12-01T00:00:00Z"));
    // Carol's, answered in the demo's November.
    expect(answered.map((r) => [r.subject, r.status])).toEqual([["subj-carol", "erased"]]);
    expect(open).toHaveLength(1);
    const [request] = open;
    expect(request).toMatchObject({ subject: "subj-alice", overdue: false });
    const services = request?.recipients.map((r) => r.service) ?? [];
    expect(services).toEqual(expect.arrayContaining(["CRM", "Newsletter", "Flack"]));
    const thirdParties = request?.recipients.filter((r) => r.thirdParty) ?? [];
    expect(thirdParties.map((r) => r.organisation)).toContain("FlackCo");
    // third parties come first
    expect(request?.recipients.slice(0, thirdParties.length).every((r) => r.thirdParty)).toBe(true);
    for (const recipient of request?.recipients ?? []) {
      expect(recipient.categories.length).toBeGreaterThan(0);
    }
    const late = await erasureQueue(t.store, 20, new Date("2027-01-05T00:00:00Z"));
    expect(late.open[0]?.overdue).toBe(true);
  });

  it("records each third party told of the erasure once, in the legal log, for the subject to see", async () => {
    const [request] = (await erasureQueue(t.store)).open;
    const requestId = request?.id as number;
    expect(request?.notices).toEqual([]);
    const at = new Date("2026-12-01T12:00:00Z");
    expect(
      await recordNotice(t.store, { requestId, organisation: "FlackCo", dpoEmail: DPO }, at),
    ).toEqual({ created: true });
    // Telling again records nothing more.
    expect(
      await recordNotice(t.store, { requestId, organisation: "FlackCo", dpoEmail: DPO }),
    ).toEqual({ created: false });
    // Only third parties the subject's data reached: not the organisation itself, not others.
    for (const organisation of ["Lumen Books", "AdReach Inc", "Nobody Ltd"]) {
      await expect(
        recordNotice(t.store, { requestId, organisation, dpoEmail: DPO }),
      ).rejects.toEqual(new ErasureNoticeError("not-a-recipient"));
    }
    await expect(
      recordNotice(t.store, { requestId: 99_999, organisation: "FlackCo", dpoEmail: DPO }),
    ).rejects.toEqual(new ErasureNoticeError("not-found"));
    // A refused request has no erasure to tell of.
    const bob = { subjectId: ids.get("subj-bob") as number, email: "bob@example.org" };
    const refused = (await requestErasure(t.store, bob)).request;
    await answerErasure(
      t.store,
      {
        requestId: refused.id,
        outcome: "refused",
        answer: "Kept for the tax records until 2030 (Art. 17(3)(b)).",
        dpoEmail: DPO,
      },
      new Date("2026-12-01T13:00:00Z"),
    );
    await expect(
      recordNotice(t.store, { requestId: refused.id, organisation: "FlackCo", dpoEmail: DPO }),
    ).rejects.toEqual(new ErasureNoticeError("refused"));
    const told = [{ organisation: "FlackCo", toldAt: "2026-12-01T12:00:00Z", toldBy: DPO }];
    expect((await erasureQueue(t.store)).open[0]?.notices).toEqual(told);
    expect((await subjectErasureRequests(t.store, alice().subjectId))[0]?.notices).toEqual(told);
    expect(
      (await legalEvents()).filter((event) => event.type === "dpo.erasure.recipient-told"),
    ).toEqual([
      expect.objectContaining({
        actor: DPO,
        details: { subject: "subj-alice", request: requestId, organisation: "FlackCo" },
      }),
    ]);
  });

  it("takes one answer, with who gave it; then the subject may ask again", async () => {
    const [request] = (await erasureQueue(t.store)).open;
    const id = request?.id as number;
    const answer = "Erased from CRM and the newsletter list; FlackCo told on 2026-12-02.";
    const answered = await answerErasure(
      t.store,
      { requestId: id, outcome: "erased", answer, dpoEmail: "dpo@lumen-books.example" },
      new Date("2026-12-02T09:00:00Z"),
    );
    expect(answered).toMatchObject({
      id,
      status: "erased",
      answeredAt: "2026-12-02T09:00:00Z",
      answeredBy: "dpo@lumen-books.example",
      answer,
    });
    await expect(
      answerErasure(t.store, {
        requestId: id,
        outcome: "refused",
        answer: "twice",
        dpoEmail: "dpo@lumen-books.example",
      }),
    ).rejects.toEqual(new ErasureAnswerError("answered"));
    await expect(
      answerErasure(t.store, {
        requestId: 99_999,
        outcome: "erased",
        answer: "none",
        dpoEmail: "dpo@lumen-books.example",
      }),
    ).rejects.toEqual(new ErasureAnswerError("not-found"));
    const queue = await erasureQueue(t.store);
    expect(queue.open).toEqual([]);
    // Nothing of Alice's data was seen after the answer: the demo's uses are all earlier. The
    // most recent answer comes first.
    expect(queue.answered[0]).toEqual({
      ...answered,
      usedSince: [],
      notices: [{ organisation: "FlackCo", toldAt: "2026-12-01T12:00:00Z", toldBy: DPO }],
    });
    expect(queue.answered.map((r) => r.subject)).toEqual(["subj-alice", "subj-bob", "subj-carol"]);
    expect((await legalEvents()).at(-1)).toMatchObject({
      type: "dpo.erasure.erased",
      actor: "dpo@lumen-books.example",
      details: { subject: "subj-alice", request: id, answer },
    });

    const second = await requestErasure(t.store, alice());
    expect(second.created).toBe(true);
    expect(second.request.id).not.toBe(id);
    expect(await subjectErasureRequests(t.store, alice().subjectId)).toHaveLength(2);
  });

  it("shows the demo's erasure that did not hold: Carol's contact read again two weeks later", async () => {
    const carol = ids.get("subj-carol") as number;
    const [request] = await subjectErasureRequests(t.store, carol);
    expect(request).toMatchObject({
      subject: "subj-carol",
      status: "erased",
      answeredAt: "2026-11-06T16:40:00Z",
      answeredBy: "dpo@lumen-books.example",
    });
    // Only the use after the answer: not the sign-up nor the CRM sync, which came before it.
    expect(request?.usedSince).toEqual([
      {
        service: "Audience matching",
        organisation: "AdReach Inc",
        thirdParty: true,
        categories: ["email"],
        lastSeen: CAROL_LATE_EXPORT_AT,
      },
    ]);
    const [queued] = (await erasureQueue(t.store)).answered.filter(
      (r) => r.subject === "subj-carol",
    );
    expect(queued?.usedSince).toEqual(request?.usedSince);
  });

  it("shows where an erased subject's data was seen after the answer, to the DPO and to them", async () => {
    // A month after the "erased" answer, a marketing export still reads Alice's CRM contact and
    // sends it to a third party: the erasure missed a copy.
    const later = "2027-01-04T10:00:00Z";
    const document = {
      prefix: DEMO_PREFIXES,
      activity: {
        "lumen:lookalike-export/2027-01": {
          "prov:type": "lumen:Job",
          "prov:label": "look-alike audience export",
          "prov:startTime": later,
          "gdpr:service": "Audience matching",
          "gdpr:organisation": "AdReach Inc",
        },
      },
      used: {
        "lumen:u/lookalike/alice": {
          "prov:activity": "lumen:lookalike-export/2027-01",
          "prov:entity": "lumen:crm/contact/alice",
          "prov:time": later,
        },
      },
    };
    const tally = new IngestTally();
    await ingestMessage(
      t.store,
      { source: "test:ads-1", host: "ads-1", payload: Buffer.from(JSON.stringify(document)) },
      tally,
    );
    expect(tally.quarantined).toBe(0);

    const [erased] = (await erasureQueue(t.store)).answered.filter(
      (r) => r.subject === "subj-alice",
    );
    expect(erased).toMatchObject({ subject: "subj-alice", status: "erased" });
    expect(erased?.usedSince).toEqual([
      {
        service: "Audience matching",
        organisation: "AdReach Inc",
        thirdParty: true,
        categories: ["email"],
        lastSeen: later,
      },
    ]);
    // The subject reads the same on their own page; the open request has no such check.
    const own = await subjectErasureRequests(t.store, alice().subjectId);
    expect(own.map((request) => [request.status, request.usedSince?.length ?? null])).toEqual([
      ["open", null],
      ["erased", 1],
    ]);
    // Bob's request was refused: no erasure, so no use after it is anyone's evidence.
    const bobs = await subjectErasureRequests(t.store, ids.get("subj-bob") as number);
    expect(bobs.map((request) => [request.status, request.usedSince])).toEqual([["refused", null]]);
  });
});
