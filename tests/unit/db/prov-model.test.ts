import { describe, expect, it } from "vitest";
import { gdprAnnotations } from "../../../db/prov/model";

describe("gdprAnnotations", () => {
  it("reads strings, typed literals and arrays, typed", () => {
    expect(
      gdprAnnotations({
        "gdpr:subject": ["subj-alice", { $: "subj-bob", type: "xsd:string" }, "subj-alice"],
        "gdpr:category": { $: "email", type: "prov:QUALIFIED_NAME" },
        "gdpr:purpose": "newsletter",
        "gdpr:consent": { $: "true", type: "xsd:boolean" },
        "gdpr:service": "Newsletter",
        "gdpr:organisation": "Lumen Books",
      }),
    ).toEqual({
      subjects: ["subj-alice", "subj-bob"],
      categories: ["email"],
      purposes: ["newsletter"],
      consent: true,
      service: "Newsletter",
      organisation: "Lumen Books",
      problems: [],
    });
  });

  it("keeps a consent reference as written, and booleans as booleans", () => {
    expect(gdprAnnotations({ "gdpr:consent": false }).consent).toBe(false);
    expect(gdprAnnotations({ "gdpr:consent": "false" }).consent).toBe(false);
    expect(gdprAnnotations({ "gdpr:consent": "consent-42" }).consent).toBe("consent-42");
    expect(gdprAnnotations({}).consent).toBeNull();
  });

  it("names what it cannot read instead of throwing", () => {
    const read = gdprAnnotations({
      "gdpr:subject": [[]],
      "gdpr:category": "",
      "gdpr:service": null,
    });
    expect(read.subjects).toEqual([]);
    expect(read.service).toBeNull();
    expect(read.problems).toHaveLength(3);
  });
});
