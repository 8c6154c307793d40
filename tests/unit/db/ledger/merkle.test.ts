// RFC 6962 / RFC 9162 tree hashing and proofs: the transparency-dev vectors, the eight-leaf
// reference tree, recursive reference implementations, seeded property tests and 2^32+ sizes.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  consistencyProof,
  consistencyProofFrom,
  EMPTY_ROOT,
  HASH_SIZE,
  hashChildren,
  hashLeaf,
  inclusionProof,
  inclusionProofFrom,
  rootFromLeafHashes,
  type SubtreeRoot,
  verifyConsistency,
  verifyInclusion,
} from "../../../../db/ledger/merkle";

const FIXTURES = path.resolve(process.cwd(), "../shared/fixtures/merkle");
const VECTORS = path.resolve(process.cwd(), "tests/vectors/ledger");

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "hex"));
const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "base64"));
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const hexes = (hashes: readonly Uint8Array[]): string[] => hashes.map(hex);

// --- the transparency-dev/merkle probes (../shared/fixtures/merkle) --------------------------

interface InclusionProbe {
  file: string;
  leafIdx: bigint;
  treeSize: bigint;
  root: Uint8Array;
  leafHash: Uint8Array;
  proof: Uint8Array[];
  desc: string;
  wantErr: boolean;
}

interface ConsistencyProbe {
  file: string;
  size1: bigint;
  size2: bigint;
  root1: Uint8Array;
  root2: Uint8Array;
  proof: Uint8Array[];
  desc: string;
  wantErr: boolean;
}

function jsonFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".json"))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

// The probes hold uint64 sizes such as 18446744073709551615, which JSON.parse rounds; read
// those fields from the text so the verifier sees the exact value.
function exactInteger(text: string, field: string, file: string): bigint {
  const match = new RegExp(`"${field}"\\s*:\\s*(\\d+)`).exec(text);
  if (!match?.[1]) throw new Error(`${file}: got no integer "${field}", want one`);
  return BigInt(match[1]);
}

function readProbe(file: string): { text: string; json: Record<string, unknown> } {
  const text = readFileSync(file, "utf8");
  return { text, json: JSON.parse(text) as Record<string, unknown> };
}

const hashesOf = (value: unknown): Uint8Array[] =>
  value === null ? [] : (value as string[]).map(fromBase64);

const inclusionProbes: InclusionProbe[] = jsonFilesUnder(path.join(FIXTURES, "inclusion")).map(
  (file) => {
    const { text, json } = readProbe(file);
    return {
      file: path.relative(FIXTURES, file),
      leafIdx: exactInteger(text, "leafIdx", file),
      treeSize: exactInteger(text, "treeSize", file),
      root: fromBase64(json.root as string),
      leafHash: fromBase64(json.leafHash as string),
      proof: hashesOf(json.proof),
      desc: json.desc as string,
      wantErr: json.wantErr as boolean,
    };
  },
);

const consistencyProbes: ConsistencyProbe[] = jsonFilesUnder(
  path.join(FIXTURES, "consistency"),
).map((file) => {
  const { text, json } = readProbe(file);
  return {
    file: path.relative(FIXTURES, file),
    size1: exactInteger(text, "size1", file),
    size2: exactInteger(text, "size2", file),
    root1: fromBase64(json.root1 as string),
    root2: fromBase64(json.root2 as string),
    proof: hashesOf(json.proof),
    desc: json.desc as string,
    wantErr: json.wantErr as boolean,
  };
});

// The same size as a plain number where that is exact; otherwise the number a JSON reader
// would produce, which the verifier must refuse.
const asNumber = (value: bigint): number => Number(value);

describe("transparency-dev/merkle probes", () => {
  it("reads all 196 probe files (98 inclusion, 98 consistency)", () => {
    expect(inclusionProbes).toHaveLength(98);
    expect(consistencyProbes).toHaveLength(98);
    const wantingSuccess = [...inclusionProbes, ...consistencyProbes].filter((p) => !p.wantErr);
    expect(wantingSuccess).toHaveLength(12);
  });

  describe.each(inclusionProbes)("inclusion $file", (p) => {
    it(`${p.desc}: ${p.wantErr ? "rejected" : "accepted"}`, () => {
      expect(verifyInclusion(p.leafHash, p.leafIdx, p.treeSize, p.proof, p.root)).toBe(!p.wantErr);
      const index = asNumber(p.leafIdx);
      const size = asNumber(p.treeSize);
      const exact = Number.isSafeInteger(index) && Number.isSafeInteger(size);
      expect(verifyInclusion(p.leafHash, index, size, p.proof, p.root)).toBe(exact && !p.wantErr);
    });
  });

  describe.each(consistencyProbes)("consistency $file", (p) => {
    it(`${p.desc}: ${p.wantErr ? "rejected" : "accepted"}`, () => {
      expect(verifyConsistency(p.size1, p.size2, p.proof, p.root1, p.root2)).toBe(!p.wantErr);
      const size1 = asNumber(p.size1);
      const size2 = asNumber(p.size2);
      const exact = Number.isSafeInteger(size1) && Number.isSafeInteger(size2);
      expect(verifyConsistency(size1, size2, p.proof, p.root1, p.root2)).toBe(exact && !p.wantErr);
    });
  });
});

