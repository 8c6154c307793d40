/**
 * A recorded simulation. `provtopia simulate --record FILE` writes the messages a simulation
 * would publish (topic suffix, host, flavour, element count, payload bytes) to FILE instead of a
 * broker; `--replay FILE` publishes them, in order, at the rate. Replaying costs the publisher a
 * read and a send per message instead of building and compressing each document, so a bench that
 * replays a recording measures the bridge and the database rather than the generator sharing
 * their cores (decision 46).
 *
 * Format: the magic line, then one frame per message:
 * u32 (big-endian) header length, the header as JSON ({topicSuffix, host, elements, flavour}),
 * u32 payload length, the payload bytes. Read synchronously, frame by frame, through one
 * buffer that grows only to the largest frame, so replaying a recording of any length takes
 * little memory.
 */
import { closeSync, openSync, readSync, renameSync, writeSync } from "node:fs";
import type { SimulatedMessage } from "./organisation";

const MAGIC = Buffer.from("provtopia-simulation 1\n");
const WRITE_CHUNK = 1 << 20;
const READ_CHUNK = 1 << 20;

export class RecordingError extends Error {}

export interface MessageSource {
  /** The next message, or undefined when there are no more. */
  next(): SimulatedMessage | undefined;
}

export interface RecordingSummary {
  messages: number;
  elements: number;
  bytes: number;
}

/**
 * Writes messages from `source` to `file` until at least `elements` elements are written (or
 * the source ends). The file appears whole or not at all: it is written under a temporary name
 * and renamed at the end.
 */
export function recordSimulation(
  source: MessageSource,
  file: string,
  elements: number,
): RecordingSummary {
  const partial = `${file}.partial-${process.pid}`;
  const fd = openSync(partial, "w");
  const summary: RecordingSummary = { messages: 0, elements: 0, bytes: 0 };
  try {
    let pending: Buffer[] = [MAGIC];
    let pendingBytes = MAGIC.length;
    const flush = () => {
      const chunk = Buffer.concat(pending, pendingBytes);
      let written = 0;
      while (written < chunk.length) written += writeSync(fd, chunk, written);
      pending = [];
      pendingBytes = 0;
    };
    while (summary.elements < elements) {
      const message = source.next();
      if (message === undefined) break;
      const header = Buffer.from(
        JSON.stringify({
          topicSuffix: message.topicSuffix,
          host: message.host,
          elements: message.elements,
          flavour: message.flavour,
        }),
      );
      const lengths = Buffer.alloc(8);
      lengths.writeUInt32BE(header.length, 0);
      lengths.writeUInt32BE(message.payload.length, 4);
      // header length, header, payload length, payload
      pending.push(lengths.subarray(0, 4), header, lengths.subarray(4), message.payload);
      pendingBytes += 8 + header.length + message.payload.length;
      if (pendingBytes >= WRITE_CHUNK) flush();
      summary.messages += 1;
      summary.elements += message.elements;
      summary.bytes += message.payload.length;
    }
    flush();
  } finally {
    closeSync(fd);
  }
  renameSync(partial, file);
  return summary;
}

/** Reads a recording written by recordSimulation, one message per `next()`. */
export function openRecording(file: string): MessageSource & { close(): void } {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (error) {
    throw new RecordingError(`can't open the recording ${file}: ${(error as Error).message}`);
  }
  let buffer = Buffer.alloc(READ_CHUNK);
  let start = 0; // first unread byte in buffer
  let end = 0; // one past the last byte read into buffer
  let atEof = false;
  let closed = false;

  /** Makes at least `count` bytes available from `start`; false at the end of the file. */
  const ensure = (count: number): boolean => {
    while (end - start < count) {
      if (atEof) return false;
      if (start > 0) {
        buffer.copy(buffer, 0, start, end);
        end -= start;
        start = 0;
      }
      if (buffer.length < count) {
        const larger = Buffer.alloc(Math.max(count, buffer.length * 2));
        buffer.copy(larger, 0, 0, end);
        buffer = larger;
      }
      const read = readSync(fd, buffer, end, buffer.length - end, null);
      if (read === 0) atEof = true;
      end += read;
    }
    return true;
  };
  const take = (count: number): Buffer => {
    const bytes = buffer.subarray(start, start + count);
    start += count;
    return bytes;
  };
  const truncated = () => new RecordingError(`${file} ends in the middle of a message`);

  if (!ensure(MAGIC.length) || !take(MAGIC.length).equals(MAGIC)) {
    closeSync(fd);
    throw new RecordingError(`${file} is not a recording made by provtopia simulate --record`);
  }
  return {
    next() {
      if (closed) return undefined;
      if (!ensure(4)) {
        if (end > start) throw truncated();
        return undefined;
      }
      const headerLength = take(4).readUInt32BE(0);
      if (!ensure(headerLength + 4)) throw truncated();
      const header = JSON.parse(take(headerLength).toString("utf8")) as Omit<
        SimulatedMessage,
        "payload"
      >;
      const payloadLength = take(4).readUInt32BE(0);
      if (!ensure(payloadLength)) throw truncated();
      // A copy: the buffer is reused for the next frames while this payload is being sent.
      const payload = Buffer.from(take(payloadLength));
      return { ...header, payload };
    },
    close() {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}
