/**
 * The DPO's enforcement points against the running demo (which runs its two points through the
 * SDK): both are up to date; registering refuses bad input in the reader's language, then shows
 * the token once; the new point is "never connected" until it pulls and acknowledges with that
 * token on the bridge; revoking stops the token. A subject sees how many points applied a block
 * and may not open the page.
 */
import { ALICE, DPO, expect, logIn, test, translation } from "./fixtures";
import { E2E_BRIDGE_PORT } from "./ports";

const BRIDGE = `http://127.0.0.1:${E2E_BRIDGE_PORT}`;
const ACTION_DATA = "/dpo/enforcement.data";
const fill = (text: string, values: Record<string, string | number>) =>
  text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => String(values[key]));

test.describe("enforcement points", () => {
  test("registers a point, shows its token once, and sees it connect and be revoked", async ({
    page,
    browserErrors,
  }) => {
    browserErrors.allowErrorResponse(400, ACTION_DATA);
    await logIn(page, DPO);
    await page.goto("/dpo/enforcement");
    const rows = page.getByTestId("point");
    for (const name of ["Flack connector", "Newsletter mailer"]) {
      await expect(rows.filter({ hasText: name })).toHaveAttribute("data-state", "current");
    }

    const form = page.getByTestId("register");
    await form.getByLabel(translation("en", "enforcement.failClosed")).check();
    await form.getByLabel(translation("en", "enforcement.failClosedMinutes")).fill("ten");
    await form.getByRole("button", { name: translation("en", "enforcement.register") }).click();
    await expect(form).toContainText(translation("en", "enforcement.errors.name"));
    await expect(form).toContainText(translation("en", "enforcement.errors.services"));
    await expect(form).toContainText(translation("en", "enforcement.errors.minutes"));

    await form.getByLabel(translation("en", "enforcement.name")).fill("Export job");
    await form.getByLabel("CRM").check();
    await form.getByLabel(translation("en", "enforcement.failClosedMinutes")).fill("30");
    await form.getByRole("button", { name: translation("en", "enforcement.register") }).click();
    const issued = page.getByTestId("issued");
    await expect(issued).toContainText("Export job");
    const token = (await issued.locator("pre").textContent())?.trim() ?? "";
    expect(token).toMatch(/^[a-z0-9]+\.[a-z0-9]+$/);
    const exportJob = rows.filter({ hasText: "Export job" });
    await expect(exportJob).toHaveAttribute("data-state", "never");
    await expect(exportJob).toContainText("CRM");

    // Reloading does not show the token again.
    await page.goto("/dpo/enforcement");
    await expect(page.getByTestId("issued")).toHaveCount(0);
    await expect(page.getByText(token)).toHaveCount(0);

    // The point pulls its rules and acknowledges them with its token.
    const headers = { authorization: `Bearer ${token}` };
    const rules = await fetch(`${BRIDGE}/enforcement/rules`, { headers });
    expect(rules.status).toBe(200);
    const { version, failClosedAfterMs } = (await rules.json()) as {
      version: number;
      failClosedAfterMs: number;
    };
    expect(failClosedAfterMs).toBe(30 * 60_000);
    const ack = await fetch(`${BRIDGE}/enforcement/ack`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ version }),
    });
    expect(ack.status).toBe(200);
    await page.reload();
    await expect(exportJob).toHaveAttribute("data-state", "current");

    await exportJob.getByRole("button", { name: translation("en", "enforcement.revoke") }).click();
    await expect(page.getByTestId("revoked")).toBeVisible();
    await expect(exportJob).toHaveAttribute("data-state", "revoked");
    expect((await fetch(`${BRIDGE}/enforcement/rules`, { headers })).status).toBe(401);
  });

  test("says in German what is wrong, and a taken name is refused", async ({
    page,
    browserErrors,
  }) => {
    browserErrors.allowErrorResponse(400, ACTION_DATA);
    await logIn(page, DPO);
    await page.goto("/dpo/enforcement");
    await page.getByRole("button", { name: "Deutsch" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(
      translation("de", "enforcement.title"),
    );
    const form = page.getByTestId("register");
    await form.getByLabel(translation("de", "enforcement.name")).fill("Flack connector");
    await form.getByLabel("Flack", { exact: true }).check();
    await form.getByRole("button", { name: translation("de", "enforcement.register") }).click();
    await expect(form).toContainText(translation("de", "enforcement.errors.taken"));
    await expect(form.getByLabel("Flack", { exact: true })).toBeChecked();
  });

  test("shows the subject how many points applied her blocks; the page is not hers", async ({
    page,
    browserErrors,
  }) => {
    browserErrors.allowErrorResponse(403, "/dpo/enforcement");
    await logIn(page, ALICE);
    await page.goto("/me/choices");
    const enforced = fill(translation("en", "choices.blocks.enforced"), {
      acknowledged: 1,
      points: 1,
    });
    const flackco = page.getByTestId("block").filter({ hasText: "FlackCo" });
    await expect(flackco.getByTestId("block-enforcement")).toHaveText(enforced);

    // A new block reaches the demo's newsletter mailer, which applies it and says so.
    const newsletter = page.locator('[data-testid="choice-service"][data-service="Newsletter"]');
    await newsletter.getByText(translation("en", "choices.services.open")).click();
    await newsletter
      .getByLabel(
        translation("en", "choices.services.confirm").replace("{{service}}", "Newsletter"),
      )
      .check();
    await newsletter
      .getByRole("button", { name: translation("en", "choices.services.block") })
      .click();
    const rule = page.getByTestId("block").filter({ hasText: "Newsletter" });
    await expect(async () => {
      await page.reload();
      await expect(rule.getByTestId("block-enforcement")).toHaveText(enforced, { timeout: 500 });
    }).toPass({ timeout: 15_000, intervals: [250, 500, 1_000] });
    // Undone, so the other specs find Alice as the demo left her.
    await rule.getByRole("button", { name: translation("en", "choices.blocks.lift") }).click();
    await expect(page.getByTestId("block").filter({ hasText: "Newsletter" })).toHaveAttribute(
      "data-active",
      "no",
    );

    const response = await page.goto("/dpo/enforcement");
    expect(response?.status()).toBe(403);
  });
});
