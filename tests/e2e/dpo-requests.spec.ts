/**
 * Erasure requests end to end on the running demo: Bob asks (the form wants the box ticked,
 * and says so in French); the DPO sees the request with every service Bob's data reached
 * (third parties are marked: tests/integration/db/erasure-requests.test.ts has Alice's),
 * refuses an empty answer, then answers; both see that nothing of Bob's was used after the
 * answer; Bob sees the answer and may ask again. Alice sees nothing of Bob's, and the DPO's page is not hers.
 */
import { ALICE, BOB, CAROL, DPO, expect, logIn, logOut, test, translation } from "./fixtures";

test.describe("erasure requests", () => {
  test("a subject asks, the DPO answers with where the data went, the subject sees it", async ({
    page,
    browserErrors,
  }) => {
    browserErrors.allowErrorResponse(400, "/me/choices.data");
    browserErrors.allowErrorResponse(400, "/dpo/requests.data");
    await logIn(page, BOB);
    await page.goto("/me/choices");
    await page.getByRole("button", { name: "Français" }).click();
    const erasure = page.locator("#erasure");
    await erasure.getByRole("button", { name: translation("fr", "choices.erasure.ask") }).click();
    await expect(
      erasure.getByLabel(translation("fr", "choices.erasure.confirm")),
    ).toHaveAccessibleDescription(translation("fr", "choices.errors.confirmErase"));
    await erasure.getByLabel(translation("fr", "choices.erasure.confirm")).check();
    await erasure.getByRole("button", { name: translation("fr", "choices.erasure.ask") }).click();
    await expect(page.getByTestId("choice-done")).toHaveText(
      translation("fr", "choices.done.erase"),
    );
    await expect(erasure.getByTestId("erasure-request")).toHaveAttribute("data-status", "open");
    // Asked once: the form is gone while the request is open.
    await expect(
      erasure.getByRole("button", { name: translation("fr", "choices.erasure.ask") }),
    ).toHaveCount(0);
    await page.getByRole("button", { name: "English" }).click();
    await logOut(page);

    await logIn(page, DPO);
    await page.getByRole("link", { name: translation("en", "nav.requests") }).click();
    const request = page.locator('[data-testid="open-request"][data-subject="subj-bob"]');
    await expect(request).toBeVisible();
    // Bob's data stayed with Lumen Books: sign-up, CRM and its backups, no third party.
    await expect(request.getByTestId("recipient").locator("th")).toHaveText([
      "Backups",
      "CRM",
      "Sign-up",
    ]);
    await expect(request.locator('[data-testid="recipient"][data-third-party="yes"]')).toHaveCount(
      0,
    );

    const answerForm = request.getByTestId("answer-form");
    await answerForm.getByRole("button", { name: translation("en", "requests.send") }).click();
    await expect(
      answerForm.getByLabel(translation("en", "requests.outcome")),
    ).toHaveAccessibleDescription(translation("en", "requests.errors.outcome"));
    const answer = "Erased from sign-up, CRM and the backups on 2 December.";
    await answerForm
      .getByLabel(translation("en", "requests.outcome"))
      .selectOption({ label: translation("en", "requests.outcomes.erased") });
    await answerForm.getByLabel(translation("en", "requests.answer")).fill(answer);
    await answerForm.getByRole("button", { name: translation("en", "requests.send") }).click();
    await expect(page.getByTestId("request-answered")).toHaveText(
      translation("en", "requests.done.erased"),
    );
    await expect(page.locator('[data-testid="open-request"][data-subject="subj-bob"]')).toHaveCount(
      0,
    );
    await expect(page.getByTestId("answered-request").first()).toContainText(answer);
    // Nothing of Bob's was seen after the answer (the demo's uses are all earlier).
    await expect(page.getByTestId("answered-request").first().getByTestId("used-since")).toHaveText(
      translation("en", "requests.sinceClean"),
    );
    await logOut(page);

    await logIn(page, BOB);
    await page.goto("/me/choices#erasure");
    const done = page.locator("#erasure").getByTestId("erasure-request");
    await expect(done).toHaveAttribute("data-status", "erased");
    await expect(done.getByTestId("erasure-answer")).toHaveText(answer);
    await expect(done.getByTestId("erased-since")).toHaveText(
      translation("en", "choices.erasure.sinceClean"),
    );
    await expect(
      page
        .locator("#erasure")
        .getByRole("button", { name: translation("en", "choices.erasure.ask") }),
    ).toBeVisible();
  });

  test("an erasure that did not hold shows, to the DPO and to the subject", async ({ page }) => {
    // The demo: Carol's erasure was answered on 6 November; her CRM contact went to AdReach's
    // audience matching on the 20th.
    await logIn(page, DPO);
    await page.goto("/dpo/requests");
    const carols = page.getByTestId("answered-request").filter({ hasText: "subj-carol" });
    await expect(carols).toHaveAttribute("data-status", "erased");
    const since = carols.getByTestId("used-since");
    await expect(since).toContainText(translation("en", "requests.sinceUsed"));
    await expect(since.getByTestId("used-since-service")).toHaveCount(1);
    await expect(since.getByTestId("used-since-service")).toContainText(
      "Audience matching (AdReach Inc)",
    );
    await expect(since.getByTestId("used-since-service")).toContainText(
      translation("en", "processing.organisations.thirdParty"),
    );
    await logOut(page);

    await logIn(page, CAROL);
    await page.goto("/me/choices#erasure");
    await page.getByRole("button", { name: "Deutsch" }).click();
    const request = page.locator("#erasure").getByTestId("erasure-request");
    await expect(request).toHaveAttribute("data-status", "erased");
    const seen = request.getByTestId("erased-since");
    await expect(seen).toContainText(translation("de", "choices.erasure.sinceUsed"));
    await expect(seen).toContainText("Audience matching (AdReach Inc)");
    await expect(seen).toContainText(translation("de", "choices.erasure.sinceUsedAfter"));
    // Who at the organisation answered is not sent to the subject's browser at all.
    expect(await page.content()).not.toContain(DPO.email);
  });

  test("Alice sees nothing of Bob's requests, and the DPO's page is not hers", async ({
    page,
    browserErrors,
  }) => {
    browserErrors.allowErrorResponse(403, "/dpo/requests");
    await logIn(page, ALICE);
    await page.goto("/me/choices");
    await expect(page.locator("#erasure").getByTestId("erasure-request")).toHaveCount(0);
    const response = await page.goto("/dpo/requests");
    expect(response?.status()).toBe(403);
  });
});

