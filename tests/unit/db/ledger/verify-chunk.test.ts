import * as crypto from "node:crypto";
import * as zlib from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { encodeBundle } from "../../../../db/ledger/archive";
import { canonicalBytes } from "../../../../db/ledger/canonical";
import { hashLeaf, rootFromLeafHashes } from "../../../../db/ledger/merkle";
import { createChunker } from "../../../../db/ledger/verify";
import { type ChunkInput, verifyChunk } from "../../../../db/ledger/verify-chunk";
import { RemoteReadError, VerifyPool } from "../../../../db/ledger/verify-pool";
import { type ChunkRows, encodeChunkRows } from "../../../setup/chunk-rows";

const deps = { crypto, zlib };
const ORIGIN = "provtopia.example/prov/host-a";
const sha = (bytes: Uint8Array) =>
  `sha256:${crypto.createHash("sha256").update(bytes).digest("hex")}`;

function record(seq: number, raw: Uint8Array, extra: Record<string, unknown> = {}) {
  return {
    v: 1,
    origin: ORIGIN,
    seq,
    host: "host-a",
    object: sha(raw),
    digest: sha(new Uint8Array([seq % 7])),
    receivedAt: new Date(Date.UTC(2024, 0, 1) + seq * 1000).toISOString(),
    ...extra,
  };
}

function chunkOf(n: number, edit: (i: number, leaf: Uint8Array) => Uint8Array = (_, l) => l) {
  const raws = Array.from({ length: n }, (_, i) => Buffer.from(`{"message":${i}}`));
  const leaves = raws.map((raw, i) => canonicalBytes(record(i, raw)));
  const stored = leaves.map((leaf, i) => edit(i, leaf));
  const rows = stored.map((leaf, seq) => ({ seq, leaf, hash: hashLeaf(leaf) }));
  const sealed = Math.floor(n / 256) * 256;
  const bundles = [];
  for (let first = 0; first < sealed; first += 256) {
    const entries = leaves
      .slice(first, first + 256)
      .map((leaf, i) => ({ leaf, raw: raws[first + i] as Uint8Array }));
    bundles.push({ firstSeq: first, count: 256, data: encodeBundle(entries) });
  }
  const tail = leaves
    .slice(sealed)
    .map((leaf, i) => ({ seq: sealed + i, leaf, raw: raws[sealed + i] as Uint8Array }));
  const parts: Required<ChunkRows> = { records: rows, bundles, tail };
  const input = inputOf(parts);
  return { input, parts, leaves, rows, raws };
}

function inputOf(parts: ChunkRows, owned: { ownedFrom?: number; ownedTo?: number } = {}) {
  const input: ChunkInput = {
    origin: ORIGIN,
    host: "host-a",
    rows: encodeChunkRows(parts),
    ownedFrom: owned.ownedFrom ?? Number.MIN_SAFE_INTEGER,
    ownedTo: owned.ownedTo ?? Number.MAX_SAFE_INTEGER,
  };
  return input;
}

