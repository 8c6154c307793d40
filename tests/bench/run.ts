/**
 * Benchmark entry point: `npm run bench -- <name>|all [--quick] [--markdown]`.
 *
 * `--duration S` sets how long a streaming bench (ingest) streams, in seconds.
 *
 * Runs `tests/bench/<name>.bench.ts` (which exports `run({ quick }): Promise<BenchResult>`),
 * prints its figures as a table and writes them to `tests/bench/results/<name>.json`
 * (gitignored). Without a name it lists the benchmarks. Figures are never compared with
 * targets here: a bench fails (exit 1) only when it throws, which it does for a wrong result,
 * not a slow one. Usage errors (unknown name or flag) exit 2.
 *
 * `all` runs the benches one after another in this process, so a later bench's peak RSS can
 * include what an earlier one left on the heap; run a bench alone for its memory figures.
 */
import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  exitWithParent,
  MallocEnvError,
  mallocEnvFor,
  runInChild,
  runsOnGlibc,
} from "../../capture-bridge/bin/malloc-env.js";
import { type BenchOptions, type BenchResult, formatMarkdown, formatResult } from "./bench-result";

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const RESULTS_DIR = path.join(BENCH_DIR, "results");
const BENCH_SUFFIX = ".bench.ts";
const FLAGS = new Set(["--quick", "--markdown"]);

class UsageError extends Error {
  readonly code = "BENCH_USAGE";
}

type BenchModule = { run: (options: BenchOptions) => Promise<BenchResult> };

async function listBenches(): Promise<string[]> {
  const files = await readdir(BENCH_DIR);
  return files
    .filter((file) => file.endsWith(BENCH_SUFFIX))
    .map((file) => file.slice(0, -BENCH_SUFFIX.length))
    .sort();
}

async function loadBench(name: string): Promise<BenchModule> {
  const file = path.join(BENCH_DIR, `${name}${BENCH_SUFFIX}`);
  const module = (await import(pathToFileURL(file).href)) as Partial<BenchModule>;
  if (typeof module.run !== "function") {
    throw new Error(`expected ${path.relative(process.cwd(), file)} to export run(), got none`);
  }
  return module as BenchModule;
}

async function runBench(name: string, options: BenchOptions, markdown: boolean): Promise<void> {
  const bench = await loadBench(name);
  console.log(`running ${name}${options.quick ? " (quick)" : ""} ...`);
  const startedMs = performance.now();
  const result = await bench.run(options);
  const durationS = (performance.now() - startedMs) / 1000;
  console.log("");
  console.log(markdown ? formatMarkdown(name, result) : formatResult(name, result));
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.json`);
  await writeFile(file, `${JSON.stringify({ name, durationS, ...result }, null, 2)}\n`);
  console.log(
    `\n${name}: ${durationS.toFixed(1)} s; written to ${path.relative(process.cwd(), file)}`,
  );
}

/** Takes `--duration S` out of argv; returns the seconds, or undefined when absent. */
function takeDuration(argv: string[]): number | undefined {
  const at = argv.indexOf("--duration");
  if (at === -1) return undefined;
  const seconds = Number(argv[at + 1]);
  if (!(seconds > 0)) throw new UsageError(`--duration expects seconds, got ${argv[at + 1]}`);
  argv.splice(at, 2);
  return seconds;
}

async function main(argv: string[]): Promise<void> {
  const durationS = takeDuration(argv);
  const flags = argv.filter((arg) => arg.startsWith("--"));
  const names = argv.filter((arg) => !arg.startsWith("--"));
  const unknownFlag = flags.find((flag) => !FLAGS.has(flag));
  if (unknownFlag)
    throw new UsageError(
      `unknown option ${unknownFlag}; expected --quick, --markdown or --duration S`,
    );
  const available = await listBenches();
  if (names.length === 0) {
    console.log("usage: npm run bench -- <name>|all [--quick] [--markdown] [--duration S]");
    console.log(`benchmarks: ${available.join(", ") || "(none)"}`);
    return;
  }
  const wanted = names.includes("all") ? available : names;
  const unknown = wanted.filter((name) => !available.includes(name));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown benchmark ${unknown.map((n) => JSON.stringify(n)).join(", ")}; expected one of: all, ${available.join(", ")}`,
    );
  }
  const options: BenchOptions = {
    quick: flags.includes("--quick"),
    ...(durationS ? { durationS } : {}),
  };
  for (const name of wanted) await runBench(name, options, flags.includes("--markdown"));
}

function reportFailure(error: unknown): void {
  if (error instanceof UsageError || error instanceof MallocEnvError) {
    console.error(`bench: ${error.message}`);
    process.exitCode = 2;
    return;
  }
  console.error("bench failed:", error);
  process.exitCode = 1;
}

// The ingest bench runs the bridge in this process; it measures it under the glibc malloc
// settings `provtopia bridge` runs with, so the bench re-runs itself in a child with them, as the
// CLI does (capture-bridge/bin/malloc-env.js), and the child, doing the work, samples its own RSS.
const argv = process.argv.slice(2);
let childEnv: ReturnType<typeof mallocEnvFor> = null;
try {
  if (argv.includes("ingest") || argv.includes("all")) {
    childEnv = mallocEnvFor("ingest", process.env, { glibc: runsOnGlibc() });
  }
} catch (error) {
  reportFailure(error);
}
if (childEnv) runInChild(childEnv);
else if (process.exitCode === undefined) {
  exitWithParent();
  main(argv).catch(reportFailure);
}
