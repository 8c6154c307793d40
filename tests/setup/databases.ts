/**
 * Throw-away stores for tests. Integration tests run on the embedded PGlite store always, and
 * also on the real PostgreSQL when DATABASE_URL is set (as .ci/run sets it): each store is a
 * fresh database created from that URL and dropped afterwards, so tests never see each other's
 * rows nor the demo's.
 */
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { openStore, type Store } from "../../db/client";

export type StoreKind = "pglite" | "postgres";

/** The real server's URL, when the environment names one. */
export const REAL_DATABASE_URL = process.env.DATABASE_URL || undefined;
/** The real broker's URL, when the environment names one. */
export const REAL_MQTT_URL = process.env.MQTT_URL || undefined;
/** The real NATS JetStream server's URL, when the environment names one. */
export const REAL_NATS_URL = process.env.NATS_URL || undefined;

/** The backends to run store tests on here. */
export const STORE_KINDS: StoreKind[] = REAL_DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];

export interface TestDatabase {
  /** postgres:// URL of the fresh database. */
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database on the real server. Requires REAL_DATABASE_URL. */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (!REAL_DATABASE_URL) throw new Error("createTestDatabase needs DATABASE_URL");
  // TEST_DATABASE_PREFIX: sessions sharing one server keep their databases apart by name.
  const prefix = process.env.TEST_DATABASE_PREFIX || "provtopia_test_";
  if (!/^[a-z_][a-z0-9_]*$/.test(prefix)) throw new Error(`bad TEST_DATABASE_PREFIX ${prefix}`);
  const name = `${prefix}${randomBytes(6).toString("hex")}`;
  const admin = postgres(REAL_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = new URL(REAL_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const dropper = postgres(REAL_DATABASE_URL as string, { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await dropper.end({ timeout: 5 });
      }
    },
  };
}

export interface TestStore {
  store: Store;
  kind: StoreKind;
  /** Set for postgres stores: lets a test run the CLI against the same database. */
  url?: string;
  dispose(): Promise<void>;
}

/** A migrated, empty store of the given kind. */
export async function createTestStore(kind: StoreKind): Promise<TestStore> {
  if (kind === "pglite") {
    const store = await openStore({ dataDir: `memory://test-${randomBytes(6).toString("hex")}` });
    return { store, kind, dispose: () => store.close() };
  }
  const database = await createTestDatabase();
  const store = await openStore({ url: database.url });
  return {
    store,
    kind,
    url: database.url,
    async dispose() {
      await store.close();
      await database.drop();
    },
  };
}
