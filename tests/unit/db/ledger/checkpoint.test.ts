import { createHash, generateKeyPairSync, sign, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  cosignCheckpoint,
  formatCheckpoint,
  openCheckpoint,
  parseCheckpoint,
  signCheckpoint,
  verifyCosignature,
} from "../../../../db/ledger/checkpoint";
import {
  createSigner,
  ED25519_SPKI_PREFIX,
  encodeSignerKey,
  encodeVerifierKey,
  generateSigner,
  KEY_TYPE_COSIGNATURE_V1,
  MAX_NOTE_SIGNATURES,
  NoteError,
  type NoteSigner,
  noteKeyId,
  openNote,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  signatureLine,
  signerFromSeed,
  signNote,
  type VerifierKey,
  verifierKey,
  verifierOf,
} from "../../../../db/ledger/note";

const VECTORS = path.resolve(process.cwd(), "tests/vectors/ledger");

function vector<T>(file: string): T {
  return JSON.parse(readFileSync(path.join(VECTORS, file), "utf8")) as T;
}

interface SumdbVectors {
  peterNeumann: {
    name: string;
    keyIdHex: string;
    vkey: string;
    skey: string;
    text: string;
    signatureLine: string;
    signedNote: string;
  };
  enochRoot: { name: string; keyIdHex: string; vkey: string; signatureLine: string };
}

interface VerifierKeyVectors {
  valid: { vkey: string; name: string; type: number; keyIdHex: string }[];
  invalid: { why: string; vkey: string; code: string }[];
  keyIdCollision: { name: string; keyIdHex: string; publicKeysHex: string[] };
}

interface RejectVectors {
  cases: { name: string; note: string; verifiers: string[]; code: string }[];
}

interface C2spExample {
  logVkey: string;
  signedNote: string;
  checkpoint: { origin: string; size: number; rootHashBase64: string; extensions: string[] };
  specExampleAsPrinted: string;
  specWitness: { name: string; keyIdHex: string; timestamp: number };
}

interface ProvtopiaVectors {
  logSeedHex: string;
  logName: string;
  logVkey: string;
  witnessSeedHex: string;
  witnessName: string;
  witnessVkey: string;
  checkpoint: { origin: string; size: number; rootHashHex: string };
  body: string;
  signedNote: string;
  cosignatureTimestamp: number;
  cosignatureLine: string;
}

interface BodyVectors {
  valid: { name: string; body: string; origin: string; size: number; extensions: string[] }[];
  invalid: { name: string; body: string; code: string }[];
}

const SUMDB = vector<SumdbVectors>("sumdb-note-peter-neumann.json");
const VKEYS = vector<VerifierKeyVectors>("verifier-keys.json");
const REJECTS = vector<RejectVectors>("open-note-rejects.json");
const C2SP = vector<C2spExample>("c2sp-example-checkpoint.json");
const PROVTOPIA = vector<ProvtopiaVectors>("provtopia-checkpoint-cosigned.json");
const BODIES = vector<BodyVectors>("checkpoint-bodies.json");

const PETER = SUMDB.peterNeumann;
const ENOCH = SUMDB.enochRoot;

/** The NoteError code `run` throws, "no error" if it returns; any other exception escapes. */
function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof NoteError) return error.code;
    throw error;
  }
  return "no error";
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, "hex"));
const sha256 = (text: string) => new Uint8Array(createHash("sha256").update(text).digest());

function logSigner(): NoteSigner {
  return signerFromSeed(PROVTOPIA.logName, fromHex(PROVTOPIA.logSeedHex));
}

function witnessSigner(): NoteSigner {
  return signerFromSeed(
    PROVTOPIA.witnessName,
    fromHex(PROVTOPIA.witnessSeedHex),
    KEY_TYPE_COSIGNATURE_V1,
  );
}

/** Edits the decoded bytes (key ID first) of a note's last signature line. */
function withSignatureBytes(note: string, edit: (bytes: Buffer) => void): string {
  const start = note.lastIndexOf("\n", note.length - 2) + 1;
  const line = note.slice(start, -1);
  const space = line.indexOf(" ", 2);
  const bytes = Buffer.from(line.slice(space + 1), "base64");
  edit(bytes);
  return `${note.slice(0, start)}${line.slice(0, space)} ${bytes.toString("base64")}\n`;
}

