/**
 * Signed notes (C2SP signed-note v1, the format of golang.org/x/mod/sumdb/note): a text signed by
 * one or more Ed25519 keys. Pure functions over strings and bytes; the only dependency is
 * node:crypto. Checkpoints (db/ledger/checkpoint.ts) are notes with a fixed body.
 *
 * Byte formats, and where each comes from:
 * - key ID = SHA-256(key name || 0x0A || signature type || public key)[:4]
 *   (c2sp.org/signed-note, "Signatures" and "Ed25519 signatures"; sumdb/note keyHash). Type 0x01
 *   is a plain Ed25519 note signature, 0x04 a timestamped witness cosignature
 *   (c2sp.org/tlog-cosignature, "Format").
 * - verifier key "<name>+<8 hex digits of key ID>+<base64(type || 32-byte public key)>" and signer
 *   key "PRIVATE+KEY+<name>+<hex key ID>+<base64(type || 32-byte Ed25519 seed)>"
 *   (sumdb/note NewVerifier, NewSigner, GenerateKey; c2sp.org/tlog-cosignature for type 0x04).
 * - note = text ending in "\n", a blank line, then one or more lines
 *   "— <key name> <base64(key ID || signature)>\n" (U+2014, U+0020); the text is split from the
 *   signatures at the LAST blank line; UTF-8 with no control characters but "\n"
 *   (c2sp.org/signed-note, "Format"; sumdb/note Open and Sign).
 * - a type 0x04 signature is base64(key ID || u64 big-endian timestamp || Ed25519 signature) over
 *   "cosignature/v1\ntime <decimal timestamp>\n" || note text (c2sp.org/tlog-cosignature,
 *   "Ed25519 signed message"; transparency-dev/formats note/note_cosigv1.go).
 *
 * Texts followed (as stored copies): C2SP/C2SP signed-note.md @0552876, tlog-cosignature.md
 * @01194db; golang/mod sumdb/note/note.go @605edab and note_test.go @02c9913 (whose PeterNeumann
 * vectors tests/vectors/ledger/ pins); transparency-dev/formats note/note_cosigv1.go @0326460.
 *
 * Where this module is stricter than sumdb/note, on purpose (a ledger verifier must not shrug):
 * a second signature line by the same known key is DUPLICATE_SIGNATURE (sumdb drops it unchecked);
 * base64 must be canonical and padded (Go's decoder also takes stray bits and embedded CR/LF);
 * key names also refuse control characters and U+FEFF; two different verifier keys with the same
 * name and key ID are refused when the list is given, not when a signature happens to use them;
 * a cosignature dated past 2^53 - 1 seconds is refused (the spec allows refusing future dates).
 * Signatures by unknown keys are ignored as the spec requires (MUST), and listed as unverified.
 */

import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";

/** Signature type byte of a plain Ed25519 note signature (c2sp.org/signed-note). */
export const KEY_TYPE_ED25519 = 0x01;
/** Signature type byte of an Ed25519 cosignature/v1 (c2sp.org/tlog-cosignature). */
export const KEY_TYPE_COSIGNATURE_V1 = 0x04;
export type NoteKeyType = typeof KEY_TYPE_ED25519 | typeof KEY_TYPE_COSIGNATURE_V1;

export const KEY_ID_BYTES = 4;
export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SEED_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
export const COSIGNATURE_TIMESTAMP_BYTES = 8;
/**
 * Most signature lines one note may carry. The spec asks for at least 16; sumdb/note allows 100,
 * and so do we, which bounds the work an oversized note can cause.
 */
export const MAX_NOTE_SIGNATURES = 100;

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the raw key follows. */
export const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
/** DER prefix of an Ed25519 PKCS #8 private key (RFC 8410); the 32-byte seed follows. */
export const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

const SIGNATURE_LINE_PREFIX = "\u2014 ";
const SIGNER_KEY_PREFIX = "PRIVATE+KEY+";
const COSIGNATURE_HEADER = "cosignature/v1\n";
/** tlog-cosignature: the timestamp MUST NOT exceed 2^63 - 1. */
const MAX_COSIGNATURE_TIMESTAMP = (1n << 63n) - 1n;

