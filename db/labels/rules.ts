/**
 * What the DPO and the subjects change, each in one transaction with its consequences: the
 * Art. 30 record (purposes with their legal basis and retention), service mapping rules (stored
 * nodes are re-mapped), consent given or withdrawn, blocking rules set and lifted. Every change
 * re-judges the stored flows it can affect (db/labels/flows.ts), against what was in force at
 * the time of each use: recording a withdrawal today does not make yesterday's use unlawful.
 */
import { sql } from "drizzle-orm";
import type { Executor, Store } from "../client";
import { recordRuleChange } from "../enforcement/rule-set";
import type { legalBasis } from "../schema";
import { type FlowChange, rebuildFlows, refreshEntries } from "./flows";
import { withoutJit } from "./propagate";
import { remapAllNodes } from "./services";
import { textArray } from "./sql";

export type LegalBasis = (typeof legalBasis.enumValues)[number];

export class LabelRuleError extends Error {
  readonly code = "LABEL_RULE";
}

async function idOf(
  store: Store,
  tx: Executor,
  table: "subjects" | "services" | "organisations" | "data_categories" | "purposes",
  column: "ref" | "name" | "key",
  value: string,
): Promise<number> {
  const [row] = await store.rows<{ id: number }>(
    sql`select id from ${sql.identifier(table)} where ${sql.identifier(column)} = ${value}`,
    tx,
  );
  if (!row) {
    throw new LabelRuleError(
      `expected a stored ${table} row with ${column} ${JSON.stringify(value)}, found none`,
    );
  }
  return row.id;
}

/**
 * Declares (or changes) a purpose of a service: its Art. 6 basis and retention. Creates the
 * service if needed; re-judges the service's flows.
 */
export async function declarePurpose(
  store: Store,
  purpose: { key: string; service: string; legalBasis: LegalBasis; retentionDays?: number | null },
): Promise<FlowChange> {
  return store.db.transaction(async (tx) => {
    await withoutJit(tx);
    await tx.execute(
      sql`insert into services (name) values (${purpose.service}) on conflict do nothing`,
    );
    const serviceId = await idOf(store, tx, "services", "name", purpose.service);
    await tx.execute(sql`
      insert into purposes (key, service_id, legal_basis, retention_days)
      values (${purpose.key}, ${serviceId}, ${purpose.legalBasis}, ${purpose.retentionDays ?? null})
      on conflict (key) do update set service_id = excluded.service_id,
        legal_basis = excluded.legal_basis, retention_days = excluded.retention_days`);
    return rebuildFlows(store, tx, { serviceIds: [serviceId] });
  });
}

/** Records a consent event (given or withdrawn at `at`, and how) and re-judges the subject. */
export async function recordConsent(
  store: Store,
  event: { subject: string; purpose: string; action: "given" | "withdrawn"; at: Date; how: string },
): Promise<FlowChange> {
  return store.db.transaction(async (tx) => {
    await withoutJit(tx);
    const subjectId = await idOf(store, tx, "subjects", "ref", event.subject);
    const purposeId = await idOf(store, tx, "purposes", "key", event.purpose);
    await tx.execute(sql`
      insert into consent_events (subject_id, purpose_id, action, at, how)
      values (${subjectId}, ${purposeId}, ${event.action}, ${event.at.toISOString()}, ${event.how})`);
    return rebuildFlows(store, tx, { subjectIds: [subjectId] });
  });
}

export interface BlockingRuleInput {
  subject: string;
  /** null: every category. */
  category?: string | null;
  service?: string | null;
  organisation?: string | null;
  at: Date;
  how: string;
}

