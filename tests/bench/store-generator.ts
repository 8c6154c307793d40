/**
 * A day in the life of an organisation, as provenance graphs for the store bench: documents
 * that each capture host would send, generated directly as ProvGraphs (parsing is measured by
 * the ingest bench). Deterministic for a seed.
 *
 * Per document (one host, one time slice of `sliceMinutes`):
 * - app-level sign-ups: per subject a source entity (`gdpr:subject`, `gdpr:category`,
 *   `gdpr:purpose`, collected at its time) in service Sign-up, the request that used it and the
 *   database row it generated, ordered by prov:time;
 * - CamFlow-shaped work on the host (ordered by versions, `cf:` ids): a sync task reads the rows
 *   in versions, writes versions of a shared database file; a CRM task (mapped by a DPO rule on
 *   its executable) reads the last file version; a newsletter task (another rule) reads the
 *   previous slice's file version, so flows also join documents;
 * - an export: the CRM task writes a socket, a packet leaves; the next host's document receives
 *   that packet (same id), and its analytics task (a third rule, on that host) reads it: labels
 *   cross hosts.
 */
import type { ProvGraph, ProvNode, ProvRelation } from "../../db/prov/model";
import { createRandom } from "./prov-generator";

export interface StoreGeneratorOptions {
  seed: number;
  documents: number;
  subjects: number;
  /** Sign-ups per document. */
  subjectsPerDocument: number;
  hosts: number;
  /** Minutes of the day one document covers. */
  sliceMinutes: number;
  runTag: string;
}

export interface StoreDocument {
  host: string;
  graph: ProvGraph;
  elements: number;
}

export const START_MS = Date.UTC(2026, 10, 2, 0, 0, 0);
export const CATEGORIES = ["email", "address", "phone", "purchases"] as const;
export const MAPPING_RULES = [
  { service: "CRM", executable: "/usr/bin/crm-sync", organisation: "Lumen Books" },
  { service: "Newsletter", executable: "/usr/bin/newsletter", organisation: "Lumen Books" },
  { service: "Analytics", executable: "/opt/measure/analytics", organisation: "MeasureCo" },
] as const;

export function subjectRef(tag: string, index: number): string {
  return `${tag}-subject-${index}`;
}

export function hostName(tag: string, index: number): string {
  return `${tag}-host-${index}`;
}

/**
 * The documents one by one, in order: only the generator's own state (the random stream, each
 * host's last file version, the packet in flight) lives between them, so a store of millions
 * of elements never has to be in memory at once. Same documents, same order, as
 * generateStoreDocuments for the same options.
 */
