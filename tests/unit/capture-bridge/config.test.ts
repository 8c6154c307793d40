import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../capture-bridge/config";

describe("loadConfig", () => {
  it("defaults to the embedded demo", () => {
    const config = loadConfig({});
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.MQTT_URL).toBeUndefined();
    expect(config).toMatchObject({
      MQTT_PORT: 1883,
      MQTT_TOPIC_PREFIX: "camflow/provenance",
      PORT: 3000,
      BRIDGE_PORT: 3001,
      PGLITE_DIR: ".data/pglite",
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("leaves /metrics open unless METRICS_TOKEN is set, and refuses a short token", () => {
    expect(loadConfig({}).METRICS_TOKEN).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: "0123456789abcdef" }).METRICS_TOKEN).toBe(
      "0123456789abcdef",
    );
    expect(() => loadConfig({ METRICS_TOKEN: "short" })).toThrow(
      /METRICS_TOKEN.*at least 16 characters/,
    );
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig({ DATABASE_URL: "" }).DATABASE_URL).toBeUndefined();
  });

  it("names every bad variable", () => {
    expect(() => loadConfig({ MQTT_PORT: "70000", DATABASE_URL: "not a url" })).toThrow(
      /invalid configuration: .*DATABASE_URL.*MQTT_PORT|invalid configuration: .*MQTT_PORT.*DATABASE_URL/,
    );
  });

  it("runs no NATS or local source unless configured, and refuses wildcard NATS prefixes", () => {
    const config = loadConfig({});
    expect(config.NATS_URL).toBeUndefined();
    expect(config.CAMFLOW_FIFO).toBeUndefined();
    expect(config.CAMFLOW_SOCKET).toBeUndefined();
    expect(config).toMatchObject({
      NATS_SUBJECT_PREFIX: "camflow.provenance",
      NATS_STREAM: "CAMFLOW",
      NATS_CONSUMER: "provtopia-bridge",
      LOG_LEVEL: "info",
    });
    expect(() => loadConfig({ NATS_SUBJECT_PREFIX: "camflow.*" })).toThrow(
      /NATS_SUBJECT_PREFIX: dot-separated tokens without wildcards/,
    );
    expect(() => loadConfig({ LOG_LEVEL: "loud" })).toThrow(/LOG_LEVEL/);
  });
});
