import { describe, expect, it } from "vitest";
import { parseFilters, parseMessageId } from "../../../app/routes/dpo.quarantine/filters";
import { previewOf } from "../../../db/queries/quarantine";

const params = (query: string) => new URLSearchParams(query);

describe("the quarantine page's filters", () => {
  it("takes parts of the source and reason, trimmed, and the page", () => {
    expect(parseFilters(params("source=+crm-1+&reason=JSON&before=120"))).toEqual({
      filter: { source: "crm-1", reason: "JSON", before: 120 },
      values: { source: "crm-1", reason: "JSON", kind: "" },
      errors: {},
    });
    expect(parseFilters(params(""))).toEqual({
      filter: {},
      values: { source: "", reason: "", kind: "" },
      errors: {},
    });
  });

  it("takes one kind of problem from the list, and says so for any other", () => {
    expect(parseFilters(params("kind=not-json&source=mqtt"))).toMatchObject({
      filter: { kind: "not-json", source: "mqtt" },
      errors: {},
    });
    for (const bad of ["json", "NOT-JSON", "not-json ", "other;drop"]) {
      const parsed = parseFilters(params(`kind=${encodeURIComponent(bad)}`));
      expect(parsed.errors, bad).toEqual({ kind: "quarantine.errors.badKind" });
      expect(parsed.filter).toEqual({});
      expect(parsed.values.kind).toBe(bad);
    }
  });

  it("says what is wrong with a filter too long or a page that is not one", () => {
    const long = "x".repeat(201);
    expect(parseFilters(params(`source=${long}&before=0`)).errors).toEqual({
      source: "quarantine.errors.tooLong",
      before: "quarantine.errors.badPage",
    });
    expect(parseFilters(params("reason=ok&before=12abc")).errors).toEqual({
      before: "quarantine.errors.badPage",
    });
    expect(parseFilters(params(`reason=${"y".repeat(200)}`)).errors).toEqual({});
  });

  it("accepts only a positive integer as a message id", () => {
    expect(parseMessageId("42")).toBe(42);
    for (const bad of [null, "", "0", "-1", "4.2", "1e3", "12345678901234567"]) {
      expect(parseMessageId(bad)).toBeNull();
    }
  });
});

describe("a quarantined message's preview", () => {
  const bytes = (text: string) => new TextEncoder().encode(text);

  it("shows UTF-8 as text, control characters as their symbols", () => {
    const message = bytes('{"a":"é\u0000\u001b"}\n');
    expect(previewOf(message, message.length)).toEqual({
      kind: "text",
      text: '{"a":"é\u2400\u241b"}\n',
      truncated: false,
    });
  });

  it("keeps text that the preview's end cut in the middle of a character", () => {
    const whole = bytes("Grüße aus Köln");
    const head = whole.subarray(0, 3); // "Gr" and the first byte of "ü"
    expect(previewOf(head, whole.length)).toEqual({ kind: "text", text: "Gr", truncated: true });
  });

  it("shows bytes that are not UTF-8 as a hex dump", () => {
    const head = Uint8Array.from([0x7b, 0x22, 0xc3, 0x28, 0xff, 0xfe, 0x00, 0x01, 0x7d]);
    expect(previewOf(head, head.length)).toEqual({
      kind: "hex",
      text: `00000000  7b 22 c3 28 ff fe 00 01 7d${" ".repeat(21)}  {".(....}`,
      truncated: false,
    });
    // a whole message that ends in a broken character is not text either
    expect(previewOf(Uint8Array.from([0x61, 0xc3]), 2).kind).toBe("hex");
  });
});