export function* storeDocuments(options: StoreGeneratorOptions): Generator<StoreDocument> {
  const random = createRandom(options.seed);
  const tag = options.runTag;
  const lastFileVersion = new Map<number, string>();
  let pendingPacket: { id: string; toHost: number } | null = null;
  let nextSubject = 0;
  const iso = (ms: number) => new Date(ms).toISOString();
  const cfDate = (ms: number) => iso(ms).slice(0, 19).replace(/-/g, ":");

  for (let d = 0; d < options.documents; d++) {
    const host = d % options.hosts;
    const startMs = START_MS + d * options.sliceMinutes * 60_000;
    const nodes: ProvNode[] = [];
    const relations: ProvRelation[] = [];
    const p = `${tag}:d${d}`;
    const cf = (id: string) => `cf:${p}:${id}`;
    const date = { "cf:date": cfDate(startMs) };
    const add = (id: string, kind: ProvNode["kind"], attributes: ProvNode["attributes"] = {}) =>
      nodes.push({ id, kind, type: null, label: null, attributes });
    const link = (
      id: string,
      kind: ProvRelation["kind"],
      from: string,
      to: string,
      time: string | null,
      attributes: ProvRelation["attributes"] = {},
    ) => relations.push({ id, kind, from, to, time, attributes });

    // App-level sign-ups.
    const rows: string[] = [];
    for (let i = 0; i < options.subjectsPerDocument; i++) {
      const subject = nextSubject % options.subjects;
      nextSubject += 1;
      const atMs = startMs + random.int(0, options.sliceMinutes * 60_000 - 1);
      const category = random.pick(CATEGORIES);
      const src = `${p}:form${i}`;
      const request = `${p}:request${i}`;
      const row = `${p}:row${i}`;
      add(src, "entity", {
        "gdpr:subject": subjectRef(tag, subject),
        "gdpr:category": category,
        "gdpr:purpose": "account",
        "prov:generatedAtTime": iso(atMs),
        "gdpr:service": "Sign-up",
        "gdpr:organisation": "Lumen Books",
      });
      add(request, "activity", { "gdpr:service": "Sign-up", "gdpr:organisation": "Lumen Books" });
      add(row, "entity");
      link(`${p}:u${i}`, "used", request, src, iso(atMs));
      link(`${p}:g${i}`, "wasGeneratedBy", row, request, iso(atMs + 1000));
      rows.push(row);
    }

    // CamFlow: a sync task reads the rows in versions and writes versions of the shared file.
    const versions = 4;
    let previousTask: string | null = null;
    let previousFile: string | null = null;
    for (let v = 0; v < versions; v++) {
      const task = cf(`sync-v${v}`);
      const file = cf(`db-v${v}`);
      add(task, "activity", { "cf:version": v, ...date });
      add(file, "entity", { "cf:version": v, "cf:name": "/var/lib/shop/accounts.db", ...date });
      if (previousTask) link(cf(`sync-va${v}`), "wasInformedBy", task, previousTask, null, date);
      if (previousFile) link(cf(`db-ve${v}`), "wasDerivedFrom", file, previousFile, null, date);
      for (let i = v; i < rows.length; i += versions) {
        link(cf(`read${i}`), "used", task, rows[i] as string, null, date);
      }
      link(cf(`write${v}`), "wasGeneratedBy", file, task, null, date);
      previousTask = task;
      previousFile = file;
    }
    const lastFile = previousFile as string;

    // The CRM task reads the file; it exports over the network.
    const crm = cf("crm");
    add(crm, "activity", { "cf:name": MAPPING_RULES[0].executable, ...date });
    link(cf("crm-read"), "used", crm, lastFile, null, date);
    const socket = cf("socket");
    add(socket, "entity", { "prov:type": "socket", ...date });
    link(cf("crm-send"), "wasGeneratedBy", socket, crm, null, date);
    // A packet id has no host in it: sender and receiver report the same id.
    const packet = `cf:${tag}:packet${d}`;
    add(packet, "entity", { "prov:type": "packet" });
    link(cf("send-packet"), "wasDerivedFrom", packet, socket, null, date);

    // The newsletter reads the previous slice's file on this host (a relation across documents).
    const previous = lastFileVersion.get(host);
    if (previous) {
      const newsletter = cf("newsletter");
      add(newsletter, "activity", { "cf:name": MAPPING_RULES[1].executable, ...date });
      link(cf("newsletter-read"), "used", newsletter, previous, null, date);
    }
    lastFileVersion.set(host, lastFile);

    // The packet the previous document's host sent to this host arrives here.
    if (pendingPacket && pendingPacket.toHost === host) {
      const inbound = cf("inbound");
      const analytics = cf("analytics");
      add(pendingPacket.id, "entity", { "prov:type": "packet" });
      add(inbound, "entity", { "prov:type": "socket", ...date });
      add(analytics, "activity", { "cf:name": MAPPING_RULES[2].executable, ...date });
      link(cf("receive-packet"), "wasDerivedFrom", inbound, pendingPacket.id, null, date);
      link(cf("analytics-read"), "used", analytics, inbound, null, date);
    }
    pendingPacket = { id: packet, toHost: (host + 1) % options.hosts };

    yield {
      host: hostName(tag, host),
      graph: { nodes, relations, host: hostName(tag, host) },
      elements: nodes.length + relations.length,
    };
  }
}

/** All the documents at once (small stores: tests, profiling aids). */
export function generateStoreDocuments(options: StoreGeneratorOptions): StoreDocument[] {
  return Array.from(storeDocuments(options));
}

/** Up to `size` documents at a time from `documents`, in order. */
export function* chunks<T>(documents: Iterable<T>, size: number): Generator<T[]> {
  let chunk: T[] = [];
  for (const document of documents) {
    chunk.push(document);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}
