/**
 * postgres.js 3.4.9 (the latest release) can throw from a timer after a connection closed under
 * it: `TypeError: Cannot read properties of null (reading 'write')` in `nextWrite`
 * (porsager/postgres#1154, #1208; the fixes #1168, #1209 are unreleased). The query it belonged
 * to has already been rejected with CONNECTION_CLOSED, which the pipeline retries, but the throw
 * escapes every `try` and would kill the bridge whenever PostgreSQL restarts. This guard
 * swallows exactly that error (and logs it); any other uncaught exception still ends the
 * process as Node would, unless someone else (a test runner) also listens.
 */
const SIGNATURE = /postgres[\\/]src[\\/]connection\.js/;

export function isDriverClosedSocketError(error: unknown): boolean {
  return (
    error instanceof TypeError &&
    error.message.includes("reading 'write'") &&
    SIGNATURE.test(error.stack ?? "") &&
    (error.stack ?? "").includes("nextWrite")
  );
}

/** Installs the guard; returns a function that removes it. */
export function guardDriverClosedSocket(log: (line: string) => void): () => void {
  const listener = (error: Error) => {
    if (isDriverClosedSocketError(error)) {
      log(`bridge: postgres.js wrote to a closed connection (porsager/postgres#1208); retrying`);
      return;
    }
    if (process.listenerCount("uncaughtException") > 1) return; // someone else decides
    console.error(error);
    process.exit(1);
  };
  process.on("uncaughtException", listener);
  return () => process.off("uncaughtException", listener);
}
