/**
 * Breach impact (GDPR Art. 33/34): when a service was compromised during a window, whose data
 * of which categories did it hold then, how many records, which subjects can be told through the
 * portal — and the report the DPO hands to the supervisory authority, pinned to the ledger: the
 * latest signed checkpoint of every log (so any later claim about what was stored can be checked
 * for consistency with it) and the report's own record in the legal log.
 *
 * "Held" is the store's own (heldByService in db/queries/flows.ts, as subjectsHeldByService).
 */
import { sql } from "drizzle-orm";
import type { Store } from "../client";
import { appendLegalEvent, LEGAL_ORIGIN } from "../ledger/log";
import { logVerifierKey } from "../ledger/signing";
import { heldByService, heldService } from "./flows";

export interface BreachScope {
  service: string;
  from: Date;
  to: Date;
}

export interface AffectedSubject {
  ref: string;
  categories: string[];
  /** Portal accounts (emails) through which the subject can be told (Art. 34). */
  accounts: string[];
}

export interface BreachImpact {
  service: string;
  organisation: string | null;
  thirdParty: boolean;
  window: { from: string; to: string };
  /** Entries of personal data into the service held in the window: the records concerned. */
  entries: number;
  subjects: number;
  categories: { category: string; subjects: number }[];
  /** Subjects with at least one portal account. */
  notifiable: number;
  /** Sorted by reference. */
  affected: AffectedSubject[];
}

/** What a breach of `scope.service` during the window touched; null for an unknown service. */
export async function breachImpact(store: Store, scope: BreachScope): Promise<BreachImpact | null> {
  const [service] = await store.rows<{ organisation: string | null; thirdParty: boolean | null }>(
    sql`
    select o.name as organisation, o.third_party as "thirdParty"
    from services sv left join organisations o on o.id = sv.organisation_id
    where sv.name = ${scope.service}`,
  );
  const svc = await heldService(store, scope.service);
  if (!service || !svc) return null;
  const held = heldByService(svc, scope);
  const [[counted], list] = await Promise.all([
    store.rows<{ entries: number }>(sql`${held} select count(*)::int as entries from held`),
    store.rows<AffectedSubject>(sql`${held}
      select s.ref, array_agg(distinct c.key order by c.key) as categories,
             coalesce((select array_agg(u.email order by u.email) from users u
                       where u.subject_id = s.id), '{}') as accounts
      from held_labels h
      join labels l on l.id = h.id
      join subjects s on s.id = l.subject_id
      join data_categories c on c.id = l.category_id
      group by s.id, s.ref
      order by s.ref`),
  ]);
  const perCategory = new Map<string, number>();
  for (const { categories } of list) {
    for (const category of categories) {
      perCategory.set(category, (perCategory.get(category) ?? 0) + 1);
    }
  }
  return {
    service: scope.service,
    organisation: service.organisation,
    thirdParty: service.thirdParty ?? false,
    window: { from: scope.from.toISOString(), to: scope.to.toISOString() },
    entries: counted?.entries ?? 0,
    subjects: list.length,
    categories: [...perCategory]
      .map(([category, subjects]) => ({ category, subjects }))
      .sort((a, b) => b.subjects - a.subjects || a.category.localeCompare(b.category)),
    notifiable: list.filter((s) => s.accounts.length > 0).length,
    affected: list,
  };
}

export const BREACH_REPORT_FORMAT = "provtopia-breach-report/1";

export interface BreachReport {
  format: typeof BREACH_REPORT_FORMAT;
  generatedAt: string;
  generatedBy: string;
  /** What the DPO wrote about the incident (nature, likely consequences, measures taken). */
  description: string;
  impact: BreachImpact;
  evidence: {
    /** The latest signed checkpoint of every log when the report was made. */
    checkpoints: { log: string; size: number; note: string }[];
    /** Signed-note verifier keys of those logs (check against the organisation's published ones). */
    logKeys: Record<string, string>;
    /** This report's own record in the legal log. */
    reportRecord: { log: string; index: number };
  };
}

/**
 * The report for the supervisory authority: the impact, pinned to the ledger, and recorded in
 * the legal log (who made it, for which service and window, how many subjects) before it is
 * handed out. Null for an unknown service.
 */
export async function breachReport(
  store: Store,
  scope: BreachScope,
  dpo: { email: string; description: string },
  now: Date = new Date(),
): Promise<BreachReport | null> {
  const impact = await breachImpact(store, scope);
  if (!impact) return null;
  const index = await appendLegalEvent(
    store,
    {
      type: "dpo.breach-report.exported",
      actor: dpo.email,
      details: {
        service: impact.service,
        from: impact.window.from,
        to: impact.window.to,
        subjects: impact.subjects,
        entries: impact.entries,
      },
    },
    now,
  );
  const logs = await store.rows<{ origin: string; publicKey: Uint8Array }>(
    sql`select origin, public_key as "publicKey" from ledger_logs order by origin`,
  );
  const checkpoints = await store.rows<{ log: string; size: number; note: string }>(sql`
    select distinct on (l.origin) l.origin as log, c.size::int as size, c.note
    from ledger_checkpoints c join ledger_logs l on l.id = c.log_id
    order by l.origin, c.size desc, c.id desc`);
  return {
    format: BREACH_REPORT_FORMAT,
    generatedAt: now.toISOString(),
    generatedBy: dpo.email,
    description: dpo.description,
    impact,
    evidence: {
      checkpoints,
      logKeys: Object.fromEntries(
        logs.map((log) => [log.origin, logVerifierKey(log.origin, new Uint8Array(log.publicKey))]),
      ),
      reportRecord: { log: LEGAL_ORIGIN, index },
    },
  };
}