export type NoteErrorCode =
  // keys
  | "INVALID_KEY_NAME"
  | "MALFORMED_VERIFIER_KEY"
  | "MALFORMED_SIGNER_KEY"
  | "KEY_ID_MISMATCH"
  | "UNSUPPORTED_KEY_TYPE"
  | "INVALID_PUBLIC_KEY"
  | "INVALID_PRIVATE_KEY"
  | "AMBIGUOUS_VERIFIER"
  // notes
  | "MALFORMED_NOTE"
  | "MALFORMED_SIGNATURE_LINE"
  | "TOO_MANY_SIGNATURES"
  | "DUPLICATE_SIGNATURE"
  | "BAD_SIGNATURE"
  | "NO_VERIFIED_SIGNATURE"
  | "INVALID_TIMESTAMP"
  // checkpoints and cosignatures (db/ledger/checkpoint.ts)
  | "MALFORMED_CHECKPOINT"
  | "INVALID_ORIGIN"
  | "INVALID_TREE_SIZE"
  | "INVALID_ROOT_HASH"
  | "NO_COSIGNATURE"
  | "COSIGNATURE_IN_FUTURE";

/** Every failure of this module and of checkpoint.ts; `code` is stable, the message is for people. */
export class NoteError extends Error {
  readonly code: NoteErrorCode;

  constructor(code: NoteErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NoteError";
    this.code = code;
  }
}

/** A public key a reader trusts, with the name and key ID signature lines refer to it by. */
export interface VerifierKey {
  readonly name: string;
  readonly keyId: Uint8Array;
  readonly type: NoteKeyType;
  /** raw 32-byte Ed25519 public key (RFC 8032) */
  readonly publicKey: Uint8Array;
}

/** A private key and the name it signs under. Keep it out of logs. */
export interface NoteSigner extends VerifierKey {
  readonly privateKey: KeyObject;
}

/** One signature line as written: who claims to have signed, and the bytes after the key ID. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: Uint8Array;
  readonly signature: Uint8Array;
}

/** A signature that a known key made over the note text. */
export interface VerifiedSignature {
  readonly name: string;
  readonly keyId: Uint8Array;
  readonly type: NoteKeyType;
  /** seconds since the Epoch, for type 0x04 cosignatures only */
  readonly timestamp?: number;
}

/** A note whose text was signed by at least one known key. */
export interface OpenedNote {
  /** the note text, ending in "\n", without the blank line */
  readonly body: string;
  readonly verified: readonly VerifiedSignature[];
  /** signatures by keys the reader does not know (ignored, as the spec requires) */
  readonly unverified: readonly NoteSignature[];
}

/** The syntax of a note, nothing verified: never act on `body` from here. */
export interface ParsedNote {
  readonly body: string;
  readonly signatures: readonly NoteSignature[];
}

/** Unicode spaces as Go's unicode.IsSpace sees them (plus U+FEFF), "+", and C0/C1 controls. */
const FORBIDDEN_IN_KEY_NAME = /[\s\u0085+\p{Cc}]|\p{Cs}/u;
const LONE_SURROGATE = /\p{Cs}/u;
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const KEY_ID_HEX = /^[0-9a-fA-F]{8}$/;
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Key names are non-empty, well-formed, and hold no Unicode space, "+" or control character. */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !FORBIDDEN_IN_KEY_NAME.test(name);
}

/**
 * SHA-256(name || 0x0A || type || publicKey)[:4], the key ID of c2sp.org/signed-note.
 * Requires a valid key name; the public key is hashed as given (32 bytes for Ed25519).
 * Throws NoteError INVALID_KEY_NAME.
 */
export function noteKeyId(
  name: string,
  publicKey: Uint8Array,
  type: number = KEY_TYPE_ED25519,
): Uint8Array {
  requireKeyName(name);
  const digest = createHash("sha256")
    .update(name, "utf8")
    .update(Uint8Array.of(0x0a, type))
    .update(publicKey)
    .digest();
  return new Uint8Array(digest.subarray(0, KEY_ID_BYTES));
}

