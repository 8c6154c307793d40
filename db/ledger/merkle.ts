/**
 * Merkle tree hashing and proofs of RFC 6962 / RFC 9162 over SHA-256: pure and synchronous.
 *
 * Invariants: a leaf hash is SHA-256(0x00 ‖ leaf), an interior node SHA-256(0x01 ‖ left ‖ right),
 * and a tree of n > 1 leaves splits at the largest power of two below n (MTH, RFC 9162 §2.1.1).
 * Builders throw RangeError on a broken precondition (they are called by our own store);
 * verifiers never throw and return false on any malformed input (they judge outside data).
 *
 * Trade-offs: the verifiers do their index arithmetic in BigInt, because JavaScript's `>>`
 * and `&` truncate to 32 bits and a log may outgrow 2^32 leaves; a proof has at most 64
 * steps, so BigInt costs nothing next to the hashing. The builders take plain numbers (safe
 * integers, below 2^53) and never use bit operators. Hashing uses node:crypto's one-shot
 * `hash()` where the runtime has it (Node >= 20.12, about a third faster per node than a
 * `createHash` object) and `createHash` otherwise; each node costs one native call, which is
 * what bounds the speed of `rootFromLeafHashes`.
 */
import * as crypto from "node:crypto";

/** Bytes in a SHA-256 hash, hence in every leaf hash, node hash, root and proof element. */
export const HASH_SIZE = 32;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/** RFC 6962 uses unsigned 64-bit tree sizes; a verifier accepts nothing larger. */
const MAX_TREE_SIZE = (1n << 64n) - 1n;

type OneShotHash = (algorithm: string, data: Uint8Array, outputEncoding: "buffer") => Uint8Array;
// Read off the namespace so a runtime without `hash` (Node 20.11) falls back instead of failing
// to link.
const oneShotHash = (crypto as { hash?: OneShotHash }).hash;

// The digest as node:crypto returns it: a Buffer, whose `slice` shares memory.
function rawSha256(data: Uint8Array): Uint8Array {
  return oneShotHash
    ? oneShotHash("sha256", data, "buffer")
    : crypto.createHash("sha256").update(data).digest();
}

// What callers get: a plain Uint8Array over the digest's own 32 bytes, so that `slice` copies,
// as callers that copy a hash before changing it expect.
function sha256(data: Uint8Array): Uint8Array {
  const digest = rawSha256(data);
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

/** SHA-256 of the empty string: the root of the empty tree (RFC 9162 §2.1.1). Do not mutate. */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

/** RFC 9162 leaf hash: SHA-256(0x00 ‖ data). Returns a fresh 32-byte array. */
export function hashLeaf(data: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + data.length);
  input[0] = LEAF_PREFIX;
  input.set(data, 1);
  return sha256(input);
}

/** RFC 9162 interior node hash: SHA-256(0x01 ‖ left ‖ right). Returns a fresh 32-byte array. */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + left.length + right.length);
  input[0] = NODE_PREFIX;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return sha256(input);
}

/**
 * Returns MTH(D[start:end]), the root over leaves [start, end) of the tree being proved. The
 * proof builders ask only for a perfect subtree (end - start = 2^j, start a multiple of 2^j)
 * or a range that ends at the tree's size, so a store can answer from stored subtree hashes.
 */
export type SubtreeRoot = (start: number, end: number) => Uint8Array;

/**
 * MTH of RFC 9162 §2.1.1 over leaf hashes (not leaf data): EMPTY_ROOT for none.
 * Requires every element to be HASH_SIZE bytes; throws RangeError otherwise. Iterative, keeps
 * O(log n) hashes and does n - 1 node hashes.
 */
export function rootFromLeafHashes(leafHashes: readonly Uint8Array[]): Uint8Array {
  requireLeafHashes(leafHashes);
  if (leafHashes.length === 0) return new Uint8Array(EMPTY_ROOT);
  return rootOfRange(leafHashes, 0, leafHashes.length);
}

/**
 * The inclusion proof (audit path, RFC 9162 §2.1.3.1 PATH) of leaf `index` in the tree of all
 * `leafHashes`. Requires 0 <= index < leafHashes.length and 32-byte leaf hashes; throws
 * RangeError otherwise.
 */
export function inclusionProof(index: number, leafHashes: readonly Uint8Array[]): Uint8Array[] {
  requireLeafHashes(leafHashes);
  return inclusionProofFrom(index, leafHashes.length, (start, end) =>
    rootOfRange(leafHashes, start, end),
  );
}

