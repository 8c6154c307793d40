/**
 * The subject's choices page's server side: what the loader reads and how a submitted form
 * becomes a decision (db/queries/subject-choices.ts, which re-judges the subject's flows and
 * records the decision in the legal log). A refused form comes back with errors as
 * translation keys.
 */
import { requestErasure, subjectErasureRequests } from "../../../db/queries/erasure";
import {
  blockService,
  ChoiceError,
  liftBlock,
  setConsent,
  subjectChoices,
} from "../../../db/queries/subject-choices";
import { getStore } from "../../store.server";
import { CHOICE_FORMS, type ChoiceFailure, type ChoiceIntent, isChoiceIntent } from "./forms";

export async function loadChoices(subjectId: number) {
  const store = await getStore();
  const choices = await subjectChoices(store, subjectId);
  if (!choices) throw new Response("No such subject.", { status: 404 });
  // Who at the organisation answered or told a recipient stays with the DPO: the subject reads
  // the answer and whom the organisation told, not the staff member's address.
  const erasure = (await subjectErasureRequests(store, subjectId)).map(
    ({ answeredBy: _answeredBy, notices, ...request }) => ({
      ...request,
      notices: notices.map(({ toldBy: _toldBy, ...notice }) => notice),
    }),
  );
  return { ...choices, erasure };
}

interface Actor {
  subjectId: number;
  email: string;
}

/** Applies one submitted form; returns the intent done, or the errors to show. */
export async function applyChoice(
  actor: Actor,
  form: FormData,
): Promise<{ done: ChoiceIntent } | ChoiceFailure> {
  const intent = form.get("intent");
  if (!isChoiceIntent(intent)) {
    return { intent: null, target: null, errors: { form: "choices.errors.unknownForm" } };
  }
  const values: Record<string, string> = {};
  for (const [key, value] of form) if (typeof value === "string") values[key] = value;
  const target = values.purpose ?? values.service ?? values.rule ?? null;
  const parsed = CHOICE_FORMS[intent].safeParse(values);
  if (!parsed.success) {
    const errors: Record<string, string> = {};
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? "form");
      errors[field] ??= issue.message;
    }
    return { intent, target, errors };
  }
  const store = await getStore();
  try {
    const input = parsed.data as Record<string, unknown>;
    if (intent === "give" || intent === "withdraw") {
      const action = intent === "give" ? "given" : "withdrawn";
      await setConsent(store, actor, String(input.purpose), action);
    } else if (intent === "block") {
      await blockService(store, actor, String(input.service));
    } else if (intent === "erase") {
      await requestErasure(store, actor);
    } else {
      await liftBlock(store, actor, Number(input.rule));
    }
    return { done: intent };
  } catch (error) {
    if (error instanceof ChoiceError) {
      return { intent, target, errors: { form: `choices.errors.${error.reason}` } };
    }
    throw error;
  }
}
