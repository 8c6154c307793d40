#!/usr/bin/env node
// `npx provtopia`: runs the TypeScript CLI through tsx's loader, so there is no build step.
// The long-running commands re-run once in a child process with glibc malloc settings that keep
// their RSS flat over a long stream (./malloc-env.js; PROVTOPIA_MALLOC_ENV=off runs them here).
import {
  exitWithParent,
  MallocEnvError,
  mallocEnvFor,
  runInChild,
  runsOnGlibc,
} from "./malloc-env.js";

let childEnv = null;
try {
  childEnv = mallocEnvFor(process.argv[2], process.env, { glibc: runsOnGlibc() });
} catch (error) {
  if (!(error instanceof MallocEnvError)) throw error;
  console.error(`provtopia: ${error.message}`);
  process.exit(2);
}
if (childEnv) {
  runInChild(childEnv);
} else {
  exitWithParent();
  const { register } = await import("tsx/esm/api");
  register();
  await import("../cli.ts");
}
