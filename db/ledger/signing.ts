/** The ledger's logs as signed-note signers and verifiers: the key is named by the log origin. */
import { formatCheckpoint, openCheckpoint } from "./checkpoint";
import { createSigner, encodeVerifierKey, NoteError, signNote, verifierKey } from "./note";

/** The signed note of a checkpoint of `log` at `size` with root `rootHash`. */
export function signCheckpoint(
  log: { origin: string; privateKey: Uint8Array },
  size: number,
  rootHash: Uint8Array,
): string {
  const signer = createSigner(log.origin, new Uint8Array(log.privateKey));
  return signNote(formatCheckpoint({ origin: log.origin, size, rootHash }), [signer]);
}

/**
 * Size and root of a checkpoint note that the log's key signed for the log's origin.
 * Throws NoteError when the signature or the body is not right.
 */
export function openLogCheckpoint(
  origin: string,
  publicKey: Uint8Array,
  note: string,
): { size: number; rootHash: Uint8Array } {
  const { checkpoint } = openCheckpoint(note, verifierKey(origin, publicKey));
  if (checkpoint.origin !== origin) {
    throw new NoteError(
      "MALFORMED_CHECKPOINT",
      `checkpoint origin ${JSON.stringify(checkpoint.origin)}, want ${JSON.stringify(origin)}`,
    );
  }
  return { size: checkpoint.size, rootHash: checkpoint.rootHash };
}

/** The log's public key as a signed-note vkey, for witnesses and auditors. */
export function logVerifierKey(origin: string, publicKey: Uint8Array): string {
  return encodeVerifierKey(origin, publicKey);
}
