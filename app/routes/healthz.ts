import { pingStore } from "../../db/client";
import { getStore } from "../store.server";

/** Liveness and store reachability, for load balancers and the demo's smoke test. */
export async function loader() {
  try {
    const store = await getStore();
    await pingStore(store);
    return Response.json({ status: "ok", store: store.kind });
  } catch (error) {
    return Response.json(
      { status: "unavailable", error: (error as Error).message },
      { status: 503 },
    );
  }
}
