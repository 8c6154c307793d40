/**
 * Tree hashing variants the ledger benchmark measures against db/ledger/merkle.ts, as
 * suggestions for db/ledger (this directory only measures; it does not change the ledger). Each
 * gives the same RFC 9162 roots as `rootFromLeafHashes`, which the benchmark checks before it
 * reports a time.
 */
import * as crypto from "node:crypto";
import { hashChildren } from "../../db/ledger/merkle";

/**
 * The roots of the trees of the first `size` leaves for every size in `sizes`, in one pass over
 * the leaves: n - 1 node hashes for the whole log plus O(log n) per size, where calling
 * `rootFromLeafHashes(hashes.slice(0, size))` for each size (what verify.ts does per checkpoint)
 * costs the sum of all sizes. Sizes below 1 are skipped; a size above leafHashes.length throws
 * RangeError.
 */
export function rootsAtSizes(
  leafHashes: readonly Uint8Array[],
  sizes: readonly number[],
): Map<number, Uint8Array> {
  const wanted = [...new Set(sizes)].filter((size) => size > 0).sort((a, b) => a - b);
  const roots = new Map<number, Uint8Array>();
  // Roots of the perfect subtrees completed so far, largest first (as in merkle.ts rootOfRange).
  const stack: Uint8Array[] = [];
  let next = 0;
  for (let i = 0; i < leafHashes.length && next < wanted.length; i++) {
    let node = leafHashes[i] as Uint8Array;
    for (let c = i; c % 2 === 1; c = (c - 1) / 2) {
      node = hashChildren(stack.pop() as Uint8Array, node);
    }
    stack.push(node);
    while (wanted[next] === i + 1) {
      let root = stack[stack.length - 1] as Uint8Array;
      for (let j = stack.length - 2; j >= 0; j--) root = hashChildren(stack[j] as Uint8Array, root);
      roots.set(i + 1, root);
      next += 1;
    }
  }
  if (next < wanted.length) {
    throw new RangeError(`rootsAtSizes: size ${wanted[next]} exceeds ${leafHashes.length} leaves`);
  }
  return roots;
}

type OneShotHash = (algorithm: string, data: Uint8Array, outputEncoding: "buffer") => Uint8Array;
const oneShotHash = (crypto as { hash?: OneShotHash }).hash;
const scratch = new Uint8Array(65);

/**
 * RFC 9162 node hash written into one reused 65-byte input buffer (the hash is synchronous, so
 * nothing else can see the buffer in between): no input allocation and copy per node.
 */
export function hashChildrenScratch(left: Uint8Array, right: Uint8Array): Uint8Array {
  scratch[0] = 0x01;
  scratch.set(left, 1);
  scratch.set(right, 33);
  if (oneShotHash) return oneShotHash("sha256", scratch, "buffer");
  return crypto.createHash("sha256").update(scratch).digest();
}

/** `rootFromLeafHashes` (same algorithm) with `hashChildrenScratch`; requires >= 1 leaf. */
export function rootWithScratch(leafHashes: readonly Uint8Array[]): Uint8Array {
  const stack: Uint8Array[] = [];
  for (let i = 0; i < leafHashes.length; i++) {
    let node = leafHashes[i] as Uint8Array;
    for (let c = i; c % 2 === 1; c = (c - 1) / 2) {
      node = hashChildrenScratch(stack.pop() as Uint8Array, node);
    }
    stack.push(node);
  }
  let root = stack.pop() as Uint8Array;
  for (let left = stack.pop(); left !== undefined; left = stack.pop()) {
    root = hashChildrenScratch(left, root);
  }
  return root;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}
