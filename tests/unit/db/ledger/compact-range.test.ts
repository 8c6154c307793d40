import { describe, expect, it } from "vitest";
import { CompactRange, rootsAtSizes } from "../../../../db/ledger/compact-range";
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
