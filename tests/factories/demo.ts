/** Feeds the demo organisation's documents through the bridge's pipeline into a store. */

import { sql } from "drizzle-orm";
import { DEMO_DOCUMENTS } from "../../capture-bridge/demo/demo-org";
import {
  seedConsentHistory,
  seedRecordOfProcessing,
} from "../../capture-bridge/demo/record-of-processing";
import { IngestTally, ingestMessage } from "../../capture-bridge/pipeline/ingest";
import type { Store } from "../../db/client";
import { checkpointAll } from "../../db/ledger/log";
import { createAccount, type NewAccount } from "../../db/queries/users";

export async function ingestDemoDocuments(store: Store): Promise<IngestTally> {
  const tally = new IngestTally();
  for (const { host, document } of DEMO_DOCUMENTS) {
    const payload = new TextEncoder().encode(JSON.stringify(document));
    await ingestMessage(store, { source: `test:${host}`, host, payload }, tally);
  }
  return tally;
}

/**
 * The demo organisation as the portal sees it: its record of processing, its documents, Alice's
 * consent history and block, optionally portal accounts, and signed checkpoints of every log.
 * Returns subject ids by reference.
 */
export async function seedDemoStore(
  store: Store,
  options: { accounts?: NewAccount[]; checkpoint?: boolean } = {},
): Promise<Map<string, number>> {
  await seedRecordOfProcessing(store);
  const tally = await ingestDemoDocuments(store);
  if (tally.quarantined !== 0) throw new Error(`the demo quarantined ${tally.quarantined}`);
  await seedConsentHistory(store);
  for (const account of options.accounts ?? []) await createAccount(store, account);
  if (options.checkpoint) await checkpointAll(store);
  const rows = await store.rows<{ id: number; ref: string }>(sql`select id, ref from subjects`);
  return new Map(rows.map((row) => [row.ref, row.id]));
}

/** Alice's portal account, as the demo seeds it. */
export const ALICE_ACCOUNT: NewAccount = {
  email: "alice@example.org",
  password: "alice-demo-pass",
  displayName: "Alice Martin",
  role: "subject",
  subjectRef: "subj-alice",
};
