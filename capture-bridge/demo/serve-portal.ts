/**
 * Serves the built portal (build/ from `remix vite:build`) in this process, as remix-serve
 * would. Why here: the embedded store is PGlite, a single-process database, so in the demo the
 * bridge and the portal must share one process. This module loads the portal's *built* server
 * bundle by path; it does not import app/ source (the dependency rule), and the portal opens
 * its store through db/client, which hands it the same PGlite instance.
 */
import type { Server } from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import express from "express";

export async function servePortal(port: number, buildDir = path.resolve("build")): Promise<Server> {
  const serverBuild = path.join(buildDir, "server", "index.js");
  const build = (await import(pathToFileURL(serverBuild).href)) as ServerBuild;
  const app = express();
  app.disable("x-powered-by");
  // CSRF: refuse a state-changing request sent from another site with a plain 403, before
  // Remix (whose own Origin/Host check answers 500). The portal's actions check it again.
  app.use((request, response, next) => {
    const origin = request.get("origin");
    if (request.method === "GET" || request.method === "HEAD" || !origin) return next();
    if (URL.canParse(origin) && new URL(origin).host === request.get("host")) return next();
    response.status(403).type("text/plain").send("Cross-origin request refused.\n");
  });
  app.use(
    "/assets",
    express.static(path.join(buildDir, "client", "assets"), { immutable: true, maxAge: "1y" }),
  );
  app.use(express.static(path.join(buildDir, "client"), { maxAge: "1h" }));
  app.all("*", createRequestHandler({ build, mode: "production" }));
  return new Promise((resolve, reject) => {
    const server = app.listen(port, "127.0.0.1", () => resolve(server));
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new Error(`port ${port} is taken: set PORT to serve the portal elsewhere`, {
              cause: error,
            })
          : error,
      ),
    );
  });
}
