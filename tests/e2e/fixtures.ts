/**
 * The e2e tests' `test`: every browser context fails its test on a console error or an uncaught
 * page error (epic-stack's rule: a console.error is a bug somewhere, a 404 favicon included).
 * Also the demo's accounts and its translations, read from the same JSON files the portal ships.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { test as base, expect, type Page } from "@playwright/test";

export { expect };

export const ALICE = { email: "alice@example.org", password: "alice-demo-pass" } as const;
export const BOB = { email: "bob@example.org", password: "bob-demo-pass" } as const;
/** Her erasure was answered "erased" before her CRM contact was read again. */
export const CAROL = { email: "carol@example.org", password: "carol-demo-pass" } as const;
/** The demo organisation's data protection officer: no subject page, lands on the start page. */
export const DPO = {
  email: "dpo@lumen-books.example",
  password: "dpo-demo-pass",
  landsOn: /\/$/,
} as const;

export type Language = "en" | "de" | "fr";

/** The nested `common` namespace of public/locales/<lng>/common.json. */
type Messages = { [key: string]: string | Messages };

const LOCALES_DIR = path.resolve(import.meta.dirname, "../../public/locales");
const messages = new Map<Language, Messages>();

/** The translation of `key` ("me.title") in `lng`; throws if there is none. */
export function translation(lng: Language, key: string): string {
  let catalogue = messages.get(lng);
  if (!catalogue) {
    catalogue = JSON.parse(readFileSync(path.join(LOCALES_DIR, lng, "common.json"), "utf8"));
    messages.set(lng, catalogue as Messages);
  }
  let value: string | Messages | undefined = catalogue;
  for (const part of key.split(".")) {
    value = typeof value === "object" ? value[part] : undefined;
  }
  if (typeof value !== "string") throw new Error(`no ${lng} translation for ${key}`);
  return value;
}

/** A console error Chromium logs for an HTTP error status the test expects. */
const FAILED_RESOURCE = /^Failed to load resource: the server responded with a status of (\d{3})\b/;

export interface BrowserErrors {
  /**
   * Lets a response with this status for this path (e.g. 401 for "/login.data", the log-in
   * form's action) pass: Chromium logs every 4xx/5xx resource as a console error.
   */
  allowErrorResponse(status: number, pathname: string): void;
}

export const test = base.extend<{ browserErrors: BrowserErrors & { allowed: Set<string> } }>({
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern.
  browserErrors: async ({}, use) => {
    const allowed = new Set<string>();
    await use({
      allowed,
      allowErrorResponse: (status, pathname) => allowed.add(`${status} ${pathname}`),
    });
  },
  context: async ({ context, browserErrors }, use) => {
    const problems: string[] = [];
    context.on("console", (message) => {
      if (message.type() !== "error") return;
      const { url, lineNumber } = message.location();
      const status = FAILED_RESOURCE.exec(message.text())?.[1];
      if (status && url && browserErrors.allowed.has(`${status} ${new URL(url).pathname}`)) return;
      problems.push(`console.error: ${message.text()}${url ? ` (${url}:${lineNumber})` : ""}`);
    });
    context.on("weberror", (error) => {
      problems.push(`page error: ${error.error().stack ?? error.error().message}`);
    });
    await use(context);
    expect(problems, "the browser reported errors").toEqual([]);
  },
});

/**
 * Logs in through the form and waits for the page it redirects to: the account's `landsOn`,
 * or a subject's own page.
 */
export async function logIn(
  page: Page,
  account: { email: string; password: string; landsOn?: RegExp },
): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Email address").fill(account.email);
  await page.getByLabel("Password", { exact: true }).fill(account.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(account.landsOn ?? /\/me$/);
}

/** Logs out with the header's button (the page in English) and waits for the log-in link. */
export async function logOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: translation("en", "nav.logOut") }).click();
  await expect(
    page.getByRole("link", { name: translation("en", "nav.logIn") }).first(),
  ).toBeVisible();
}

/** The demo's capture hosts; each has a ledger log `provtopia.example/prov/<host>`. */
export const DEMO_HOSTS = ["web-1", "crm-1", "mail-1", "ci-runner"] as const;

/** Log origin of a demo host. */
export const demoLogOrigin = (host: string) => `provtopia.example/prov/${host}`;

/**
 * Reloads the integrity page until every demo host's log shows a signed checkpoint: right after
 * the demo starts, the bridge may not have signed one yet (it does every CHECKPOINT_INTERVAL_MS,
 * one second in the e2e run).
 */
export async function reloadUntilCheckpointed(page: Page): Promise<void> {
  await expect(async () => {
    await page.reload();
    for (const host of DEMO_HOSTS) {
      const note = page.locator(
        `[data-origin="${demoLogOrigin(host)}"] [data-testid="checkpoint"] pre`,
      );
      expect(await note.count(), `a checkpoint of ${host}`).toBe(1);
    }
  }).toPass({ timeout: 20_000, intervals: [250, 500, 1_000] });
}
