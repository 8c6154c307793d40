import { brotliCompressSync, constants } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  type ArchivedEntry,
  ArchiveError,
  decodeBundle,
  encodeBundle,
  encodeBundleFrom,
  frameLength,
} from "../../../../db/ledger/archive";

/** encodeBundle as it was before bundles were sealed in batches: the bytes the ledger holds. */
function oneShot(entries: readonly ArchivedEntry[]): Uint8Array {
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const parts: Buffer[] = [Buffer.from("PTB1", "ascii"), u32(entries.length)];
  for (const { leaf, raw } of entries)
    parts.push(u32(leaf.length), Buffer.from(leaf), u32(raw.length), Buffer.from(raw));
  return brotliCompressSync(Buffer.concat(parts), {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 5,
      [constants.BROTLI_PARAM_LGWIN]: 22,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
    },
  });
}

/** CamFlow-like JSON of `bytes` bytes: repetitive, as provenance is, but not a single pattern. */
function message(bytes: number, seed: number): Uint8Array {
  let text = "";
  let x = seed;
  while (text.length < bytes) {
    x = (x * 1_103_515_245 + 12_345) & 0x7fffffff;
    text += `{"cf:id":"${x % 5_000}","prov:type":"file","cf:pathname":"/var/lib/app${x % 97}/f${x % 13}","cf:date":${x}},`;
  }
  return Buffer.from(text.slice(0, bytes));
}

/** `count` entries of 120-byte leaves and raw messages of about `rawBytes` each. */
function entriesOf(count: number, rawBytes: number): ArchivedEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    leaf: message(120, 7 * i + 1),
    raw: message(rawBytes + ((i * 37) % 101), i + 1),
  }));
}

/** The entries with the last raw message stretched so the frame is exactly `frameBytes` long. */
function withFrameLength(entries: ArchivedEntry[], frameBytes: number): ArchivedEntry[] {
  const last = entries.at(-1) as ArchivedEntry;
  const missing = frameBytes - frameLength(entries);
  const raw = message(last.raw.length + missing, 99);
  return [...entries.slice(0, -1), { leaf: last.leaf, raw }];
}

async function* inBatches(entries: readonly ArchivedEntry[], size: number) {
  for (let i = 0; i < entries.length; i += size) yield entries.slice(i, i + size);
}

const sealBatched = (entries: readonly ArchivedEntry[], size: number) =>
  encodeBundleFrom(entries.length, frameLength(entries), inBatches(entries, size));

const MIB = 1 << 20;

describe("encodeBundleFrom", () => {
  // Brotli picks its hasher from the size it is told (a one-shot call: the whole input) from
  // 1 MiB on, works in 64 KiB blocks and 8 MiB metablocks: sizes on both sides of each.
  const cases: [string, ArchivedEntry[]][] = [
    ["no entries", []],
    ["three small entries", entriesOf(3, 300)],
    ["256 entries, 0.9 MiB", entriesOf(256, 3_500)],
    ["256 entries, 3.9 MiB (brotli's larger hasher)", entriesOf(256, 16_000)],
    [
      "a frame of exactly 2 MiB (a 64 KiB block ends the input)",
      withFrameLength(entriesOf(256, 7_000), 2 * MIB),
    ],
    [
      "a frame of exactly 8 MiB (a metablock ends the input)",
      withFrameLength(entriesOf(256, 30_000), 8 * MIB),
    ],
    ["256 entries, 15 MiB (a CamFlow host's bundle)", entriesOf(256, 61_000)],
  ];

  it.each(cases)(
    "%s: byte for byte the one-shot encoding, in batches of 16 and of 1 to 100",
    async (_, entries) => {
      const want = Buffer.from(oneShot(entries));
      for (const size of [16, 1 + (entries.length % 100)]) {
        const got = Buffer.from(await sealBatched(entries, size));
        expect(
          got.equals(want),
          `batches of ${size}: ${got.length} bytes, want ${want.length}`,
        ).toBe(true);
      }
      expect(Buffer.from(encodeBundle(entries)).equals(want)).toBe(true);
      const decoded = decodeBundle(want);
      expect(decoded.length).toBe(entries.length);
      decoded.forEach((entry, i) => {
        expect(Buffer.from(entry.leaf).equals(Buffer.from(entries[i]?.leaf ?? []))).toBe(true);
        expect(Buffer.from(entry.raw).equals(Buffer.from(entries[i]?.raw ?? []))).toBe(true);
      });
    },
    60_000,
  );

  it("refuses batches that hold other entries than announced", async () => {
    const entries = entriesOf(20, 500);
    const frame = frameLength(entries);
    await expect(encodeBundleFrom(21, frame, inBatches(entries, 16))).rejects.toThrow(
      new ArchiveError(`expected 21 entries in ${frame} frame bytes, got 20 in ${frame}`),
    );
    await expect(encodeBundleFrom(20, frame + 1, inBatches(entries, 16))).rejects.toThrow(
      new ArchiveError(`expected 20 entries in ${frame + 1} frame bytes, got 20 in ${frame}`),
    );
  });

  it("passes on a failure to read the next batch", async () => {
    async function* failing() {
      yield entriesOf(16, 500);
      throw new Error("the tail went away");
    }
    await expect(encodeBundleFrom(32, 1_000_000, failing())).rejects.toThrow("the tail went away");
  });
});
