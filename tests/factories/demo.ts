/** Feeds the demo organisation's documents through the bridge's pipeline into a store. */

import { DEMO_DOCUMENTS } from "../../capture-bridge/demo/demo-org";
import { IngestTally, ingestMessage } from "../../capture-bridge/pipeline/ingest";
import type { Store } from "../../db/client";

export async function ingestDemoDocuments(store: Store): Promise<IngestTally> {
  const tally = new IngestTally();
  for (const { host, document } of DEMO_DOCUMENTS) {
    const payload = new TextEncoder().encode(JSON.stringify(document));
    await ingestMessage(store, { source: `test:${host}`, host, payload }, tally);
  }
  return tally;
}
