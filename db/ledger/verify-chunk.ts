/**
 * The verifier's per-record work over one chunk of a log (db/ledger/verify.ts reads the chunks
 * and puts the results together): recompute every leaf hash from the leaf bytes, read every leaf
 * as a canonical ledger record, check it against its archived copy (sealed bundle or tail) and
 * the archived raw message against the object digest it names, and hash the chunk's complete
 * 256-leaf blocks into their subtree roots.
 *
 * `verifyChunk` runs on the main thread or, unchanged, in a worker thread (verify-pool.ts sends
 * its source text as the worker's code), so it is self-contained: it refers to nothing outside
 * its own body but its arguments (`deps` carries node:crypto and node:zlib) and JavaScript's
 * globals. Keep it that way: no imports, no module-level helpers, no classes.
 *
 * Rows, as verify.ts reads them in one query: PostgreSQL's binary COPY format (signature, flags,
 * header extension; then per row a 16-bit field count and each field as a 32-bit length, -1 for
 * NULL, and its bytes; a count of -1 ends it), five fields per row, ordered by kind then seq:
 *   kind int4 (0 record, 1 sealed bundle, 2 archive tail row), seq int8 (a bundle's first_seq),
 *   count int4 (a bundle's count, else 0), a bytea (leaf; bundle data; tail leaf),
 *   b bytea (stored leaf hash; NULL; tail raw message).
 * Bytes travel raw, with no hex or base64 text to make on the server or to decode here. For each
 * leaf hash the last byte of the leaf's length field stands in for RFC 9162's 0x00 leaf prefix
 * (and is put back), so a leaf hash is one SHA-256 over a view of the rows. Bundle frame:
 * db/ledger/archive.ts.
 */

/** Records per 256-leaf block: the subtree whose root a chunk reports (BUNDLE_SIZE too). */
export const BLOCK_LEAVES = 256;

/** Row kinds of the chunk's COPY stream (verifyChunk spells them out: it may import nothing). */
export const ROW_RECORD = 0;
export const ROW_BUNDLE = 1;
export const ROW_TAIL = 2;

export interface ChunkInput {
  origin: string;
  /** The log's host, or null for the legal log. */
  host: string | null;
  /** The chunk's records, bundles and tail rows, binary COPY (above). */
  rows: Uint8Array;
  /** The seq range this chunk answers for (bundle errors, tail rows), inclusive. */
  ownedFrom: number;
  ownedTo: number;
}

export interface ChunkFinding {
  index: number;
  kind: "changed" | "missing" | "re-attributed" | "archive" | "bad-signature";
  detail: string;
}

export interface ChunkOutput {
  count: number;
  /** Each record's seq (its position in the table), in order. */
  seqs: Float64Array;
  /** The seq each record's leaf names; NaN where the leaf is not a canonical ledger record. */
  leafSeqs: Float64Array;
  /** 1 where the leaf names another log's origin. */
  foreign: Uint8Array;
  /**
   * Each record's element digest (host logs only; "" for an unreadable leaf), one after the
   * other in one string: record i's is `digests.slice(digestEnds[i - 1] ?? 0, digestEnds[i])`.
   * One string crosses from a worker thread far cheaper than thousands.
   */
  digests: string;
  digestEnds: Uint32Array;
  /** Recomputed leaf hashes, 32 bytes each. */
  leafHashes: Uint8Array;
  /** Roots of the chunk's complete 256-leaf blocks, from its first record, 32 bytes each. */
  blockRoots: Uint8Array;
  findings: ChunkFinding[];
  /** Records whose leaf names a host signature: the raw message to check it on (main thread). */
  signed: { seq: number; raw: Uint8Array; signedBy: string }[];
}

export interface ChunkDeps {
  crypto: typeof import("node:crypto");
  zlib: typeof import("node:zlib");
}

