/**
 * The ledger on each backend: ingest records every stored document once, the legal log
 * records portal events, checkpoints verify with the log's published key, and the bridge's
 * auditor API serves checkpoints and proofs that verify.
 */

import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_DOCUMENTS } from "../../../capture-bridge/demo/demo-org";
import { serveHttp } from "../../../capture-bridge/http";
import { cosignCheckpoint, openCheckpoint } from "../../../db/ledger/checkpoint";
import { appendLegalEvent, checkpointAll, LEGAL_ORIGIN } from "../../../db/ledger/log";
import { hashLeaf, verifyInclusion } from "../../../db/ledger/merkle";
import {
  encodeVerifierKey,
  generateSigner,
  KEY_TYPE_COSIGNATURE_V1,
} from "../../../db/ledger/note";
import { logVerifierKey } from "../../../db/ledger/signing";
import { verifyLedger } from "../../../db/ledger/verify";
import { checkWitnessedCheckpoint, importWitnessedCheckpoint } from "../../../db/ledger/witness";
import { ingestDemoDocuments } from "../../factories/demo";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";

/** The demo's documents per capture host: one ledger record each. */
const DOCUMENTS_PER_HOST = new Map<string, number>();
for (const { host } of DEMO_DOCUMENTS) {
  DOCUMENTS_PER_HOST.set(host, (DOCUMENTS_PER_HOST.get(host) ?? 0) + 1);
}

