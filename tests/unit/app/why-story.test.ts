/** whyStory: the panels of a use's comic strip, from the flow, its witness path, consent and blocks. */
import { describe, expect, it } from "vitest";
import { type WhyFlow, whyStory } from "../../../app/components/why-comic";

const newsletter: WhyFlow = {
  category: "email",
  service: "Newsletter",
  organisation: "Lumen Books",
  purpose: "newsletter",
  collectedFor: "account",
  legalBasis: "consent",
  firstSeen: "2026-11-02T08:00:00Z",
  lastSeen: "2026-11-02T08:00:00Z",
  count: 1,
  status: "no-legal-basis",
};
const path = [
  { node: "ex:form", label: "Sign-up form (alice)", service: "Sign-up" },
  { node: "ex:socket", label: null, service: null },
  { node: "ex:crm-row", label: "CRM row", service: "CRM" },
  { node: "ex:crm-export", label: "CRM export", service: "CRM" },
  { node: "ex:mailing", label: "November newsletter", service: "Newsletter" },
];

describe("whyStory", () => {
  it("tells where the data was collected, each hand-over, the use, and the withdrawal before it", () => {
    const panels = whyStory(
      newsletter,
      path,
      [
        { purpose: "newsletter", action: "given", at: "2026-10-01T09:30:00Z" },
        { purpose: "newsletter", action: "withdrawn", at: "2026-11-01T18:00:00Z" },
      ],
      [],
    );
    expect(panels).toEqual([
      { kind: "collected", service: "Sign-up", what: "Sign-up form (alice)", purpose: "account" },
      { kind: "passed", from: "Sign-up", to: "CRM", via: "CRM row" },
      { kind: "passed", from: "CRM", to: "Newsletter", via: "November newsletter" },
      {
        kind: "used",
        service: "Newsletter",
        organisation: "Lumen Books",
        purpose: "newsletter",
        firstSeen: "2026-11-02T08:00:00Z",
        count: 1,
      },
      { kind: "withdrawn", purpose: "newsletter", at: "2026-11-01T18:00:00Z" },
    ]);
  });

  it("does not cite a withdrawal made after the use", () => {
    const panels = whyStory(
      newsletter,
      path,
      [{ purpose: "newsletter", action: "withdrawn", at: "2026-11-03T00:00:00Z" }],
      [],
    );
    expect(panels.at(-1)).toEqual({ kind: "never-consented", purpose: "newsletter" });
  });

  it("names the block in force at the use: the organisation's, not one set later", () => {
    const flack: WhyFlow = {
      ...newsletter,
      category: "commit",
      service: "Flack",
      organisation: "FlackCo",
      purpose: null,
      legalBasis: null,
      lastSeen: "2026-11-10T14:02:10Z",
      status: "after-block",
    };
    const panels = whyStory(
      flack,
      [],
      [],
      [
        {
          service: null,
          organisation: "FlackCo",
          createdAt: "2026-11-05T10:00:00Z",
          liftedAt: null,
        },
        { service: "Flack", organisation: null, createdAt: "2026-11-20T10:00:00Z", liftedAt: null },
      ],
    );
    expect(panels.map((p) => p.kind)).toEqual(["collected", "used", "blocked"]);
    expect(panels.at(-1)).toEqual({
      kind: "blocked",
      target: "FlackCo",
      at: "2026-11-05T10:00:00Z",
    });
  });

  it("ends an allowed use with its legal basis", () => {
    const panels = whyStory(
      { ...newsletter, service: "CRM", legalBasis: "legitimate_interests", status: "allowed" },
      path.slice(0, 3),
      [],
      [],
    );
    expect(panels.at(-1)).toEqual({ kind: "allowed", basis: "legitimate_interests" });
  });
});
