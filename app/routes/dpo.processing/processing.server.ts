/**
 * The record-of-processing page's server side: what the loader reads and how a submitted form
 * becomes a change of the record (db/queries/processing.ts, which audits every change in the
 * legal log). A refused form comes back with the user's input and errors as translation keys.
 */

import type { z } from "zod";
import type { Store } from "../../../db/client";
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

type Input<I extends Intent> = z.output<(typeof FORMS)[I]>;
type Applied = Omit<ChangeApplied, "intent">;

/** What each form changes, once its input is valid. */
const HANDLERS: {
  [I in Intent]: (store: Store, actor: string, input: Input<I>) => Promise<Applied>;
} = {
  "add-organisation": async (store, actor, input) => {
    await addOrganisation(store, actor, input);
    return { section: "organisations", remapped: 0 };
  },
  "update-organisation": async (store, actor, input) => {
    await updateOrganisation(store, actor, input);
    return { section: "organisations", remapped: 0 };
  },
  "add-service": async (store, actor, input) => {
    await addService(store, actor, input);
    return { section: "services", remapped: 0 };
  },
  "update-service": async (store, actor, input) => {
    await updateService(store, actor, input);
    return { section: "services", remapped: 0 };
  },
  "save-purpose": async (store, actor, input) => {
    await savePurpose(store, actor, input);
    return { section: "purposes", remapped: 0 };
  },
  "add-rule": async (store, actor, input) => ({
    section: "rules",
    remapped: (await addMappingRule(store, actor, input)).remapped,
  }),
  "remove-rule": async (store, actor, input) => ({
    section: "rules",
    remapped: (await removeMappingRule(store, actor, input.id)).remapped,
  }),
};

async function apply<I extends Intent>(
  intent: I,
  values: Record<string, string>,
  actor: string,
): Promise<ChangeApplied | { errors: Record<string, string> }> {
  const schema = FORMS[intent] as unknown as z.ZodType<Input<I>>;
  const parsed = schema.safeParse(values);
  if (!parsed.success) return { errors: fieldErrors(parsed.error) };
  const handler = HANDLERS[intent] as (s: Store, a: string, i: Input<I>) => Promise<Applied>;
  return { intent, ...(await handler(await getStore(), actor, parsed.data)) };
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
  try {
    const result = await apply(intent, values, actor);
    return "errors" in result ? { intent, rowId, values, errors: result.errors } : result;
  } catch (error) {
    if (!(error instanceof ProcessingError)) throw error;
    // An unknown row (deleted meanwhile) belongs to no field: the page shows it on top.
    const field = error.field === "id" ? "form" : error.field;
    return { intent, rowId, values, errors: { [field]: ERROR_KEYS[error.reason](error.field) } };
  }
}
