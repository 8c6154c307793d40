/**
 * Files as a source: `provtopia ingest FILE|DIR...`. Directories are walked recursively (sorted,
 * dotfiles skipped, only PROVENANCE_EXTENSIONS taken: a README beside the captures is not a
 * message to quarantine; the files left out are counted), every file goes through the same ingestMessage as MQTT messages do, with
 * source `file:<path>` and the operator's `--host` for documents that name no capture host.
 *
 * Memory stays bounded on big captures: a line-oriented file (a CamFlow `output=log` file, a
 * spade_json log, one document per line) larger than CHUNK_BYTES is read as a stream and handed
 * over in chunks of whole lines. Anything else (one JSON document, pretty-printed) is one message.
 * Pending relations make chunking safe: an edge whose vertex is in a later chunk waits in the
 * store like one from a later MQTT message.
 */
import { createReadStream } from "node:fs";
import { open, readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { Store } from "../../db/client";
import { type IngestTally, ingestMessage } from "../pipeline/ingest";

/** Line-oriented files above this size are ingested in chunks of about this many bytes. */
export const CHUNK_BYTES = 8 * 1024 * 1024;

/** What a directory walk takes; a file named on the command line is read whatever its name. */
export const PROVENANCE_EXTENSIONS: ReadonlySet<string> = new Set([
  ".json",
  ".jsonl",
  ".ndjson",
  ".log",
]);

/** How much of a file is read to tell a line-oriented file from one JSON document. */
const SNIFF_BYTES = 64 * 1024;

export class FileSourceError extends Error {
  readonly code = "FILE_SOURCE";

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FileSourceError";
  }
}

export interface FileEntry {
  path: string;
  bytes: number;
}

/**
 * The regular files under `paths` (files as given, directories recursed), in a stable order:
 * each argument in turn, a directory's entries sorted by name, dotfiles skipped, and in
 * directories only PROVENANCE_EXTENSIONS (the others come back in `ignored`).
 * Throws FileSourceError naming the path that cannot be read.
 */
export async function listFiles(
  paths: readonly string[],
): Promise<{ files: FileEntry[]; ignored: string[] }> {
  const files: FileEntry[] = [];
  const ignored: string[] = [];
  const visit = async (file: string, explicit: boolean): Promise<void> => {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(file);
    } catch (error) {
      throw new FileSourceError(`couldn't read ${file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (info.isDirectory()) {
      const names = (await readdir(file)).filter((name) => !name.startsWith(".")).sort();
      for (const name of names) await visit(path.join(file, name), false);
    } else if (!explicit && !PROVENANCE_EXTENSIONS.has(path.extname(file).toLowerCase())) {
      ignored.push(file);
    } else if (info.isFile()) {
      files.push({ path: file, bytes: info.size });
    } else if (explicit) {
      throw new FileSourceError(`couldn't read ${file}: not a regular file or directory`);
    }
  };
  for (const file of paths) await visit(file, true);
  return { files, ignored };
}

/** Called after each message with the bytes of all files handed over so far. */
export type FileProgress = (done: { bytes: number; file: string; tally: IngestTally }) => void;

/**
 * Ingests the files in order into `tally`; `onProgress` hears about each message stored.
 * Throws FileSourceError when a file cannot be read, and whatever the store throws.
 */
export async function ingestFiles(
  store: Store,
  files: readonly FileEntry[],
  options: { host: string; tally: IngestTally; onProgress?: FileProgress; chunkBytes?: number },
): Promise<void> {
  let before = 0;
  for (const file of files) {
    const source = `file:${file.path}`;
    for await (const { payload, offset } of readMessages(file, options.chunkBytes)) {
      await ingestMessage(store, { source, host: options.host, payload }, options.tally);
      options.onProgress?.({ bytes: before + offset, file: file.path, tally: options.tally });
    }
    before += file.bytes;
  }
}

/**
 * The file as one message, or in chunks of whole lines (about `chunkBytes` each) when it is
 * bigger than that and line-oriented. `offset` is the bytes of the file handed over so far.
 */
export async function* readMessages(
  file: FileEntry,
  chunkBytes = CHUNK_BYTES,
): AsyncGenerator<{ payload: Buffer; offset: number }> {
  try {
    if (file.bytes <= chunkBytes || !(await isLineOriented(file.path))) {
      const handle = await open(file.path);
      try {
        const payload = await handle.readFile();
        yield { payload, offset: payload.length };
      } finally {
        await handle.close();
      }
      return;
    }
    let carry: Buffer = Buffer.alloc(0);
    let offset = 0;
    for await (const piece of createReadStream(file.path, { highWaterMark: chunkBytes })) {
      const data = Buffer.concat([carry, piece as Buffer]);
      const cut = data.lastIndexOf(0x0a) + 1;
      if (cut === 0) {
        carry = data; // one line longer than a chunk: keep reading until it ends
        continue;
      }
      offset += cut;
      carry = data.subarray(cut);
      yield { payload: data.subarray(0, cut), offset };
    }
    if (carry.length > 0) yield { payload: carry, offset: offset + carry.length };
  } catch (error) {
    if (error instanceof FileSourceError) throw error;
    throw new FileSourceError(`couldn't read ${file.path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * True when the file holds one record per line: its first non-blank line is a whole JSON value
 * or not JSON at all (a camflowd status line). A pretty-printed document's first line (`{`) is
 * neither, so it is read whole.
 */
async function isLineOriented(file: string): Promise<boolean> {
  const handle = await open(file);
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    const text = buffer
      .subarray(0, bytesRead)
      .toString("utf8")
      .replace(/^\uFEFF/, "");
    const lines = text.split("\n");
    if (lines.length < 2) return false; // no line ends in the first SNIFF_BYTES
    const first = lines.find((line) => line.trim() !== "")?.trim() ?? "";
    if (!first.startsWith("{") && !first.startsWith("[")) return true;
    try {
      JSON.parse(first);
      return true;
    } catch {
      return false; // the start of a multi-line document
    }
  } finally {
    await handle.close();
  }
}

/**
 * A one-line progress bar on a terminal (redrawn in place, at most every 100 ms); nothing when
 * `stream` is not a TTY, so logs and pipes stay clean.
 */
export function progressBar(
  stream: NodeJS.WriteStream,
  totalBytes: number,
): { update: FileProgress; finish(): void } {
  if (!stream.isTTY) return { update: () => {}, finish: () => {} };
  const REDRAW_MS = 100;
  let last = 0;
  let drawn = false;
  const update: FileProgress = ({ bytes, file, tally }) => {
    const now = Date.now();
    if (now - last < REDRAW_MS && bytes < totalBytes) return;
    last = now;
    const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - 60));
    const ratio = totalBytes === 0 ? 1 : Math.min(1, bytes / totalBytes);
    const filled = Math.round(ratio * width);
    const bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
    const counts = `${tally.nodeIds.size} nodes, ${tally.relationIds.size} relations, ${tally.quarantined} quarantined`;
    const name = path.basename(file);
    const line = `${bar} ${(ratio * 100).toFixed(0).padStart(3)}% ${counts} ${name}`;
    stream.write(`\r${line.slice(0, (stream.columns ?? 80) - 1)}\u001b[K`);
    drawn = true;
  };
  return {
    update,
    finish() {
      if (drawn) stream.write("\r\u001b[K");
    },
  };
}