/**
 * The consistency proof (RFC 9162 §2.1.4.1 PROOF/SUBPROOF) from the tree of the first `size1`
 * leaves to the tree of all `leafHashes` (size2 = leafHashes.length). Requires
 * 0 < size1 <= size2 and 32-byte leaf hashes; throws RangeError otherwise. Empty when equal.
 */
export function consistencyProof(size1: number, leafHashes: readonly Uint8Array[]): Uint8Array[] {
  requireLeafHashes(leafHashes);
  return consistencyProofFrom(size1, leafHashes.length, (start, end) =>
    rootOfRange(leafHashes, start, end),
  );
}

/**
 * `inclusionProof` for a tree known only through `subtreeRoot`. Requires `size` a safe integer,
 * 0 <= index < size; throws RangeError otherwise, or when `subtreeRoot` returns a value that is
 * not HASH_SIZE bytes. Calls `subtreeRoot` once per proof element, at most 53 times.
 */
export function inclusionProofFrom(
  index: number,
  size: number,
  subtreeRoot: SubtreeRoot,
): Uint8Array[] {
  requireSize("size", size, 1);
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`inclusion proof: got index ${index}, want an integer in [0, ${size})`);
  }
  const root = checkedSubtreeRoot(subtreeRoot);
  // PATH(m, D[lo:hi]) recurses into the half holding m and appends the other half's root, so
  // descending collects the siblings top-down; the proof lists them bottom-up.
  const siblings: Uint8Array[] = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const mid = lo + largestPowerOfTwoBelow(hi - lo);
    if (index < mid) {
      siblings.push(root(mid, hi));
      hi = mid;
    } else {
      siblings.push(root(lo, mid));
      lo = mid;
    }
  }
  return siblings.reverse();
}

/**
 * `consistencyProof` for a tree known only through `subtreeRoot`. Requires `size2` a safe
 * integer and 0 < size1 <= size2; throws RangeError otherwise, or when `subtreeRoot` returns a
 * value that is not HASH_SIZE bytes. Calls `subtreeRoot` once per proof element.
 */
export function consistencyProofFrom(
  size1: number,
  size2: number,
  subtreeRoot: SubtreeRoot,
): Uint8Array[] {
  requireSize("size2", size2, 1);
  if (!Number.isSafeInteger(size1) || size1 < 1 || size1 > size2) {
    throw new RangeError(`consistency proof: got size1 ${size1}, want an integer in [1, ${size2}]`);
  }
  const root = checkedSubtreeRoot(subtreeRoot);
  // SUBPROOF(m, D[lo:hi], b): `known` is b, true while D[lo:lo+m] is the whole old tree, whose
  // root the verifier already has.
  const siblings: Uint8Array[] = [];
  let lo = 0;
  let hi = size2;
  let m = size1;
  let known = true;
  while (m !== hi - lo) {
    const k = largestPowerOfTwoBelow(hi - lo);
    if (m <= k) {
      siblings.push(root(lo + k, hi));
      hi = lo + k;
    } else {
      siblings.push(root(lo, lo + k));
      lo += k;
      m -= k;
      known = false;
    }
  }
  const proof = known ? [] : [root(lo, hi)];
  for (let i = siblings.length - 1; i >= 0; i--) proof.push(siblings[i] as Uint8Array);
  return proof;
}

/**
 * RFC 9162 §2.1.3.2: does `proof` show that `leafHash` is leaf `index` of the tree of `treeSize`
 * leaves whose root is `root`? Never throws: false for any malformed input (hashes that are not
 * HASH_SIZE bytes, sizes that are negative, fractional, unsafe numbers or above 2^64 - 1,
 * index >= treeSize, a proof too long or too short). The proof binds the index, not the tree
 * size: a neighbouring size whose path takes the same turns verifies too, so take treeSize and
 * root together from a signed checkpoint.
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number | bigint,
  treeSize: number | bigint,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  const fn0 = toTreeSize(index);
  const size = toTreeSize(treeSize);
  if (fn0 === undefined || size === undefined || fn0 >= size) return false;
  if (!isHash(leafHash) || !isHash(root) || !isProof(proof)) return false;
  const node = nodeHasher();
  let fn = fn0;
  let sn = size - 1n;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = node(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = node(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && bytesEqual(r, root);
}

/**
 * RFC 9162 §2.1.4.2: does `proof` show that the tree of `size2` leaves with root `root2` extends
 * the tree of `size1` leaves with root `root1`? Never throws: false for any malformed input,
 * including size1 == 0 (nothing to prove; the vectors treat it as an error) and size1 > size2.
 * Equal sizes need an empty proof and equal roots; that case is decided before hash lengths are
 * checked, as the transparency-dev vectors require. As with inclusion, size2 is bound only by
 * the checkpoint that signs it with root2.
 */
