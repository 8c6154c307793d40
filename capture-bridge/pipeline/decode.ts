/**
 * Turns a received message into the provenance documents it carries, without touching the
 * store. camflowd publishes over MQTT base64 of zlib-compressed JSON; applications and files
 * send plain JSON; CamFlow log files hold one document per line among daemon status lines.
 */
import { inflateSync } from "node:zlib";

export class MessageDecodeError extends Error {
  readonly code = "MESSAGE_DECODE";
}

const BOM = "\uFEFF";

/** The message's text: plain UTF-8 JSON as is, base64 of zlib-deflated JSON inflated. */
export function decodePayload(payload: Uint8Array): string {
  const text = Buffer.from(payload).toString("utf8");
  const trimmed = text.replace(BOM, "").trimStart();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) return text;
  if (/^[A-Za-z0-9+/=\s]+$/.test(trimmed) && trimmed.length > 0) {
    try {
      return inflateSync(Buffer.from(trimmed, "base64")).toString("utf8");
    } catch (error) {
      throw new MessageDecodeError(
        "expected JSON or base64 of zlib-compressed JSON, got base64 that does not inflate",
        { cause: error },
      );
    }
  }
  throw new MessageDecodeError(
    `expected JSON or base64 of zlib-compressed JSON, got ${JSON.stringify(trimmed.slice(0, 40))}`,
  );
}

export type DocumentText =
  | { ok: true; text: string; value: unknown }
  | { ok: false; text: string; reason: string };

/**
 * Splits a text into documents: one JSON document, or (CamFlow `output=log`) one per line,
 * where lines that do not start with `{` are daemon status lines and are skipped. A line that
 * starts like a document but is not JSON comes back as `ok: false` with the parser's reason,
 * so the caller can quarantine it and keep the lines around it.
 */
export function readDocuments(text: string): DocumentText[] {
  const body = text.replace(BOM, "").trim();
  if (body === "") return [];
  const whole = tryParse(body);
  if (whole.ok || !body.includes("\n")) return [whole];
  return body
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.startsWith("{"))
    .map(tryParse);
}

function tryParse(text: string): DocumentText {
  try {
    return { ok: true, text, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, text, reason: `not JSON: ${(error as Error).message}` };
  }
}
