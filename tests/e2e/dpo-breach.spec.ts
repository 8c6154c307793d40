/**
 * The DPO assesses a breach of a service over a window and exports the report for the
 * supervisory authority, in their language, with clear refusals; nobody else can. Runs against
 * the seeded demo (Alice's and Bob's sign-ups reached the CRM in October 2026; Carol's, there
 * since September, was still there: her erasure did not hold).
 */
import { readFile } from "node:fs/promises";
import { request as playwrightRequest } from "@playwright/test";
import { ALICE, DPO, expect, logIn, test, translation } from "./fixtures";

test.describe("a breach report", () => {
  test("shows whose data the CRM held in the window and who can be told", async ({ page }) => {
    await logIn(page, DPO);
    await page
      .getByRole("navigation", { name: "main" })
      .getByRole("link", { name: translation("en", "nav.breach"), exact: true })
      .click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(
      translation("en", "breach.title"),
    );
    await page.getByLabel(translation("en", "breach.service")).selectOption("CRM");
    await page.getByLabel(translation("en", "breach.from")).fill("2026-10-01");
    await page.getByLabel(translation("en", "breach.to")).fill("2026-12-31");
    await page.getByRole("button", { name: translation("en", "breach.assess") }).click();

    await expect(page).toHaveURL(/service=CRM&from=2026-10-01&to=2026-12-31/);
    await expect(page.getByTestId("breach-subjects")).toHaveText("3");
    await expect(page.getByTestId("breach-notifiable")).toHaveText("3");
    const affected = page.getByTestId("breach-affected");
    await expect(affected.getByRole("rowheader")).toHaveText([
      "subj-alice",
      "subj-bob",
      "subj-carol",
    ]);
    await expect(affected).toContainText(ALICE.email);
  });

  test("says in German what is wrong, then exports the report", async ({ page, browserErrors }) => {
    browserErrors.allowErrorResponse(400, "/dpo/breach");
    await logIn(page, DPO);
    await page.goto("/dpo/breach?service=CRM&from=2026-12-31&to=2026-10-01");
    await page.getByRole("button", { name: "Deutsch" }).click();
    await expect(page.getByLabel(translation("de", "breach.to"))).toHaveAccessibleDescription(
      new RegExp(translation("de", "breach.errors.order")),
    );

    await page.goto("/dpo/breach?service=CRM&from=2026-10-01&to=2026-12-31");
    const exportButton = page.getByRole("button", { name: translation("de", "breach.export") });
    await exportButton.click();
    await expect(page).toHaveURL(/refused=description#report$/);
    const description = page.getByLabel(translation("de", "breach.description"));
    await expect(description).toHaveAccessibleDescription(
      new RegExp(translation("de", "breach.errors.description")),
    );

    await description.fill("Ein Abzug der CRM-Datenbank wurde in einem Forum gefunden.");
    const download = page.waitForEvent("download");
    await exportButton.click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^breach-report-CRM-\d{4}-\d\d-\d\d\.json$/);
    const report = JSON.parse(await readFile(await file.path(), "utf8"));
    expect(report.format).toBe("provtopia-breach-report/1");
    expect(report.generatedBy).toBe(DPO.email);
    expect(report.description).toContain("CRM-Datenbank");
    expect(report.impact).toMatchObject({ service: "CRM", subjects: 3 });
    expect(report.impact.window).toEqual({
      from: "2026-10-01T00:00:00.000Z",
      to: "2026-12-31T23:59:59.999Z",
    });
    expect(report.evidence.reportRecord.log).toMatch(/\/legal$/);
  });

  test("is the DPO's only", async ({ page, baseURL, browserErrors }) => {
    browserErrors.allowErrorResponse(403, "/dpo/breach");
    await logIn(page, ALICE);
    const response = await page.goto("/dpo/breach");
    expect(response?.status()).toBe(403);

    const alice = await playwrightRequest.newContext({ baseURL });
    const origin = new URL(baseURL ?? "").origin;
    await alice.post("/login", {
      form: { email: ALICE.email, password: ALICE.password },
      headers: { Origin: origin },
      maxRedirects: 0,
    });
    const posted = await alice.post("/dpo/breach/report", {
      form: {
        service: "CRM",
        from: "2026-10-01",
        to: "2026-12-31",
        description: "Trying to read everyone's data.",
      },
      headers: { Origin: origin },
      maxRedirects: 0,
    });
    expect(posted.status()).toBe(403);
    expect(await posted.text()).not.toContain("subj-bob");
    await alice.dispose();
  });
});
