/**
 * Writes a parsed provenance graph into the store, idempotently: elements are keyed by their
 * global id, so a re-delivered document inserts nothing and reports `new: 0`. The first
 * statement of an element wins; later statements of the same id add a reporting host only.
 *
 * App-level annotations are read here, on the way in (model.ts gdprAnnotations, personalDataOf): a node with
 * `gdpr:subject` and `gdpr:category` becomes a personal-data source of each subject and category
 * it names, for its first `gdpr:purpose` (a purposes row, created for the node's service if new);
 * a node with `gdpr:service` (and optionally `gdpr:organisation`) belongs to that service. Everything for one graph is
 * written in one transaction, together with its ledger record (db/ledger/log.ts): a document
 * is stored and recorded, or neither. The bridge writes many documents per transaction
 * (`ingestBatch`), with the same result as writing them one by one in order.
 */
import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Executor, Store } from "../client";
import { labelIngested } from "../labels/propagate";
import {
  beginAppends,
  type DigestedNode,
  type DigestedRelation,
  elementsDigest,
  finishAppends,
  hostOrigin,
  type PendingAppend,
} from "../ledger/log";
import {
  dataCategories,
  hosts,
  organisations,
  personalDataSources,
  provNodeHosts,
  provNodes,
  provRelations,
  purposes,
  quarantine,
  services,
  subjects,
} from "../schema";
import {
  copyableText,
  copyClient,
  copyInto,
  ensureStagingTables,
  field,
  jsonField,
} from "./copy-rows";
import { canonicalTextOrNull, fastElementsDigest, type Precomputed } from "./element-digest";
import {
  type ProvGraph,
  type ProvNode,
  type ProvRelation,
  personalDataOf,
  plainString,
} from "./model";
import type { QuarantineKind } from "./quarantine-kinds";

/** What the ledger keeps of a stored document: its raw bytes as received, and when. */
export interface Evidence {
  raw: Uint8Array;
  receivedAt: Date;
  /** `<host>+<key id hex>` when the host signed the message (db/ledger/host-signatures.ts). */
  signedBy?: string;
}

export interface IngestResult {
  nodes: number;
  relations: number;
  newNodes: number;
  newRelations: number;
}

/**
 * Stores one graph reported by `hostName`. Throws if the database rejects the write (the
 * transaction is rolled back, so nothing of the graph is half-stored).
 */
export async function ingestGraph(
  store: Store,
  graph: ProvGraph,
  hostName: string,
  /** null only for benchmarks that measure the ledger's cost: the document is not recorded. */
  evidence: Evidence | null,
  /** `labels: false` only for benchmarks that measure labelling's cost (db/labels). */
  options: { labels?: boolean } = {},
): Promise<IngestResult> {
  const [outcome] = await ingestBatch(store, [{ graph, hostName, evidence }], {
    refuseUnsigned: false,
    ...(options.labels === false ? { labels: false } : {}),
  });
  if (!outcome || outcome.status === "refused") {
    throw new Error(
      `couldn't store the graph of host ${hostName}: ${outcome?.reason ?? "no outcome"}`,
    );
  }
  return outcome;
}

/** One document of a batch. */
export interface BatchDocument {
  graph: ProvGraph;
  hostName: string;
  /** null only for benchmarks that measure the ledger's cost: the document is not recorded. */
  evidence: Evidence | null;
}

/** A message (or part of one) that cannot be stored, kept whole with the reason. */
export interface QuarantineEntry {
  source: string;
  /** What kind of problem (the portal names it in the reader's language). */
  kind: QuarantineKind;
  /** The reader's own message, with the details. */
  reason: string;
  raw: Uint8Array;
}

export type BatchOutcome =
  /** Written; `new*` count the elements the store did not have. */
  | ({ status: "stored" } & IngestResult)
  /** The host's log already holds these raw bytes (a re-delivery): nothing was written. */
  | ({ status: "duplicate" } & IngestResult)
  /** Not stored (a signing host's unsigned document); quarantined in the same transaction. */
  | { status: "refused"; reason: string };

export interface BatchOptions {
  /** Rejected messages to keep, in the same transaction as the batch. */
  quarantine?: readonly QuarantineEntry[];
  /**
   * Refuse (and quarantine, with `source`) an unsigned document from a host with a registered
   * key. Default true; `quarantineSources[i]` names the source of document i.
   */
  refuseUnsigned?: boolean;
  quarantineSources?: readonly string[];
  /** `labels: false` only for benchmarks that measure labelling's cost (db/labels). */
  labels?: boolean;
}

