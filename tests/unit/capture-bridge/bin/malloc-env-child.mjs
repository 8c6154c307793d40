// A stand-in for capture-bridge/bin/provtopia.js in malloc-env.test.ts: the same decision and
// wrapper, around a "command" that reports its pid and environment and counts its signals.
// SIGINT/SIGTERM: exits 40 + the number received within 300 ms (41: delivered exactly once).
// SIGHUP: not handled, so it ends the process. Glibc is taken as given: the wrapper is tested,
// not the platform check.
import {
  exitWithParent,
  MALLOC_ENV,
  mallocEnvFor,
  runInChild,
} from "../../../../capture-bridge/bin/malloc-env.js";

const env = mallocEnvFor(process.argv[2], process.env, { glibc: true });
if (env) {
  runInChild(env);
} else {
  exitWithParent();
  let signals = 0;
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => {
      signals += 1;
      console.log(JSON.stringify({ signal }));
      if (signals === 1) setTimeout(() => process.exit(40 + signals), 300);
    });
  }
  const malloc = Object.fromEntries(
    Object.keys(MALLOC_ENV).map((name) => [name, process.env[name]]),
  );
  console.log(JSON.stringify({ pid: process.pid, ppid: process.ppid, malloc }));
  setInterval(() => {}, 60_000); // runs until a signal ends it
}