describe("noteKeyId", () => {
  it.each(VKEYS.valid)("is $keyIdHex for $name, type $type", ({ vkey, name, type, keyIdHex }) => {
    const material = Buffer.from(vkey.slice(vkey.indexOf("+", name.length + 1) + 1), "base64");
    expect(material[0]).toBe(type);
    expect(hex(noteKeyId(name, material.subarray(1), type))).toBe(keyIdHex);
  });

  it("hashes name, newline, type byte and key, as the spec writes it out", () => {
    const key = parseVerifierKey(PETER.vkey).publicKey;
    const want = createHash("sha256")
      .update(Buffer.concat([Buffer.from("PeterNeumann\n\x01", "latin1"), key]))
      .digest()
      .subarray(0, 4);
    expect(hex(noteKeyId("PeterNeumann", key))).toBe(hex(want));
    expect(hex(noteKeyId("PeterNeumann", key, 0x04))).not.toBe(hex(want));
  });

  it.each([
    ["empty", ""],
    ["space", "a b"],
    ["plus", "a+b"],
    ["tab", "a\tb"],
    ["newline", "a\nb"],
    ["no-break space", "a\u00a0b"],
    ["em space", "a\u2003b"],
    ["next line (U+0085)", "a\u0085b"],
    ["NUL", "a\u0000b"],
    ["lone surrogate", "a\ud800b"],
  ])("refuses a key name with %s", (_why, name) => {
    expect(codeOf(() => noteKeyId(name, new Uint8Array(32)))).toBe("INVALID_KEY_NAME");
  });
});

describe("verifier keys", () => {
  it.each(VKEYS.valid)("parses and re-encodes $vkey", ({ vkey, name, type, keyIdHex }) => {
    const key = parseVerifierKey(vkey);
    expect({ name: key.name, type: key.type, keyId: hex(key.keyId) }).toEqual({
      name,
      type,
      keyId: keyIdHex,
    });
    expect(encodeVerifierKey(key.name, key.publicKey, key.type)).toBe(vkey);
  });

  it.each(VKEYS.invalid)("refuses $vkey ($why) with $code", ({ vkey, code }) => {
    expect(codeOf(() => parseVerifierKey(vkey))).toBe(code);
  });

  it("refuses every proper substring of the sumdb vkey, as sumdb's TestNewVerifier", () => {
    const vkey = PETER.vkey;
    const accepted: string[] = [];
    for (let i = 0; i <= vkey.length; i++) {
      for (let j = i + 1; j <= vkey.length; j++) {
        if (i === 0 && j === vkey.length) continue;
        if (codeOf(() => parseVerifierKey(vkey.slice(i, j))) === "no error") {
          accepted.push(vkey.slice(i, j));
        }
      }
    }
    expect(accepted).toEqual([]);
  });

  it("refuses the sumdb vkey with any one byte incremented, as sumdb's TestNewVerifier", () => {
    const bytes = Buffer.from(PETER.vkey, "latin1");
    const accepted: string[] = [];
    for (let i = 0; i < bytes.length; i++) {
      const mangled = Buffer.from(bytes);
      mangled[i] = ((mangled[i] ?? 0) + 1) & 0xff;
      const text = mangled.toString("latin1");
      if (codeOf(() => parseVerifierKey(text)) === "no error") accepted.push(text);
    }
    expect(accepted).toEqual([]);
  });

  it("refuses a key of the wrong length even when its key ID matches", () => {
    for (const length of [0, 31, 33, 64]) {
      const raw = Buffer.concat([Uint8Array.of(0x01), Buffer.alloc(length, 7)]);
      const vkey = `short+${hex(noteKeyId("short", raw.subarray(1)))}+${raw.toString("base64")}`;
      expect(codeOf(() => parseVerifierKey(vkey))).toBe("INVALID_PUBLIC_KEY");
    }
    expect(codeOf(() => encodeVerifierKey("n", new Uint8Array(31)))).toBe("INVALID_PUBLIC_KEY");
    expect(codeOf(() => encodeVerifierKey("n", new Uint8Array(32), 0x02))).toBe(
      "UNSUPPORTED_KEY_TYPE",
    );
  });

  it("accepts an uppercase key ID as Go's ParseUint does, and re-encodes it lowercase", () => {
    const upper = PETER.vkey.replace("c74f20a3", "C74F20A3");
    expect(hex(parseVerifierKey(upper).keyId)).toBe("c74f20a3");
  });
});