test.describe("telling the recipients (Art. 19)", () => {
  test("the DPO marks a third party told, with the notice to send; the subject sees whom", async ({
    page,
  }) => {
    await logIn(page, ALICE);
    await page.goto("/me/choices#erasure");
    const erasure = page.locator("#erasure");
    await erasure.getByLabel(translation("en", "choices.erasure.confirm")).check();
    await erasure.getByRole("button", { name: translation("en", "choices.erasure.ask") }).click();
    await expect(erasure.getByTestId("erasure-request")).toHaveAttribute("data-status", "open");
    await logOut(page);

    await logIn(page, DPO);
    await page.goto("/dpo/requests");
    const request = page.locator('[data-testid="open-request"][data-subject="subj-alice"]');
    const notices = request.getByTestId("notice");
    // Alice's data reached four third parties; her own organisation is not one to tell.
    await expect(notices).toHaveCount(4);
    await expect(request.locator('[data-organisation="Lumen Books"]')).toHaveCount(0);
    const postHaste = request.locator('[data-testid="notice"][data-organisation="PostHaste Ltd"]');
    await postHaste.getByText(translation("en", "requests.noticeText")).click();
    await expect(postHaste.getByRole("textbox")).toHaveValue(/To PostHaste Ltd/);
    await expect(postHaste.getByRole("textbox")).toHaveValue(/subj-alice/);
    await expect(postHaste.getByRole("textbox")).toHaveValue(/Mail delivery/);
    await postHaste.getByRole("button", { name: translation("en", "requests.markTold") }).click();
    await expect(page.getByTestId("request-answered")).toHaveText(
      translation("en", "requests.done.told"),
    );
    await expect(postHaste.getByTestId("told")).toContainText(DPO.email);
    await expect(
      postHaste.getByRole("button", { name: translation("en", "requests.markTold") }),
    ).toHaveCount(0);
    await logOut(page);

    await logIn(page, ALICE);
    await page.goto("/me/choices#erasure");
    await page.getByRole("button", { name: "Français" }).click();
    await expect(page.locator("#erasure").getByTestId("told-of")).toHaveText(
      new RegExp(`^${translation("fr", "choices.erasure.toldOf")} PostHaste Ltd \\(`),
    );
  });
});
