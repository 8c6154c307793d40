import { describe, expect, it } from "vitest";
import { parseRegistration } from "../../../app/routes/dpo.enforcement/forms";

const VALID = {
  name: "Mailer",
  services: ["Newsletter"],
  failClosed: false,
  failClosedMinutes: "",
};

describe("parseRegistration", () => {
  it("takes a named point guarding services, failing open unless asked", () => {
    expect(parseRegistration(VALID)).toEqual({
      ok: true,
      data: { name: "Mailer", services: ["Newsletter"], failClosedAfterSeconds: null },
    });
    expect(parseRegistration({ ...VALID, failClosed: true, failClosedMinutes: " 15 " })).toEqual({
      ok: true,
      data: { name: "Mailer", services: ["Newsletter"], failClosedAfterSeconds: 900 },
    });
  });

  it("names every wrong field at once", () => {
    expect(
      parseRegistration({ name: " ", services: [], failClosed: true, failClosedMinutes: "ten" }),
    ).toEqual({
      ok: false,
      errors: {
        name: "enforcement.errors.name",
        services: "enforcement.errors.services",
        failClosedMinutes: "enforcement.errors.minutes",
      },
    });
  });

  it("refuses a bound outside 1 minute to a week, and a long name", () => {
    for (const minutes of ["0", "10081", "1.5", "-3"]) {
      expect(parseRegistration({ ...VALID, failClosed: true, failClosedMinutes: minutes })).toEqual(
        {
          ok: false,
          errors: { failClosedMinutes: "enforcement.errors.minutes" },
        },
      );
    }
    expect(parseRegistration({ ...VALID, name: "x".repeat(81) })).toEqual({
      ok: false,
      errors: { name: "enforcement.errors.tooLong" },
    });
  });
});
