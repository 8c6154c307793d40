/**
 * The record-of-processing page's forms: one zod schema per form, keyed by the `intent` its
 * submit button sends. Error messages are translation keys (`processing.errors.*`), so the
 * page says what is wrong in the reader's language, next to the field. Browser-safe (no db/).
 */
import { z } from "zod";
import type { LegalBasis } from "../../../db/labels/rules";

export const LEGAL_BASES = [
  "consent",
  "contract",
  "legal_obligation",
  "vital_interests",
  "public_task",
  "legitimate_interests",
] as const satisfies readonly LegalBasis[];

type Missing = Exclude<LegalBasis, (typeof LEGAL_BASES)[number]>;
/** Fails to compile when the store knows a basis the form does not offer (no db/ at runtime). */
export const EVERY_BASIS_OFFERED: [Missing] extends [never] ? true : Missing = true;

const E = (key: string) => `processing.errors.${key}`;

const name = z
  .string({ required_error: E("required") })
  .trim()
  .min(1, E("required"))
  .max(200, E("tooLong"));

/** A database id from a hidden field or a select. */
const id = z.coerce
  .number({ invalid_type_error: E("choose") })
  .int(E("choose"))
  .positive(E("choose"));

/** "" (no organisation) or an id. */
const optionalId = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined || value.trim() === "") return null;
    const number = Number(value);
    if (!Number.isInteger(number) || number <= 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: E("choose") });
      return z.NEVER;
    }
    return number;
  });

/** A free pattern: trimmed, empty is "not given". */
const optionalPattern = z
  .string()
  .optional()
  .transform((value) => (value?.trim() ? value.trim() : null))
  .refine((value) => value === null || value.length <= 500, E("tooLong"));

const checkbox = z
  .string()
  .optional()
  .transform((value) => value === "on");

export const RETENTION_MAX_DAYS = 36_500;

const retentionDays = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const text = value?.trim() ?? "";
    if (text === "") return null;
    const number = Number(text);
    if (!/^\d+$/.test(text) || number < 1 || number > RETENTION_MAX_DAYS) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: E("retention") });
      return z.NEVER;
    }
    return number;
  });

const priority = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const text = value?.trim() ?? "";
    if (text === "") return 0;
    if (!/^-?\d+$/.test(text) || Math.abs(Number(text)) > 1000) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: E("priority") });
      return z.NEVER;
    }
    return Number(text);
  });

export const FORMS = {
  "add-organisation": z.object({ name, thirdParty: checkbox }),
  "update-organisation": z.object({ id, name, thirdParty: checkbox }),
  "add-service": z.object({ name, organisationId: optionalId }),
  "update-service": z.object({ id, name, organisationId: optionalId }),
  "save-purpose": z.object({
    key: z
      .string({ required_error: E("required") })
      .trim()
      .min(1, E("required"))
      .max(100, E("tooLong"))
      .regex(/^[a-z0-9][a-z0-9._-]*$/, E("keyFormat")),
    serviceId: id,
    legalBasis: z.enum(LEGAL_BASES, { errorMap: () => ({ message: E("legalBasis") }) }),
    retentionDays,
  }),
  "add-rule": z
    .object({
      serviceId: id,
      host: optionalPattern,
      executable: optionalPattern,
      processName: optionalPattern,
      priority,
    })
    .superRefine((rule, ctx) => {
      if (rule.executable === null && rule.processName === null) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ["executable"],
          message: E("ruleNeedsPattern"),
        });
      }
    }),
  "remove-rule": z.object({ id }),
} as const;

export type Intent = keyof typeof FORMS;

export function isIntent(value: unknown): value is Intent {
  return typeof value === "string" && Object.hasOwn(FORMS, value);
}

/** What the action returns when a form is refused: the user's input and the errors by field. */
export interface FormFailure {
  intent: Intent;
  /** The edited row, for forms that edit one (several such forms share field names). */
  rowId: string | null;
  values: Record<string, string>;
  errors: Record<string, string>;
}

/** The first error of each field, from zod's issues. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? "form");
    errors[field] ??= issue.message;
  }
  return errors;
}
