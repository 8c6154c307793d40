/**
 * Tree helpers of the ledger benchmark: an independent one-pass root at several sizes (the
 * synthetic logs' checkpoints, checked against `rootFromLeafHashes`) and a byte comparison.
 */
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

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}
