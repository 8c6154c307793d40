/**
 * What a signed-in subject may read of the flows: the session holds a subject id, flows are
 * read by subject reference, and a flow id from a URL must be checked against its owner so a
 * subject cannot read another's witness path by guessing ids.
 */
import { sql } from "drizzle-orm";
import type { Store } from "../client";
import { flowBelongsTo } from "./flows";

/** The reference of subject `subjectId`; null when there is no such subject. */
export async function subjectRefOf(store: Store, subjectId: number): Promise<string | null> {
  const [row] = await store.rows<{ ref: string }>(
    sql`select ref from subjects where id = ${subjectId}`,
  );
  return row?.ref ?? null;
}

/** Whether flow `flowId` is one of subject `subjectId`'s flows. */
export async function subjectOwnsFlow(
  store: Store,
  subjectId: number,
  flowId: number,
): Promise<boolean> {
  return flowBelongsTo(store, flowId, subjectId);
}
