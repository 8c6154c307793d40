/**
 * The document key scopes blank nodes. Given as a function, parseProvJson calls it only for a
 * document that has a blank node, and the ids are those the same key as a string gives; the
 * bridge's key is still the SHA-256 of the document's raw bytes.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseProvJson } from "../../../../capture-bridge/formats/prov-json";
import { prepareMessage } from "../../../../capture-bridge/pipeline/ingest";
import type { Store } from "../../../../db/client";

const withBlank = {
  prefix: { ex: "https://example.org/" },
  entity: { "_:b1": {}, "ex:e": {} },
  used: { "_:u": { "prov:activity": "ex:a", "prov:entity": "_:b1" } },
};
const withoutBlank = {
  prefix: { ex: "https://example.org/" },
  entity: { "ex:e": {} },
  used: { "ex:u": { "prov:activity": "ex:a", "prov:entity": "ex:e" } },
};
const KEY = "0123456789abcdef0123456789abcdef";

describe("parseProvJson's document key", () => {
  it("is made on demand only for a document with a blank node, with the same ids", () => {
    let calls = 0;
    const lazy = () => {
      calls += 1;
      return KEY;
    };
    expect(parseProvJson(withoutBlank, { documentKey: lazy })).toEqual(
      parseProvJson(withoutBlank, { documentKey: KEY }),
    );
    expect(calls).toBe(0);
    const graph = parseProvJson(withBlank, { documentKey: lazy });
    expect(calls).toBe(1);
    expect(graph).toEqual(parseProvJson(withBlank, { documentKey: KEY }));
    expect(graph.nodes.map((n) => n.id)).toContain(`_:${KEY.slice(0, 16)}:b1`);
  });

  it("made on demand, still refuses an empty key", () => {
    expect(() => parseProvJson(withBlank, { documentKey: () => "" })).toThrow(TypeError);
  });

  it("in the bridge is the SHA-256 of the document's raw bytes", async () => {
    const text = JSON.stringify(withBlank);
    const prepared = await prepareMessage({} as Store, {
      source: "test",
      host: "host-a",
      payload: new TextEncoder().encode(text),
    });
    const key = createHash("sha256").update(Buffer.from(text, "utf8")).digest("hex");
    const ids = prepared.documents[0]?.graph.nodes.map((n) => n.id);
    expect(ids).toContain(`_:${key.slice(0, 16)}:b1`);
  });
});
