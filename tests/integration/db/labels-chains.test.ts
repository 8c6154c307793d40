/**
 * Nodes without label rows (decision 45): a node whose only data-carrying relation is ordered by
 * versions keeps no node_labels row, and its labels are resolved when read (node_label_rows,
 * migration 0017) by following its relations back to the nearest nodes that have rows. These
 * tests check which nodes keep rows, that reads resolve the right labels through such chains,
 * and that labels arriving later, or a second relation into a node without rows, still reach
 * everything downstream.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subjectsHeldByNode } from "../../../db/queries/flows";
import { labelsOf, node, rel, source, store, subjectsOn } from "../../factories/labels";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";

const date = { "cf:date": "2026:11:01T12:30:00" };
const window = {
  from: new Date("2026-01-01T00:00:00Z"),
  to: new Date("2027-01-01T00:00:00Z"),
};

describe.each(STORE_KINDS)("label chains without rows on %s", (kind) => {
  let t: TestStore;

  beforeAll(async () => {
    t = await createTestStore(kind);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  async function rowsOf(prefix: string): Promise<string[]> {
    const rows = await t.store.rows<{ node: string }>(sql`
      select distinct node_ext_id as node from node_labels
      where node_ext_id like ${`${prefix}%`} order by 1`);
    return rows.map((row) => row.node);
  }

  it("keeps rows only where a node has a source or two relations in, and reads resolve the rest", async () => {
    // x (source) -> a -> b -> d <- e (source); all CamFlow, ordered by versions.
    await store(
      t.store,
      [
        node("cf:ch1:x", "entity", source("ch1-ann", "email")),
        node("cf:ch1:a", "activity", date),
        node("cf:ch1:b", "entity", date),
        node("cf:ch1:e", "entity", source("ch1-bob", "phone")),
        node("cf:ch1:d", "activity", date),
      ],
      [
        rel("cf:ch1:r1", "used", "cf:ch1:a", "cf:ch1:x", null, date),
        rel("cf:ch1:r2", "wasGeneratedBy", "cf:ch1:b", "cf:ch1:a", null, date),
        rel("cf:ch1:r3", "used", "cf:ch1:d", "cf:ch1:b", null, date),
        rel("cf:ch1:r4", "used", "cf:ch1:d", "cf:ch1:e", null, date),
      ],
    );
    expect(await rowsOf("cf:ch1:")).toEqual(["cf:ch1:d", "cf:ch1:e", "cf:ch1:x"]);
    expect(await labelsOf(t.store, "cf:ch1:")).toEqual([
      "cf:ch1:a ch1-ann/email ordered always",
      "cf:ch1:b ch1-ann/email ordered always",
      "cf:ch1:d ch1-ann/email ordered always",
      "cf:ch1:d ch1-bob/phone ordered always",
      "cf:ch1:e ch1-bob/phone ordered always",
      "cf:ch1:x ch1-ann/email ordered always",
    ]);
    expect(await subjectsOn(t.store, "cf:ch1:b")).toEqual(["ch1-ann"]);
    expect(await subjectsHeldByNode(t.store, "cf:ch1:b", window)).toEqual(["ch1-ann"]);
  });

  it("carries labels that arrive later through nodes without rows to those downstream", async () => {
    await store(
      t.store,
      [
        node("cf:ch2:x", "entity", source("ch2-ann", "email")),
        node("cf:ch2:a", "activity", date),
        node("cf:ch2:b", "entity", date),
        node("cf:ch2:e", "entity", date),
        node("cf:ch2:d", "activity", date),
      ],
      [
        rel("cf:ch2:r1", "used", "cf:ch2:a", "cf:ch2:x", null, date),
        rel("cf:ch2:r2", "wasGeneratedBy", "cf:ch2:b", "cf:ch2:a", null, date),
        rel("cf:ch2:r3", "used", "cf:ch2:d", "cf:ch2:b", null, date),
        rel("cf:ch2:r4", "used", "cf:ch2:d", "cf:ch2:e", null, date),
      ],
    );
    // Later: a new source feeds x (x has rows: a source); its label must pass a and b (no
    // rows) and reach d (rows: two relations in).
    await store(
      t.store,
      [node("cf:ch2:y", "entity", source("ch2-bob", "phone"))],
      [rel("cf:ch2:r5", "wasDerivedFrom", "cf:ch2:x", "cf:ch2:y", null, date)],
    );
    expect(await rowsOf("cf:ch2:")).toEqual(["cf:ch2:d", "cf:ch2:x", "cf:ch2:y"]);
    expect(await subjectsOn(t.store, "cf:ch2:b")).toEqual(["ch2-ann", "ch2-bob"]);
    expect(await subjectsOn(t.store, "cf:ch2:d")).toEqual(["ch2-ann", "ch2-bob"]);
    // d's row itself holds both (a reader that trusts rows sees everything).
    const [row] = await t.store.rows<{ n: number }>(sql`
      select cardinality(ls.label_ids) as n from node_labels nl
      join label_sets ls on ls.id = nl.label_set_id where nl.node_ext_id = 'cf:ch2:d'`);
    expect(row?.n).toBe(2);
  });

  it("gives a node without rows a row holding what it had once a second relation reaches it", async () => {
    await store(
      t.store,
      [
        node("cf:ch3:x", "entity", source("ch3-ann", "email")),
        node("cf:ch3:a", "activity", date),
        node("cf:ch3:b", "entity", date),
      ],
      [
        rel("cf:ch3:r1", "used", "cf:ch3:a", "cf:ch3:x", null, date),
        rel("cf:ch3:r2", "wasGeneratedBy", "cf:ch3:b", "cf:ch3:a", null, date),
      ],
    );
    expect(await rowsOf("cf:ch3:")).toEqual(["cf:ch3:x"]);
    // A second relation into a, from another source: a keeps a row with both labels, and b
    // (still one relation in) resolves both through it.
    await store(
      t.store,
      [node("cf:ch3:z", "entity", source("ch3-bob", "phone"))],
      [rel("cf:ch3:r3", "used", "cf:ch3:a", "cf:ch3:z", null, date)],
    );
    expect(await rowsOf("cf:ch3:")).toEqual(["cf:ch3:a", "cf:ch3:x", "cf:ch3:z"]);
    const [row] = await t.store.rows<{ n: number }>(sql`
      select cardinality(ls.label_ids) as n from node_labels nl
      join label_sets ls on ls.id = nl.label_set_id where nl.node_ext_id = 'cf:ch3:a'`);
    expect(row?.n).toBe(2);
    expect(await subjectsOn(t.store, "cf:ch3:b")).toEqual(["ch3-ann", "ch3-bob"]);
  });

  it("resolves through a version chain into a relation ordered by time, from that time on", async () => {
    // Generic PROV: req used the form at 12:05 and keeps a row (ordered by prov:time);
    // cf:ch4:copy follows it by versions and keeps none, and holds the label from the start
    // (versions order it), as propagation would have given it.
    await store(
      t.store,
      [
        node("ch4:form", "entity", source("ch4-ann", "email")),
        node("ch4:req", "activity"),
        node("cf:ch4:copy", "entity", date),
      ],
      [
        rel("ch4:u", "used", "ch4:req", "ch4:form", "2026-11-01T12:05:00Z"),
        rel("cf:ch4:g", "wasGeneratedBy", "cf:ch4:copy", "ch4:req", null, date),
      ],
    );
    expect(await rowsOf("ch4:")).toEqual(["ch4:form", "ch4:req"]);
    expect(await rowsOf("cf:ch4:")).toEqual([]);
    expect(await labelsOf(t.store, "cf:ch4:")).toEqual([
      "cf:ch4:copy ch4-ann/email ordered always",
    ]);
    expect(await labelsOf(t.store, "ch4:req")).toEqual([
      "ch4:req ch4-ann/email ordered 2026-11-01T12:05:00",
    ]);
  });
});
