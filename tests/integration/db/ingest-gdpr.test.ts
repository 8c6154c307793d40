/**
 * App-level provenance as applications post it: PROV-JSON with `gdpr:` annotations, under
 * whatever prefix the application binds to the gdpr namespace, as plain strings, typed literals
 * or arrays. Each backend must end with the subjects, categories, purposes, services and
 * personal-data sources they name, and report (not drop) annotations it cannot use.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IngestTally, ingestMessage } from "../../../capture-bridge/pipeline/ingest";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";

const GDPR = "https://provtopia.example/ns/gdpr#";

const DOCUMENT = {
  prefix: { g: GDPR, shop: "https://shop.example/prov/" },
  entity: {
    "shop:order-7": {
      "prov:type": "shop:Order",
      "g:subject": [
        { $: "subj-ann", type: "xsd:string" },
        { $: "subj-ben", type: "xsd:string" },
      ],
      "g:category": "postal-address",
      "g:purpose": "delivery",
      "g:consent": { $: "true", type: "xsd:boolean" },
      "g:service": "Checkout",
      "g:organisation": "Shop Ltd",
    },
    "shop:note": { "g:subject": "subj-ann" },
  },
  activity: { "shop:ship": { [`${GDPR}service`]: "Shipping" } },
  used: { "shop:u1": { "prov:activity": "shop:ship", "prov:entity": "shop:order-7" } },
  wasGeneratedBy: {
    "shop:g1": { "prov:entity": "shop:label", "prov:time": "2026-11-30T10:00:00Z" },
  },
};

describe.each(STORE_KINDS)("app-level gdpr provenance into %s", (kind) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore(kind);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("records sources for every subject, the purpose for the node's service, and the services", async () => {
    const tally = new IngestTally();
    await ingestMessage(
      t.store,
      {
        source: "http:shop",
        host: "shop-web-1",
        payload: new TextEncoder().encode(JSON.stringify(DOCUMENT)),
      },
      tally,
    );
    expect(tally.summary()).toEqual({ nodes: 3, relations: 1, new: 4, quarantined: 0 });
    // The generation without an activity, and the note's subject without a category.
    expect(tally.skipped).toEqual({ incomplete: 1, "unknown-section": 0, "gdpr-annotation": 1 });

    const sources = await t.store.rows(sql`
      select n.ext_id, s.ref as subject, c.key as category, p.key as purpose, ps.name as purpose_service
      from personal_data_sources pds
      join prov_nodes n on n.id = pds.node_id
      join subjects s on s.id = pds.subject_id
      join data_categories c on c.id = pds.category_id
      left join purposes p on p.id = pds.purpose_id
      left join services ps on ps.id = p.service_id
      order by s.ref`);
    expect(sources).toEqual([
      {
        ext_id: "https://shop.example/prov/order-7",
        subject: "subj-ann",
        category: "postal-address",
        purpose: "delivery",
        purpose_service: "Checkout",
      },
      {
        ext_id: "https://shop.example/prov/order-7",
        subject: "subj-ben",
        category: "postal-address",
        purpose: "delivery",
        purpose_service: "Checkout",
      },
    ]);

    const services = await t.store.rows(sql`
      select n.ext_id, s.name as service, o.name as organisation
      from prov_nodes n join services s on s.id = n.service_id
      left join organisations o on o.id = s.organisation_id order by n.ext_id`);
    expect(services).toEqual([
      {
        ext_id: "https://shop.example/prov/order-7",
        service: "Checkout",
        organisation: "Shop Ltd",
      },
      { ext_id: "https://shop.example/prov/ship", service: "Shipping", organisation: null },
    ]);

    const [order] = await t.store.rows<{ attributes: Record<string, unknown> }>(sql`
      select attributes from prov_nodes where ext_id = 'https://shop.example/prov/order-7'`);
    expect(order?.attributes["gdpr:consent"]).toEqual({ $: "true", type: "xsd:boolean" });
  });
});
