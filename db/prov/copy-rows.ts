/**
 * COPY FROM STDIN for the ingest's bulk rows, on PostgreSQL (postgres.js). PostgreSQL parses
 * COPY's text format for a fraction of what `json_to_recordset` costs: measured on the
 * simulator's CamFlow relations (~560 bytes of JSON a row), 5 µs a row through COPY into a
 * staging table against 16 µs through json_to_recordset with the attributes cast per row (and
 * ~35 µs when json_to_recordset itself builds the jsonb column: it grows with the document).
 * Rows go into a temporary staging table of the session (ON COMMIT DELETE ROWS), and the
 * ingest's `insert ... select ... on conflict do nothing` reads them from there, so the
 * idempotent, first-wins insert is the same statement as before.
 *
 * Only for values that COPY stores exactly as the JSON path would: `copyableText` refuses text with
 * U+0000 or a lone surrogate (the JSON path rejects those as data, SQLSTATE 22, and the caller
 * quarantines the document; COPY would refuse the first and silently replace the second).
 * PGlite keeps the JSON path (its driver has no COPY FROM STDIN stream).
 */
import type { Executor, Store } from "../client";

/** The postgres.js transaction under a drizzle transaction, or null (PGlite, other drivers). */
export function copyClient(store: Store, tx: Executor): CopyClient | null {
  if (store.kind !== "postgres") return null;
  const client = (tx as unknown as { session?: { client?: unknown } }).session?.client;
  return typeof (client as CopyClient | undefined)?.unsafe === "function"
    ? (client as CopyClient)
    : null;
}

interface CopyQuery extends Promise<unknown> {
  reject(error: unknown): void;
  simple(): void;
  writable(): Promise<NodeJS.WritableStream>;
}
export interface CopyClient {
  unsafe(query: string): CopyQuery;
}

/**
 * Creates the session's staging tables once per connection (later calls are no-ops), and turns
 * JIT off for the transaction.
 */
export async function ensureStagingTables(client: CopyClient): Promise<void> {
  const query = client.unsafe(
    `create temp table if not exists provtopia_nodes_stage (
       ext_id text, kind node_kind, prov_type text, label text, attributes jsonb,
       service_id integer, ledger_log_id integer, ledger_seq bigint
     ) on commit delete rows;
     create temp table if not exists provtopia_relations_stage (
       ext_id text, kind relation_kind, from_ext_id text, to_ext_id text, time text,
       attributes jsonb, host_id integer, ledger_log_id integer, ledger_seq bigint
     ) on commit delete rows;
     set local jit = off`,
  );
  // One round trip. JIT off: the staging tables have no statistics, and a plan over a guess of
  // their size can cost enough for JIT, whose compilation takes longer than the statement.
  query.simple();
  await query;
}

/**
 * Sends `text` (COPY text format, one row a line) into `table`. Resolves when the server has
 * stored every row; rejects with an Error whose `cause` is the server's error (so a data
 * exception keeps its SQLSTATE for the caller).
 */
export async function copyInto(client: CopyClient, table: string, text: string): Promise<void> {
  const query = client.unsafe(`copy ${table} from stdin`);
  // postgres.js resolves the query with the stream, and an error the server reports after the
  // stream ended reaches only the query's reject: listen there too, or a failed COPY never ends.
  let failed: (error: unknown) => void = () => {};
  const failure = new Promise<never>((_, reject) => {
    failed = reject;
  });
  const reject = query.reject.bind(query);
  query.reject = (error: unknown) => {
    failed(error);
    reject(error);
  };
  try {
    const stream = await query.writable();
    await Promise.race([
      new Promise<void>((resolve, rejectWrite) => {
        stream.on("error", rejectWrite);
        stream.end(text, () => resolve());
      }),
      failure,
    ]);
  } catch (error) {
    throw new Error(`couldn't copy rows into ${table}`, { cause: error });
  }
}

const SPECIAL = /[\\\n\r\t]/;
const SPECIAL_ALL = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };
const escapeOne = (c: string) => ESCAPES[c] as string;

/** A value as a COPY text field: `\N` for null, backslash, newline, CR and tab escaped. */
export function field(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "\\N";
  if (typeof value === "number") return String(value);
  return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, escapeOne) : value;
}

/** JSON text as a COPY field: JSON.stringify writes no raw control characters, only `\`. */
export function jsonField(json: string): string {
  return json.includes("\\") ? json.replaceAll("\\", "\\\\") : json;
}

/** ES2024's String.prototype.isWellFormed (Node 20 has it; the project's lib is ES2023). */
const isWellFormed = (String.prototype as unknown as { isWellFormed(this: string): boolean })
  .isWellFormed;

/**
 * True when COPY stores this string exactly as the JSON path does: no U+0000 and no surrogate
 * that is not part of a pair (null and undefined: nothing to store).
 */
export function copyableText(value: string | null | undefined): boolean {
  return !value || (!value.includes("\u0000") && isWellFormed.call(value));
}
