import { describe, expect, it } from "vitest";
import { parseAnswer, parseNotice } from "../../../app/routes/dpo.requests/forms";
import { CHOICE_FORMS } from "../../../app/routes/me_.choices/forms";

const form = (values: Record<string, string>) => {
  const data = new FormData();
  for (const [key, value] of Object.entries(values)) data.set(key, value);
  return data;
};

describe("the DPO's answer to an erasure request", () => {
  it("takes the request, the outcome and a trimmed answer", () => {
    expect(
      parseAnswer(
        form({ request: "7", outcome: "refused", answer: "  Kept for tax law, 10 years.  " }),
      ),
    ).toEqual({ input: { request: 7, outcome: "refused", answer: "Kept for tax law, 10 years." } });
  });

  it("says what is wrong, keeping what was typed", () => {
    expect(parseAnswer(form({ request: "7", outcome: "", answer: "short" }))).toEqual({
      request: 7,
      values: { outcome: "", answer: "short" },
      errors: { outcome: "requests.errors.outcome", answer: "requests.errors.answer" },
    });
    const long = parseAnswer(form({ request: "7", outcome: "erased", answer: "x".repeat(2001) }));
    expect("errors" in long && long.errors).toEqual({ answer: "requests.errors.answerTooLong" });
  });

  it("refuses a request id that is not one, at the top of the page", () => {
    const failure = parseAnswer(
      form({ request: "abc", outcome: "erased", answer: "All erased, all told." }),
    );
    expect(failure).toMatchObject({ request: null, errors: { form: "requests.errors.request" } });
  });
});

describe("the subject's erasure form", () => {
  it("needs the box ticked", () => {
    expect(CHOICE_FORMS.erase.safeParse({ confirm: "on" }).success).toBe(true);
    const refused = CHOICE_FORMS.erase.safeParse({});
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toBe("choices.errors.confirmErase");
  });
});

describe("the DPO's 'mark as told' form", () => {
  it("takes a request id and an organisation, trimmed", () => {
    expect(parseNotice(form({ request: "7", organisation: " FlackCo " }))).toEqual({
      input: { request: 7, organisation: "FlackCo" },
    });
  });

  it("says what is wrong at the top of the page, as a translation key", () => {
    expect(parseNotice(form({ request: "x", organisation: "FlackCo" }))).toEqual({
      request: null,
      errors: { form: "requests.errors.request" },
    });
    for (const organisation of ["", "   ", "o".repeat(201)]) {
      expect(parseNotice(form({ request: "7", organisation }))).toEqual({
        request: null,
        errors: { form: "requests.errors.organisation" },
      });
    }
    expect(parseNotice(form({ request: "7" }))).toEqual({
      request: null,
      errors: { form: "requests.errors.organisation" },
    });
  });
});