// --- the eight-leaf reference tree (tests/vectors/ledger/rfc6962-eight-leaves.json) ---------

interface EightLeaves {
  leaves: string[];
  leafHashes: string[];
  rootsBySize: string[];
  inclusion: { index: number; size: number; proof: string[] }[];
  consistency: { size1: number; size2: number; proof: string[] }[];
}

const eight = JSON.parse(
  readFileSync(path.join(VECTORS, "rfc6962-eight-leaves.json"), "utf8"),
) as EightLeaves;
const eightLeafHashes = eight.leaves.map((leaf) => hashLeaf(fromHex(leaf)));
const eightRoot = (size: number): Uint8Array => fromHex(eight.rootsBySize[size] as string);

describe("the eight-leaf tree of RFC 6962's reference data", () => {
  it("hashes the empty string, the leaves and a node as the reference does", () => {
    expect(hex(EMPTY_ROOT)).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(hexes(eightLeafHashes)).toEqual(eight.leafHashes);
    expect(
      hex(hashChildren(eightLeafHashes[0] as Uint8Array, eightLeafHashes[1] as Uint8Array)),
    ).toBe("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125");
  });

  it.each(eight.rootsBySize.map((root, size) => ({ size, root })))(
    "root of the first $size leaves is $root",
    ({ size, root }) => {
      expect(hex(rootFromLeafHashes(eightLeafHashes.slice(0, size)))).toBe(root);
    },
  );

  it("ends at 5dc9da79…4328, the root SOURCES.md gives", () => {
    expect(hex(rootFromLeafHashes(eightLeafHashes))).toBe(
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    );
  });

  it("returns fresh plain arrays: EMPTY_ROOT for no leaves, never the caller's leaf", () => {
    const root = rootFromLeafHashes([]);
    expect(hex(root)).toBe(hex(EMPTY_ROOT));
    root[0] = 0;
    expect(hex(EMPTY_ROOT).startsWith("e3b0")).toBe(true);
    const only = eightLeafHashes[0] as Uint8Array;
    const single = rootFromLeafHashes([only]);
    expect(single).not.toBe(only);
    single[0] = 0;
    expect(hex(only)).toBe(eight.leafHashes[0]);
    for (const hash of [root, single, hashLeaf(utf8("x")), hashChildren(only, only)]) {
      expect(Object.getPrototypeOf(hash)).toBe(Uint8Array.prototype);
      expect(hash.byteLength).toBe(HASH_SIZE);
    }
  });

  it.each(eight.inclusion)("builds the reference inclusion proof of leaf $index in $size", (v) => {
    const proof = inclusionProof(v.index, eightLeafHashes.slice(0, v.size));
    expect(hexes(proof)).toEqual(v.proof);
    const leaf = eightLeafHashes[v.index] as Uint8Array;
    expect(verifyInclusion(leaf, v.index, v.size, proof, eightRoot(v.size))).toBe(true);
  });

  it.each(eight.consistency)("builds the reference consistency proof $size1 → $size2", (v) => {
    const proof = consistencyProof(v.size1, eightLeafHashes.slice(0, v.size2));
    expect(hexes(proof)).toEqual(v.proof);
    expect(verifyConsistency(v.size1, v.size2, proof, eightRoot(v.size1), eightRoot(v.size2))).toBe(
      true,
    );
  });

  it("proves every leaf of every prefix and every pair of prefixes against the reference roots", () => {
    for (let size = 1; size <= 8; size++) {
      const leaves = eightLeafHashes.slice(0, size);
      for (let index = 0; index < size; index++) {
        const proof = inclusionProof(index, leaves);
        const leaf = leaves[index] as Uint8Array;
        expect(verifyInclusion(leaf, index, size, proof, eightRoot(size))).toBe(true);
      }
      for (let size1 = 1; size1 <= size; size1++) {
        const proof = consistencyProof(size1, leaves);
        expect(verifyConsistency(size1, size, proof, eightRoot(size1), eightRoot(size))).toBe(true);
      }
    }
  });
});

// --- reference implementations, straight from RFC 9162 §2.1 (slow, recursive, obvious) -------

const isPowerOfTwo = (n: number): boolean => n >= 1 && Number.isInteger(Math.log2(n));

