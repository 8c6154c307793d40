/**
 * The breach report as a download (POST from /dpo/breach): the DPO's scope and description,
 * the impact pinned to the ledger and recorded in the legal log (db/queries/breach.ts). A
 * resource route, so the JSON reaches the browser as a file; a refused form goes back to the
 * page with its scope and `refused=<reason>`, which the page says in the reader's language.
 */
import { type ActionFunctionArgs, redirect } from "@remix-run/node";
import { assertSameOrigin, requireDpo } from "../auth/session.server";
import { reportResponse } from "./dpo.breach/breach.server";
import { REPORT_FORM, REPORT_REFUSALS, SCOPE_FORM, scopeValues } from "./dpo.breach/forms";

export async function action({ request }: ActionFunctionArgs) {
  assertSameOrigin(request);
  const { user, headers } = await requireDpo(request);
  const form = await request.formData();
  const values = scopeValues(form);
  const back = (extra: Record<string, string> = {}) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries({ ...values, ...extra })) {
      if (value !== undefined) params.set(key, value);
    }
    return redirect(`/dpo/breach?${params}#report`, { headers });
  };
  const scope = SCOPE_FORM.safeParse(values);
  // A bad scope is the page's to explain (its loader validates the same query).
  if (!scope.success) return back();
  const description = REPORT_FORM.safeParse({ description: form.get("description") ?? undefined });
  if (!description.success) {
    const reason =
      description.error.issues[0]?.message === REPORT_REFUSALS.tooLong ? "tooLong" : "description";
    return back({ refused: reason });
  }
  const response = await reportResponse(
    scope.data,
    { email: user.email, description: description.data.description },
    headers,
  );
  return response ?? back();
}
