import { type ActionFunctionArgs, redirect } from "@remix-run/node";
import { assertSameOrigin, safeRedirectPath } from "../auth/session.server";
import { isLanguage } from "../i18n";
import { languageCookie } from "../i18next.server";

/** Remembers the chosen language in a cookie and goes back where the reader was. */
export async function action({ request }: ActionFunctionArgs) {
  assertSameOrigin(request);
  const form = await request.formData();
  const lng = form.get("lng");
  const returnTo = safeRedirectPath(form.get("returnTo"), "/");
  if (!isLanguage(lng)) return redirect(returnTo);
  return redirect(returnTo, { headers: { "Set-Cookie": await languageCookie.serialize(lng) } });
}

export function loader() {
  return redirect("/");
}
