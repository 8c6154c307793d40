/**
 * The README's screenshots, saved to public/screenshots/. Only with E2E_SCREENSHOTS=1, so an
 * ordinary run (CI's included) never rewrites them:
 *
 *   E2E_SCREENSHOTS=1 npm run test:e2e -- readme-screenshots
 */
import path from "node:path";
import type { Page } from "@playwright/test";
import {
  ALICE,
  CAROL,
  DPO,
  expect,
  type Language,
  logIn,
  logOut,
  reloadUntilCheckpointed,
  test,
  translation,
} from "./fixtures";

const SCREENSHOTS_DIR = path.resolve(import.meta.dirname, "../../public/screenshots");
const LANGUAGE_BUTTONS: Record<Language, string> = {
  en: "English",
  de: "Deutsch",
  fr: "Français",
};

test.describe("README screenshots", () => {
  test.skip(process.env.E2E_SCREENSHOTS !== "1", "set E2E_SCREENSHOTS=1 to rewrite them");
  test.use({ viewport: { width: 1280, height: 860 } });

  for (const lng of ["en", "de", "fr"] as const) {
    test(`subject-page-${lng}.png`, async ({ page }) => {
      await logIn(page, ALICE);
      if (lng !== "en") {
        await page.getByRole("button", { name: LANGUAGE_BUTTONS[lng] }).click();
      }
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(
        translation(lng, "me.title"),
      );
      await expect(page.getByTestId("flow-map")).toHaveAttribute("data-ready", "true");
      await settle(page);
      await page.screenshot({ path: path.join(SCREENSHOTS_DIR, `subject-page-${lng}.png`) });
    });
  }

  for (const lng of ["en", "de"] as const) {
    test(`dpo-integrity-${lng}.png`, async ({ page }) => {
      await logIn(page, DPO);
      if (lng !== "en") {
        await page.getByRole("button", { name: LANGUAGE_BUTTONS[lng] }).click();
      }
      await page
        .getByRole("link", { name: translation(lng, "nav.integrity"), exact: true })
        .click();
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(
        translation(lng, "dpo.title"),
      );
      await reloadUntilCheckpointed(page);
      const run = page.getByRole("button", { name: translation(lng, "dpo.verification.run") });
      const verified = page.waitForResponse(
        (r) => r.request().method() === "POST" && new URL(r.url()).pathname.startsWith("/dpo/"),
      );
      await run.click();
      await verified;
      await expect(run).toBeEnabled();
      await expect(page.getByTestId("verification-result")).toHaveClass(/\bok\b/);
      await settle(page);
      await page.screenshot({
        path: path.join(SCREENSHOTS_DIR, `dpo-integrity-${lng}.png`),
        fullPage: true,
      });
    });
  }

  test("subject-path-en.png", async ({ page }) => {
    await logIn(page, ALICE);
    await page
      .getByTestId("flow")
      .filter({ has: page.getByRole("rowheader", { name: "Newsletter" }) })
      .getByRole("link", { name: translation("en", "me.showPath") })
      .click();
    await expect(page.getByTestId("witness-path")).toBeVisible();
    await expect(page.getByTestId("flow-map")).toHaveAttribute("data-ready", "true");
    await settle(page);
    await page.screenshot({
      path: path.join(SCREENSHOTS_DIR, "subject-path-en.png"),
      fullPage: true,
    });
  });

  for (const lng of ["en", "de"] as const) {
    test(`dpo-processing-${lng}.png`, async ({ page }) => {
      await logIn(page, DPO);
      if (lng !== "en") {
        await page.getByRole("button", { name: LANGUAGE_BUTTONS[lng] }).click();
      }
      await page
        .getByRole("navigation", { name: "main" })
        .getByRole("link", { name: translation(lng, "nav.processing"), exact: true })
        .click();
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(
        translation(lng, "processing.title"),
      );
      await settle(page);
      await page.screenshot({
        path: path.join(SCREENSHOTS_DIR, `dpo-processing-${lng}.png`),
        fullPage: true,
      });
    });
  }

  test("dpo-violations-en.png", async ({ page }) => {
    await logIn(page, DPO);
    await page
      .getByRole("navigation", { name: "main" })
      .getByRole("link", { name: translation("en", "nav.violations"), exact: true })
      .click();
    await expect(page.getByTestId("violation").first()).toBeVisible();
    await page.getByTestId("violation").first().locator("summary").click();
    await expect(page.getByTestId("witness-path").first()).toBeVisible();
    await settle(page);
    await page.screenshot({
      path: path.join(SCREENSHOTS_DIR, "dpo-violations-en.png"),
      fullPage: true,
    });
  });

  for (const lng of ["en", "fr"] as const) {
    test(`subject-choices-${lng}.png`, async ({ page }) => {
      await logIn(page, ALICE);
      if (lng !== "en") {
        await page.getByRole("button", { name: LANGUAGE_BUTTONS[lng] }).click();
      }
      await page
        .getByRole("navigation", { name: "main" })
        .getByRole("link", { name: translation(lng, "nav.choices"), exact: true })
        .click();
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(
        translation(lng, "choices.title"),
      );
      await settle(page);
      await page.screenshot({
        path: path.join(SCREENSHOTS_DIR, `subject-choices-${lng}.png`),
        fullPage: true,
      });
    });
  }

  test("subject-erasure-de.png", async ({ page }) => {
    // Carol's erasure, answered "erased", and where her data was seen since, in German.
    await logIn(page, CAROL);
    await page.goto("/me/choices#erasure");
    await page.getByRole("button", { name: LANGUAGE_BUTTONS.de }).click();
    const erasure = page.locator("#erasure");
    await expect(erasure.getByTestId("erased-since")).toBeVisible();
    await settle(page);
    await erasure.screenshot({ path: path.join(SCREENSHOTS_DIR, "subject-erasure-de.png") });
  });

  test("subject-why-en.png", async ({ page }) => {
    await logIn(page, ALICE);
    await page
      .getByTestId("flow")
      .filter({ has: page.getByRole("rowheader", { name: "Newsletter" }) })
      .getByTestId("why-link")
      .click();
    await expect(page.getByTestId("why-comic").getByRole("listitem").last()).toBeVisible();
    await settle(page);
    await page.screenshot({ path: path.join(SCREENSHOTS_DIR, "subject-why-en.png") });
  });

  test("dpo-breach-en.png", async ({ page }) => {
    await logIn(page, DPO);
    await page.goto("/dpo/breach?service=CRM&from=2026-10-01&to=2026-12-31");
    await expect(page.getByTestId("breach-subjects")).toHaveText("3");
    await settle(page);
    await page.screenshot({
      path: path.join(SCREENSHOTS_DIR, "dpo-breach-en.png"),
      fullPage: true,
    });
  });

  for (const lng of ["en", "de"] as const) {
    test(`dpo-enforcement-${lng}.png`, async ({ page }) => {
      await logIn(page, DPO);
      await page.goto("/dpo/enforcement");
      if (lng !== "en") {
        await page.getByRole("button", { name: LANGUAGE_BUTTONS[lng] }).click();
      }
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(
        translation(lng, "enforcement.title"),
      );
      await expect(page.getByTestId("point").first()).toHaveAttribute("data-state", "current");
      await settle(page);
      await page.screenshot({
        path: path.join(SCREENSHOTS_DIR, `dpo-enforcement-${lng}.png`),
        fullPage: true,
      });
    });
  }

  for (const lng of ["en", "de", "fr"] as const) {
    test(`dpo-quarantine-${lng}.png`, async ({ page }) => {
      await logIn(page, DPO);
      await page.goto("/dpo/quarantine");
      if (lng !== "en") {
        await page.getByRole("button", { name: LANGUAGE_BUTTONS[lng] }).click();
      }
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(
        translation(lng, "quarantine.title"),
      );
      for (const summary of await page
        .getByTestId("quarantined-message")
        .locator("summary")
        .all()) {
        await summary.click();
      }
      await settle(page);
      await page.screenshot({
        path: path.join(SCREENSHOTS_DIR, `dpo-quarantine-${lng}.png`),
        fullPage: true,
      });
    });
  }

  for (const lng of ["en", "de"] as const) {
    test(`dpo-requests-${lng}.png`, async ({ page }) => {
      // Alice asks for erasure; the DPO's queue shows it with where her data went and the
      // third parties to tell, one of them told already.
      await logIn(page, ALICE);
      await page.goto("/me/choices");
      const erasure = page.locator("#erasure");
      if (
        (await erasure.locator('[data-testid="erasure-request"][data-status="open"]').count()) === 0
      ) {
        await erasure.getByLabel(translation("en", "choices.erasure.confirm")).check();
        await erasure
          .getByRole("button", { name: translation("en", "choices.erasure.ask") })
          .click();
        await expect(erasure.locator('[data-status="open"]')).toHaveCount(1);
      }
      await logOut(page);
      await logIn(page, DPO);
      await page.goto("/dpo/requests");
      const postHaste = page.locator('[data-testid="notice"][data-organisation="PostHaste Ltd"]');
      if ((await postHaste.getByTestId("told").count()) === 0) {
        await postHaste
          .getByRole("button", { name: translation("en", "requests.markTold") })
          .click();
        await expect(postHaste.getByTestId("told")).toBeVisible();
      }
      if (lng !== "en") {
        await page.getByRole("button", { name: LANGUAGE_BUTTONS[lng] }).click();
      }
      await expect(page.getByTestId("open-request").first()).toBeVisible();
      await settle(page);
      await page.screenshot({
        path: path.join(SCREENSHOTS_DIR, `dpo-requests-${lng}.png`),
        fullPage: true,
      });
    });
  }

  test("login-errors-en.png", async ({ page, browserErrors }) => {
    browserErrors.allowErrorResponse(400, "/login.data");
    await page.goto("/login");
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page.getByRole("alert")).toContainText(translation("en", "login.errorSummary"));
    await settle(page);
    await page.screenshot({ path: path.join(SCREENSHOTS_DIR, "login-errors-en.png") });
  });
});

/** Fonts loaded and one frame painted, so the picture is the page a reader would see. */
async function settle(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await document.fonts.ready;
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  });
}