const caches = new WeakMap<Store, { services: Map<string, number> }>();

/**
 * Stores many documents in one transaction with a fixed number of statements, whatever the
 * batch's size: the same result as storing them one by one in order (the first document that
 * brings an element in is the one its ledger reference names), and the same ledger records.
 * Rows are written sorted by external id, so concurrent batches that share elements (CamFlow
 * packets seen by two hosts, two bridges on one stream) lock them in the same order.
 * Throws if the database rejects the write; nothing of the batch is stored then.
 */
export async function ingestBatch(
  store: Store,
  documents: readonly BatchDocument[],
  options: BatchOptions = {},
): Promise<BatchOutcome[]> {
  const cache = caches.get(store) ?? { services: new Map<string, number>() };
  caches.set(store, cache);
  const learnedServices = new Map<string, number>();
  const outcomes = await store.db.transaction(async (tx) => {
    const hostRows = await upsertHosts(
      store,
      tx,
      documents.map((d) => d.hostName),
    );
    const outcomes: (BatchOutcome | null)[] = documents.map(() => null);
    const quarantined: QuarantineEntry[] = [...(options.quarantine ?? [])];
    // A host with a registered key must sign: an unsigned document from it is refused.
    documents.forEach((document, i) => {
      const host = hostRows.get(document.hostName);
      if (options.refuseUnsigned === false || !document.evidence || document.evidence.signedBy)
        return;
      if (!host?.verifierKey) return;
      const reason = `host ${document.hostName} signs its messages; this one is unsigned`;
      outcomes[i] = { status: "refused", reason };
      quarantined.push({
        source: options.quarantineSources?.[i] ?? `host:${document.hostName}`,
        kind: "unsigned",
        reason,
        raw: document.evidence.raw,
      });
    });
    // The ledger records come first: the elements they bring in point at them.
    const pending = await reserveAppends(
      store,
      tx,
      documents.flatMap((document, i) =>
        outcomes[i] === null && document.evidence
          ? [
              {
                hostId: (hostRows.get(document.hostName) as HostRow).id,
                hostName: document.hostName,
                raw: document.evidence.raw,
                ...(document.evidence.signedBy ? { signedBy: document.evidence.signedBy } : {}),
              },
            ]
          : [],
      ),
    );
    // Which documents to write, and the ledger record (if any) each one gets.
    const writes: { index: number; ledger: PendingAppend | null }[] = [];
    let next = 0;
    documents.forEach((document, i) => {
      if (outcomes[i] !== null) return;
      const ledger = document.evidence ? (pending[next++] ?? null) : null;
      if (document.evidence && ledger === null) {
        outcomes[i] = {
          status: "duplicate",
          nodes: countDistinct(document.graph.nodes),
          relations: countDistinct(document.graph.relations),
          newNodes: 0,
          newRelations: 0,
        };
        return;
      }
      writes.push({ index: i, ledger });
    });

    const written = writes.map((w) => documents[w.index] as BatchDocument);
    const serviceIds = await upsertServices(
      store,
      tx,
      written.flatMap((d) => d.graph.nodes),
      cache.services,
      learnedServices,
    );
    // The first document (in batch order) that names an element owns it.
    const nodeOwner = new Map<string, { node: ProvNode; write: number }>();
    const relationOwner = new Map<string, { relation: ProvRelation; write: number }>();
    // Which hosts reported each node: one prov_node_hosts row per pair. Nearly every node has
    // one host: a set only for those with more.
    const hostsOf = new Map<string, number | Set<number>>();
    written.forEach((document, w) => {
      const hostId = (hostRows.get(document.hostName) as HostRow).id;
      for (const node of document.graph.nodes) {
        if (!nodeOwner.has(node.id)) nodeOwner.set(node.id, { node, write: w });
        const hosts = hostsOf.get(node.id);
        if (hosts === undefined) hostsOf.set(node.id, hostId);
        else if (typeof hosts !== "number") hosts.add(hostId);
        else if (hosts !== hostId) hostsOf.set(node.id, new Set([hosts, hostId]));
      }
      for (const relation of document.graph.relations) {
        if (!relationOwner.has(relation.id)) relationOwner.set(relation.id, { relation, write: w });
      }
    });
    const ledgerOf = (w: number) => (writes[w] as (typeof writes)[number]).ledger;
    // Pairs in (node id, host id) order: concurrent batches lock the rows in the same order.
    const hostsInOrder = (extId: string): number[] => {
      const hosts = hostsOf.get(extId);
      if (hosts === undefined) return [];
      return typeof hosts === "number" ? [hosts] : [...hosts].sort((a, b) => a - b);
    };
    const nodeRows = [...nodeOwner.values()]
      .sort((a, b) => compareIds(a.node.id, b.node.id))
      .map(({ node, write }) => ({
        ext_id: node.id,
        kind: node.kind,
        prov_type: node.type,
        label: node.label,
        attributes: node.attributes,
        service_id: serviceIds.get(plainString(node.attributes["gdpr:service"]) ?? "") ?? null,
        ledger_log_id: ledgerOf(write)?.log.id ?? null,
        ledger_seq: ledgerOf(write)?.seq ?? null,
        // Canonical JSON of the attributes, once: the text the row is sent with (COPY) and the
        // one the ledger digests (the same value: jsonb keeps no key order).
        attributesText: canonicalTextOrNull(node.attributes),
      }));
    // PostgreSQL: rows go by COPY into staging tables (copy-rows.ts), unless a value needs the
    // JSON path's checks; PGlite: rows travel as one json parameter expanded by
    // json_to_recordset. Either way one statement per table whatever the batch's size.
    const copy = copyClient(store, tx);
    const useCopy =
      copy !== null &&
      nodeRows.every(
        (r) => copyableText(r.ext_id) && copyableText(r.prov_type) && copyableText(r.label),
      ) &&
      [...relationOwner.values()].every(
        ({ relation: r }) =>
          copyableText(r.id) && copyableText(r.from) && copyableText(r.to) && copyableText(r.time),
      );
    if (useCopy) await ensureStagingTables(copy);
    let newNodes: { ext_id: string }[] = [];
    if (useCopy && nodeRows.length > 0) {
      const lines: string[] = [];
      for (const r of nodeRows) {
        lines.push(
          `${field(r.ext_id)}\t${r.kind}\t${field(r.prov_type)}\t${field(r.label)}\t${jsonField(
            r.attributesText ?? JSON.stringify(r.attributes),
          )}\t${field(r.service_id)}\t${field(r.ledger_log_id)}\t${field(r.ledger_seq)}\n`,
        );
      }
      await copyInto(copy, "provtopia_nodes_stage", lines.join(""));
      const inserted = await store.rows<{ id: number; ext_id: string }>(
        sql`insert into ${provNodes}
              (ext_id, kind, prov_type, label, attributes, service_id, ledger_log_id, ledger_seq)
            select ext_id, kind, prov_type, label, attributes, service_id, ledger_log_id,
                   ledger_seq
            from provtopia_nodes_stage
            on conflict (ext_id) do nothing
            returning id, ext_id`,
        tx,
      );
      newNodes = inserted;
      // The new nodes' hosts by the ids just returned; the others' by a lookup in a statement of
      // its own: its snapshot sees nodes that a concurrent ingest committed while the insert
      // above waited on them (CamFlow packets share one id across hosts).
      const newIds = new Map(inserted.map((row) => [row.ext_id, Number(row.id)]));
      const direct: { nodes: number[]; hosts: number[] } = { nodes: [], hosts: [] };
      const lookup: { ext_id: string; host_id: number }[] = [];
      for (const r of nodeRows) {
        const id = newIds.get(r.ext_id);
        for (const hostId of hostsInOrder(r.ext_id)) {
          if (id === undefined) lookup.push({ ext_id: r.ext_id, host_id: hostId });
          else {
            direct.nodes.push(id);
            direct.hosts.push(hostId);
          }
        }
      }
      if (direct.nodes.length > 0) {
        await tx.execute(
          sql`insert into ${provNodeHosts} (node_id, host_id)
              select * from unnest(${`{${direct.nodes.join(",")}}`}::bigint[],
                                   ${`{${direct.hosts.join(",")}}`}::integer[])
              on conflict do nothing`,
        );
      }
      if (lookup.length > 0) {
        await tx.execute(
          sql`insert into ${provNodeHosts} (node_id, host_id)
              select n.id, p.host_id
              from json_to_recordset(${JSON.stringify(lookup)}::json) as p(ext_id text, host_id integer)
              join ${provNodes} n on n.ext_id = p.ext_id
              on conflict do nothing`,
        );
      }
    } else if (nodeRows.length > 0) {
      newNodes = await store.rows<{ ext_id: string }>(
        sql`insert into ${provNodes}
              (ext_id, kind, prov_type, label, attributes, service_id, ledger_log_id, ledger_seq)
            select ext_id, kind, prov_type, label, attributes::jsonb, service_id, ledger_log_id,
                   ledger_seq
            from json_to_recordset(${JSON.stringify(nodeRows.map(withoutText))}::json) as t(
              ext_id text, kind node_kind, prov_type text, label text, attributes json,
              service_id integer, ledger_log_id integer, ledger_seq bigint)
            on conflict (ext_id) do nothing
            returning ext_id`,
        tx,
      );
      // A statement of its own: see above.
      const pairs = nodeRows.flatMap((r) =>
        hostsInOrder(r.ext_id).map((host_id) => ({ ext_id: r.ext_id, host_id })),
      );
      await tx.execute(
        sql`insert into ${provNodeHosts} (node_id, host_id)
            select n.id, p.host_id from json_to_recordset(${JSON.stringify(pairs)}::json)
              as p(ext_id text, host_id integer)
            join ${provNodes} n on n.ext_id = p.ext_id
            on conflict do nothing`,
      );
    }

    const relationRows = [...relationOwner.values()]
      .sort((a, b) => compareIds(a.relation.id, b.relation.id))
      .map(({ relation, write }) => ({
        ext_id: relation.id,
        kind: relation.kind,
        from_ext_id: relation.from,
        to_ext_id: relation.to,
        time: relation.time,
        attributes: relation.attributes,
        host_id: (hostRows.get((written[write] as BatchDocument).hostName) as HostRow).id,
        ledger_log_id: ledgerOf(write)?.log.id ?? null,
        ledger_seq: ledgerOf(write)?.seq ?? null,
        attributesText: canonicalTextOrNull(relation.attributes),
      }));
    let newRelations: { ext_id: string; id: number }[] = [];
    if (useCopy && relationRows.length > 0) {
      const lines: string[] = [];
      for (const r of relationRows) {
        lines.push(
          `${field(r.ext_id)}\t${r.kind}\t${field(r.from_ext_id)}\t${field(r.to_ext_id)}\t${field(
            r.time,
          )}\t${jsonField(r.attributesText ?? JSON.stringify(r.attributes))}\t${r.host_id}\t${field(
            r.ledger_log_id,
          )}\t${field(r.ledger_seq)}\n`,
        );
      }
      await copyInto(copy, "provtopia_relations_stage", lines.join(""));
      // The new ids come back as one JSON array, not a row each: one JSON.parse here instead of
      // a protocol message, a row object and a string per relation.
      const [inserted] = await store.rows<{ ids: string | null; rowids: string | null }>(
        sql`with inserted as (
              insert into ${provRelations}
                (ext_id, kind, from_ext_id, to_ext_id, time, attributes, host_id,
                 ledger_log_id, ledger_seq)
              select ext_id, kind, from_ext_id, to_ext_id, time, attributes, host_id,
                     ledger_log_id, ledger_seq
              from provtopia_relations_stage
              on conflict (ext_id) do nothing
              returning ext_id, id
            )
            -- Two aggregates of one query level read the rows in the same order.
            select json_agg(ext_id)::text as ids, json_agg(id)::text as rowids from inserted`,
        tx,
      );
      const rowIds = JSON.parse(inserted?.rowids ?? "[]") as number[];
      newRelations = idsOf(inserted?.ids).map((row, i) => ({ ...row, id: rowIds[i] as number }));
    } else if (relationRows.length > 0) {
      newRelations = await store.rows<{ ext_id: string; id: number }>(
        sql`insert into ${provRelations}
              (ext_id, kind, from_ext_id, to_ext_id, time, attributes, host_id,
               ledger_log_id, ledger_seq)
            select ext_id, kind, from_ext_id, to_ext_id, time, attributes::jsonb, host_id,
                   ledger_log_id, ledger_seq
            from json_to_recordset(${JSON.stringify(relationRows.map(withoutText))}::json) as t(
              ext_id text, kind relation_kind, from_ext_id text, to_ext_id text, time text,
              attributes json, host_id integer, ledger_log_id integer, ledger_seq bigint)
            on conflict (ext_id) do nothing
            returning ext_id, id`,
        tx,
      );
    }

    // Per-batch hooks, over every element the batch's written documents hold.
    const batchNodes = [...nodeOwner.values()].map((o) => o.node);
    await recordPersonalDataSources(tx, batchNodes);
    if (options.labels !== false && written.length > 0) {
      const sentServices = new Map(nodeRows.map((row) => [row.ext_id, row.service_id]));
      const batchRelations = [...relationOwner.values()].map((o) => o.relation);
      await labelIngested(
        store,
        tx,
        { nodes: batchNodes, relations: batchRelations, host: null },
        {
          relations: new Map(newRelations.map((row) => [row.ext_id, Number(row.id)])),
          nodes: new Map(
            newNodes.map(({ ext_id }) => [ext_id, sentServices.get(ext_id) ?? null] as const),
          ),
        },
      );
    }

    // What each document added, for its outcome and its ledger record's digest.
    const added = written.map(() => ({
      nodes: [] as (DigestedNode & Precomputed)[],
      relations: [] as (DigestedRelation & Precomputed)[],
    }));
    // The digest is of the rows as sent (what jsonb keeps of them reads back the same), so the
    // inserts return ids only.
    const sentNodes = new Map(nodeRows.map((row) => [row.ext_id, row]));
    const sentRelations = new Map(relationRows.map((row) => [row.ext_id, row]));
    for (const { ext_id } of newNodes) {
      const owner = nodeOwner.get(ext_id);
      const row = sentNodes.get(ext_id);
      if (owner && row) added[owner.write]?.nodes.push(row);
    }
    for (const { ext_id } of newRelations) {
      const owner = relationOwner.get(ext_id);
      const row = sentRelations.get(ext_id);
      if (owner && row) added[owner.write]?.relations.push(row);
    }
    const finished: Parameters<typeof finishAppends>[2][number][] = [];
    for (const [w, document] of written.entries()) {
      const mine = added[w] as (typeof added)[number];
      const ledger = ledgerOf(w);
      if (ledger && document.evidence) {
        finished.push({
          pending: ledger,
          digest: await digestAsStored(store, tx, mine.nodes, mine.relations),
          receivedAt: document.evidence.receivedAt,
        });
      }
      outcomes[(writes[w] as (typeof writes)[number]).index] = {
        status: "stored",
        nodes: countDistinct(document.graph.nodes),
        relations: countDistinct(document.graph.relations),
        newNodes: mine.nodes.length,
        newRelations: mine.relations.length,
      };
    }
    // One call per log, its records in sequence order (the order they were reserved in).
    const byLog = new Map<number, typeof finished>();
    for (const record of finished) {
      const list = byLog.get(record.pending.log.id) ?? [];
      list.push(record);
      byLog.set(record.pending.log.id, list);
    }
    for (const records of byLog.values()) await finishAppends(store, tx, records);
    if (quarantined.length > 0) {
      await tx.insert(quarantine).values(quarantined.map(withDigest)).onConflictDoNothing();
    }
    return outcomes as BatchOutcome[];
  });
  // Only what committed may be remembered.
  for (const [name, id] of learnedServices) cache.services.set(name, id);
  return outcomes;
}

