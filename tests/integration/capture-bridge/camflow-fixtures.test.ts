/**
 * Every real CamFlow capture in ../shared/fixtures/camflow (2016 to 2023, W3C and SPADE JSON)
 * ingested through the file source on each backend: nothing quarantined, and the store holds
 * exactly the nodes and relations the files hold, counted independently of the parsers
 * (tests/factories/fixture-counts.ts). Then what a stream of partial documents from several hosts
 * does: relations before their nodes, packets joining two hosts, log strings, disclosed nodes.
 */
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IngestTally, ingestMessage } from "../../../capture-bridge/pipeline/ingest";
import { ingestFiles, listFiles } from "../../../capture-bridge/sources/files";
import { storeStats } from "../../../db/queries/stats";
import {
  CAMFLOW_FIXTURE_FILES,
  countCamflowFile,
  danglingIds,
  emptyCounts,
} from "../../factories/fixture-counts";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";

const CAMFLOW_DIR = path.resolve("../shared/fixtures/camflow");
const PREFIX = { prov: "http://www.w3.org/ns/prov", cf: "http://www.camflow.org" };

/** A real packet vertex of camtool-v0.2.2-badlog.log (its id carries no host). */
const PACKET_ID = "cf:AAAQAAAAACAnWAAACgACD8CoIQqFggBQBgAAAMdkGOQ=";
const PACKET = {
  "cf:id": 22567,
  "cf:seq": 3826803911,
  "cf:sender": "10.0.2.15:34178",
  "cf:receiver": "192.168.33.10:80",
  "prov:type": "packet",
  "cf:jiffies": "4296097724",
  "prov:label": "[packet] 10.0.2.15:34178->192.168.33.10:80 (22567)",
};

function message(host: string, document: unknown) {
  return {
    source: `test:${host}`,
    host: "fallback-host",
    payload: new TextEncoder().encode(JSON.stringify(document)),
  };
}

