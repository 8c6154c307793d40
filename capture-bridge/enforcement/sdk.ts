/**
 * The enforcement point SDK: what a mailer, an export job, an egress proxy or a third-party
 * connector embeds to check data before it moves.
 *
 *   const point = await connectEnforcementPoint({ bridgeUrl, token, mqttUrl });
 *   const verdict = point.decide({ subject: "subj-alice", service: "Newsletter" });
 *   if (!verdict.allowed) skip(); // reason: "blocked" (rule id), "stale" or "no-rules"
 *
 * It pulls its rule set from the bridge (`GET /enforcement/rules`, ETag: an unchanged set costs
 * a 304), acknowledges every new version it applied (`POST /enforcement/ack`: only then does
 * the subject's page count this point), and pulls again when the bridge announces a new
 * version on MQTT (retained, `<topicPrefix>/<point id>`) or every `pollIntervalMs` without one.
 * Decisions are local and synchronous (decide.ts): no request per flow. If the DPO set a
 * fail-closed bound and the rules could not be confirmed within it, every flow is refused.
 *
 * Imports nothing of the store: it talks to the bridge over HTTP and MQTT only.
 */
import mqtt, { type MqttClient } from "mqtt";
import {
  decide,
  type FlowRequest,
  indexRules,
  type RuleIndex,
  type RuleSet,
  type Verdict,
} from "./decide";

export interface EnforcementPointOptions {
  /** The bridge's HTTP address, e.g. http://bridge:3001. */
  bridgeUrl: string;
  /** The token the DPO was shown when registering the point. */
  token: string;
  /** The broker the bridge announces new versions on; unset: polling only. */
  mqttUrl?: string;
  /** The bridge's ENFORCEMENT_TOPIC_PREFIX. */
  topicPrefix?: string;
  /** Pull at least this often (more often when the fail-closed bound needs it). */
  pollIntervalMs?: number;
  /** Epoch milliseconds; injected by tests. */
  now?: () => number;
  /** A failed pull or acknowledgement (the point keeps its last rules and tries again). */
  onError?: (error: Error) => void;
  /** A new rule set was applied (and is being acknowledged). */
  onRules?: (rules: RuleSet) => void;
}

export interface EnforcementPoint {
  decide(request: FlowRequest): Verdict;
  /** Pulls now; resolves with the version applied (also after a failed pull: the old one). */
  refresh(): Promise<number | null>;
  /** The rule set applied, null before the first. */
  readonly rules: RuleSet | null;
  close(): Promise<void>;
}

export class EnforcementPointError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const DEFAULT_POLL_INTERVAL_MS = 30_000;

/** Connects and pulls the first rule set; throws EnforcementPointError if that fails. */
export async function connectEnforcementPoint(
  options: EnforcementPointOptions,
): Promise<EnforcementPoint> {
  const now = options.now ?? Date.now;
  const base = options.bridgeUrl.replace(/\/+$/, "");
  const authorization = `Bearer ${options.token}`;
  let index: RuleIndex | null = null;
  let freshAt = 0;
  let acknowledged: number | null = null;
  let pulling: Promise<number | null> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let client: MqttClient | undefined;

  const pull = async (): Promise<number | null> => {
    const headers: Record<string, string> = { authorization };
    if (index) headers["if-none-match"] = `"${index.set.version}"`;
    const response = await fetch(`${base}/enforcement/rules`, { headers });
    if (response.status === 200) {
      index = indexRules((await response.json()) as RuleSet);
      options.onRules?.(index.set);
    } else if (response.status !== 304) {
      throw new EnforcementPointError(
        response.status,
        `GET /enforcement/rules answered ${response.status}: ${await response.text()}`,
      );
    }
    freshAt = now();
    const version = index?.set.version ?? null;
    if (version !== null && version !== acknowledged) {
      const ack = await fetch(`${base}/enforcement/ack`, {
        method: "POST",
        headers: { authorization, "content-type": "application/json" },
        body: JSON.stringify({ version }),
      });
      if (!ack.ok) {
        throw new EnforcementPointError(
          ack.status,
          `POST /enforcement/ack answered ${ack.status}: ${await ack.text()}`,
        );
      }
      acknowledged = version;
    }
    return version;
  };
  const refresh = (): Promise<number | null> => {
    // Pulls never overlap; a call during a pull shares it.
    pulling ??= pull().finally(() => {
      pulling = undefined;
    });
    return pulling;
  };
  const refreshQuietly = () => {
    refresh().catch((error: Error) => options.onError?.(error));
  };

  await refresh();
  const bound = (index as RuleIndex | null)?.set.failClosedAfterMs ?? null;
  const interval = Math.min(
    options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    bound === null ? Number.POSITIVE_INFINITY : Math.max(1_000, Math.floor(bound / 3)),
  );
  timer = setInterval(refreshQuietly, interval);
  timer.unref();

  if (options.mqttUrl && index) {
    const topic = `${options.topicPrefix ?? "provtopia/enforcement"}/${(index as RuleIndex).set.pointId}`;
    try {
      client = await mqtt.connectAsync(options.mqttUrl, { reconnectPeriod: 1_000 });
      client.on("message", (_topic, payload) => {
        let version: unknown;
        try {
          version = (JSON.parse(payload.toString("utf8")) as { version?: unknown }).version;
        } catch {
          return; // Not an announcement: the next poll still comes.
        }
        if (typeof version === "number" && version !== index?.set.version) refreshQuietly();
      });
      await client.subscribeAsync(topic, { qos: 1 });
    } catch (error) {
      clearInterval(timer);
      await client?.endAsync(true);
      throw error;
    }
  }

  return {
    decide: (request) => decide(index, freshAt, now(), request),
    refresh,
    get rules() {
      return index?.set ?? null;
    },
    async close() {
      clearInterval(timer);
      await pulling?.catch(() => undefined);
      await client?.endAsync();
    },
  };
}