describe("signer keys", () => {
  it("parses sumdb's PeterNeumann signer key and writes it back byte for byte", () => {
    const signer = parseSignerKey(PETER.skey);
    expect(signer.name).toBe("PeterNeumann");
    expect(hex(signer.keyId)).toBe(PETER.keyIdHex);
    expect(encodeVerifierKey(signer.name, signer.publicKey)).toBe(PETER.vkey);
    expect(encodeSignerKey(signer)).toBe(PETER.skey);
  });

  it("refuses every proper substring and every incremented byte, as sumdb's TestNewSigner", () => {
    const skey = PETER.skey;
    const accepted: string[] = [];
    for (let i = 0; i <= skey.length; i++) {
      for (let j = i + 1; j <= skey.length; j++) {
        if (i === 0 && j === skey.length) continue;
        if (codeOf(() => parseSignerKey(skey.slice(i, j))) === "no error") {
          accepted.push(skey.slice(i, j));
        }
      }
    }
    const bytes = Buffer.from(skey, "latin1");
    for (let i = 0; i < bytes.length; i++) {
      const mangled = Buffer.from(bytes);
      mangled[i] = ((mangled[i] ?? 0) + 1) & 0xff;
      const text = mangled.toString("latin1");
      if (codeOf(() => parseSignerKey(text)) === "no error") accepted.push(text);
    }
    expect(accepted).toEqual([]);
  });

  it("never puts the secret in an error message", () => {
    const wrongId = PETER.skey.replace("c74f20a3", "c74f20a4");
    for (const skey of [wrongId, `${PETER.skey}x`, PETER.skey.replace("PRIVATE", "PUBLIC")]) {
      try {
        parseSignerKey(skey);
        expect.unreachable(`parseSignerKey accepted ${skey}`);
      } catch (error) {
        expect((error as Error).message).not.toContain("AYEKFALVFGyNhPJEMzD1QIDr");
      }
    }
  });

  it("builds the same signer from a KeyObject, PKCS #8 bytes and the seed", () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    const pkcs8 = privateKey.export({ format: "der", type: "pkcs8" });
    const seed = pkcs8.subarray(pkcs8.length - 32);
    const fromKey = createSigner("k", privateKey);
    expect(hex(createSigner("k", pkcs8).publicKey)).toBe(hex(fromKey.publicKey));
    expect(hex(signerFromSeed("k", seed).publicKey)).toBe(hex(fromKey.publicKey));
    const spki = generateKeyPairSync("ed25519").publicKey;
    expect(fromKey.publicKey).toHaveLength(32);
    expect(spki.export({ format: "der", type: "spki" }).subarray(0, 12)).toEqual(
      ED25519_SPKI_PREFIX,
    );
  });

  it.each([
    ["an X25519 key", () => createSigner("k", generateKeyPairSync("x25519").privateKey)],
    ["a public key", () => createSigner("k", generateKeyPairSync("ed25519").publicKey)],
    ["bytes that are not PKCS #8", () => createSigner("k", new Uint8Array([1, 2, 3]))],
    ["a 31-byte seed", () => signerFromSeed("k", new Uint8Array(31))],
  ])("refuses %s", (_what, build) => {
    expect(codeOf(build)).toBe("INVALID_PRIVATE_KEY");
  });

  it("generates signers whose notes open with their verifier key", () => {
    const signer = generateSigner("provtopia.example/prov/fresh");
    const vkey = encodeVerifierKey(signer.name, signer.publicKey);
    const note = signNote("hello\n", [signer]);
    expect(openNote(note, [vkey]).verified.map((v) => v.name)).toEqual([signer.name]);
    expect(codeOf(() => generateSigner("bad name"))).toBe("INVALID_KEY_NAME");
    expect(codeOf(() => generateSigner("n", 0x02))).toBe("UNSUPPORTED_KEY_TYPE");
  });
});

describe("signNote", () => {
  it("reproduces sumdb's TestSign output byte for byte", () => {
    expect(signNote(PETER.text, [parseSignerKey(PETER.skey)])).toBe(PETER.signedNote);
  });

  it("writes one line per signer, in order, after one blank line", () => {
    const other = generateSigner("EnochRoot");
    const note = signNote(PETER.text, [parseSignerKey(PETER.skey), other]);
    expect(note.startsWith(`${PETER.text}\n${PETER.signatureLine}\u2014 EnochRoot `)).toBe(true);
    const opened = openNote(note, [PETER.vkey, verifierOf(other)]);
    expect(opened.verified.map((v) => v.name)).toEqual(["PeterNeumann", "EnochRoot"]);
  });

  it.each([
    ["text that already holds blank lines", "a\n\nb\n"],
    ["text ending in a blank line", "a\n\n"],
    ["the shortest text", "\n"],
    ["text that looks like a signed note", `${PETER.text}\n${PETER.signatureLine}`],
    ["non-ASCII text", "caf\u00e9 \u2014 \u{1f4dc}\n"],
  ])("round-trips %s", (_what, body) => {
    const signer = generateSigner("n");
    const opened = openNote(signNote(body, [signer]), [verifierOf(signer)]);
    expect(opened.body).toBe(body);
  });

  it.each([
    ["text without a final newline (sumdb)", "abc", "MALFORMED_NOTE"],
    ["CRLF text", "a\r\n", "MALFORMED_NOTE"],
    ["a lone surrogate", "\ud800\n", "MALFORMED_NOTE"],
  ])("refuses %s", (_what, body, code) => {
    expect(codeOf(() => signNote(body, [generateSigner("n")]))).toBe(code);
  });

  it("refuses no signers, twice the same key, too many, and a witness key", () => {
    const signer = generateSigner("n");
    expect(codeOf(() => signNote("a\n", []))).toBe("NO_VERIFIED_SIGNATURE");
    expect(codeOf(() => signNote("a\n", [signer, signer]))).toBe("DUPLICATE_SIGNATURE");
    const many = Array.from({ length: MAX_NOTE_SIGNATURES + 1 }, () => signer);
    expect(codeOf(() => signNote("a\n", many))).toBe("TOO_MANY_SIGNATURES");
    expect(codeOf(() => signNote("a\n", [witnessSigner()]))).toBe("UNSUPPORTED_KEY_TYPE");
  });

  it("writes signature lines the parser reads back", () => {
    const line = signatureLine("n", fromHex("01020304"), new Uint8Array(64));
    expect(line).toBe(
      `\u2014 n ${Buffer.concat([fromHex("01020304"), Buffer.alloc(64)]).toString("base64")}\n`,
    );
    expect(codeOf(() => signatureLine("n", new Uint8Array(3), new Uint8Array(64)))).toBe(
      "MALFORMED_SIGNATURE_LINE",
    );
  });
});

