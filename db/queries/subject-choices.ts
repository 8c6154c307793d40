/**
 * What a signed-in subject can decide about their own data, and the decisions themselves:
 * consent per purpose (given or withdrawn, with its history) and "never again" blocks of a
 * service (set and lifted, with their history). Every decision goes through db/labels/rules.ts
 * (which re-judges the subject's flows against what is in force at each use) and, once
 * committed, into the ledger's legal log with the user who made it.
 *
 * A subject acts only on their own subject row (the caller passes the session's subject id),
 * on purposes that concern them, on services their data reached, and on their own rules: a
 * rule id of someone else's is refused as if it did not exist.
 */
import { sql } from "drizzle-orm";
import type { Store } from "../client";
import { blockEnforcement } from "../enforcement/rule-set";
import { addBlockingRule, type LegalBasis, liftBlockingRule, recordConsent } from "../labels/rules";
import { appendLegalEvent } from "../ledger/log";
import { type FlowSummary, subjectFlowSummaries } from "./flows";

export interface ConsentHistoryEntry {
  action: "given" | "withdrawn";
  at: string;
  how: string;
}

export interface PurposeChoice {
  key: string;
  legalBasis: LegalBasis | null;
  /** The service that declares the purpose, if any. */
  service: string | null;
  /** Days the purpose keeps the data (Art. 30); null: not stated. */
  retentionDays: number | null;
  /** The last consent event's action; null: never asked. */
  consent: "given" | "withdrawn" | null;
  /** Newest first. */
  history: ConsentHistoryEntry[];
}

export interface ServiceChoice {
  name: string;
  organisation: string | null;
  /** The categories of the subject's data that reached it. */
  categories: string[];
  /** The id of the subject's active block of the whole service or its organisation, if any. */
  blockedBy: number | null;
}

export interface BlockChoice {
  id: number;
  service: string | null;
  organisation: string | null;
  /** null: every category. */
  category: string | null;
  createdAt: string;
  liftedAt: string | null;
  how: string;
  /**
   * For an active block: the live enforcement points that guard its service (or a service of
   * its organisation), and how many of them acknowledged a rule set holding it. null: lifted.
   */
  enforcement: { points: number; acknowledged: number } | null;
}

export interface SubjectChoices {
  /** Purposes that rest on consent and concern the subject. */
  consentPurposes: PurposeChoice[];
  /** Purposes on another basis that the subject's data was used for: nothing to decide. */
  otherPurposes: PurposeChoice[];
  services: ServiceChoice[];
  /** Active first, then lifted; newest first within each. */
  blocks: BlockChoice[];
}

