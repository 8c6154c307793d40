/**
 * Collects a postgres.js `COPY … TO STDOUT` stream into one buffer. Used by Store.copyBinary
 * (db/client.ts) and, as source text, by the ledger verifier's worker threads, which read their
 * own chunks over their own connections (db/ledger/verify-pool.ts): so it is self-contained, it
 * refers to nothing outside its own body but its arguments and JavaScript's globals.
 *
 * Each row arrives as its own CopyData message. postgres.js 3.4 pauses the socket when a push
 * finds the stream's buffer full, and if CopyDone came in the same read nothing resumes it: the
 * connection's next query hangs (porsager/postgres#499; the fix, #1016, is unreleased). So the
 * rows are taken in flowing mode as they arrive (the buffer stays empty), and once the stream has
 * ended its read hook, which resumes the socket, is called: rows that came before the listener
 * (same read as CopyOutResponse) may have filled the buffer.
 *
 * The bytes are written from the start of `reuse`'s buffer when they fit; the result is a view
 * starting at offset 0 of its ArrayBuffer, which holds nothing else.
 */
export async function collectCopyStream(
  stream: NodeJS.ReadableStream,
  reuse?: Uint8Array,
): Promise<Uint8Array> {
  let target =
    reuse && reuse.byteOffset === 0 && reuse.buffer instanceof ArrayBuffer
      ? new Uint8Array(reuse.buffer)
      : new Uint8Array(0);
  let length = 0;
  await new Promise<void>((resolve, reject) => {
    stream.on("data", (part: Uint8Array) => {
      if (length + part.length > target.length) {
        const grown = new Uint8Array(Math.max(2 * target.length, length + part.length, 1 << 16));
        grown.set(target.subarray(0, length));
        target = grown;
      }
      target.set(part, length);
      length += part.length;
    });
    stream.once("end", resolve);
    stream.once("error", reject);
  });
  (stream as unknown as { _read(size: number): void })._read(0);
  return target.subarray(0, length);
}