describe("verifyChunk", () => {
  it("recomputes leaf hashes and 256-leaf block roots of a clean chunk, and finds nothing", () => {
    const { input, leaves } = chunkOf(600);
    const out = verifyChunk(input, deps);
    expect(out.findings).toEqual([]);
    expect(out.count).toBe(600);
    expect([...out.leafSeqs]).toEqual(leaves.map((_, i) => i));
    const hashes = leaves.map(hashLeaf);
    expect(Buffer.from(out.leafHashes).equals(Buffer.concat(hashes))).toBe(true);
    expect(out.blockRoots.length).toBe(2 * 32);
    for (let b = 0; b < 2; b++) {
      const root = rootFromLeafHashes(hashes.slice(b * 256, (b + 1) * 256));
      expect(Buffer.from(out.blockRoots.subarray(b * 32, b * 32 + 32)).equals(root)).toBe(true);
    }
  });

  it("leaves its input as it came, so a chunk can be verified again", () => {
    const { input } = chunkOf(300);
    const before = Buffer.from(input.rows);
    const first = verifyChunk(input, deps);
    expect(Buffer.from(input.rows).equals(before)).toBe(true);
    expect(verifyChunk(input, deps)).toEqual(first);
  });

  it("refuses a COPY stream it cannot read instead of verifying part of it", () => {
    const { input } = chunkOf(10);
    const cut = { ...input, rows: input.rows.subarray(0, input.rows.length - 40) };
    expect(() => verifyChunk(cut, deps)).toThrow(/cut short/);
    const unsigned = { ...input, rows: input.rows.slice() };
    unsigned.rows[0] = 0;
    expect(() => verifyChunk(unsigned, deps)).toThrow(/signature/);
    const a = { seq: 2, leaf: new Uint8Array([1]), hash: null };
    const b = { seq: 1, leaf: new Uint8Array([1]), hash: null };
    // encodeChunkRows sorts; splice two encoded rows by hand to send them out of order.
    const one = Buffer.from(encodeChunkRows({ records: [a] }));
    const other = Buffer.from(encodeChunkRows({ records: [b] }));
    const rowOf = (bytes: Buffer) => bytes.subarray(19, bytes.length - 2);
    const outOfOrder = Buffer.concat([
      one.subarray(0, 19),
      rowOf(one),
      rowOf(other),
      one.subarray(one.length - 2),
    ]);
    expect(() => verifyChunk({ ...input, rows: outOfOrder }, deps)).toThrow(/out of order/);
  });

  it("reads a NULL stored hash as a wrong one", () => {
    const { parts } = chunkOf(3);
    (parts.records[1] as { hash: Uint8Array | null }).hash = null;
    const out = verifyChunk(inputOf(parts), deps);
    expect(out.findings.map((f) => [f.index, f.kind])).toEqual([[1, "changed"]]);
  });

  it("accepts canonical leaves whose strings need escapes, and refuses every other text", () => {
    const raw = Buffer.from("x");
    const escaped = canonicalBytes(record(1, raw, { host: 'host-"a"\u00e9\n' }));
    const cases: [string, Uint8Array, boolean][] = [
      ["canonical", canonicalBytes(record(1, raw)), true],
      ["escapes, canonical", escaped, true],
      ["signed", canonicalBytes(record(1, raw, { signedBy: "host-a+01020304" })), true],
      ["spaces", Buffer.from(JSON.stringify(record(1, raw), null, 1)), false],
      ["unsorted", Buffer.from(JSON.stringify(record(1, raw))), false],
      ["extra member", canonicalBytes(record(1, raw, { x: 1 })), false],
      [
        "seq 1.0",
        Buffer.from(
          Buffer.from(canonicalBytes(record(1, raw)))
            .toString()
            .replace('"seq":1,', '"seq":1.0,'),
        ),
        false,
      ],
      [
        "escaped letter",
        Buffer.from(
          Buffer.from(canonicalBytes(record(1, raw)))
            .toString()
            .replace('"host":"h', '"host":"\\u0068'),
        ),
        false,
      ],
      [
        "lone surrogate",
        Buffer.from(Buffer.from(escaped).toString().replace("\u00e9", "\\udc00")),
        false,
      ],
      [
        "bad UTF-8",
        Buffer.concat([canonicalBytes(record(1, raw)).subarray(0, 20), Buffer.from([0xff])]),
        false,
      ],
      ["v 2", canonicalBytes({ ...record(1, raw), v: 2 }), false],
      [
        "DEL and an empty string",
        canonicalBytes(record(1, raw, { host: "\u007f", digest: "" })),
        true,
      ],
      ["negative seq", canonicalBytes({ ...record(1, raw), seq: -7 }), true],
      [
        "largest safe seq",
        canonicalBytes({ ...record(1, raw), seq: Number.MAX_SAFE_INTEGER }),
        true,
      ],
      ...(["-0", "01", "9007199254740993", "1e3"] as const).map(
        (seq): [string, Uint8Array, boolean] => [
          `seq ${seq}`,
          Buffer.from(
            Buffer.from(canonicalBytes(record(1, raw)))
              .toString()
              .replace('"seq":1,', `"seq":${seq},`),
          ),
          false,
        ],
      ),
      [
        "trailing newline",
        Buffer.concat([canonicalBytes(record(1, raw)), Buffer.from("\n")]),
        false,
      ],
      [
        "signedBy after v",
        Buffer.from(
          Buffer.from(canonicalBytes(record(1, raw)))
            .toString()
            .replace('"v":1}', '"v":1,"signedBy":"k"}'),
        ),
        false,
      ],
    ];
    for (const [name, leaf, ok] of cases) {
      const input = inputOf(
        { records: [{ seq: 1, leaf, hash: hashLeaf(leaf) }], tail: [{ seq: 1, leaf, raw }] },
        { ownedFrom: 0, ownedTo: 1 },
      );
      const out = verifyChunk(input, deps);
      const unreadable = out.findings.some((f) => f.detail.includes("not the canonical JSON"));
      expect(unreadable, name).toBe(!ok);
    }
  });

  it("names each edited record: leaf, stored hash, archived copy, raw message, missing copy", () => {
    const { parts, rows } = chunkOf(300, (i, leaf) =>
      i === 5 ? canonicalBytes(record(5, Buffer.from("other"))) : leaf,
    );
    const hashRow = rows[7] as { hash: Uint8Array };
    hashRow.hash = new Uint8Array(32);
    // The raw message of record 9 inside the sealed bundle.
    const bundle = parts.bundles[0] as { data: Uint8Array };
    const frame = Buffer.from(zlib.brotliDecompressSync(bundle.data));
    const at = frame.indexOf('{"message":9}');
    frame.write("8", at + 11);
    bundle.data = zlib.brotliCompressSync(frame);
    const edited = inputOf({ ...parts, tail: parts.tail.filter((t) => t.seq !== 290) });
    const out = verifyChunk(edited, deps);
    // Record 5 differs from its archived copy, and its object is no longer the raw message's.
    expect(out.findings.map((f) => [f.index, f.kind]).sort()).toEqual([
      [290, "archive"],
      [5, "archive"],
      [5, "changed"],
      [7, "changed"],
      [9, "archive"],
    ]);
  });

  it("reports a damaged bundle once, from the chunk that owns its first record", () => {
    const { parts } = chunkOf(300);
    (parts.bundles[0] as { data: Uint8Array }).data = new Uint8Array([1, 2, 3]);
    const input = inputOf(parts);
    const owner = verifyChunk(input, deps);
    expect(owner.findings.filter((f) => f.detail.startsWith("bundle"))).toEqual([
      { index: 0, kind: "archive", detail: "bundle 0: the bundle does not decompress (brotli)" },
    ]);
    const other = verifyChunk({ ...input, ownedFrom: 100 }, deps);
    expect(other.findings.some((f) => f.detail.startsWith("bundle 0"))).toBe(false);
  });

  it("names a bundle frame that is cut short, has bytes left over or holds fewer entries", () => {
    const { parts, leaves, raws } = chunkOf(256);
    const frame = Buffer.from(zlib.brotliDecompressSync(parts.bundles[0]?.data as Uint8Array));
    const withFrame = (bytes: Buffer) =>
      verifyChunk(
        inputOf({
          ...parts,
          bundles: [{ firstSeq: 0, count: 256, data: zlib.brotliCompressSync(bytes) }],
        }),
        deps,
      )
        .findings.filter((f) => f.detail.startsWith("bundle"))
        .map((f) => f.detail);
    expect(withFrame(frame)).toEqual([]);
    expect(withFrame(frame.subarray(0, frame.length - 3))).toEqual([
      "bundle 0: the bundle ends inside entry 255",
    ]);
    expect(withFrame(Buffer.concat([frame, Buffer.from([0, 0])]))).toEqual([
      "bundle 0: the bundle has 2 bytes after its 256 entries",
    ]);
    // The first 255 entries, with the frame's count saying so: record 255 has no copy.
    const last = 4 + (leaves[255] as Uint8Array).length + 4 + (raws[255] as Uint8Array).length;
    const short = Buffer.from(frame.subarray(0, frame.length - last));
    short.writeUInt32BE(255, 4);
    expect(withFrame(short)).toEqual(["bundle 0 holds 255 entries, not 256"]);
  });
});

