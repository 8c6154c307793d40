import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  isSpadeRecord,
  parseSpadeRecords,
  SpadeFormatError,
} from "../../../../capture-bridge/formats/spade-json";

const SPADE_DIR = path.resolve("../shared/fixtures/camflow/spade-json");
const records = (file: string) =>
  readFileSync(path.join(SPADE_DIR, file), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as unknown);

describe("parseSpadeRecords", () => {
  // Distinct vertex ids and edge ids, counted independently of the parser (one JSON object a line).
  it.each([
    ["android-v0.8.0-example-write-file.log", 13, 14],
    ["android-v0.8.0-example-write-file-noprop.log", 13, 14],
    ["android-v0.8.0-example-cp.log", 39, 47],
    ["android-v0.8.0-example-cp-filter-applied.log", 16, 36],
  ])("reads %s: %i vertices, %i edges", (file, vertices, edges) => {
    const graph = parseSpadeRecords(records(file));
    expect(graph.nodes).toHaveLength(vertices);
    expect(new Set(graph.relations.map((r) => r.id)).size).toBe(edges);
    expect(graph.host).toMatch(/^cf:\d+$/);
  });

  it("prefixes ids with cf: as the W3C format does, and keeps SPADE's effect -> cause as from -> to", () => {
    const graph = parseSpadeRecords([
      {
        type: "Activity",
        id: "AAA=",
        annotations: { object_type: "task", "cf:machine_id": "cf:7" },
      },
      { type: "Entity", id: "BBB=", annotations: { object_type: "file" } },
      {
        type: "Used",
        from: "AAA=",
        to: "BBB=",
        annotations: { id: "EEE=", relation_type: "read" },
      },
    ]);
    expect(graph.nodes.map((n) => [n.id, n.kind, n.type])).toEqual([
      ["cf:AAA=", "activity", "task"],
      ["cf:BBB=", "entity", "file"],
    ]);
    expect(graph.relations).toEqual([
      {
        id: "cf:EEE=",
        kind: "used",
        from: "cf:AAA=",
        to: "cf:BBB=",
        time: null,
        attributes: { id: "EEE=", relation_type: "read" },
      },
    ]);
    expect(graph.host).toBe("cf:7");
  });

  it("tells SPADE records from PROV-JSON documents", () => {
    expect(isSpadeRecord({ type: "Entity", id: "x" })).toBe(true);
    expect(isSpadeRecord({ type: "WasGeneratedBy", from: "a", to: "b" })).toBe(true);
    expect(isSpadeRecord({ prefix: {}, entity: {} })).toBe(false);
    expect(isSpadeRecord({ type: "Nonsense", id: "x" })).toBe(false);
    expect(isSpadeRecord([])).toBe(false);
  });

  it.each([
    [{ type: "Used", from: "a" }, /record 0 \(Used\) to: expected a non-empty string/],
    [{ type: "Entity", id: "" }, /record 0 \(Entity\) id: expected a non-empty string/],
    [{ type: "Entity", id: "x", annotations: [] }, /expected "annotations" to be an object/],
    [{ entity: {} }, /record 0: not a SPADE vertex or edge/],
  ])("rejects %j", (record, message) => {
    expect(() => parseSpadeRecords([record])).toThrow(SpadeFormatError);
    expect(() => parseSpadeRecords([record])).toThrow(message);
  });
});
