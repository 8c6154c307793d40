/**
 * Capture hosts that sign their messages (R8, non-repudiation): a registered host's signed
 * note is stored and its signature kept in the ledger; its unsigned or wrongly signed messages
 * are quarantined; the verifier checks the signature again from the archive.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IngestTally, ingestMessage } from "../../../capture-bridge/pipeline/ingest";
import { registerHostKey } from "../../../db/ledger/host-signatures";
import {
  encodeVerifierKey,
  generateSigner,
  type NoteSigner,
  signNote,
} from "../../../db/ledger/note";
import { verifyLedger } from "../../../db/ledger/verify";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";

const document = (name: string) =>
  JSON.stringify({ prefix: { ex: "http://example.org/sig/" }, entity: { [`ex:${name}`]: {} } });

describe.each(STORE_KINDS)("host signatures on %s", (kind) => {
  let t: TestStore;
  let signer: NoteSigner;
  const send = async (payload: string) => {
    const tally = new IngestTally();
    await ingestMessage(
      t.store,
      { source: "test:signed", host: "signer-1", payload: new TextEncoder().encode(payload) },
      tally,
    );
    return tally.summary();
  };
  const lastQuarantineReason = async () =>
    (
      await t.store.rows<{ reason: string }>(
        sql`select reason from quarantine order by id desc limit 1`,
      )
    )[0]?.reason;

  beforeAll(async () => {
    t = await createTestStore(kind);
    signer = generateSigner("signer-1");
    await registerHostKey(t.store, "signer-1", encodeVerifierKey(signer.name, signer.publicKey));
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("stores a signed document and names the key in its ledger record", async () => {
    expect(await send(signNote(`${document("one")}\n`, [signer]))).toMatchObject({
      nodes: 1,
      new: 1,
      quarantined: 0,
    });
    const [record] = await t.store.rows<{ leaf: Uint8Array }>(sql`select leaf from ledger_records`);
    const leaf = JSON.parse(Buffer.from(record?.leaf ?? []).toString());
    expect(leaf.signedBy).toBe(`signer-1+${Buffer.from(signer.keyId).toString("hex")}`);
    const { report } = await verifyLedger(t.store);
    expect(report.findings).toEqual([]);
  });

  it("quarantines an unsigned message from a host that signs", async () => {
    expect(await send(document("unsigned"))).toMatchObject({ new: 0, quarantined: 1 });
    expect(await lastQuarantineReason()).toBe(
      "host signer-1 signs its messages; this one is unsigned",
    );
  });

  it("quarantines a message signed by another key", async () => {
    const impostor = generateSigner("signer-1");
    expect(await send(signNote(`${document("forged")}\n`, [impostor]))).toMatchObject({
      quarantined: 1,
    });
    expect(await lastQuarantineReason()).toMatch(/^host signature: /);
  });

  it("quarantines a signed message holding two documents", async () => {
    const two = `${document("a")}\n${document("b")}\n`;
    expect(await send(signNote(two, [signer]))).toMatchObject({ quarantined: 1 });
    expect(await lastQuarantineReason()).toBe(
      "a signed message must hold exactly one document, got 2",
    );
  });

  it("lets the verifier notice a host key swapped behind the ledger's back", async () => {
    const other = generateSigner("signer-1");
    await t.store.rows(sql`
      update hosts set verifier_key = ${encodeVerifierKey(other.name, other.publicKey)} where name = 'signer-1'`);
    const { report } = await verifyLedger(t.store);
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        log: "provtopia.example/prov/signer-1",
        index: 0,
        kind: "bad-signature",
      }),
    );
  });
});
