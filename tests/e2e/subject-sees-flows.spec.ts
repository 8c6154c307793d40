/**
 * A data subject logs in and sees where their data went (each flow with its purpose, time and
 * legal status, and the path that proves it), in their language, and nothing of anyone else's. Runs against the seeded demo organisation (capture-bridge/demo/demo-org.ts).
 */
import { request as playwrightRequest } from "@playwright/test";
import { ALICE, BOB, expect, type Language, logIn, test, translation } from "./fixtures";

test.describe("a data subject", () => {
  test("logs in and sees the services and organisations that received their data", async ({
    page,
    context,
  }) => {
    await logIn(page, ALICE);

    const flows = page.getByTestId("flows");
    await expect(flows.getByRole("rowheader", { name: "CRM", exact: true })).toBeVisible();
    await expect(flows.getByRole("rowheader", { name: "Newsletter", exact: true })).toBeVisible();
    await expect(flows.getByRole("cell", { name: "Lumen Books" }).first()).toBeVisible();
    await expect(flows.getByRole("cell", { name: "PostHaste Ltd" })).toBeVisible();
    await expect(flows.getByRole("rowheader", { name: "Flack", exact: true })).toBeVisible();
    await expect(page.getByTestId("flow-map")).toHaveAttribute("data-ready", "true");

    const session = (await context.cookies()).find((c) => c.name === "provtopia_session");
    expect(session, "a session cookie").toBeDefined();
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe("Lax");
  });

  test("sees each flow's purpose, time and legal status, and the path of one", async ({ page }) => {
    await logIn(page, ALICE);
    const flow = (service: string) =>
      page.getByTestId("flow").filter({ has: page.getByRole("rowheader", { name: service }) });

    await expect(flow("Sign-up")).toHaveAttribute("data-status", "allowed");
    await expect(flow("Sign-up")).toContainText("Allowed: Contract");
    await expect(flow("Sign-up")).toContainText(translation("en", "purposes.account"));
    await expect(flow("Sign-up").locator("time")).toHaveAttribute(
      "datetime",
      "2026-10-01T09:30:00Z",
    );
    await expect(flow("Sign-up")).toContainText("1 use");
    // Withdrawn the evening before the November newsletter went out.
    await expect(flow("Newsletter")).toHaveAttribute("data-status", "no-legal-basis");
    await expect(flow("Newsletter")).toContainText(translation("en", "me.statusNoLegalBasis"));
    // Alice said "never again" to FlackCo before the CI run that reached Flack.
    await expect(flow("Flack")).toHaveAttribute("data-status", "after-block");
    await expect(flow("Flack")).toContainText(translation("en", "me.statusAfterBlock"));
    await expect(page.getByTestId("unlawful-notice")).toContainText("2 of these uses");

    await flow("Newsletter")
      .getByRole("link", { name: translation("en", "me.showPath") })
      .click();
    await expect(page).toHaveURL(/\/me\?flow=\d+#path$/);
    const path = page.getByTestId("witness-path");
    await expect(path.getByRole("listitem").first()).toContainText("Sign-up form (alice)");
    await expect(path.getByRole("listitem").last()).toContainText("November newsletter");
    await expect(
      page.getByRole("heading", { name: "How your Email address reached Newsletter" }),
    ).toBeVisible();
  });

  test("sees only their own data", async ({ page }) => {
    await logIn(page, BOB);

    const flows = page.getByTestId("flows");
    await expect(flows.getByRole("rowheader", { name: "Sign-up", exact: true })).toBeVisible();
    await expect(flows.getByRole("rowheader", { name: "CRM", exact: true })).toBeVisible();
    await expect(flows.getByRole("rowheader", { name: "Backups", exact: true })).toBeVisible();
    await expect(flows.getByRole("rowheader")).toHaveCount(3);
    for (const other of ["Newsletter", "Mail delivery", "Flack", "PostHaste Ltd"]) {
      await expect(flows).not.toContainText(other);
    }
    await expect(page.getByTestId("unlawful-notice")).toHaveCount(0);
    await expect(page.getByTestId("flow-map")).toHaveAttribute("data-ready", "true");
  });

  test("cannot open another subject's flow by its id", async ({ page, baseURL }) => {
    await logIn(page, ALICE);
    const href = await page
      .getByTestId("flow")
      .filter({ has: page.getByRole("rowheader", { name: "Newsletter" }) })
      .getByRole("link", { name: translation("en", "me.showPath") })
      .getAttribute("href");
    const alicesFlow = /flow=(\d+)/.exec(href ?? "")?.[1];
    expect(alicesFlow, "the link names Alice's flow").toBeDefined();

    const bob = await playwrightRequest.newContext({ baseURL });
    await bob.post("/login", {
      form: { email: BOB.email, password: BOB.password },
      headers: { Origin: new URL(baseURL ?? "").origin },
      maxRedirects: 0,
    });
    const own = await bob.get("/me", { maxRedirects: 0 });
    expect(own.status()).toBe(200);
    const other = await bob.get(`/me?flow=${alicesFlow}`, { maxRedirects: 0 });
    expect(other.status()).toBe(404);
    expect(await other.text()).not.toContain("November newsletter");
    await bob.dispose();
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