/**
 * A verifier key for a raw Ed25519 public key. Requires a valid name and exactly 32 bytes.
 * Throws NoteError INVALID_KEY_NAME, INVALID_PUBLIC_KEY, UNSUPPORTED_KEY_TYPE.
 */
export function verifierKey(
  name: string,
  publicKey: Uint8Array,
  type: number = KEY_TYPE_ED25519,
): VerifierKey {
  const keyType = requireKeyType(type);
  requireEd25519PublicKey(publicKey);
  return {
    name,
    keyId: noteKeyId(name, publicKey, keyType),
    type: keyType,
    publicKey: new Uint8Array(publicKey),
  };
}

/**
 * "<name>+<hex key ID>+<base64(type || public key)>", byte for byte as sumdb/note's
 * NewEd25519VerifierKey writes it. Same preconditions and errors as verifierKey.
 */
export function encodeVerifierKey(
  name: string,
  publicKey: Uint8Array,
  type: number = KEY_TYPE_ED25519,
): string {
  const key = verifierKey(name, publicKey, type);
  const material = Buffer.concat([Uint8Array.of(key.type), key.publicKey]).toString("base64");
  return `${key.name}+${hex(key.keyId)}+${material}`;
}

/**
 * Parses a verifier key (see encodeVerifierKey). The name ends at the first "+", the key ID at
 * the second; the base64 key material may itself contain "+". The key ID must be the one the
 * name and key material hash to. Types 0x01 and 0x04 only.
 * Throws NoteError MALFORMED_VERIFIER_KEY, INVALID_KEY_NAME, KEY_ID_MISMATCH,
 * UNSUPPORTED_KEY_TYPE, INVALID_PUBLIC_KEY.
 */
export function parseVerifierKey(vkey: string): VerifierKey {
  const first = vkey.indexOf("+");
  const second = first < 0 ? -1 : vkey.indexOf("+", first + 1);
  if (second < 0) {
    throw new NoteError(
      "MALFORMED_VERIFIER_KEY",
      `verifier key: want <name>+<hex key ID>+<base64 key>, got ${quote(vkey)}`,
    );
  }
  const name = vkey.slice(0, first);
  const idHex = vkey.slice(first + 1, second);
  const material = decodeCanonicalBase64(vkey.slice(second + 1));
  requireKeyName(name);
  if (!KEY_ID_HEX.test(idHex)) {
    throw new NoteError(
      "MALFORMED_VERIFIER_KEY",
      `verifier key ${quote(name)}: want 8 hex digits of key ID, got ${quote(idHex)}`,
    );
  }
  if (material === undefined || material.length === 0) {
    throw new NoteError(
      "MALFORMED_VERIFIER_KEY",
      `verifier key ${quote(name)}: key material is not canonical padded base64`,
    );
  }
  // As sumdb/note: the key ID covers the type byte and key as written, checked before either.
  const gotId = idHex.toLowerCase();
  const wantId = hex(noteKeyId(name, material.subarray(1), material[0] ?? 0));
  if (gotId !== wantId) {
    throw new NoteError(
      "KEY_ID_MISMATCH",
      `verifier key ${quote(name)}: key ID ${gotId} is not the key's, want ${wantId}`,
    );
  }
  return verifierKey(name, material.subarray(1), material[0] ?? 0);
}

/**
 * A signer from an Ed25519 private key: a KeyObject, or PKCS #8 DER bytes.
 * Throws NoteError INVALID_KEY_NAME, INVALID_PRIVATE_KEY, UNSUPPORTED_KEY_TYPE.
 */
export function createSigner(
  name: string,
  privateKey: KeyObject | Uint8Array,
  type: number = KEY_TYPE_ED25519,
): NoteSigner {
  let key: KeyObject;
  try {
    key =
      privateKey instanceof Uint8Array
        ? createPrivateKey({ key: Buffer.from(privateKey), format: "der", type: "pkcs8" })
        : privateKey;
  } catch (cause) {
    throw new NoteError("INVALID_PRIVATE_KEY", "signer: private key is not PKCS #8 DER", { cause });
  }
  if (key.type !== "private" || key.asymmetricKeyType !== "ed25519") {
    throw new NoteError(
      "INVALID_PRIVATE_KEY",
      `signer ${quote(name)}: want an Ed25519 private key, got ${key.type} ${key.asymmetricKeyType ?? "?"}`,
    );
  }
  const spki = createPublicKey(key).export({ format: "der", type: "spki" });
  const publicKey = new Uint8Array(spki.subarray(ED25519_SPKI_PREFIX.length));
  return { ...verifierKey(name, publicKey, type), privateKey: key };
}

