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
  /** Sign a checkpoint of every log that grew at least this often (and every 256 records). */
  CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(100).default(10_000),
  /**
   * Where the ledger verifier keeps what it verified last, outside the database; unset = one
   * file per store under .data/ (shared by `provtopia verify` and the DPO's integrity page).
   */
  VERIFIER_STATE_FILE: z.string().min(1).optional(),
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
