/**
 * The bridge's one path from a received message to the store, shared by every source (MQTT,
 * files, later NATS and HTTP): decode, split into documents, parse, write. A document that
 * cannot be read goes to quarantine with its reason and raw bytes; the documents around it
 * are still stored. Only a failing database makes this throw, so a source can retry or stop.
 */
import { createHash } from "node:crypto";
import type { Store } from "../../db/client";
import {
  hostVerifierKey,
  looksLikeSignedNote,
  openHostSignedMessage,
} from "../../db/ledger/host-signatures";
import { NoteError } from "../../db/ledger/note";
import { type IngestResult, ingestGraph, quarantineMessage } from "../../db/prov/ingest";
import type { SkippedStatement, SkipReason } from "../../db/prov/model";
import { parseProvJson } from "../formats/prov-json";
import { isSpadeRecord, parseSpadeRecords } from "../formats/spade-json";
import { type DocumentText, decodePayload, readDocuments } from "./decode";

export interface Message {
  /** Where it came from, for quarantine and logs: `mqtt:<topic>`, `file:<path>`. */
  source: string;
  /** The capture host that sent it, used when the document does not name one. */
  host: string;
  payload: Uint8Array;
}

/** Running totals over many messages; element counts are of distinct ids. */
export class IngestTally {
  readonly nodeIds = new Set<string>();
  readonly relationIds = new Set<string>();
  newElements = 0;
  quarantined = 0;
  documents = 0;
  /** Documents read only after camflowd's missing escapes were put back (decode.ts). */
  repaired = 0;
  /** Statements read from stored documents that did not become elements (model.ts SkipReason). */
  readonly skipped: Record<SkipReason, number> = {
    incomplete: 0,
    "unknown-section": 0,
    "gdpr-annotation": 0,
  };

  noteSkipped(statements: readonly SkippedStatement[] | undefined): void {
    for (const statement of statements ?? []) this.skipped[statement.reason] += 1;
  }

  summary() {
    return {
      nodes: this.nodeIds.size,
      relations: this.relationIds.size,
      new: this.newElements,
      quarantined: this.quarantined,
    };
  }
}

/** Stores what `message` carries and adds it to `tally`. Throws only if the store fails. */
export async function ingestMessage(
  store: Store,
  message: Message,
  tally: IngestTally = new IngestTally(),
): Promise<IngestTally> {
  let text: string;
  try {
    text = decodePayload(message.payload);
  } catch (error) {
    await quarantine(store, message, message.payload, error);
    tally.quarantined += 1;
    return tally;
  }
  // A host that signs sends one document as a signed note; check it before reading anything.
  let signedBy: string | null = null;
  let body = text;
  if (looksLikeSignedNote(text)) {
    const opened = await openSigned(store, message.host, text);
    if ("reason" in opened) {
      await quarantineMessage(store, {
        source: message.source,
        reason: opened.reason,
        raw: message.payload,
      });
      tally.quarantined += 1;
      return tally;
    }
    ({ body, signedBy } = opened);
  }
  const documents = readDocuments(body);
  if (signedBy && documents.length !== 1) {
    const reason = `a signed message must hold exactly one document, got ${documents.length}`;
    await quarantineMessage(store, { source: message.source, reason, raw: message.payload });
    tally.quarantined += 1;
    return tally;
  }
  for (const unit of await readUnits(store, message, documents, tally)) {
    // The ledger archives the message as decoded (camflowd's base64+zlib undone, so the sealed
    // bundle compresses it well): a signed message whole, note and signature; a message that
    // is one unit as is; otherwise unit by unit. Quarantine keeps what came, byte for byte.
    const whole = signedBy || documents.length === 1 || unit.texts.length === documents.length;
    const raw = Buffer.from(whole ? text : unit.texts.join("\n"), "utf8");
    let graph: ReturnType<typeof parseProvJson>;
    try {
      const documentKey = createHash("sha256").update(raw).digest("hex");
      graph = unit.spade
        ? parseSpadeRecords(unit.values)
        : parseProvJson(unit.values[0], { documentKey });
    } catch (error) {
      await quarantine(store, message, raw, error);
      tally.quarantined += 1;
      continue;
    }
    const host = signedBy ? message.host : (graph.host ?? message.host);
    const refusal = signedBy
      ? graph.host !== null && graph.host !== message.host
        ? `the document names host ${graph.host} but was signed by ${message.host}`
        : null
      : (await hostVerifierKey(store, host)) !== null
        ? `host ${host} signs its messages; this one is unsigned`
        : null;
    if (refusal) {
      await quarantineMessage(store, { source: message.source, reason: refusal, raw });
      tally.quarantined += 1;
      continue;
    }
    let result: IngestResult;
    try {
      result = await ingestGraph(store, graph, host, {
        raw,
        receivedAt: new Date(),
        ...(signedBy ? { signedBy } : {}),
      });
    } catch (error) {
      // A data exception (SQLSTATE class 22: U+0000 in text or jsonb, ...) is this document's
      // fault, not the store's; quarantine it, or a source retrying it would never get past it.
      const rejection = dataException(error);
      if (!rejection) throw error;
      await quarantineMessage(store, { source: message.source, reason: rejection, raw });
      tally.quarantined += 1;
      continue;
    }
    for (const node of graph.nodes) tally.nodeIds.add(node.id);
    for (const relation of graph.relations) tally.relationIds.add(relation.id);
    tally.newElements += result.newNodes + result.newRelations;
    tally.documents += 1;
    tally.noteSkipped(graph.skipped);
  }
  return tally;
}

