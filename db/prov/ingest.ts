/**
 * Writes a parsed provenance graph into the store, idempotently: elements are keyed by their
 * global id, so a re-delivered document inserts nothing and reports `new: 0`. The first
 * statement of an element wins; later statements of the same id add a reporting host only.
 *
 * App-level annotations are read here, on the way in (model.ts gdprAnnotations): a node with
 * `gdpr:subject` and `gdpr:category` becomes a personal-data source of each subject and category
 * it names, for its first `gdpr:purpose` (a purposes row, created for the node's service if new);
 * a node with `gdpr:service` (and optionally `gdpr:organisation`) belongs to that service. Everything for one graph is
 * written in one transaction, together with its ledger record (db/ledger/log.ts): a document
 * is stored and recorded, or neither.
 */
import { sql } from "drizzle-orm";
import type { Executor, Store } from "../client";
import { labelIngested } from "../labels/propagate";
import {
  beginAppend,
  type DigestedNode,
  type DigestedRelation,
  elementsDigest,
  finishAppend,
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
import { gdprAnnotations, type ProvGraph, type ProvNode, plainString } from "./model";

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
  const nodes = dedupeById(graph.nodes);
  const relations = dedupeById(graph.relations);
  return store.db.transaction(async (tx) => {
    const hostId = await upsertHost(store, tx, hostName);
    const serviceIds = await upsertServices(store, tx, nodes);
    // The ledger record comes first: the elements it brings in point at it.
    const pending = evidence
      ? await beginAppend(store, tx, {
          hostId,
          hostName,
          raw: evidence.raw,
          signedBy: evidence.signedBy,
        })
      : null;
    const ledgerLogId = pending?.log.id ?? null;
    const ledgerSeq = pending?.seq ?? null;
    // Rows travel as one jsonb parameter and are expanded by jsonb_to_recordset: one statement
    // per table whatever the document's size, no per-value work in the query builder, and no
    // 65,535-parameter limit to chunk around.
    const nodeRows = nodes.map((node) => ({
      ext_id: node.id,
      kind: node.kind,
      prov_type: node.type,
      label: node.label,
      attributes: node.attributes,
      service_id: serviceIds.get(plainString(node.attributes["gdpr:service"]) ?? "") ?? null,
    }));
    const newNodes = await store.rows<DigestedNode>(
      sql`insert into ${provNodes}
            (ext_id, kind, prov_type, label, attributes, service_id, ledger_log_id, ledger_seq)
          select ext_id, kind, prov_type, label, attributes, service_id,
                 ${ledgerLogId}::integer, ${ledgerSeq}::bigint
          from jsonb_to_recordset(${JSON.stringify(nodeRows)}::jsonb) as t(
            ext_id text, kind node_kind, prov_type text, label text, attributes jsonb,
            service_id integer)
          on conflict (ext_id) do nothing
          returning ext_id, kind, prov_type, label, attributes`,
      tx,
    );
    // A statement of its own: its snapshot sees nodes that a concurrent ingest committed while
    // the insert above waited on them (CamFlow packets share one id across hosts).
    await tx.execute(
      sql`insert into ${provNodeHosts} (node_id, host_id)
          select n.id, ${hostId}::integer from ${provNodes} n
          where n.ext_id in (
            select jsonb_array_elements_text(${JSON.stringify(nodes.map((n) => n.id))}::jsonb))
          on conflict do nothing`,
    );

    const relationRows = relations.map((relation) => ({
      ext_id: relation.id,
      kind: relation.kind,
      from_ext_id: relation.from,
      to_ext_id: relation.to,
      time: relation.time,
      attributes: relation.attributes,
    }));
    const newRelations = await store.rows<DigestedRelation>(
      sql`insert into ${provRelations}
            (ext_id, kind, from_ext_id, to_ext_id, time, attributes, host_id,
             ledger_log_id, ledger_seq)
          select ext_id, kind, from_ext_id, to_ext_id, time, attributes, ${hostId}::integer,
                 ${ledgerLogId}::integer, ${ledgerSeq}::bigint
          from jsonb_to_recordset(${JSON.stringify(relationRows)}::jsonb) as t(
            ext_id text, kind relation_kind, from_ext_id text, to_ext_id text, time text,
            attributes jsonb)
          on conflict (ext_id) do nothing
          returning ext_id, kind, from_ext_id, to_ext_id, time, attributes`,
      tx,
    );

    await recordPersonalDataSources(tx, nodes);
    if (options.labels !== false) await labelIngested(store, tx, { ...graph, nodes, relations });
    if (pending && evidence) {
      const digest = elementsDigest(newNodes, newRelations);
      await finishAppend(store, tx, pending, digest, evidence.receivedAt);
    }
    return {
      nodes: nodes.length,
      relations: relations.length,
      newNodes: newNodes.length,
      newRelations: newRelations.length,
    };
  });
}

