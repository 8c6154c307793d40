import { type ActionFunctionArgs, redirect } from "@remix-run/node";
import { assertSameOrigin, logOut } from "../auth/session.server";

export async function action({ request }: ActionFunctionArgs) {
  assertSameOrigin(request);
  return redirect("/", { headers: { "Set-Cookie": await logOut(request) } });
}

export function loader() {
  return redirect("/");
}
