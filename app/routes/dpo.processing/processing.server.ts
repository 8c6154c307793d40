/**
 * The record-of-processing page's server side: what the loader reads and how a submitted form
 * becomes a change of the record (db/queries/processing.ts, which audits every change in the
 * legal log). A refused form comes back with the user's input and errors as translation keys.
 */
import { recentLegalEvents } from "../../../db/queries/legal-events";
import {
  addMappingRule,
  addOrganisation,
  addService,
  ProcessingError,
  recordOfProcessing,
  removeMappingRule,
  savePurpose,
  updateOrganisation,
  updateService,
} from "../../../db/queries/processing";
import { getStore } from "../../store.server";
import { FORMS, type FormFailure, fieldErrors, type Intent, isIntent } from "./forms";

/** How many recent changes the page lists. */
export const RECENT_CHANGES_SHOWN = 15;

export async function loadRecord() {
  const store = await getStore();
  const [record, events] = await Promise.all([
    recordOfProcessing(store),
    recentLegalEvents(store, { typePrefixes: ["processing."], limit: RECENT_CHANGES_SHOWN }),
  ]);
  const changes = events.map((event) => ({
    seq: event.seq,
    type: event.type,
    actor: event.actor,
    at: event.at,
    // Interpolated into translated sentences: a missing value reads as a dash, not "null".
    details: Object.fromEntries(
      Object.entries(event.details).map(([key, value]) => [
        key,
        value === null || value === undefined
          ? "—"
          : typeof value === "object"
            ? JSON.stringify(value)
            : String(value),
      ]),
    ),
  }));
  return { ...record, changes };
}

export interface ChangeApplied {
  intent: Intent;
  /** The page section to return to. */
  section: "organisations" | "services" | "purposes" | "rules";
  /** Stored nodes whose service changed (mapping rules), else 0. */
  remapped: number;
}

const ERROR_KEYS: Record<ProcessingError["reason"], (field: string) => string> = {
  taken: (field) =>
    field === "key" ? "processing.errors.keyTaken" : "processing.errors.nameTaken",
  unknown: () => "processing.errors.unknown",
};

function formValues(form: FormData): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of form) if (typeof value === "string") values[key] = value;
  return values;
}

/** Validates and applies one submitted form on behalf of `actor` (a DPO: the caller checks). */
export async function applyChange(
  actor: string,
  form: FormData,
): Promise<ChangeApplied | FormFailure> {
  const values = formValues(form);
  const intent = values.intent;
  if (!isIntent(intent)) {
    throw new Response(`Unknown change ${JSON.stringify(intent ?? null)}.`, { status: 400 });
  }
  const rowId = intent.startsWith("update-") ? (values.id ?? null) : null;
  const fail = (errors: Record<string, string>): FormFailure => ({
    intent,
    rowId,
    values,
    errors,
  });
  const store = await getStore();
  try {
    switch (intent) {
      case "add-organisation": {
        const parsed = FORMS[intent].safeParse(values);
        if (!parsed.success) return fail(fieldErrors(parsed.error));
        await addOrganisation(store, actor, parsed.data);
        return { intent, section: "organisations", remapped: 0 };
      }
      case "update-organisation": {
        const parsed = FORMS[intent].safeParse(values);
        if (!parsed.success) return fail(fieldErrors(parsed.error));
        await updateOrganisation(store, actor, parsed.data);
        return { intent, section: "organisations", remapped: 0 };
      }
      case "add-service": {
        const parsed = FORMS[intent].safeParse(values);
        if (!parsed.success) return fail(fieldErrors(parsed.error));
        await addService(store, actor, parsed.data);
        return { intent, section: "services", remapped: 0 };
      }
      case "update-service": {
        const parsed = FORMS[intent].safeParse(values);
        if (!parsed.success) return fail(fieldErrors(parsed.error));
        await updateService(store, actor, parsed.data);
        return { intent, section: "services", remapped: 0 };
      }
      case "save-purpose": {
        const parsed = FORMS[intent].safeParse(values);
        if (!parsed.success) return fail(fieldErrors(parsed.error));
        await savePurpose(store, actor, parsed.data);
        return { intent, section: "purposes", remapped: 0 };
      }
      case "add-rule": {
        const parsed = FORMS[intent].safeParse(values);
        if (!parsed.success) return fail(fieldErrors(parsed.error));
        const { remapped } = await addMappingRule(store, actor, parsed.data);
        return { intent, section: "rules", remapped };
      }
      case "remove-rule": {
        const parsed = FORMS[intent].safeParse(values);
        if (!parsed.success) return fail(fieldErrors(parsed.error));
        const { remapped } = await removeMappingRule(store, actor, parsed.data.id);
        return { intent, section: "rules", remapped };
      }
    }
  } catch (error) {
    if (error instanceof ProcessingError) {
      // An unknown row (deleted meanwhile) belongs to no field: the page shows it on top.
      const field = error.field === "id" ? "form" : error.field;
      return fail({ [field]: ERROR_KEYS[error.reason](error.field) });
    }
    throw error;
  }
}
