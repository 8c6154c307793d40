/**
 * `POST /ingest`: applications post provenance documents with their host's bearer token
 * (`npx provtopia host token issue NAME`). The document is attributed to the token's host and
 * goes through the same pipeline as every other source; the answer says what was stored and
 * what was quarantined. Errors are JSON `{"error":{"code","message"}}`:
 *
 *   401 unauthorized            no, malformed, unknown or revoked token
 *   415 unsupported_media_type  not application/json, application/x-ndjson or text/plain
 *   413 payload_too_large       over INGEST_MAX_BODY_BYTES (the body is not read)
 *   400 empty_body | quarantined  nothing to store; a body that could not be read is kept in
 *                               quarantine with its reason and raw bytes, never dropped
 *   503 store_unavailable       the store failed; retry later (Retry-After)
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { authenticateHostToken } from "../db/auth/host-tokens";
import type { Store } from "../db/client";
import { bearerToken, HttpError, sendHttpError, sendJson } from "./http-error";
import type { HandleMessage } from "./intake";
import type { Logger } from "./logger";

export interface IngestEndpointOptions {
  handle: HandleMessage;
  maxBodyBytes: number;
  logger: Logger;
}

const ACCEPTED_TYPES = new Set(["application/json", "application/x-ndjson", "text/plain"]);

export function handleIngestRequest(
  store: Store,
  options: IngestEndpointOptions,
  request: IncomingMessage,
  response: ServerResponse,
): void {
  ingest(store, options, request).then(
    (result) => sendJson(response, result.status, result.body),
    (error: unknown) => {
      if (error instanceof HttpError) {
        sendHttpError(response, error);
        // A refused body is not read: close the connection rather than drain it.
        if (error.status === 413 || !request.complete)
          response.once("finish", () => request.destroy());
        return;
      }
      options.logger.error({ err: error }, "http: POST /ingest failed");
      sendJson(
        response,
        503,
        {
          error: {
            code: "store_unavailable",
            message: "the store failed; nothing was stored, retry later",
          },
        },
        { "retry-after": "5" },
      );
    },
  );
}

async function ingest(
  store: Store,
  options: IngestEndpointOptions,
  request: IncomingMessage,
): Promise<{ status: number; body: unknown }> {
  if (request.method !== "POST") {
    throw new HttpError(405, "method_not_allowed", "use POST", { allow: "POST" });
  }
  const token = bearerToken(request);
  if (token === null) {
    throw new HttpError(
      401,
      "unauthorized",
      "expected an Authorization: Bearer <host token> header",
      {
        "www-authenticate": 'Bearer realm="provtopia-ingest"',
      },
    );
  }
  const auth = await authenticateHostToken(store, token);
  if (!auth) {
    throw new HttpError(401, "unauthorized", "the token is unknown, wrong or revoked", {
      "www-authenticate": 'Bearer realm="provtopia-ingest", error="invalid_token"',
    });
  }
  const type = (request.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (!ACCEPTED_TYPES.has(type)) {
    throw new HttpError(
      415,
      "unsupported_media_type",
      `expected Content-Type ${[...ACCEPTED_TYPES].join(", ")}, got ${JSON.stringify(type || "none")}`,
    );
  }
  const body = await readBody(request, options.maxBodyBytes);
  if (body.length === 0) throw new HttpError(400, "empty_body", "the body is empty");
  const outcome = await options.handle({
    source: `http:${auth.hostName}`,
    host: auth.hostName,
    payload: body,
  });
  const summary = {
    host: auth.hostName,
    stored: outcome.documents,
    quarantined: outcome.quarantined,
    elements: outcome.elements,
    new: outcome.newElements,
  };
  if (outcome.documents === 0 && outcome.quarantined > 0) {
    return {
      status: 400,
      body: {
        error: {
          code: "quarantined",
          message: `nothing stored: ${outcome.quarantined} document(s) could not be read${jsonProblem(type, body)}; kept in quarantine with the reason`,
        },
        ...summary,
      },
    };
  }
  return { status: 200, body: summary };
}

/** `: <parser message>` when a JSON body does not parse, to tell the client why. */
function jsonProblem(type: string, body: Buffer): string {
  if (type !== "application/json") return "";
  try {
    JSON.parse(body.toString("utf8"));
    return "";
  } catch (error) {
    return ` (not JSON: ${(error as Error).message})`;
  }
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, "payload_too_large", `the body is larger than ${limit} bytes`, {
    connection: "close",
  });
}

/** The body, or HttpError 413 as soon as it is known to exceed `limit` bytes. */
async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
