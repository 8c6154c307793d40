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

  it("treats empty variables as unset", () => {
    expect(loadConfig({ DATABASE_URL: "" }).DATABASE_URL).toBeUndefined();
  });

  it("names every bad variable", () => {
    expect(() => loadConfig({ MQTT_PORT: "70000", DATABASE_URL: "not a url" })).toThrow(
      /invalid configuration: .*DATABASE_URL.*MQTT_PORT|invalid configuration: .*MQTT_PORT.*DATABASE_URL/,
    );
  });
});
