/**
 * The subject's choices page's forms: one zod schema per `intent`. Error messages are
 * translation keys (`choices.errors.*`), shown in the reader's language. Browser-safe (no db/).
 */
import { z } from "zod";

const E = (key: string) => `choices.errors.${key}`;

const purpose = z
  .string({ required_error: E("purpose") })
  .trim()
  .min(1, E("purpose"))
  .max(200, E("purpose"));

export const CHOICE_FORMS = {
  give: z.object({ purpose }),
  withdraw: z.object({ purpose }),
  block: z.object({
    service: z
      .string({ required_error: E("service") })
      .trim()
      .min(1, E("service"))
      .max(200, E("service")),
    // "Never again" stops a service for good until lifted: the subject confirms it.
    confirm: z.literal("on", { errorMap: () => ({ message: E("confirm") }) }),
  }),
  // Erasure (Art. 17) cannot be taken back once done: the subject confirms it.
  erase: z.object({
    confirm: z.literal("on", { errorMap: () => ({ message: E("confirmErase") }) }),
  }),
  lift: z.object({
    rule: z.coerce
      .number({ invalid_type_error: E("rule") })
      .int(E("rule"))
      .positive(E("rule")),
  }),
} as const;

export type ChoiceIntent = keyof typeof CHOICE_FORMS;

export function isChoiceIntent(value: unknown): value is ChoiceIntent {
  return typeof value === "string" && Object.hasOwn(CHOICE_FORMS, value);
}

/** A refused form: its intent, the row it was for, errors by field (translation keys). */
export interface ChoiceFailure {
  intent: ChoiceIntent | null;
  /** The purpose key, service name or rule id the form was about. */
  target: string | null;
  errors: Record<string, string>;
}
