/**
 * Where every source hands a message to the pipeline: counts it in and out for /metrics, adds
 * what it brought to the bridge's running tally, and resolves once it is committed or
 * quarantined (so a source may acknowledge it). Rejects only when the store failed, so the
 * source can nak / retry; the message then counts as a store failure, not as received twice.
 */
import type { Store } from "../db/client";
import * as metrics from "./metrics";
import { IngestTally, ingestMessage, type Message } from "./pipeline/ingest";

/** What one message brought: documents committed, elements new to the store, quarantined. */
export interface MessageOutcome {
  documents: number;
  nodes: number;
  relations: number;
  new: number;
  quarantined: number;
}

export type HandleMessage = (message: Message) => Promise<MessageOutcome>;

/** A handler storing into `store` and adding to `tally`. */
export function meteredIngest(store: Store, tally: IngestTally): HandleMessage {
  return async (message) => {
    const source = metrics.sourceLabel(message.source);
    metrics.messagesReceived.inc({ source });
    const endTimer = metrics.batchSeconds.startTimer({ source });
    let one: IngestTally;
    try {
      one = await ingestMessage(store, message, new IngestTally());
    } catch (error) {
      metrics.storeFailures.inc({ source });
      throw error;
    }
    endTimer();
    metrics.documentsStored.inc({ source }, one.documents);
    metrics.elementsStored.inc({ source }, one.newElements);
    metrics.quarantined.inc({ source }, one.quarantined);
    for (const id of one.nodeIds) tally.nodeIds.add(id);
    for (const id of one.relationIds) tally.relationIds.add(id);
    tally.newElements += one.newElements;
    tally.quarantined += one.quarantined;
    tally.documents += one.documents;
    return {
      documents: one.documents,
      nodes: one.nodeIds.size,
      relations: one.relationIds.size,
      new: one.newElements,
      quarantined: one.quarantined,
    };
  };
}
