/**
 * The bridge's JSON answers for its authenticated endpoints (POST /ingest, the enforcement
 * points' rules and acknowledgements): a refusal is an HttpError with a stable `code`, sent as
 * `{"error":{"code","message"}}` with the status and headers it carries.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** The token of an `Authorization: Bearer <token>` header, or null without one. */
export function bearerToken(request: IncomingMessage): string | null {
  return /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "")?.[1] ?? null;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function sendJson(
  response: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  response
    .writeHead(status, { "content-type": "application/json", ...headers })
    .end(JSON.stringify(value));
}

/** Sends `error` as its JSON refusal. */
export function sendHttpError(response: ServerResponse, error: HttpError): void {
  sendJson(
    response,
    error.status,
    { error: { code: error.code, message: error.message } },
    error.headers,
  );
}
