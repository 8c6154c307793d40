/**
 * The bridge's reading steps alone, CPU µs per element, over the ingest bench's simulated
 * organisation (same seed as ingest-profile.ts): a profiling aid for parser changes.
 *   npx tsx tests/bench/parse-micro.ts [messages (2000)] [rounds (5)]
 */
import { parseProvJson } from "../../capture-bridge/formats/prov-json";
import { isSpadeRecord, parseSpadeRecords } from "../../capture-bridge/formats/spade-json";
import { decodePayload, readDocuments } from "../../capture-bridge/pipeline/decode";
import { createSimulation } from "../../capture-bridge/simulate/organisation";

const [count = 2000, rounds = 5] = process.argv.slice(2).map(Number);
const simulation = createSimulation({
  seed: 20_261_130,
  hosts: 12,
  subjects: 20_000,
  compressionLevel: 1,
  tag: "parse-micro",
});
let elements = 0;
const values: unknown[][] = [];
for (let i = 0; i < count; i++) {
  const m = simulation.next();
  elements += m.elements;
  values.push(
    readDocuments(decodePayload(new Uint8Array(m.payload))).map((d) => (d.ok ? d.value : null)),
  );
}
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const results: number[] = [];
for (let round = 0; round < rounds; round++) {
  const before = cpuUs();
  values.forEach((vs, i) => {
    const first = vs[0];
    if (isSpadeRecord(first)) parseSpadeRecords(vs);
    else parseProvJson(first, { documentKey: String(i) });
  });
  results.push((cpuUs() - before) / elements);
}
console.log(
  `${count} messages, ${elements} elements; format conversion µs/element per round: ${results.map((r) => r.toFixed(2)).join(" ")}`,
);