/**
 * `elementsDigest` of elements as the store holds them. Computed from the rows as sent; a value
 * that JSON cannot carry as is (a number too large for a double, parsed as Infinity, is sent as
 * null) makes the canonical encoder throw, and then the stored rows are read back instead.
 */
async function digestAsStored(
  store: Store,
  tx: Executor,
  nodes: (DigestedNode & Precomputed)[],
  relations: (DigestedRelation & Precomputed)[],
): Promise<string> {
  try {
    return fastElementsDigest(nodes, relations);
  } catch {
    const ids = (rows: { ext_id: string }[]) => JSON.stringify(rows.map((r) => r.ext_id));
    const storedNodes = await store.rows<DigestedNode>(
      sql`select ext_id, kind, prov_type, label, attributes from ${provNodes}
          where ext_id in (select jsonb_array_elements_text(${ids(nodes)}::jsonb))`,
      tx,
    );
    const storedRelations = await store.rows<DigestedRelation>(
      sql`select ext_id, kind, from_ext_id, to_ext_id, time, attributes from ${provRelations}
          where ext_id in (select jsonb_array_elements_text(${ids(relations)}::jsonb))`,
      tx,
    );
    return elementsDigest(storedNodes, storedRelations);
  }
}

/** A quarantine row with the digest that keeps a redelivered message from being kept twice. */
function withDigest(entry: QuarantineEntry): QuarantineEntry & { digest: string } {
  return { ...entry, digest: createHash("sha256").update(entry.raw).digest("hex") };
}