function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function referenceMth(d: readonly Uint8Array[]): Uint8Array {
  if (d.length === 0) return createHash("sha256").digest();
  if (d.length === 1) return d[0] as Uint8Array;
  const k = split(d.length);
  return hashChildren(referenceMth(d.slice(0, k)), referenceMth(d.slice(k)));
}

function referencePath(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  if (d.length <= 1) return [];
  const k = split(d.length);
  return m < k
    ? [...referencePath(m, d.slice(0, k)), referenceMth(d.slice(k))]
    : [...referencePath(m - k, d.slice(k)), referenceMth(d.slice(0, k))];
}

function referenceSubproof(m: number, d: readonly Uint8Array[], b: boolean): Uint8Array[] {
  if (m === d.length) return b ? [] : [referenceMth(d)];
  const k = split(d.length);
  return m <= k
    ? [...referenceSubproof(m, d.slice(0, k), b), referenceMth(d.slice(k))]
    : [...referenceSubproof(m - k, d.slice(k), false), referenceMth(d.slice(0, k))];
}

// The turns a verifier takes (L: sibling on the left, R: on the right), bottom-up. Two index
// and size pairs with the same turns are indistinguishable to any verifier given the same
// proof and root, so that, and only that, is when a changed index or size may still verify.
// A changed index (or size1) never keeps the turns; a changed tree size (or size2) usually
// does, since only the tree's right edge depends on it: a proof does not bind the tree size,
// the signed checkpoint (size and root together) does.
function inclusionTurns(index: number, size: number): string {
  const turns: string[] = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const mid = lo + split(hi - lo);
    turns.push(index < mid ? "R" : "L");
    if (index < mid) hi = mid;
    else lo = mid;
  }
  return turns.reverse().join("");
}

function consistencyTurns(size1: number, size2: number): string {
  const turns: string[] = [];
  let lo = 0;
  let hi = size2;
  let m = size1;
  let known = true;
  while (m !== hi - lo) {
    const k = split(hi - lo);
    turns.push(m <= k ? "R" : "L");
    if (m <= k) hi = lo + k;
    else {
      lo += k;
      m -= k;
      known = false;
    }
  }
  return (known ? "old root:" : "proof[0]:") + turns.reverse().join("");
}

function inclusionAccepts(index: number, size: number, was: { index: number; size: number }) {
  if (index < 0 || index >= size) return false;
  return inclusionTurns(index, size) === inclusionTurns(was.index, was.size);
}

function consistencyAccepts(size1: number, size2: number, was: { size1: number; size2: number }) {
  if (size1 < 1 || size1 > size2) return false;
  if (was.size1 === was.size2 || size1 === size2) return false; // the proofs here are not empty
  return consistencyTurns(size1, size2) === consistencyTurns(was.size1, was.size2);
}

// --- seeded property tests --------------------------------------------------------------------

function prng(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * below;
  };
}

const MAX_LEAVES = 300;
const leafHashes = Array.from({ length: MAX_LEAVES }, (_, i) => hashLeaf(utf8(`record ${i}`)));

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
  return copy;
}

function replaced<T>(items: readonly T[], at: number, item: T): T[] {
  const copy = [...items];
  copy[at] = item;
  return copy;
}

// Every bit of every hash when `exhaustive`, otherwise `samples` random bits of each.
function bitsToFlip(exhaustive: boolean, random: (below: number) => number, samples = 24) {
  const all = HASH_SIZE * 8;
  return exhaustive
    ? Array.from({ length: all }, (_, bit) => bit)
    : Array.from({ length: samples }, () => Math.floor(random(all)));
}

const randomInt = (random: (below: number) => number, below: number) => Math.floor(random(below));

