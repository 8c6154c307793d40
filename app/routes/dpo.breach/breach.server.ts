/**
 * The breach page's server side: the services to choose from, the impact of a scope, and the
 * report handed out as a JSON attachment (db/queries/breach.ts records it in the legal log).
 */
import { sql } from "drizzle-orm";
import { type BreachScope, breachImpact, breachReport } from "../../../db/queries/breach";
import { getStore } from "../../store.server";
import { SUBJECTS_SHOWN } from "./forms";

export async function serviceNames(): Promise<string[]> {
  const rows = await (await getStore()).rows<{ name: string }>(
    sql`select name from services order by lower(name), name`,
  );
  return rows.map((row) => row.name);
}

export async function impactOf(scope: BreachScope) {
  const impact = await breachImpact(await getStore(), scope);
  if (!impact) return null;
  return {
    ...impact,
    shown: impact.affected.slice(0, SUBJECTS_SHOWN),
    affected: undefined,
  };
}

/** The report as a download; null when the service does not exist. */
export async function reportResponse(
  scope: BreachScope,
  dpo: { email: string; description: string },
  headers: Headers | HeadersInit | undefined,
): Promise<Response | null> {
  const now = new Date();
  const report = await breachReport(await getStore(), scope, dpo, now);
  if (!report) return null;
  const response = new Headers(headers);
  const name = scope.service.replace(/[^A-Za-z0-9_-]+/g, "-");
  response.set("Content-Type", "application/json; charset=utf-8");
  response.set(
    "Content-Disposition",
    `attachment; filename="breach-report-${name}-${now.toISOString().slice(0, 10)}.json"`,
  );
  response.set("Cache-Control", "no-store");
  return new Response(`${JSON.stringify(report, null, 2)}\n`, { headers: response });
}
