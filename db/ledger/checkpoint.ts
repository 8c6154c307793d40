/**
 * Checkpoints: the signed statement "log <origin> has <size> leaves with root hash <root>", as a
 * C2SP tlog-checkpoint body inside a signed note (db/ledger/note.ts), plus witness cosignatures
 * (C2SP tlog-cosignature, cosignature/v1, key type 0x04). Pure: no I/O; time comes in as an
 * argument (`timestampSeconds`, `nowSeconds`), never from a clock read here.
 *
 * Body, byte for byte (c2sp.org/tlog-checkpoint, "Note text"):
 *
 *     <origin>\n<decimal tree size>\n<base64 root hash>\n[<extension line>\n]...
 *
 * origin non-empty; size in ASCII decimal with no leading zero unless it is "0"; root hash the
 * standard padded base64 of the 32-byte RFC 6962 / RFC 9162 SHA-256 root; extension lines
 * optional and non-empty. Nothing may follow the last "\n".
 *
 * Texts followed (as stored copies): C2SP/C2SP tlog-checkpoint.md @2793893 and tlog-cosignature.md
 * @01194db ("Ed25519 signed message": the whole body, extension lines included, is cosigned).
 * The spec's own example checkpoint turns out to be a real sum.golang.org checkpoint with its
 * origin edited; tests/vectors/ledger/c2sp-example-checkpoint.json restores and verifies it.
 *
 * Trade-offs: sizes are JavaScript numbers, so a checkpoint above 2^53 - 1 leaves is refused
 * (INVALID_TREE_SIZE) rather than read as a BigInt; no log here or anywhere comes near. Origins
 * may hold spaces (Go's checksum database uses "go.sum database tree"): the spec only
 * RECOMMENDS URL-like origins, and clients MUST NOT assume it.
 */

import {
  cosignatureLine,
  decodeCanonicalBase64,
  isPrintableLine,
  KEY_TYPE_COSIGNATURE_V1,
  KEY_TYPE_ED25519,
  NoteError,
  type NoteSigner,
  type OpenedNote,
  openNote,
  parseNote,
  signNote,
  toVerifierKey,
  type VerifierKey,
} from "./note";

/** SHA-256 output, the root hash of every log here. */
export const ROOT_HASH_BYTES = 32;

export interface Checkpoint {
  readonly origin: string;
  /** number of leaves; a non-negative safe integer */
  readonly size: number;
  /** 32-byte Merkle tree root */
  readonly rootHash: Uint8Array;
  readonly extensions: readonly string[];
}

export interface CheckpointInput {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  readonly extensions?: readonly string[];
}

export interface OpenedCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly note: OpenedNote;
}

export interface CosignatureOptions {
  /** the reader's clock, seconds since the Epoch; when given, later cosignatures are refused */
  readonly nowSeconds?: number;
  /** how far ahead of nowSeconds a cosignature may be dated (default 60 s of clock skew) */
  readonly maxClockSkewSeconds?: number;
}

const DEFAULT_MAX_CLOCK_SKEW_SECONDS = 60;
const TREE_SIZE = /^(?:0|[1-9][0-9]*)$/;

/**
 * The checkpoint body (note text) for a tree head. Requires: origin non-empty, one line, no
 * control character; size a non-negative safe integer; rootHash 32 bytes; each extension line
 * non-empty with no control character.
 * Throws NoteError INVALID_ORIGIN, INVALID_TREE_SIZE, INVALID_ROOT_HASH, MALFORMED_CHECKPOINT.
 */
export function formatCheckpoint(input: CheckpointInput): string {
  const { origin, size, rootHash, extensions = [] } = input;
  requireOrigin(origin);
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new NoteError(
      "INVALID_TREE_SIZE",
      `checkpoint: want a tree size in [0, 2^53 - 1], got ${size}`,
    );
  }
  if (rootHash.length !== ROOT_HASH_BYTES) {
    throw new NoteError(
      "INVALID_ROOT_HASH",
      `checkpoint: want a ${ROOT_HASH_BYTES}-byte root hash, got ${rootHash.length} bytes`,
    );
  }
  extensions.forEach(requireExtension);
  const root = Buffer.from(rootHash).toString("base64");
  return [origin, String(size), root, ...extensions].map((line) => `${line}\n`).join("");
}

