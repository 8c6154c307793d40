/**
 * The bridge's CPU between the ingest's statements, without a database: per element, the
 * attributes' canonical text (sent by COPY and digested by the ledger), the COPY lines and each
 * document's elements digest, over the ingest bench's simulated organisation (same seed as
 * ingest-profile.ts). A profiling aid for changes to db/prov/ingest.ts and element-digest.ts.
 *   npx tsx tests/bench/write-prep-micro.ts [messages (2000)] [rounds (5)]
 */
import { parseProvJson } from "../../capture-bridge/formats/prov-json";
import { decodePayload, readDocuments } from "../../capture-bridge/pipeline/decode";
import { createSimulation } from "../../capture-bridge/simulate/organisation";
import { field, jsonField } from "../../db/prov/copy-rows";
import { canonicalTextOrNull, fastElementsDigest } from "../../db/prov/element-digest";
import type { ProvGraph } from "../../db/prov/model";

const [count = 2000, rounds = 5] = process.argv.slice(2).map(Number);
const simulation = createSimulation({
  seed: 20_261_130,
  hosts: 12,
  subjects: 20_000,
  compressionLevel: 1,
  tag: "write-prep-micro",
});
let elements = 0;
const graphs: ProvGraph[] = [];
for (let i = 0; i < count; i++) {
  const m = simulation.next();
  elements += m.elements;
  const [document] = readDocuments(decodePayload(new Uint8Array(m.payload)));
  if (document?.ok) graphs.push(parseProvJson(document.value, { documentKey: String(i) }));
}
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const steps: Record<string, number[]> = { "canonical text": [], "COPY lines": [], digest: [] };
const timed = <T>(name: string, work: () => T): T => {
  const before = cpuUs();
  const result = work();
  (steps[name] as number[]).push((cpuUs() - before) / elements);
  return result;
};
for (let round = 0; round < rounds; round++) {
  const rows = timed("canonical text", () =>
    graphs.map((graph) => ({
      nodes: graph.nodes.map((node) => ({
        ext_id: node.id,
        kind: node.kind,
        prov_type: node.type,
        label: node.label,
        attributes: node.attributes,
        attributesText: canonicalTextOrNull(node.attributes),
      })),
      relations: graph.relations.map((relation) => ({
        ext_id: relation.id,
        kind: relation.kind,
        from_ext_id: relation.from,
        to_ext_id: relation.to,
        time: relation.time,
        attributes: relation.attributes,
        attributesText: canonicalTextOrNull(relation.attributes),
      })),
    })),
  );
  timed("COPY lines", () => {
    let bytes = 0;
    for (const { nodes, relations } of rows) {
      const lines: string[] = [];
      for (const r of nodes) {
        lines.push(
          `${field(r.ext_id)}\t${r.kind}\t${field(r.prov_type)}\t${field(r.label)}\t${jsonField(
            r.attributesText ?? JSON.stringify(r.attributes),
          )}\t\\N\t1\t1\n`,
        );
      }
      for (const r of relations) {
        lines.push(
          `${field(r.ext_id)}\t${r.kind}\t${field(r.from_ext_id)}\t${field(r.to_ext_id)}\t${field(
            r.time,
          )}\t${jsonField(r.attributesText ?? JSON.stringify(r.attributes))}\t1\t1\t1\n`,
        );
      }
      bytes += Buffer.byteLength(lines.join(""));
    }
    return bytes;
  });
  timed("digest", () => rows.map((r) => fastElementsDigest(r.nodes, r.relations)));
}
console.log(`${graphs.length} documents, ${elements} elements; µs/element per round:`);
for (const [name, values] of Object.entries(steps)) {
  console.log(`${name.padEnd(16)} ${values.map((v) => v.toFixed(2)).join(" ")}`);
}
