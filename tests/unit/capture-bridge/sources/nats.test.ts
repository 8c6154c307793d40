import { describe, expect, it } from "vitest";
import {
  hostOfSubject,
  redeliveryDelayMs,
  subjectCovers,
} from "../../../../capture-bridge/sources/nats";

describe("NATS source helpers", () => {
  it("reads the capture host from the subject, like the MQTT topic", () => {
    expect(hostOfSubject("camflow.provenance.909611570", "camflow.provenance")).toBe("909611570");
    expect(hostOfSubject("camflow.provenance.web.eu-1", "camflow.provenance")).toBe("web.eu-1");
    expect(hostOfSubject("other.subject", "camflow.provenance")).toBe("other.subject");
  });

  it("backs off redelivery after store failures: 1 s, 2 s, 4 s ... at most 30 s", () => {
    expect([1, 2, 3, 4, 5, 6, 50].map(redeliveryDelayMs)).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
  });

  it("knows which stream subjects hold a filter", () => {
    const cases: Array<[string, string, boolean]> = [
      ["camflow.provenance.>", "camflow.provenance.>", true],
      ["camflow.>", "camflow.provenance.>", true],
      [">", "camflow.provenance.>", true],
      ["camflow.*.>", "camflow.provenance.>", true],
      ["camflow.provenance.*", "camflow.provenance.>", false],
      ["camflow.other.>", "camflow.provenance.>", false],
      ["camflow.provenance", "camflow.provenance.>", false],
    ];
    for (const [subject, filter, want] of cases) {
      expect(subjectCovers(subject, filter), `${subject} ⊇ ${filter}`).toBe(want);
    }
  });
});
