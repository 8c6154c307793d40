/**
 * Store.copyBinary, which the ledger verifier reads its chunks with: the rows of a query in
 * PostgreSQL's binary COPY format, bytea as raw bytes, on both backends; and on postgres.js the
 * connection stays usable after a result bigger than the COPY stream's buffer (postgres.js 3.4
 * otherwise leaves the socket paused and the connection's next query hangs).
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";

/** The fields of each row of a binary COPY stream (null for NULL). */
function rowsOf(view: Uint8Array): (Buffer | null)[][] {
  const bytes = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  expect(bytes.subarray(0, 11).toString("latin1")).toBe("PGCOPY\n\xff\r\n\0");
  let at = 19 + bytes.readUInt32BE(15);
  const rows: (Buffer | null)[][] = [];
  for (let fields = bytes.readInt16BE(at); fields !== -1; fields = bytes.readInt16BE(at)) {
    at += 2;
    const row: (Buffer | null)[] = [];
    for (let f = 0; f < fields; f++) {
      const length = bytes.readInt32BE(at);
      at += 4;
      row.push(length < 0 ? null : bytes.subarray(at, at + length));
      at += Math.max(0, length);
    }
    rows.push(row);
  }
  expect(at + 2).toBe(bytes.length);
  return rows;
}

describe.each(STORE_KINDS)("copyBinary on %s", (kind) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore(kind);
  });
  afterAll(() => t?.dispose());

  it("returns the rows with bytea as raw bytes, integers big-endian, NULL as -1", async () => {
    const bytes = await t.store.copyBinary(
      `select g::int8 as n, decode(lpad(to_hex(g), 2, '0') || '00ff', 'hex') as b,
              case when g = 2 then null else ''::bytea end as e
       from generate_series(1, 3) g order by g`,
    );
    const rows = rowsOf(bytes);
    expect(rows.map((r) => r.map((f) => (f === null ? null : f.toString("hex"))))).toEqual([
      ["0000000000000001", "0100ff", ""],
      ["0000000000000002", "0200ff", null],
      ["0000000000000003", "0300ff", ""],
    ]);
  });

  it("writes into the buffer it is given when the rows fit, into a new one when not", async () => {
    const select = `select convert_to(repeat('y', 5000), 'UTF8') as a from generate_series(1, 3)`;
    const want = Buffer.from(await t.store.copyBinary(select));
    const roomy = new Uint8Array(64 * 1024).fill(7);
    const into = await t.store.copyBinary(select, roomy);
    expect(Buffer.from(into).equals(want)).toBe(true);
    expect(into.byteOffset).toBe(0);
    // postgres.js streams into it; PGlite hands back a buffer of its own.
    expect(into.buffer === roomy.buffer).toBe(kind === "postgres");
    const small = await t.store.copyBinary(select, new Uint8Array(100));
    expect(Buffer.from(small).equals(want)).toBe(true);
    expect(small.byteOffset).toBe(0);
  });

  it("leaves every connection usable after results bigger than the stream's buffer", async () => {
    // Each result, 40-120 kB, arrives with CopyDone in one read of the socket: without the
    // socket resumed, one of the pool's connections hangs on its next query.
    for (let i = 0; i < 30; i++) {
      const bytes = await t.store.copyBinary(
        `select convert_to(repeat('x', 40000), 'UTF8') as a from generate_series(1, ${1 + (i % 3)})`,
      );
      expect(rowsOf(bytes)).toHaveLength(1 + (i % 3));
      const [row] = await t.store.rows<{ n: number }>(sql`select ${i}::int as n`);
      expect(row?.n).toBe(i);
    }
  }, 30_000);

  it("runs while every connection is busy, with queries beside it", async () => {
    // More statements at once than the pool has connections (10): postgres.js then queues a
    // query behind a busy connection, and one queued behind a COPY that has begun to stream
    // fails (COPY_IN_PROGRESS). Slow COPYs hold every connection while queries come in.
    const slow = `select g::int8 as n, convert_to(repeat('y', 20000), 'UTF8') as a, pg_sleep(0.02)
      from generate_series(1, 15) g`;
    const copies = Array.from({ length: 12 }, () =>
      t.store.copyBinary(slow).then((bytes) => rowsOf(bytes).length),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const queries = Array.from({ length: 6 }, (_, i) =>
      t.store.rows<{ n: number }>(sql`select ${i}::int as n`).then(([row]) => row?.n),
    );
    expect(await Promise.all(copies)).toEqual(Array.from({ length: 12 }, () => 15));
    expect(await Promise.all(queries)).toEqual([0, 1, 2, 3, 4, 5]);
  }, 30_000);
});
