/**
 * The demo organisation's Art. 30 record and its subjects' consent history, so the portal has
 * something to judge: organisations (third parties marked), services, purposes with their legal
 * basis and retention, a mapping rule for the CRM host's backup process, Alice's newsletter
 * consent (given at sign-up, withdrawn the day before the November newsletter went out) and her
 * "never again" for FlackCo (set before the CI run that still reached Flack). Two violations
 * follow: the newsletter without a legal basis, and Flack after a block. And Carol's erasure,
 * answered "erased" before her data was seen again (demo-org.ts).
 *
 * The record goes in before the provenance (so the backup process is mapped at ingest), the
 * consent history after it (it names subjects that ingest creates). Every record change is
 * made the way the DPO's page makes it, so the page's "recent changes" show them.
 */
import { sql } from "drizzle-orm";
import type { Store } from "../../db/client";
import type { LegalBasis } from "../../db/labels/rules";
import { addBlockingRule, recordConsent } from "../../db/labels/rules";
import { answerErasure, requestErasure } from "../../db/queries/erasure";
import {
  addMappingRule,
  addOrganisation,
  addService,
  ProcessingError,
  savePurpose,
} from "../../db/queries/processing";

/** Who the seeded changes are attributed to in the legal log. */
export const DEMO_SEED_ACTOR = "demo seed";

export const DEMO_ORGANISATIONS = [
  { name: "Lumen Books", thirdParty: false },
  { name: "PostHaste Ltd", thirdParty: true },
  { name: "gitCo", thirdParty: true },
  { name: "SquareCI", thirdParty: true },
  { name: "FlackCo", thirdParty: true },
  { name: "AdReach Inc", thirdParty: true },
] as const;

export const DEMO_SERVICES = [
  { name: "Sign-up", organisation: "Lumen Books" },
  { name: "CRM", organisation: "Lumen Books" },
  { name: "Newsletter", organisation: "Lumen Books" },
  { name: "Backups", organisation: "Lumen Books" },
  { name: "Mail delivery", organisation: "PostHaste Ltd" },
  { name: "git", organisation: "gitCo" },
  { name: "CI", organisation: "SquareCI" },
  { name: "Flack", organisation: "FlackCo" },
  { name: "Audience matching", organisation: "AdReach Inc" },
] as const;

/** Flack declares no purpose: the DPO has not recorded why it gets commits. */
export const DEMO_PURPOSES: {
  key: string;
  service: string;
  legalBasis: LegalBasis;
  retentionDays: number | null;
}[] = [
  { key: "account", service: "Sign-up", legalBasis: "contract", retentionDays: 730 },
  { key: "crm", service: "CRM", legalBasis: "legitimate_interests", retentionDays: 730 },
  { key: "newsletter", service: "Newsletter", legalBasis: "consent", retentionDays: 365 },
  { key: "mail-delivery", service: "Mail delivery", legalBasis: "contract", retentionDays: 30 },
  { key: "backup", service: "Backups", legalBasis: "legal_obligation", retentionDays: 30 },
  { key: "code-hosting", service: "git", legalBasis: "contract", retentionDays: null },
  { key: "ci-builds", service: "CI", legalBasis: "legitimate_interests", retentionDays: 90 },
  {
    key: "audience-matching",
    service: "Audience matching",
    legalBasis: "legitimate_interests",
    retentionDays: 180,
  },
];

/** The backup process on the CRM host; its output file is left for the DPO to map. */
export const DEMO_MAPPING_RULES = [
  { service: "Backups", host: "crm-1", executable: null, processName: "pg_dump", priority: 0 },
] as const;

async function idByName(store: Store, table: "organisations" | "services", name: string) {
  const [row] = await store.rows<{ id: number }>(
    sql`select id from ${sql.identifier(table)} where name = ${name}`,
  );
  if (!row) throw new Error(`the demo seed expected ${table} row ${JSON.stringify(name)}`);
  return row.id;
}

