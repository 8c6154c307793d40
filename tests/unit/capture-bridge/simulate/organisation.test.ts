import { describe, expect, it } from "vitest";
import { parseProvJson } from "../../../../capture-bridge/formats/prov-json";
import { decodePayload } from "../../../../capture-bridge/pipeline/decode";
import {
  createSimulation,
  SERVICES,
  type SimulatedMessage,
} from "../../../../capture-bridge/simulate/organisation";
import type { ProvGraph } from "../../../../db/prov/model";

function read(message: SimulatedMessage): ProvGraph {
  return parseProvJson(JSON.parse(decodePayload(message.payload)), { documentKey: "k".repeat(64) });
}

function take(count: number, options: Parameters<typeof createSimulation>[0]) {
  const simulation = createSimulation(options);
  return Array.from({ length: count }, () => simulation.next());
}

// Generous timeouts: the CI machine is shared, and these generate a few thousand documents.
describe("createSimulation", { timeout: 60_000 }, () => {
  it("is deterministic: the same seed gives the same bytes, another seed other ones", () => {
    const a = take(30, { seed: 5, hosts: 6, elementsPerMessage: 60 });
    const b = take(30, { seed: 5, hosts: 6, elementsPerMessage: 60 });
    const c = take(30, { seed: 6, hosts: 6, elementsPerMessage: 60 });
    expect(a.map((m) => m.payload.toString("base64"))).toEqual(
      b.map((m) => m.payload.toString("base64")),
    );
    expect(a.map((m) => m.payload.toString("base64"))).not.toEqual(
      c.map((m) => m.payload.toString("base64")),
    );
  });

  it("publishes CamFlow documents as camflowd does and app-level ones as plain JSON, all readable", () => {
    const messages = take(150, { seed: 1, hosts: 12, elementsPerMessage: 60 });
    const camflow = messages.filter((m) => m.flavour === "camflow");
    const app = messages.filter((m) => m.flavour === "app");
    expect(camflow.length).toBeGreaterThan(90);
    expect(app.length).toBeGreaterThan(10);
    for (const message of camflow) {
      expect(message.payload.toString("ascii")).toMatch(/^eJ[A-Za-z0-9+/=]+$/); // base64 of zlib
      const graph = read(message);
      expect(graph.host).toBe(message.host);
      expect(message.topicSuffix).toBe(message.host.slice("cf:".length));
      expect(graph.nodes.length + graph.relations.length).toBe(message.elements);
    }
    for (const message of app) {
      expect(message.payload.toString("utf8").startsWith("{")).toBe(true);
      expect(read(message).nodes.length + read(message).relations.length).toBe(message.elements);
    }
  });

  it("joins hosts through packets: the receiver reports the sender's packet vertex", () => {
    const messages = take(300, { seed: 2, hosts: 6, elementsPerMessage: 60 });
    const packetHosts = new Map<string, Set<string>>();
    for (const message of messages.filter((m) => m.flavour === "camflow")) {
      for (const node of read(message).nodes) {
        if (node.type !== "packet") continue;
        const hosts = packetHosts.get(node.id) ?? new Set();
        hosts.add(message.host);
        packetHosts.set(node.id, hosts);
      }
    }
    const joined = [...packetHosts.values()].filter((hosts) => hosts.size === 2);
    expect(joined.length).toBeGreaterThan(20);
  });

  it("annotates app-level records of many subjects with gdpr: subject, category, purpose and service", () => {
    const messages = take(600, {
      seed: 3,
      hosts: 6,
      subjects: 2_000,
      elementsPerMessage: 20,
      appShare: 0.8,
    });
    const subjects = new Set<string>();
    const services = new Set<string>();
    let derived = 0;
    for (const message of messages.filter((m) => m.flavour === "app")) {
      const graph = read(message);
      for (const node of graph.nodes.filter((n) => n.attributes["gdpr:subject"] !== undefined)) {
        subjects.add(String(node.attributes["gdpr:subject"]));
        services.add(String(node.attributes["gdpr:service"]));
        expect(node.attributes["gdpr:category"]).toEqual(expect.any(String));
        expect(node.attributes["gdpr:purpose"]).toEqual(expect.any(String));
      }
      derived += graph.relations.filter((r) => r.kind === "wasDerivedFrom").length;
    }
    expect(subjects.size).toBeGreaterThan(400);
    expect([...services].sort()).toEqual(SERVICES.map((s) => s.name).sort());
    expect(derived).toBeGreaterThan(100); // records flow from one service to the next
  });

  it("refuses a simulation without hosts", () => {
    expect(() => createSimulation({ seed: 1, hosts: 0 })).toThrow(RangeError);
  });
});
