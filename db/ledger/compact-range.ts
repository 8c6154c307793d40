/**
 * A compact range: the roots of the perfect subtrees that make up a tree of n leaves (one per
 * set bit of n, largest first). Appending is amortised O(1) hashes and the root of the tree so
 * far costs O(log n), so the verifier can check a checkpoint at every size in one pass over the
 * leaves instead of rebuilding the tree per checkpoint.
 */
import * as crypto from "node:crypto";
import { EMPTY_ROOT, hashChildren } from "./merkle";

export class CompactRange {
  /** Subtree roots, largest (leftmost) first, with their leaf counts. */
  private readonly roots: { hash: Uint8Array; size: number }[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /**
   * Appends a leaf; returns the perfect subtrees it completed (sizes 2, 4, ...; each ends at the
   * new size), smallest first.
   */
  append(leafHash: Uint8Array): { hash: Uint8Array; size: number }[] {
    let node = { hash: leafHash, size: 1 };
    const completed: { hash: Uint8Array; size: number }[] = [];
    for (let last = this.roots.at(-1); last && last.size === node.size; last = this.roots.at(-1)) {
      this.roots.pop();
      node = { hash: hashChildren(last.hash, node.hash), size: last.size * 2 };
      completed.push(node);
    }
    this.roots.push(node);
    this.count += 1;
    return completed;
  }

  /** Size (u64 big-endian) then the subtree roots, largest first: 8 + 32 x popcount(size) bytes. */
  serialize(): Uint8Array {
    const out = Buffer.alloc(8 + 32 * this.roots.length);
    out.writeBigUInt64BE(BigInt(this.count));
    this.roots.forEach((r, i) => {
      out.set(r.hash, 8 + 32 * i);
    });
    return new Uint8Array(out);
  }

  /** The range `serialize` wrote; throws RangeError if the bytes cannot be one. */
  static deserialize(bytes: Uint8Array): CompactRange {
    const buffer = Buffer.from(bytes);
    if (buffer.length < 8)
      throw new RangeError(`compact range: want at least 8 bytes, got ${buffer.length}`);
    const size = Number(buffer.readBigUInt64BE(0));
    const sizes: number[] = [];
    for (let bit = 2 ** Math.floor(Math.log2(Math.max(size, 1))); bit >= 1; bit /= 2) {
      if (Math.floor(size / bit) % 2 === 1) sizes.push(bit);
    }
    if (size === 0) sizes.length = 0;
    if (buffer.length !== 8 + 32 * sizes.length) {
      throw new RangeError(
        `compact range of size ${size}: want ${8 + 32 * sizes.length} bytes, got ${buffer.length}`,
      );
    }
    const range = new CompactRange();
    range.count = size;
    sizes.forEach((subtree, i) => {
      range.roots.push({
        hash: new Uint8Array(buffer.subarray(8 + 32 * i, 40 + 32 * i)),
        size: subtree,
      });
    });
    return range;
  }

  /** RFC 9162 MTH of the leaves appended so far. */
  root(): Uint8Array {
    const last = this.roots.at(-1);
    if (!last) return EMPTY_ROOT;
    let hash = last.hash;
    for (let i = this.roots.length - 2; i >= 0; i -= 1) {
      hash = hashChildren((this.roots[i] as { hash: Uint8Array }).hash, hash);
    }
    return hash;
  }
}

/** The root at each of `sizes` (each at most leafHashes.length), in one pass. */
export function rootsAtSizes(
  leafHashes: readonly Uint8Array[],
  sizes: Iterable<number>,
): Map<number, Uint8Array> {
  const wanted = [...new Set(sizes)].sort((a, b) => a - b);
  const roots = new Map<number, Uint8Array>();
  const range = new CompactRange();
  let next = 0;
  for (const size of wanted) {
    if (size > leafHashes.length) break;
    while (range.size < size) range.append(leafHashes[next++] as Uint8Array);
    roots.set(size, range.root());
  }
  return roots;
}

/** A log's leaf hashes as the verifier holds them: chunks of consecutive leaves. */
export interface HashedChunk {
  count: number;
  /** 32 bytes per leaf. */
  leafHashes: Uint8Array;
  /** Roots of the chunk's complete 256-leaf blocks counted from its first leaf, 32 bytes each. */
  blockRoots: Uint8Array;
}

const BLOCK = 256;

/**
 * The root at each of `sizes` (sizes beyond the leaves or below 1 are skipped) over chunked
 * leaf hashes, where every chunk but the last holds `chunkSize` leaves (a multiple of 256): the
 * chunks' 256-leaf block roots stand in for their leaves, so a whole log costs n/256 node hashes
 * here plus at most 255 leaves per size that is not a multiple of 256. Throws RangeError when a
 * chunk other than the last is not `chunkSize` long.
 */
export function rootsAtSizesFromChunks(
  chunks: readonly HashedChunk[],
  chunkSize: number,
  sizes: Iterable<number>,
): Map<number, Uint8Array> {
  if (chunkSize % BLOCK !== 0)
    throw new RangeError(`chunk size ${chunkSize} is not a multiple of ${BLOCK}`);
  let total = 0;
  chunks.forEach((chunk, i) => {
    if (i < chunks.length - 1 && chunk.count !== chunkSize) {
      throw new RangeError(`chunk ${i} holds ${chunk.count} leaves, want ${chunkSize}`);
    }
    total += chunk.count;
  });
  const wanted = [...new Set(sizes)].filter((s) => s >= 1 && s <= total).sort((a, b) => a - b);
  const node = scratchNodeHasher();
  const leafAt = (p: number) => {
    const chunk = chunks[Math.floor(p / chunkSize)] as HashedChunk;
    const offset = (p % chunkSize) * 32;
    return chunk.leafHashes.subarray(offset, offset + 32);
  };
  const blockAt = (p: number) => {
    const chunk = chunks[Math.floor(p / chunkSize)] as HashedChunk;
    const offset = ((p % chunkSize) / BLOCK) * 32;
    return chunk.blockRoots.subarray(offset, offset + 32);
  };
  // Perfect subtrees of the first `pos` leaves (pos a multiple of 256), largest first.
  const stack: { hash: Uint8Array; size: number }[] = [];
  let pos = 0;
  const roots = new Map<number, Uint8Array>();
  for (const size of wanted) {
    while (pos + BLOCK <= size) {
      let entry = { hash: blockAt(pos) as Uint8Array, size: BLOCK };
      for (let last = stack.at(-1); last && last.size === entry.size; last = stack.at(-1)) {
        stack.pop();
        entry = { hash: node(last.hash, entry.hash), size: entry.size * 2 };
      }
      stack.push(entry);
      pos += BLOCK;
    }
    // The leaves past the last block boundary, as their own perfect subtrees.
    const partial: { hash: Uint8Array; size: number }[] = [];
    for (let p = pos; p < size; p++) {
      let entry = { hash: leafAt(p) as Uint8Array, size: 1 };
      for (let last = partial.at(-1); last && last.size === entry.size; last = partial.at(-1)) {
        partial.pop();
        entry = { hash: node(last.hash, entry.hash), size: entry.size * 2 };
      }
      partial.push(entry);
    }
    const all = [...stack, ...partial];
    let root = (all.at(-1) as { hash: Uint8Array }).hash;
    for (let i = all.length - 2; i >= 0; i--)
      root = node((all[i] as { hash: Uint8Array }).hash, root);
    roots.set(size, new Uint8Array(root));
  }
  return roots;
}

/**
 * The root of the perfect subtree of leaves [start, start + size) from the chunks' 256-leaf
 * block roots (layout as for rootsAtSizesFromChunks), or null when that is not a perfect
 * subtree of at least 256 leaves inside the leaves held.
 */
export function subtreeRootFromChunks(
  chunks: readonly HashedChunk[],
  chunkSize: number,
  start: number,
  size: number,
): Uint8Array | null {
  const total = chunks.reduce((n, chunk) => n + chunk.count, 0);
  const perfect = size >= BLOCK && 2 ** Math.round(Math.log2(size)) === size;
  if (!perfect || start % size !== 0 || start < 0 || start + size > total) return null;
  const node = scratchNodeHasher();
  let level: Uint8Array[] = [];
  for (let p = start; p < start + size; p += BLOCK) {
    const chunk = chunks[Math.floor(p / chunkSize)] as HashedChunk;
    const offset = ((p % chunkSize) / BLOCK) * 32;
    level.push(chunk.blockRoots.subarray(offset, offset + 32));
  }
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(node(level[i] as Uint8Array, level[i + 1] as Uint8Array));
    }
    level = next;
  }
  return new Uint8Array(level[0] as Uint8Array);
}

/** Node hashes over one reused input buffer; each result is a fresh array. */
function scratchNodeHasher(): (left: Uint8Array, right: Uint8Array) => Uint8Array {
  const input = new Uint8Array(65);
  input[0] = 0x01;
  return (left, right) => {
    input.set(left, 1);
    input.set(right, 33);
    return crypto.hash("sha256", input, "buffer");
  };
}
