import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  chunks,
  generateStoreDocuments,
  type StoreGeneratorOptions,
  storeDocuments,
} from "../../bench/store-generator";

/** The store bench's `--quick` documents. */
const QUICK: StoreGeneratorOptions = {
  seed: 20_261_130,
  documents: 24,
  subjects: 600,
  subjectsPerDocument: 50,
  hosts: 4,
  sliceMinutes: 10,
  runTag: "bench",
};

function digest(documents: Iterable<unknown>): string {
  const hash = createHash("sha256");
  for (const document of documents) hash.update(`${JSON.stringify(document)}\n`);
  return hash.digest("hex");
}

describe("store bench generator", () => {
  it("streams the same documents, in the same order, as it generated all at once", () => {
    // The digest of the documents generateStoreDocuments built before it streamed (ae1d109):
    // a store bench run measures the same graph whichever way the documents are read.
    const expected = "6d10941bc04f210e1589ee71c285df68ef79d1a1946f675e93255c54e0b62f5a";
    expect(digest(storeDocuments(QUICK))).toBe(expected);
    expect(digest(generateStoreDocuments(QUICK))).toBe(expected);
  });

  it("counts about 331 elements per document", () => {
    const documents = generateStoreDocuments(QUICK);
    expect(documents).toHaveLength(24);
    expect(documents.reduce((total, document) => total + document.elements, 0)).toBe(7931);
  });

  it("reads a stream in chunks, the last one shorter", () => {
    const sizes = [...chunks(storeDocuments(QUICK), 10)].map((chunk) => chunk.length);
    expect(sizes).toEqual([10, 10, 4]);
    expect([...chunks([], 10)]).toEqual([]);
  });
});
