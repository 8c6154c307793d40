/**
 * Opens the store: postgres.js against a real PostgreSQL when a URL is given, PGlite on disk
 * (the embedded default) otherwise. Both run the same drizzle schema and the same migrations,
 * applied on open. Nothing happens at import.
 *
 * PGlite is one in-process database: two instances on one directory would corrupt it. So an
 * embedded store is shared per process and data directory (kept on globalThis, because the
 * portal's server bundle carries its own copy of this module), and reference-counted: the last
 * `close()` closes it. postgres.js stores are independent pools.
 */
import { existsSync, mkdirSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { type SQL, sql } from "drizzle-orm";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { collectCopyStream } from "./copy-stream";
import * as schema from "./schema";

export type Database = ReturnType<typeof drizzlePostgres<typeof schema>>;
/** A database handle or an open transaction; helpers that write take either. */
export type Executor = Database | Parameters<Parameters<Database["transaction"]>[0]>[0];

export interface Store {
  db: Database;
  kind: "postgres" | "pglite";
  /** Runs raw SQL and returns its rows, whichever driver is underneath. */
  rows<T = Record<string, unknown>>(query: SQL, executor?: Executor): Promise<T[]>;
  /**
   * The rows of `select` in PostgreSQL's binary COPY format (header, tuples, trailer): bytea
   * travels as raw bytes, with no hex or base64 text on either side. COPY takes no parameters,
   * so `select` is SQL text run as given: build it from trusted parts only (numbers, not input).
   * The bytes are written from the start of `reuse`'s buffer when they fit (postgres.js; an
   * unused buffer saves allocating and faulting in a new one per call); the result is a view
   * starting at offset 0 of its ArrayBuffer, which holds nothing else. Inside a transaction,
   * pass it as `executor`: the COPY then reads the transaction's snapshot, on its connection
   * (on PGlite, whose one connection the transaction holds, anything else waits for ever).
   */
  copyBinary(select: string, reuse?: Uint8Array, executor?: Executor): Promise<Uint8Array>;
  /**
   * The postgres:// URL the store was opened with (postgres.js only), for work that opens its
   * own connections: the ledger verifier's worker threads read their chunks themselves.
   */
  url?: string;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** A postgres:// URL; without it the embedded PGlite store is used. */
  url?: string;
  /** Where PGlite keeps its files (default `./.data/pglite`); `memory://` for a throw-away store. */
  dataDir?: string;
  /** Where the drizzle-kit migrations are (default: db/migrations of this checkout). */
  migrationsFolder?: string;
}

export const DEFAULT_DATA_DIR = path.join(".data", "pglite");
const MIGRATION_LOCK_ID = 7_447_001; // pg_advisory_lock key: one migrator at a time per database

interface SharedPglite {
  store: Store;
  refs: number;
  ready: Promise<void>;
}
const SHARED_KEY = Symbol.for("provtopia.store.pglite");
const OPEN_KEY = Symbol.for("provtopia.store.open");
/** Every store this process has open (all module copies), so a shutdown can close them all. */
function openStores(): Set<Store> {
  const g = globalThis as { [OPEN_KEY]?: Set<Store> };
  g[OPEN_KEY] ??= new Set();
  return g[OPEN_KEY];
}

/**
 * Closes every store opened in this process, including the portal's: a postgres.js pool left
 * open keeps the process alive until its idle timeout.
 */
export async function closeAllStores(): Promise<void> {
  await Promise.all([...openStores()].map((store) => store.close()));
}
function sharedPglites(): Map<string, SharedPglite> {
  const g = globalThis as { [SHARED_KEY]?: Map<string, SharedPglite> };
  g[SHARED_KEY] ??= new Map();
  return g[SHARED_KEY];
}

/**
 * Opens (and migrates) the store. Throws if the database cannot be reached or a migration
 * fails; the error's `cause` is the driver's.
 */
export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  const migrationsFolder = options.migrationsFolder ?? defaultMigrationsFolder();
  if (options.url) return openPostgres(options.url, migrationsFolder);
  return openPglite(options.dataDir ?? DEFAULT_DATA_DIR, migrationsFolder);
}

/** What PGlite and its transactions both answer: a query, with COPY's blob in the result. */
type Queryable = Pick<PGlite, "query">;

/**
 * The driver's own client under a drizzle database or transaction (a postgres.js transaction's
 * reserved connection, PGlite's transaction): drizzle keeps it as `session.client`.
 */
function driverClientOf<T>(executor: Executor): T | undefined {
  return (executor as unknown as { session?: { client?: T } }).session?.client;
}

const CONNECT_TIMEOUT_MS = 30_000;

/**
 * postgres.js leaves Nagle's algorithm on, and writes a COPY's CopyData and CopyDone as two
 * messages: the second then waits for the server to acknowledge the first, which Linux delays
 * by ~40 ms. Measured: every COPY FROM STDIN of the ingest (two a batch) took 42 ms whatever
 * its size, a one-relation document 180 ms instead of 7. So the driver gets sockets with
 * TCP_NODELAY, connected here (postgres.js expects a connected socket from this hook). Only for
 * a single TCP host: a unix socket has no Nagle, and several hosts keep the driver's own
 * failover.
 */
