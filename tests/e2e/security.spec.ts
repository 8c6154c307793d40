/**
 * The portal's guards over plain HTTP: a cross-site form post is refused (CSRF), staff accounts
 * have no subject page, and a log-out really ends the session on the server.
 */
import { request as playwrightRequest } from "@playwright/test";
import { ALICE, expect, test } from "./fixtures";

test.describe("the portal's guards", () => {
  test("refuse a log-in posted from another site", async ({ baseURL }) => {
    const api = await playwrightRequest.newContext({ baseURL });
    const response = await api.post("/login", {
      form: { email: ALICE.email, password: ALICE.password },
      headers: { Origin: "https://evil.example" },
      maxRedirects: 0,
    });
    expect(response.status()).toBe(403);
    expect(response.headers()["set-cookie"] ?? "").not.toContain("provtopia_session");
    await api.dispose();
  });

  test("give a DPO account no subject page", async ({ baseURL }) => {
    const api = await playwrightRequest.newContext({ baseURL });
    const login = await api.post("/login", {
      form: { email: "dpo@lumen-books.example", password: "dpo-demo-pass" },
      headers: { Origin: new URL(baseURL ?? "").origin },
      maxRedirects: 0,
    });
    expect(login.status()).toBe(302);
    expect(login.headers().location).toBe("/");
    const me = await api.get("/me", { maxRedirects: 0 });
    expect(me.status()).toBe(403);
    await api.dispose();
  });

  test("end the session on the server at log-out, so a copied cookie stops working", async ({
    baseURL,
  }) => {
    const origin = new URL(baseURL ?? "").origin;
    const api = await playwrightRequest.newContext({ baseURL });
    await api.post("/login", {
      form: { email: ALICE.email, password: ALICE.password },
      headers: { Origin: origin },
      maxRedirects: 0,
    });
    const state = await api.storageState();
    const copied = state.cookies.find((c) => c.name === "provtopia_session");
    expect(copied).toBeDefined();
    expect((await api.get("/me", { maxRedirects: 0 })).status()).toBe(200);

    await api.post("/logout", { headers: { Origin: origin }, maxRedirects: 0 });
    const replay = await playwrightRequest.newContext({
      baseURL,
      extraHTTPHeaders: { Cookie: `provtopia_session=${copied?.value}` },
    });
    const me = await replay.get("/me", { maxRedirects: 0 });
    expect(me.status()).toBe(302);
    expect(me.headers().location).toMatch(/^\/login\?redirectTo=/);
    await api.dispose();
    await replay.dispose();
  });
});
