/**
 * A quarantined message's raw bytes, exactly as the bridge received them, as an attachment for
 * the DPO. Raw messages may hold personal data, so each download is recorded in the legal log
 * (who, which message, its digest). A POST from the quarantine page (Origin checked), as for
 * "download my data": a GET that appends to the legal log could be set off by any other site.
 */
import { type ActionFunctionArgs, redirect } from "@remix-run/node";
import { appendLegalEvent } from "../../db/ledger/log";
import { quarantinedMessage } from "../../db/queries/quarantine";
import { assertSameOrigin, requireDpo } from "../auth/session.server";
import { getStore } from "../store.server";
import { parseMessageId } from "./dpo.quarantine/filters";

export const loader = () => redirect("/dpo/quarantine");

export async function action({ request }: ActionFunctionArgs) {
  assertSameOrigin(request);
  const { user, headers } = await requireDpo(request);
  const id = parseMessageId((await request.formData()).get("id"));
  if (id === null) throw new Response("Which quarantined message? (id)", { status: 400 });
  const store = await getStore();
  const message = await quarantinedMessage(store, id);
  if (!message) throw new Response(`No quarantined message ${id}.`, { status: 404 });
  await appendLegalEvent(store, {
    type: "dpo.quarantine.downloaded",
    actor: user.email,
    details: {
      id: message.id,
      source: message.source,
      bytes: message.raw.length,
      digest: message.digest,
    },
  });
  const response = new Headers(headers);
  response.set("Content-Type", "application/octet-stream");
  response.set("Content-Disposition", `attachment; filename="quarantine-${message.id}.bin"`);
  response.set("Cache-Control", "no-store");
  const body = new Uint8Array(message.raw.length); // backed by an ArrayBuffer of its own
  body.set(message.raw);
  return new Response(body, { headers: response });
}
