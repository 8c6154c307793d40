import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  decodePayload,
  MessageDecodeError,
  readDocuments,
} from "../../../../capture-bridge/pipeline/decode";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("decodePayload", () => {
  it("returns plain JSON as is", () => {
    expect(decodePayload(bytes('{"entity":{}}'))).toBe('{"entity":{}}');
  });

  it("accepts JSON behind a UTF-8 BOM", () => {
    expect(decodePayload(bytes('\uFEFF{"a":1}'))).toBe('{"a":1}');
  });

  it("inflates base64 of zlib-compressed JSON, as camflowd publishes over MQTT", () => {
    const wire = deflateSync(Buffer.from('{"prefix":{}}')).toString("base64");
    expect(decodePayload(bytes(wire))).toBe('{"prefix":{}}');
  });

  it("returns a CamFlow log, status lines and all, as text", () => {
    const log = "Starting audit service...\n{}";
    expect(decodePayload(bytes(log))).toBe(log);
  });

  it("rejects base64 that does not inflate", () => {
    const payload = bytes(Buffer.from("not zlib at all").toString("base64"));
    expect(() => decodePayload(payload)).toThrow(MessageDecodeError);
  });

  it("rejects bytes that are not UTF-8", () => {
    expect(() => decodePayload(new Uint8Array([0xff, 0xfe, 0x00, 0x41]))).toThrow(/not UTF-8/);
  });
});

describe("readDocuments", () => {
  it("reads one pretty-printed document as one", () => {
    const docs = readDocuments('{\n  "entity": {\n    "ex:e": {}\n  }\n}\n');
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ ok: true, value: { entity: { "ex:e": {} } } });
  });

  it("reads a CamFlow log line by line, skipping daemon status lines", () => {
    const log = [
      "Starting audit service...",
      '{"entity":{"cf:a":{}}}',
      "Output option: log",
      '{"activity":{"cf:b":{}}}',
    ].join("\n");
    const docs = readDocuments(log);
    expect(docs.map((d) => d.ok)).toEqual([true, true]);
    expect(docs.map((d) => d.text)).toEqual(['{"entity":{"cf:a":{}}}', '{"activity":{"cf:b":{}}}']);
  });

  it("reports a broken line and keeps the lines around it", () => {
    const docs = readDocuments('{"entity":{}}\n{"activity": {oops}\n{"agent":{}}');
    expect(docs.map((d) => d.ok)).toEqual([true, false, true]);
    const broken = docs[1];
    expect(broken?.ok === false && broken.reason).toMatch(/^not JSON: /);
  });

  it("reports a text that is neither JSON nor a log, whole", () => {
    const docs = readDocuments("hello\nworld");
    expect(docs).toEqual([
      { ok: false, text: "hello\nworld", reason: expect.stringMatching(/^not JSON/) },
    ]);
  });

  it("returns nothing for an empty message", () => {
    expect(readDocuments(" \n")).toEqual([]);
  });
});
