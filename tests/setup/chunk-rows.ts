/**
 * A verifier chunk's rows as readChunk (db/ledger/verify.ts) gets them from the database:
 * PostgreSQL's binary COPY format, five fields per row (kind, seq, count, a, b), for tests and
 * benches that call verifyChunk without a database. verify-chunk.ts describes the layout.
 */
import { ROW_BUNDLE, ROW_RECORD, ROW_TAIL } from "../../db/ledger/verify-chunk";

export interface ChunkRows {
  records: { seq: number; leaf: Uint8Array; hash: Uint8Array | null }[];
  bundles?: { firstSeq: number; count: number; data: Uint8Array }[];
  tail?: { seq: number; leaf: Uint8Array; raw: Uint8Array }[];
}

const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");

function row(kind: number, seq: number, count: number, a: Uint8Array, b: Uint8Array | null) {
  const head = Buffer.alloc(2 + 8 + 12 + 8 + 4);
  let at = head.writeInt16BE(5, 0);
  at = head.writeInt32BE(4, at);
  at = head.writeInt32BE(kind, at);
  at = head.writeInt32BE(8, at);
  at = head.writeBigInt64BE(BigInt(seq), at);
  at = head.writeInt32BE(4, at);
  at = head.writeInt32BE(count, at);
  head.writeInt32BE(a.length, at);
  const bLength = Buffer.alloc(4);
  bLength.writeInt32BE(b === null ? -1 : b.length);
  return [head, Buffer.from(a), bLength, ...(b === null ? [] : [Buffer.from(b)])];
}

/** The rows in the order the query sends them: records, bundles, tail, each by seq. */
export function encodeChunkRows({ records, bundles = [], tail = [] }: ChunkRows): Uint8Array {
  const header = Buffer.alloc(8); // flags, header extension length: both 0
  const parts: Buffer[] = [SIGNATURE, header];
  for (const r of [...records].sort((x, y) => x.seq - y.seq)) {
    parts.push(...row(ROW_RECORD, r.seq, 0, r.leaf, r.hash));
  }
  for (const b of [...bundles].sort((x, y) => x.firstSeq - y.firstSeq)) {
    parts.push(...row(ROW_BUNDLE, b.firstSeq, b.count, b.data, null));
  }
  for (const t of [...tail].sort((x, y) => x.seq - y.seq)) {
    parts.push(...row(ROW_TAIL, t.seq, 0, t.leaf, t.raw));
  }
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1);
  parts.push(trailer);
  return new Uint8Array(Buffer.concat(parts));
}

/** The leaf bytes of the record rows, in order. */
export function leavesOfChunkRows(rows: Uint8Array): Uint8Array[] {
  const bytes = Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength);
  const leaves: Uint8Array[] = [];
  let at = 19 + bytes.readUInt32BE(15);
  while (bytes.readInt16BE(at) !== -1) {
    const kind = bytes.readInt32BE(at + 6);
    const aLength = bytes.readInt32BE(at + 30);
    const aEnd = at + 34 + Math.max(0, aLength);
    if (kind === ROW_RECORD) leaves.push(bytes.subarray(at + 34, aEnd));
    at = aEnd + 4 + Math.max(0, bytes.readInt32BE(aEnd));
  }
  return leaves;
}