/** Verifies one chunk; pure apart from CPU. Never throws on bad data: bad data is a finding. */
export function verifyChunk(input: ChunkInput, deps: ChunkDeps): ChunkOutput {
  const { crypto, zlib } = deps;
  const blob = Buffer.from(input.rows.buffer, input.rows.byteOffset, input.rows.byteLength);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const findings: ChunkFinding[] = [];
  const found = (index: number, kind: ChunkFinding["kind"], detail: string) => {
    findings.push({ index, kind, detail });
  };

  // 1. Split the rows: the offsets of each record's prefixed leaf and stored hash, the bundles
  // and the tail rows. A malformed stream is the transport's fault, not the data's: it throws.
  const seqList: number[] = [];
  const leafStart: number[] = [];
  const leafEnd: number[] = [];
  const hashStart: number[] = [];
  const hashEnd: number[] = [];
  const bundles: { firstSeq: number; count: number; at: number; end: number }[] = [];
  const tailRows: {
    seq: number;
    leafAt: number;
    leafEnd: number;
    rawAt: number;
    rawEnd: number;
  }[] = [];
  const malformed = (what: string): never => {
    throw new Error(`verifyChunk: the COPY stream ${what}`);
  };
  if (blob.length < 19 || blob.toString("latin1", 0, 11) !== "PGCOPY\n\xff\r\n\0") {
    malformed("does not start with the binary COPY signature");
  }
  let at = 19 + view.getUint32(15);
  for (;;) {
    if (at + 2 > blob.length) malformed("is cut short");
    const fields = view.getInt16(at);
    if (fields === -1) break;
    // kind, seq, count: fixed-size, never NULL.
    if (
      fields !== 5 ||
      at + 38 > blob.length ||
      view.getInt32(at + 2) !== 4 ||
      view.getInt32(at + 10) !== 8 ||
      view.getInt32(at + 22) !== 4
    ) {
      malformed(`has a row that is not (kind, seq, count, a, b) at byte ${at}`);
    }
    const kind = view.getInt32(at + 6); // ROW_RECORD, ROW_BUNDLE, ROW_TAIL
    const seq = view.getInt32(at + 14) * 4294967296 + view.getUint32(at + 18);
    const n = view.getInt32(at + 26);
    const aStart = at + 34;
    const aEnd = aStart + Math.max(0, view.getInt32(at + 30));
    if (aEnd + 4 > blob.length) malformed("is cut short");
    const bLength = view.getInt32(aEnd);
    const bStart = aEnd + 4;
    const bEnd = bStart + Math.max(0, bLength);
    if (bEnd > blob.length) malformed("is cut short");
    at = bEnd;
    if (kind === 0) {
      if (seqList.length > 0 && seq <= (seqList[seqList.length - 1] as number)) {
        malformed(`has record ${seq} out of order`);
      }
      seqList.push(seq);
      // The leaf prefix's place: the last byte of the leaf's length field.
      leafStart.push(aStart - 1);
      leafEnd.push(aEnd);
      hashStart.push(bStart);
      // A NULL hash (the column forbids it) reads as one of the wrong length.
      hashEnd.push(bLength < 0 ? bStart - 1 : bEnd);
    } else if (kind === 1) {
      bundles.push({ firstSeq: seq, count: n, at: aStart, end: aEnd });
    } else if (kind === 2) {
      tailRows.push({ seq, leafAt: aStart, leafEnd: aEnd, rawAt: bStart, rawEnd: bEnd });
    } else {
      malformed(`has a row of kind ${kind}`);
    }
  }
  const count = seqList.length;
  const seqs = Float64Array.from(seqList);
  const leafSeqs = new Float64Array(count).fill(Number.NaN);
  const foreign = new Uint8Array(count);
  const digestList: string[] = new Array(count).fill("");
  const objects: string[] = new Array(count).fill("");
  const signedBys: (string | undefined)[] = new Array(count);
  // Hashes come as latin1 ("binary") text, copied into typed arrays by a loop: crypto.hash's "buffer"
  // output allocates a Buffer per call, which cost more than the SHA-256 itself
  // (tests/bench/verify-chunk-micro.ts).
  const leafHashes = new Uint8Array(count * 32);

  // 2. Leaf hashes and leaves.
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const isHost = input.host !== null;
  // A canonical leaf without escapes in its strings, in the one RFC 8785 layout of a ledger
  // record: its members in sorted order, each string running to the next quote and holding no
  // byte JSON escapes or above 0x7f, `seq` a canonical integer. Such a text is pure ASCII, so its
  // latin1 reading is its UTF-8 one and each capture is the member's value. One regular
  // expression (about 2.5 times faster than reading it prefix by prefix); any other leaf takes
  // the careful path, which decides for itself.
  const S = '([^"\\\\\\u0000-\\u001f\\u0080-\\u00ff]*)';
  const plainLeaf = new RegExp(
    `^\\{"digest":"${S}","host":"${S}","object":"${S}","origin":"${S}","receivedAt":"${S}",` +
      `"seq":(0|-?[1-9][0-9]*),(?:"signedBy":"${S}",)?"v":1\\}$`,
  );
  const latin1 = blob.toString("latin1");
  const scanLeaf = (text: string): Record<string, unknown> | null => {
    const m = plainLeaf.exec(text);
    if (!m) return null;
    const seq = Number(m[6]);
    if (!Number.isSafeInteger(seq)) return null;
    return {
      digest: m[1],
      host: m[2],
      object: m[3],
      origin: m[4],
      receivedAt: m[5],
      seq,
      signedBy: m[7],
      v: 1,
    };
  };
  // Any other leaf: JSON.parse keeps the text's member order, so the text is canonical when the
  // members are the record's, in sorted order, JSON.stringify gives the text back, and no
  // string holds a lone surrogate (which JSON.stringify escapes and RFC 8785 refuses).
  const loneSurrogate = /[\uD800-\uDFFF]/u;
  const parseLeafSlowly = (text: string): Record<string, unknown> | null => {
    const v = JSON.parse(text) as Record<string, unknown>;
    const fields = [v?.digest, v?.host, v?.object, v?.origin, v?.receivedAt, v?.signedBy ?? ""];
    const valid =
      typeof v === "object" &&
      v !== null &&
      v.v === 1 &&
      fields.every((f) => typeof f === "string" && !loneSurrogate.test(f)) &&
      typeof v.seq === "number" &&
      Number.isSafeInteger(v.seq) &&
      Object.keys(v).join(",") ===
        (v.signedBy === undefined
          ? "digest,host,object,origin,receivedAt,seq,v"
          : "digest,host,object,origin,receivedAt,seq,signedBy,v") &&
      JSON.stringify(v) === text;
    return valid ? v : null;
  };
  const bytes = blob.buffer;
  const base = blob.byteOffset;
  for (let i = 0; i < count; i++) {
    const seq = seqs[i] as number;
    const prefixAt = leafStart[i] as number;
    // A plain view (a Buffer's subarray costs several times as much to make).
    const prefixed = new Uint8Array(bytes, base + prefixAt, (leafEnd[i] as number) - prefixAt);
    // The length byte becomes the leaf prefix for the one hash, and is then put back: the input
    // is left as it came (a chunk may be verified again, here or after a worker failed).
    const lengthByte = blob[prefixAt] as number;
    blob[prefixAt] = 0;
    const hash = crypto.hash("sha256", prefixed, "binary");
    blob[prefixAt] = lengthByte;
    // Kept, and compared with the stored hash, in one pass over its bytes.
    let differs = (hashEnd[i] as number) - (hashStart[i] as number) !== 32 ? 1 : 0;
    for (let k = 0, o = i * 32, h = hashStart[i] as number; k < 32; k++) {
      const byte = hash.charCodeAt(k);
      leafHashes[o + k] = byte;
      differs |= byte ^ (blob[h + k] as number);
    }
    if (differs !== 0) {
      found(seq, "changed", "the stored leaf hash does not match the leaf's bytes");
    }

    let leaf: Record<string, unknown> | null = null;
    try {
      // Plain ASCII leaves read as latin1 out of one string of the whole blob (a slice, no
      // copy); any other leaf is decoded as UTF-8 and checked with care.
      leaf = scanLeaf(latin1.slice((leafStart[i] as number) + 1, leafEnd[i]));
      if (!leaf) leaf = parseLeafSlowly(decoder.decode(blob.subarray(prefixAt + 1, leafEnd[i])));
    } catch {
      leaf = null;
    }
    if (!leaf) {
      found(seq, "changed", "the leaf is not the canonical JSON of a ledger record");
      continue;
    }
    leafSeqs[i] = leaf.seq as number;
    objects[i] = leaf.object as string;
    signedBys[i] = leaf.signedBy as string | undefined;
    if (leaf.origin !== input.origin || (isHost && leaf.host !== input.host)) {
      foreign[i] = 1;
      found(
        seq,
        "re-attributed",
        `the record belongs to ${leaf.origin as string} (host ${leaf.host as string}), not to this log`,
      );
    }
    if (isHost) digestList[i] = leaf.digest as string;
    else if (leaf.digest !== leaf.object) {
      found(seq, "changed", "a legal event's digest must be its object's");
    }
  }

  // 3. The archive: every record against its copy, every copy's raw message against the leaf.
  const contiguous = count === 0 || (seqs[count - 1] as number) - (seqs[0] as number) === count - 1;
  const positionOf = (seq: number): number => {
    if (count === 0) return -1;
    if (contiguous) {
      const i = seq - (seqs[0] as number);
      return i >= 0 && i < count ? i : -1;
    }
    let lo = 0;
    let hi = count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = seqs[mid] as number;
      if (s === seq) return mid;
      if (s < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  };
  const hasCopy = new Uint8Array(count);
  const signed: ChunkOutput["signed"] = [];
  // A copy is its bytes and where its leaf and raw message sit in them: no view per entry.
  const compare = (
    i: number,
    copy: Buffer,
    leafAt: number,
    leafLength: number,
    rawAt: number,
    rawLength: number,
  ) => {
    const seq = seqs[i] as number;
    hasCopy[i] = 1;
    if (
      blob.compare(copy, leafAt, leafAt + leafLength, (leafStart[i] as number) + 1, leafEnd[i]) !==
      0
    )
      found(seq, "changed", "the record differs from its archived copy");
    if (Number.isNaN(leafSeqs[i] as number)) return;
    const raw = new Uint8Array(copy.buffer, copy.byteOffset + rawAt, rawLength);
    // "sha256:" and the hex digest, compared in place (no concatenated string to make).
    const object = objects[i] as string;
    if (
      object.length !== 71 ||
      !object.startsWith("sha256:") ||
      !object.startsWith(crypto.hash("sha256", raw, "hex"), 7)
    ) {
      found(seq, "archive", "the archived raw message does not hash to the record's object digest");
    }
    const signedBy = signedBys[i];
    // A copy of its own: a view would carry the whole chunk back from a worker thread.
    if (signedBy !== undefined) signed.push({ seq, raw: new Uint8Array(raw), signedBy });
  };
  const owned = (seq: number) => seq >= input.ownedFrom && seq <= input.ownedTo;
  for (const bundle of bundles) {
    const first = bundle.firstSeq;
    const report = (detail: string) => {
      if (owned(first)) found(first, "archive", detail);
    };
    let bytes: Buffer;
    try {
      bytes = zlib.brotliDecompressSync(blob.subarray(bundle.at, bundle.end));
    } catch {
      report(`bundle ${first}: the bundle does not decompress (brotli)`);
      continue;
    }
    const frame = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const magic = bytes.length >= 8 && bytes.toString("latin1", 0, 4) === "PTB1";
    if (!magic) {
      report(`bundle ${first}: the bundle does not start with PTB1`);
      continue;
    }
    const entries = frame.getUint32(4);
    // First the frame as a whole (every length inside the bytes, nothing after), then the entries.
    let p = 8;
    let whole = 0;
    let broken: string | null = null;
    const skip = (): boolean => {
      if (p + 4 > bytes.length) return false;
      p += 4 + frame.getUint32(p);
      return p <= bytes.length;
    };
    for (; whole < entries; whole++) {
      if (!skip() || !skip()) {
        broken = `bundle ${first}: the bundle ends inside entry ${whole}`;
        break;
      }
    }
    if (!broken && p !== bytes.length) {
      broken = `bundle ${first}: the bundle has ${bytes.length - p} bytes after its ${entries} entries`;
    }
    if (broken) {
      report(broken);
      continue;
    }
    if (whole !== bundle.count) {
      report(`bundle ${first} holds ${whole} entries, not ${bundle.count}`);
    }
    p = 8;
    for (let e = 0; e < whole; e++) {
      const leafLength = frame.getUint32(p);
      const leafAt = p + 4;
      const rawLength = frame.getUint32(leafAt + leafLength);
      const rawAt = leafAt + leafLength + 4;
      p = rawAt + rawLength;
      const i = positionOf(first + e);
      if (i >= 0) compare(i, bytes, leafAt, leafLength, rawAt, rawLength);
    }
  }
  // A sealed copy wins over a tail row of the same record (sealing deletes the tail rows).
  for (const row of tailRows) {
    const i = positionOf(row.seq);
    if (i >= 0 && !hasCopy[i]) {
      compare(i, blob, row.leafAt, row.leafEnd - row.leafAt, row.rawAt, row.rawEnd - row.rawAt);
    }
  }
  for (let i = 0; i < count; i++) {
    if (!hasCopy[i]) {
      found(
        seqs[i] as number,
        "archive",
        "the record has no copy in the archive (tail or sealed bundle)",
      );
    }
  }

  // 4. Roots of the complete 256-leaf blocks: 255 node hashes each, one reused input buffer,
  // bytes moved by plain loops (Buffer's copy and write cost more than the hash's own work).
  const blocks = Math.floor(count / 256);
  const blockRoots = new Uint8Array(blocks * 32);
  const input65 = new Uint8Array(65);
  input65[0] = 0x01;
  const level = new Uint8Array(256 * 32);
  for (let b = 0; b < blocks; b++) {
    level.set(leafHashes.subarray(b * 256 * 32, (b + 1) * 256 * 32));
    for (let width = 256; width > 1; width /= 2) {
      for (let j = 0; j < width / 2; j++) {
        for (let k = 0, o = j * 64; k < 64; k++) input65[k + 1] = level[o + k] as number;
        const node = crypto.hash("sha256", input65, "binary");
        for (let k = 0, o = j * 32; k < 32; k++) level[o + k] = node.charCodeAt(k);
      }
    }
    blockRoots.set(level.subarray(0, 32), b * 32);
  }

  const digestEnds = new Uint32Array(count);
  let digestEnd = 0;
  for (let i = 0; i < count; i++) {
    digestEnd += (digestList[i] as string).length;
    digestEnds[i] = digestEnd;
  }
  return {
    count,
    seqs,
    leafSeqs,
    foreign,
    digests: digestList.join(""),
    digestEnds,
    leafHashes,
    blockRoots,
    findings,
    signed,
  };
}
