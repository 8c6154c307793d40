/**
 * Turns a received message into the provenance documents it carries, without touching the
 * store. camflowd publishes over MQTT base64 of zlib-compressed JSON; applications and files
 * send plain JSON; CamFlow log files hold one document per line among daemon status lines.
 */
import { inflateSync } from "node:zlib";
import { repairCamflowJson } from "../formats/camflow";

export class MessageDecodeError extends Error {
  readonly code = "MESSAGE_DECODE";
}

const BOM = "\uFEFF";

const utf8 = new TextDecoder("utf-8", { fatal: true });
const BASE64 = /^[A-Za-z0-9+/=\s]+$/;

/**
 * The message's text: UTF-8 as is (JSON, or a CamFlow log with its status lines), or, when the
 * whole payload is base64, the zlib-compressed JSON it carries. Throws MessageDecodeError for
 * bytes that are not UTF-8 and for base64 that does not inflate.
 */
export function decodePayload(payload: Uint8Array): string {
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch (error) {
    throw new MessageDecodeError("expected UTF-8 text or base64, got bytes that are not UTF-8", {
      cause: error,
    });
  }
  const trimmed = text.trim();
  if (trimmed === "" || !BASE64.test(trimmed)) return text;
  try {
    return inflateSync(Buffer.from(trimmed, "base64")).toString("utf8");
  } catch (error) {
    throw new MessageDecodeError(
      `expected JSON or base64 of zlib-compressed JSON, got ${JSON.stringify(trimmed.slice(0, 40))}`,
      { cause: error },
    );
  }
}

export type DocumentText =
  /** `repaired`: camflowd's missing escapes were put back (formats/camflow.ts repairCamflowJson). */
  | { ok: true; text: string; value: unknown; repaired?: true }
  | { ok: false; text: string; reason: string };

/**
 * Splits a text into documents: one JSON document, or (CamFlow `output=log`) one per line,
 * where lines that do not start with `{` are daemon status lines and are skipped. A line that
 * starts like a document but is not JSON comes back as `ok: false` with the parser's reason,
 * so the caller can quarantine it and keep the lines around it. A text that is neither comes
 * back whole as one `ok: false`.
 *
 * camflowd writes some strings unescaped: a CamFlow document that is not JSON is repaired when
 * it can be (`repaired: true`). A raw newline in a pathname splits a document over lines: a
 * broken line takes the lines after it up to the next `{` line, so the repaired document, or
 * the quarantined text, is whole.
 */
export function readDocuments(text: string): DocumentText[] {
  const body = text.replace(BOM, "").trim();
  if (body === "") return [];
  const oneLine = !body.includes("\n");
  // A log's many lines are not one document: no repair is tried on the whole of it.
  const whole = tryParse(body, oneLine);
  if (whole.ok || oneLine) return [whole];
  const lines = body.split(/\r?\n/);
  const documents: DocumentText[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (!line.startsWith("{")) continue; // a daemon status line
    let end = i + 1;
    while (end < lines.length && !(lines[end] as string).trim().startsWith("{")) end++;
    const document = tryParse(line);
    if (document.ok || end === i + 1) {
      documents.push(document);
      continue;
    }
    const joined = tryParse(lines.slice(i, end).join("\n").trim());
    documents.push(joined);
    i = end - 1;
  }
  // Not a log either: report the whole text, so that nothing vanishes unexplained.
  return documents.length > 0 ? documents : [whole];
}

function tryParse(text: string, repair = true): DocumentText {
  try {
    return { ok: true, text, value: JSON.parse(text) };
  } catch (error) {
    const repaired = repair ? repairCamflowJson(text) : null;
    if (repaired !== null) return { ok: true, text, value: JSON.parse(repaired), repaired: true };
    return { ok: false, text, reason: `not JSON: ${(error as Error).message}` };
  }
}