/**
 * Keeps a message the bridge could not read, whole, with the reason; once per source and raw
 * bytes (a redelivery of a message already kept adds nothing).
 */
export async function quarantineMessage(store: Store, message: QuarantineEntry): Promise<void> {
  await store.db.insert(quarantine).values(withDigest(message)).onConflictDoNothing();
}

interface HostRow {
  id: number;
  verifierKey: string | null;
}

/** Creates the hosts not seen before (in name order); returns name -> id and registered key. */
async function upsertHosts(
  store: Store,
  tx: Executor,
  names: readonly string[],
): Promise<Map<string, HostRow>> {
  const wanted = JSON.stringify([...new Set(names)].sort());
  // `do update`, not `do nothing`: a row another transaction committed meanwhile is returned
  // too (a `do nothing` with a select beside it cannot see it).
  const rows = await store.rows<{ id: number; name: string; verifier_key: string | null }>(
    sql`insert into ${hosts} (name)
        select name from jsonb_array_elements_text(${wanted}::jsonb) as w(name) order by 1
        on conflict (name) do update set name = excluded.name
        returning id, name, verifier_key`,
    tx,
  );
  const result = new Map(
    rows.map((row) => [row.name, { id: Number(row.id), verifierKey: row.verifier_key }]),
  );
  for (const name of names) {
    if (!result.has(name)) throw new Error(`couldn't record host ${JSON.stringify(name)}`);
  }
  return result;
}