/** A signer from a 32-byte RFC 8032 seed. Throws as createSigner. */
export function signerFromSeed(
  name: string,
  seed: Uint8Array,
  type: number = KEY_TYPE_ED25519,
): NoteSigner {
  if (seed.length !== ED25519_SEED_BYTES) {
    throw new NoteError(
      "INVALID_PRIVATE_KEY",
      `signer ${quote(name)}: want a ${ED25519_SEED_BYTES}-byte seed, got ${seed.length} bytes`,
    );
  }
  return createSigner(name, Buffer.concat([ED25519_PKCS8_PREFIX, seed]), type);
}

/** A fresh random Ed25519 signer. Throws NoteError INVALID_KEY_NAME, UNSUPPORTED_KEY_TYPE. */
export function generateSigner(name: string, type: number = KEY_TYPE_ED25519): NoteSigner {
  requireKeyName(name);
  return createSigner(name, generateKeyPairSync("ed25519").privateKey, type);
}

/** The public half of a signer, to hand to readers. */
export function verifierOf(signer: NoteSigner): VerifierKey {
  return {
    name: signer.name,
    keyId: signer.keyId,
    type: signer.type,
    publicKey: signer.publicKey,
  };
}

/**
 * "PRIVATE+KEY+<name>+<hex key ID>+<base64(type || seed)>", as sumdb/note's GenerateKey.
 * Secret: whoever has it can sign.
 */
export function encodeSignerKey(signer: NoteSigner): string {
  const jwk = signer.privateKey.export({ format: "jwk" });
  const seed = Buffer.from(jwk.d ?? "", "base64url");
  const material = Buffer.concat([Uint8Array.of(signer.type), seed]).toString("base64");
  return `${SIGNER_KEY_PREFIX}${signer.name}+${hex(signer.keyId)}+${material}`;
}

/**
 * Parses a signer key (see encodeSignerKey); its key ID must match the derived public key.
 * Throws NoteError MALFORMED_SIGNER_KEY, INVALID_KEY_NAME, KEY_ID_MISMATCH,
 * UNSUPPORTED_KEY_TYPE, INVALID_PRIVATE_KEY.
 */
export function parseSignerKey(skey: string): NoteSigner {
  const malformed = (why: string) =>
    new NoteError("MALFORMED_SIGNER_KEY", `signer key: ${why} (contents withheld)`);
  if (!skey.startsWith(SIGNER_KEY_PREFIX)) throw malformed("want PRIVATE+KEY+ prefix");
  const rest = skey.slice(SIGNER_KEY_PREFIX.length);
  const first = rest.indexOf("+");
  const second = first < 0 ? -1 : rest.indexOf("+", first + 1);
  if (second < 0) throw malformed("want PRIVATE+KEY+<name>+<hex key ID>+<base64 key>");
  const name = rest.slice(0, first);
  const idHex = rest.slice(first + 1, second);
  const material = decodeCanonicalBase64(rest.slice(second + 1));
  requireKeyName(name);
  if (!KEY_ID_HEX.test(idHex)) throw malformed("want 8 hex digits of key ID");
  if (material === undefined || material.length === 0) {
    throw malformed("key material is not canonical padded base64");
  }
  const signer = signerFromSeed(name, material.subarray(1), material[0] ?? 0);
  if (hex(signer.keyId) !== idHex.toLowerCase()) {
    throw new NoteError(
      "KEY_ID_MISMATCH",
      `signer key ${quote(name)}: key ID ${idHex} is not the key's, want ${hex(signer.keyId)}`,
    );
  }
  return signer;
}

