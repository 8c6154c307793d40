/**
 * "Download my data": the signed-in subject's copy of everything the store holds about them
 * (db/queries/subject-export.ts), as a JSON attachment. Each download is recorded in the
 * ledger's legal log (an access request answered), with the user who asked.
 *
 * A POST from the portal's own page (Origin checked): a GET that appends to the legal log
 * could be set off by any other site (a link, an image), filling the log with exports nobody
 * asked for. A GET here goes back to the subject's page.
 */
import { type ActionFunctionArgs, redirect } from "@remix-run/node";
import { appendLegalEvent } from "../../db/ledger/log";
import { subjectExport } from "../../db/queries/subject-export";
import { assertSameOrigin, requireSubject } from "../auth/session.server";
import { getStore } from "../store.server";

export const loader = () => redirect("/me");

export async function action({ request }: ActionFunctionArgs) {
  assertSameOrigin(request);
  const { user, subjectId, headers } = await requireSubject(request);
  const store = await getStore();
  const now = new Date();
  const copy = await subjectExport(store, subjectId, now);
  if (!copy) throw new Response("No such subject.", { status: 404 });
  await appendLegalEvent(
    store,
    {
      type: "subject.access.exported",
      actor: user.email,
      details: { subject: copy.subject.ref, sources: copy.personalData.length },
    },
    now,
  );
  const response = new Headers(headers);
  response.set("Content-Type", "application/json; charset=utf-8");
  response.set(
    "Content-Disposition",
    `attachment; filename="provtopia-my-data-${now.toISOString().slice(0, 10)}.json"`,
  );
  response.set("Cache-Control", "no-store");
  return new Response(`${JSON.stringify(copy, null, 2)}\n`, { headers: response });
}