describe("builders against the RFC's recursive definitions", () => {
  it("rootFromLeafHashes equals MTH for sizes 0..70, around powers of two and at random to 300", () => {
    const random = prng(3);
    const sizes = [
      ...Array.from({ length: 71 }, (_, n) => n),
      ...[127, 128, 129, 255, 256, 257, 299, 300],
      ...Array.from({ length: 12 }, () => 71 + randomInt(random, MAX_LEAVES - 71)),
    ];
    for (const n of sizes) {
      const leaves = leafHashes.slice(0, n);
      expect(hex(rootFromLeafHashes(leaves)), `n=${n}`).toBe(hex(referenceMth(leaves)));
    }
  });

  it("inclusionProof equals PATH and consistencyProof equals PROOF for every case up to 24 leaves", () => {
    for (let n = 1; n <= 24; n++) {
      const leaves = leafHashes.slice(0, n);
      for (let m = 0; m < n; m++) {
        expect(hexes(inclusionProof(m, leaves)), `PATH(${m}, ${n})`).toEqual(
          hexes(referencePath(m, leaves)),
        );
      }
      for (let m = 1; m <= n; m++) {
        expect(hexes(consistencyProof(m, leaves)), `PROOF(${m}, ${n})`).toEqual(
          hexes(referenceSubproof(m, leaves, true)),
        );
      }
    }
  });

  it("the callback builders ask only for nodes of the tree and agree with the array builders", () => {
    const random = prng(7);
    for (let trial = 0; trial < 40; trial++) {
      const n = 1 + randomInt(random, MAX_LEAVES);
      const leaves = leafHashes.slice(0, n);
      const asked: [number, number][] = [];
      const subtreeRoot: SubtreeRoot = (start, end) => {
        asked.push([start, end]);
        return referenceMth(leaves.slice(start, end));
      };
      const index = randomInt(random, n);
      const size1 = 1 + randomInt(random, n);
      expect(hexes(inclusionProofFrom(index, n, subtreeRoot))).toEqual(
        hexes(inclusionProof(index, leaves)),
      );
      expect(hexes(consistencyProofFrom(size1, n, subtreeRoot))).toEqual(
        hexes(consistencyProof(size1, leaves)),
      );
      for (const [start, end] of asked) {
        const width = end - start;
        const perfect = isPowerOfTwo(width) && start % width === 0;
        expect(start >= 0 && end <= n && (perfect || end === n), `[${start}, ${end}) of ${n}`).toBe(
          true,
        );
      }
    }
  });
});

describe("inclusion proofs, seeded random trees up to 300 leaves", () => {
  const random = prng(0x1ed6e5);
  const trials = Array.from({ length: 60 }, (_, trial) => {
    const size = 1 + randomInt(random, MAX_LEAVES);
    return { trial: trial + 1, exhaustive: trial < 10, size, index: randomInt(random, size) };
  });

  it.each(trials)("trial $trial: leaf $index of $size", ({ exhaustive, size, index }) => {
    const leaves = leafHashes.slice(0, size);
    const root = rootFromLeafHashes(leaves);
    const leaf = leaves[index] as Uint8Array;
    const proof = inclusionProof(index, leaves);
    expect(verifyInclusion(leaf, index, size, proof, root)).toBe(true);
    expect(verifyInclusion(leaf, BigInt(index), BigInt(size), proof, root)).toBe(true);

    const survivors: string[] = [];
    for (const bit of bitsToFlip(exhaustive, random)) {
      if (verifyInclusion(flipBit(leaf, bit), index, size, proof, root))
        survivors.push(`leaf ${bit}`);
      if (verifyInclusion(leaf, index, size, proof, flipBit(root, bit)))
        survivors.push(`root ${bit}`);
      proof.forEach((p, at) => {
        const bent = replaced(proof, at, flipBit(p, bit));
        if (verifyInclusion(leaf, index, size, bent, root)) survivors.push(`proof[${at}] ${bit}`);
      });
    }
    expect(survivors, "bit flips that still verify").toEqual([]);

    for (const i of [index - 1, index + 1, index ^ 2]) {
      expect(verifyInclusion(leaf, i, size, proof, root), `index ${i}`).toBe(false);
    }
    for (const n of [size - 1, size + 1, size * 2, Math.floor(size / 2)]) {
      expect(verifyInclusion(leaf, index, n, proof, root), `size ${n}`).toBe(
        inclusionAccepts(index, n, { index, size }),
      );
    }

    const other = leaves[(index + 1) % size] as Uint8Array;
    if (size > 1) expect(verifyInclusion(other, index, size, proof, root)).toBe(false);
    expect(verifyInclusion(leaf, index, size, [...proof, root], root)).toBe(false);
    expect(verifyInclusion(leaf, index, size, [root, ...proof], root)).toBe(false);
    if (proof.length > 0) {
      expect(verifyInclusion(leaf, index, size, proof.slice(0, -1), root)).toBe(false);
      expect(verifyInclusion(leaf, index, size, proof.slice(1), root)).toBe(false);
      const short = replaced(proof, 0, (proof[0] as Uint8Array).subarray(1));
      expect(verifyInclusion(leaf, index, size, short, root)).toBe(false);
    }
  });

  it("rejects every changed index, and a changed tree size exactly when the turns change", () => {
    let sameShape = 0;
    const wrong: string[] = [];
    for (let size = 1; size <= 40; size++) {
      const leaves = leafHashes.slice(0, size);
      const root = rootFromLeafHashes(leaves);
      for (let index = 0; index < size; index++) {
        const leaf = leaves[index] as Uint8Array;
        const proof = inclusionProof(index, leaves);
        for (const i of [index - 1, index + 1]) {
          if (verifyInclusion(leaf, i, size, proof, root)) wrong.push(`${index}→${i} of ${size}`);
        }
        for (const n of [size - 1, size + 1]) {
          const accepts = inclusionAccepts(index, n, { index, size });
          if (verifyInclusion(leaf, index, n, proof, root) !== accepts) {
            wrong.push(`${index} of ${size}→${n}`);
          }
          if (accepts) sameShape += 1;
        }
      }
    }
    expect(wrong).toEqual([]);
    // Leaf 0 of 3 and of 4 both turn R, R: the size is bound by the checkpoint, not the proof.
    expect(inclusionAccepts(0, 4, { index: 0, size: 3 })).toBe(true);
    expect(sameShape).toBeGreaterThan(0);
  });
});

