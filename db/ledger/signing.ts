/** The ledger's logs as signed-note signers and verifiers: each key is named by its log's origin. */
import { openCheckpoint, signCheckpoint } from "./checkpoint";
import { createSigner, encodeVerifierKey, verifierKey } from "./note";

/** The signed note of a checkpoint of `log` at `size` with root `rootHash`. */
export function signLogCheckpoint(
  log: { origin: string; privateKey: Uint8Array },
  size: number,
  rootHash: Uint8Array,
): string {
  const signer = createSigner(log.origin, new Uint8Array(log.privateKey));
  return signCheckpoint({ origin: log.origin, size, rootHash }, signer);
}

/**
 * Size and root of a checkpoint note that the log's key signed for the log's origin.
 * Throws NoteError when the signature, the origin or the body is not right.
 */
export function openLogCheckpoint(
  origin: string,
  publicKey: Uint8Array,
  note: string,
): { size: number; rootHash: Uint8Array } {
  const { checkpoint } = openCheckpoint(note, verifierKey(origin, publicKey), origin);
  return { size: checkpoint.size, rootHash: checkpoint.rootHash };
}

/** The log's public key as a signed-note vkey, for witnesses and auditors. */
export function logVerifierKey(origin: string, publicKey: Uint8Array): string {
  return encodeVerifierKey(origin, publicKey);
}
