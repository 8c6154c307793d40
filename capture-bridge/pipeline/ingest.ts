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
import {
  type BatchOutcome,
  ingestBatch,
  type QuarantineEntry,
  quarantineMessage,
} from "../../db/prov/ingest";
import {
  NODE_KINDS,
  type ProvGraph,
  RELATION_KINDS,
  type SkippedStatement,
  type SkipReason,
} from "../../db/prov/model";
import type { QuarantineKind } from "../../db/prov/quarantine-kinds";
import { ProvFormatError, parseProvJson } from "../formats/prov-json";
import { isSpadeRecord, parseSpadeRecords, SpadeFormatError } from "../formats/spade-json";
import { type DocumentText, decodePayload, MessageDecodeError, readDocuments } from "./decode";

export interface Message {
  /** Where it came from, for quarantine and logs: `mqtt:<topic>`, `file:<path>`. */
  source: string;
  /** The capture host that sent it, used when the document does not name one. */
  host: string;
  payload: Uint8Array;
}

/**
 * Running totals over many messages. With `distinct` (the CLI's summary) node and relation
 * counts are of distinct ids over the whole run, which costs memory per id; without it (the
 * bridge, which runs for months) they are summed per document, in constant memory.
 */
export class IngestTally {
  readonly nodeIds = new Set<string>();
  readonly relationIds = new Set<string>();
  nodes = 0;
  relations = 0;
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

  constructor(readonly distinct = true) {}

  add(graph: ProvGraph): void {
    if (!this.distinct) {
      this.nodes += new Set(graph.nodes.map((n) => n.id)).size;
      this.relations += new Set(graph.relations.map((r) => r.id)).size;
      return;
    }
    for (const node of graph.nodes) this.nodeIds.add(node.id);
    for (const relation of graph.relations) this.relationIds.add(relation.id);
  }

  summary() {
    return {
      nodes: this.distinct ? this.nodeIds.size : this.nodes,
      relations: this.distinct ? this.relationIds.size : this.relations,
      new: this.newElements,
      quarantined: this.quarantined,
    };
  }
}

/** One document ready to be written: parsed, with the bytes the ledger archives. */
export interface PreparedDocument {
  graph: ProvGraph;
  host: string;
  raw: Uint8Array;
  signedBy?: string;
  receivedAt: Date;
}

/** A message read and parsed, not yet written: its documents and what to quarantine. */
export interface PreparedMessage {
  message: Message;
  documents: PreparedDocument[];
  quarantine: QuarantineEntry[];
  /** Distinct node and relation ids over the message's documents. */
  elements: number;
  /** Documents read only after camflowd's missing escapes were put back. */
  repaired: number;
}

/** What became of one message once its batch committed. */
export interface MessageOutcome {
  /** Documents committed: stored now, or already held. */
  documents: number;
  /** Of those, the ones the store already held (a re-delivery): nothing was written for them. */
  duplicates: number;
  quarantined: number;
  elements: number;
  newElements: number;
}

/**
 * Reads a message without writing: decodes, splits, opens a signed note (the only step that
 * reads the store: the host's key), parses. Unreadable parts become quarantine entries; a
 * message is never lost here. Throws only if the store fails while looking up a host key.
 */