/**
 * Reads a checkpoint body strictly (see the module comment for the grammar). Takes the body
 * only: open the note first (openCheckpoint does both).
 * Throws NoteError MALFORMED_CHECKPOINT (no final "\n", fewer than three lines, an empty
 * extension line, a control character), INVALID_ORIGIN, INVALID_TREE_SIZE, INVALID_ROOT_HASH.
 */
export function parseCheckpoint(body: string): Checkpoint {
  if (!body.endsWith("\n")) {
    throw new NoteError(
      "MALFORMED_CHECKPOINT",
      `checkpoint: want every line ended by "\\n", got ${JSON.stringify(body.slice(-40))} at the end`,
    );
  }
  const lines = body.slice(0, -1).split("\n");
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (origin === undefined || sizeText === undefined || rootText === undefined) {
    throw new NoteError(
      "MALFORMED_CHECKPOINT",
      `checkpoint: want origin, size and root hash lines, got ${lines.length} line(s)`,
    );
  }
  if (!lines.every(isPrintableLine)) {
    throw new NoteError(
      "MALFORMED_CHECKPOINT",
      "checkpoint: want well-formed lines without control characters (CR included)",
    );
  }
  requireOrigin(origin);
  if (!TREE_SIZE.test(sizeText)) {
    throw new NoteError(
      "INVALID_TREE_SIZE",
      `checkpoint: want a decimal tree size without leading zeros, got ${JSON.stringify(sizeText)}`,
    );
  }
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) {
    throw new NoteError(
      "INVALID_TREE_SIZE",
      `checkpoint: want a tree size of at most 2^53 - 1, got ${sizeText}`,
    );
  }
  const rootHash = decodeCanonicalBase64(rootText);
  if (rootHash === undefined || rootHash.length !== ROOT_HASH_BYTES) {
    throw new NoteError(
      "INVALID_ROOT_HASH",
      `checkpoint: want canonical base64 of ${ROOT_HASH_BYTES} bytes, got ${JSON.stringify(rootText)}`,
    );
  }
  extensions.forEach(requireExtension);
  return { origin, size, rootHash: new Uint8Array(rootHash), extensions };
}

/**
 * The signed checkpoint note: formatCheckpoint, then signNote with the log's type 0x01 key.
 * Throws NoteError as both.
 */
export function signCheckpoint(input: CheckpointInput, logSigner: NoteSigner): string {
  return signNote(formatCheckpoint(input), [logSigner]);
}

/**
 * Opens a signed checkpoint: the note must carry a valid signature by `logKey` (a VerifierKey or
 * vkey string, type 0x01); other signatures, such as witnesses', are listed as unverified. Then
 * the body is parsed as a checkpoint, and its origin compared with `expectedOrigin` if given
 * (a log's key vouches for its own log only). The signature is checked before the body is read.
 * Throws NoteError as openNote and parseCheckpoint, UNSUPPORTED_KEY_TYPE, INVALID_ORIGIN (not
 * the expected origin), and the codes of toVerifierKey.
 */
export function openCheckpoint(
  text: string | Uint8Array,
  logKey: VerifierKey | string,
  expectedOrigin?: string,
): OpenedCheckpoint {
  const key = toVerifierKey(logKey);
  if (key.type !== KEY_TYPE_ED25519) {
    throw new NoteError(
      "UNSUPPORTED_KEY_TYPE",
      `openCheckpoint: log key ${JSON.stringify(key.name)} must have type 0x01, got 0x${key.type.toString(16).padStart(2, "0")}`,
    );
  }
  const note = openNote(text, [key]);
  const checkpoint = parseCheckpoint(note.body);
  if (expectedOrigin !== undefined && checkpoint.origin !== expectedOrigin) {
    throw new NoteError(
      "INVALID_ORIGIN",
      `checkpoint: want origin ${JSON.stringify(expectedOrigin)}, got ${JSON.stringify(checkpoint.origin)}`,
    );
  }
  return { checkpoint, note };
}

