/**
 * Reading the legal log back: the portal's own events with legal weight (db/ledger/log.ts,
 * appendLegalEvent), newest first, for pages that show "recent changes". The events are read
 * from the archive (the unsealed tail, then sealed bundles), which holds each event's canonical
 * JSON exactly as it was hashed into the log; nothing here trusts a second copy.
 *
 * Cost is bounded: at most MAX_BUNDLES_SCANNED sealed bundles (256 events each) are decoded,
 * so an old event of a rare type may not be found; the page says "recent", the verifier and
 * the CLI see everything. A bundle that does not decode ends the list there: the verifier
 * names it.
 */
import { sql } from "drizzle-orm";
import type { Store } from "../client";
import { ArchiveError, decodeBundle } from "../ledger/archive";
import { LEGAL_ORIGIN } from "../ledger/log";

export const MAX_BUNDLES_SCANNED = 4;

export interface StoredLegalEvent {
  /** Position in the legal log. */
  seq: number;
  type: string;
  actor: string;
  at: string;
  details: Record<string, unknown>;
}

function parseEvent(seq: number, raw: Uint8Array): StoredLegalEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(raw));
  } catch {
    // Not JSON: the verifier reports it; a "recent changes" list skips it.
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const { type, actor, at, details } = value as Record<string, unknown>;
  if (typeof type !== "string" || typeof actor !== "string" || typeof at !== "string") return null;
  return {
    seq,
    type,
    actor,
    at,
    details:
      typeof details === "object" && details !== null ? (details as Record<string, unknown>) : {},
  };
}

/**
 * The newest `limit` legal events whose type starts with one of `typePrefixes` (all when
 * empty), newest first. Requires limit >= 1.
 */
export async function recentLegalEvents(
  store: Store,
  options: { typePrefixes?: readonly string[]; limit: number },
): Promise<StoredLegalEvent[]> {
  const prefixes = options.typePrefixes ?? [];
  const wanted = (event: StoredLegalEvent) =>
    prefixes.length === 0 || prefixes.some((prefix) => event.type.startsWith(prefix));
  const [log] = await store.rows<{ id: number }>(
    sql`select id from ledger_logs where origin = ${LEGAL_ORIGIN}`,
  );
  if (!log) return [];
  const found: StoredLegalEvent[] = [];
  const take = (seq: number, raw: Uint8Array) => {
    const event = parseEvent(seq, raw);
    if (event && wanted(event)) found.push(event);
    return found.length >= options.limit;
  };
  const tail = await store.rows<{ seq: number | string; raw: Uint8Array }>(
    sql`select seq, raw from ledger_archive_tail where log_id = ${log.id} order by seq desc`,
  );
  for (const row of tail) if (take(Number(row.seq), new Uint8Array(row.raw))) return found;
  const bundles = await store.rows<{ firstSeq: number | string; data: Uint8Array }>(
    sql`select first_seq as "firstSeq", data from ledger_bundles
        where log_id = ${log.id} order by first_seq desc limit ${MAX_BUNDLES_SCANNED}`,
  );
  for (const bundle of bundles) {
    let entries: ReturnType<typeof decodeBundle>;
    try {
      entries = decodeBundle(new Uint8Array(bundle.data));
    } catch (error) {
      // A damaged bundle is the verifier's finding to report; a list of recent changes shows
      // what it could read rather than fail the page.
      if (error instanceof ArchiveError) return found;
      throw error;
    }
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i];
      if (entry && take(Number(bundle.firstSeq) + i, entry.raw)) return found;
    }
  }
  return found;
}
