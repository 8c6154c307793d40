import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IngestTally } from "../../../capture-bridge/pipeline/ingest";
import {
  FileSourceError,
  listFiles,
  progressBar,
  readMessages,
} from "../../../capture-bridge/sources/files";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "provtopia-files-"));
  await mkdir(path.join(dir, "b", "deeper"), { recursive: true });
  await writeFile(path.join(dir, "a.json"), "{}");
  await writeFile(path.join(dir, "b", "z.log"), "x");
  await writeFile(path.join(dir, "b", "deeper", "c.ndjson"), "{}");
  await writeFile(path.join(dir, "b", "README.md"), "notes");
  await writeFile(path.join(dir, ".hidden.json"), "{}");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("listFiles", () => {
  it("recurses directories in name order, skipping dotfiles and non-provenance names", async () => {
    const { files, ignored } = await listFiles([dir]);
    expect(files.map((f) => path.relative(dir, f.path))).toEqual([
      "a.json",
      "b/deeper/c.ndjson",
      "b/z.log",
    ]);
    expect(ignored.map((f) => path.relative(dir, f))).toEqual(["b/README.md"]);
  });

  it("reads a file named on the command line whatever its name", async () => {
    const { files } = await listFiles([path.join(dir, "b", "README.md")]);
    expect(files).toHaveLength(1);
  });

  it("names a path it cannot read", async () => {
    await expect(listFiles([path.join(dir, "missing")])).rejects.toThrow(FileSourceError);
    await expect(listFiles([path.join(dir, "missing")])).rejects.toThrow(/couldn't read .*missing/);
  });
});

describe("readMessages", () => {
  const collect = async (file: string, chunkBytes: number) => {
    const { files } = await listFiles([file]);
    const out: { text: string; offset: number }[] = [];
    for await (const m of readMessages(files[0] as never, chunkBytes)) {
      out.push({ text: m.payload.toString("utf8"), offset: m.offset });
    }
    return out;
  };

  it("cuts a big line-oriented file at line ends, losing no byte", async () => {
    const lines = Array.from({ length: 50 }, (_, i) =>
      JSON.stringify({ entity: { [`e${i}`]: {} } }),
    );
    const text = `Starting audit service...\n${lines.join("\n")}`;
    const file = path.join(dir, "stream.log");
    await writeFile(file, text);
    const chunks = await collect(file, 256);
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.map((c) => c.text).join("")).toBe(text);
    expect(chunks.slice(0, -1).every((c) => c.text.endsWith("\n"))).toBe(true);
    expect(chunks.at(-1)?.offset).toBe(Buffer.byteLength(text));
  });

  it("keeps a pretty-printed document whole however big", async () => {
    const text = JSON.stringify(
      { entity: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`e${i}`, { x: i }])) },
      null,
      2,
    );
    const file = path.join(dir, "pretty.json");
    await writeFile(file, text);
    expect(await collect(file, 256)).toEqual([{ text, offset: Buffer.byteLength(text) }]);
  });
});

describe("progressBar", () => {
  const fakeStream = (isTTY: boolean) => {
    const written: string[] = [];
    const stream = { isTTY, columns: 100, write: (s: string) => written.push(s) > 0 };
    return { stream: stream as unknown as NodeJS.WriteStream, written };
  };

  it("draws a bar with percent and counts on a terminal, and clears it at the end", () => {
    const { stream, written } = fakeStream(true);
    const bar = progressBar(stream, 200);
    const tally = new IngestTally();
    tally.nodeIds.add("a");
    bar.update({ bytes: 200, file: "/x/capture.log", tally });
    bar.finish();
    expect(written[0]).toMatch(/^\r\[#+\] 100% 1 nodes, 0 relations, 0 quarantined capture\.log/);
    expect(written.at(-1)).toBe("\r\u001b[K");
  });

  it("writes nothing when stderr is not a terminal", () => {
    const { stream, written } = fakeStream(false);
    const bar = progressBar(stream, 200);
    bar.update({ bytes: 100, file: "f", tally: new IngestTally() });
    bar.finish();
    expect(written).toEqual([]);
  });
});
