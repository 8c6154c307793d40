/**
 * POST /ingest on the bridge: a document posted with a host's bearer token is stored and
 * attributed to that host; missing, wrong and revoked tokens get 401, other content types 415,
 * oversized bodies 413 (unread), unreadable ones 400 and a quarantine row. Only SHA-256 of a
 * token's secret is at rest. On PGlite always, and on PostgreSQL when DATABASE_URL is set.
 */
import { createHash } from "node:crypto";
import { request as httpRequest } from "node:http";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../capture-bridge/config";
import { type RunningBridge, startBridge } from "../../../capture-bridge/main";
import { issueHostToken, revokeHostTokens } from "../../../db/auth/host-tokens";
import { registerHostKey } from "../../../db/ledger/host-signatures";
import { encodeVerifierKey, generateSigner, signNote } from "../../../db/ledger/note";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";

const MAX_BODY = 4096;
const doc = (name: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    prefix: { ex: "http://example.org/http/" },
    entity: { [`ex:${name}`]: { "gdpr:category": "email" } },
    ...extra,
  });

describe.each(STORE_KINDS)("POST /ingest on %s", (kind) => {
  let t: TestStore;
  let bridge: RunningBridge;
  let token: string;

  beforeAll(async () => {
    t = await createTestStore(kind);
    bridge = await startBridge(
      loadConfig({
        MQTT_PORT: "0",
        BRIDGE_PORT: "0",
        INGEST_MAX_BODY_BYTES: String(MAX_BODY),
        LOG_LEVEL: "silent",
      }),
      { store: t.store },
    );
    token = (await issueHostToken(t.store, "crm-app")).token;
  });
  afterAll(async () => {
    await bridge?.stop();
    await t?.dispose();
  });

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${bridge.httpUrl}/ingest`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        ...headers,
      },
      body,
    });

  it("stores the document, attributed to the token's host, and says what it stored", async () => {
    const response = await post(
      doc("signup", {
        activity: { "ex:crm-import": {} },
        used: { "ex:u1": { "prov:activity": "ex:crm-import", "prov:entity": "ex:signup" } },
      }),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      host: "crm-app",
      stored: 1,
      quarantined: 0,
      elements: 3,
      new: 3,
    });
    const hosts = await t.store.rows<{ name: string }>(sql`
      select distinct h.name from prov_nodes n
      join prov_node_hosts nh on nh.node_id = n.id join hosts h on h.id = nh.host_id
      where n.ext_id like 'http://example.org/http/%'`);
    expect(hosts).toEqual([{ name: "crm-app" }]);
    // The same document again: accepted, nothing new.
    const again = await post(
      doc("signup", {
        activity: { "ex:crm-import": {} },
        used: { "ex:u1": { "prov:activity": "ex:crm-import", "prov:entity": "ex:signup" } },
      }),
    );
    expect(await again.json()).toMatchObject({ stored: 1, new: 0 });
  });

  it("refuses a missing, malformed, wrong or revoked token with 401", async () => {
    const [id] = token.split(".");
    const cases: Array<[string, Record<string, string>]> = [
      ["none", { authorization: "" }],
      ["not bearer", { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` }],
      ["malformed", { authorization: "Bearer nodot" }],
      ["wrong secret", { authorization: `Bearer ${id}.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa` }],
      ["unknown id", { authorization: "Bearer aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbb" }],
    ];
    for (const [what, headers] of cases) {
      const response = await post(doc(`refused-${what}`), headers);
      expect(response.status, what).toBe(401);
      expect(response.headers.get("www-authenticate"), what).toMatch(/^Bearer /);
      expect((await response.json()).error.code, what).toBe("unauthorized");
    }
    const other = await issueHostToken(t.store, "mailer");
    expect(
      (await post(doc("before-revoke"), { authorization: `Bearer ${other.token}` })).status,
    ).toBe(200);
    expect(await revokeHostTokens(t.store, "mailer")).toBe(1);
    const revoked = await post(doc("after-revoke"), { authorization: `Bearer ${other.token}` });
    expect(revoked.status).toBe(401);
    expect(await revoked.json()).toEqual({
      error: { code: "unauthorized", message: "the token is unknown, wrong or revoked" },
    });
    const stored = await t.store.rows<{ ext_id: string }>(
      sql`select ext_id from prov_nodes where ext_id like '%refused-%' or ext_id like '%after-revoke'`,
    );
    expect(stored).toEqual([]);
  });

  it("answers 415 for other content types and 413 for a body over the limit", async () => {
    const form = await post("a=b", { "content-type": "application/x-www-form-urlencoded" });
    expect(form.status).toBe(415);
    expect((await form.json()).error.code).toBe("unsupported_media_type");

    const huge = doc("huge", { entity: { "ex:huge": { "ex:pad": "x".repeat(MAX_BODY) } } });
    const declared = await post(huge);
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({
      error: { code: "payload_too_large", message: `the body is larger than ${MAX_BODY} bytes` },
    });
    // Chunked, so the size is known only while reading.
    const chunked = await rawPost(bridge.httpUrl, token, [huge.slice(0, 3000), huge.slice(3000)]);
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body).error.code).toBe("payload_too_large");
    const stored = await t.store.rows(sql`select 1 from prov_nodes where ext_id like '%huge'`);
    expect(stored).toEqual([]);
  });

  it("answers 400 for an empty or unreadable body, and keeps the unreadable one in quarantine", async () => {
    const empty = await post("");
    expect(empty.status).toBe(400);
    expect((await empty.json()).error.code).toBe("empty_body");

    const broken = await post('{"entity": {"ex:x": ');
    expect(broken.status).toBe(400);
    const answer = await broken.json();
    expect(answer).toMatchObject({ host: "crm-app", stored: 0, quarantined: 1 });
    expect(answer.error.code).toBe("quarantined");
    expect(answer.error.message).toContain("not JSON");
    const [row] = await t.store.rows<{ source: string; raw: Uint8Array }>(
      sql`select source, raw from quarantine where source = 'http:crm-app'`,
    );
    expect(Buffer.from(row?.raw ?? []).toString()).toBe('{"entity": {"ex:x": ');
  });

  it("checks a signing host's signature against the token's host", async () => {
    const signer = generateSigner("signing-app");
    await registerHostKey(t.store, "signing-app", encodeVerifierKey(signer.name, signer.publicKey));
    const { token: signing } = await issueHostToken(t.store, "signing-app");
    const unsigned = await post(doc("unsigned"), { authorization: `Bearer ${signing}` });
    expect(unsigned.status).toBe(400);
    expect(await unsigned.json()).toMatchObject({ stored: 0, quarantined: 1 });
    const signed = await post(signNote(`${doc("signed")}\n`, [signer]), {
      authorization: `Bearer ${signing}`,
      "content-type": "text/plain; charset=utf-8",
    });
    expect(signed.status).toBe(200);
    expect(await signed.json()).toMatchObject({ host: "signing-app", stored: 1, quarantined: 0 });
    // Another host's token cannot pass off the signing host's note as its own.
    const replayed = await post(signNote(`${doc("replayed")}\n`, [signer]), {
      "content-type": "text/plain",
    });
    expect(replayed.status).toBe(400);
    const [row] = await t.store.rows<{ reason: string }>(
      sql`select reason from quarantine where source = 'http:crm-app' and reason like '%signed%'`,
    );
    expect(row?.reason).toBe("a signed message from host crm-app, which has no registered key");
  });

  it("keeps only SHA-256 of the token's secret at rest", async () => {
    const issued = await issueHostToken(t.store, "at-rest");
    const [id, secret] = issued.token.split(".") as [string, string];
    expect(id).toBe(issued.id);
    expect(secret).toMatch(/^[a-z2-7]{32}$/); // 160 random bits, base32
    const rows = await t.store.rows<{ id: string; secret_hash: Uint8Array; whole: string }>(
      sql`select id, secret_hash, row_to_json(host_tokens)::text as whole from host_tokens where id = ${id}`,
    );
    expect(rows).toHaveLength(1);
    const row = rows[0] as { id: string; secret_hash: Uint8Array; whole: string };
    expect(Buffer.from(row.secret_hash).toString("hex")).toBe(
      createHash("sha256").update(secret).digest("hex"),
    );
    expect(row.whole).not.toContain(secret);
    const everything = await t.store.rows<{ dump: string }>(
      sql`select string_agg(row_to_json(x)::text, '') as dump from host_tokens x`,
    );
    expect(everything[0]?.dump).not.toContain(secret);
  });

  it("counts what came in on /metrics, by source", async () => {
    const metrics = await (await fetch(`${bridge.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/provtopia_bridge_messages_received_total\{source="http"\} [1-9]/);
    expect(metrics).toMatch(/provtopia_bridge_quarantined_total\{source="http"\} [1-9]/);
    expect(metrics).toMatch(/provtopia_bridge_documents_stored_total\{source="http"\} [1-9]/);
    expect(metrics).toContain("# TYPE provtopia_bridge_batch_duration_seconds histogram");
  });
});

/** A chunked POST (no Content-Length), written piece by piece. */
function rawPost(
  base: string,
  token: string,
  pieces: string[],
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${base}/ingest`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      },
      (response) => {
        let body = "";
        response.on("data", (chunk) => {
          body += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on("error", reject);
    for (const piece of pieces) request.write(piece);
    request.end();
  });
}
