/**
 * The Art. 30 record of processing as the DPO keeps it: organisations (third parties marked),
 * the services they run, the purposes each service declares (Art. 6 basis, retention) and the
 * rules that map low-level nodes to services. Reads for the DPO's page, and the changes it
 * makes, each audited in the ledger's legal log with who made it.
 *
 * Changes that affect how flows are judged go through the store's own functions
 * (db/labels/rules.ts), which re-map stored nodes and re-judge flows in the same transaction.
 * The legal event is appended after the change commits (appendLegalEvent runs its own
 * transaction): a crash in between leaves a change without its audit line, never an audit line
 * for a change that did not happen.
 *
 * Purposes are never deleted here: labels of collected data point at them (on delete cascade),
 * so a deletion would erase what the store knows about data already collected.
 */
import { sql } from "drizzle-orm";
import type { Store } from "../client";
import { rebuildFlows } from "../labels/flows";
import {
  addServiceMappingRule,
  declarePurpose,
  type LegalBasis,
  recountNodes,
} from "../labels/rules";
import { remapAllNodes } from "../labels/services";
import { appendLegalEvent } from "../ledger/log";

/** A change the record refuses, with the form field at fault and a stable reason. */
export class ProcessingError extends Error {
  readonly code = "PROCESSING";
  constructor(
    readonly field: string,
    readonly reason: "taken" | "unknown",
    message: string,
  ) {
    super(message);
  }
}

export interface OrganisationRow {
  id: number;
  name: string;
  thirdParty: boolean;
  services: number;
}

export interface ServiceRow {
  id: number;
  name: string;
  organisationId: number | null;
  organisation: string | null;
  /** Stored nodes that belong to the service (by `gdpr:service` or by a rule). */
  nodes: number;
  /** Of those, the nodes a mapping rule put there (they do not name a service themselves). */
  byRule: number;
}

export interface PurposeRow {
  id: number;
  key: string;
  serviceId: number | null;
  service: string | null;
  legalBasis: LegalBasis | null;
  retentionDays: number | null;
}

export interface MappingRuleRow {
  id: number;
  serviceId: number;
  service: string;
  host: string | null;
  executable: string | null;
  processName: string | null;
  priority: number;
  createdBy: string | null;
  createdAt: string;
}

export interface RecordOfProcessing {
  organisations: OrganisationRow[];
  services: ServiceRow[];
  purposes: PurposeRow[];
  rules: MappingRuleRow[];
  /** Capture hosts the store has seen: what a rule's host can name. */
  hosts: string[];
}

/** The whole record, each list in name order (rules: the order they are applied in). */
export async function recordOfProcessing(store: Store): Promise<RecordOfProcessing> {
  const [organisations, services, purposes, rules, hosts] = await Promise.all([
    store.rows<OrganisationRow>(sql`
      select o.id, o.name, o.third_party as "thirdParty",
        (select count(*) from services s where s.organisation_id = o.id)::integer as services
      from organisations o order by lower(o.name), o.name`),
    store.rows<ServiceRow>(sql`
      select s.id, s.name, s.organisation_id as "organisationId", o.name as organisation,
        (select count(*) from prov_nodes n where n.service_id = s.id)::integer as nodes,
        (select count(*) from prov_nodes n
         where n.service_id = s.id and not (n.attributes ? 'gdpr:service'))::integer as "byRule"
      from services s left join organisations o on o.id = s.organisation_id
      order by lower(s.name), s.name`),
    store.rows<PurposeRow>(sql`
      select p.id, p.key, p.service_id as "serviceId", s.name as service,
        p.legal_basis::text as "legalBasis", p.retention_days as "retentionDays"
      from purposes p left join services s on s.id = p.service_id
      order by lower(s.name) nulls last, p.key`),
    store.rows<MappingRuleRow>(sql`
      select r.id, r.service_id as "serviceId", s.name as service, r.host, r.executable,
        r.process_name as "processName", r.priority, r.created_by as "createdBy",
        to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as "createdAt"
      from service_mapping_rules r join services s on s.id = r.service_id
      order by r.priority desc, r.id`),
    store.rows<{ name: string }>(sql`select name from hosts order by name`),
  ]);
  return { organisations, services, purposes, rules, hosts: hosts.map((h) => h.name) };
}

