import { describe, expect, it } from "vitest";
import { flowMapElements } from "../../../app/components/flow-map";

describe("flowMapElements", () => {
  it("draws you, each organisation around its services, and each hop", () => {
    const elements = flowMapElements(
      "You",
      [
        { id: 1, name: "Sign-up", organisation: "Lumen Books" },
        { id: 2, name: "Mailer", organisation: null },
      ],
      [
        { from: null, to: 1, label: "Email address" },
        { from: 1, to: 2, label: "Email address" },
      ],
    );
    expect(elements.map((e) => e.data)).toEqual([
      { id: "you", label: "You" },
      { id: "org:Lumen Books", label: "Lumen Books" },
      { id: "service:1", label: "Sign-up", parent: "org:Lumen Books" },
      { id: "service:2", label: "Mailer" },
      { id: "hop:you:1", source: "you", target: "service:1", label: "Email address" },
      { id: "hop:1:2", source: "service:1", target: "service:2", label: "Email address" },
    ]);
  });
});
