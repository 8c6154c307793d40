/**
 * `provtopia simulate`: publishes a simulated organisation's provenance (organisation.ts) at a
 * steady rate, over MQTT (default: MQTT_URL, else the local broker on MQTT_PORT) or NATS
 * JetStream. Prints what it sent; `--json` for machines.
 */
import { parseArgs } from "node:util";
import type { BridgeConfig } from "../config";
import { createSimulation } from "./organisation";
import { mqttPublisher, natsPublisher, type Publisher, publishSimulation } from "./publish";
import { openRecording, recordSimulation } from "./recording";

export const SIMULATE_USAGE = `simulate [--hosts N] [--rate R] [--duration S] [--mqtt URL | --nats URL]
           [--subjects K] [--seed X] [--tag T] [--topic PREFIX] [--compression-level 1-9] [--json]
           [--record FILE | --replay FILE]
                                          publish a simulated organisation's provenance:
                                          N hosts (6), R elements/s over all hosts (5000),
                                          for S seconds (10), about K data subjects (5000);
                                          --record writes R x S elements' messages to FILE
                                          instead, --replay publishes FILE's messages at R
                                          (until FILE ends, or for S seconds if given)`;

export class SimulateUsageError extends Error {
  readonly code = "USAGE";
}

function positiveNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = value === "max" ? Number.POSITIVE_INFINITY : Number(value);
  if (!(n > 0)) throw new SimulateUsageError(`--${name} expects a positive number, got ${value}`);
  return n;
}

export async function simulate(config: BridgeConfig, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      hosts: { type: "string" },
      rate: { type: "string" },
      duration: { type: "string" },
      mqtt: { type: "string" },
      nats: { type: "string" },
      subjects: { type: "string" },
      seed: { type: "string" },
      tag: { type: "string" },
      topic: { type: "string" },
      "compression-level": { type: "string" },
      json: { type: "boolean" },
      record: { type: "string" },
      replay: { type: "string" },
    },
  });
  if (values.mqtt && values.nats) throw new SimulateUsageError("give --mqtt or --nats, not both");
  if (values.record && values.replay) {
    throw new SimulateUsageError("give --record or --replay, not both");
  }
  if (values.record && (values.mqtt || values.nats)) {
    throw new SimulateUsageError("--record writes to a file; --mqtt and --nats don't apply");
  }
  if (values.replay) {
    const generating = ["hosts", "subjects", "seed", "tag", "compression-level"] as const;
    const given = generating.filter((name) => values[name] !== undefined);
    if (given.length > 0) {
      throw new SimulateUsageError(
        `--replay publishes the recording as it is; ${given.map((name) => `--${name}`).join(", ")} only apply when generating (or to --record)`,
      );
    }
  }
  const hosts = positiveNumber("hosts", values.hosts, 6);
  if (!Number.isInteger(hosts)) throw new SimulateUsageError(`--hosts expects an integer`);
  const rate = positiveNumber("rate", values.rate, 5_000);
  const durationS = positiveNumber(
    "duration",
    values.duration,
    values.replay ? Number.POSITIVE_INFINITY : 10,
  );
  const subjects = Math.round(positiveNumber("subjects", values.subjects, 5_000));
  const seed = Math.round(positiveNumber("seed", values.seed, 1));
  const generate = () =>
    createSimulation({
      seed,
      hosts,
      subjects,
      ...(values.tag ? { tag: values.tag } : {}),
      ...(values["compression-level"]
        ? { compressionLevel: Number(values["compression-level"]) }
        : {}),
    });
  const started = performance.now();
  const cpuSeconds = () => {
    const cpu = process.cpuUsage();
    return Math.round((cpu.user + cpu.system) / 1e4) / 100;
  };

  if (values.record) {
    if (!Number.isFinite(rate * durationS)) {
      throw new SimulateUsageError(
        "--record needs a finite --rate and --duration (R x S elements)",
      );
    }
    const summary = recordSimulation(generate(), values.record, rate * durationS);
    const result = {
      ...summary,
      hosts,
      file: values.record,
      elapsedMs: Math.round(performance.now() - started),
      cpuSeconds: cpuSeconds(),
    };
    if (values.json) console.log(JSON.stringify(result));
    else
      console.log(
        `recorded ${result.messages} messages, ${result.elements} elements from ${hosts} hosts in ${values.record} (${(result.bytes / 1e6).toFixed(1)} MB of payloads)`,
      );
    return 0;
  }

  const recording = values.replay ? openRecording(values.replay) : null;
  const topic = values.topic ?? config.MQTT_TOPIC_PREFIX;
  try {
    const publisher: Publisher = values.nats
      ? await natsPublisher(values.nats, topic)
      : await mqttPublisher(
          values.mqtt ?? config.MQTT_URL ?? `mqtt://127.0.0.1:${config.MQTT_PORT}`,
          topic,
        );
    try {
      const summary = await publishSimulation(recording ?? generate(), publisher, {
        rate,
        durationMs: durationS * 1000,
      });
      const result = {
        ...summary,
        ...(recording ? { replayed: values.replay } : { hosts }),
        cpuSeconds: cpuSeconds(),
        elementsPerSecond: Math.round(summary.elements / (summary.elapsedMs / 1000)),
      };
      if (values.json) console.log(JSON.stringify(result));
      else
        console.log(
          `published ${result.messages} messages, ${result.elements} elements ${recording ? `from ${values.replay}` : `from ${hosts} hosts`} in ${(summary.elapsedMs / 1000).toFixed(1)} s (${result.elementsPerSecond} elements/s)`,
        );
      return 0;
    } finally {
      await publisher.close();
    }
  } finally {
    recording?.close();
  }
}