/**
 * Signs `body` with each signer (type 0x01 only; witnesses use cosignCheckpoint) and returns the
 * note: body, "\n", one "— <name> <base64(key ID || signature)>\n" line per signer, in order.
 * Requires body to be note text: ends in "\n", well-formed, no control character but "\n".
 * Throws NoteError MALFORMED_NOTE, UNSUPPORTED_KEY_TYPE, DUPLICATE_SIGNATURE (two signers with
 * the same name and key ID), TOO_MANY_SIGNATURES, NO_VERIFIED_SIGNATURE (no signer at all).
 */
export function signNote(body: string, signers: readonly NoteSigner[]): string {
  requireNoteText(body);
  if (signers.length === 0) {
    throw new NoteError("NO_VERIFIED_SIGNATURE", "signNote: want at least one signer, got none");
  }
  if (signers.length > MAX_NOTE_SIGNATURES) {
    throw new NoteError(
      "TOO_MANY_SIGNATURES",
      `signNote: want at most ${MAX_NOTE_SIGNATURES} signers, got ${signers.length}`,
    );
  }
  const message = Buffer.from(body, "utf8");
  const seen = new Set<string>();
  const lines = signers.map((signer) => {
    if (signer.type !== KEY_TYPE_ED25519) {
      throw new NoteError(
        "UNSUPPORTED_KEY_TYPE",
        `signNote: signer ${quote(signer.name)} has type 0x${signer.type.toString(16).padStart(2, "0")}, want 0x01`,
      );
    }
    const id = lookupKey(signer.name, signer.keyId);
    if (seen.has(id)) {
      throw new NoteError(
        "DUPLICATE_SIGNATURE",
        `signNote: key ${signer.name}+${hex(signer.keyId)} given twice`,
      );
    }
    seen.add(id);
    return signatureLine(signer.name, signer.keyId, sign(null, message, signer.privateKey));
  });
  return `${body}\n${lines.join("")}`;
}

/**
 * One signature line, "— <name> <base64(keyId || signature)>\n". Requires a valid key name and a
 * 4-byte key ID. Throws NoteError INVALID_KEY_NAME, MALFORMED_SIGNATURE_LINE.
 */
export function signatureLine(name: string, keyId: Uint8Array, signature: Uint8Array): string {
  requireKeyName(name);
  if (keyId.length !== KEY_ID_BYTES) {
    throw new NoteError("MALFORMED_SIGNATURE_LINE", `key ID: want 4 bytes, got ${keyId.length}`);
  }
  const encoded = Buffer.concat([keyId, signature]).toString("base64");
  return `${SIGNATURE_LINE_PREFIX}${name} ${encoded}\n`;
}

/**
 * The syntax of a note, verifying nothing. Bytes are decoded as strict UTF-8.
 * Throws NoteError MALFORMED_NOTE (not UTF-8, control character, no blank line, signature block
 * empty or not ending in "\n"), MALFORMED_SIGNATURE_LINE, TOO_MANY_SIGNATURES.
 */
export function parseNote(text: string | Uint8Array): ParsedNote {
  const note = decodeNoteText(text);
  const split = note.lastIndexOf("\n\n");
  if (split < 0) {
    throw new NoteError(
      "MALFORMED_NOTE",
      "note: want a blank line before the signatures, got none",
    );
  }
  const body = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (block === "" || !block.endsWith("\n")) {
    throw new NoteError(
      "MALFORMED_NOTE",
      block === ""
        ? "note: want signature lines after the last blank line, got none"
        : `note: want the last signature line to end in "\\n", got ${quote(block.slice(-40))}`,
    );
  }
  const lines = block.slice(0, -1).split("\n");
  if (lines.length > MAX_NOTE_SIGNATURES) {
    throw new NoteError(
      "TOO_MANY_SIGNATURES",
      `note: want at most ${MAX_NOTE_SIGNATURES} signature lines, got ${lines.length}`,
    );
  }
  return { body, signatures: lines.map(parseSignatureLine) };
}

