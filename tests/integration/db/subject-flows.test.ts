/** A subject's flow overview from the demo organisation's provenance, and only their own. */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subjectFlowOverview } from "../../../db/queries/subject-flows";
import { ingestDemoDocuments } from "../../factories/demo";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";

describe.each(STORE_KINDS)("subject flows on %s", (kind) => {
  let t: TestStore;
  const subjectIds = new Map<string, number>();
  const serviceNames = new Map<number, string>();

  beforeAll(async () => {
    t = await createTestStore(kind);
    const tally = await ingestDemoDocuments(t.store);
    expect(tally.quarantined).toBe(0);
    for (const row of await t.store.rows<{ id: number; ref: string }>(
      sql`select id, ref from subjects`,
    ))
      subjectIds.set(row.ref, row.id);
    for (const row of await t.store.rows<{ id: number; name: string }>(
      sql`select id, name from services`,
    ))
      serviceNames.set(row.id, row.name);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  const overview = async (ref: string) => {
    const id = subjectIds.get(ref);
    if (id === undefined) throw new Error(`no subject ${ref}`);
    return subjectFlowOverview(t.store, id);
  };
  const name = (id: number | null) => (id === null ? "(you)" : serviceNames.get(id));

  it("shows Alice every service her email address and her commit reached, with their organisations", async () => {
    const alice = await overview("subj-alice");
    expect(alice.subjectRef).toBe("subj-alice");
    expect(alice.categories).toEqual(["commit", "email"]);
    expect(alice.services.map((s) => [s.service, s.organisation, s.categories])).toEqual([
      ["CI", "SquareCI", ["commit"]],
      ["CRM", "Lumen Books", ["email"]],
      ["Flack", "FlackCo", ["commit"]],
      ["git", "gitCo", ["commit"]],
      ["Mail delivery", "PostHaste Ltd", ["email"]],
      ["Newsletter", "Lumen Books", ["email"]],
      ["Sign-up", "Lumen Books", ["email"]],
    ]);
    expect(
      alice.hops.map((h) => `${name(h.fromServiceId)} -> ${name(h.toServiceId)}`).sort(),
    ).toEqual(
      [
        "(you) -> Sign-up",
        "(you) -> git",
        "CI -> Flack",
        "CRM -> Newsletter",
        "Newsletter -> Mail delivery",
        "Sign-up -> CRM",
        "git -> CI",
      ].sort(),
    );
  });

  it("shows Bob only his own flows: sign-up and CRM, never Alice's newsletter", async () => {
    const bob = await overview("subj-bob");
    expect(bob.categories).toEqual(["email"]);
    expect(bob.services.map((s) => s.service)).toEqual(["CRM", "Sign-up"]);
    expect(bob.hops.map((h) => `${name(h.fromServiceId)} -> ${name(h.toServiceId)}`)).toEqual([
      "(you) -> Sign-up",
      "Sign-up -> CRM",
    ]);
  });

  it("gives a subject with no recorded data empty lists", async () => {
    const [row] = await t.store.rows<{ id: number }>(
      sql`insert into subjects (ref) values ('subj-nobody') returning id`,
    );
    const nobody = await subjectFlowOverview(t.store, row?.id ?? -1);
    expect(nobody).toEqual({ subjectRef: "subj-nobody", categories: [], services: [], hops: [] });
  });

  it("terminates on a cycle in the graph", async () => {
    // CRM contact informs the sign-up row back: a loop that must not make the walk run forever.
    await t.store.rows(sql`
      insert into prov_relations (ext_id, kind, from_ext_id, to_ext_id)
      values ('test:loop', 'wasDerivedFrom', 'https://lumen-books.example/prov/accounts-db/row/bob',
              'https://lumen-books.example/prov/crm/contact/bob')`);
    const bob = await overview("subj-bob");
    expect(bob.services.map((s) => s.service)).toEqual(["CRM", "Sign-up"]);
  });
});
