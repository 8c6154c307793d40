/**
 * The bridge's JSON answers for its authenticated endpoints (POST /ingest, the enforcement
 * points' rules and acknowledgements): a refusal is an HttpError with a stable `code`, sent as
 * `{"error":{"code","message"}}` with the status and headers it carries.
 */
import type { ServerResponse } from "node:http";

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
