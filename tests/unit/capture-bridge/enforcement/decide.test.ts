import { describe, expect, it } from "vitest";
import { decide, indexRules, type RuleSet } from "../../../../capture-bridge/enforcement/decide";

const SET: RuleSet = {
  pointId: 3,
  point: "Newsletter mailer",
  version: 7,
  services: ["Newsletter", "Mail delivery"],
  failClosedAfterMs: null,
  rules: [
    {
      id: 1,
      subject: "alice",
      category: null,
      services: ["Newsletter"],
      since: "2026-11-05T10:00:00Z",
    },
    {
      id: 2,
      subject: "bob",
      category: "email",
      services: ["Newsletter", "Mail delivery"],
      since: "2026-11-06T10:00:00Z",
    },
  ],
};

describe("decide", () => {
  const index = indexRules(SET);

  it("blocks a subject's data of any category from the services of a rule without one", () => {
    for (const category of [undefined, "email", "location"]) {
      expect(decide(index, 0, 0, { subject: "alice", service: "Newsletter", category })).toEqual({
        allowed: false,
        reason: "blocked",
        rule: 1,
        version: 7,
      });
    }
    expect(decide(index, 0, 0, { subject: "alice", service: "Mail delivery" })).toEqual({
      allowed: true,
      reason: "no-block",
      version: 7,
    });
  });

  it("blocks only the rule's category, and an unnamed category conservatively", () => {
    expect(
      decide(index, 0, 0, { subject: "bob", service: "Mail delivery", category: "email" }).allowed,
    ).toBe(false);
    expect(
      decide(index, 0, 0, { subject: "bob", service: "Mail delivery", category: "location" })
        .allowed,
    ).toBe(true);
    expect(decide(index, 0, 0, { subject: "bob", service: "Mail delivery" }).allowed).toBe(false);
  });

  it("leaves services the point does not guard to others", () => {
    expect(decide(index, 0, 0, { subject: "alice", service: "CRM" })).toEqual({
      allowed: true,
      reason: "unguarded",
      version: 7,
    });
  });

  it("refuses everything without rules, and once rules are older than the fail-closed bound", () => {
    expect(decide(null, 0, 0, { subject: "carol", service: "Newsletter" })).toEqual({
      allowed: false,
      reason: "no-rules",
      version: null,
    });
    const bounded = indexRules({ ...SET, failClosedAfterMs: 60_000 });
    const carol = { subject: "carol", service: "Newsletter" };
    expect(decide(bounded, 1_000, 61_000, carol).allowed).toBe(true);
    expect(decide(bounded, 1_000, 61_001, carol)).toEqual({
      allowed: false,
      reason: "stale",
      version: 7,
    });
    // Without a bound, old rules still decide.
    expect(decide(index, 0, 10 ** 12, carol).allowed).toBe(true);
  });
});
