/**
 * A subject's copy of their data on the demo organisation: everything about them and nothing
 * about anyone else, and evidence that checks out with nothing but the document itself and the
 * log's key: each source's ledger record hashes to its leaf hash, the inclusion proof reaches
 * the root of a checkpoint the log's key signed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCheckpoint } from "../../../db/ledger/checkpoint";
import { hashLeaf, verifyInclusion } from "../../../db/ledger/merkle";
import { parseVerifierKey } from "../../../db/ledger/note";
import { subjectFlowSummaries } from "../../../db/queries/flows";
import {
  SUBJECT_EXPORT_FORMAT,
  type SubjectExport,
  subjectExport,
} from "../../../db/queries/subject-export";
import { ALICE_ACCOUNT, seedDemoStore } from "../../factories/demo";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";

const b64 = (text: string) => new Uint8Array(Buffer.from(text, "base64"));

describe.each(STORE_KINDS)("a subject's copy of their data on %s", (kind) => {
  let t: TestStore;
  let alice: SubjectExport;
  let bob: SubjectExport;
  let carol: SubjectExport;

  beforeAll(async () => {
    t = await createTestStore(kind);
    const ids = await seedDemoStore(t.store, { accounts: [ALICE_ACCOUNT], checkpoint: true });
    const now = new Date("2026-12-01T12:00:00Z");
    const exportOf = async (ref: string) => {
      const copy = await subjectExport(t.store, ids.get(ref) ?? -1, now);
      if (!copy) throw new Error(`no export for ${ref}`);
      return copy;
    };
    alice = await exportOf("subj-alice");
    bob = await exportOf("subj-bob");
    carol = await exportOf("subj-carol");
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("holds the subject's personal data as recorded, with where and when it was collected", () => {
    expect(alice.format).toBe(SUBJECT_EXPORT_FORMAT);
    expect(alice.generatedAt).toBe("2026-12-01T12:00:00.000Z");
    expect(alice.subject).toEqual({ ref: "subj-alice", displayName: "Alice Martin" });
    expect(alice.accounts).toEqual([
      { email: "alice@example.org", displayName: "Alice Martin", createdAt: expect.any(String) },
    ]);
    expect(JSON.stringify(alice)).not.toMatch(/password|secret|session/i);
    expect([...new Set(alice.personalData.map((d) => d.category))].sort()).toEqual([
      "commit",
      "email",
    ]);
    for (const item of alice.personalData) {
      expect(item.node.hosts.length).toBeGreaterThan(0);
      expect(item.node.firstSeen).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
    expect(alice.personalData.map((d) => d.node.id)).toContain(
      "https://lumen-books.example/prov/signup-form/alice",
    );
    expect(
      alice.personalData.find((d) => d.node.id.endsWith("/signup-form/alice"))?.node.attributes,
    ).toMatchObject({ "gdpr:subject": "subj-alice", "gdpr:category": "email" });
  });

  it("names the recipients, purposes with basis and retention, consent history and blocks", async () => {
    const flows = (await subjectFlowSummaries(t.store, "subj-alice")) ?? [];
    expect(alice.recipients).toHaveLength(flows.length);
    const posthaste = alice.recipients.find((r) => r.organisation === "PostHaste Ltd");
    expect(posthaste).toMatchObject({ service: "Mail delivery", thirdParty: true });
    expect(alice.recipients.find((r) => r.service === "CRM")?.thirdParty).toBe(false);
    expect(alice.recipients.find((r) => r.service === "Flack")?.status).toBe("after-block");
    expect(alice.purposes.find((p) => p.key === "newsletter")).toEqual({
      key: "newsletter",
      legalBasis: "consent",
      service: "Newsletter",
      retentionDays: 365,
    });
    expect(alice.consent.map((c) => [c.purpose, c.action, c.at])).toEqual([
      ["newsletter", "given", "2026-10-01T09:30:00Z"],
      ["newsletter", "withdrawn", "2026-11-01T18:00:00Z"],
    ]);
    expect(alice.blocks).toEqual([
      {
        service: null,
        organisation: "FlackCo",
        category: null,
        since: "2026-11-05T10:00:00Z",
        lifted: null,
        how: "portal: never again",
      },
    ]);
  });

  it("holds nothing of another subject", () => {
    const aliceText = JSON.stringify(alice);
    expect(aliceText).not.toContain("subj-bob");
    expect(aliceText).not.toContain("signup-form/bob");
    const bobText = JSON.stringify(bob);
    expect(bobText).toContain("signup-form/bob");
    expect(bobText).not.toContain("subj-alice");
    expect(bobText).not.toContain("signup-form/alice");
    expect(bob.recipients.map((r) => r.service).sort()).toEqual(["Backups", "CRM", "Sign-up"]);
    expect(bob.consent).toEqual([]);
    expect(bob.blocks).toEqual([]);
    expect(bob.erasureRequests).toEqual([]);
    expect(JSON.stringify(carol)).not.toContain("subj-alice");
  });

  it("holds the subject's erasure requests, whom the DPO told, and where the data went since", () => {
    expect(alice.erasureRequests).toEqual([]);
    expect(carol.erasureRequests).toEqual([
      {
        requestedAt: "2026-11-03T08:12:00Z",
        dueAt: "2026-12-03T08:12:00Z",
        status: "erased",
        answeredAt: "2026-11-06T16:40:00Z",
        answer: expect.stringContaining("erased on 6 November"),
        recipientsTold: [],
        usedSinceAnswer: [
          {
            service: "Audience matching",
            organisation: "AdReach Inc",
            lastSeen: "2026-11-20T03:00:00Z",
          },
        ],
      },
    ]);
    // Nothing of the DPO who answered: the answer is the organisation's.
    expect(JSON.stringify(carol.erasureRequests)).not.toContain("lumen-books.example");
  });

  it("proves each source's ledger record against a checkpoint the log's key signed", () => {
    expect(alice.unprovenSources).toBe(0);
    for (const { evidence } of [...alice.personalData, ...bob.personalData]) {
      if (!evidence) throw new Error("a source without evidence");
      const leafHash = hashLeaf(new Uint8Array(Buffer.from(evidence.leaf, "utf8")));
      expect(Buffer.from(leafHash).toString("base64")).toBe(evidence.leafHash);
      const root = b64(evidence.rootHash);
      const proof = evidence.proof.map(b64);
      expect(verifyInclusion(leafHash, evidence.index, evidence.treeSize, proof, root)).toBe(true);

      const key = alice.logKeys[evidence.log] ?? bob.logKeys[evidence.log];
      expect(key, `a key for ${evidence.log}`).toBeDefined();
      expect(evidence.checkpoint).not.toBeNull();
      const { checkpoint } = openCheckpoint(
        evidence.checkpoint ?? "",
        parseVerifierKey(key ?? ""),
        evidence.log,
      );
      expect(checkpoint.size).toBe(evidence.treeSize);
      expect(Buffer.from(checkpoint.rootHash).toString("base64")).toBe(evidence.rootHash);
      // The record names its own log and position: it cannot be passed off as another's.
      const record = JSON.parse(evidence.leaf) as { origin: string; seq: number };
      expect([record.origin, record.seq]).toEqual([evidence.log, evidence.index]);
    }
    // A changed leaf does not verify against the same proof.
    const [first] = alice.personalData;
    const evidence = first?.evidence;
    if (!evidence) throw new Error("no evidence");
    const forged = hashLeaf(new Uint8Array(Buffer.from(`${evidence.leaf} `, "utf8")));
    expect(
      verifyInclusion(
        forged,
        evidence.index,
        evidence.treeSize,
        evidence.proof.map(b64),
        b64(evidence.rootHash),
      ),
    ).toBe(false);
  });
});
