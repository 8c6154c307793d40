/**
 * Propagation within a batch (db/labels/batch.ts) reads the labels of the batch's ends in one
 * statement and writes what they gained in a later one. Another ingest may change one of those
 * rows in between (several bridges share a NATS consumer): the write must then unite with the
 * row as it is, not overwrite it with the set read before.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Store } from "../../../db/client";
import { propagateBatch } from "../../../db/labels/batch";
import { labelsOf, node, rel, source, store } from "../../factories/labels";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";

describe.each(STORE_KINDS)("propagation within a batch on %s", (kind) => {
  let t: TestStore;

  beforeAll(async () => {
    t = await createTestStore(kind);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("unites with a row another ingest changed between its read and its write", async () => {
    // a holds s1's email; b holds s2's email (from the start); c is a third subject's source.
    await store(
      t.store,
      [
        node("bx:e1", "entity", source("bx-s1", "email")),
        node("bx:a", "activity"),
        node("bx:e2", "entity", source("bx-s2", "email")),
        node("bx:b", "activity"),
        node("bx:e3", "entity", source("bx-s3", "email")),
      ],
      [rel("cf:bx:r1", "used", "bx:a", "bx:e1"), rel("cf:bx:r2", "used", "bx:b", "bx:e2")],
    );
    // Between the read and the write, b's row gains s3's label (as another ingest would).
    const [label] = await t.store.rows<{ s3: number }>(sql`
      select l.id as s3 from labels l join subjects s on s.id = l.subject_id
      where s.ref = 'bx-s3'`);
    const s3 = Number(label?.s3);
    let calls = 0;
    const racing: Store = {
      ...t.store,
      async rows(query, executor) {
        calls += 1;
        if (calls === 2) {
          await (executor ?? t.store.db).execute(sql`
            with united as (
              select array_agg(distinct v order by v) as ids
              from node_labels nl join label_sets ls on ls.id = nl.label_set_id,
                   unnest(ls.label_ids || ${s3}::integer) as v
              where nl.node_ext_id = 'bx:b' and nl.since = '-infinity'
            ),
            interned as (
              insert into label_sets (digest, label_ids)
              select md5(array_to_string(ids, ',')), ids from united
              on conflict (digest) do update set digest = excluded.digest
              returning id
            )
            update node_labels set label_set_id = (select id from interned)
            where node_ext_id = 'bx:b' and since = '-infinity'`);
        }
        return t.store.rows(query, executor);
      },
    };
    await t.store.db.transaction(async (tx) => {
      const changed = await propagateBatch(racing, tx, [
        { id: "cf:bx:r3", from: "bx:b", to: "bx:a", at: null, ordered: true },
      ]);
      expect(changed).toEqual(["bx:b"]);
    });
    expect(calls).toBe(2);
    expect(await labelsOf(t.store, "bx:b")).toEqual([
      "bx:b bx-s1/email ordered always",
      "bx:b bx-s2/email ordered always",
      "bx:b bx-s3/email ordered always",
    ]);
  });
});