/** "Never again": blocks from `at` on; returns the rule's id. Re-judges the subject. */
export async function addBlockingRule(
  store: Store,
  rule: BlockingRuleInput,
): Promise<{ id: number } & FlowChange> {
  if (!rule.service && !rule.organisation) {
    throw new LabelRuleError("a blocking rule needs a service or an organisation, got neither");
  }
  return store.db.transaction(async (tx) => {
    await withoutJit(tx);
    const subjectId = await idOf(store, tx, "subjects", "ref", rule.subject);
    const categoryId = rule.category
      ? await idOf(store, tx, "data_categories", "key", rule.category)
      : null;
    const serviceId = rule.service ? await idOf(store, tx, "services", "name", rule.service) : null;
    const organisationId = rule.organisation
      ? await idOf(store, tx, "organisations", "name", rule.organisation)
      : null;
    const [row] = await store.rows<{ id: number }>(
      sql`insert into blocking_rules
            (subject_id, category_id, service_id, organisation_id, created_at, how)
          values (${subjectId}, ${categoryId}, ${serviceId}, ${organisationId},
                  ${rule.at.toISOString()}, ${rule.how})
          returning id`,
      tx,
    );
    if (!row) throw new LabelRuleError("couldn't store the blocking rule: no id returned");
    const change = await rebuildFlows(store, tx, { subjectIds: [subjectId] });
    // Last, so the rule set's version lock is held only for the commit.
    await recordRuleChange(store, tx, { blockingRuleId: row.id, change: "added", at: rule.at });
    return { id: row.id, ...change };
  });
}

/** Lifts a blocking rule from `at` on (its history stays); re-judges the subject. */
export async function liftBlockingRule(store: Store, id: number, at: Date): Promise<FlowChange> {
  return store.db.transaction(async (tx) => {
    await withoutJit(tx);
    const [row] = await store.rows<{ subjectId: number }>(
      sql`update blocking_rules set lifted_at = ${at.toISOString()}
          where id = ${id} and lifted_at is null and created_at <= ${at.toISOString()}
          returning subject_id as "subjectId"`,
      tx,
    );
    if (!row) {
      throw new LabelRuleError(
        `expected an active blocking rule ${id} created before ${at.toISOString()}, found none`,
      );
    }
    const change = await rebuildFlows(store, tx, { subjectIds: [row.subjectId] });
    await recordRuleChange(store, tx, { blockingRuleId: id, change: "lifted", at });
    return change;
  });
}

export interface MappingRuleInput {
  service: string;
  organisation?: string | null;
  host?: string | null;
  executable?: string | null;
  processName?: string | null;
  priority?: number;
  createdBy?: string | null;
}

/**
 * Adds a service mapping rule and re-maps every stored node it may concern; the flows of the
 * services that gained or lost nodes are recounted. Returns the rule id and nodes re-mapped.
 */
export async function addServiceMappingRule(
  store: Store,
  rule: MappingRuleInput,
): Promise<{ id: number; remapped: number } & FlowChange> {
  if (!rule.executable && !rule.processName) {
    throw new LabelRuleError("a mapping rule needs an executable or a process name, got neither");
  }
  return store.db.transaction(async (tx) => {
    await withoutJit(tx);
    if (rule.organisation) {
      await tx.execute(
        sql`insert into organisations (name) values (${rule.organisation}) on conflict do nothing`,
      );
    }
    await tx.execute(sql`
      insert into services (name, organisation_id)
      values (${rule.service}, (select id from organisations where name = ${rule.organisation ?? null}))
      on conflict do nothing`);
    const serviceId = await idOf(store, tx, "services", "name", rule.service);
    const [row] = await store.rows<{ id: number }>(
      sql`insert into service_mapping_rules
            (service_id, host, executable, process_name, priority, created_by)
          values (${serviceId}, ${rule.host ?? null}, ${rule.executable ?? null},
                  ${rule.processName ?? null}, ${rule.priority ?? 0}, ${rule.createdBy ?? null})
          returning id`,
      tx,
    );
    if (!row) throw new LabelRuleError("couldn't store the mapping rule: no id returned");
    const changed = await remapAllNodes(store, tx);
    const change = await recountNodes(store, tx, changed);
    return { id: row.id, remapped: changed.length, ...change };
  });
}

/** Drops and recounts the entries of nodes whose service changed, then their services' flows. */
export async function recountNodes(
  store: Store,
  tx: Executor,
  nodes: readonly string[],
): Promise<FlowChange> {
  if (nodes.length === 0) return { flows: 0, violations: 0 };
  const affected = await store.rows<{ id: number }>(
    sql`with dropped as (
          delete from service_entries
          where from_ext_id = any(${textArray(nodes)}) or to_ext_id = any(${textArray(nodes)})
          returning service_id
        )
        select service_id as id from dropped
        union
        select service_id from prov_nodes
        where ext_id = any(${textArray(nodes)}) and service_id is not null`,
    tx,
  );
  await refreshEntries(store, tx, { nodes, newNodes: nodes, relations: [] });
  return rebuildFlows(store, tx, { serviceIds: affected.map((row) => row.id) });
}
