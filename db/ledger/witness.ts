/**
 * Checkpoints that came back from an outside witness (C2SP tlog-cosignature): the note must be
 * signed by the log's own key, cosigned by the witness's key, and describe a tree the log still
 * has. An imported one is kept beside the log's checkpoints, so later verifications hold the
 * log to what a third party has seen.
 */
import { sql } from "drizzle-orm";
import type { Store } from "../client";
import { ledgerCheckpoints } from "../schema";
import { verifyCosignature } from "./checkpoint";
import { leafHashes } from "./log";
import { rootFromLeafHashes } from "./merkle";
import { openLogCheckpoint } from "./signing";

export class WitnessError extends Error {
  readonly code = "WITNESS";
}

export interface WitnessedCheckpoint {
  logId: number;
  size: number;
  rootHash: Uint8Array;
  /** When the witness cosigned, seconds since the Epoch. */
  timestamp: number;
}

/**
 * Checks a cosigned checkpoint of `origin` against the log's key, the witness's vkey (type
 * 0x04) and the log's current records. Throws NoteError for a bad signature or cosignature,
 * WitnessError when the log does not match.
 */
export async function checkWitnessedCheckpoint(
  store: Store,
  origin: string,
  note: string,
  witnessVkey: string,
  now: Date = new Date(),
): Promise<WitnessedCheckpoint> {
  const [log] = await store.rows<{ id: number; public_key: Uint8Array }>(
    sql`select id, public_key from ledger_logs where origin = ${origin}`,
  );
  if (!log) throw new WitnessError(`no log ${JSON.stringify(origin)}`);
  const { size, rootHash } = openLogCheckpoint(origin, new Uint8Array(log.public_key), note);
  const { timestamp } = verifyCosignature(note, witnessVkey, {
    nowSeconds: Math.floor(now.getTime() / 1000),
  });
  const hashes = await leafHashes(store, log.id);
  if (size > hashes.length) {
    throw new WitnessError(
      `the witness saw ${size} records; the log has ${hashes.length}: it was rolled back`,
    );
  }
  if (!Buffer.from(rootFromLeafHashes(hashes.slice(0, size))).equals(Buffer.from(rootHash))) {
    throw new WitnessError(
      `the witness saw a different tree of size ${size}: the log's history was rewritten`,
    );
  }
  return { logId: log.id, size, rootHash, timestamp };
}

/** Checks, then stores the cosigned note as a checkpoint of the log. */
export async function importWitnessedCheckpoint(
  store: Store,
  origin: string,
  note: string,
  witnessVkey: string,
): Promise<WitnessedCheckpoint> {
  const checked = await checkWitnessedCheckpoint(store, origin, note, witnessVkey);
  await store.db
    .insert(ledgerCheckpoints)
    .values({ logId: checked.logId, size: checked.size, rootHash: checked.rootHash, note });
  return checked;
}
