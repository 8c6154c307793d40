/**
 * The enforcement points' HTTP face on the bridge, each request with the point's bearer token
 * (db/enforcement/points.ts). Errors are JSON `{"error":{"code","message"}}`.
 *
 *   GET  /enforcement/rules   the point's rule set (db/enforcement/rule-set.ts, ruleSetFor) with
 *                             ETag `"<version>"`; `If-None-Match` with the current one: 304.
 *   POST /enforcement/ack     `{"version":V}`: the point applied version V. 200
 *                             `{"appliedVersion":…}`; 400 bad_version for a version the rule
 *                             set has not reached or a body that is not that JSON.
 *
 *   401 unauthorized  no, malformed, unknown or revoked token
 *   405               another method
 *   503               the store failed; retry later
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Store } from "../../db/client";
import { authenticateEnforcementPoint } from "../../db/enforcement/points";
import {
  AcknowledgementError,
  acknowledgeRuleVersion,
  ruleSetFor,
} from "../../db/enforcement/rule-set";
import { bearerToken, HttpError, sendHttpError } from "../http-error";
import type { Logger } from "../logger";

export const ENFORCEMENT_PATHS = new Set(["/enforcement/rules", "/enforcement/ack"]);

const MAX_ACK_BYTES = 1_024;

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export function handleEnforcementRequest(
  store: Store,
  logger: Logger,
  path: string,
  request: IncomingMessage,
  response: ServerResponse,
): void {
  answer(store, path, request).then(
    ({ status, body, headers }) => {
      response.writeHead(status, {
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        "cache-control": "no-cache, private",
        ...headers,
      });
      response.end(body === undefined ? undefined : JSON.stringify(body));
    },
    (error: unknown) => {
      if (error instanceof HttpError) return sendHttpError(response, error);
      logger.error({ err: error, path }, "http: enforcement request failed");
      sendHttpError(
        response,
        new HttpError(503, "store_unavailable", "the store failed; retry later", {
          "retry-after": "5",
        }),
      );
    },
  );
}

async function answer(store: Store, path: string, request: IncomingMessage): Promise<Reply> {
  const method = path === "/enforcement/ack" ? "POST" : "GET";
  if (request.method !== method) {
    throw new HttpError(405, "method_not_allowed", `use ${method}`, { allow: method });
  }
  const token = bearerToken(request);
  const point = token !== null ? await authenticateEnforcementPoint(store, token) : null;
  if (!point) {
    throw new HttpError(
      401,
      "unauthorized",
      token !== null
        ? "the token is unknown, wrong or revoked"
        : "expected an Authorization: Bearer <enforcement point token> header",
      { "www-authenticate": 'Bearer realm="provtopia-enforcement"' },
    );
  }
  if (method === "GET") {
    const rules = await ruleSetFor(store, point.id);
    if (!rules) throw new HttpError(401, "unauthorized", "the point was revoked");
    const etag = `"${rules.version}"`;
    if (request.headers["if-none-match"] === etag) return { status: 304, headers: { etag } };
    return { status: 200, body: rules, headers: { etag } };
  }
  const version = await readVersion(request);
  try {
    return { status: 200, body: await acknowledgeRuleVersion(store, point.id, version) };
  } catch (error) {
    if (error instanceof AcknowledgementError) throw new HttpError(400, error.code, error.message);
    throw error;
  }
}

async function readVersion(request: IncomingMessage): Promise<number> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_ACK_BYTES) {
      throw new HttpError(413, "payload_too_large", `expected at most ${MAX_ACK_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    value = undefined;
  }
  const version = (value as { version?: unknown } | undefined)?.version;
  if (typeof version !== "number" || !Number.isSafeInteger(version)) {
    throw new HttpError(400, "bad_version", 'expected a JSON body {"version": <integer>}');
  }
  return version;
}
