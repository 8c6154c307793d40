/**
 * The quarantine for the DPO: messages the bridge could not read, kept whole with the reason
 * (db/prov/ingest.ts, quarantineMessage), newest first, filtered by source, reason and kind,
 * with a safe preview of their first bytes; and one message's raw bytes, for a download the
 * portal records in the legal log (raw messages may hold personal data). Reads, but for what a
 * retry (capture-bridge/quarantine-retry.ts) changes: a message released, or re-described.
 */
import { type SQL, sql } from "drizzle-orm";
import type { Store } from "../client";
import type { QuarantineKind } from "../prov/quarantine-kinds";
import { isoUtc } from "./subject-choices";

/** Bytes of a message the preview shows at most. */
export const PREVIEW_BYTES = 1024;
/** A filter's longest accepted text. */
export const FILTER_MAX_LENGTH = 200;

export interface QuarantineFilter {
  /** Part of the source (`mqtt:<topic>`, `nats:<subject>`, `http:<host>`, `file:<path>`). */
  source?: string;
  /** Part of the reason. */
  reason?: string;
  /** One kind of problem. */
  kind?: QuarantineKind;
  /** Only messages with a smaller id (the next page). */
  before?: number;
}

export interface QuarantinePreview {
  /** `text`: the first bytes are UTF-8 text; `hex`: they are not, shown as a hex dump. */
  kind: "text" | "hex";
  text: string;
  /** The message is longer than the preview. */
  truncated: boolean;
}

export interface QuarantinedRow {
  id: number;
  source: string;
  kind: QuarantineKind;
  reason: string;
  bytes: number;
  receivedAt: string;
  digest: string | null;
  preview: QuarantinePreview;
}

export interface QuarantinePage {
  /** Every message in quarantine. */
  total: number;
  /** The messages the filter matches (all pages). */
  matching: number;
  /** Messages per transport (the source's prefix: mqtt, nats, http, file), of all of them. */
  byTransport: { transport: string; count: number }[];
  /** Messages per kind of problem, of all of them, the commonest first. */
  byKind: { kind: QuarantineKind; count: number }[];
  messages: QuarantinedRow[];
  /** `before` for the next page, or null on the last one. */
  nextBefore: number | null;
}

