/**
 * A data subject logs in and sees where their data went, in their language, and nothing of
 * anyone else's. Runs against the seeded demo organisation (capture-bridge/demo/demo-org.ts).
 */
import { ALICE, BOB, expect, type Language, logIn, test, translation } from "./fixtures";

test.describe("a data subject", () => {
  test("logs in and sees the services and organisations that received their data", async ({
    page,
    context,
  }) => {
    await logIn(page, ALICE);

    const services = page.getByTestId("services");
    await expect(services.getByRole("rowheader", { name: "CRM", exact: true })).toBeVisible();
    await expect(
      services.getByRole("rowheader", { name: "Newsletter", exact: true }),
    ).toBeVisible();
    await expect(services.getByRole("cell", { name: "Lumen Books" }).first()).toBeVisible();
    await expect(services.getByRole("cell", { name: "PostHaste Ltd" })).toBeVisible();
    await expect(services.getByRole("rowheader", { name: "Flack", exact: true })).toBeVisible();
    await expect(page.getByTestId("flow-map")).toHaveAttribute("data-ready", "true");

    const session = (await context.cookies()).find((c) => c.name === "provtopia_session");
    expect(session, "a session cookie").toBeDefined();
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe("Lax");
  });

  test("sees only their own data", async ({ page }) => {
    await logIn(page, BOB);

    const services = page.getByTestId("services");
    await expect(services.getByRole("rowheader", { name: "Sign-up", exact: true })).toBeVisible();
    await expect(services.getByRole("rowheader", { name: "CRM", exact: true })).toBeVisible();
    await expect(services.getByRole("rowheader")).toHaveCount(2);
    for (const other of ["Newsletter", "Mail delivery", "Flack", "PostHaste Ltd"]) {
      await expect(services).not.toContainText(other);
    }
    await expect(page.getByTestId("flow-map")).toHaveAttribute("data-ready", "true");
  });

  for (const [lng, button] of [
    ["de", "Deutsch"],
    ["fr", "Français"],
  ] as const satisfies readonly (readonly [Language, string])[]) {
    test(`reads the page in ${button} after choosing it in the language switcher`, async ({
      page,
    }) => {
      await logIn(page, ALICE);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(
        translation("en", "me.title"),
      );

      await page.getByRole("button", { name: button }).click();

      await expect(page.getByRole("heading", { level: 1 })).toHaveText(
        translation(lng, "me.title"),
      );
      await expect(page.locator("html")).toHaveAttribute("lang", lng);
      await expect(
        page.getByRole("heading", { name: translation(lng, "me.servicesHeading") }),
      ).toBeVisible();
      await expect(
        page.getByRole("button", { name: translation(lng, "nav.logOut") }),
      ).toBeVisible();
      await expect(page.getByRole("button", { name: button })).toHaveAttribute(
        "aria-pressed",
        "true",
      );
      await expect(page.getByTestId("flow-map")).toHaveAttribute("data-ready", "true");

      // The choice is remembered: a fresh load of the page stays in that language.
      await page.reload();
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(
        translation(lng, "me.title"),
      );
    });
  }
});

test.describe("a French browser", () => {
  test.use({ locale: "fr-FR" });

  test("gets the home page in French from Accept-Language", async ({ page }) => {
    await page.goto("/");
    await expect(page.locator("html")).toHaveAttribute("lang", "fr");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(
      translation("fr", "home.title"),
    );
    await expect(page.getByRole("link", { name: translation("fr", "home.cta") })).toBeVisible();
  });
});

test.describe("logging in", () => {
  test("with a wrong password shows the error summary and stays on the form", async ({
    page,
    browserErrors,
  }) => {
    browserErrors.allowErrorResponse(401, "/login.data");
    await page.goto("/login");
    await page.getByLabel("Email address").fill(ALICE.email);
    await page.getByLabel("Password", { exact: true }).fill("not-alices-password");
    await page.getByRole("button", { name: "Log in" }).click();

    const summary = page.getByRole("alert");
    await expect(summary).toContainText(translation("en", "login.errorSummary"));
    await expect(summary).toContainText(translation("en", "login.errors.wrongCredentials"));
    await expect(page).toHaveURL(/\/login(\?|$)/);
    await expect(page.getByLabel("Email address")).toHaveValue(ALICE.email);
  });

  test("with an empty form shows what each field needs", async ({ page, browserErrors }) => {
    browserErrors.allowErrorResponse(400, "/login.data");
    await page.goto("/login");
    await page.getByRole("button", { name: "Log in" }).click();

    const summary = page.getByRole("alert");
    await expect(
      summary.getByRole("link", { name: translation("en", "login.errors.emailRequired") }),
    ).toBeVisible();
    await expect(
      summary.getByRole("link", { name: translation("en", "login.errors.passwordRequired") }),
    ).toBeVisible();
    await expect(page.getByLabel("Email address")).toHaveAttribute("aria-invalid", "true");
    await expect(page.getByLabel("Email address")).toHaveAccessibleDescription(
      translation("en", "login.errors.emailRequired"),
    );
    await expect(page.getByLabel("Password", { exact: true })).toHaveAccessibleDescription(
      translation("en", "login.errors.passwordRequired"),
    );
    await expect(page).toHaveURL(/\/login(\?|$)/);
  });

  test("is required for /me: a visitor is sent to the log-in page", async ({ page }) => {
    await page.goto("/me");
    await expect(page).toHaveURL(/\/login\?redirectTo=%2Fme$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(
      translation("en", "login.title"),
    );
  });
});
