/**
 * CamFlow across versions and formats: the same vertex gets one id, kind and type whichever
 * version or format reported it (../shared/CAMFLOW.md §1.8, §1.9).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  camflowHost,
  camflowId,
  camflowTime,
  camflowVertexType,
  isCamflowNamespace,
} from "../../../../capture-bridge/formats/camflow";
import { parseProvJson, parseProvJsonText } from "../../../../capture-bridge/formats/prov-json";
import { parseSpadeRecords } from "../../../../capture-bridge/formats/spade-json";

const CAMFLOW = path.resolve("../shared/fixtures/camflow");
const KEY = "0123456789abcdef0123456789abcdef";
const PREFIX = { prov: "http://www.w3.org/ns/prov", cf: "http://www.camflow.org" };

function w3cLines(file: string) {
  return readFileSync(path.join(CAMFLOW, "w3c", file), "utf8")
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => parseProvJsonText(line, { documentKey: KEY }));
}

describe("camflow helpers", () => {
  it("gives bare 44-character base64 ids their cf: prefix and leaves other names alone", () => {
    expect(camflowId("AQAAAAAAAEAtowEAAAAAAAEAAAAykjc2AgAAAAAAAAA=")).toBe(
      "cf:AQAAAAAAAEAtowEAAAAAAAEAAAAykjc2AgAAAAAAAAA=",
    );
    expect(camflowId("635200317")).toBe("635200317");
    expect(camflowId("AQAA=")).toBe("AQAA=");
    expect(camflowId("cf:AQAAAAAAAEAtowEAAAAAAAEAAAAykjc2AgAAAAAAAAA=")).toBe(
      "cf:AQAAAAAAAEAtowEAAAAAAAEAAAAykjc2AgAAAAAAAAA=",
    );
  });

  it("reads every machine id form as cf:<n>, and machine id 0 as no host", () => {
    expect(camflowHost("cf:909611570")).toBe("cf:909611570");
    expect(camflowHost(340646718)).toBe("cf:340646718");
    expect(camflowHost("340646718")).toBe("cf:340646718");
    expect(camflowHost({ $: 7, type: "xsd:int" })).toBe("cf:7");
    expect(camflowHost("cf:0")).toBeNull();
    expect(camflowHost(0)).toBeNull();
    expect(camflowHost(-1)).toBeNull();
    expect(camflowHost(1.5)).toBeNull();
    expect(camflowHost(undefined)).toBeNull();
  });

  it("names vertex types as today's CamFlow does", () => {
    expect(camflowVertexType({ "prov:type": "fifo" })).toBe("pipe");
    expect(camflowVertexType({ "prov:type": "file_name" })).toBe("path");
    expect(camflowVertexType({ "prov:type": "cf:socket" })).toBe("socket");
    expect(camflowVertexType({ "cf:type": 65536, "prov:label": "[path] /etc/resolv.conf" })).toBe(
      "path",
    );
    expect(camflowVertexType({ object_type: "task" })).toBe("task");
    expect(camflowVertexType({ "prov:label": "no type here" })).toBeNull();
  });

  it("reads cf:date of every version as ISO 8601 UTC", () => {
    expect(camflowTime("2017:03:07T17:58:17")).toBe("2017-03-07T17:58:17Z");
    expect(camflowTime("2016:10:07T10:49:59.747")).toBe("2016-10-07T10:49:59.747Z");
    expect(camflowTime("yesterday")).toBeNull();
    expect(camflowTime(20170307)).toBeNull();
  });

  it("recognises CamFlow's namespace with or without a trailing separator", () => {
    expect(isCamflowNamespace("http://www.camflow.org")).toBe(true);
    expect(isCamflowNamespace("http://www.camflow.org/")).toBe(true);
    expect(isCamflowNamespace("http://example.org/cf#")).toBe(false);
    expect(isCamflowNamespace(undefined)).toBe(false);
  });
});

describe("W3C output of every version", () => {
  it("v0.2.2 (2017, bare ids, numeric machine id): ids and edge ends get cf:, host cf:<n>", () => {
    const graphs = w3cLines("camtool-v0.2.2-badlog.log");
    expect(graphs).toHaveLength(192);
    const ids = graphs.flatMap((g) => [
      ...g.nodes.map((n) => n.id),
      ...g.relations.map((r) => r.id),
    ]);
    // Only the legacy machine entity keeps its bare number; everything else is a cf: id.
    expect(ids.filter((id) => !id.startsWith("cf:"))).toEqual(["635200317"]);
    const ends = graphs.flatMap((g) => g.relations.flatMap((r) => [r.from, r.to]));
    expect(ends.every((end) => end.startsWith("cf:"))).toBe(true);
    // Even the document holding only the machine's vertex (no cf:machine_id) names it.
    expect(new Set(graphs.map((g) => g.host))).toEqual(new Set(["cf:635200317"]));
    // cf:date (2017:03:07T17:58:17) becomes each relation's ISO time.
    const times = graphs.flatMap((g) => g.relations.map((r) => r.time));
    expect(times.every((time) => time !== null && /^2017-03-07T\d\d:\d\d:\d\dZ$/.test(time))).toBe(
      true,
    );
    const types = new Set(graphs.flatMap((g) => g.nodes.map((n) => n.type)));
    expect(types).toContain("path"); // written file_name
    expect(types).toContain("pipe"); // written fifo
    expect(types).toContain("packet");
    expect(types).not.toContain("file_name");
  });

  it("v0.2.2 keeps cf:address as the nested object CamFlow writes", () => {
    const address = w3cLines("camtool-v0.2.2-badlog.log")
      .flatMap((g) => g.nodes)
      .find((n) => n.type === "address");
    expect(address?.attributes["cf:address"]).toMatchObject({ type: "AF_INET" });
  });

  it("v0.1.7 (2016, numeric cf:type): types come from the label", () => {
    const text = readFileSync(
      path.join(CAMFLOW, "w3c/cytoscape-v0.1.7-camflow-socket.json"),
      "utf8",
    );
    const graph = parseProvJsonText(text, { documentKey: KEY }); // one document, opening with a BOM
    const types = new Set(graph.nodes.map((n) => n.type));
    expect(types).toEqual(
      new Set(["machine", "path", "task", "socket", "file", "address", "packet"]),
    );
  });

  it("a partial document of today's format: relation before (without) its nodes, host cf:<n>", () => {
    const graph = parseProvJson(
      {
        prefix: PREFIX,
        wasGeneratedBy: {
          "cf:IAAAAAAAQIAMAAAAAAAAAAEAAAAykjc2AAAAAAAAAAA=": {
            "cf:id": "12",
            "prov:type": "write",
            "cf:machine_id": "cf:909611570",
            "prov:activity": "cf:AQAAAAAAAEAtowEAAAAAAAEAAAAykjc2AgAAAAAAAAA=",
            "prov:entity": "cf:AAEAAAAAACBSowEAAAAAAAEAAAAykjc2AQAAAAAAAAA=",
          },
        },
      },
      { documentKey: KEY },
    );
    expect(graph.nodes).toEqual([]);
    expect(graph.relations).toHaveLength(1);
    expect(graph.host).toBe("cf:909611570");
  });
});

describe("the same vertex in both formats", () => {
  it("is one id, kind and type (v0.8.0 SPADE capture vs the W3C document CAMFLOW.md §1.8 gives)", () => {
    const spade = parseSpadeRecords(
      readFileSync(path.join(CAMFLOW, "spade-json/android-v0.8.0-example-write-file.log"), "utf8")
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => JSON.parse(line) as unknown),
    );
    const w3c = parseProvJson(
      {
        prefix: PREFIX,
        activity: {
          "cf:AQAAAAAAAEAtowEAAAAAAAEAAAAykjc2AgAAAAAAAAA=": {
            "cf:id": "107309",
            "prov:type": "task",
            "cf:machine_id": "cf:909611570",
            "cf:version": 2,
          },
        },
        entity: {
          "cf:AAEAAAAAACBSowEAAAAAAAEAAAAykjc2AQAAAAAAAAA=": {
            "cf:id": "107346",
            "prov:type": "file",
            "cf:machine_id": "cf:909611570",
            "cf:version": 1,
          },
        },
        agent: {
          "cf:EAAAAAAAABQFFQAAAAAAAAEAAAAykjc2AQAAAAAAAAA=": {
            "cf:id": "5381",
            "prov:type": "machine",
            "cf:machine_id": "cf:909611570",
          },
        },
      },
      { documentKey: KEY },
    );
    for (const node of w3c.nodes) {
      const same = spade.nodes.find((n) => n.id === node.id);
      expect(same, node.id).toBeDefined();
      expect([same?.kind, same?.type]).toEqual([node.kind, node.type]);
    }
    expect(spade.host).toBe(w3c.host);
    expect(spade.host).toBe("cf:909611570");
  });
});
