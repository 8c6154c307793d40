/**
 * The in-memory part of propagation (db/labels/batch.ts): which statements carry data and how
 * they are ordered, and the fixpoint over a batch. The store-level behaviour (the same labels
 * whatever the order and the batches) is tested against both stores in
 * tests/integration/db/labels-order.test.ts.
 */
import { describe, expect, it } from "vitest";
import { type BatchFlow, batchFlowOf, fixpoint } from "../../../db/labels/batch";
import type { ProvRelation } from "../../../db/prov/model";

const START = Number.NEGATIVE_INFINITY;
const relation = (over: Partial<ProvRelation>): ProvRelation => ({
  id: "r1",
  kind: "used",
  from: "a",
  to: "e",
  time: null,
  attributes: {},
  ...over,
});
const us = (iso: string) => Date.parse(iso) * 1000;
const held = (entries: [number, number[]][]) =>
  new Map(entries.map(([since, labels]) => [since, new Set(labels)]));
const plain = (result: Map<string, Map<number, Iterable<number>>>) =>
  Object.fromEntries(
    [...result].map(([node, rows]) => [
      node,
      [...rows].map(([since, labels]) => [since, [...labels].sort((a, b) => a - b)]),
    ]),
  );

describe("batchFlowOf", () => {
  it("orders by prov:time, in microseconds", () => {
    expect(batchFlowOf(relation({ time: "2026-11-01T12:00:00.250Z" }))).toEqual({
      id: "r1",
      from: "a",
      to: "e",
      at: us("2026-11-01T12:00:00.250Z"),
      ordered: true,
    });
  });

  it("orders CamFlow and SPADE by versions (no time), and leaves other PROV unordered", () => {
    const camflow = relation({ id: "cf:1", attributes: { "cf:date": "2026:11:01T12:00:00" } });
    expect(batchFlowOf(camflow)).toMatchObject({ at: null, ordered: true });
    expect(batchFlowOf(relation({ id: "spade:7" }))).toMatchObject({ at: null, ordered: true });
    expect(batchFlowOf(relation({ id: "app:9" }))).toMatchObject({ at: null, ordered: false });
  });

  it("carries nothing along a loop, a denied flow or a kind that carries no data", () => {
    expect(batchFlowOf(relation({ to: "a" }))).toBeNull();
    expect(batchFlowOf(relation({ attributes: { "cf:allowed": "false" } }))).toBeNull();
    expect(batchFlowOf(relation({ attributes: { allowed: false } }))).toBeNull();
    expect(batchFlowOf(relation({ kind: "wasAssociatedWith" }))).toBeNull();
    // As PostgreSQL's ->> reads them: a typed literal is not the text "false"; cf:allowed wins.
    expect(batchFlowOf(relation({ attributes: { "cf:allowed": { $: "false" } } }))).not.toBeNull();
    expect(
      batchFlowOf(relation({ attributes: { "cf:allowed": "true", allowed: "false" } })),
    ).not.toBeNull();
  });
});

describe("fixpoint", () => {
  const t = (minute: number) => us(`2026-11-01T12:${String(minute).padStart(2, "0")}:00Z`);
  const flow = (from: string, to: string, at: number | null, ordered = true): BatchFlow => ({
    id: `${from}<${to}`,
    from,
    to,
    at,
    ordered,
  });

  it("follows a chain in time order, and not backwards in time", () => {
    // e (label 1 from the start) -> p at :10 -> f at :20; p wrote g at :05, before it read e.
    const flows = [flow("p", "e", t(10)), flow("f", "p", t(20)), flow("g", "p", t(5))];
    const gained = fixpoint(flows, new Map([["e", held([[START, [1]]])]]));
    expect(plain(gained)).toEqual({ p: [[t(10), [1]]], f: [[t(20), [1]]] });
  });

  it("gives unordered flows the label's twin, from the start, and keeps what is held", () => {
    const stored = new Map([
      ["e", held([[START, [1, 2]]])],
      ["a", held([[START, [-1]]])],
    ]);
    const gained = fixpoint([flow("a", "e", null, false)], stored);
    expect(plain(gained)).toEqual({ a: [[START, [-2]]] });
  });

  it("reaches a cycle's every node once, whatever order the flows come in", () => {
    const flows = [flow("b", "a", null), flow("c", "b", null), flow("a", "c", null)];
    for (const order of [flows, [...flows].reverse()]) {
      const gained = fixpoint(order, new Map([["a", held([[START, [7]]])]]));
      expect(plain(gained)).toEqual({ b: [[START, [7]]], c: [[START, [7]]] });
    }
  });

  it("keeps a label from the earliest time it arrives", () => {
    // d gets label 3 through x at :30 and through y at :10: it holds it from :10.
    const flows = [flow("x", "s", null), flow("d", "x", t(30)), flow("y", "s", null)];
    flows.push(flow("d", "y", t(10)));
    const gained = fixpoint(flows, new Map([["s", held([[START, [3]]])]]));
    expect(plain(gained).d).toEqual([[t(10), [3]]]);
  });
});