/** A LIKE pattern matching `text` anywhere, its own wildcards taken literally. */
function containing(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * What the page shows of a message's first bytes: text when they are UTF-8 (a multi-byte
 * character cut by the preview's end is dropped, not judged), with control characters other
 * than tab and newlines shown as U+2400-style symbols; else a hex dump, 16 bytes a line.
 */
export function previewOf(head: Uint8Array, totalBytes: number): QuarantinePreview {
  const truncated = totalBytes > head.length;
  // Up to 3 bytes of a character the cut split: drop them (only when the message goes on).
  for (let drop = 0; drop <= (truncated ? 3 : 0); drop++) {
    try {
      const text = utf8.decode(head.subarray(0, head.length - drop));
      return {
        kind: "text",
        // biome-ignore lint/suspicious/noControlCharactersInRegex: shown, not matched against input.
        text: text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) =>
          c === "\u007f" ? "\u2421" : String.fromCharCode(0x2400 + c.charCodeAt(0)),
        ),
        truncated,
      };
    } catch {
      // not UTF-8 (yet): try with one byte fewer, then give up
    }
  }
  const shown = head.subarray(0, Math.min(head.length, 256));
  const lines: string[] = [];
  for (let at = 0; at < shown.length; at += 16) {
    const row = shown.subarray(at, at + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    const ascii = [...row]
      .map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : "."))
      .join("");
    lines.push(`${at.toString(16).padStart(8, "0")}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return { kind: "hex", text: lines.join("\n"), truncated: totalBytes > shown.length };
}

/** The conditions a filter sets (none: `true`). */
function selected(filter: Omit<QuarantineFilter, "before">): SQL[] {
  const conditions = [sql`true`];
  if (filter.source) conditions.push(sql`source ilike ${containing(filter.source)}`);
  if (filter.reason) conditions.push(sql`reason ilike ${containing(filter.reason)}`);
  if (filter.kind) conditions.push(sql`kind = ${filter.kind}`);
  return conditions;
}

/** A page of `limit` quarantined messages matching `filter`, newest first. */
export async function quarantinePage(
  store: Store,
  filter: QuarantineFilter,
  limit: number,
): Promise<QuarantinePage> {
  const matches = sql.join(selected(filter), sql` and `);
  const page = filter.before === undefined ? matches : sql`${matches} and id < ${filter.before}`;
  const [counts] = await store.rows<{ total: number; matching: number }>(sql`
    select count(*)::integer as total, (count(*) filter (where ${matches}))::integer as matching
    from quarantine`);
  const byTransport = await store.rows<{ transport: string; count: number }>(sql`
    select split_part(source, ':', 1) as transport, count(*)::integer as count
    from quarantine group by 1 order by 2 desc, 1`);
  const byKind = await store.rows<{ kind: QuarantineKind; count: number }>(sql`
    select kind::text as kind, count(*)::integer as count
    from quarantine group by 1 order by 2 desc, 1`);
  const rows = await store.rows<{
    id: number;
    source: string;
    kind: QuarantineKind;
    reason: string;
    bytes: number;
    received_at: string;
    digest: string | null;
    head: Uint8Array;
  }>(sql`
    select id::integer as id, source, kind::text as kind, reason,
      octet_length(raw)::integer as bytes,
      ${isoUtc("received_at")} as received_at, digest,
      substring(raw from 1 for ${PREVIEW_BYTES}) as head
    from quarantine where ${page}
    order by id desc limit ${limit + 1}`);
  const shown = rows.slice(0, limit);
  return {
    total: counts?.total ?? 0,
    matching: counts?.matching ?? 0,
    byTransport,
    byKind,
    messages: shown.map((row) => ({
      id: row.id,
      source: row.source,
      kind: row.kind,
      reason: row.reason,
      bytes: row.bytes,
      receivedAt: row.received_at,
      digest: row.digest,
      preview: previewOf(new Uint8Array(row.head), row.bytes),
    })),
    nextBefore: rows.length > limit ? (shown.at(-1)?.id ?? null) : null,
  };
}

/** One quarantined message whole, or null when there is none with that id. */
export async function quarantinedMessage(
  store: Store,
  id: number,
): Promise<{
  id: number;
  source: string;
  reason: string;
  raw: Uint8Array;
  digest: string | null;
} | null> {
  const [row] = await store.rows<{
    id: number;
    source: string;
    reason: string;
    raw: Uint8Array;
    digest: string | null;
  }>(sql`select id::integer as id, source, reason, raw, digest from quarantine where id = ${id}`);
  return row ? { ...row, raw: new Uint8Array(row.raw) } : null;
}

/** Whole quarantined messages matching `filter` (or with one of `ids`), oldest first, after `afterId`. */
export async function quarantinedMessages(
  store: Store,
  selection: { ids?: readonly number[] } & Omit<QuarantineFilter, "before">,
  afterId: number,
  limit: number,
): Promise<{ id: number; source: string; reason: string; raw: Uint8Array }[]> {
  const conditions = [sql`id > ${afterId}`, ...selected(selection)];
  if (selection.ids) {
    conditions.push(
      sql`id in (${sql.join(
        selection.ids.map((id) => sql`${id}`),
        sql`, `,
      )})`,
    );
  }
  const rows = await store.rows<{ id: number; source: string; reason: string; raw: Uint8Array }>(
    sql`select id::integer as id, source, reason, raw from quarantine
        where ${sql.join(conditions, sql` and `)} order by id limit ${limit}`,
  );
  return rows.map((row) => ({ ...row, raw: new Uint8Array(row.raw) }));
}

/** Removes one message from quarantine (once what it held is stored). */
export async function releaseQuarantined(store: Store, id: number): Promise<void> {
  await store.rows(sql`delete from quarantine where id = ${id}`);
}

/** A message still unreadable when read again: kept, with today's kind of problem and reason. */
export async function requarantine(
  store: Store,
  id: number,
  kind: QuarantineKind,
  reason: string,
): Promise<void> {
  await store.rows(sql`update quarantine set kind = ${kind}, reason = ${reason} where id = ${id}`);
}