export function verifyConsistency(
  size1: number | bigint,
  size2: number | bigint,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  const first = toTreeSize(size1);
  const second = toTreeSize(size2);
  // size1 >= 1 also keeps fn = size1 - 1 non-negative: with -1 the shifts below never end.
  if (first === undefined || second === undefined || first === 0n || first > second) return false;
  if (!Array.isArray(proof)) return false;
  if (first === second) {
    return (
      proof.length === 0 &&
      root1 instanceof Uint8Array &&
      root2 instanceof Uint8Array &&
      bytesEqual(root1, root2)
    );
  }
  if (!isHash(root1) || !isHash(root2) || !isProof(proof) || proof.length === 0) return false;
  // Step 2: when size1 is a power of two the old root is itself a node of the new tree, and
  // the proof omits it.
  const path = (first & (first - 1n)) === 0n ? [root1, ...proof] : proof;
  const node = nodeHasher();
  let fn = first - 1n;
  let sn = second - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0] as Uint8Array;
  let sr = fr;
  for (let i = 1; i < path.length; i++) {
    const c = path[i] as Uint8Array;
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = node(c, fr);
      sr = node(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = node(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && bytesEqual(fr, root1) && bytesEqual(sr, root2);
}

// MTH(D[start:end]) for end > start, as a fresh plain array. Keeps the roots of the perfect
// subtrees completed so far (sizes strictly decreasing powers of two, the binary digits of the
// count) and folds them right to left at the end, which is exactly the split at the largest
// power of two.
function rootOfRange(leafHashes: readonly Uint8Array[], start: number, end: number): Uint8Array {
  const node = nodeHasher();
  const stack: Uint8Array[] = [];
  for (let i = start; i < end; i++) {
    let top = leafHashes[i] as Uint8Array;
    // Leaf number c = i - start completes one perfect subtree per trailing one bit of c.
    for (let c = i - start; c % 2 === 1; c = (c - 1) / 2) {
      top = node(stack.pop() as Uint8Array, top);
    }
    stack.push(top);
  }
  let root = stack.pop() as Uint8Array;
  for (let left = stack.pop(); left !== undefined; left = stack.pop()) {
    root = node(left, root);
  }
  return new Uint8Array(root);
}

// `hashChildren` for hot loops over 32-byte hashes whose intermediate nodes stay private: one
// reusable input buffer, node:crypto's digests returned as they come (a quarter to a third
// faster per node than allocating both). Requires both arguments to be HASH_SIZE bytes.
function nodeHasher(): (left: Uint8Array, right: Uint8Array) => Uint8Array {
  const input = new Uint8Array(1 + 2 * HASH_SIZE);
  input[0] = NODE_PREFIX;
  return (left, right) => {
    input.set(left, 1);
    input.set(right, 1 + HASH_SIZE);
    return rawSha256(input);
  };
}

/** The largest power of two strictly below n, for 2 <= n <= 2^53 (no 32-bit operators). */
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function requireLeafHashes(leafHashes: readonly Uint8Array[]): void {
  for (let i = 0; i < leafHashes.length; i++) {
    const h = leafHashes[i];
    if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
      const got = h instanceof Uint8Array ? `${h.length} bytes` : typeof h;
      throw new RangeError(`leaf hash ${i}: got ${got}, want ${HASH_SIZE} bytes`);
    }
  }
}

function requireSize(name: string, size: number, min: number): void {
  if (!Number.isSafeInteger(size) || size < min) {
    throw new RangeError(`${name}: got ${size}, want a safe integer >= ${min}`);
  }
}

function checkedSubtreeRoot(subtreeRoot: SubtreeRoot): SubtreeRoot {
  return (start, end) => {
    const h = subtreeRoot(start, end);
    if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
      const got = h instanceof Uint8Array ? `${h.length} bytes` : typeof h;
      throw new RangeError(`subtreeRoot(${start}, ${end}): got ${got}, want ${HASH_SIZE} bytes`);
    }
    return h;
  };
}

/** A tree size or index as a uint64 BigInt, or undefined when it is not one exactly. */
function toTreeSize(value: unknown): bigint | undefined {
  if (typeof value === "bigint") return value >= 0n && value <= MAX_TREE_SIZE ? value : undefined;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  return undefined;
}

function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === HASH_SIZE;
}

function isProof(proof: unknown): proof is readonly Uint8Array[] {
  return Array.isArray(proof) && proof.every(isHash);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
