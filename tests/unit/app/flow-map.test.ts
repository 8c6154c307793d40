import { describe, expect, it } from "vitest";
import { flowMapElements } from "../../../app/components/flow-map";

describe("flowMapElements", () => {
  it("draws you -> categories -> services -> organisations, marking unlawful flows", () => {
    const elements = flowMapElements("You", {
      categories: [{ key: "email", label: "Email address" }],
      services: [
        { id: 1, name: "Sign-up", organisation: "Lumen Books" },
        { id: 2, name: "Mailer", organisation: null },
      ],
      links: [
        { category: "email", serviceId: 1, unlawful: false },
        { category: "email", serviceId: 2, unlawful: true },
      ],
    });
    expect(elements.map((e) => [e.data, e.classes])).toEqual([
      [{ id: "you", label: "You" }, "you"],
      [{ id: "category:email", label: "Email address" }, "category"],
      [{ id: "service:1", label: "Sign-up" }, "service"],
      [{ id: "service:2", label: "Mailer" }, "service"],
      [{ id: "org:Lumen Books", label: "Lumen Books" }, "organisation"],
      [{ id: "gave:email", source: "you", target: "category:email" }, "gave"],
      [{ id: "flow:email:1", source: "category:email", target: "service:1" }, "flow"],
      [{ id: "flow:email:2", source: "category:email", target: "service:2" }, "flow unlawful"],
      [{ id: "runs:1", source: "service:1", target: "org:Lumen Books" }, "runs"],
    ]);
  });
});