async function audit(store: Store, actor: string, type: string, details: Record<string, unknown>) {
  await appendLegalEvent(store, { type: `processing.${type}`, actor, details });
}

async function organisationName(store: Store, id: number): Promise<string> {
  const [row] = await store.rows<{ name: string }>(
    sql`select name from organisations where id = ${id}`,
  );
  if (!row) throw new ProcessingError("organisationId", "unknown", `no organisation ${id}`);
  return row.name;
}

/** Adds an organisation; throws ProcessingError("name", "taken") if the name is in use. */
export async function addOrganisation(
  store: Store,
  actor: string,
  input: { name: string; thirdParty: boolean },
): Promise<number> {
  const [row] = await store.rows<{ id: number }>(sql`
    insert into organisations (name, third_party) values (${input.name}, ${input.thirdParty})
    on conflict (name) do nothing returning id`);
  if (!row) {
    throw new ProcessingError("name", "taken", `an organisation named ${input.name} exists`);
  }
  await audit(store, actor, "organisation-added", { ...input });
  return row.id;
}

/**
 * Renames an organisation or changes whether it is a third party. Blocking rules name
 * organisations by id, so a rename changes no judgement.
 */
export async function updateOrganisation(
  store: Store,
  actor: string,
  input: { id: number; name: string; thirdParty: boolean },
): Promise<void> {
  const before = await organisationName(store, input.id);
  const [clash] = await store.rows<{ id: number }>(
    sql`select id from organisations where name = ${input.name} and id <> ${input.id}`,
  );
  if (clash) {
    throw new ProcessingError("name", "taken", `an organisation named ${input.name} exists`);
  }
  await store.db.execute(sql`
    update organisations set name = ${input.name}, third_party = ${input.thirdParty}
    where id = ${input.id}`);
  await audit(store, actor, "organisation-changed", { ...input, before });
}

/**
 * Adds a service of an organisation (or of none yet); throws ProcessingError("name", "taken")
 * if the name is in use, ("organisationId", "unknown") for an unknown organisation.
 */
export async function addService(
  store: Store,
  actor: string,
  input: { name: string; organisationId: number | null },
): Promise<number> {
  const organisation =
    input.organisationId === null ? null : await organisationName(store, input.organisationId);
  const [row] = await store.rows<{ id: number }>(sql`
    insert into services (name, organisation_id) values (${input.name}, ${input.organisationId})
    on conflict (name) do nothing returning id`);
  if (!row) throw new ProcessingError("name", "taken", `a service named ${input.name} exists`);
  await audit(store, actor, "service-added", { name: input.name, organisation });
  return row.id;
}

/**
 * Moves a service to another organisation (or renames it) and re-judges its flows: a block of
 * "everything at organisation X" depends on which organisation runs the service.
 */
export async function updateService(
  store: Store,
  actor: string,
  input: { id: number; name: string; organisationId: number | null },
): Promise<void> {
  const organisation =
    input.organisationId === null ? null : await organisationName(store, input.organisationId);
  const [current] = await store.rows<{ name: string; organisation: string | null }>(sql`
    select s.name, o.name as organisation
    from services s left join organisations o on o.id = s.organisation_id
    where s.id = ${input.id}`);
  if (!current) throw new ProcessingError("id", "unknown", `no service ${input.id}`);
  const [clash] = await store.rows<{ id: number }>(
    sql`select id from services where name = ${input.name} and id <> ${input.id}`,
  );
  if (clash) throw new ProcessingError("name", "taken", `a service named ${input.name} exists`);
  await store.db.transaction(async (tx) => {
    await tx.execute(sql`
      update services set name = ${input.name}, organisation_id = ${input.organisationId}
      where id = ${input.id}`);
    await rebuildFlows(store, tx, { serviceIds: [input.id] });
  });
  await audit(store, actor, "service-changed", {
    name: input.name,
    organisation,
    before: current,
  });
}

