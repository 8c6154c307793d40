/**
 * The bridge's configuration: parsed once from the environment, frozen, and passed down.
 * Nothing else in capture-bridge/ reads process.env. Every variable has a default that runs
 * the embedded demo (PGlite store, in-process MQTT broker) with nothing installed.
 */
import { z } from "zod";
import { parseEnv } from "../db/env";

const port = z.coerce.number().int().min(0).max(65_535);

const schema = z.object({
  /** postgres:// URL of the store; unset = embedded PGlite under PGLITE_DIR. */
  DATABASE_URL: z.string().url().optional(),
  PGLITE_DIR: z.string().min(1).default(".data/pglite"),
  /** mqtt:// URL of the broker capture hosts publish to; unset = start an embedded broker. */
  MQTT_URL: z.string().url().optional(),
  /** Port of the embedded broker (camflowd's default is 1883); a taken port falls back to a free one. */
  MQTT_PORT: port.default(1883),
  /** camflowd publishes to `<prefix>/<machine id>`. */
  MQTT_TOPIC_PREFIX: z.string().min(1).default("camflow/provenance"),
  /**
   * The bridge's MQTT client id; the broker keeps its persistent session (and what arrives while
   * the bridge is down) under it. Unset = derived from MQTT_TOPIC_PREFIX. Two bridges must not
   * share one (the broker would disconnect the first).
   */
  MQTT_CLIENT_ID: z.string().min(1).max(128).optional(),
  /** Write a batch at this many messages, ... */
  BATCH_MAX_MESSAGES: z.coerce.number().int().min(1).default(500),
  /** ... or this long after its first message. */
  BATCH_MAX_DELAY_MS: z.coerce.number().int().min(0).default(50),
  /** Messages received but not yet committed; beyond this the sources pause (backpressure). */
  MAX_IN_FLIGHT_MESSAGES: z.coerce.number().int().min(1).default(2_000),
  /** A larger message is quarantined (kept whole) without being parsed. */
  MAX_MESSAGE_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(16 * 1024 * 1024),
  /** HTTP port of the bridge (GET /healthz). */
  BRIDGE_PORT: port.default(3001),
  /**
   * Address the bridge's HTTP server binds: loopback for the demo; `0.0.0.0` (behind a TLS
   * proxy) when applications on other machines POST /ingest.
   */
  BRIDGE_HOST: z.string().min(1).default("127.0.0.1"),
  /**
   * Bearer token that GET /metrics wants (Prometheus' `authorization: credentials`); unset, the
   * metrics are open (counts only, no personal data), and the bridge warns if it binds beyond
   * loopback.
   */
  METRICS_TOKEN: z.string().min(16, "at least 16 characters").optional(),
  /** Sign a checkpoint of every log that grew at least this often (and every 256 records). */
  CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(100).default(10_000),
  /**
   * Where the ledger verifier keeps what it verified last, outside the database; unset = one
   * file per store under .data/ (shared by `provtopia verify` and the DPO's integrity page).
   */
  VERIFIER_STATE_FILE: z.string().min(1).optional(),
  /** pino level of the bridge's structured logs (JSON lines on stdout); `silent` in tests. */
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** nats:// URL of a JetStream server; unset = no NATS source. */
  NATS_URL: z.string().url().optional(),
  /** Capture hosts publish to `<prefix>.<machine id>` (NATS subjects use dots). */
  NATS_SUBJECT_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, "dot-separated tokens without wildcards")
    .default("camflow.provenance"),
  /** The JetStream stream holding `<prefix>.>`; created (work-queue retention) if absent. */
  NATS_STREAM: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default("CAMFLOW"),
  /** The durable pull consumer every bridge process shares (the scale-out path). */
  NATS_CONSUMER: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default("provtopia-bridge"),
  /** Messages one bridge process holds unacknowledged at most. */
  NATS_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(10_000).default(64),
  /** Unacknowledged this long, a message is redelivered (to any bridge). */
  NATS_ACK_WAIT_MS: z.coerce.number().int().min(1_000).default(60_000),
  /** Largest body `POST /ingest` accepts; larger ones get 413 and are not read. */
  INGEST_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(8 * 1024 * 1024),
  /** Path of a unix datagram socket to create for camflowd's `output=unix`; unset = none. */
  CAMFLOW_SOCKET: z.string().min(1).optional(),
  /** Path of camflowd's FIFO (`output=fifo`, `[fifo] path`) to read; unset = none. */
  CAMFLOW_FIFO: z.string().min(1).optional(),
  /** The capture host to attribute local-output documents to when they name none. */
  CAMFLOW_HOST: z.string().min(1).optional(),
  /** On SIGTERM, wait this long for in-flight messages before giving up on them. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
  /** Enforcement points hear of a new rule-set version on MQTT `<prefix>/<point id>` (retained). */
  ENFORCEMENT_TOPIC_PREFIX: z.string().min(1).default("provtopia/enforcement"),
  /** ... and, with NATS_URL, on `<prefix>.<point id>`. */
  ENFORCEMENT_NATS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, "dot-separated tokens without wildcards")
    .default("provtopia.enforcement"),
  /** How often the bridge looks for rule changes to announce (the outbox's delivery). */
  ENFORCEMENT_PUBLISH_INTERVAL_MS: z.coerce.number().int().min(50).default(1_000),
  /** HTTP port of the portal when `provtopia start` serves it. */
  PORT: port.default(3000),
});

export type BridgeConfig = Readonly<z.infer<typeof schema>>;

/** Parses the environment; throws a message naming each bad variable. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): BridgeConfig {
  return parseEnv(schema, env, "configuration");
}
