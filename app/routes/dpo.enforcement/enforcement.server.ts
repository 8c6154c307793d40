/**
 * The enforcement page's server side: the points with their state, the services to guard, and
 * the two changes (db/enforcement/points.ts audits each in the legal log). A registration
 * answers with the token, once: nothing can show it again.
 */
import { sql } from "drizzle-orm";
import {
  EnforcementPointError,
  listEnforcementPoints,
  registerEnforcementPoint,
  revokeEnforcementPoint,
} from "../../../db/enforcement/points";
import { getStore } from "../../store.server";
import { errorsOf, type FormFailure, isIntent, parseRegistration, REVOKE_FORM } from "./forms";

export type PointState = "revoked" | "never" | "behind" | "stale" | "current";

export async function loadPoints(now: Date = new Date()) {
  const store = await getStore();
  const [{ version, points }, services] = await Promise.all([
    listEnforcementPoints(store),
    store.rows<{ name: string }>(sql`select name from services order by lower(name), name`),
  ]);
  const stateOf = (point: (typeof points)[number]): PointState => {
    if (point.revokedAt) return "revoked";
    if (point.appliedVersion === null) return "never";
    const bound = point.failClosedAfterSeconds;
    if (
      bound !== null &&
      point.lastSeenAt &&
      now.getTime() - Date.parse(point.lastSeenAt) > bound * 1000
    ) {
      return "stale";
    }
    return point.appliedVersion < version ? "behind" : "current";
  };
  return {
    version,
    points: points.map((point) => ({ ...point, state: stateOf(point) })),
    services: services.map((row) => row.name),
  };
}

export type ChangeResult =
  | { done: "register"; issued: { name: string; token: string } }
  | { done: "revoke" }
  | FormFailure;

export async function applyChange(dpoEmail: string, form: FormData): Promise<ChangeResult> {
  const intent = form.get("intent");
  const text = (key: string) => {
    const value = form.get(key);
    return typeof value === "string" ? value : "";
  };
  const values = {
    name: text("name"),
    services: form.getAll("service").filter((v): v is string => typeof v === "string"),
    failClosed: form.get("failClosed") === "on",
    failClosedMinutes: text("failClosedMinutes"),
  };
  const failure = (errors: Record<string, string>): FormFailure => ({
    intent: isIntent(intent) ? intent : null,
    values,
    errors,
  });
  const store = await getStore();
  const actor = { email: dpoEmail };
  try {
    if (intent === "register") {
      const parsed = parseRegistration(values);
      if (!parsed.ok) return failure(parsed.errors);
      const issued = await registerEnforcementPoint(store, parsed.data, actor);
      return { done: "register", issued: { name: issued.name, token: issued.token } };
    }
    if (intent === "revoke") {
      const parsed = REVOKE_FORM.safeParse({ point: text("point") });
      if (!parsed.success) return failure(errorsOf(parsed.error));
      await revokeEnforcementPoint(store, parsed.data.point, actor);
      return { done: "revoke" };
    }
  } catch (error) {
    if (error instanceof EnforcementPointError) {
      const key =
        error.reason === "taken"
          ? "taken"
          : error.field === "services"
            ? "unknownService"
            : "point";
      return failure({
        [error.field === "point" ? "form" : error.field]: `enforcement.errors.${key}`,
      });
    }
    throw error;
  }
  return failure({ form: "enforcement.errors.intent" });
}
