import { describe, expect, it } from "vitest";
import {
  CompactRange,
  type HashedChunk,
  rootsAtSizes,
  rootsAtSizesFromChunks,
  subtreeRootFromChunks,
} from "../../../../db/ledger/compact-range";
import { EMPTY_ROOT, hashLeaf, rootFromLeafHashes } from "../../../../db/ledger/merkle";

const leaves = Array.from({ length: 300 }, (_, i) =>
  hashLeaf(new TextEncoder().encode(`leaf ${i}`)),
);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("CompactRange", () => {
  it("gives the RFC 9162 root at every size from 0 to 300", () => {
    const range = new CompactRange();
    expect(hex(range.root())).toBe(hex(EMPTY_ROOT));
    for (let n = 1; n <= leaves.length; n += 1) {
      range.append(leaves[n - 1] as Uint8Array);
      expect(hex(range.root()), `size ${n}`).toBe(hex(rootFromLeafHashes(leaves.slice(0, n))));
    }
  });

  it("computes the roots at several sizes in one pass, ignoring sizes beyond the leaves", () => {
    const roots = rootsAtSizes(leaves, [256, 1, 300, 17, 256, 301]);
    expect([...roots.keys()]).toEqual([1, 17, 256, 300]);
    for (const [size, root] of roots)
      expect(hex(root)).toBe(hex(rootFromLeafHashes(leaves.slice(0, size))));
  });

  it("survives serialisation at every size, and refuses bytes of the wrong length", () => {
    const range = new CompactRange();
    for (let n = 0; n <= 70; n += 1) {
      const copy = CompactRange.deserialize(range.serialize());
      expect(copy.size).toBe(n);
      expect(hex(copy.root())).toBe(hex(range.root()));
      if (n < 70) range.append(leaves[n] as Uint8Array);
    }
    const bytes = range.serialize();
    expect(() => CompactRange.deserialize(bytes.subarray(0, bytes.length - 1))).toThrow(RangeError);
    expect(() => CompactRange.deserialize(new Uint8Array(4))).toThrow(RangeError);
  });
});

describe("rootsAtSizesFromChunks", () => {
  it("gives the RFC 9162 root at any size from chunks' 256-leaf block roots and leaves", () => {
    const many = Array.from({ length: 1300 }, (_, i) =>
      hashLeaf(new TextEncoder().encode(`leaf ${i}`)),
    );
    const chunkSize = 512;
    const chunks: HashedChunk[] = [];
    for (let start = 0; start < many.length; start += chunkSize) {
      const part = many.slice(start, start + chunkSize);
      const blocks = [];
      for (let b = 0; b + 256 <= part.length; b += 256) {
        blocks.push(rootFromLeafHashes(part.slice(b, b + 256)));
      }
      chunks.push({
        count: part.length,
        leafHashes: Buffer.concat(part),
        blockRoots: Buffer.concat(blocks),
      });
    }
    const sizes = [1, 2, 255, 256, 257, 511, 512, 513, 768, 1024, 1299, 1300, 1301, 0];
    const roots = rootsAtSizesFromChunks(chunks, chunkSize, sizes);
    expect([...roots.keys()]).toEqual(sizes.filter((s) => s >= 1 && s <= 1300));
    for (const [size, root] of roots)
      expect(hex(root), `size ${size}`).toBe(hex(rootFromLeafHashes(many.slice(0, size))));
    expect(() => rootsAtSizesFromChunks(chunks.slice(1), 256, [1])).toThrow(RangeError);
    for (const [start, size] of [
      [0, 256],
      [256, 256],
      [512, 512],
      [0, 1024],
      [1024, 256],
    ] as const) {
      const root = subtreeRootFromChunks(chunks, chunkSize, start, size);
      expect(hex(root ?? new Uint8Array()), `${start}+${size}`).toBe(
        hex(rootFromLeafHashes(many.slice(start, start + size))),
      );
    }
    // Not a perfect subtree of 256 or more inside the leaves: none.
    for (const [start, size] of [
      [0, 128],
      [256, 512],
      [0, 768],
      [1024, 512],
    ] as const) {
      expect(subtreeRootFromChunks(chunks, chunkSize, start, size)).toBeNull();
    }
  });
});