export interface PurposeInput {
  key: string;
  serviceId: number;
  legalBasis: LegalBasis;
  retentionDays: number | null;
}

/**
 * Declares a purpose of a service, or changes the basis or retention of one it already
 * declares; the service's flows are re-judged. A key another service declares is refused
 * (ProcessingError("key", "taken")): purposes are keyed across services.
 */
export async function savePurpose(
  store: Store,
  actor: string,
  input: PurposeInput,
): Promise<{ flows: number; violations: number }> {
  const [service] = await store.rows<{ name: string }>(
    sql`select name from services where id = ${input.serviceId}`,
  );
  if (!service) throw new ProcessingError("serviceId", "unknown", `no service ${input.serviceId}`);
  const [existing] = await store.rows<{ serviceId: number | null }>(
    sql`select service_id as "serviceId" from purposes where key = ${input.key}`,
  );
  if (existing && existing.serviceId !== null && existing.serviceId !== input.serviceId) {
    throw new ProcessingError("key", "taken", `purpose ${input.key} belongs to another service`);
  }
  const change = await declarePurpose(store, {
    key: input.key,
    service: service.name,
    legalBasis: input.legalBasis,
    retentionDays: input.retentionDays,
  });
  await audit(store, actor, existing ? "purpose-changed" : "purpose-declared", {
    key: input.key,
    service: service.name,
    legalBasis: input.legalBasis,
    retentionDays: input.retentionDays,
  });
  return change;
}

export interface MappingRuleFormInput {
  serviceId: number;
  host: string | null;
  executable: string | null;
  processName: string | null;
  priority: number;
}

/** Adds a mapping rule; stored nodes are re-mapped and flows recounted (db/labels/rules.ts). */
export async function addMappingRule(
  store: Store,
  actor: string,
  input: MappingRuleFormInput,
): Promise<{ id: number; remapped: number }> {
  const [service] = await store.rows<{ name: string }>(
    sql`select name from services where id = ${input.serviceId}`,
  );
  if (!service) throw new ProcessingError("serviceId", "unknown", `no service ${input.serviceId}`);
  const result = await addServiceMappingRule(store, {
    service: service.name,
    host: input.host,
    executable: input.executable,
    processName: input.processName,
    priority: input.priority,
    createdBy: actor,
  });
  await audit(store, actor, "mapping-rule-added", {
    rule: result.id,
    service: service.name,
    host: input.host,
    executable: input.executable,
    processName: input.processName,
    priority: input.priority,
    remapped: result.remapped,
  });
  return { id: result.id, remapped: result.remapped };
}

/**
 * Deletes a mapping rule; the nodes it mapped go to the next matching rule or to no service,
 * and the flows of the services that lost or gained nodes are recounted.
 */
export async function removeMappingRule(
  store: Store,
  actor: string,
  id: number,
): Promise<{ remapped: number }> {
  const result = await store.db.transaction(async (tx) => {
    const [rule] = await store.rows<{
      service: string;
      host: string | null;
      executable: string | null;
      processName: string | null;
    }>(
      sql`delete from service_mapping_rules r using services s
          where r.id = ${id} and s.id = r.service_id
          returning s.name as service, r.host, r.executable, r.process_name as "processName"`,
      tx,
    );
    if (!rule) throw new ProcessingError("id", "unknown", `no mapping rule ${id}`);
    const changed = await remapAllNodes(store, tx);
    await recountNodes(store, tx, changed);
    return { rule, remapped: changed.length };
  });
  await audit(store, actor, "mapping-rule-removed", {
    rule: id,
    ...result.rule,
    remapped: result.remapped,
  });
  return { remapped: result.remapped };
}