/**
 * Creates the services (and their organisations) that nodes name; returns name -> id. A
 * service already handled with the same organisation in a committed batch (`known`, keyed by
 * service and organisation) costs nothing; what this batch resolves goes to `learned`.
 */
async function upsertServices(
  store: Store,
  tx: Executor,
  nodes: readonly ProvNode[],
  known: ReadonlyMap<string, number>,
  learned: Map<string, number>,
): Promise<Map<string, number>> {
  const wanted = new Map<string, string | null>();
  for (const node of nodes) {
    const service = plainString(node.attributes["gdpr:service"]);
    const organisation = plainString(node.attributes["gdpr:organisation"]);
    if (service && (!wanted.has(service) || organisation)) wanted.set(service, organisation);
  }
  const ids = new Map<string, number>();
  const missing: { name: string; organisation: string | null }[] = [];
  for (const [name, organisation] of [...wanted].sort(([a], [b]) => compareIds(a, b))) {
    const id = known.get(serviceKey(name, organisation));
    if (id === undefined) missing.push({ name, organisation });
    else ids.set(name, id);
  }
  if (missing.length === 0) return ids;
  const input = sql`jsonb_to_recordset(${JSON.stringify(missing)}::jsonb)
    as i(name text, organisation text)`;
  await tx.execute(
    sql`insert into ${organisations} (name)
        select distinct organisation from ${input} where organisation is not null order by 1
        on conflict do nothing`,
  );
  await tx.execute(
    sql`insert into ${services} (name, organisation_id)
        select i.name, o.id from ${input} left join ${organisations} o on o.name = i.organisation
        order by i.name
        on conflict do nothing`,
  );
  // A service first seen without its organisation learns it from a later statement. Only
  // that case writes: an unconditional update would rewrite and lock the service's row in
  // every batch, serialising concurrent ingests of one service until they commit.
  await tx.execute(
    sql`update ${services} s set organisation_id = o.id
        from ${input} join ${organisations} o on o.name = i.organisation
        where s.name = i.name and s.organisation_id is null`,
  );
  const rows = await store.rows<{ id: number; name: string }>(
    sql`select s.id, s.name from ${services} s where s.name in (select name from ${input})`,
    tx,
  );
  for (const row of rows) {
    ids.set(row.name, Number(row.id));
    learned.set(serviceKey(row.name, wanted.get(row.name) ?? null), Number(row.id));
  }
  return ids;
}