describe("openNote", () => {
  it("opens sumdb's TestOpen note: Peter verified, Enoch unknown", () => {
    const opened = openNote(`${PETER.text}\n${PETER.signatureLine}${ENOCH.signatureLine}`, [
      PETER.vkey,
    ]);
    expect(opened.body).toBe(PETER.text);
    expect(opened.verified.map((v) => [v.name, hex(v.keyId), v.type])).toEqual([
      ["PeterNeumann", "c74f20a3", 1],
    ]);
    expect(opened.unverified.map((s) => [s.name, hex(s.keyId), s.signature.length])).toEqual([
      ["EnochRoot", "af0cfe78", 64],
    ]);
  });

  it("verifies both of sumdb's signatures when both keys are known", () => {
    const note = `${PETER.text}\n${PETER.signatureLine}${ENOCH.signatureLine}`;
    const opened = openNote(note, [parseVerifierKey(PETER.vkey), ENOCH.vkey]);
    expect(opened.verified.map((v) => v.name)).toEqual(["PeterNeumann", "EnochRoot"]);
    expect(opened.unverified).toEqual([]);
  });

  it("lists a repeated unknown signature once (sumdb) and keeps distinct ones", () => {
    const enochOther = ENOCH.signatureLine.replace("rwz+eBzm", "rwz+eBzn");
    const note = `${PETER.text}\n${PETER.signatureLine}${ENOCH.signatureLine}${ENOCH.signatureLine}${enochOther}`;
    const opened = openNote(note, [PETER.vkey]);
    expect(opened.unverified).toHaveLength(2);
  });

  it("accepts the same verifier given twice, as a string and as an object", () => {
    const note = PETER.signedNote;
    expect(openNote(note, [PETER.vkey, parseVerifierKey(PETER.vkey)]).verified).toHaveLength(1);
  });

  it("opens bytes as strict UTF-8", () => {
    const bytes = Buffer.from(PETER.signedNote, "utf8");
    expect(openNote(bytes, [PETER.vkey]).body).toBe(PETER.text);
    const invalid = Buffer.concat([Buffer.from([0xff]), bytes]);
    expect(codeOf(() => openNote(invalid, [PETER.vkey]))).toBe("MALFORMED_NOTE");
    const overlong = Buffer.concat([Buffer.from([0xc0, 0xaf]), bytes]);
    expect(codeOf(() => openNote(overlong, [PETER.vkey]))).toBe("MALFORMED_NOTE");
  });

  it.each(REJECTS.cases)("rejects $name with $code", ({ note, verifiers, code }) => {
    expect(codeOf(() => openNote(note, verifiers))).toBe(code);
  });

  it("refuses two different keys that share a name and key ID", () => {
    const { name, keyIdHex, publicKeysHex } = VKEYS.keyIdCollision;
    const keys = publicKeysHex.map((key) => verifierKey(name, fromHex(key)));
    expect(keys.map((key) => hex(key.keyId))).toEqual([keyIdHex, keyIdHex]);
    expect(codeOf(() => openNote(PETER.signedNote, [PETER.vkey, ...keys]))).toBe(
      "AMBIGUOUS_VERIFIER",
    );
  });

  it("recomputes the key ID of a verifier object instead of trusting it", () => {
    const peter = parseVerifierKey(PETER.vkey);
    const forged: VerifierKey = { ...peter, keyId: fromHex("af0cfe78"), name: "EnochRoot" };
    const note = `${PETER.text}\n${ENOCH.signatureLine}`;
    expect(codeOf(() => openNote(note, [forged]))).toBe("KEY_ID_MISMATCH");
  });

  it("accepts exactly MAX_NOTE_SIGNATURES signature lines", () => {
    const unknown = ENOCH.signatureLine;
    const lines = PETER.signatureLine + unknown.repeat(MAX_NOTE_SIGNATURES - 1);
    expect(openNote(`${PETER.text}\n${lines}`, [PETER.vkey]).unverified).toHaveLength(1);
  });
});