/** A timestamptz column as ISO 8601 text in UTC, to the second. */
export const isoUtc = (column: string) =>
  sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`);

/** The subject's choices; null for an unknown subject. */
export async function subjectChoices(
  store: Store,
  subjectId: number,
): Promise<SubjectChoices | null> {
  return (await subjectChoicesAndFlows(store, subjectId))?.choices ?? null;
}

/**
 * The subject's choices with what they were read from (the subject's reference and flow
 * summaries), for callers that need those too; null for an unknown subject.
 */
export async function subjectChoicesAndFlows(
  store: Store,
  subjectId: number,
): Promise<{ ref: string; flows: FlowSummary[]; choices: SubjectChoices } | null> {
  const [subject] = await store.rows<{ ref: string }>(
    sql`select ref from subjects where id = ${subjectId}`,
  );
  if (!subject) return null;
  const flows = (await subjectFlowSummaries(store, subject.ref)) ?? [];

  const purposeKeys = new Set<string>();
  for (const flow of flows) {
    if (flow.purpose) purposeKeys.add(flow.purpose);
    if (flow.collectedFor) purposeKeys.add(flow.collectedFor);
  }
  // Purposes the subject has a consent history for, and those of their personal-data sources.
  const concerned = await store.rows<{ key: string }>(sql`
    select p.key from consent_events e join purposes p on p.id = e.purpose_id
    where e.subject_id = ${subjectId}
    union
    select p.key from personal_data_sources s join purposes p on p.id = s.purpose_id
    where s.subject_id = ${subjectId}`);
  for (const { key } of concerned) purposeKeys.add(key);

  const purposes = purposeKeys.size
    ? await store.rows<{
        key: string;
        legalBasis: LegalBasis | null;
        service: string | null;
        retentionDays: number | null;
      }>(sql`
        select p.key, p.legal_basis::text as "legalBasis", sv.name as service,
               p.retention_days as "retentionDays"
        from purposes p left join services sv on sv.id = p.service_id
        where p.key in (${sql.join(
          [...purposeKeys].map((key) => sql`${key}`),
          sql`, `,
        )})
        order by p.key`)
    : [];
  const events = await store.rows<ConsentHistoryEntry & { purpose: string }>(sql`
    select p.key as purpose, e.action::text as action, ${isoUtc("e.at")} as at, e.how
    from consent_events e join purposes p on p.id = e.purpose_id
    where e.subject_id = ${subjectId}
    order by e.at desc, e.id desc`);
  const choices: PurposeChoice[] = purposes.map((purpose) => {
    const history = events
      .filter((event) => event.purpose === purpose.key)
      .map(({ action, at, how }) => ({ action, at, how }));
    return { ...purpose, consent: history[0]?.action ?? null, history };
  });

  const enforcement = await blockEnforcement(store, subjectId);
  const blockRows = await store.rows<Omit<BlockChoice, "enforcement">>(sql`
    select b.id, sv.name as service, o.name as organisation, c.key as category,
           ${isoUtc("b.created_at")} as "createdAt", ${isoUtc("b.lifted_at")} as "liftedAt", b.how
    from blocking_rules b
    left join services sv on sv.id = b.service_id
    left join organisations o on o.id = b.organisation_id
    left join data_categories c on c.id = b.category_id
    where b.subject_id = ${subjectId}
    order by b.lifted_at is not null, b.created_at desc, b.id desc`);
  const blocks: BlockChoice[] = blockRows.map((block) => ({
    ...block,
    enforcement: block.liftedAt
      ? null
      : (enforcement.get(block.id) ?? { points: 0, acknowledged: 0 }),
  }));

  const services = new Map<string, ServiceChoice>();
  for (const flow of flows) {
    const service = services.get(flow.service) ?? {
      name: flow.service,
      organisation: flow.organisation,
      categories: [],
      blockedBy: null,
    };
    if (!service.categories.includes(flow.category)) service.categories.push(flow.category);
    services.set(flow.service, service);
  }
  // A service counts as blocked by an active block of every category of it or of its organisation.
  for (const service of services.values()) {
    const block = blocks.find(
      (b) =>
        !b.liftedAt &&
        b.category === null &&
        (b.service === service.name ||
          (b.organisation !== null && b.organisation === service.organisation)),
    );
    service.blockedBy = block?.id ?? null;
  }

  return {
    ref: subject.ref,
    flows,
    choices: {
      consentPurposes: choices.filter((purpose) => purpose.legalBasis === "consent"),
      otherPurposes: choices.filter((purpose) => purpose.legalBasis !== "consent"),
      services: [...services.values()].sort((a, b) => a.name.localeCompare(b.name)),
      blocks,
    },
  };
}

/** A decision the store refused: the reason is a translation key's last part. */
export class ChoiceError extends Error {
  constructor(
    readonly reason:
      | "unknown-purpose"
      | "not-consent"
      | "unchanged"
      | "unknown-service"
      | "unknown-block",
    message: string,
  ) {
    super(message);
    this.name = "ChoiceError";
  }
}

interface Actor {
  subjectId: number;
  /** The signed-in user's email, for the legal log. */
  email: string;
}

/** Gives or withdraws the subject's consent to one of their consent-based purposes, from now. */
export async function setConsent(
  store: Store,
  actor: Actor,
  purpose: string,
  action: "given" | "withdrawn",
  at: Date = new Date(),
): Promise<void> {
  const read = await subjectChoicesAndFlows(store, actor.subjectId);
  const choices = read?.choices;
  const choice = choices?.consentPurposes.find((p) => p.key === purpose);
  if (!read || !choice) {
    const other = choices?.otherPurposes.some((p) => p.key === purpose);
    throw other
      ? new ChoiceError("not-consent", `purpose ${purpose} does not rest on consent`)
      : new ChoiceError("unknown-purpose", `purpose ${purpose} does not concern this subject`);
  }
  if (choice.consent === action) {
    throw new ChoiceError("unchanged", `consent to ${purpose} is already ${action}`);
  }
  const subject = read.ref;
  const how = "portal: the subject's choices page";
  await recordConsent(store, { subject, purpose, action, at, how });
  await appendLegalEvent(
    store,
    { type: `subject.consent.${action}`, actor: actor.email, details: { subject, purpose, how } },
    at,
  );
}

/** "Never again": blocks every category of the subject's data from a service their data reached. */
export async function blockService(
  store: Store,
  actor: Actor,
  service: string,
  at: Date = new Date(),
): Promise<number> {
  const read = await subjectChoicesAndFlows(store, actor.subjectId);
  const reached = read?.choices.services.find((s) => s.name === service);
  if (!read || !reached) {
    throw new ChoiceError(
      "unknown-service",
      `service ${service} did not receive this subject's data`,
    );
  }
  if (reached.blockedBy !== null) {
    throw new ChoiceError("unchanged", `service ${service} is already blocked`);
  }
  const subject = read.ref;
  const how = "portal: never again";
  const { id } = await addBlockingRule(store, { subject, service, at, how });
  await appendLegalEvent(
    store,
    {
      type: "subject.block.added",
      actor: actor.email,
      details: { subject, service, rule: id, how },
    },
    at,
  );
  return id;
}

/** Lifts one of the subject's own active blocks, from now (its history stays). */
export async function liftBlock(
  store: Store,
  actor: Actor,
  ruleId: number,
  at: Date = new Date(),
): Promise<void> {
  const [rule] = await store.rows<{
    subject: string;
    service: string | null;
    organisation: string | null;
  }>(sql`
    select s.ref as subject, sv.name as service, o.name as organisation
    from blocking_rules b
    join subjects s on s.id = b.subject_id
    left join services sv on sv.id = b.service_id
    left join organisations o on o.id = b.organisation_id
    where b.id = ${ruleId} and b.subject_id = ${actor.subjectId} and b.lifted_at is null`);
  // Someone else's rule, a lifted one and none at all read the same.
  if (!rule) throw new ChoiceError("unknown-block", `no active blocking rule ${ruleId} of yours`);
  const { subject, service, organisation } = rule;
  await liftBlockingRule(store, ruleId, at);
  await appendLegalEvent(
    store,
    {
      type: "subject.block.lifted",
      actor: actor.email,
      details: { subject, rule: ruleId, service, organisation },
    },
    at,
  );
}
