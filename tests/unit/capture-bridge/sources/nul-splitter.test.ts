import { describe, expect, it } from "vitest";
import { MAX_DOCUMENT_BYTES, NulSplitter } from "../../../../capture-bridge/sources/local";

const texts = (buffers: Buffer[]) => buffers.map((b) => b.toString());

describe("NulSplitter", () => {
  it("splits at NULs, joins documents cut across chunks, and skips empty ones", () => {
    const splitter = new NulSplitter();
    expect(texts(splitter.push(Buffer.from('{"a":1}\0{"b"')))).toEqual(['{"a":1}']);
    expect(texts(splitter.push(Buffer.from(":2")))).toEqual([]);
    expect(texts(splitter.push(Buffer.from('}\0\0{"c":3}\0')))).toEqual(['{"b":2}', '{"c":3}']);
    expect(splitter.flush().length).toBe(0);
  });

  it("keeps an unterminated tail for flush", () => {
    const splitter = new NulSplitter();
    expect(splitter.push(Buffer.from('{"a":1}\0{"tail"'))).toHaveLength(1);
    expect(splitter.flush().toString()).toBe('{"tail"');
  });

  it("hands on a document that grows past the limit without a NUL, instead of growing memory", () => {
    const splitter = new NulSplitter();
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    let out: Buffer[] = [];
    for (let i = 0; out.length === 0; i++) {
      expect(i).toBeLessThan(MAX_DOCUMENT_BYTES / chunk.length + 2);
      out = splitter.push(chunk);
    }
    expect(out[0]?.length).toBeGreaterThan(MAX_DOCUMENT_BYTES);
    expect(splitter.flush().length).toBe(0);
  });
});