describe.each(STORE_KINDS)("CamFlow captures into %s", (kind) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore(kind);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("stores every fixture file whole: counts match an independent count, nothing quarantined", async () => {
    const { files, ignored } = await listFiles([CAMFLOW_DIR]);
    expect(files.map((f) => path.relative(CAMFLOW_DIR, f.path))).toEqual(CAMFLOW_FIXTURE_FILES);
    expect(ignored.map((f) => path.basename(f))).toEqual(["SOURCES.md"]);

    const all = emptyCounts();
    for (const file of files) {
      const own = countCamflowFile(file.path);
      countCamflowFile(file.path, all);
      const tally = new IngestTally();
      await ingestFiles(t.store, [file], { host: "operator-host", tally });
      expect(tally.summary(), file.path).toMatchObject({
        nodes: own.nodes.size,
        relations: own.relations.size,
        quarantined: 0,
      });
      expect(tally.skipped, file.path).toEqual({
        incomplete: 0,
        "unknown-section": 0,
        "gdpr-annotation": 0,
      });
    }
    const stats = await storeStats(t.store);
    expect(stats).toMatchObject({
      nodes: all.nodes.size,
      relations: all.relations.size,
      danglingNodes: danglingIds(all).length,
      quarantined: 0,
    });
    expect(stats.nodes).toBeGreaterThan(1000);
    expect(stats.danglingNodes).toBeGreaterThan(0);

    const again = new IngestTally();
    await ingestFiles(t.store, files, { host: "operator-host", tally: again });
    expect(again.newElements).toBe(0);
    expect(await storeStats(t.store)).toEqual(stats);
  });

  it("resolves relations that came before their nodes, and keeps reporting the ones never met", async () => {
    // Ids shaped like CamFlow's that no fixture holds.
    const task = "cf:AQAAAAAAAEB0YXNrAAAAAAEAAAAykjc2AgAAAAAAAAA=";
    const file = "cf:AAEAAAAAACBmaWxlAAAAAAEAAAAykjc2AQAAAAAAAAA=";
    const never = "cf:AAEAAAAAACD//////////wEAAAAykjc2AQAAAAAAAAA=";
    const write = (id: string, entity: string) => ({
      "cf:id": id,
      "prov:type": "write",
      "cf:machine_id": "cf:909611570",
      "prov:activity": task,
      "prov:entity": entity,
    });
    const before = await storeStats(t.store);
    await ingestMessage(
      t.store,
      message("edges", {
        prefix: PREFIX,
        wasGeneratedBy: {
          "cf:IAAAAAAAQIBlZGdlMQAAAAEAAAAykjc2AAAAAAAAAAA=": write("12", file),
          "cf:IAAAAAAAQIBlZGdlMgAAAAEAAAAykjc2AAAAAAAAAAA=": write("13", never),
        },
      }),
    );
    const waiting = await storeStats(t.store);
    expect(waiting.pending - before.pending).toBe(2);
    expect(waiting.danglingNodes - before.danglingNodes).toBe(3);

    await ingestMessage(
      t.store,
      message("nodes", {
        prefix: PREFIX,
        activity: { [task]: { "prov:type": "task", "cf:machine_id": "cf:909611570" } },
        entity: { [file]: { "prov:type": "file", "cf:machine_id": "cf:909611570" } },
      }),
    );
    const resolved = await storeStats(t.store);
    expect(resolved.pending - before.pending).toBe(1);
    expect(resolved.danglingNodes - before.danglingNodes).toBe(1);
  });

  it("joins two hosts through a packet both report, and keeps log strings and disclosed nodes", async () => {
    const receiver = (machine: string) => ({
      prefix: PREFIX,
      entity: {
        [PACKET_ID]: PACKET,
        "cf:AAEAAAAAACBzdHJpbmcAAAAAAAEAAAAykjc2AQAAAAAAAAA=": {
          "prov:type": "string",
          "cf:machine_id": machine,
          "cf:log": "user 42 logged in_",
          "prov:label": "[log] user 42 logged in_",
        },
        "cf:AAEAAAAAACBkaXNjAAAAAAAAAAEAAAAykjc2AQAAAAAAAAA=": {
          "prov:type": "disc_entity",
          "cf:machine_id": machine,
          "cf:hasParent": "cf:AQAAAAAAAEAtowEAAAAAAAEAAAAykjc2AgAAAAAAAAA=",
          "gdpr:subject": "subj-camflow",
          "gdpr:category": "order",
        },
      },
    });
    await ingestMessage(
      t.store,
      message("sender", {
        prefix: PREFIX,
        entity: { [PACKET_ID]: PACKET },
        activity: {
          "cf:AQAAAAAAAEB4eHh4AAAAAAEAAAAzMzMzAgAAAAAAAAA=": {
            "prov:type": "task",
            "cf:machine_id": 858993459,
          },
        },
      }),
    );
    await ingestMessage(t.store, message("receiver", receiver("cf:909611570")));

    const hostsOfPacket = await t.store.rows<{ name: string }>(sql`
      select h.name from prov_nodes n join prov_node_hosts nh on nh.node_id = n.id
      join hosts h on h.id = nh.host_id where n.ext_id = ${PACKET_ID} order by h.name`);
    // The badlog capture reported it too (machine 635200317), so three hosts see one packet.
    expect(hostsOfPacket.map((h) => h.name)).toEqual([
      "cf:635200317",
      "cf:858993459",
      "cf:909611570",
    ]);
    const rows = await t.store.rows<{ prov_type: string; subject: string | null }>(sql`
      select n.prov_type, s.ref as subject from prov_nodes n
      left join personal_data_sources p on p.node_id = n.id
      left join subjects s on s.id = p.subject_id
      where n.prov_type in ('string', 'disc_entity') order by n.prov_type`);
    expect(rows).toEqual([
      { prov_type: "disc_entity", subject: "subj-camflow" },
      { prov_type: "string", subject: null },
    ]);
  });
});
