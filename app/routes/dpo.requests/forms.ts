/**
 * The DPO's answer to an erasure request: which request, erased or refused, and what to tell
 * the subject (shown to them, kept in the legal log). Error messages are translation keys
 * (`requests.errors.*`). Browser-safe (no db/).
 */
import { z } from "zod";

const E = (key: string) => `requests.errors.${key}`;

/** Shortest and longest answer: a sentence that says what was done or why not. */
export const ANSWER_MIN_LENGTH = 10;
export const ANSWER_MAX_LENGTH = 2000;

export const ANSWER_FORM = z.object({
  request: z.coerce
    .number({ invalid_type_error: E("request") })
    .int(E("request"))
    .positive(E("request")),
  outcome: z.enum(["erased", "refused"], { errorMap: () => ({ message: E("outcome") }) }),
  answer: z
    .string({ required_error: E("answer") })
    .trim()
    .min(ANSWER_MIN_LENGTH, E("answer"))
    .max(ANSWER_MAX_LENGTH, E("answerTooLong")),
});

export type AnswerInput = z.infer<typeof ANSWER_FORM>;

/** A refused answer: the request it was for, and errors by field (translation keys). */
export interface AnswerFailure {
  request: number | null;
  values: { outcome: string; answer: string };
  errors: Record<string, string>;
}

export function parseAnswer(form: FormData): { input: AnswerInput } | AnswerFailure {
  const values: Record<string, string> = {};
  for (const [key, value] of form) if (typeof value === "string") values[key] = value;
  const parsed = ANSWER_FORM.safeParse(values);
  if (parsed.success) return { input: parsed.data };
  const errors: Record<string, string> = {};
  for (const issue of parsed.error.issues) {
    // A request id that is not one comes from no form of the page: said at the top.
    const field = String(issue.path[0] ?? "form");
    errors[field === "request" ? "form" : field] ??= issue.message;
  }
  const request = Number(values.request);
  return {
    request: Number.isSafeInteger(request) && request > 0 ? request : null,
    values: { outcome: values.outcome ?? "", answer: values.answer ?? "" },
    errors,
  };
}

/** "Mark as told": which request, and which recipient organisation was told (Art. 19). */
export const NOTICE_FORM = z.object({
  request: z.coerce
    .number({ invalid_type_error: E("request") })
    .int(E("request"))
    .positive(E("request")),
  organisation: z
    .string({ required_error: E("organisation") })
    .trim()
    .min(1, E("organisation"))
    .max(200, E("organisation")),
});

export type NoticeInput = z.infer<typeof NOTICE_FORM>;

/** A refused notice: said at the top of the page (its form has no field to point at). */
export function parseNotice(
  form: FormData,
): { input: NoticeInput } | { request: null; errors: { form: string } } {
  const parsed = NOTICE_FORM.safeParse({
    request: form.get("request") ?? undefined,
    organisation: form.get("organisation") ?? undefined,
  });
  if (parsed.success) return { input: parsed.data };
  return { request: null, errors: { form: parsed.error.issues[0]?.message ?? E("request") } };
}