/**
 * A witness's cosignature/v1 of a checkpoint body, as one signature line to append to the signed
 * note. Requires a valid checkpoint body, a type 0x04 signer (generateSigner(name, 0x04)), and
 * whole seconds since the Epoch in [0, 2^53 - 1].
 * Throws NoteError as parseCheckpoint, UNSUPPORTED_KEY_TYPE, INVALID_TIMESTAMP.
 */
export function cosignCheckpoint(
  body: string,
  witness: NoteSigner,
  timestampSeconds: number,
): string {
  parseCheckpoint(body);
  return cosignatureLine(body, witness, timestampSeconds);
}

/**
 * Checks that `witnessKey` (type 0x04, VerifierKey or vkey string) cosigned the checkpoint in
 * `noteText`, and returns the cosignature's timestamp. The log's own signature is not checked
 * here: use openCheckpoint with the log's key for that.
 * Throws NoteError NO_COSIGNATURE (no line by this witness name and key ID), BAD_SIGNATURE,
 * DUPLICATE_SIGNATURE, COSIGNATURE_IN_FUTURE (later than nowSeconds + skew), INVALID_TIMESTAMP,
 * UNSUPPORTED_KEY_TYPE, the codes of toVerifierKey, parseNote and parseCheckpoint.
 */
export function verifyCosignature(
  noteText: string | Uint8Array,
  witnessKey: VerifierKey | string,
  options: CosignatureOptions = {},
): { timestamp: number } {
  const key = toVerifierKey(witnessKey);
  if (key.type !== KEY_TYPE_COSIGNATURE_V1) {
    throw new NoteError(
      "UNSUPPORTED_KEY_TYPE",
      `verifyCosignature: witness key ${JSON.stringify(key.name)} must have type 0x04, got 0x${key.type.toString(16).padStart(2, "0")}`,
    );
  }
  const keyIdHex = Buffer.from(key.keyId).toString("hex");
  const { signatures } = parseNote(noteText);
  const mine = signatures.filter(
    (sig) => sig.name === key.name && Buffer.from(sig.keyId).toString("hex") === keyIdHex,
  );
  if (mine.length === 0) {
    throw new NoteError(
      "NO_COSIGNATURE",
      `checkpoint: want a cosignature by ${key.name}+${keyIdHex}, got none`,
    );
  }
  const note = openNote(noteText, [key]);
  parseCheckpoint(note.body);
  const timestamp = note.verified[0]?.timestamp;
  if (timestamp === undefined) {
    throw new NoteError("BAD_SIGNATURE", `checkpoint: cosignature by ${key.name} has no timestamp`);
  }
  const { nowSeconds, maxClockSkewSeconds = DEFAULT_MAX_CLOCK_SKEW_SECONDS } = options;
  if (nowSeconds !== undefined && timestamp > nowSeconds + maxClockSkewSeconds) {
    throw new NoteError(
      "COSIGNATURE_IN_FUTURE",
      `checkpoint: cosignature by ${key.name} is dated ${timestamp}, want at most ${nowSeconds} + ${maxClockSkewSeconds}`,
    );
  }
  return { timestamp };
}

function requireOrigin(origin: string): void {
  if (origin === "" || !isPrintableLine(origin)) {
    throw new NoteError(
      "INVALID_ORIGIN",
      `checkpoint: want a non-empty origin line without controls, got ${JSON.stringify(origin)}`,
    );
  }
}

function requireExtension(line: string): void {
  if (line === "" || !isPrintableLine(line)) {
    throw new NoteError(
      "MALFORMED_CHECKPOINT",
      `checkpoint: want non-empty extension lines without controls, got ${JSON.stringify(line)}`,
    );
  }
}
