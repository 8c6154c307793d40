/** The portal's configuration, parsed once from the environment and frozen. */
import { z } from "zod";
import { parseEnv } from "../db/env";

const schema = z.object({
  DATABASE_URL: z.string().url().optional(),
  PGLITE_DIR: z.string().min(1).default(".data/pglite"),
  /**
   * Where the ledger verifier keeps what it verified last (outside the database, so a rolled-back
   * store is noticed). Unset = the CLI's default for this store (db/ledger/verification.ts), so
   * `provtopia verify` and the DPO's integrity page share one state.
   */
  VERIFIER_STATE_FILE: z.string().min(1).optional(),
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
});

export type PortalEnv = Readonly<z.infer<typeof schema>>;

let parsed: PortalEnv | undefined;

/** Throws a message naming each bad variable. */
export function env(): PortalEnv {
  if (!parsed) {
    parsed = parseEnv(schema, process.env, "portal configuration");
  }
  return parsed;
}
