/**
 * Where every source hands a message to the pipeline. `metered` counts each message in and out
 * for /metrics around whatever stores it; `ingestEach` stores one message per transaction and
 * adds it to the bridge's running tally. Both resolve once the message is committed or
 * quarantined (so a source may acknowledge it) and reject only when the store failed, so the
 * source can nak / retry; the message then counts as a store failure.
 *
 * The outcome has the batching pipeline's field names, so `metered(pipeline.onMessage)` can
 * replace `metered(ingestEach(...))` without touching the sources.
 */
import type { Store } from "../db/client";
import * as metrics from "./metrics";
import { IngestTally, ingestMessage, type Message } from "./pipeline/ingest";

/** What one message brought. */
export interface MessageOutcome {
  /** Documents committed. */
  documents: number;
  quarantined: number;
  /** Distinct nodes and relations the message carried. */
  elements: number;
  /** Those the store did not have before (0 for a re-delivery). */
  newElements: number;
}

export type HandleMessage = (message: Message) => Promise<MessageOutcome>;

/** `ingest`, counted per source on /metrics. */
export function metered(ingest: HandleMessage): HandleMessage {
  return async (message) => {
    const source = metrics.sourceLabel(message.source);
    metrics.messagesReceived.inc({ source });
    const endTimer = metrics.batchSeconds.startTimer({ source });
    let outcome: MessageOutcome;
    try {
      outcome = await ingest(message);
    } catch (error) {
      metrics.storeFailures.inc({ source });
      throw error;
    }
    endTimer();
    metrics.documentsStored.inc({ source }, outcome.documents);
    metrics.elementsStored.inc({ source }, outcome.newElements);
    metrics.quarantined.inc({ source }, outcome.quarantined);
    return outcome;
  };
}

/** Stores each message in its own transaction(s) and adds it to `tally`. */
export function ingestEach(store: Store, tally: IngestTally): HandleMessage {
  return async (message) => {
    const one = await ingestMessage(store, message, new IngestTally());
    for (const id of one.nodeIds) tally.nodeIds.add(id);
    for (const id of one.relationIds) tally.relationIds.add(id);
    tally.newElements += one.newElements;
    tally.quarantined += one.quarantined;
    tally.documents += one.documents;
    return {
      documents: one.documents,
      quarantined: one.quarantined,
      elements: one.nodeIds.size + one.relationIds.size,
      newElements: one.newElements,
    };
  };
}

/** The usual composition: one message per transaction, counted on /metrics. */
export function meteredIngest(store: Store, tally: IngestTally): HandleMessage {
  return metered(ingestEach(store, tally));
}
