/**
 * Sealed archive bundles: a run of consecutive records' leaf bytes and raw messages, framed
 * and brotli-compressed. Quality 5 with a 4 MiB window: sealing runs inside an ingest
 * transaction, and quality 11 took 4.6 s per bundle for 1 to 2 percentage points less
 * (tests/bench/ledger.bench.ts: 95.4% saved instead of 96.1% on the CamFlow fixture).
 * Frame: magic "PTB1", u32 count, then per entry u32 leafLength, leaf, u32 rawLength, raw (all
 * big-endian). Pure; decoding throws ArchiveError on anything that is not such a bundle.
 *
 * encodeBundleFrom seals a bundle whose entries arrive a batch at a time (the ledger reads them
 * SEAL_BATCH records at a time): a bundle is 256 raw messages, 15 MB and more from CamFlow hosts,
 * and holding all of them, their framed copy and brotli's state at once is what made the bridge's
 * RSS grow with a long stream. Its output is byte for byte encodeBundle's: brotli is told the
 * frame's size up front (a one-shot call infers it, and from 1 MiB on it picks another hasher),
 * and the last bytes go in with the finishing operation, as a one-shot call passes them.
 */
import { once } from "node:events";
import {
  type BrotliOptions,
  brotliCompressSync,
  brotliDecompressSync,
  constants,
  createBrotliCompress,
} from "node:zlib";

/** Records per sealed bundle. */
export const BUNDLE_SIZE = 256;

const MAGIC = Buffer.from("PTB1", "ascii");

export class ArchiveError extends Error {
  readonly code = "ARCHIVE";
}

export interface ArchivedEntry {
  leaf: Uint8Array;
  raw: Uint8Array;
}

const BROTLI_PARAMS = {
  [constants.BROTLI_PARAM_QUALITY]: 5,
  [constants.BROTLI_PARAM_LGWIN]: 22,
  [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
};

/** The frame's length for these entries: magic, count, and each entry's lengths and bytes. */
export function frameLength(entries: readonly ArchivedEntry[]): number {
  return entries.reduce((sum, { leaf, raw }) => sum + 8 + leaf.length + raw.length, 8);
}

/** Seals entries held in memory (tests, benches, rewriting a bundle). */
export function encodeBundle(entries: readonly ArchivedEntry[]): Uint8Array {
  return brotliCompressSync(Buffer.concat([frameHeader(entries.length), frameEntries(entries)]), {
    params: BROTLI_PARAMS,
  });
}

/**
 * Seals a bundle of `count` entries that `batches` yields a few at a time, in order; only one
 * batch (and brotli's window) is held at once. Requires `frameBytes` to be the frame's exact
 * length (frameLength of all the entries: the caller knows it before reading them; the database
 * knows their lengths). Resolves to exactly what encodeBundle returns for the same entries.
 * Throws ArchiveError when the batches hold another number of entries or bytes than announced.
 */
export async function encodeBundleFrom(
  count: number,
  frameBytes: number,
  batches: AsyncIterable<readonly ArchivedEntry[]>,
): Promise<Uint8Array> {
  const options: BrotliOptions = {
    params: { ...BROTLI_PARAMS, [constants.BROTLI_PARAM_SIZE_HINT]: Math.min(frameBytes, 1 << 30) },
  };
  const compressor = createBrotliCompress(options);
  const output: Buffer[] = [];
  compressor.on("data", (chunk: Buffer) => output.push(chunk));
  const finished = once(compressor, "end");
  // Awaited at the end; an error before then reaches the write that met it (and is thrown).
  finished.catch(() => {});
  // events.once rejects on "error" and removes both its listeners either way.
  const write = async (chunk: Buffer) => {
    if (!compressor.write(chunk)) await once(compressor, "drain");
  };
  let entries = 0;
  let bytes = 0;
  // One chunk is held back: the last one is written with the end of the stream (below).
  let held: Buffer = frameHeader(count);
  try {
    for await (const batch of batches) {
      if (batch.length === 0) continue;
      const chunk = frameEntries(batch);
      entries += batch.length;
      await write(held);
      bytes += held.length;
      held = chunk;
    }
    bytes += held.length;
    if (entries !== count || bytes !== frameBytes) {
      throw new ArchiveError(
        `expected ${count} entries in ${frameBytes} frame bytes, got ${entries} in ${bytes}`,
      );
    }
    // A one-shot call hands brotli its last bytes with the finishing operation; a stream would
    // process them first and finish on nothing, which differs when they fill brotli's last
    // block exactly. Node's zlib finishes with a chunk still queued when the stream ends, so
    // the last chunk goes in two writes in one tick: the first keeps the stream busy, and the
    // last byte waits in the queue for end().
    compressor.write(held.subarray(0, held.length - 1));
    compressor.end(held.subarray(held.length - 1));
    await finished;
  } catch (error) {
    compressor.destroy();
    throw error;
  }
  return Buffer.concat(output);
}

/** The entries of a bundle; throws ArchiveError if it does not decompress or parse whole. */
export function decodeBundle(data: Uint8Array): ArchivedEntry[] {
  let bytes: Buffer;
  try {
    bytes = brotliDecompressSync(data);
  } catch (error) {
    throw new ArchiveError("the bundle does not decompress (brotli)", { cause: error });
  }
  if (bytes.length < 8 || !bytes.subarray(0, 4).equals(MAGIC)) {
    throw new ArchiveError("the bundle does not start with PTB1");
  }
  const count = bytes.readUInt32BE(4);
  const entries: ArchivedEntry[] = [];
  let at = 8;
  const take = (): Uint8Array => {
    if (at + 4 > bytes.length)
      throw new ArchiveError(`the bundle ends inside entry ${entries.length}`);
    const length = bytes.readUInt32BE(at);
    at += 4;
    if (at + length > bytes.length)
      throw new ArchiveError(`the bundle ends inside entry ${entries.length}`);
    const out = bytes.subarray(at, at + length);
    at += length;
    return out;
  };
  for (let i = 0; i < count; i += 1) entries.push({ leaf: take(), raw: take() });
  if (at !== bytes.length)
    throw new ArchiveError(`the bundle has ${bytes.length - at} bytes after its ${count} entries`);
  return entries;
}

function frameHeader(count: number): Buffer {
  return Buffer.concat([MAGIC, u32(count)]);
}

function frameEntries(entries: readonly ArchivedEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const { leaf, raw } of entries)
    parts.push(u32(leaf.length), view(leaf), u32(raw.length), view(raw));
  return Buffer.concat(parts);
}

/** The bytes as a Buffer without copying them (Buffer.concat copies once). */
function view(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