/** Keeps a message the bridge could not read, whole, with the reason. */
export async function quarantineMessage(
  store: Store,
  message: { source: string; reason: string; raw: Uint8Array },
): Promise<void> {
  await store.db.insert(quarantine).values(message);
}

async function upsertHost(store: Store, tx: Executor, name: string): Promise<number> {
  const [row] = await store.rows<{ id: number }>(
    // `do update`, not `do nothing`: a row another transaction committed meanwhile is returned
    // too (the select of a `do nothing` cannot see it, so concurrent first messages failed).
    sql`insert into ${hosts} (name) values (${name})
        on conflict (name) do update set name = excluded.name returning id`,
    tx,
  );
  if (!row) throw new Error(`couldn't record host ${JSON.stringify(name)}`);
  return row.id;
}

/** Creates the services (and their organisations) that nodes name; returns name -> id. */
async function upsertServices(
  store: Store,
  tx: Executor,
  nodes: ProvNode[],
): Promise<Map<string, number>> {
  const wanted = new Map<string, string | null>();
  for (const node of nodes) {
    const service = plainString(node.attributes["gdpr:service"]);
    if (service) wanted.set(service, plainString(node.attributes["gdpr:organisation"]));
  }
  const ids = new Map<string, number>();
  for (const [name, organisation] of wanted) {
    let organisationId: number | null = null;
    if (organisation) {
      await tx.insert(organisations).values({ name: organisation }).onConflictDoNothing();
      const [org] = await tx
        .select({ id: organisations.id })
        .from(organisations)
        .where(sql`${organisations.name} = ${organisation}`);
      organisationId = org?.id ?? null;
    }
    await tx.insert(services).values({ name, organisationId }).onConflictDoNothing();
    // A service first seen without its organisation learns it from a later statement. Only
    // that case writes: an unconditional update would rewrite and lock the service's row in
    // every document, serialising concurrent ingests of one service until they commit.
    const [row] = await store.rows<{ id: number }>(
      sql`with updated as (
            update ${services} set organisation_id = ${organisationId}::integer
            where name = ${name} and organisation_id is null and ${organisationId}::integer is not null
            returning id
          )
          select id from updated union all select id from ${services} where name = ${name} limit 1`,
      tx,
    );
    if (row) ids.set(name, row.id);
  }
  return ids;
}

/** Marks the nodes carrying `gdpr:subject` and `gdpr:category`: four statements per graph. */
async function recordPersonalDataSources(tx: Executor, nodes: ProvNode[]): Promise<void> {
  const sources = nodes.flatMap((node) => {
    if (!Object.hasOwn(node.attributes, "gdpr:subject")) return [];
    const gdpr = gdprAnnotations(node.attributes);
    const purpose = gdpr.purposes[0] ?? null;
    return gdpr.subjects.flatMap((subject) =>
      gdpr.categories.map((category) => ({
        ext_id: node.id,
        subject,
        category,
        purpose,
        service: gdpr.service,
      })),
    );
  });
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

function dedupeById<T extends { id: string }>(items: T[]): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(item.id)) seen.set(item.id, item);
  return [...seen.values()];
}
