/**
 * `provtopia quarantine retry`: reads quarantined messages again with the bridge's current
 * readers, as they were received (same bytes, same source, the capture host derived from the
 * source as the source did), after a reader or a sender was fixed. A message now read whole is
 * stored through the ingest path (ledger record included; storing is idempotent) and leaves the
 * quarantine; one still unreadable stays with today's kind and reason, one read only in part
 * stays with its reason (its readable
 * documents are stored, and stored again changes nothing). Recorded in the legal log.
 */
import type { Store } from "../db/client";
import { appendLegalEvent } from "../db/ledger/log";
import {
  type QuarantineFilter,
  quarantinedMessages,
  releaseQuarantined,
  requarantine,
} from "../db/queries/quarantine";
import type { BridgeConfig } from "./config";
import { prepareMessage, writeMessages } from "./pipeline/ingest";
import { hostOfTopic } from "./sources/mqtt";
import { hostOfSubject } from "./sources/nats";

const PAGE = 100;

export interface RetrySelection extends Omit<QuarantineFilter, "before"> {
  ids?: readonly number[];
  /** The capture host of messages whose source does not name one (`file:` sources). */
  host?: string;
}

export interface RetryReport {
  tried: number;
  /** Read whole and stored now (or already held); no longer in quarantine. */
  stored: number[];
  /** Read in part: the readable documents stored, the message kept. */
  partly: number[];
  /** Still unreadable, with today's reason. */
  unreadable: { id: number; reason: string }[];
  /** Not tried: no capture host known for its source. */
  skipped: { id: number; source: string }[];
}

/** The capture host a source attributed a message to, or null when the source names none. */
export function hostOfSource(
  source: string,
  config: Pick<BridgeConfig, "MQTT_TOPIC_PREFIX" | "NATS_SUBJECT_PREFIX">,
): string | null {
  const colon = source.indexOf(":");
  const [transport, rest] = [source.slice(0, colon), source.slice(colon + 1)];
  if (colon <= 0 || !rest) return null;
  if (transport === "mqtt") return hostOfTopic(rest, config.MQTT_TOPIC_PREFIX);
  if (transport === "nats") return hostOfSubject(rest, config.NATS_SUBJECT_PREFIX);
  if (transport === "http") return rest;
  return null;
}

export async function retryQuarantined(
  store: Store,
  config: Pick<BridgeConfig, "MQTT_TOPIC_PREFIX" | "NATS_SUBJECT_PREFIX" | "MAX_MESSAGE_BYTES">,
  selection: RetrySelection,
  actor: string,
): Promise<RetryReport> {
  const report: RetryReport = { tried: 0, stored: [], partly: [], unreadable: [], skipped: [] };
  let after = 0;
  for (;;) {
    const page = await quarantinedMessages(store, selection, after, PAGE);
    if (page.length === 0) break;
    after = page.at(-1)?.id ?? after;
    for (const { id, source, raw } of page) {
      const host = hostOfSource(source, config) ?? selection.host ?? null;
      if (host === null) {
        report.skipped.push({ id, source });
        continue;
      }
      report.tried += 1;
      const prepared = await prepareMessage(
        store,
        { source, host, payload: raw },
        { maxMessageBytes: config.MAX_MESSAGE_BYTES },
      );
      if (prepared.documents.length === 0) {
        const reason =
          prepared.quarantine.map((entry) => entry.reason).join("; ") || "no documents";
        // What the DPO's page says from now on: why today's readers could not read it either.
        await requarantine(store, id, prepared.quarantine[0]?.kind ?? "other", reason);
        report.unreadable.push({ id, reason });
        continue;
      }
      const [outcome] = await writeMessages(store, [prepared]);
      if (outcome && outcome.documents > 0 && outcome.quarantined === 0) {
        await releaseQuarantined(store, id);
        report.stored.push(id);
      } else {
        report.partly.push(id);
      }
    }
  }
  if (report.tried > 0) {
    await appendLegalEvent(store, {
      type: "operator.quarantine.retried",
      actor,
      details: {
        tried: report.tried,
        stored: report.stored,
        partly: report.partly,
        unreadable: report.unreadable.map((u) => u.id),
      },
    });
  }
  return report;
}