/** Runs `add`; a name already taken (a seed interrupted before its accounts) is kept as is. */
async function unlessTaken(add: () => Promise<unknown>): Promise<void> {
  try {
    await add();
  } catch (error) {
    if (!(error instanceof ProcessingError && error.reason === "taken")) throw error;
  }
}

/**
 * Organisations, services, purposes and mapping rules: before the provenance arrives. A store
 * that already has the demo's mapping rule (an interrupted seed) keeps its record.
 */
export async function seedRecordOfProcessing(store: Store): Promise<void> {
  const [seeded] = await store.rows(
    sql`select 1 from service_mapping_rules where created_by = ${DEMO_SEED_ACTOR} limit 1`,
  );
  if (seeded) return;
  for (const organisation of DEMO_ORGANISATIONS) {
    await unlessTaken(() => addOrganisation(store, DEMO_SEED_ACTOR, organisation));
  }
  for (const service of DEMO_SERVICES) {
    const organisationId = await idByName(store, "organisations", service.organisation);
    await unlessTaken(() =>
      addService(store, DEMO_SEED_ACTOR, { name: service.name, organisationId }),
    );
  }
  for (const purpose of DEMO_PURPOSES) {
    await savePurpose(store, DEMO_SEED_ACTOR, {
      key: purpose.key,
      serviceId: await idByName(store, "services", purpose.service),
      legalBasis: purpose.legalBasis,
      retentionDays: purpose.retentionDays,
    });
  }
  for (const rule of DEMO_MAPPING_RULES) {
    await addMappingRule(store, DEMO_SEED_ACTOR, {
      serviceId: await idByName(store, "services", rule.service),
      host: rule.host,
      executable: rule.executable,
      processName: rule.processName,
      priority: rule.priority,
    });
  }
}

/**
 * Alice's consent history and her block, and Carol's erasure request with the DPO's "erased"
 * answer: after the provenance (it creates the subjects).
 */
export async function seedConsentHistory(store: Store): Promise<void> {
  await recordConsent(store, {
    subject: "subj-alice",
    purpose: "newsletter",
    action: "given",
    at: new Date("2026-10-01T09:30:00Z"),
    how: "sign-up form: newsletter box ticked",
  });
  await recordConsent(store, {
    subject: "subj-alice",
    purpose: "newsletter",
    action: "withdrawn",
    at: new Date("2026-11-01T18:00:00Z"),
    how: "unsubscribe link in the October newsletter",
  });
  await addBlockingRule(store, {
    subject: "subj-alice",
    organisation: "FlackCo",
    at: new Date("2026-11-05T10:00:00Z"),
    how: "portal: never again",
  });
  await seedCarolsErasure(store);
}

/** The DPO who answers Carol (one of the demo accounts; the account need not exist yet). */
const DEMO_DPO_EMAIL = "dpo@lumen-books.example";

/**
 * Carol asks for erasure on 3 November; the DPO answers "erased" on the 6th. Her CRM contact is
 * read again on the 20th (demo-org.ts), which the Requests page then shows beside the answer.
 */
async function seedCarolsErasure(store: Store): Promise<void> {
  const [carol] = await store.rows<{ id: number }>(
    sql`select id from subjects where ref = 'subj-carol'`,
  );
  if (!carol) throw new Error("the demo seed expected subject subj-carol");
  const asked = await requestErasure(
    store,
    { subjectId: carol.id, email: "carol@example.org" },
    new Date("2026-11-03T08:12:00Z"),
  );
  if (!asked.created) return; // an interrupted seed answered it already, or will below
  await answerErasure(
    store,
    {
      requestId: asked.request.id,
      outcome: "erased",
      answer:
        "Your sign-up record and your CRM contact were erased on 6 November. No organisation outside Lumen Books had received your data.",
      dpoEmail: DEMO_DPO_EMAIL,
    },
    new Date("2026-11-06T16:40:00Z"),
  );
}