describe("consistency proofs, seeded random trees up to 300 leaves", () => {
  const random = prng(0xc0ffee);
  const trials = Array.from({ length: 60 }, (_, trial) => {
    const size2 = 1 + randomInt(random, MAX_LEAVES);
    return { trial: trial + 1, exhaustive: trial < 10, size1: 1 + randomInt(random, size2), size2 };
  });

  it.each(trials)("trial $trial: $size1 → $size2", ({ exhaustive, size1, size2 }) => {
    const leaves = leafHashes.slice(0, size2);
    const root1 = rootFromLeafHashes(leaves.slice(0, size1));
    const root2 = rootFromLeafHashes(leaves);
    const proof = consistencyProof(size1, leaves);
    expect(verifyConsistency(size1, size2, proof, root1, root2)).toBe(true);
    expect(verifyConsistency(BigInt(size1), BigInt(size2), proof, root1, root2)).toBe(true);
    if (size1 === size2) {
      expect(proof).toEqual([]);
      expect(verifyConsistency(size1, size2, [root1], root1, root2)).toBe(false);
      return;
    }

    const survivors: string[] = [];
    for (const bit of bitsToFlip(exhaustive, random)) {
      const verifies = (bent: readonly Uint8Array[], r1: Uint8Array, r2: Uint8Array) =>
        verifyConsistency(size1, size2, bent, r1, r2);
      if (verifies(proof, flipBit(root1, bit), root2)) survivors.push(`root1 ${bit}`);
      if (verifies(proof, root1, flipBit(root2, bit))) survivors.push(`root2 ${bit}`);
      proof.forEach((p, at) => {
        if (verifies(replaced(proof, at, flipBit(p, bit)), root1, root2)) {
          survivors.push(`proof[${at}] ${bit}`);
        }
      });
    }
    expect(survivors, "bit flips that still verify").toEqual([]);

    for (const s1 of [size1 - 1, size1 + 1, size1 ^ 2]) {
      expect(verifyConsistency(s1, size2, proof, root1, root2), `size1 ${s1}`).toBe(false);
    }
    for (const s2 of [size2 - 1, size2 + 1, size2 * 2, Math.floor(size2 / 2)]) {
      expect(verifyConsistency(size1, s2, proof, root1, root2), `size2 ${s2}`).toBe(
        consistencyAccepts(size1, s2, { size1, size2 }),
      );
    }

    expect(verifyConsistency(size1, size2, proof, root2, root1)).toBe(false);
    expect(verifyConsistency(size1, size2, [], root1, root2)).toBe(false);
    expect(verifyConsistency(size1, size2, [...proof, root1], root1, root2)).toBe(false);
    expect(verifyConsistency(size1, size2, [root2, ...proof], root1, root2)).toBe(false);
    expect(verifyConsistency(size1, size2, proof.slice(0, -1), root1, root2)).toBe(false);
    expect(verifyConsistency(size1, size2, proof.slice(1), root1, root2)).toBe(false);
    const short = replaced(proof, 0, (proof[0] as Uint8Array).subarray(1));
    expect(verifyConsistency(size1, size2, short, root1, root2)).toBe(false);
  });

  it("rejects every changed size1, and a changed size2 exactly when the turns change", () => {
    const wrong: string[] = [];
    for (let size2 = 2; size2 <= 30; size2++) {
      const leaves = leafHashes.slice(0, size2);
      const root2 = rootFromLeafHashes(leaves);
      for (let size1 = 1; size1 < size2; size1++) {
        const root1 = rootFromLeafHashes(leaves.slice(0, size1));
        const proof = consistencyProof(size1, leaves);
        for (const s1 of [size1 - 1, size1 + 1]) {
          if (verifyConsistency(s1, size2, proof, root1, root2)) wrong.push(`${s1} → ${size2}`);
        }
        for (const s2 of [size2 - 1, size2 + 1]) {
          const accepts = consistencyAccepts(size1, s2, { size1, size2 });
          if (verifyConsistency(size1, s2, proof, root1, root2) !== accepts) {
            wrong.push(`${size1} → ${s2}`);
          }
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});

// --- sizes beyond 2^32: a virtual tree whose far-away subtrees are opaque ----------------------

// A consistent Merkle tree of any size: perfect aligned subtrees that hold none of `points`
// get a deterministic stand-in hash; everything else is hashed from its children, so every
// root and proof is what a real tree with those subtree hashes would give.
function virtualTree(points: readonly number[]): {
  leaf: (index: number) => Uint8Array;
  subtreeRoot: SubtreeRoot;
} {
  const leaf = (index: number) => hashLeaf(utf8(`virtual leaf ${index}`));
  const subtreeRoot: SubtreeRoot = (start, end) => {
    const width = end - start;
    if (width === 1) return leaf(start);
    const perfect = isPowerOfTwo(width) && start % width === 0;
    if (perfect && !points.some((p) => p >= start && p < end)) {
      return createHash("sha256").update(`virtual node ${start} ${end}`).digest();
    }
    const k = split(width);
    return hashChildren(subtreeRoot(start, start + k), subtreeRoot(start + k, end));
  };
  return { leaf, subtreeRoot };
}

describe("sizes beyond 32 bits", () => {
  const inclusionCases = [
    { index: 2 ** 32 + 5, size: 2 ** 33 },
    { index: 2 ** 32 + 5, size: 2 ** 32 + 6 },
    { index: 2 ** 31 + 1, size: 2 ** 32 + 1 },
    { index: 2 ** 40 - 3, size: 2 ** 40 + 7 },
    { index: 2 ** 52 + 12_345, size: 2 ** 53 - 1 },
  ];

  it.each(inclusionCases)("proves leaf $index of $size", ({ index, size }) => {
    const { leaf, subtreeRoot } = virtualTree([index]);
    const root = subtreeRoot(0, size);
    const proof = inclusionProofFrom(index, size, subtreeRoot);
    expect(verifyInclusion(leaf(index), index, size, proof, root)).toBe(true);
    expect(verifyInclusion(leaf(index), BigInt(index), BigInt(size), proof, root)).toBe(true);
    // What 32-bit operators would see: the index and size modulo 2^32.
    const index32 = index % 2 ** 32;
    const size32 = size % 2 ** 32;
    expect(verifyInclusion(leaf(index), index32, size32, proof, root)).toBe(false);
    expect(verifyInclusion(leaf(index), index32, size, proof, root)).toBe(
      inclusionAccepts(index32, size, { index, size }),
    );
    for (const i of [index + 1, index - 1, index + 2 ** 31, index - 2 ** 32]) {
      expect(verifyInclusion(leaf(index), BigInt(i), BigInt(size), proof, root), `${i}`).toBe(
        false,
      );
    }
    for (const n of [size + 1, size - 1, size * 2]) {
      expect(verifyInclusion(leaf(index), BigInt(index), BigInt(n), proof, root), `${n}`).toBe(
        inclusionAccepts(index, n, { index, size }),
      );
    }
  });

  it("turns a wrong index 2^32 away into a rejection (the 32-bit trap)", () => {
    const index = 2 ** 32 + 5;
    const size = 2 ** 33;
    const { leaf, subtreeRoot } = virtualTree([index]);
    const proof = inclusionProofFrom(index, size, subtreeRoot);
    const root = subtreeRoot(0, size);
    expect(verifyInclusion(leaf(index), 5, size, proof, root)).toBe(false);
    expect(verifyInclusion(leaf(index), index + 2 ** 32, 2 ** 34, proof, root)).toBe(false);
  });

  const consistencyCases = [
    { size1: 2 ** 32 + 5, size2: 2 ** 33 + 3 },
    { size1: 2 ** 32, size2: 2 ** 32 + 1 },
    { size1: 2 ** 31 + 7, size2: 2 ** 32 + 9 },
    { size1: 2 ** 40 - 1, size2: 2 ** 40 + 7 },
    { size1: 5, size2: 2 ** 40 },
    { size1: 2 ** 52 + 3, size2: 2 ** 53 - 1 },
  ];

  it.each(consistencyCases)("proves $size1 → $size2", ({ size1, size2 }) => {
    const { subtreeRoot } = virtualTree([size1 - 1, size1]);
    const root1 = subtreeRoot(0, size1);
    const root2 = subtreeRoot(0, size2);
    const proof = consistencyProofFrom(size1, size2, subtreeRoot);
    expect(verifyConsistency(size1, size2, proof, root1, root2)).toBe(true);
    expect(verifyConsistency(BigInt(size1), BigInt(size2), proof, root1, root2)).toBe(true);
    expect(verifyConsistency(size1 % 2 ** 32, size2 % 2 ** 32, proof, root1, root2)).toBe(false);
    for (const s1 of [size1 + 1, size1 - 1, size1 + 2 ** 32]) {
      expect(verifyConsistency(BigInt(s1), BigInt(size2), proof, root1, root2), `${s1}`).toBe(
        consistencyAccepts(s1, size2, { size1, size2 }),
      );
    }
    for (const s2 of [size2 + 1, size2 - 1]) {
      expect(verifyConsistency(BigInt(size1), BigInt(s2), proof, root1, root2), `${s2}`).toBe(
        consistencyAccepts(size1, s2, { size1, size2 }),
      );
    }
  });

  it("agrees with the plain tree when nothing is opaque", () => {
    const n = 37;
    const { subtreeRoot } = virtualTree(Array.from({ length: n }, (_, i) => i));
    const leaves = Array.from({ length: n }, (_, i) => hashLeaf(utf8(`virtual leaf ${i}`)));
    expect(hex(subtreeRoot(0, n))).toBe(hex(rootFromLeafHashes(leaves)));
  });

  it("accepts uint64 sizes as bigint and refuses what is not one", () => {
    const leaf = leafHashes[0] as Uint8Array;
    const { subtreeRoot } = virtualTree([0]);
    const fold = (hashes: readonly Uint8Array[]) =>
      hashes.reduce((r, s) => hashChildren(r, s), leaf);
    // Leaf 0 of 2^63 leaves: 63 right turns past perfect siblings of 1, 2, 4, … 2^62 leaves.
    const perfect = Array.from({ length: 63 }, (_, level) =>
      subtreeRoot(2 ** level, 2 ** (level + 1)),
    );
    expect(verifyInclusion(leaf, 0n, 2n ** 63n, perfect, fold(perfect))).toBe(true);
    // Leaf 0 of 2^64 - 1 leaves: one more right turn, past the last 2^63 - 1 leaves.
    const rest = createHash("sha256").update("virtual node 2^63 2^64-1").digest();
    const proof = [...perfect, rest];
    const max = 2n ** 64n - 1n;
    expect(verifyInclusion(leaf, 0n, max, proof, fold(proof))).toBe(true);
    expect(verifyInclusion(leaf, 1n, max, proof, fold(proof))).toBe(false);
    expect(verifyInclusion(leaf, 0n, max + 1n, proof, fold(proof))).toBe(false);
    // 2^53 as a number is not exact (2^53 + 1 reads as the same number), so it is refused.
    const proof53 = perfect.slice(0, 53);
    expect(verifyInclusion(leaf, 0n, 2n ** 53n, proof53, fold(proof53))).toBe(true);
    expect(verifyInclusion(leaf, 0, 2 ** 53, proof53, fold(proof53))).toBe(false);
  });
});

// --- malformed input: verifiers return false, never throw ------------------------------------

describe("verifiers refuse malformed input without throwing", () => {
  const leaves = leafHashes.slice(0, 5);
  const root = rootFromLeafHashes(leaves);
  const leaf = leaves[2] as Uint8Array;
  const proof = inclusionProof(2, leaves);
  const root3 = rootFromLeafHashes(leaves.slice(0, 3));
  const cproof = consistencyProof(3, leaves);
  const junk = (value: unknown) => value as never;

  const inclusionCases: [string, () => boolean][] = [
    ["negative index", () => verifyInclusion(leaf, -1, 5, proof, root)],
    ["fractional index", () => verifyInclusion(leaf, 2.5, 5, proof, root)],
    ["NaN size", () => verifyInclusion(leaf, 2, Number.NaN, proof, root)],
    ["infinite size", () => verifyInclusion(leaf, 2, Number.POSITIVE_INFINITY, proof, root)],
    ["unsafe number size", () => verifyInclusion(leaf, 2, 2 ** 53, proof, root)],
    ["negative bigint", () => verifyInclusion(leaf, -2n, 5n, proof, root)],
    ["bigint above 2^64 - 1", () => verifyInclusion(leaf, 2n, 2n ** 64n, proof, root)],
    ["index equal to size", () => verifyInclusion(leaf, 5, 5, proof, root)],
    ["size zero", () => verifyInclusion(leaf, 0, 0, [], EMPTY_ROOT)],
    ["string index", () => verifyInclusion(leaf, junk("2"), 5, proof, root)],
    ["leaf of 31 bytes", () => verifyInclusion(leaf.subarray(1), 2, 5, proof, root)],
    ["root of 33 bytes", () => verifyInclusion(leaf, 2, 5, proof, new Uint8Array(33))],
    ["root as a plain array", () => verifyInclusion(leaf, 2, 5, proof, junk([...root]))],
    ["proof not an array", () => verifyInclusion(leaf, 2, 5, junk(null), root)],
    ["proof holding a string", () => verifyInclusion(leaf, 2, 5, junk([hex(leaf)]), root)],
    ["proof holding undefined", () => verifyInclusion(leaf, 2, 5, junk([undefined]), root)],
    ["leaf undefined", () => verifyInclusion(junk(undefined), 2, 5, proof, root)],
  ];

  it.each(inclusionCases)("verifyInclusion: %s", (_, call) => {
    expect(call).not.toThrow();
    expect(call()).toBe(false);
  });

  const consistencyCases: [string, () => boolean][] = [
    ["size1 zero", () => verifyConsistency(0, 5, cproof, EMPTY_ROOT, root)],
    ["both sizes zero, equal roots", () => verifyConsistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)],
    ["size1 above size2", () => verifyConsistency(5, 3, cproof, root, root3)],
    ["negative size", () => verifyConsistency(-3, 5, cproof, root3, root)],
    ["fractional size", () => verifyConsistency(3, 5.5, cproof, root3, root)],
    ["unsafe number size", () => verifyConsistency(3, 2 ** 53 + 2, cproof, root3, root)],
    ["bigint above 2^64 - 1", () => verifyConsistency(3n, 2n ** 64n, cproof, root3, root)],
    ["equal sizes, proof not empty", () => verifyConsistency(5, 5, [root], root, root)],
    ["equal sizes, different roots", () => verifyConsistency(5, 5, [], root3, root)],
    ["equal sizes, proof not an array", () => verifyConsistency(5, 5, junk(null), root, root)],
    [
      "equal sizes, roots undefined",
      () => verifyConsistency(5, 5, [], junk(undefined), junk(undefined)),
    ],
    ["root1 of 31 bytes", () => verifyConsistency(3, 5, cproof, root3.subarray(1), root)],
    ["root2 as a string", () => verifyConsistency(3, 5, cproof, root3, junk(hex(root)))],
    ["proof holding a short hash", () => verifyConsistency(3, 5, [new Uint8Array(8)], root3, root)],
    ["empty proof", () => verifyConsistency(3, 5, [], root3, root)],
    ["proof not an array", () => verifyConsistency(3, 5, junk("proof"), root3, root)],
  ];

  it.each(consistencyCases)("verifyConsistency: %s", (_, call) => {
    expect(call).not.toThrow();
    expect(call()).toBe(false);
  });

  it("accepts equal sizes with an empty proof and equal roots of any length (per the vectors)", () => {
    expect(verifyConsistency(5, 5, [], root, root)).toBe(true);
    expect(verifyConsistency(1, 1, [], utf8("don't care"), utf8("don't care"))).toBe(true);
  });
});

// --- builder preconditions ---------------------------------------------------------------------

describe("builders throw RangeError on broken preconditions", () => {
  const leaves = leafHashes.slice(0, 5);
  const fine: SubtreeRoot = (start, end) => rootFromLeafHashes(leaves.slice(start, end));

  it.each([
    ["index -1", () => inclusionProof(-1, leaves), "got index -1, want an integer in [0, 5)"],
    ["index = size", () => inclusionProof(5, leaves), "got index 5, want an integer in [0, 5)"],
    ["index 1.5", () => inclusionProof(1.5, leaves), "got index 1.5, want an integer in [0, 5)"],
    ["empty tree", () => inclusionProof(0, []), "size: got 0, want a safe integer >= 1"],
    ["size 2^53", () => inclusionProofFrom(0, 2 ** 53, fine), "size: got 9007199254740992"],
    ["size1 0", () => consistencyProof(0, leaves), "got size1 0, want an integer in [1, 5]"],
    ["size1 > size2", () => consistencyProof(6, leaves), "got size1 6, want an integer in [1, 5]"],
    ["size2 0", () => consistencyProofFrom(0, 0, fine), "size2: got 0, want a safe integer >= 1"],
    [
      "short leaf hash",
      () => rootFromLeafHashes([...leaves, new Uint8Array(31)]),
      "leaf hash 5: got 31 bytes, want 32 bytes",
    ],
    [
      "leaf hash not bytes",
      () => inclusionProof(0, [leaves[0] as Uint8Array, "x" as never]),
      "leaf hash 1: got string, want 32 bytes",
    ],
    [
      "subtreeRoot returning 31 bytes",
      () => inclusionProofFrom(0, 5, () => new Uint8Array(31)),
      "subtreeRoot(4, 5): got 31 bytes, want 32 bytes",
    ],
  ] as const)("%s", (_, call, message) => {
    expect(call).toThrow(RangeError);
    expect(call).toThrow(message);
  });

  it("gives an empty proof for a tree of one and for equal sizes", () => {
    expect(inclusionProof(0, leaves.slice(0, 1))).toEqual([]);
    expect(consistencyProof(5, leaves)).toEqual([]);
  });
});