describe("VerifyPool", () => {
  const pool = new VerifyPool(2);
  afterAll(() => pool.close());

  it("runs verifyChunk's own code on worker threads, with the same results", async () => {
    const { input } = chunkOf(700, (i, leaf) => (i === 3 ? Buffer.from("{}") : leaf));
    const other = { ...input, host: "host-b" };
    const want = [verifyChunk(input, deps), verifyChunk(other, deps)];
    // Each run moves its chunk's bytes to the worker: give each its own.
    const [a, b] = await Promise.all([
      pool.run({ ...input, rows: input.rows.slice() }),
      pool.run({ ...other, rows: other.rows.slice() }),
    ]);
    expect(pool.usable).toBe(true);
    expect([a, b]).toEqual(want);
    expect(b?.findings.filter((f) => f.kind === "re-attributed")).toHaveLength(699);
  });

  it("moves a chunk's bytes to the worker, and copies a view of a bigger buffer", async () => {
    const { input } = chunkOf(300);
    const moved = { ...input, rows: input.rows.slice() };
    const length = moved.rows.buffer.byteLength;
    let back: ArrayBuffer | null = null;
    await pool.run(moved, (spare) => {
      back = spare;
    });
    expect(moved.rows.byteLength).toBe(0); // detached
    expect((back as ArrayBuffer | null)?.byteLength).toBe(length); // and back, for reuse
    const inside = new Uint8Array(input.rows.length + 8);
    inside.set(input.rows, 8);
    const view = { ...input, rows: inside.subarray(8) };
    expect(await pool.run(view)).toEqual(verifyChunk(input, deps));
    expect(view.rows.byteLength).toBe(input.rows.length);
  });
});