function noDelaySocket(url: string): { socket?: () => Promise<net.Socket> } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Several hosts (`h1:5432,h2:5432`) are no WHATWG URL: postgres.js parses and fails over.
    return {};
  }
  // A `?host=` is the driver's to resolve (postgres.js sends it to the server as a parameter).
  if (!parsed.hostname || parsed.host.includes(",") || parsed.searchParams.has("host")) return {};
  const host = decodeURIComponent(parsed.hostname).replace(/^\[(.*)\]$/, "$1");
  const port = Number(parsed.port || process.env.PGPORT || 5432);
  return {
    socket: () =>
      new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect({ host, port, noDelay: true });
        // The driver's connect_timeout starts once it has the socket: this one is ours.
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new Error(`couldn't connect to ${host}:${port} within ${CONNECT_TIMEOUT_MS} ms`));
        }, CONNECT_TIMEOUT_MS);
        socket.once("connect", () => {
          clearTimeout(timer);
          socket.off("error", fail);
          resolve(socket);
        });
        const fail = (error: Error) => {
          clearTimeout(timer);
          reject(error);
        };
        socket.once("error", fail);
      }),
  };
}

async function openPostgres(url: string, migrationsFolder: string): Promise<Store> {
  const client = postgres(url, {
    max: 10,
    idle_timeout: 20,
    onnotice: () => {},
    ...noDelaySocket(url),
  });
  const db = drizzlePostgres(client, { schema });
  try {
    // Several processes (bridge, portal, tests) may start at once: one migrator at a time,
    // serialised by a session-level advisory lock held on a reserved connection.
    const lock = await client.reserve();
    try {
      await lock`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
      await migratePostgres(db, { migrationsFolder });
    } finally {
      await lock`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`;
      lock.release();
    }
  } catch (error) {
    await client.end({ timeout: 1 });
    const why = error instanceof Error ? `: ${error.message}` : "";
    throw new Error(`couldn't open the PostgreSQL store at ${redact(url)}${why}`, {
      cause: error,
    });
  }
  const store: Store = {
    db,
    kind: "postgres",
    url,
    async rows<T>(query: SQL, executor: Executor = db) {
      return (await executor.execute(query)) as unknown as T[];
    },
    async copyBinary(select: string, reuse?: Uint8Array, executor?: Executor) {
      const copy = (connection: postgres.Sql) =>
        connection.unsafe(`copy (${select}) to stdout (format binary)`).readable();
      // A transaction's own connection: its snapshot, and the only one it may use.
      const inTransaction = executor && driverClientOf<postgres.Sql>(executor);
      if (inTransaction && inTransaction !== client) {
        return collectCopyStream(await copy(inTransaction), reuse);
      }
      // Otherwise on a connection of its own: when every connection is busy, postgres.js queues
      // a query behind a busy one, and one queued behind a COPY fails (COPY_IN_PROGRESS).
      const connection = await client.reserve();
      try {
        return await collectCopyStream(await copy(connection), reuse);
      } finally {
        connection.release();
      }
    },
    async close() {
      openStores().delete(store);
      await client.end({ timeout: 5 });
    },
  };
  openStores().add(store);
  return store;
}

async function openPglite(dataDir: string, migrationsFolder: string): Promise<Store> {
  const key = dataDir.startsWith("memory://") ? dataDir : path.resolve(dataDir);
  const shared = sharedPglites();
  const existing = shared.get(key);
  if (existing) {
    existing.refs += 1;
    await existing.ready;
    return existing.store;
  }
  if (!key.startsWith("memory://")) mkdirSync(key, { recursive: true });
  const client = new PGlite(key);
  // PGlite's drizzle type differs only in its driver generics; the query API is the same.
  const db = drizzlePglite(client, { schema }) as unknown as Database;
  const entry: SharedPglite = {
    refs: 1,
    ready: Promise.resolve(),
    store: {
      db,
      kind: "pglite",
      async rows<T>(query: SQL, executor: Executor = db) {
        const result = (await executor.execute(query)) as unknown as { rows: T[] };
        return result.rows;
      },
      async copyBinary(select: string, _reuse?: Uint8Array, executor?: Executor) {
        // PGlite has no COPY stream (so `reuse` is of no use); it hands COPY ... TO '/dev/blob'
        // back as one Blob.
        const connection = (executor && driverClientOf<Queryable>(executor)) ?? client;
        const result = await connection.query(`copy (${select}) to '/dev/blob' (format binary)`);
        if (!result.blob) throw new Error("PGlite returned no blob for COPY ... TO '/dev/blob'");
        return new Uint8Array(await result.blob.arrayBuffer());
      },
      async close() {
        entry.refs -= 1;
        if (entry.refs > 0) return;
        shared.delete(key);
        openStores().delete(entry.store);
        await client.close();
      },
    },
  };
  entry.ready = migratePglite(drizzlePglite(client, { schema }), { migrationsFolder }).catch(
    async (error: unknown) => {
      shared.delete(key);
      await client.close();
      throw new Error(`couldn't open the embedded store in ${key}`, { cause: error });
    },
  );
  shared.set(key, entry);
  await entry.ready;
  openStores().add(entry.store);
  return entry.store;
}

/**
 * db/migrations beside this module; when this module has been bundled into the portal's server
 * build (build/server/index.js), db/migrations under the working directory.
 */
function defaultMigrationsFolder(): string {
  const besideModule = fileURLToPath(new URL("./migrations", import.meta.url));
  return existsSync(path.join(besideModule, "meta", "_journal.json"))
    ? besideModule
    : path.resolve(process.cwd(), "db", "migrations");
}

/** Hides the password in a connection URL before it goes into a message. */
function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
}

/** `select 1`, for health checks. */
export async function pingStore(store: Store): Promise<void> {
  await store.rows(sql`select 1 as ok`);
}
