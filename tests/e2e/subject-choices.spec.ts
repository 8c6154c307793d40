/**
 * A data subject decides: gives and withdraws consent, says "never again" to a service and
 * lifts it, in their language, with a clear refusal when the form is incomplete; and cannot
 * touch another subject's block. Runs against the seeded demo (Alice: newsletter consent given
 * then withdrawn, a block of FlackCo; Bob: data in Sign-up, CRM and Backups). Every change here
 * is undone or dated now, so the other specs' past flows keep their status.
 */
import { readFile } from "node:fs/promises";
import { request as playwrightRequest } from "@playwright/test";
import { ALICE, BOB, expect, logIn, test, translation } from "./fixtures";

const ACTION_DATA = "/me/choices.data";

test.describe("a data subject's choices", () => {
  test("gives and withdraws consent to the newsletter, and sees each in its history", async ({
    page,
  }) => {
    await logIn(page, ALICE);
    await page.getByTestId("choices-link").click();
    await expect(page).toHaveURL(/\/me\/choices$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(
      translation("en", "choices.title"),
    );
    const newsletter = page.locator('[data-testid="consent"][data-purpose="newsletter"]');
    await expect(newsletter).toContainText(translation("en", "choices.consents.withdrawn"));
    await expect(newsletter.getByRole("listitem")).toHaveCount(2);
    await expect(newsletter).toContainText("unsubscribe link in the October newsletter");

    await newsletter
      .getByRole("button", { name: translation("en", "choices.consents.give") })
      .click();
    await expect(page.getByTestId("choice-done")).toHaveText(
      translation("en", "choices.done.give"),
    );
    await expect(newsletter).toContainText(translation("en", "choices.consents.given"));
    await expect(newsletter.getByRole("listitem")).toHaveCount(3);

    await newsletter
      .getByRole("button", { name: translation("en", "choices.consents.withdraw") })
      .click();
    await expect(page.getByTestId("choice-done")).toHaveText(
      translation("en", "choices.done.withdraw"),
    );
    await expect(newsletter).toContainText(translation("en", "choices.consents.withdrawn"));
    await expect(newsletter.getByRole("listitem")).toHaveCount(4);
    await expect(newsletter.getByRole("listitem").first()).toContainText(
      "portal: the subject's choices page",
    );

    // Her block of FlackCo covers its service Flack.
    const flack = page.locator('[data-testid="choice-service"][data-service="Flack"]');
    await expect(flack).toContainText(translation("en", "choices.services.blocked"));
  });

  test("is told in German to confirm “never again”, then blocks CRM and lifts the block", async ({
    page,
    browserErrors,
  }) => {
    browserErrors.allowErrorResponse(400, ACTION_DATA);
    await logIn(page, BOB);
    await page.goto("/me/choices");
    await page.getByRole("button", { name: "Deutsch" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(
      translation("de", "choices.title"),
    );
    await expect(page.getByTestId("consents")).toHaveCount(0);
    await expect(page.getByText(translation("de", "choices.consents.empty"))).toBeVisible();

    const crm = page.locator('[data-testid="choice-service"][data-service="CRM"]');
    await crm.getByText(translation("de", "choices.services.open")).click();
    const block = crm.getByRole("button", { name: translation("de", "choices.services.block") });
    await block.click();
    const confirm = crm.getByLabel(
      translation("de", "choices.services.confirm").replace("{{service}}", "CRM"),
    );
    await expect(confirm).toHaveAccessibleDescription(translation("de", "choices.errors.confirm"));
    await expect(page.getByTestId("blocks")).toHaveCount(0);

    await confirm.check();
    await block.click();
    await expect(page.getByTestId("choice-done")).toHaveText(
      translation("de", "choices.done.block"),
    );
    await expect(crm).toContainText(translation("de", "choices.services.blocked"));
    const rule = page.getByTestId("block").filter({ hasText: "CRM" });
    await expect(rule).toHaveAttribute("data-active", "yes");
    await expect(rule).toContainText(translation("de", "choices.blocks.active"));

    await rule.getByRole("button", { name: translation("de", "choices.blocks.lift") }).click();
    await expect(page.getByTestId("choice-done")).toHaveText(
      translation("de", "choices.done.lift"),
    );
    await expect(rule).toHaveAttribute("data-active", "no");
    await expect(crm.getByText(translation("de", "choices.services.open"))).toBeVisible();
  });

  test("cannot lift another subject's block by posting its id", async ({ page, baseURL }) => {
    await logIn(page, ALICE);
    await page.goto("/me/choices");
    const flackco = page.getByTestId("block").filter({ hasText: "FlackCo" });
    await expect(flackco).toHaveAttribute("data-active", "yes");
    const rule = await flackco.locator('input[name="rule"]').getAttribute("value");
    expect(rule, "Alice's block has an id in its form").toMatch(/^\d+$/);

    const bob = await playwrightRequest.newContext({ baseURL });
    const origin = new URL(baseURL ?? "").origin;
    await bob.post("/login", {
      form: { email: BOB.email, password: BOB.password },
      headers: { Origin: origin },
      maxRedirects: 0,
    });
    const refused = await bob.post("/me/choices", {
      form: { intent: "lift", rule: rule ?? "" },
      headers: { Origin: origin },
      maxRedirects: 0,
    });
    expect(refused.status()).toBe(400);
    // From another site, even Alice's own session could not.
    const crossSite = await bob.post("/me/choices", {
      form: { intent: "lift", rule: rule ?? "" },
      headers: { Origin: "https://attacker.example" },
      maxRedirects: 0,
    });
    expect(crossSite.status()).toBe(403);
    await bob.dispose();

    await page.reload();
    await expect(flackco).toHaveAttribute("data-active", "yes");
  });

  test("downloads a copy of all their data, with its evidence, and nothing of anyone else's", async ({
    page,
  }) => {
    await logIn(page, BOB);
    const download = page.waitForEvent("download");
    await page.getByTestId("download-link").click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^provtopia-my-data-\d{4}-\d\d-\d\d\.json$/);
    const copy = JSON.parse(await readFile(await file.path(), "utf8"));
    expect(copy.subject.ref).toBe("subj-bob");
    expect(copy.accounts.map((a: { email: string }) => a.email)).toEqual([BOB.email]);
    expect(copy.personalData.length).toBeGreaterThan(0);
    for (const item of copy.personalData) {
      expect(item.node.attributes["gdpr:subject"]).toBe("subj-bob");
      expect(item.evidence.proof).toBeInstanceOf(Array);
    }
    const text = JSON.stringify(copy);
    expect(text).not.toContain("subj-alice");
    expect(text).not.toContain(ALICE.email);

    // Only the page's own POST exports (and is recorded); a GET, which any site could set off
    // with a link or an image, goes back to the subject's page.
    const get = await page.request.get("/me/download", { maxRedirects: 0 });
    expect(get.status()).toBe(302);
    expect(get.headers().location).toBe("/me");
  });

  test("asks Why? and gets the story of a use, ending in its verdict", async ({
    page,
    baseURL,
    browserErrors,
  }) => {
    await logIn(page, ALICE);
    const row = (service: string) =>
      page.getByTestId("flow").filter({ has: page.getByRole("rowheader", { name: service }) });
    await row("Newsletter").getByTestId("why-link").click();
    await expect(page).toHaveURL(/\/me\/why\/\d+$/);
    const comic = page.getByTestId("why-comic");
    await expect(comic.getByRole("listitem").first()).toContainText("Sign-up");
    await expect(comic.getByRole("listitem").last()).toHaveAttribute("data-kind", "withdrawn");
    await expect(comic.getByRole("listitem").last()).toHaveClass(/wrong/);
    const whyNewsletter = page.url();

    await page.goto("/me");
    await row("Flack").getByTestId("why-link").click();
    await expect(comic.getByRole("listitem").last()).toHaveAttribute("data-kind", "blocked");
    await expect(comic.getByRole("listitem").last()).toContainText("FlackCo");

    await page.goto("/me");
    await row("Sign-up").getByTestId("why-link").click();
    await expect(comic.getByRole("listitem").last()).toHaveAttribute("data-kind", "allowed");
    await expect(page.getByTestId("why-never-again")).toBeVisible();

    // Bob cannot read Alice's story.
    browserErrors.allowErrorResponse(404, new URL(whyNewsletter).pathname);
    const bob = await playwrightRequest.newContext({ baseURL });
    await bob.post("/login", {
      form: { email: BOB.email, password: BOB.password },
      headers: { Origin: new URL(baseURL ?? "").origin },
      maxRedirects: 0,
    });
    const other = await bob.get(new URL(whyNewsletter).pathname, { maxRedirects: 0 });
    expect(other.status()).toBe(404);
    await bob.dispose();
  });
});
