/**
 * A log's Merkle tree as proofs need it, from what the store keeps: the perfect subtrees of 256
 * leaves and more that appends write to ledger_subtrees, and leaf hashes for the rest. A proof
 * first plans which ranges it will ask for (`plannedRanges`, running the builder over dummy
 * hashes: which ranges it asks for depends on the sizes only), the tree loads them in two
 * queries, then the builder runs again over the real hashes. So a proof over n leaves reads
 * O(log n) subtrees and at most a few runs of fewer than 256 leaf hashes, not all n of them.
 *
 * Ranges are positions, which are sequence numbers in a log that nobody tampered with; in one
 * that somebody did, proofs fail to verify against the signed checkpoints, and the verifier
 * names what changed. Logs written before subtrees were stored fall back to leaf hashes.
 */
import { sql } from "drizzle-orm";
import type { Store } from "../client";
import { BUNDLE_SIZE } from "./archive";
import { hashChildren, rootFromLeafHashes, type SubtreeRoot } from "./merkle";

type Range = readonly [start: number, end: number];

/** The ranges `build` asks `subtreeRoot` for, found by running it over a dummy hash. */
export function plannedRanges(build: (subtreeRoot: SubtreeRoot) => unknown): Range[] {
  const ranges: Range[] = [];
  const dummy = new Uint8Array(32);
  build((start, end) => {
    ranges.push([start, end]);
    return dummy;
  });
  return ranges;
}

const isPowerOfTwo = (n: number) => n >= 1 && 2 ** Math.round(Math.log2(n)) === n;
const largestPowerOfTwoBelow = (n: number) => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};

export class StoredTree {
  private readonly memo = new Map<string, Uint8Array>();

  private constructor(
    private readonly subtrees: Map<string, Uint8Array>,
    private readonly leaves: Map<number, Uint8Array>,
    /** Runs of loaded leaf hashes, sorted and apart. */
    private readonly leafRuns: Range[],
  ) {}

  /** Loads what `root` needs for each of `ranges` (each 0 <= start < end <= the log's size). */
  static async load(store: Store, logId: number, ranges: readonly Range[]): Promise<StoredTree> {
    const wanted = new Map<string, Range>();
    const leafRanges: Range[] = [];
    const plan = (start: number, end: number) => {
      const n = end - start;
      if (isPowerOfTwo(n) && start % n === 0 && n >= BUNDLE_SIZE) {
        wanted.set(`${start}/${n}`, [start, n]);
      } else if (n <= BUNDLE_SIZE) {
        leafRanges.push([start, end]);
      } else {
        const k = largestPowerOfTwoBelow(n);
        plan(start, start + k);
        plan(start + k, end);
      }
    };
    for (const [start, end] of ranges) plan(start, end);
    // Subtrees and the leaf runs known to be needed, together; then the leaves of any subtree
    // that is not stored (a log older than ledger_subtrees).
    const keys = [...wanted.values()].map(([start, size]) => ({ start, size }));
    const [rows, leaves] = await Promise.all([
      keys.length === 0
        ? []
        : store.rows<{ start: number; size: number; hash: Uint8Array }>(sql`
            select s.start, s.size, s.hash from ledger_subtrees s
            join jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) as k(start bigint, size bigint)
              on k.start = s.start and k.size = s.size
            where s.log_id = ${logId}`),
      readLeafHashes(store, logId, mergeRanges(leafRanges)),
    ]);
    const subtrees = new Map<string, Uint8Array>();
    for (const row of rows) {
      subtrees.set(`${Number(row.start)}/${Number(row.size)}`, new Uint8Array(row.hash));
    }
    const missing: Range[] = [];
    for (const [key, [start, size]] of wanted) {
      if (!subtrees.has(key)) missing.push([start, start + size]);
    }
    for (const [seq, hash] of await readLeafHashes(store, logId, mergeRanges(missing))) {
      leaves.set(seq, hash);
    }
    const merged = mergeRanges([...leafRanges, ...missing]);
    return new StoredTree(subtrees, leaves, merged);
  }

  /** MTH over leaves [start, end): a SubtreeRoot for the proof builders. Throws if not loaded. */
  readonly root: SubtreeRoot = (start, end) => {
    const key = `${start}/${end - start}`;
    const known = this.subtrees.get(key) ?? this.memo.get(key);
    if (known) return known;
    let hash: Uint8Array;
    if (end - start === 1) {
      const leaf = this.leaves.get(start);
      if (!leaf) throw new RangeError(`the tree has no leaf hash at ${start}`);
      hash = leaf;
    } else if (this.leafRuns.some(([from, to]) => from <= start && end <= to)) {
      // All its leaves are here: one pass over them.
      const run: Uint8Array[] = [];
      for (let i = start; i < end; i++) run.push(this.leaves.get(i) ?? new Uint8Array(0));
      hash = rootFromLeafHashes(run);
    } else {
      const k = largestPowerOfTwoBelow(end - start);
      hash = hashChildren(this.root(start, start + k), this.root(start + k, end));
    }
    this.memo.set(key, hash);
    return hash;
  };
}

async function readLeafHashes(
  store: Store,
  logId: number,
  runs: readonly Range[],
): Promise<Map<number, Uint8Array>> {
  const leaves = new Map<number, Uint8Array>();
  if (runs.length === 0) return leaves;
  const where = sql.join(
    runs.map(([start, end]) => sql`(seq >= ${start} and seq < ${end})`),
    sql` or `,
  );
  const rows = await store.rows<{ seq: number; leaf_hash: Uint8Array }>(sql`
    select seq, leaf_hash from ledger_records where log_id = ${logId} and (${where})`);
  for (const row of rows) leaves.set(Number(row.seq), new Uint8Array(row.leaf_hash));
  return leaves;
}

function mergeRanges(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [start, end] of sorted) {
    const last = out.at(-1);
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}