export async function prepareMessage(
  store: Store,
  message: Message,
  options: { maxMessageBytes?: number } = {},
): Promise<PreparedMessage> {
  const prepared: PreparedMessage = {
    message,
    documents: [],
    quarantine: [],
    elements: 0,
    repaired: 0,
  };
  const reject: Reject = (kind, reason, raw) =>
    prepared.quarantine.push({ source: message.source, kind, reason, raw });
  const limit = options.maxMessageBytes ?? Number.POSITIVE_INFINITY;
  if (message.payload.byteLength > limit) {
    reject(
      "too-large",
      `a message of ${message.payload.byteLength} bytes; the limit is ${limit}`,
      message.payload,
    );
    return prepared;
  }
  let text: string;
  try {
    text = decodePayload(message.payload);
  } catch (error) {
    reject(kindOf(error), reasonOf(error), message.payload);
    return prepared;
  }
  // A host that signs sends one document as a signed note; check it before reading anything.
  let signedBy: string | null = null;
  let body = text;
  if (looksLikeSignedNote(text)) {
    const opened = await openSigned(store, message.host, text);
    if ("reason" in opened) {
      reject("bad-signature", opened.reason, message.payload);
      return prepared;
    }
    ({ body, signedBy } = opened);
  }
  const documents = readDocuments(body);
  if (signedBy && documents.length !== 1) {
    reject(
      "bad-signature",
      `a signed message must hold exactly one document, got ${documents.length}`,
      message.payload,
    );
    return prepared;
  }
  const receivedAt = new Date();
  for (const unit of readUnits(message, documents, reject, prepared)) {
    // The ledger archives the message as decoded (camflowd's base64+zlib undone, so the sealed
    // bundle compresses it well): a signed message whole, note and signature; a message that
    // is one unit as is; otherwise unit by unit. Quarantine keeps what came, byte for byte.
    const whole = signedBy || documents.length === 1 || unit.texts.length === documents.length;
    const raw = Buffer.from(whole ? text : unit.texts.join("\n"), "utf8");
    let graph: ProvGraph;
    try {
      // Hashed only if the document has a blank node (the ledger hashes the raw bytes anyway).
      const documentKey = () => createHash("sha256").update(raw).digest("hex");
      graph = unit.spade
        ? parseSpadeRecords(unit.values)
        : parseProvJson(unit.values[0], { documentKey });
    } catch (error) {
      reject(kindOf(error), reasonOf(error), raw);
      continue;
    }
    const unread = unreadSections(unit, graph);
    if (unread) {
      reject(
        "not-prov",
        `no PROV element in the document; sections not understood: ${unread}`,
        raw,
      );
      continue;
    }
    if (signedBy && graph.host !== null && graph.host !== message.host) {
      reject(
        "bad-signature",
        `the document names host ${graph.host} but was signed by ${message.host}`,
        raw,
      );
      continue;
    }
    const host = signedBy ? message.host : (graph.host ?? message.host);
    prepared.documents.push({
      graph,
      host,
      raw,
      receivedAt,
      ...(signedBy ? { signedBy } : {}),
    });
    prepared.elements += graph.nodes.length + graph.relations.length;
  }
  return prepared;
}

/**
 * Writes prepared messages in one transaction and returns each one's outcome, in order.
 * A document the store rejects as data (SQLSTATE class 22: U+0000 in text or jsonb, ...) is its
 * own fault, not the store's: the batch is then written message by message and document by
 * document, and only that document is quarantined, or a source redelivering it would never get
 * past it. Throws if the store fails (nothing of the batch is stored then).
 */
export async function writeMessages(
  store: Store,
  batch: readonly PreparedMessage[],
  /** `labels: false` only for benchmarks that measure labelling's cost (db/labels). */
  options: { labels?: boolean } = {},
): Promise<MessageOutcome[]> {
  try {
    return await writeOnce(store, batch, options);
  } catch (error) {
    if (!dataException(error)) throw error;
  }
  const outcomes: MessageOutcome[] = [];
  for (const prepared of batch) {
    const outcome = emptyOutcome();
    const parts = [
      { ...prepared, documents: [] },
      ...prepared.documents.map((document) => ({
        ...prepared,
        documents: [document],
        quarantine: [],
      })),
    ];
    for (const part of parts) {
      try {
        addOutcome(outcome, (await writeOnce(store, [part], options))[0] as MessageOutcome);
      } catch (error) {
        const rejection = dataException(error);
        const document = part.documents[0];
        if (!rejection || !document) throw error;
        await quarantineMessage(store, {
          source: prepared.message.source,
          kind: "store-rejected",
          reason: rejection,
          raw: document.raw,
        });
        outcome.quarantined += 1;
      }
    }
    outcomes.push(outcome);
  }
  return outcomes;
}

async function writeOnce(
  store: Store,
  batch: readonly PreparedMessage[],
  options: { labels?: boolean },
): Promise<MessageOutcome[]> {
  const documents = batch.flatMap((prepared) => prepared.documents);
  const results = await ingestBatch(
    store,
    documents.map((document) => ({
      graph: document.graph,
      hostName: document.host,
      evidence: {
        raw: document.raw,
        receivedAt: document.receivedAt,
        ...(document.signedBy ? { signedBy: document.signedBy } : {}),
      },
    })),
    {
      quarantine: batch.flatMap((prepared) => prepared.quarantine),
      quarantineSources: batch.flatMap((prepared) =>
        prepared.documents.map(() => prepared.message.source),
      ),
      ...(options.labels === false ? { labels: false } : {}),
    },
  );
  let next = 0;
  return batch.map((prepared) => {
    const outcome = emptyOutcome();
    outcome.quarantined = prepared.quarantine.length;
    for (const _ of prepared.documents) {
      const result = results[next++] as BatchOutcome;
      if (result.status === "refused") {
        outcome.quarantined += 1;
        continue;
      }
      if (result.status === "duplicate") outcome.duplicates += 1;
      outcome.documents += 1;
      outcome.elements += result.nodes + result.relations;
      outcome.newElements += result.newNodes + result.newRelations;
    }
    return outcome;
  });
}

