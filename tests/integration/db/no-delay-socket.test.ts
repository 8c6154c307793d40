/**
 * openStore hands postgres.js sockets with TCP_NODELAY for a single-TCP-host URL (a COPY's
 * CopyDone otherwise waits ~40 ms for the server's delayed ACK, db/client.ts), leaves the
 * driver its own sockets for several hosts, and fails fast with the reason when nothing
 * listens. Node has no getter for TCP_NODELAY, so the test watches `net.connect`, which only
 * our hook calls (postgres.js makes its sockets with `new net.Socket()`).
 */
import net from "node:net";
import { sql } from "drizzle-orm";
import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  it,
  type MockInstance,
  vi,
} from "vitest";
import { openStore } from "../../../db/client";
import { createTestDatabase, REAL_DATABASE_URL, type TestDatabase } from "../../setup/databases";

describe.skipIf(!REAL_DATABASE_URL)("the store's PostgreSQL sockets", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.drop());
  let connect: MockInstance<typeof net.connect> | undefined;
  afterEach(() => connect?.mockRestore());

  it("connects a single TCP host itself, with noDelay, and the connection works", async () => {
    connect = vi.spyOn(net, "connect");
    const url = new URL(database.url);
    const store = await openStore({ url: database.url });
    try {
      const [row] = await store.rows<{ one: number }>(sql`select 1 as one`);
      expect(row).toEqual({ one: 1 });
      // A COPY in both directions of the protocol the delayed ACK stalled.
      const copied = await store.copyBinary("select 42::int4 as n");
      expect(copied.byteLength).toBeGreaterThan(19);
      expect(connect).toHaveBeenCalled();
      for (const [options] of connect.mock.calls) {
        expect(options).toMatchObject({
          host: url.hostname,
          port: Number(url.port || 5432),
          noDelay: true,
        });
      }
    } finally {
      await store.close();
    }
  });

  it("leaves several hosts to the driver's own failover", async () => {
    connect = vi.spyOn(net, "connect");
    const url = new URL(database.url);
    const hostPort = `${url.hostname}:${url.port || 5432}`;
    const store = await openStore({
      url: `postgres://${url.username}@${hostPort},${hostPort}${url.pathname}`,
    });
    try {
      const [row] = await store.rows<{ db: string }>(sql`select current_database() as db`);
      expect(row?.db).toBe(url.pathname.slice(1));
      expect(connect).not.toHaveBeenCalled();
    } finally {
      await store.close();
    }
  });

  it("rejects with the connection error when nothing listens", async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    await expect(
      openStore({ url: `postgres://postgres@127.0.0.1:${closed}/nothing` }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});