describe("createChunker", () => {
  it("verifies a chunk here, read again, when the worker pool fails with it", async () => {
    const { input } = chunkOf(600);
    const want = verifyChunk(input, deps);
    // A pool that takes the bytes and then fails, as a worker that dies does.
    const failing = {
      usable: true,
      run: async (chunk: ChunkInput) => {
        structuredClone(chunk.rows, { transfer: [chunk.rows.buffer as ArrayBuffer] });
        throw new Error("verifier worker exited with code 1");
      },
    } as unknown as VerifyPool;
    let reads = 0;
    const read = async () => {
      reads += 1;
      return { ...input, rows: input.rows.slice() };
    };
    const chunker = createChunker(1, 256, () => failing);
    expect(await chunker.verify(read, true)).toEqual(want);
    expect(reads).toBe(2);
    // Not pooled: verified here from the one read.
    reads = 0;
    expect(await createChunker(1, 256, () => failing).verify(read, false)).toEqual(want);
    expect(reads).toBe(1);
  });

  it("reads a chunk here when a worker cannot read it, and stops asking the workers to", async () => {
    const { input } = chunkOf(600);
    const want = verifyChunk(input, deps);
    const { rows: _rows, ...meta } = input;
    const remote = { url: "postgres://nowhere/x", select: "select 1", input: meta };
    let remoteRuns = 0;
    let localRuns = 0;
    const refusing = {
      usable: true,
      runRemote: async () => {
        remoteRuns += 1;
        throw new RemoteReadError("verifier worker: connection refused");
      },
      run: async (chunk: ChunkInput) => {
        localRuns += 1;
        return verifyChunk(chunk, deps);
      },
    } as unknown as VerifyPool;
    let reads = 0;
    const read = async () => {
      reads += 1;
      return { ...input, rows: input.rows.slice() };
    };
    const chunker = createChunker(1, 256, () => refusing);
    expect(await chunker.verify(read, true, remote)).toEqual(want);
    expect(await chunker.verify(read, true, remote)).toEqual(want);
    expect([remoteRuns, reads, localRuns]).toEqual([1, 2, 2]);
  });

  it("has the workers read the chunks themselves when they can", async () => {
    const { input } = chunkOf(300);
    const want = verifyChunk(input, deps);
    const { rows: _rows, ...meta } = input;
    const reading = {
      usable: true,
      runRemote: async () => want,
    } as unknown as VerifyPool;
    const read = async () => {
      throw new Error("read on the main thread");
    };
    const chunker = createChunker(1, 256, () => reading);
    expect(await chunker.verify(read, true, { url: "u", select: "s", input: meta })).toBe(want);
  });
});