describe.each(STORE_KINDS)("ledger on %s", (kind) => {
  let t: TestStore;
  let http: Server;
  let base: string;

  beforeAll(async () => {
    t = await createTestStore(kind);
    await ingestDemoDocuments(t.store);
    await ingestDemoDocuments(t.store); // a re-delivery records nothing new
    await appendLegalEvent(t.store, {
      type: "consent-given",
      actor: "alice@example.org",
      details: { purpose: "newsletter" },
    });
    await appendLegalEvent(t.store, {
      type: "verification-run",
      actor: "dpo@lumen-books.example",
      details: {},
    });
    await checkpointAll(t.store);
    http = await serveHttp(t.store, 0);
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => http?.close(() => resolve()));
    await t?.dispose();
  });

  it("keeps one log per host, one record per stored document, and the legal log", async () => {
    const rows = await t.store.rows<{ origin: string; n: number }>(sql`
      select l.origin, count(r.seq)::int as n from ledger_logs l
      left join ledger_records r on r.log_id = l.id group by l.origin order by l.origin`);
    expect(rows).toEqual([
      { origin: "provtopia.example/legal", n: 2 },
      ...[...DOCUMENTS_PER_HOST]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([host, n]) => ({ origin: `provtopia.example/prov/${host}`, n })),
    ]);
    expect(rows.map((row) => row.origin)).toEqual([
      "provtopia.example/legal",
      "provtopia.example/prov/ci-runner",
      "provtopia.example/prov/crm-1",
      "provtopia.example/prov/mail-1",
      "provtopia.example/prov/web-1",
    ]);
  });

  it("verifies clean, and remembers what it verified", async () => {
    const { report, state } = await verifyLedger(t.store);
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.leaves).toBe(DEMO_DOCUMENTS.length + 2);
    expect(Object.keys(state.logs)).toHaveLength(5);
    expect(state.logs[LEGAL_ORIGIN]?.size).toBe(2);
  });

  it("signs checkpoints that open with the log's published verifier key", async () => {
    const [log] = await t.store.rows<{ origin: string; public_key: Uint8Array }>(
      sql`select origin, public_key from ledger_logs where origin = 'provtopia.example/prov/web-1'`,
    );
    const vkey = logVerifierKey(log?.origin ?? "", new Uint8Array(log?.public_key ?? []));
    expect(vkey).toMatch(/^provtopia\.example\/prov\/web-1\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/);
    const note = await (
      await fetch(`${base}/ledger/checkpoint?log=${encodeURIComponent(log?.origin ?? "")}`)
    ).text();
    const { checkpoint } = openCheckpoint(note, vkey);
    expect(checkpoint.origin).toBe("provtopia.example/prov/web-1");
    expect(checkpoint.size).toBe(DOCUMENTS_PER_HOST.get("web-1"));
  });

  it("serves inclusion proofs an auditor can check against the checkpoint", async () => {
    const origin = encodeURIComponent("provtopia.example/prov/web-1");
    const response = await fetch(`${base}/ledger/proof/inclusion?log=${origin}&index=1`);
    expect(response.status).toBe(200);
    const body = await response.json();
    const leafHash = hashLeaf(new TextEncoder().encode(body.leaf));
    expect(Buffer.from(leafHash).toString("base64")).toBe(body.leafHash);
    const proof = body.proof.map((h: string) => new Uint8Array(Buffer.from(h, "base64")));
    const root = new Uint8Array(Buffer.from(body.rootHash, "base64"));
    expect(verifyInclusion(leafHash, 1, body.treeSize, proof, root)).toBe(true);
  });

  it("answers a bad proof request with 400 and what was wrong", async () => {
    const origin = encodeURIComponent("provtopia.example/prov/web-1");
    const tooFar = await fetch(`${base}/ledger/proof/inclusion?log=${origin}&index=9`);
    expect(tooFar.status).toBe(400);
    expect(await tooFar.text()).toContain(
      `index must be in [0, ${DOCUMENTS_PER_HOST.get("web-1")}), got 9`,
    );
    const unknown = await fetch(`${base}/ledger/checkpoint?log=nope`);
    expect(unknown.status).toBe(400);
    const logs = await (await fetch(`${base}/ledger/logs`)).json();
    expect(logs).toContainEqual({ origin: LEGAL_ORIGIN, size: 2, checkpointSize: 2 });
  });

  it("catches an edited legal event in the archive", async () => {
    await t.store.rows(sql`
      update ledger_archive_tail set raw = convert_to(replace(convert_from(raw, 'UTF8'), 'newsletter', 'analytics'), 'UTF8')
      where log_id = (select id from ledger_logs where origin = ${LEGAL_ORIGIN}) and seq = 0`);
    const { report } = await verifyLedger(t.store);
    expect(report.findings).toContainEqual(
      expect.objectContaining({ log: LEGAL_ORIGIN, index: 0, kind: "archive" }),
    );
  });

  it("checks and keeps a checkpoint cosigned by an outside witness, and refuses a rewritten one", async () => {
    const origin = "provtopia.example/prov/crm-1";
    const note = await (
      await fetch(`${base}/ledger/checkpoint?log=${encodeURIComponent(origin)}`)
    ).text();
    const witness = generateSigner("witness.example", KEY_TYPE_COSIGNATURE_V1);
    const vkey = encodeVerifierKey(witness.name, witness.publicKey, KEY_TYPE_COSIGNATURE_V1);
    const body = note.slice(0, note.indexOf("\n\n") + 1);
    const cosigned = note + cosignCheckpoint(body, witness, 1_790_000_000);

    const kept = await importWitnessedCheckpoint(t.store, origin, cosigned, vkey);
    expect(kept).toMatchObject({
      size: DOCUMENTS_PER_HOST.get("crm-1"),
      timestamp: 1_790_000_000,
    });
    const other = generateSigner("witness.example", KEY_TYPE_COSIGNATURE_V1);
    const otherVkey = encodeVerifierKey(other.name, other.publicKey, KEY_TYPE_COSIGNATURE_V1);
    await expect(checkWitnessedCheckpoint(t.store, origin, cosigned, otherVkey)).rejects.toThrow(
      /cosignature/,
    );

    // The log rewrites a record the witness has seen: the witnessed tree no longer matches.
    await t.store.rows(sql`
      update ledger_records set leaf_hash = sha256(leaf) where seq = 0
        and log_id = (select id from ledger_logs where origin = ${origin})`);
    await expect(checkWitnessedCheckpoint(t.store, origin, cosigned, vkey)).rejects.toThrow(
      new RegExp(`different tree of size ${DOCUMENTS_PER_HOST.get("crm-1")}`),
    );
  });
});
