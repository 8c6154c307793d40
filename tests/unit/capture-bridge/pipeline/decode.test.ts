import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  type DocumentText,
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

describe("readDocuments on camflowd's unescaped strings", () => {
  // A real v0.3.x vertex (website walkthrough), its raw fields damaged as camflowd damages them.
  const vertex = (pathname: string, secctx = "unconfined_u:object_r:user_tmp_t:s0") =>
    `{"prefix":{"prov" : "http://www.w3.org/ns/prov", "cf":"http://www.camflow.org"}, "entity":{"cf:ABAAAAAAACBq5AEAAAAAABwAAAAHfl4eCwAAAAAAAAA=":{"cf:id":"123498","prov:type":"file_name","cf:boot_id":28,"cf:machine_id":"cf:509509127","cf:version":0,"cf:date":"2017:09:25T21:11:46","cf:secctx":"${secctx}","cf:pathname":"${pathname}","prov:label":"[file_name] ${pathname}"}}}`;
  const attributesOf = (doc: DocumentText | undefined) => {
    if (!doc?.ok) throw new Error(`not read: ${JSON.stringify(doc)}`);
    const entity = (doc.value as { entity: Record<string, Record<string, string>> }).entity;
    return Object.values(entity)[0] ?? {};
  };

  it("puts back a quote, a tab and a stray backslash, keeping the text as received", () => {
    const text = vertex('/tmp/say "hi".txt', "u:r:\\q\tx");
    expect(() => JSON.parse(text)).toThrow();
    const [doc] = readDocuments(text);
    expect(doc).toMatchObject({ ok: true, repaired: true, text });
    expect(attributesOf(doc)["cf:pathname"]).toBe('/tmp/say "hi".txt');
    expect(attributesOf(doc)["cf:secctx"]).toBe("u:r:\\q\tx");
  });

  it("rejoins a document split by a newline in a pathname, between status lines", () => {
    const broken = vertex("/tmp/two\nlines");
    const log = [
      "Starting audit service...",
      broken,
      '{"entity":{"cf:b":{}}}',
      "Output option: log",
    ].join("\n");
    const docs = readDocuments(log);
    expect(docs.map((d) => d.ok)).toEqual([true, true]);
    expect(attributesOf(docs[0])["cf:pathname"]).toBe("/tmp/two\nlines");
    expect(docs[0]?.text).toBe(broken);
  });

  it("does not repair what is not camflowd's, nor a document cut short", () => {
    expect(readDocuments('{"entity":{"ex:e":{"ex:x":"a"b"}}}')[0]?.ok).toBe(false);
    const cut = vertex("/tmp/x").slice(0, 200);
    const docs = readDocuments(`${cut}\nstatus line`);
    expect(docs).toEqual([
      { ok: false, text: `${cut}\nstatus line`, reason: expect.stringMatching(/^not JSON/) },
    ]);
  });
});