describe("formatCheckpoint and parseCheckpoint", () => {
  it("formats the three lines of the spec, each ended by a newline", () => {
    const { origin, size, rootHashHex } = PROVTOPIA.checkpoint;
    expect(formatCheckpoint({ origin, size, rootHash: fromHex(rootHashHex) })).toBe(PROVTOPIA.body);
  });

  it("formats extension lines after the root, each ended by a newline", () => {
    const body = formatCheckpoint({
      origin: "o",
      size: 0,
      rootHash: sha256(""),
      extensions: ["one", "two"],
    });
    expect(body).toBe("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\none\ntwo\n");
  });

  it.each(BODIES.valid)("parses $name", ({ body, origin, size, extensions }) => {
    const checkpoint = parseCheckpoint(body);
    expect({ ...checkpoint, rootHash: checkpoint.rootHash.length }).toEqual({
      origin,
      size,
      rootHash: 32,
      extensions,
    });
    expect(formatCheckpoint(checkpoint)).toBe(body);
  });

  it.each(BODIES.invalid)("rejects $name with $code", ({ body, code }) => {
    expect(codeOf(() => parseCheckpoint(body))).toBe(code);
  });

  it("round-trips random checkpoints", () => {
    for (let i = 0; i < 200; i++) {
      const input = {
        origin: `provtopia.example/prov/host-${i}`,
        size: Math.floor(Math.random() * Number.MAX_SAFE_INTEGER),
        rootHash: sha256(`root ${i} ${Math.random()}`),
        extensions: i % 3 === 0 ? [`extension ${i}`] : [],
      };
      const parsed = parseCheckpoint(formatCheckpoint(input));
      expect({ ...parsed, rootHash: hex(parsed.rootHash) }).toEqual({
        ...input,
        rootHash: hex(input.rootHash),
      });
    }
  });

  it.each([
    ["an empty origin", { origin: "" }, "INVALID_ORIGIN"],
    ["an origin of two lines", { origin: "a\nb" }, "INVALID_ORIGIN"],
    ["an origin with CR", { origin: "a\r" }, "INVALID_ORIGIN"],
    ["a negative size", { size: -1 }, "INVALID_TREE_SIZE"],
    ["a fractional size", { size: 1.5 }, "INVALID_TREE_SIZE"],
    ["a NaN size", { size: Number.NaN }, "INVALID_TREE_SIZE"],
    ["a size of 2^53", { size: 2 ** 53 }, "INVALID_TREE_SIZE"],
    ["a 31-byte root", { rootHash: new Uint8Array(31) }, "INVALID_ROOT_HASH"],
    ["a 64-byte root", { rootHash: new Uint8Array(64) }, "INVALID_ROOT_HASH"],
    ["an empty extension line", { extensions: [""] }, "MALFORMED_CHECKPOINT"],
    ["an extension of two lines", { extensions: ["a\nb"] }, "MALFORMED_CHECKPOINT"],
  ])("refuses to format %s", (_what, change, code) => {
    const input = { origin: "o", size: 1, rootHash: new Uint8Array(32), ...change };
    expect(codeOf(() => formatCheckpoint(input))).toBe(code);
  });
});