function emptyOutcome(): MessageOutcome {
  return { documents: 0, duplicates: 0, quarantined: 0, elements: 0, newElements: 0 };
}

function addOutcome(into: MessageOutcome, more: MessageOutcome): void {
  into.documents += more.documents;
  into.duplicates += more.duplicates;
  into.quarantined += more.quarantined;
  into.elements += more.elements;
  into.newElements += more.newElements;
}

/** Adds a committed message to the running totals. */
export function countInto(
  tally: IngestTally,
  prepared: PreparedMessage,
  outcome: MessageOutcome,
): void {
  for (const document of prepared.documents) {
    tally.add(document.graph);
    tally.noteSkipped(document.graph.skipped);
  }
  tally.repaired += prepared.repaired;
  tally.newElements += outcome.newElements;
  tally.quarantined += outcome.quarantined;
  tally.documents += outcome.documents;
}

/**
 * Stores what `message` carries, in one transaction, and adds it to `tally`. Throws only if
 * the store fails. The bridge's sources go through the batching pipeline (pipeline.ts) instead.
 */
export async function ingestMessage(
  store: Store,
  message: Message,
  tally: IngestTally = new IngestTally(),
): Promise<IngestTally> {
  const prepared = await prepareMessage(store, message);
  const [outcome] = await writeMessages(store, [prepared]);
  countInto(tally, prepared, outcome as MessageOutcome);
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
 * Groups a message's documents into units, rejecting what cannot be read: unparseable lines,
 * and SPADE records of the wrong shape (one by one, so the records around them stay).
 */
function readUnits(
  message: Message,
  documents: DocumentText[],
  reject: Reject,
  counts: { repaired: number },
): Unit[] {
  const units: Unit[] = [];
  for (const document of documents) {
    if (!document.ok) {
      const raw = documents.length === 1 ? message.payload : Buffer.from(document.text, "utf8");
      reject("not-json", document.reason, raw);
      continue;
    }
    if (document.repaired) counts.repaired += 1;
    if (!isSpadeRecord(document.value)) {
      units.push({ spade: false, texts: [document.text], values: [document.value] });
      continue;
    }
    try {
      parseSpadeRecords([document.value]);
    } catch (error) {
      reject(kindOf(error), reasonOf(error), Buffer.from(document.text, "utf8"));
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

/** Top-level sections every PROV-JSON reader knows, or that CamFlow is known to send stray. */
const KNOWN_SECTIONS = new Set<string>([
  "prefix",
  "bundle",
  ...NODE_KINDS,
  ...RELATION_KINDS,
  "relation",
  "message",
]);

/**
 * The sections of a PROV-JSON document that yielded nothing and that no reader knows (e.g. a
 * misspelt or invented relation kind), when they are all it holds; else null. Such a document
 * would otherwise be stored as an empty graph, and what it meant lost without a trace.
 */
function unreadSections(unit: Unit, graph: ProvGraph): string | null {
  if (unit.spade || graph.nodes.length > 0 || graph.relations.length > 0) return null;
  const value = unit.values[0];
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const unknown = Object.keys(value).filter((key) => !KNOWN_SECTIONS.has(key));
  return unknown.length > 0 ? unknown.map((key) => JSON.stringify(key)).join(", ") : null;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Keeps a message, or a part of one, in quarantine with the kind of problem and the reason. */
type Reject = (kind: QuarantineKind, reason: string, raw: Uint8Array) => void;

/** The kind of problem a reader's error is. */
function kindOf(error: unknown): QuarantineKind {
  if (error instanceof MessageDecodeError) return "not-text";
  if (error instanceof SpadeFormatError) return "bad-spade";
  if (error instanceof ProvFormatError) {
    const kinds = { shape: "bad-prov", "no-section": "not-prov", syntax: "not-json" } as const;
    return kinds[error.problem];
  }
  return "other";
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
