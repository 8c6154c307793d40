/**
 * Property: labels and flows do not depend on arrival order. A random graph (generic PROV with
 * and without prov:time, CamFlow-ordered relations, cycles allowed, sources, services, a
 * consent purpose) is stored once whole, and once as its elements shuffled into random batches;
 * both must give the same labels and the same flows. Each run uses its own id prefix, subjects
 * and services, so runs share one store.
 */
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { declarePurpose, recordConsent } from "../../../db/labels/rules";
import type { NodeKind, ProvNode, ProvRelation, RelationKind } from "../../../db/prov/model";
import { flowsOf, labelsOf, node, rel, source, store } from "../../factories/labels";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";

interface Shape {
  kinds: NodeKind[];
  edges: { from: number; to: number; minute: number | null; camflow: boolean }[];
  sources: { node: number; subject: number; category: "email" | "phone" }[];
  services: (0 | 1 | null)[];
}

const shapeArb: fc.Arbitrary<Shape> = fc.integer({ min: 4, max: 12 }).chain((size) =>
  fc.record({
    kinds: fc.array(fc.constantFrom<NodeKind>("entity", "activity"), {
      minLength: size,
      maxLength: size,
    }),
    edges: fc.array(
      fc.record({
        from: fc.nat(size - 1),
        to: fc.nat(size - 1),
        minute: fc.option(fc.integer({ min: 0, max: 59 }), { freq: 4 }),
        camflow: fc.boolean(),
      }),
      { minLength: 1, maxLength: size * 2 },
    ),
    sources: fc.array(
      fc.record({
        node: fc.nat(size - 1),
        subject: fc.nat(2),
        category: fc.constantFrom("email" as const, "phone" as const),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    services: fc.array(fc.constantFrom<0 | 1 | null>(0, 1, null, null), {
      minLength: size,
      maxLength: size,
    }),
  }),
);

/** The PROV relation kind between two node kinds (data flows to -> from). */
function kindBetween(from: NodeKind, to: NodeKind): RelationKind {
  if (from === "activity") return to === "entity" ? "used" : "wasInformedBy";
  return to === "activity" ? "wasGeneratedBy" : "wasDerivedFrom";
}

function buildGraph(
  shape: Shape,
  prefix: string,
): { nodes: ProvNode[]; relations: ProvRelation[] } {
  const id = (i: number) => `${prefix}:n${i}`;
  // The first statement of a node wins, so one source per node.
  const sourceOf = new Map(shape.sources.map((s) => [s.node, s]));
  const nodes = shape.kinds.map((kind, i) => {
    const src = sourceOf.get(i);
    const service = shape.services[i];
    return node(id(i), kind, {
      ...(src
        ? source(`${prefix}-s${src.subject}`, src.category, { "gdpr:purpose": `${prefix}-news` })
        : {}),
      ...(service === null || service === undefined
        ? {}
        : { "gdpr:service": `${prefix}-S${service}` }),
    });
  });
  const relations = shape.edges.map((edge, i) => {
    const from = shape.kinds[edge.from] ?? "entity";
    const to = shape.kinds[edge.to] ?? "entity";
    const minute =
      edge.minute === null ? null : `2026-11-01T12:${String(edge.minute).padStart(2, "0")}:00Z`;
    // CamFlow relations are ordered by versions: their ids are cf:, their time only cf:date.
    return edge.camflow
      ? rel(`cf:${prefix}:r${i}`, kindBetween(from, to), id(edge.from), id(edge.to), null, {
          "cf:date": "2026:11:01T12:30:00",
        })
      : rel(`${prefix}:r${i}`, kindBetween(from, to), id(edge.from), id(edge.to), minute);
  });
  return { nodes, relations };
}

describe.each(STORE_KINDS)("labels do not depend on arrival order on %s", (kind) => {
  let t: TestStore;
  let run = 0;

  beforeAll(async () => {
    t = await createTestStore(kind);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  /** Consent for purpose `<prefix>-news` of service `<prefix>-S0`: given at :20, withdrawn at :40. */
  async function prepare(prefix: string): Promise<void> {
    await t.store.db.execute(sql`
      insert into subjects (ref)
      select ${prefix} || '-s' || i from generate_series(0, 2) as i on conflict do nothing`);
    await declarePurpose(t.store, {
      key: `${prefix}-news`,
      service: `${prefix}-S0`,
      legalBasis: "consent",
    });
    for (const i of [0, 1, 2]) {
      const event = { subject: `${prefix}-s${i}`, purpose: `${prefix}-news`, how: "test" };
      await recordConsent(t.store, {
        ...event,
        action: "given",
        at: new Date("2026-11-01T12:20:00Z"),
      });
      await recordConsent(t.store, {
        ...event,
        action: "withdrawn",
        at: new Date("2026-11-01T12:40:00Z"),
      });
    }
  }

  const strip = (prefix: string, lines: string[]) =>
    lines.map((line) => line.replaceAll(prefix, "P"));

  it("gives identical labels and flows for random orders and batch splits", async () => {
    await fc.assert(
      fc.asyncProperty(
        shapeArb.chain((shape) => {
          const elements = shape.kinds.length + shape.edges.length;
          return fc.tuple(
            fc.constant(shape),
            fc.array(fc.double({ noNaN: true }), { minLength: elements, maxLength: elements }),
            fc.array(fc.nat(elements), { maxLength: 6 }),
          );
        }),
        async ([shape, sortKeys, cuts]) => {
          run += 1;
          const whole = `ord${run}w`;
          const split = `ord${run}s`;
          await prepare(whole);
          await prepare(split);
          const a = buildGraph(shape, whole);
          await store(t.store, a.nodes, a.relations);

          const b = buildGraph(shape, split);
          const elements: (ProvNode | ProvRelation)[] = [...b.nodes, ...b.relations];
          const shuffled = elements
            .map((element, i) => ({ element, key: sortKeys[i] ?? 0 }))
            .sort((x, y) => x.key - y.key)
            .map((x) => x.element);
          const bounds = [...new Set([0, ...cuts, shuffled.length])].sort((x, y) => x - y);
          for (let i = 0; i + 1 < bounds.length; i++) {
            const batch = shuffled.slice(bounds[i], bounds[i + 1]);
            await store(
              t.store,
              batch.filter((e): e is ProvNode => "attributes" in e && !("from" in e)),
              batch.filter((e): e is ProvRelation => "from" in e),
            );
          }
          expect(strip(split, await labelsOf(t.store, `${split}:`))).toEqual(
            strip(whole, await labelsOf(t.store, `${whole}:`)),
          );
          expect(strip(split, await flowsOf(t.store, `${split}-`))).toEqual(
            strip(whole, await flowsOf(t.store, `${whole}-`)),
          );
        },
      ),
      { numRuns: kind === "pglite" ? 25 : 12 },
    );
  }, 300_000);
});
