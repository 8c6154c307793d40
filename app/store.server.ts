/** The portal's one store per process, opened (and migrated) on first use. */
import { openStore, type Store } from "../db/client";
import { env } from "./env.server";

let opening: Promise<Store> | undefined;

export function getStore(): Promise<Store> {
  opening ??= openStore({ url: env().DATABASE_URL, dataDir: env().PGLITE_DIR }).catch((error) => {
    opening = undefined;
    throw error;
  });
  return opening;
}
