/**
 * The bridge's Prometheus metrics, served on `GET /metrics`. One registry per process (like
 * prom-client's default, but ours, so tests and the portal's process do not collide with other
 * libraries' metrics). Counters are labelled by `source`, the transport a message came by
 * (mqtt, nats, http, fifo, socket, file) — never by topic or host, which are unbounded.
 *
 * Values that live elsewhere (relations still pending in the store, a NATS consumer's lag) are
 * read when Prometheus scrapes, through probes that each running bridge or source registers
 * and removes again when it stops; a slow probe is cached for PROBE_CACHE_MS.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: "provtopia_bridge_" });

/** The `source` label of a message: the transport before the first `:` of Message.source. */
export function sourceLabel(source: string): string {
  const colon = source.indexOf(":");
  return colon === -1 ? source : source.slice(0, colon);
}

/** A counter labelled by source, in our registry. */
function sourceCounter(name: string, help: string) {
  return new Counter({ name, help, labelNames: ["source"] as const, registers: [registry] });
}

export const messagesReceived = sourceCounter(
  "provtopia_bridge_messages_received_total",
  "Messages taken from a source and handed to the pipeline.",
);
export const documentsStored = sourceCounter(
  "provtopia_bridge_documents_stored_total",
  "Provenance documents committed to the store.",
);
export const elementsStored = sourceCounter(
  "provtopia_bridge_elements_stored_total",
  "Nodes and relations the store did not have before (re-deliveries add nothing).",
);
export const quarantined = sourceCounter(
  "provtopia_bridge_quarantined_total",
  "Messages or documents put in quarantine (unreadable, refused), with their raw bytes.",
);
export const storeFailures = sourceCounter(
  "provtopia_bridge_store_failures_total",
  "Messages the store failed to take; the source redelivers or retries them.",
);

export const batchSeconds = new Histogram({
  name: "provtopia_bridge_batch_duration_seconds",
  help: "Time from a batch (or single message) entering the pipeline to its commit.",
  labelNames: ["source"] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

type Probe = () => Promise<number>;
const PROBE_CACHE_MS = 5_000;

/** A gauge whose per-label values come from probes; `register` returns the remover. */
function probedGauge(name: string, help: string, labelNames: readonly string[]) {
  const probes = new Map<string, { labels: Record<string, string>; probe: Probe }>();
  const cache = new Map<string, { at: number; value: number }>();
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        [...probes].map(async ([key, { labels, probe }]) => {
          const cached = cache.get(key);
          let value = cached?.value;
          if (!cached || Date.now() - cached.at > PROBE_CACHE_MS) {
            try {
              value = await probe();
              cache.set(key, { at: Date.now(), value });
            } catch {
              // An unreachable store or server leaves the series out of this scrape: Prometheus
              // shows the gap, which is the truth; the source's own errors are logged elsewhere.
              return;
            }
          }
          if (value !== undefined) this.set(labels, value);
        }),
      );
    },
  });
  return (labels: Record<string, string>, probe: Probe): (() => void) => {
    const key = JSON.stringify(labels);
    probes.set(key, { labels, probe });
    return () => {
      probes.delete(key);
      cache.delete(key);
    };
  };
}

/** Relations in the store that name a node it has not received (yet). */
export const registerPendingRelationsProbe = probedGauge(
  "provtopia_bridge_pending_relations",
  "Relations whose end nodes have not arrived (yet), as stored.",
  ["store"],
);

/** A queueing source's backlog: messages not yet delivered to any bridge. */
export const registerConsumerLagProbe = probedGauge(
  "provtopia_bridge_consumer_lag_messages",
  "Messages waiting in the broker for this consumer (NATS num_pending).",
  ["source", "consumer"],
);

/** Messages delivered to some bridge and not acknowledged yet. */
export const registerConsumerAckPendingProbe = probedGauge(
  "provtopia_bridge_consumer_ack_pending_messages",
  "Messages delivered but not yet acknowledged (NATS num_ack_pending).",
  ["source", "consumer"],
);

/** Live enforcement points that have not applied the rule set's current version. */
export const registerPointsBehindProbe = probedGauge(
  "provtopia_enforcement_points_behind",
  "Live enforcement points whose acknowledged rule-set version is older than the current one.",
  ["store"],
);

/** The exposition text and its content type, for GET /metrics. */
export async function renderMetrics(): Promise<{ type: string; body: string }> {
  return { type: registry.contentType, body: await registry.metrics() };
}