interface AppendRequest {
  hostId: number;
  hostName: string;
  raw: Uint8Array;
  signedBy?: string;
}

/**
 * `beginAppends` for a batch of several hosts: one call per host, in log-origin order, so two
 * bridges appending to the same logs lock them in the same order. Null where the host's log
 * already holds the same raw bytes (a re-delivery, or earlier in the batch).
 */
async function reserveAppends(
  store: Store,
  tx: Executor,
  requests: readonly AppendRequest[],
): Promise<(PendingAppend | null)[]> {
  const byHost = new Map<string, { hostId: number; indexes: number[] }>();
  requests.forEach((request, i) => {
    const group = byHost.get(request.hostName) ?? { hostId: request.hostId, indexes: [] };
    group.indexes.push(i);
    byHost.set(request.hostName, group);
  });
  const reserved: (PendingAppend | null)[] = requests.map(() => null);
  const hostNames = [...byHost.keys()].sort((a, b) => compareIds(hostOrigin(a), hostOrigin(b)));
  for (const hostName of hostNames) {
    const { hostId, indexes } = byHost.get(hostName) as { hostId: number; indexes: number[] };
    const pending = await beginAppends(store, tx, {
      hostId,
      hostName,
      documents: indexes.map((i) => {
        const { raw, signedBy } = requests[i] as AppendRequest;
        return signedBy ? { raw, signedBy } : { raw };
      }),
    });
    pending.forEach((p, k) => {
      reserved[indexes[k] as number] = p;
    });
  }
  return reserved;
}