/** The signed note opened with the key `host` registered, or why it cannot be accepted. */
async function openSigned(
  store: Store,
  host: string,
  text: string,
): Promise<{ body: string; signedBy: string } | { reason: string }> {
  const vkey = await hostVerifierKey(store, host);
  if (!vkey) return { reason: `a signed message from host ${host}, which has no registered key` };
  try {
    return openHostSignedMessage(vkey, text);
  } catch (error) {
    if (!(error instanceof NoteError)) throw error;
    return { reason: `host signature: ${error.message}` };
  }
}

/** What is stored as one graph: one PROV-JSON document, or a run of SPADE JSON records. */
interface Unit {
  spade: boolean;
  texts: string[];
  values: unknown[];
}

/**
 * Groups a message's documents into units, quarantining what cannot be read: unparseable
 * lines, and SPADE records of the wrong shape (one by one, so the records around them stay).
 */
async function readUnits(
  store: Store,
  message: Message,
  documents: DocumentText[],
  tally: IngestTally,
): Promise<Unit[]> {
  const units: Unit[] = [];
  for (const document of documents) {
    if (!document.ok) {
      const raw = documents.length === 1 ? message.payload : Buffer.from(document.text, "utf8");
      await quarantineMessage(store, { source: message.source, reason: document.reason, raw });
      tally.quarantined += 1;
      continue;
    }
    if (document.repaired) tally.repaired += 1;
    if (!isSpadeRecord(document.value)) {
      units.push({ spade: false, texts: [document.text], values: [document.value] });
      continue;
    }
    try {
      parseSpadeRecords([document.value]);
    } catch (error) {
      await quarantine(store, message, Buffer.from(document.text, "utf8"), error);
      tally.quarantined += 1;
      continue;
    }
    const last = units.at(-1);
    if (last?.spade) {
      last.texts.push(document.text);
      last.values.push(document.value);
    } else {
      units.push({ spade: true, texts: [document.text], values: [document.value] });
    }
  }
  return units;
}

async function quarantine(
  store: Store,
  message: Message,
  raw: Uint8Array,
  error: unknown,
): Promise<void> {
  const reason = error instanceof Error ? error.message : String(error);
  await quarantineMessage(store, { source: message.source, reason, raw });
}

/**
 * The store's reason when it rejected the data itself (SQLSTATE class 22), else null. Uses the
 * driver's message, not drizzle's: that one repeats the parameters, which may hold the U+0000.
 */
function dataException(error: unknown): string | null {
  const cause = error instanceof Error ? error.cause : undefined;
  if (!(cause instanceof Error)) return null;
  const code = (cause as Error & { code?: unknown }).code;
  if (typeof code !== "string" || !code.startsWith("22")) return null;
  return `the store rejected the document: ${cause.message} (SQLSTATE ${code})`;
}