/**
 * Opens a note: parses it, verifies every signature whose name and key ID match a verifier, and
 * returns the text with the verified and the unknown signatures. Verifiers are VerifierKey
 * objects or vkey strings; a 0x04 verifier checks a cosignature/v1 over the text.
 * Throws NoteError as parseNote, plus: AMBIGUOUS_VERIFIER (two different keys share a name and
 * key ID), DUPLICATE_SIGNATURE (a known key signs twice), BAD_SIGNATURE (a known key's signature
 * does not verify: the whole note is rejected), INVALID_TIMESTAMP (a verified cosignature's
 * timestamp is beyond 2^53 - 1), NO_VERIFIED_SIGNATURE (no known key signed), and the
 * parseVerifierKey codes for vkey strings.
 */
export function openNote(
  text: string | Uint8Array,
  verifiers: readonly (VerifierKey | string)[],
): OpenedNote {
  const known = verifierMap(verifiers);
  const { body, signatures } = parseNote(text);
  const message = Buffer.from(body, "utf8");
  const verified: VerifiedSignature[] = [];
  const unverified: NoteSignature[] = [];
  const seenKnown = new Set<string>();
  const seenUnknown = new Set<string>();
  for (const sig of signatures) {
    const id = lookupKey(sig.name, sig.keyId);
    const key = known.get(id);
    if (key === undefined) {
      // Unknown key: ignored, as the spec requires; repeats of one line are listed once.
      const line = `${id}\n${Buffer.from(sig.signature).toString("base64")}`;
      if (!seenUnknown.has(line)) unverified.push(sig);
      seenUnknown.add(line);
      continue;
    }
    if (seenKnown.has(id)) {
      throw new NoteError(
        "DUPLICATE_SIGNATURE",
        `note: key ${sig.name}+${hex(sig.keyId)} signs twice; want one signature line per key`,
      );
    }
    seenKnown.add(id);
    verified.push(verifySignature(key, message, sig.signature));
  }
  if (verified.length === 0) {
    const names = signatures.map((s) => `${s.name}+${hex(s.keyId)}`).join(", ");
    throw new NoteError(
      "NO_VERIFIED_SIGNATURE",
      `note: want a signature by a known key, got only ${names}`,
    );
  }
  return { body, verified, unverified };
}

/** "cosignature/v1\ntime <timestamp>\n" || body: what a type 0x04 cosigner signs. */
export function cosignatureMessage(body: string, timestampSeconds: number): Buffer {
  return Buffer.from(`${COSIGNATURE_HEADER}time ${timestampSeconds}\n${body}`, "utf8");
}

/**
 * Signs one cosignature/v1 over `body` and returns its signature line. Requires a type 0x04
 * signer, note text, and a timestamp that is a non-negative safe integer (seconds).
 * Throws NoteError UNSUPPORTED_KEY_TYPE, MALFORMED_NOTE, INVALID_TIMESTAMP.
 */
export function cosignatureLine(
  body: string,
  signer: NoteSigner,
  timestampSeconds: number,
): string {
  requireNoteText(body);
  if (signer.type !== KEY_TYPE_COSIGNATURE_V1) {
    throw new NoteError(
      "UNSUPPORTED_KEY_TYPE",
      `cosigner ${quote(signer.name)}: want key type 0x04, got 0x${signer.type.toString(16).padStart(2, "0")}`,
    );
  }
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new NoteError(
      "INVALID_TIMESTAMP",
      `cosignature: want whole seconds in [0, 2^53 - 1], got ${timestampSeconds}`,
    );
  }
  const timestamp = Buffer.alloc(COSIGNATURE_TIMESTAMP_BYTES);
  timestamp.writeBigUInt64BE(BigInt(timestampSeconds));
  const signature = sign(null, cosignatureMessage(body, timestampSeconds), signer.privateKey);
  return signatureLine(signer.name, signer.keyId, Buffer.concat([timestamp, signature]));
}

