/**
 * The DPO's quarantine against the running demo, whose seed sends two messages the bridge cannot
 * read (capture-bridge/demo/demo-org.ts, DEMO_MALFORMED): both are listed with their source and
 * reason, text shown as text and other bytes as a hex dump; filters narrow the list and say
 * what is wrong, in the reader's language; the whole message downloads byte for byte and the
 * download is recorded in the legal log; a subject may not open the page or download.
 */
import { readFile } from "node:fs/promises";
import { DEMO_MALFORMED } from "../../capture-bridge/demo/demo-org";
import { ALICE, DPO, expect, logIn, test, translation } from "./fixtures";
import { E2E_BRIDGE_PORT } from "./ports";

const BRIDGE = `http://127.0.0.1:${E2E_BRIDGE_PORT}`;

async function legalLogSize(): Promise<number> {
  const logs = (await (await fetch(`${BRIDGE}/ledger/logs`)).json()) as {
    origin: string;
    size: number;
  }[];
  return logs.find((log) => log.origin.endsWith("/legal"))?.size ?? 0;
}

test.describe("quarantine", () => {
  test("lists what the bridge could not read, filters it, and downloads a message whole", async ({
    page,
    browserErrors,
  }) => {
    browserErrors.allowErrorResponse(400, "/dpo/quarantine.data");
    await logIn(page, DPO);
    await page.getByRole("link", { name: translation("en", "nav.quarantine") }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(
      translation("en", "quarantine.title"),
    );
    const messages = page.getByTestId("quarantined-message");
    await expect(messages).toHaveCount(2);
    const crm = messages.filter({ hasText: "crm-1" });
    const web = messages.filter({ hasText: "web-1" });
    await crm.locator("summary").click();
    await expect(crm.getByTestId("preview")).toHaveAttribute("data-kind", "text");
    await expect(crm.getByTestId("preview")).toContainText('"gdpr:subject":"subj-carol"');
    await web.locator("summary").click();
    await expect(web.getByTestId("preview")).toHaveAttribute("data-kind", "hex");
    await expect(web.getByTestId("preview")).toContainText("7b 22 65 6e 74 69 74 79 22 3a c3 28");
    // Each with the kind of problem, named, above the reader's own message.
    await expect(crm.getByTestId("quarantine-kind")).toHaveText(
      translation("en", "quarantine.kinds.not-json.name"),
    );
    await expect(web.getByTestId("quarantine-kind")).toHaveText(
      translation("en", "quarantine.kinds.not-text.name"),
    );
    await expect(crm.locator(".detail")).toContainText("not JSON: Unterminated string");

    // Filters: a part of the source; then one too long, which the form says is wrong.
    const filter = page.getByTestId("quarantine-filter");
    await filter.getByLabel(translation("en", "quarantine.source")).fill("crm-1");
    await filter.getByRole("button", { name: translation("en", "quarantine.apply") }).click();
    await expect(messages).toHaveCount(1);
    await expect(messages).toContainText("crm-1");
    await expect(page).toHaveURL(/source=crm-1/);
    await filter.getByLabel(translation("en", "quarantine.reason")).fill("x".repeat(201));
    await filter.getByRole("button", { name: translation("en", "quarantine.apply") }).click();
    await expect(
      filter.getByLabel(translation("en", "quarantine.reason")),
    ).toHaveAccessibleDescription(
      new RegExp(`^${translation("en", "quarantine.errors.tooLong").replace("{{max}}", "200")}`),
    );
    // A refused filter lists nothing, and claims no count.
    await expect(messages).toHaveCount(0);
    await expect(page.getByTestId("quarantine-matching")).toHaveCount(0);
    await filter.getByRole("link", { name: translation("en", "quarantine.clear") }).click();
    await expect(messages).toHaveCount(2);
    // The form shows what is shown: no filter left in its fields.
    await expect(filter.getByLabel(translation("en", "quarantine.source"))).toHaveValue("");
    await expect(filter.getByLabel(translation("en", "quarantine.reason"))).toHaveValue("");
    // One kind: from the form, or from its count above the list.
    await filter
      .getByLabel(translation("en", "quarantine.kind"))
      .selectOption({ label: translation("en", "quarantine.kinds.not-text.name") });
    await filter.getByRole("button", { name: translation("en", "quarantine.apply") }).click();
    await expect(messages).toHaveCount(1);
    await expect(messages).toContainText("web-1");
    await expect(page).toHaveURL(/kind=not-text/);
    await page
      .getByTestId("quarantine-kinds")
      .getByRole("link", { name: `${translation("en", "quarantine.kinds.not-json.name")}: 1` })
      .click();
    await expect(messages).toHaveCount(1);
    await expect(messages).toContainText("crm-1");
    await page.goto("/dpo/quarantine");
    await expect(messages).toHaveCount(2);

    // The whole message, byte for byte, and one more record in the legal log.
    const before = await legalLogSize();
    await web.locator("summary").click();
    const download = page.waitForEvent("download");
    await web.getByTestId("download-raw").click();
    const file = await download;
    const bytes = await readFile((await file.path()) as string);
    const sent = DEMO_MALFORMED.find((m) => m.host === "web-1")?.payload as Uint8Array;
    expect(bytes.equals(Buffer.from(sent))).toBe(true);
    expect(file.suggestedFilename()).toMatch(/^quarantine-\d+\.bin$/);
    expect(await legalLogSize()).toBe(before + 1);
  });

  test("speaks German", async ({ page, browserErrors }) => {
    browserErrors.allowErrorResponse(400, "/dpo/quarantine");
    browserErrors.allowErrorResponse(400, "/dpo/quarantine.data");
    await logIn(page, DPO);
    await page.goto("/dpo/quarantine?before=abc");
    await page.getByRole("button", { name: "Deutsch" }).click();
    await expect(page.getByRole("alert")).toHaveText(
      translation("de", "quarantine.errors.badPage"),
    );
    await page.goto("/dpo/quarantine");
    await expect(page.getByTestId("quarantine-total")).toContainText("2 Nachrichten in Quarantäne");
    // The kinds in German; the readers' own messages stay as they wrote them, marked English.
    await expect(page.getByTestId("quarantine-kind")).toHaveText(
      ["not-text", "not-json"].map((kind) => translation("de", `quarantine.kinds.${kind}.name`)),
    );
    await expect(page.locator("td.reason .detail").first()).toHaveAttribute("lang", "en");
    await page.goto("/dpo/quarantine?kind=json");
    await expect(page.getByLabel(translation("de", "quarantine.kind"))).toHaveAccessibleDescription(
      new RegExp(`^${translation("de", "quarantine.errors.badKind")}`),
    );
  });

  test("is not the subject's: neither the page nor a download", async ({ page, browserErrors }) => {
    browserErrors.allowErrorResponse(403, "/dpo/quarantine");
    await logIn(page, ALICE);
    const response = await page.goto("/dpo/quarantine");
    expect(response?.status()).toBe(403);
    const origin = new URL(page.url()).origin;
    const download = await page.request.post("/dpo/quarantine/raw", {
      form: { id: "1" },
      headers: { origin },
      maxRedirects: 0,
    });
    expect(download.status()).toBe(403);
    expect(await download.text()).not.toContain("subj-carol");
  });
});
