/**
 * The enforcement page's forms: registering a point (name, the services it guards, an optional
 * fail-closed bound) and revoking one. Error messages are translation keys
 * (`enforcement.errors.*`). Browser-safe (no db/).
 */
import { z } from "zod";

const E = (key: string) => `enforcement.errors.${key}`;

/** A week: longer than that, "fail closed" protects nobody. */
export const FAIL_CLOSED_MAX_MINUTES = 10_080;

const REGISTER_FORM = z.object({
  name: z
    .string({ required_error: E("name") })
    .trim()
    .min(1, E("name"))
    .max(80, E("tooLong")),
  services: z.array(z.string().trim().min(1)).min(1, E("services")),
});

/** Whole minutes, 1 to FAIL_CLOSED_MAX_MINUTES. */
const MINUTES = z
  .string()
  .trim()
  .regex(/^\d+$/, E("minutes"))
  .transform(Number)
  .refine((minutes) => minutes >= 1 && minutes <= FAIL_CLOSED_MAX_MINUTES, E("minutes"));

export interface RegistrationInput {
  name: string;
  services: string[];
  failClosed: boolean;
  failClosedMinutes: string;
}

/**
 * The registration, or every field's error at once (the bound is checked even when the rest
 * is wrong, so one submit says everything).
 */
export function parseRegistration(
  input: RegistrationInput,
):
  | { ok: true; data: { name: string; services: string[]; failClosedAfterSeconds: number | null } }
  | { ok: false; errors: Record<string, string> } {
  const form = REGISTER_FORM.safeParse(input);
  const minutes = input.failClosed ? MINUTES.safeParse(input.failClosedMinutes) : null;
  const errors = form.success ? {} : errorsOf(form.error);
  if (minutes && !minutes.success) errors.failClosedMinutes = E("minutes");
  if (!form.success || (minutes && !minutes.success)) return { ok: false, errors };
  return {
    ok: true,
    data: {
      ...form.data,
      failClosedAfterSeconds: minutes?.success ? minutes.data * 60 : null,
    },
  };
}

export const REVOKE_FORM = z.object({
  point: z.coerce
    .number({ invalid_type_error: E("point") })
    .int(E("point"))
    .positive(E("point")),
});

export const INTENTS = ["register", "revoke"] as const;
export type EnforcementIntent = (typeof INTENTS)[number];
export const isIntent = (value: unknown): value is EnforcementIntent =>
  typeof value === "string" && (INTENTS as readonly string[]).includes(value);

/** What a refused form sends back: its input (to fill the form again) and errors by field. */
export interface FormFailure {
  intent: EnforcementIntent | null;
  values: { name: string; services: string[]; failClosed: boolean; failClosedMinutes: string };
  errors: Record<string, string>;
}

/** Errors by field (translation keys), from a failed parse. */
export function errorsOf(error: z.ZodError): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of error.issues) errors[String(issue.path[0] ?? "form")] ??= issue.message;
  return errors;
}
