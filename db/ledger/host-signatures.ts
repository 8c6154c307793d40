/**
 * Messages that capture hosts sign (non-repudiation, R8): a signed note (c2sp.org/signed-note)
 * whose text is one provenance document and whose signature is by the host's registered
 * Ed25519 key, named after the host. The whole note is archived as the raw message and the leaf
 * names the key (`signedBy`), so the verifier can check the signature again years later.
 */
import { sql } from "drizzle-orm";
import type { Store } from "../client";
import { hosts } from "../schema";
import { NoteError, openNote, parseVerifierKey } from "./note";

const SIGNATURE_SEPARATOR = "\n\n\u2014 ";

export function looksLikeSignedNote(text: string): boolean {
  return text.includes(SIGNATURE_SEPARATOR);
}

/**
 * The note's text and `<name>+<key id hex>` of the host key that signed it. Throws NoteError
 * if the note is malformed or `vkey` did not sign it.
 */
export function openHostSignedMessage(
  vkey: string,
  text: string,
): { body: string; signedBy: string } {
  const key = parseVerifierKey(vkey);
  const note = openNote(text, [key]);
  return { body: note.body, signedBy: `${key.name}+${Buffer.from(key.keyId).toString("hex")}` };
}

/** The host's registered vkey, or null when the host does not sign its messages. */
export async function hostVerifierKey(store: Store, hostName: string): Promise<string | null> {
  const [row] = await store.rows<{ verifier_key: string | null }>(
    sql`select verifier_key from hosts where name = ${hostName}`,
  );
  return row?.verifier_key ?? null;
}

/**
 * Registers (or replaces) the key a host signs with; from then on its unsigned messages are
 * quarantined. The key's name must be the host's name. Throws NoteError for a bad vkey.
 */
export async function registerHostKey(store: Store, hostName: string, vkey: string): Promise<void> {
  const key = parseVerifierKey(vkey);
  if (key.name !== hostName) {
    throw new NoteError(
      "INVALID_KEY_NAME",
      `the key is named ${JSON.stringify(key.name)}, want the host's name ${JSON.stringify(hostName)}`,
    );
  }
  await store.db
    .insert(hosts)
    .values({ name: hostName, verifierKey: vkey })
    .onConflictDoUpdate({ target: hosts.name, set: { verifierKey: vkey } });
}
