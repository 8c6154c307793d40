/**
 * Seeds the demo once: the accounts, the record of processing and the consent history go
 * straight into the store; the provenance goes in the way real provenance does, published over
 * MQTT to the bridge. Resolves once the bridge has stored
 * every published document. A store that already has the demo accounts is left alone.
 */
import mqtt from "mqtt";
import type { Store } from "../../db/client";
import { createAccount, findUserByEmail } from "../../db/queries/users";
import type { RunningBridge } from "../main";
import { DEMO_ACCOUNTS, DEMO_DOCUMENTS, DEMO_MALFORMED } from "./demo-org";
import { seedConsentHistory, seedRecordOfProcessing } from "./record-of-processing";

const SEED_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 50;

export async function seedDemo(
  store: Store,
  bridge: RunningBridge,
  topicPrefix: string,
): Promise<"seeded" | "already-seeded"> {
  const first = DEMO_ACCOUNTS[0];
  if (first && (await findUserByEmail(store, first.email))) return "already-seeded";

  // The record of processing first, so system-level nodes are mapped to services at ingest.
  await seedRecordOfProcessing(store);
  const before = bridge.tally.documents + bridge.tally.quarantined;
  const client = await mqtt.connectAsync(bridge.mqttUrl, {
    clientId: `provtopia-seed-${process.pid}`,
  });
  try {
    for (const { host, document } of DEMO_DOCUMENTS) {
      await client.publishAsync(`${topicPrefix}/${host}`, JSON.stringify(document), { qos: 1 });
    }
    for (const { host, payload } of DEMO_MALFORMED) {
      await client.publishAsync(`${topicPrefix}/${host}`, Buffer.from(payload), { qos: 1 });
    }
  } finally {
    await client.endAsync();
  }
  const deadline = Date.now() + SEED_TIMEOUT_MS;
  const expected = DEMO_DOCUMENTS.length + DEMO_MALFORMED.length;
  while (bridge.tally.documents + bridge.tally.quarantined < before + expected) {
    if (Date.now() > deadline) {
      throw new Error(
        `the bridge stored ${bridge.tally.documents - before} of ${DEMO_DOCUMENTS.length} demo documents within ${SEED_TIMEOUT_MS} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  await seedConsentHistory(store);
  // Accounts last: their presence marks a complete seed.
  for (const account of DEMO_ACCOUNTS) await createAccount(store, account);
  return "seeded";
}
