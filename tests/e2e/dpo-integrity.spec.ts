/**
 * The DPO's integrity page: every capture host's log with its latest signed checkpoint (the text
 * a witness is given) and public key, and a verification run from the browser. Subjects and
 * visitors do not get in. Runs against the seeded demo, whose bridge signs checkpoints every
 * second in the e2e run (global-setup.ts), so the page may need a reload or two at first.
 */
import { request as playwrightRequest } from "@playwright/test";
import {
  ALICE,
  DEMO_HOSTS,
  DPO,
  expect,
  logIn,
  demoLogOrigin as originOf,
  reloadUntilCheckpointed,
  test,
  translation,
} from "./fixtures";

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
const BASE64 = "[A-Za-z0-9+/]+={0,2}";

/** C2SP signed note of a checkpoint: origin, size, root, blank line, the log's own signature. */
function checkpointPattern(origin: string): RegExp {
  const o = escapeRegExp(origin);
  return new RegExp(`^${o}\\n(\\d+)\\n${BASE64}\\n\\n— ${o} ${BASE64}\\n$`);
}

const FINDING_KINDS = [
  "changed",
  "missing",
  "inserted",
  "reordered",
  "re-attributed",
  "bad-signature",
  "checkpoint-mismatch",
  "split-view",
  "rolled-back",
  "archive",
  "object-changed",
  "object-unrecorded",
] as const;

test.describe("the DPO's integrity page", () => {
  test("shows each demo host's signed checkpoint, copies it, and verifies the ledger", async ({
    page,
    context,
  }) => {
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await logIn(page, DPO);
    await page.getByRole("link", { name: translation("en", "dpo.homeCta") }).click();
    await expect(page).toHaveURL(/\/dpo\/integrity$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(
      translation("en", "dpo.title"),
    );
    await expect(
      page.getByRole("navigation", { name: "main" }).getByRole("link", {
        name: translation("en", "nav.integrity"),
      }),
    ).toHaveAttribute("aria-current", "page");

    const card = (host: string) => page.locator(`[data-origin="${originOf(host)}"]`);
    await reloadUntilCheckpointed(page);

    for (const host of DEMO_HOSTS) {
      const origin = originOf(host);
      await expect(card(host).getByRole("heading", { level: 3 })).toHaveText(origin);
      const note = await card(host).getByTestId("checkpoint").locator("pre").textContent();
      expect(note, `${host}'s checkpoint`).toMatch(checkpointPattern(origin));
      await expect(card(host).getByTestId("verifier-key").locator("pre")).toHaveText(
        new RegExp(`^${escapeRegExp(origin)}\\+[0-9a-f]{8}\\+${BASE64}$`),
      );
    }

    const web = card("web-1");
    const copy = web.getByRole("button", { name: translation("en", "dpo.logs.copyCheckpoint") });
    await copy.click();
    await expect(
      web.getByRole("button", { name: translation("en", "dpo.logs.copied") }),
    ).toHaveClass(/copied/);
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(await web.getByTestId("checkpoint").locator("pre").textContent());
    expect(copied).toMatch(checkpointPattern(originOf("web-1")));

    // What the verifier will count: every record of every log on the page.
    const cards = page.getByTestId("ledger-log");
    const logCount = await cards.count();
    let records = 0;
    for (let i = 0; i < logCount; i += 1) {
      const value = await cards.nth(i).locator("dd").first().textContent();
      records += Number((value ?? "").replace(/\D/g, ""));
    }
    await page.getByRole("button", { name: translation("en", "dpo.verification.run") }).click();
    const result = page.getByTestId("verification-result");
    await expect(result).toHaveClass(/\bok\b/);
    await expect(result.getByRole("status")).toHaveText(
      `✓ Verified: ${records} records in ${logCount} logs.`,
    );
    await expect(page.getByTestId("findings")).toHaveCount(0);

    // The run is recorded: it is still the last verification after a fresh load.
    await page.reload();
    await expect(page.getByTestId("verification-result")).toHaveClass(/\bok\b/);
    await expect(page.getByTestId("verification-result").getByRole("status")).toHaveText(
      `✓ Verified: ${records} records.`,
    );
  });

  test("sends a visitor to log in and a DPO back to the page", async ({ page }) => {
    await page.goto("/dpo/integrity");
    await expect(page).toHaveURL(/\/login\?redirectTo=%2Fdpo%2Fintegrity$/);
    await page.getByLabel("Email address").fill(DPO.email);
    await page.getByLabel("Password", { exact: true }).fill(DPO.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page).toHaveURL(/\/dpo\/integrity$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(
      translation("en", "dpo.title"),
    );
  });

  test("is forbidden to a data subject, page and verification alike", async ({
    page,
    browserErrors,
    baseURL,
  }) => {
    browserErrors.allowErrorResponse(403, "/dpo/integrity");
    await logIn(page, ALICE);
    await expect(page.getByRole("link", { name: translation("en", "nav.integrity") })).toHaveCount(
      0,
    );

    const response = await page.goto("/dpo/integrity");
    expect(response?.status()).toBe(403);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(
      translation("en", "errors.title"),
    );
    await expect(page.getByText(translation("en", "errors.forbidden"))).toBeVisible();

    const run = await page.request.post("/dpo/integrity", {
      headers: { Origin: new URL(baseURL ?? "").origin },
      form: {},
      maxRedirects: 0,
    });
    expect(run.status()).toBe(403);
  });

  test("refuses a verification posted from another site, even with a DPO's session", async ({
    baseURL,
  }) => {
    const origin = new URL(baseURL ?? "").origin;
    const api = await playwrightRequest.newContext({ baseURL });
    const login = await api.post("/login", {
      form: { email: DPO.email, password: DPO.password },
      headers: { Origin: origin },
      maxRedirects: 0,
    });
    expect(login.status()).toBe(302);
    const forged = await api.post("/dpo/integrity", {
      form: {},
      headers: { Origin: "https://evil.example" },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    await api.dispose();
  });

  test("has every finding kind translated in English, German and French", () => {
    for (const lng of ["en", "de", "fr"] as const) {
      for (const kind of FINDING_KINDS) {
        expect(translation(lng, `dpo.kinds.${kind}`), `${lng} ${kind}`).not.toBe("");
      }
    }
  });
});
