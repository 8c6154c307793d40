/**
 * Parsing a process's environment with a zod schema, shared by the portal and the bridge:
 * empty variables count as unset, and one error names every bad variable.
 */
import type { z } from "zod";

/** The parsed, frozen configuration. Throws `invalid <what>: NAME: problem; ...`. */
export function parseEnv<S extends z.ZodTypeAny>(
  schema: S,
  env: Readonly<Record<string, string | undefined>>,
  what: string,
): Readonly<z.infer<S>> {
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid ${what}: ${problems.join("; ")}`);
  }
  return Object.freeze(parsed.data);
}
