/**
 * The quarantine page's filters, from its query string: parts of the source and the reason, the
 * kind of problem, and the page (`before`: messages with a smaller id). Pure, so it is tested without a server.
 * Errors are i18n keys.
 */

import { isQuarantineKind } from "../../../db/prov/quarantine-kinds";
import { FILTER_MAX_LENGTH, type QuarantineFilter } from "../../../db/queries/quarantine";

export interface ParsedFilters {
  filter: QuarantineFilter;
  /** What the form shows back. */
  values: { source: string; reason: string; kind: string };
  errors: { source?: string; reason?: string; kind?: string; before?: string };
}

export function parseFilters(params: URLSearchParams): ParsedFilters {
  const values = {
    source: (params.get("source") ?? "").trim(),
    reason: (params.get("reason") ?? "").trim(),
    kind: params.get("kind") ?? "",
  };
  const errors: ParsedFilters["errors"] = {};
  const filter: QuarantineFilter = {};
  for (const name of ["source", "reason"] as const) {
    if (values[name].length > FILTER_MAX_LENGTH) errors[name] = "quarantine.errors.tooLong";
    else if (values[name]) filter[name] = values[name];
  }
  if (isQuarantineKind(values.kind)) filter.kind = values.kind;
  else if (values.kind !== "") errors.kind = "quarantine.errors.badKind";
  const before = params.get("before");
  if (before !== null && before !== "") {
    if (!/^[1-9]\d{0,15}$/.test(before)) errors.before = "quarantine.errors.badPage";
    else filter.before = Number(before);
  }
  return { filter, values, errors };
}

/** The id in a download form: a positive integer, or null. */
export function parseMessageId(value: FormDataEntryValue | null): number | null {
  return typeof value === "string" && /^[1-9]\d{0,15}$/.test(value) ? Number(value) : null;
}
