/**
 * The bridge's HTTP face: GET /healthz, GET /metrics (Prometheus), POST /ingest for applications
 * (capture-bridge/ingest-endpoint.ts), the enforcement points' rule pulls and acknowledgements
 * (capture-bridge/enforcement/http.ts), and the ledger's read-only auditor API (logs, the latest
 * signed checkpoint, inclusion and consistency proofs).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { pingStore, type Store } from "../db/client";
import {
  consistencyProofFor,
  inclusionProofFor,
  latestCheckpoint,
  listLogs,
  ProofRequestError,
} from "../db/ledger/proofs";
import { ENFORCEMENT_PATHS, handleEnforcementRequest } from "./enforcement/http";
import { bearerToken } from "./http-error";
import { handleIngestRequest, type IngestEndpointOptions } from "./ingest-endpoint";
import type { Logger } from "./logger";
import { renderMetrics } from "./metrics";

type Handler = (url: URL) => Promise<{ status: number; type: string; body: string }>;

const json = (value: unknown, status = 200) => ({
  status,
  type: "application/json",
  body: JSON.stringify(value),
});

function integerParam(url: URL, name: string): number | undefined {
  const value = url.searchParams.get(name);
  if (value === null) return undefined;
  if (!/^\d+$/.test(value))
    throw new ProofRequestError(
      `${name} must be a non-negative integer, got ${JSON.stringify(value)}`,
    );
  return Number(value);
}

function requiredParam(url: URL, name: string): string {
  const value = url.searchParams.get(name);
  if (!value) throw new ProofRequestError(`${name} is required`);
  return value;
}

function routes(store: Store): Record<string, Handler> {
  return {
    "/healthz": async () => {
      try {
        await pingStore(store);
        return json({ status: "ok", store: store.kind });
      } catch (error) {
        return json({ status: "unavailable", error: (error as Error).message }, 503);
      }
    },
    "/metrics": async () => ({ status: 200, ...(await renderMetrics()) }),
    "/ledger/logs": async () => json(await listLogs(store)),
    "/ledger/checkpoint": async (url) => {
      const note = await latestCheckpoint(store, requiredParam(url, "log"));
      return note === null
        ? { status: 404, type: "text/plain", body: "no checkpoint yet\n" }
        : { status: 200, type: "text/plain; charset=utf-8", body: note };
    },
    "/ledger/proof/inclusion": async (url) =>
      json(
        await inclusionProofFor(store, requiredParam(url, "log"), {
          index: integerParam(url, "index"),
          object: url.searchParams.get("object") ?? undefined,
          treeSize: integerParam(url, "size"),
        }),
      ),
    "/ledger/proof/consistency": async (url) =>
      json(
        await consistencyProofFor(
          store,
          requiredParam(url, "log"),
          integerParam(url, "from") ?? 0,
          integerParam(url, "to") ?? 0,
        ),
      ),
  };
}

export interface HttpOptions {
  /** POST /ingest answers 404 without it. */
  ingest?: IngestEndpointOptions;
  /** The address to bind; loopback unless set. */
  host?: string;
  /** The enforcement points' paths answer 404 without it. */
  enforcement?: { logger: Logger };
  /**
   * When set, GET /metrics wants `Authorization: Bearer <this>` (Prometheus' `authorization`
   * setting of a scrape job); unset, it is open, as Prometheus' exporters are on an internal
   * interface.
   */
  metricsToken?: string;
}

/** Whether a bind address is this machine's own loopback (only local processes reach it). */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

const sha256 = (text: string) => createHash("sha256").update(text).digest();

/** Whether the request bears the token: compared as digests, in constant time. */
function bearsToken(request: IncomingMessage, token: string): boolean {
  const given = bearerToken(request);
  return given !== null && timingSafeEqual(sha256(given), sha256(token));
}

/** Serves on `options.host` (loopback) : `port`. */
export function serveHttp(store: Store, port: number, options: HttpOptions = {}): Promise<Server> {
  const { ingest, host = "127.0.0.1", enforcement, metricsToken } = options;
  const table = routes(store);
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://bridge.invalid");
    if (url.pathname === "/metrics" && metricsToken && !bearsToken(request, metricsToken)) {
      response
        .writeHead(401, {
          "content-type": "text/plain",
          "www-authenticate": 'Bearer realm="provtopia-metrics"',
        })
        .end("expected an Authorization: Bearer <METRICS_TOKEN> header\n");
      return;
    }
    if (url.pathname === "/ingest" && ingest) {
      handleIngestRequest(store, ingest, request, response);
      return;
    }
    if (enforcement && ENFORCEMENT_PATHS.has(url.pathname)) {
      handleEnforcementRequest(store, enforcement.logger, url.pathname, request, response);
      return;
    }
    const handler = table[url.pathname];
    if (request.method !== "GET" || !handler) {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    handler(url).then(
      ({ status, type, body }) => response.writeHead(status, { "content-type": type }).end(body),
      (error: Error) => {
        const status = error instanceof ProofRequestError ? 400 : 500;
        response.writeHead(status, { "content-type": "text/plain" }).end(`${error.message}\n`);
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
