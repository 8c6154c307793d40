/**
 * What CamFlow capture files hold, counted without the bridge's parsers: JSON.parse on each
 * line (or the whole file), then the keys of the vertex and edge sections (W3C) or the `id` /
 * `annotations.id` of each record (SPADE JSON). Tests compare the store with these counts.
 *
 * The one rule shared with the parser is CamFlow's own: a pre-2017 bare base64 id is the same
 * element as its `cf:`-prefixed form (../shared/CAMFLOW.md §1.2).
 */
import { readFileSync } from "node:fs";

/** The capture files in ../shared/fixtures/camflow, relative to it, in listFiles' order. */
export const CAMFLOW_FIXTURE_FILES = [
  "spade-json/android-v0.8.0-example-cp-filter-applied.log",
  "spade-json/android-v0.8.0-example-cp.log",
  "spade-json/android-v0.8.0-example-write-file-noprop.log",
  "spade-json/android-v0.8.0-example-write-file.log",
  "w3c/camtool-v0.2.2-badlog.log",
  "w3c/cytoscape-v0.1.7-camflow-socket.json",
  "w3c/website-walkthrough-v0.3.x-wget.json",
];

const VERTEX_SECTIONS = ["entity", "activity", "agent"];
const EDGE_ENDS: Record<string, [string, string]> = {
  used: ["prov:activity", "prov:entity"],
  wasGeneratedBy: ["prov:entity", "prov:activity"],
  wasInformedBy: ["prov:informed", "prov:informant"],
  wasDerivedFrom: ["prov:generatedEntity", "prov:usedEntity"],
  wasAssociatedWith: ["prov:activity", "prov:agent"],
  wasInfluencedBy: ["prov:influencee", "prov:influencer"],
};

export interface FixtureCounts {
  nodes: Set<string>;
  relations: Set<string>;
  /** Every vertex id an edge names. */
  ends: Set<string>;
}

export function emptyCounts(): FixtureCounts {
  return { nodes: new Set(), relations: new Set(), ends: new Set() };
}

const withCf = (id: string) => (/^[A-Za-z0-9+/]{43}=$/.test(id) ? `cf:${id}` : id);

/** Adds the elements of one CamFlow capture file (W3C or SPADE JSON) to `into`. */
export function countCamflowFile(file: string, into: FixtureCounts = emptyCounts()) {
  const text = readFileSync(file, "utf8").replace(/^\uFEFF/, "");
  let records: Record<string, unknown>[];
  try {
    records = [JSON.parse(text)];
  } catch {
    records = text
      .split("\n")
      .filter((line) => line.trim().startsWith("{"))
      .map((line) => JSON.parse(line));
  }
  for (const record of records) {
    if (typeof record.type === "string") {
      const annotations = (record.annotations ?? {}) as Record<string, string>;
      if ("id" in record) into.nodes.add(withCf(record.id as string));
      else {
        into.relations.add(withCf(annotations.id as string));
        into.ends.add(withCf(record.from as string));
        into.ends.add(withCf(record.to as string));
      }
      continue;
    }
    for (const [section, body] of Object.entries(record)) {
      const statements = Object.entries(body as Record<string, Record<string, string>>);
      if (VERTEX_SECTIONS.includes(section)) {
        for (const [id] of statements) into.nodes.add(withCf(id));
      }
      const ends = EDGE_ENDS[section];
      if (!ends) continue;
      for (const [id, statement] of statements) {
        into.relations.add(withCf(id));
        for (const end of ends) into.ends.add(withCf(statement[end] as string));
      }
    }
  }
  return into;
}

/** Vertex ids that edges name and no file holds. */
export function danglingIds(counts: FixtureCounts): string[] {
  return [...counts.ends].filter((id) => !counts.nodes.has(id));
}