function verifySignature(
  key: VerifierKey,
  message: Buffer,
  signature: Uint8Array,
): VerifiedSignature {
  const publicKey = ed25519PublicKey(key.publicKey);
  const who = `${key.name}+${hex(key.keyId)}`;
  if (key.type === KEY_TYPE_ED25519) {
    if (!verify(null, message, publicKey, signature)) {
      throw new NoteError("BAD_SIGNATURE", `note: signature by known key ${who} does not verify`);
    }
    return { name: key.name, keyId: key.keyId, type: key.type };
  }
  const want = COSIGNATURE_TIMESTAMP_BYTES + ED25519_SIGNATURE_BYTES;
  if (signature.length !== want) {
    throw new NoteError(
      "BAD_SIGNATURE",
      `note: cosignature by known key ${who} is ${signature.length} bytes, want ${want}`,
    );
  }
  const timestamp = Buffer.from(signature).readBigUInt64BE(0);
  if (timestamp > MAX_COSIGNATURE_TIMESTAMP) {
    throw new NoteError(
      "BAD_SIGNATURE",
      `note: cosignature by ${who} has timestamp ${timestamp}, want at most 2^63 - 1`,
    );
  }
  const signed = Buffer.concat([
    Buffer.from(`${COSIGNATURE_HEADER}time ${timestamp}\n`, "utf8"),
    message,
  ]);
  if (!verify(null, signed, publicKey, signature.subarray(COSIGNATURE_TIMESTAMP_BYTES))) {
    throw new NoteError("BAD_SIGNATURE", `note: cosignature by known key ${who} does not verify`);
  }
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new NoteError(
      "INVALID_TIMESTAMP",
      `note: cosignature by ${who} has timestamp ${timestamp}, beyond 2^53 - 1 seconds`,
    );
  }
  return { name: key.name, keyId: key.keyId, type: key.type, timestamp: Number(timestamp) };
}

function parseSignatureLine(line: string): NoteSignature {
  if (!line.startsWith(SIGNATURE_LINE_PREFIX)) {
    throw new NoteError(
      "MALFORMED_SIGNATURE_LINE",
      `signature line: want "\u2014 <name> <base64>", got ${quote(line.slice(0, 40))}`,
    );
  }
  const rest = line.slice(SIGNATURE_LINE_PREFIX.length);
  const space = rest.indexOf(" ");
  const name = space < 0 ? rest : rest.slice(0, space);
  const encoded = space < 0 ? "" : rest.slice(space + 1);
  if (!isValidKeyName(name)) {
    throw new NoteError(
      "MALFORMED_SIGNATURE_LINE",
      `signature line: key name ${quote(name)} is empty or holds a space, "+" or control`,
    );
  }
  const bytes = decodeCanonicalBase64(encoded);
  if (bytes === undefined || bytes.length <= KEY_ID_BYTES) {
    throw new NoteError(
      "MALFORMED_SIGNATURE_LINE",
      `signature line by ${quote(name)}: want canonical base64 of key ID and signature, got ${quote(encoded.slice(0, 40))}`,
    );
  }
  return {
    name,
    keyId: bytes.subarray(0, KEY_ID_BYTES),
    signature: bytes.subarray(KEY_ID_BYTES),
  };
}

/**
 * A checked VerifierKey from a vkey string or an object. An object's key ID is recomputed, not
 * trusted, so a hand-built object cannot claim another key's ID.
 * Throws NoteError as parseVerifierKey and verifierKey.
 */
export function toVerifierKey(given: VerifierKey | string): VerifierKey {
  if (typeof given === "string") return parseVerifierKey(given);
  const key = verifierKey(given.name, given.publicKey, given.type);
  if (hex(given.keyId) !== hex(key.keyId)) {
    throw new NoteError(
      "KEY_ID_MISMATCH",
      `verifier ${quote(given.name)}: key ID ${hex(given.keyId)} is not the key's, want ${hex(key.keyId)}`,
    );
  }
  return key;
}

function verifierMap(verifiers: readonly (VerifierKey | string)[]): Map<string, VerifierKey> {
  const map = new Map<string, VerifierKey>();
  for (const given of verifiers) {
    const key = toVerifierKey(given);
    const id = lookupKey(key.name, key.keyId);
    const other = map.get(id);
    if (other !== undefined && !sameKey(other, key)) {
      throw new NoteError(
        "AMBIGUOUS_VERIFIER",
        `verifiers: two different keys are both ${key.name}+${hex(key.keyId)}`,
      );
    }
    map.set(id, key);
  }
  return map;
}

function decodeNoteText(text: string | Uint8Array): string {
  let note: string;
  if (typeof text === "string") {
    note = text;
  } else {
    try {
      note = STRICT_UTF8.decode(text);
    } catch (cause) {
      throw new NoteError("MALFORMED_NOTE", "note: want UTF-8, got invalid bytes", { cause });
    }
  }
  requireWellFormed(note, "note");
  return note;
}

