import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createSimulation,
  type SimulatedMessage,
} from "../../../../capture-bridge/simulate/organisation";
import { type Publisher, publishSimulation } from "../../../../capture-bridge/simulate/publish";
import {
  openRecording,
  RecordingError,
  recordSimulation,
} from "../../../../capture-bridge/simulate/recording";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "provtopia-recording-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const options = { seed: 7, hosts: 6, elementsPerMessage: 80 };

function readAll(file: string): SimulatedMessage[] {
  const recording = openRecording(file);
  const messages: SimulatedMessage[] = [];
  for (let message = recording.next(); message; message = recording.next()) messages.push(message);
  recording.close();
  return messages;
}

describe("simulation recordings", { timeout: 60_000 }, () => {
  it("replays exactly the messages the simulation generated, in order, and ends", () => {
    const file = path.join(dir, "sim.bin");
    const summary = recordSimulation(createSimulation(options), file, 20_000);
    const live = createSimulation(options);
    const expected = Array.from({ length: summary.messages }, () => live.next());

    expect(summary.elements).toBeGreaterThanOrEqual(20_000);
    expect(summary.elements - 20_000).toBeLessThan(Math.max(...expected.map((m) => m.elements)));
    expect(summary.elements).toBe(expected.reduce((sum, m) => sum + m.elements, 0));
    expect(readAll(file)).toEqual(expected);
    // nothing left behind under the temporary name
    expect(readdirSync(dir)).toEqual(["sim.bin"]);
  });

  it("reads frames larger than its read buffer", () => {
    const big = Buffer.alloc(3 << 20, 7); // bigger than the 1 MiB chunk it reads by
    const messages: SimulatedMessage[] = [
      {
        topicSuffix: "1",
        host: "cf:1",
        payload: Buffer.from("small"),
        elements: 1,
        flavour: "camflow",
      },
      { topicSuffix: "app", host: "app", payload: big, elements: 2, flavour: "app" },
      {
        topicSuffix: "2",
        host: "cf:2",
        payload: Buffer.from("after"),
        elements: 3,
        flavour: "camflow",
      },
    ];
    let i = 0;
    const file = path.join(dir, "big.bin");
    recordSimulation({ next: () => messages[i++] }, file, Number.POSITIVE_INFINITY);
    const read = readAll(file);
    // compared by Buffer.equals: a deep equality walks 3 MiB byte by byte
    expect(read.map(({ payload, ...meta }) => meta)).toEqual(
      messages.map(({ payload, ...meta }) => meta),
    );
    expect(read.map((m, n) => m.payload.equals(messages[n]?.payload as Buffer))).toEqual([
      true,
      true,
      true,
    ]);
  });

  it("refuses a file that is not a recording and one cut in the middle of a message", () => {
    const other = path.join(dir, "other.json");
    writeFileSync(other, '{"entity":{}}');
    expect(() => openRecording(other)).toThrow(RecordingError);
    expect(() => openRecording(path.join(dir, "missing.bin"))).toThrow(/can't open the recording/);

    const file = path.join(dir, "sim.bin");
    recordSimulation(createSimulation(options), file, 2_000);
    const bytes = readFileSync(file);
    const cut = path.join(dir, "cut.bin");
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    expect(() => readAll(cut)).toThrow(/ends in the middle of a message/);
  });

  it("publishes a recording until it ends, at the rate", async () => {
    const file = path.join(dir, "sim.bin");
    const recorded = recordSimulation(createSimulation(options), file, 3_000);
    const sent: SimulatedMessage[] = [];
    const publisher: Publisher = {
      async publish(message) {
        sent.push(message);
      },
      async close() {},
    };
    const recording = openRecording(file);
    const summary = await publishSimulation(recording, publisher, {
      rate: 30_000,
      durationMs: Number.POSITIVE_INFINITY,
    });
    recording.close();
    expect(summary).toMatchObject({ messages: recorded.messages, elements: recorded.elements });
    expect(sent).toEqual(readAll(file));
    // 3,000 elements at 30,000/s: about 100 ms, not as fast as possible
    expect(summary.elapsedMs).toBeGreaterThanOrEqual(60);
  });
});