function serviceKey(name: string, organisation: string | null): string {
  return JSON.stringify([name, organisation]);
}

/** Marks the nodes carrying `gdpr:subject` and `gdpr:category`: four statements per graph. */
async function recordPersonalDataSources(tx: Executor, nodes: ProvNode[]): Promise<void> {
  const sources = nodes.flatMap((node) =>
    personalDataOf(node.attributes).map((data) => ({ ext_id: node.id, ...data })),
  );
  if (sources.length === 0) return;
  const input = sql`jsonb_to_recordset(${JSON.stringify(sources)}::jsonb)
    as i(ext_id text, subject text, category text, purpose text, service text)`;
  // Sorted, so two transactions inserting the same new subjects lock them in the same order.
  await tx.execute(
    sql`insert into ${subjects} (ref) select distinct subject from ${input} order by 1
        on conflict do nothing`,
  );
  await tx.execute(
    sql`insert into ${dataCategories} (key) select distinct category from ${input} order by 1
        on conflict do nothing`,
  );
  // A purpose first named here belongs to the service of the node that named it.
  await tx.execute(
    sql`insert into ${purposes} (key, service_id)
        select distinct on (i.purpose) i.purpose, sv.id from ${input}
          left join ${services} sv on sv.name = i.service
        where i.purpose is not null order by i.purpose, sv.id
        on conflict do nothing`,
  );
  await tx.execute(sql`
    insert into ${personalDataSources} (node_id, subject_id, category_id, purpose_id)
    select n.id, s.id, c.id, p.id from ${input}
      join ${provNodes} n on n.ext_id = i.ext_id
      join ${subjects} s on s.ref = i.subject
      join ${dataCategories} c on c.key = i.category
      left join ${purposes} p on p.key = i.purpose
    on conflict do nothing`);
}

/** The rows of a `json_agg(ext_id)::text` (null when it aggregated nothing). */
function idsOf(json: string | null | undefined): { ext_id: string }[] {
  if (!json) return [];
  return (JSON.parse(json) as string[]).map((ext_id) => ({ ext_id }));
}

/** A row without its precomputed attribute text, for the JSON path (it sends the attributes). */
function withoutText<T extends Precomputed>(row: T): Omit<T, "attributesText"> {
  const { attributesText: _, ...rest } = row;
  return rest;
}

function countDistinct(items: readonly { id: string }[]): number {
  return new Set(items.map((item) => item.id)).size;
}

/** Code-unit order, the same in every process (localeCompare is not). */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