describe("signed checkpoints", () => {
  it("reproduces the pinned Provtopia checkpoint from its seed", () => {
    const { origin, size, rootHashHex } = PROVTOPIA.checkpoint;
    const signer = logSigner();
    expect(encodeVerifierKey(signer.name, signer.publicKey)).toBe(PROVTOPIA.logVkey);
    expect(signCheckpoint({ origin, size, rootHash: fromHex(rootHashHex) }, signer)).toBe(
      PROVTOPIA.signedNote,
    );
  });

  it("signs the body alone: Ed25519 over the note text, checked with node:crypto directly", () => {
    const key = parseVerifierKey(PROVTOPIA.logVkey);
    const line = PROVTOPIA.signedNote.slice(PROVTOPIA.body.length + 1, -1);
    const bytes = Buffer.from(line.slice(line.lastIndexOf(" ") + 1), "base64");
    expect(hex(bytes.subarray(0, 4))).toBe(hex(key.keyId));
    const publicKey = {
      key: Buffer.concat([ED25519_SPKI_PREFIX, key.publicKey]),
      format: "der" as const,
      type: "spki" as const,
    };
    expect(verify(null, Buffer.from(PROVTOPIA.body), publicKey, bytes.subarray(4))).toBe(true);
  });

  it("opens it with the log's key and expected origin", () => {
    const opened = openCheckpoint(PROVTOPIA.signedNote, PROVTOPIA.logVkey, PROVTOPIA.logName);
    expect(opened.checkpoint.size).toBe(1234);
    expect(hex(opened.checkpoint.rootHash)).toBe(PROVTOPIA.checkpoint.rootHashHex);
    expect(opened.note.verified.map((v) => v.name)).toEqual([PROVTOPIA.logName]);
  });

  it("opens a real sum.golang.org checkpoint (the C2SP spec example, origin restored)", () => {
    const { checkpoint } = openCheckpoint(C2SP.signedNote, C2SP.logVkey, C2SP.checkpoint.origin);
    const { rootHashBase64, ...rest } = C2SP.checkpoint;
    expect({
      ...checkpoint,
      rootHash: Buffer.from(checkpoint.rootHash).toString("base64"),
    }).toEqual({
      ...rest,
      rootHash: rootHashBase64,
    });
  });

  it("does not open the C2SP example as printed: its origin and key name were edited", () => {
    expect(codeOf(() => openCheckpoint(C2SP.specExampleAsPrinted, C2SP.logVkey))).toBe(
      "NO_VERIFIED_SIGNATURE",
    );
    const renamed = parseVerifierKey(C2SP.logVkey);
    const asPrinted = verifierKey("example.com/behind-the-sofa", renamed.publicKey);
    expect(codeOf(() => openCheckpoint(C2SP.specExampleAsPrinted, asPrinted))).toBe(
      "NO_VERIFIED_SIGNATURE",
    );
  });

  it.each([
    ["size 1234 -> 1235", (n: string) => n.replace("\n1234\n", "\n1235\n")],
    ["size 1234 -> 01234", (n: string) => n.replace("\n1234\n", "\n01234\n")],
    ["root: one character", (n: string) => n.replace("4prn", "4prm")],
    ["origin: host-1 -> host-2", (n: string) => n.replace("host-1\n", "host-2\n")],
    ["an extension line added", (n: string) => n.replace("=\n\n", "=\nextra\n\n")],
  ])("rejects a tampered body (%s) with BAD_SIGNATURE", (_what, tamper) => {
    const tampered = tamper(PROVTOPIA.signedNote);
    expect(tampered).not.toBe(PROVTOPIA.signedNote);
    expect(codeOf(() => openCheckpoint(tampered, PROVTOPIA.logVkey))).toBe("BAD_SIGNATURE");
  });

  it("rejects every single-bit change of the body's bytes", () => {
    const note = Buffer.from(PROVTOPIA.signedNote, "utf8");
    const seen = new Set<string>();
    for (let i = 0; i < PROVTOPIA.body.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = Buffer.from(note);
        flipped[i] = (flipped[i] ?? 0) ^ (1 << bit);
        const code = codeOf(() => openCheckpoint(flipped, PROVTOPIA.logVkey));
        seen.add(code);
        expect(["BAD_SIGNATURE", "MALFORMED_NOTE"], `byte ${i} bit ${bit}`).toContain(code);
      }
    }
    expect([...seen].sort()).toEqual(["BAD_SIGNATURE", "MALFORMED_NOTE"]);
  });

  it("rejects every single-bit change of the signature: key ID -> unknown key, else bad", () => {
    for (let i = 0; i < 68; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = withSignatureBytes(PROVTOPIA.signedNote, (bytes) => {
          bytes[i] = (bytes[i] ?? 0) ^ (1 << bit);
        });
        const want = i < 4 ? "NO_VERIFIED_SIGNATURE" : "BAD_SIGNATURE";
        expect(
          codeOf(() => openCheckpoint(flipped, PROVTOPIA.logVkey)),
          `byte ${i} bit ${bit}`,
        ).toBe(want);
      }
    }
  });

  it("rejects a signature truncated or padded by one byte", () => {
    expect(withSignatureBytes(PROVTOPIA.signedNote, () => {})).toBe(PROVTOPIA.signedNote);
    const line = PROVTOPIA.signedNote.slice(PROVTOPIA.body.length + 1);
    const b64 = line.slice(line.lastIndexOf(" ") + 1, -1);
    const bytes = Buffer.from(b64, "base64");
    for (const sig of [bytes.subarray(0, 67), Buffer.concat([bytes, Buffer.from([0])])]) {
      const note = `${PROVTOPIA.body}\n\u2014 ${PROVTOPIA.logName} ${sig.toString("base64")}\n`;
      expect(codeOf(() => openCheckpoint(note, PROVTOPIA.logVkey))).toBe("BAD_SIGNATURE");
    }
  });

  it("rejects another origin, another log's key, a witness key, and a non-checkpoint body", () => {
    const other = generateSigner(PROVTOPIA.logName);
    expect(
      codeOf(() =>
        openCheckpoint(PROVTOPIA.signedNote, PROVTOPIA.logVkey, "provtopia.example/legal"),
      ),
    ).toBe("INVALID_ORIGIN");
    expect(codeOf(() => openCheckpoint(PROVTOPIA.signedNote, verifierOf(other)))).toBe(
      "NO_VERIFIED_SIGNATURE",
    );
    expect(codeOf(() => openCheckpoint(PROVTOPIA.signedNote, PROVTOPIA.witnessVkey))).toBe(
      "UNSUPPORTED_KEY_TYPE",
    );
    const hello = signNote("hello\n", [logSigner()]);
    expect(codeOf(() => openCheckpoint(hello, PROVTOPIA.logVkey))).toBe("MALFORMED_CHECKPOINT");
  });

  it("rejects a signature line moved from one checkpoint onto another", () => {
    const signer = logSigner();
    const a = signCheckpoint({ origin: signer.name, size: 1, rootHash: sha256("a") }, signer);
    const b = signCheckpoint({ origin: signer.name, size: 2, rootHash: sha256("b") }, signer);
    const spliced = a.slice(0, a.lastIndexOf("\n\n") + 2) + b.slice(b.lastIndexOf("\n\n") + 2);
    expect(codeOf(() => openCheckpoint(spliced, verifierOf(signer)))).toBe("BAD_SIGNATURE");
  });
});

