/**
 * The breach page's two forms: the scope (service and window, a GET so a result can be linked)
 * and the report (the same scope and the DPO's description of the incident). Error messages are
 * translation keys (`breach.errors.*`). Browser-safe (no db/).
 */
import { z } from "zod";

/** Affected subjects listed on the page; the report holds them all. */
export const SUBJECTS_SHOWN = 100;

const E = (key: string) => `breach.errors.${key}`;

/** A calendar day (`YYYY-MM-DD`, UTC) as the start of that day. */
const day = z
  .string({ required_error: E("date") })
  .trim()
  .regex(/^\d{4}-\d\d-\d\d$/, E("date"))
  .transform((value, ctx) => {
    const date = new Date(`${value}T00:00:00Z`);
    if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: E("date") });
      return z.NEVER;
    }
    return date;
  });

const DAY_MS = 86_400_000;

export const SCOPE_FORM = z
  .object({
    service: z
      .string({ required_error: E("service") })
      .trim()
      .min(1, E("service")),
    from: day,
    to: day,
  })
  .refine((scope) => scope.from <= scope.to, { message: E("order"), path: ["to"] })
  // The window's last day counts whole: it ends just before the next day starts.
  .transform((scope) => ({ ...scope, to: new Date(scope.to.getTime() + DAY_MS - 1) }));

export const REPORT_FORM = z.object({
  description: z
    .string({ required_error: E("description") })
    .trim()
    .min(20, E("description"))
    .max(5_000, E("tooLong")),
});

export type ScopeInput = z.input<typeof SCOPE_FORM>;

/** Why a report was refused, as the `refused` query parameter, and the message to show. */
export const REPORT_REFUSALS = {
  description: E("description"),
  tooLong: E("tooLong"),
} as const;

/** The scope's fields as submitted (a query string or a form). */
export function scopeValues(source: URLSearchParams | FormData) {
  const value = (key: string) => {
    const v = source.get(key);
    return typeof v === "string" ? v : undefined;
  };
  return { service: value("service"), from: value("from"), to: value("to") };
}

/** Errors by field (translation keys), from a failed parse. */
export function errorsOf(error: z.ZodError): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of error.issues) errors[String(issue.path[0] ?? "form")] ??= issue.message;
  return errors;
}