function requireNoteText(body: string): void {
  requireWellFormed(body, "note text");
  if (!body.endsWith("\n")) {
    throw new NoteError(
      "MALFORMED_NOTE",
      `note text: want a final "\\n", got ${quote(body.slice(-40))}`,
    );
  }
}

function requireWellFormed(text: string, what: string): void {
  if (LONE_SURROGATE.test(text)) {
    throw new NoteError("MALFORMED_NOTE", `${what}: want valid UTF-8, got a lone surrogate`);
  }
  const at = controlCharacterIndex(text, true);
  if (at >= 0) {
    throw new NoteError(
      "MALFORMED_NOTE",
      `${what}: want no control character but "\\n", got ${codePoint(text, at)} at offset ${at}`,
    );
  }
}

/** A line of note text: well-formed, no character below U+0020 (so no "\n" either). */
export function isPrintableLine(line: string): boolean {
  return !LONE_SURROGATE.test(line) && controlCharacterIndex(line, false) < 0;
}

/** Index of the first character below U+0020 (but "\n" when allowed), or -1. */
function controlCharacterIndex(text: string, allowNewline: boolean): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && !(allowNewline && c === 0x0a)) return i;
  }
  return -1;
}

function codePoint(text: string, at: number): string {
  return `U+${text.charCodeAt(at).toString(16).padStart(4, "0").toUpperCase()}`;
}

function requireKeyName(name: string): void {
  if (!isValidKeyName(name)) {
    throw new NoteError(
      "INVALID_KEY_NAME",
      `key name: want non-empty, without spaces, "+" or controls, got ${quote(name)}`,
    );
  }
}

function requireKeyType(type: number): NoteKeyType {
  if (type === KEY_TYPE_ED25519 || type === KEY_TYPE_COSIGNATURE_V1) return type;
  throw new NoteError(
    "UNSUPPORTED_KEY_TYPE",
    `key type: want 0x01 (Ed25519) or 0x04 (cosignature/v1), got 0x${type.toString(16).padStart(2, "0")}`,
  );
}

function requireEd25519PublicKey(publicKey: Uint8Array): void {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw new NoteError(
      "INVALID_PUBLIC_KEY",
      `public key: want ${ED25519_PUBLIC_KEY_BYTES} bytes, got ${publicKey.length}`,
    );
  }
}

// Key objects by raw public key: the verifier opens every checkpoint of a log with one key, and
// building a KeyObject costs about as much as checking a signature.
const publicKeys = new Map<string, KeyObject>();
const PUBLIC_KEY_CACHE = 256;

function ed25519PublicKey(raw: Uint8Array): KeyObject {
  const id = Buffer.from(raw).toString("base64");
  const cached = publicKeys.get(id);
  if (cached) return cached;
  let key: KeyObject;
  try {
    key = createPublicKey({
      key: Buffer.concat([ED25519_SPKI_PREFIX, raw]),
      format: "der",
      type: "spki",
    });
  } catch (cause) {
    throw new NoteError("INVALID_PUBLIC_KEY", "public key: not an Ed25519 key", { cause });
  }
  if (publicKeys.size >= PUBLIC_KEY_CACHE) publicKeys.clear();
  publicKeys.set(id, key);
  return key;
}

/**
 * Standard padded base64 (RFC 4648 section 4) in its one canonical spelling, else undefined:
 * no whitespace, no missing padding, no stray bits in the last character (Buffer.from alone
 * would accept all three).
 */
export function decodeCanonicalBase64(text: string): Uint8Array | undefined {
  if (!CANONICAL_BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64");
  return bytes.toString("base64") === text ? bytes : undefined;
}

function sameKey(a: VerifierKey, b: VerifierKey): boolean {
  return a.type === b.type && Buffer.from(a.publicKey).equals(b.publicKey);
}

function lookupKey(name: string, keyId: Uint8Array): string {
  return `${name}\n${hex(keyId)}`;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

function quote(text: string): string {
  return JSON.stringify(text);
}
