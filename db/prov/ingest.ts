/**
 * Writes a parsed provenance graph into the store, idempotently: elements are keyed by their
 * global id, so a re-delivered document inserts nothing and reports `new: 0`. The first
 * statement of an element wins; later statements of the same id add a reporting host only.
 *
 * App-level annotations are read here, on the way in: a node with `gdpr:subject` and
 * `gdpr:category` becomes a personal-data source of that subject; a node with `gdpr:service`
 * (and optionally `gdpr:organisation`) belongs to that service. Everything for one graph is
 * written in one transaction.
 */
import { inArray, sql } from "drizzle-orm";
import type { Executor, Store } from "../client";
import {
  dataCategories,
  hosts,
  organisations,
  personalDataSources,
  provNodeHosts,
  provNodes,
  provRelations,
  quarantine,
  services,
  subjects,
} from "../schema";
import { type ProvGraph, type ProvNode, plainString } from "./model";

export interface IngestResult {
  nodes: number;
  relations: number;
  newNodes: number;
  newRelations: number;
}

const CHUNK_ROWS = 1_000;

/**
 * Stores one graph reported by `hostName`. Throws if the database rejects the write (the
 * transaction is rolled back, so nothing of the graph is half-stored).
 */
export async function ingestGraph(
  store: Store,
  graph: ProvGraph,
  hostName: string,
): Promise<IngestResult> {
  const nodes = dedupeById(graph.nodes);
  const relations = dedupeById(graph.relations);
  return store.db.transaction(async (tx) => {
    const hostId = await upsertHost(tx, hostName);
    const serviceIds = await upsertServices(tx, nodes);

    let newNodes = 0;
    for (const chunk of chunks(nodes)) {
      const inserted = await tx
        .insert(provNodes)
        .values(
          chunk.map((node) => ({
            extId: node.id,
            kind: node.kind,
            provType: node.type,
            label: node.label,
            attributes: node.attributes,
            serviceId: serviceIds.get(plainString(node.attributes["gdpr:service"]) ?? "") ?? null,
          })),
        )
        .onConflictDoNothing({ target: provNodes.extId })
        .returning({ id: provNodes.id });
      newNodes += inserted.length;
    }

    const nodeIds = new Map<string, number>();
    for (const chunk of chunks(nodes)) {
      const rows = await tx
        .select({ id: provNodes.id, extId: provNodes.extId })
        .from(provNodes)
        .where(
          inArray(
            provNodes.extId,
            chunk.map((n) => n.id),
          ),
        );
      for (const row of rows) nodeIds.set(row.extId, row.id);
      await tx
        .insert(provNodeHosts)
        .values(rows.map((row) => ({ nodeId: row.id, hostId })))
        .onConflictDoNothing();
    }

    let newRelations = 0;
    for (const chunk of chunks(relations)) {
      const inserted = await tx
        .insert(provRelations)
        .values(
          chunk.map((relation) => ({
            extId: relation.id,
            kind: relation.kind,
            fromExtId: relation.from,
            toExtId: relation.to,
            time: relation.time,
            attributes: relation.attributes,
            hostId,
          })),
        )
        .onConflictDoNothing({ target: provRelations.extId })
        .returning({ id: provRelations.id });
      newRelations += inserted.length;
    }

    await recordPersonalDataSources(tx, nodes, nodeIds);
    return { nodes: nodes.length, relations: relations.length, newNodes, newRelations };
  });
}

/** Keeps a message the bridge could not read, whole, with the reason. */
export async function quarantineMessage(
  store: Store,
  message: { source: string; reason: string; raw: Uint8Array },
): Promise<void> {
  await store.db.insert(quarantine).values(message);
}

async function upsertHost(tx: Executor, name: string): Promise<number> {
  await tx.insert(hosts).values({ name }).onConflictDoNothing({ target: hosts.name });
  const [row] = await tx.select({ id: hosts.id }).from(hosts).where(sql`${hosts.name} = ${name}`);
  if (!row) throw new Error(`couldn't record host ${JSON.stringify(name)}`);
  return row.id;
}

/** Creates the services (and their organisations) that nodes name; returns name -> id. */
async function upsertServices(tx: Executor, nodes: ProvNode[]): Promise<Map<string, number>> {
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
    // A service first seen without its organisation learns it from a later statement.
    const [row] = await tx
      .update(services)
      .set({ organisationId: sql`coalesce(${services.organisationId}, ${organisationId})` })
      .where(sql`${services.name} = ${name}`)
      .returning({ id: services.id });
    if (row) ids.set(name, row.id);
  }
  return ids;
}

async function recordPersonalDataSources(
  tx: Executor,
  nodes: ProvNode[],
  nodeIds: Map<string, number>,
): Promise<void> {
  for (const node of nodes) {
    const subjectRef = plainString(node.attributes["gdpr:subject"]);
    const category = plainString(node.attributes["gdpr:category"]);
    const nodeId = nodeIds.get(node.id);
    if (!subjectRef || !category || nodeId === undefined) continue;
    await tx.insert(subjects).values({ ref: subjectRef }).onConflictDoNothing();
    await tx.insert(dataCategories).values({ key: category }).onConflictDoNothing();
    await tx.execute(sql`
      insert into ${personalDataSources} (node_id, subject_id, category_id)
      select ${nodeId}, s.id, c.id from ${subjects} s, ${dataCategories} c
      where s.ref = ${subjectRef} and c.key = ${category}
      on conflict do nothing`);
  }
}

function dedupeById<T extends { id: string }>(items: T[]): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(item.id)) seen.set(item.id, item);
  return [...seen.values()];
}

function* chunks<T>(items: T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += CHUNK_ROWS) yield items.slice(i, i + CHUNK_ROWS);
}
