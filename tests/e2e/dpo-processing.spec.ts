/**
 * The DPO's record of processing and violations pages on the seeded demo
 * (capture-bridge/demo/record-of-processing.ts): a mapping rule added through the form re-maps
 * the stored backup file and shows up in the rules and in the audited changes; a refused form
 * says what is wrong in German, next to each field, and keeps the input; subjects and
 * cross-site posts are refused.
 */
import { request as playwrightRequest } from "@playwright/test";
import { ALICE, DPO, expect, logIn, test, translation } from "./fixtures";

/** The record page's single-fetch data path: a refused form answers 400 there. */
const ACTION_DATA = "/dpo/processing.data";

test.describe("the DPO's record of processing", () => {
  test("adds a mapping rule, which re-maps a stored node and is audited", async ({ page }) => {
    await logIn(page, DPO);
    await page
      .getByRole("navigation", { name: "main" })
      .getByRole("link", { name: translation("en", "nav.processing") })
      .click();
    await expect(page).toHaveURL(/\/dpo\/processing$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(
      translation("en", "processing.title"),
    );
    const rules = page.getByTestId("rules");
    await expect(rules.getByRole("row")).toHaveCount(2); // the header and the seeded rule

    const form = page.locator("#rules form.inline-form");
    await form.getByLabel(translation("en", "processing.rules.service")).selectOption("Backups");
    await form.getByLabel(translation("en", "processing.rules.executable")).fill("/var/backups/*");
    await form
      .getByRole("button", { name: translation("en", "processing.rules.addButton") })
      .click();

    await expect(page.getByTestId("change-done")).toHaveText(
      "Mapping rule added; 1 stored node now maps differently.",
    );
    const added = rules.getByRole("row").filter({ hasText: "/var/backups/*" });
    await expect(added.getByRole("rowheader")).toHaveText("Backups");
    await expect(added).toContainText(DPO.email);
    // The form starts empty again after a change.
    await expect(form.getByLabel(translation("en", "processing.rules.executable"))).toHaveValue("");
    const latest = page.getByTestId("changes").getByRole("listitem").first();
    await expect(latest).toContainText(DPO.email);
    await expect(latest).toContainText("/var/backups/*");
    await expect(latest).toContainText("nodes re-mapped: 1");
    // The Backups service now holds the file as well as the pg_dump process.
    await expect(
      page.getByTestId("services-table").getByRole("row").filter({ hasText: "Backups" }),
    ).toContainText("2");

    await added.getByRole("button", { name: translation("en", "processing.rules.remove") }).click();
    await expect(page.getByTestId("change-done")).toHaveText(
      "Mapping rule removed; 1 stored node now maps differently.",
    );
    await expect(rules.getByRole("row")).toHaveCount(2);
  });

  test("says in German what is wrong with each field, and keeps the input", async ({
    page,
    browserErrors,
  }) => {
    browserErrors.allowErrorResponse(400, ACTION_DATA);
    await logIn(page, DPO);
    await page.goto("/dpo/processing");
    await page.getByRole("button", { name: "Deutsch" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(
      translation("de", "processing.title"),
    );

    const rule = page.locator("#rules form.inline-form");
    await rule.getByLabel(translation("de", "processing.rules.processName")).fill("   ");
    await rule.getByLabel(translation("de", "processing.rules.priority")).fill("hoch");
    await rule
      .getByRole("button", { name: translation("de", "processing.rules.addButton") })
      .click();
    const service = rule.getByLabel(translation("de", "processing.rules.service"));
    await expect(service).toHaveAttribute("aria-invalid", "true");
    await expect(service).toHaveAccessibleDescription(
      translation("de", "processing.errors.choose"),
    );
    await expect(
      rule.getByLabel(translation("de", "processing.rules.executable")),
    ).toHaveAccessibleDescription(
      new RegExp(translation("de", "processing.errors.ruleNeedsPattern")),
    );
    const priority = rule.getByLabel(translation("de", "processing.rules.priority"));
    await expect(priority).toHaveAccessibleDescription(
      translation("de", "processing.errors.priority"),
    );
    await expect(priority).toHaveValue("hoch");

    const purpose = page.locator("#purposes form.inline-form");
    await purpose.getByLabel(translation("de", "processing.purposes.key")).fill("Marketing Mails");
    await purpose
      .getByLabel(translation("de", "processing.purposes.service"))
      .selectOption("Newsletter");
    await purpose
      .getByLabel(translation("de", "processing.purposes.retentionDays"))
      .fill("ein Jahr");
    await purpose
      .getByRole("button", { name: translation("de", "processing.purposes.addButton") })
      .click();
    await expect(
      purpose.getByLabel(translation("de", "processing.purposes.key")),
    ).toHaveAccessibleDescription(translation("de", "processing.errors.keyFormat"));
    await expect(
      purpose.getByLabel(translation("de", "processing.purposes.legalBasis")),
    ).toHaveAccessibleDescription(translation("de", "processing.errors.legalBasis"));
    await expect(
      purpose.getByLabel(translation("de", "processing.purposes.retentionDays")),
    ).toHaveAccessibleDescription(translation("de", "processing.errors.retention"));
    // What was typed and chosen is still there to correct.
    await expect(purpose.getByLabel(translation("de", "processing.purposes.key"))).toHaveValue(
      "Marketing Mails",
    );
    await expect(
      purpose
        .getByLabel(translation("de", "processing.purposes.service"))
        .locator("option:checked"),
    ).toHaveText("Newsletter");
    await expect(
      purpose.getByLabel(translation("de", "processing.purposes.retentionDays")),
    ).toHaveValue("ein Jahr");
    // The rule form's errors are gone: one form answered at a time.
    await expect(rule.locator(".field-error")).toHaveCount(0);

    const organisation = page.locator("#organisations form.inline-form");
    await organisation.getByLabel(translation("de", "processing.organisations.name")).fill("gitCo");
    await organisation
      .getByRole("button", { name: translation("de", "processing.organisations.addButton") })
      .click();
    await expect(
      organisation.getByLabel(translation("de", "processing.organisations.name")),
    ).toHaveAccessibleDescription(translation("de", "processing.errors.nameTaken"));
    await page.getByRole("button", { name: "English" }).click();
  });

  test("is forbidden to a data subject, and refuses a cross-site change", async ({
    page,
    browserErrors,
    baseURL,
  }) => {
    const origin = new URL(baseURL ?? "").origin;
    for (const path of ["/dpo/processing", "/dpo/violations"]) {
      browserErrors.allowErrorResponse(403, path);
    }
    await logIn(page, ALICE);
    const nav = page.getByRole("navigation", { name: "main" });
    await expect(nav.getByRole("link", { name: translation("en", "nav.processing") })).toHaveCount(
      0,
    );
    for (const path of ["/dpo/processing", "/dpo/violations"]) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(403);
      await expect(page.getByText(translation("en", "errors.forbidden"))).toBeVisible();
    }
    const post = await page.request.post("/dpo/processing", {
      headers: { Origin: origin },
      form: { intent: "add-organisation", name: "Alice's own company" },
      maxRedirects: 0,
    });
    expect(post.status()).toBe(403);

    const dpo = await playwrightRequest.newContext({ baseURL });
    await dpo.post("/login", {
      form: { email: DPO.email, password: DPO.password },
      headers: { Origin: origin },
      maxRedirects: 0,
    });
    const crossSite = await dpo.post("/dpo/processing", {
      headers: { Origin: "https://evil.example" },
      form: { intent: "add-organisation", name: "Evil Corp" },
      maxRedirects: 0,
    });
    expect(crossSite.status()).toBe(403);
    const record = await dpo.get("/dpo/processing");
    expect(record.status()).toBe(200);
    expect(await record.text()).not.toContain("Evil Corp");
    await dpo.dispose();
  });
});

test.describe("the DPO's violations page", () => {
  test("lists the demo's violations newest first, with their witness paths", async ({ page }) => {
    await logIn(page, DPO);
    await page
      .getByRole("navigation", { name: "main" })
      .getByRole("link", { name: translation("en", "nav.violations") })
      .click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(
      translation("en", "violations.title"),
    );
    const rows = page.getByTestId("violation");
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0)).toHaveAttribute("data-kind", "after-block");
    await expect(rows.nth(0).getByRole("rowheader")).toContainText("Flack");
    await expect(rows.nth(0)).toContainText("subj-alice");
    await expect(rows.nth(1)).toHaveAttribute("data-kind", "no-legal-basis");
    await expect(rows.nth(1).getByRole("rowheader")).toContainText("Newsletter");

    await rows.nth(1).getByText("6 steps").click();
    const path = rows.nth(1).getByTestId("witness-path");
    await expect(path.getByRole("listitem").first()).toContainText("Sign-up form (alice)");
    await expect(path.getByRole("listitem").last()).toContainText("November newsletter");
  });
});