describe("witness cosignatures (cosignature/v1)", () => {
  const cosigned = PROVTOPIA.signedNote + PROVTOPIA.cosignatureLine;

  it("reproduces the pinned cosignature line from the witness seed", () => {
    const witness = witnessSigner();
    expect(encodeVerifierKey(witness.name, witness.publicKey, witness.type)).toBe(
      PROVTOPIA.witnessVkey,
    );
    expect(cosignCheckpoint(PROVTOPIA.body, witness, PROVTOPIA.cosignatureTimestamp)).toBe(
      PROVTOPIA.cosignatureLine,
    );
  });

  it("signs 'cosignature/v1', the time line and the body: checked with node:crypto directly", () => {
    const key = parseVerifierKey(PROVTOPIA.witnessVkey);
    const b64 = PROVTOPIA.cosignatureLine.slice(PROVTOPIA.cosignatureLine.lastIndexOf(" ") + 1, -1);
    const bytes = Buffer.from(b64, "base64");
    expect(bytes).toHaveLength(4 + 8 + 64);
    expect(hex(bytes.subarray(0, 4))).toBe(hex(key.keyId));
    expect(bytes.readBigUInt64BE(4)).toBe(BigInt(PROVTOPIA.cosignatureTimestamp));
    const message = `cosignature/v1\ntime ${PROVTOPIA.cosignatureTimestamp}\n${PROVTOPIA.body}`;
    const publicKey = {
      key: Buffer.concat([ED25519_SPKI_PREFIX, key.publicKey]),
      format: "der" as const,
      type: "spki" as const,
    };
    expect(verify(null, Buffer.from(message), publicKey, bytes.subarray(12))).toBe(true);
  });

  it("verifies the witness and returns the timestamp", () => {
    expect(verifyCosignature(cosigned, PROVTOPIA.witnessVkey)).toEqual({ timestamp: 1700000000 });
    expect(verifyCosignature(cosigned, parseVerifierKey(PROVTOPIA.witnessVkey))).toEqual({
      timestamp: 1700000000,
    });
  });

  it("leaves the log's signature to openCheckpoint, which lists the witness as unverified", () => {
    const opened = openCheckpoint(cosigned, PROVTOPIA.logVkey);
    expect(opened.note.unverified.map((s) => s.name)).toEqual([PROVTOPIA.witnessName]);
    const both = openNote(cosigned, [PROVTOPIA.logVkey, PROVTOPIA.witnessVkey]);
    expect(both.verified.map((v) => [v.name, v.type, v.timestamp])).toEqual([
      [PROVTOPIA.logName, 1, undefined],
      [PROVTOPIA.witnessName, 4, 1700000000],
    ]);
  });

  it("reads the C2SP example's witness line as key ID, big-endian timestamp, signature", () => {
    const { signatures } = parseNote(C2SP.specExampleAsPrinted);
    const witness = signatures.find((s) => s.name === C2SP.specWitness.name);
    expect(witness && hex(witness.keyId)).toBe(C2SP.specWitness.keyIdHex);
    expect(witness?.signature).toHaveLength(8 + 64);
    const timestamp = Buffer.from(witness?.signature ?? []).readBigUInt64BE(0);
    expect(timestamp).toBe(BigInt(C2SP.specWitness.timestamp));
  });

  it("refuses a note without this witness's line, and a witness key of type 0x01", () => {
    expect(codeOf(() => verifyCosignature(PROVTOPIA.signedNote, PROVTOPIA.witnessVkey))).toBe(
      "NO_COSIGNATURE",
    );
    const other = generateSigner(PROVTOPIA.witnessName, KEY_TYPE_COSIGNATURE_V1);
    expect(codeOf(() => verifyCosignature(cosigned, verifierOf(other)))).toBe("NO_COSIGNATURE");
    const asPlain = verifierKey(PROVTOPIA.witnessName, witnessSigner().publicKey, 0x01);
    expect(codeOf(() => verifyCosignature(cosigned, asPlain))).toBe("UNSUPPORTED_KEY_TYPE");
  });

  it.each([
    ["size", (n: string) => n.replace("\n1234\n", "\n1235\n")],
    ["root", (n: string) => n.replace("4prn", "4prm")],
    ["origin", (n: string) => n.replace("host-1\n", "host-9\n")],
  ])("rejects a cosigned note whose %s changed, with BAD_SIGNATURE", (_what, tamper) => {
    expect(codeOf(() => verifyCosignature(tamper(cosigned), PROVTOPIA.witnessVkey))).toBe(
      "BAD_SIGNATURE",
    );
  });

  it("rejects every single-bit change of the timestamp or signature", () => {
    for (let i = 4; i < 76; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = withSignatureBytes(cosigned, (bytes) => {
          bytes[i] = (bytes[i] ?? 0) ^ (1 << bit);
        });
        expect(
          codeOf(() => verifyCosignature(flipped, PROVTOPIA.witnessVkey)),
          `byte ${i} bit ${bit}`,
        ).toBe("BAD_SIGNATURE");
      }
    }
  });

  it("rejects a cosignature carried over to another checkpoint", () => {
    const signer = logSigner();
    const next = signCheckpoint(
      { origin: signer.name, size: 1235, rootHash: sha256("next") },
      signer,
    );
    expect(
      codeOf(() => verifyCosignature(next + PROVTOPIA.cosignatureLine, PROVTOPIA.witnessVkey)),
    ).toBe("BAD_SIGNATURE");
  });

  it("rejects a duplicated cosignature line", () => {
    const twice = cosigned + PROVTOPIA.cosignatureLine;
    expect(codeOf(() => verifyCosignature(twice, PROVTOPIA.witnessVkey))).toBe(
      "DUPLICATE_SIGNATURE",
    );
  });

  it("rejects a plain Ed25519 signature under the witness's 0x04 key ID", () => {
    const witness = witnessSigner();
    const plain = sign(null, Buffer.from(PROVTOPIA.body), witness.privateKey);
    const line = signatureLine(witness.name, witness.keyId, plain);
    expect(codeOf(() => verifyCosignature(PROVTOPIA.signedNote + line, witness))).toBe(
      "BAD_SIGNATURE",
    );
  });

  it("refuses timestamps beyond 2^63 - 1, and (MAY) beyond 2^53 - 1 or the reader's clock", () => {
    const witness = witnessSigner();
    const line = (timestamp: bigint) => {
      const message = Buffer.from(`cosignature/v1\ntime ${timestamp}\n${PROVTOPIA.body}`);
      const t = Buffer.alloc(8);
      t.writeBigUInt64BE(timestamp);
      const signature = sign(null, message, witness.privateKey);
      return signatureLine(witness.name, witness.keyId, Buffer.concat([t, signature]));
    };
    const note = (timestamp: bigint) => PROVTOPIA.signedNote + line(timestamp);
    expect(verifyCosignature(note(0n), witness)).toEqual({ timestamp: 0 });
    expect(codeOf(() => verifyCosignature(note(1n << 63n), witness))).toBe("BAD_SIGNATURE");
    expect(codeOf(() => verifyCosignature(note(1n << 53n), witness))).toBe("INVALID_TIMESTAMP");
    const t = PROVTOPIA.cosignatureTimestamp;
    expect(verifyCosignature(cosigned, witness, { nowSeconds: t - 60 })).toEqual({ timestamp: t });
    expect(codeOf(() => verifyCosignature(cosigned, witness, { nowSeconds: t - 61 }))).toBe(
      "COSIGNATURE_IN_FUTURE",
    );
    expect(
      codeOf(() =>
        verifyCosignature(cosigned, witness, { nowSeconds: t - 1, maxClockSkewSeconds: 0 }),
      ),
    ).toBe("COSIGNATURE_IN_FUTURE");
  });

  it("cosigns checkpoints only, with a 0x04 key and whole non-negative seconds", () => {
    const witness = witnessSigner();
    expect(codeOf(() => cosignCheckpoint("hello\n", witness, 1))).toBe("MALFORMED_CHECKPOINT");
    expect(codeOf(() => cosignCheckpoint(PROVTOPIA.body, logSigner(), 1))).toBe(
      "UNSUPPORTED_KEY_TYPE",
    );
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) {
      expect(
        codeOf(() => cosignCheckpoint(PROVTOPIA.body, witness, bad)),
        String(bad),
      ).toBe("INVALID_TIMESTAMP");
    }
  });

  it("round-trips a fresh log and witness with extension lines", () => {
    const log = generateSigner("provtopia.example/prov/round-trip");
    const witness = generateSigner("witness.example/w2", KEY_TYPE_COSIGNATURE_V1);
    const input = { origin: log.name, size: 7, rootHash: sha256("7"), extensions: ["ext"] };
    const body = formatCheckpoint(input);
    const note = signCheckpoint(input, log) + cosignCheckpoint(body, witness, 1);
    expect(openCheckpoint(note, verifierOf(log), log.name).checkpoint.extensions).toEqual(["ext"]);
    expect(verifyCosignature(note, encodeVerifierKey(witness.name, witness.publicKey, 4))).toEqual({
      timestamp: 1,
    });
  });
});
