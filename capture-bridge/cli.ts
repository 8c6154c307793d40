/**
 * `provtopia <command>`: the operator's command line. Every command honours DATABASE_URL
 * (else the embedded PGlite store) and migrates a new store before it does anything.
 *
 *   ingest FILE|DIR... [--host NAME] [--json]   store provenance files; print what was read
 *   stats [--json] [--dangling N]           the store's totals (and the awaited nodes)
 *   bridge                                  run the capture bridge (MQTT, GET /healthz)
 *   start                                   the demo: bridge + seed + portal (npm start)
 *   verify [--log ORIGIN] [--json] [--state FILE]   check the ledger; exit 1 on any finding
 *   checkpoint [--log ORIGIN]               sign checkpoints / print a log's latest one
 *   proof inclusion|consistency ...         inclusion and consistency proofs as JSON
 *   witness check|import ...                checkpoints cosigned by an outside witness
 *   host keygen|register|sign ...           capture hosts that sign their messages
 *   host token issue|list|revoke NAME [ID]  bearer tokens for POST /ingest (only hashes stored)
 *   migrate                                 apply migrations and exit
 *   flows --subject REF [--json]            where a subject's personal data went, and status
 *   simulate [--hosts N --rate R --duration S ...]   publish a simulated organisation's provenance
 */
import { readFile } from "node:fs/promises";
import { hostname, userInfo } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { issueHostToken, listHostTokens, revokeHostTokens } from "../db/auth/host-tokens";
import { closeAllStores, openStore, type Store } from "../db/client";
import {
  EnforcementPointError,
  listEnforcementPoints,
  registerEnforcementPoint,
  revokeEnforcementPoint,
} from "../db/enforcement/points";
import { registerHostKey } from "../db/ledger/host-signatures";
import { checkpointAll } from "../db/ledger/log";
import {
  encodeSignerKey,
  encodeVerifierKey,
  generateSigner,
  NoteError,
  parseSignerKey,
  signNote,
} from "../db/ledger/note";
import {
  consistencyProofFor,
  inclusionProofFor,
  latestCheckpoint,
  ProofRequestError,
} from "../db/ledger/proofs";
import {
  defaultVerifierStatePath,
  readVerifierState,
  runVerification,
  writeVerifierState,
} from "../db/ledger/verification";
import {
  checkWitnessedCheckpoint,
  importWitnessedCheckpoint,
  WitnessError,
} from "../db/ledger/witness";
import { isQuarantineKind, QUARANTINE_KINDS } from "../db/prov/quarantine-kinds";
import { subjectFlowSummaries } from "../db/queries/flows";
import { quarantinePage } from "../db/queries/quarantine";
import { danglingNodes, storeStats } from "../db/queries/stats";
import { type BridgeConfig, loadConfig } from "./config";
import { DEMO_ACCOUNTS } from "./demo/demo-org";
import { startDemoEnforcementPoints } from "./demo/enforcement-points";
import { seedDemo } from "./demo/seed";
import { servePortal } from "./demo/serve-portal";
import type { EnforcementPoint } from "./enforcement/sdk";
import type { Logger } from "./logger";
import { type RunningBridge, startBridge } from "./main";
import { IngestTally } from "./pipeline/ingest";
import { retryQuarantined } from "./quarantine-retry";
import { SIMULATE_USAGE, SimulateUsageError, simulate } from "./simulate/command";
import { RecordingError } from "./simulate/recording";
import { FileSourceError, ingestFiles, listFiles, progressBar } from "./sources/files";

const USAGE = `usage: provtopia <command>

  ingest FILE|DIR... [--host NAME] [--json]
                                          store PROV-JSON / CamFlow / SPADE files
                                          (directories recursed; progress on a terminal)
  stats [--json] [--dangling N]           the store's totals; with --dangling, the N node
                                          ids most awaited by relations
  bridge                                  run the capture bridge
  start                                   run the demo: bridge, seed, portal
  verify [--log ORIGIN] [--json] [--state FILE]
                                          recompute and check the ledger (exit 1 on findings)
  checkpoint [--log ORIGIN]               sign a checkpoint of every log that grew; with
                                          --log, print that log's latest signed checkpoint
  host keygen NAME                        a signing key for a capture host (prints skey, vkey)
  host register NAME VKEY                 the host signs from now on; unsigned messages are refused
  host sign SKEY FILE                     sign one document as the host would (a signed note)
  host token issue NAME                   a bearer token for POST /ingest as host NAME (shown once)
  host token list NAME                    NAME's token ids, when issued, when revoked
  host token revoke NAME [ID]             revoke NAME's tokens (or only token ID)
  enforcement register NAME --service S... [--fail-closed-minutes N]
                                          an enforcement point guarding services S (its token
                                          on stdout, shown once)
  enforcement list [--json]               the points: services, applied version, last seen
  quarantine list [--source P] [--reason P] [--kind K] [--json]
                                          what the bridge could not read, with the reasons
                                          (K: one of the kinds below)
  quarantine retry [--id N]... [--source P] [--reason P] [--kind K] [--host NAME] [--json]
                                          read those messages again with today's readers:
                                          stored ones leave the quarantine (legal log)
  enforcement revoke NAME                 the point's token stops working
  witness check|import --log ORIGIN --witness VKEY FILE
                                          check (and keep) a checkpoint a witness cosigned
  proof inclusion --log ORIGIN --index N [--size S]
  proof consistency --log ORIGIN --from A --to B
                                          proofs for auditors, as JSON
  migrate                                 apply the store's migrations
  flows --subject REF [--json]            the services a subject's data reached: purpose,
                                          first/last seen, count, allowed or a violation
  ${SIMULATE_USAGE}

Quarantine kinds: ${QUARANTINE_KINDS.join(", ")}.

Environment: DATABASE_URL (default: embedded store in .data/pglite), MQTT_URL (default:
embedded broker on MQTT_PORT=1883), NATS_URL (default: none), CAMFLOW_FIFO, CAMFLOW_SOCKET,
BRIDGE_PORT=3001, PORT=3000, LOG_LEVEL=info (README lists them all).`;

class UsageError extends Error {
  readonly code = "USAGE";
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const config = loadConfig();
  switch (command) {
    case "ingest":
      return ingest(config, rest);
    case "stats":
      return stats(config, rest);
    case "migrate":
      return withStore(config, async () => {
        console.log("store is up to date");
        return 0;
      });
    case "bridge":
      return runBridge(config);
    case "verify":
      return verify(config, rest);
    case "checkpoint":
      return checkpoint(config, rest);
    case "proof":
      return proof(config, rest);
    case "witness":
      return witness(config, rest);
    case "host":
      return host(config, rest);
    case "enforcement":
      return enforcement(config, rest);
    case "quarantine":
      return quarantineCommand(config, rest);
    case "start":
      return runDemo(config);
    case "flows":
      return flows(config, rest);
    case "simulate":
      return simulate(config, rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

async function withStore<T>(config: BridgeConfig, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({ url: config.DATABASE_URL, dataDir: config.PGLITE_DIR });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

async function ingest(config: BridgeConfig, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean" }, host: { type: "string" } },
  });
  if (positionals.length === 0) throw new UsageError("ingest needs at least one FILE or DIR");
  const host = values.host ?? hostname();
  let listed: Awaited<ReturnType<typeof listFiles>>;
  try {
    listed = await listFiles(positionals);
  } catch (error) {
    if (error instanceof FileSourceError) throw new UsageError(error.message);
    throw error;
  }
  const { files, ignored } = listed;
  return withStore(config, async (store) => {
    const tally = new IngestTally();
    const progress = progressBar(
      process.stderr,
      files.reduce((sum, file) => sum + file.bytes, 0),
    );
    try {
      await ingestFiles(store, files, { host, tally, onProgress: progress.update });
    } catch (error) {
      if (error instanceof FileSourceError) throw new UsageError(error.message);
      throw error;
    } finally {
      progress.finish();
    }
    await checkpointAll(store); // leave what was just ingested under a signed checkpoint
    const summary = tally.summary();
    if (values.json) {
      console.log(
        JSON.stringify({
          ...summary,
          files: files.length,
          ignoredFiles: ignored.length,
          documents: tally.documents,
          repaired: tally.repaired,
          skipped: tally.skipped,
        }),
      );
      return 0;
    }
    console.log(
      `${files.length} file(s), ${tally.documents} document(s): ${summary.nodes} nodes, ${summary.relations} relations read, ${summary.new} new, ${summary.quarantined} quarantined`,
    );
    if (tally.repaired > 0) {
      console.log(`${tally.repaired} CamFlow document(s) read after restoring missing escapes`);
    }
    if (ignored.length > 0) {
      console.log(
        `${ignored.length} file(s) in directories left out (not .json/.jsonl/.ndjson/.log)`,
      );
    }
    const skipped = tally.skipped;
    if (Object.values(skipped).some((n) => n > 0)) {
      console.log(
        `not stored as elements: ${skipped.incomplete} relation(s) missing an optional end, ${skipped["unknown-section"]} statement(s) in unknown sections; ${skipped["gdpr-annotation"]} gdpr annotation problem(s)`,
      );
    }
    return 0;
  });
}

async function stats(config: BridgeConfig, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { json: { type: "boolean" }, dangling: { type: "string" } },
  });
  const limit = values.dangling === undefined ? 0 : Number(values.dangling);
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new UsageError(`--dangling needs a non-negative integer, got ${values.dangling}`);
  }
  return withStore(config, async (store) => {
    const totals = await storeStats(store);
    const awaited = limit > 0 ? await danglingNodes(store, limit) : null;
    if (values.json) {
      console.log(JSON.stringify(awaited ? { ...totals, dangling: awaited } : totals));
      return 0;
    }
    console.log(
      Object.entries(totals)
        .map(([key, value]) => `${key.padEnd(14)}${value}`)
        .join("\n"),
    );
    for (const node of awaited ?? []) console.log(`awaited  ${node.id}  (${node.relations})`);
    return 0;
  });
}

async function flows(config: BridgeConfig, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { json: { type: "boolean" }, subject: { type: "string" } },
  });
  const subject = values.subject;
  if (!subject) throw new UsageError("flows needs --subject REF");
  return withStore(config, async (store) => {
    const summaries = await subjectFlowSummaries(store, subject);
    if (summaries === null) {
      console.error(`provtopia: no subject ${JSON.stringify(subject)} in the store`);
      return 1;
    }
    const rows = summaries.map((flow) => ({
      category: flow.category,
      service: flow.service,
      organisation: flow.organisation,
      purpose: flow.purpose,
      firstSeen: flow.firstSeen,
      lastSeen: flow.lastSeen,
      count: flow.count,
      status: flow.status,
    }));
    if (values.json) {
      console.log(JSON.stringify({ subject, flows: rows }));
      return 0;
    }
    if (rows.length === 0) console.log(`${subject}: no recorded flows`);
    for (const row of rows) {
      console.log(
        [
          row.service.padEnd(20),
          (row.organisation ?? "-").padEnd(16),
          row.category.padEnd(10),
          (row.purpose ?? "-").padEnd(12),
          `${row.firstSeen ?? "?"} .. ${row.lastSeen ?? "?"}`,
          `x${row.count}`,
          row.status,
        ].join("  "),
      );
    }
    return 0;
  });
}

async function verify(config: BridgeConfig, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      json: { type: "boolean" },
      log: { type: "string" },
      state: {
        type: "string",
        default:
          config.VERIFIER_STATE_FILE ??
          defaultVerifierStatePath(config.DATABASE_URL ?? path.resolve(config.PGLITE_DIR)),
      },
    },
  });
  const statePath = values.state as string;
  return withStore(config, async (store) => {
    const previous = await readVerifierState(statePath);
    const { report, state } = await runVerification(store, { only: values.log, state: previous });
    if (report.ok) await writeVerifierState(statePath, state);
    if (values.json) {
      console.log(JSON.stringify(report));
    } else {
      for (const log of report.logs) {
        console.log(
          `${log.origin}: ${log.size} records, checkpointed ${log.checkpointSize ?? "never"}`,
        );
      }
      for (const f of report.findings) {
        console.log(
          `FAIL ${f.log}${f.index === null ? "" : ` #${f.index}`}: ${f.kind}: ${f.detail}`,
        );
      }
      console.log(
        report.ok ? `ok: ${report.leaves} leaves verified` : `${report.findings.length} finding(s)`,
      );
    }
    return report.ok ? 0 : 1;
  });
}

async function checkpoint(config: BridgeConfig, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { log: { type: "string" } } });
  return withStore(config, async (store) => {
    const written = await checkpointAll(store);
    if (!values.log) {
      console.log(`${written} log(s) checkpointed`);
      return 0;
    }
    const note = await latestCheckpoint(store, values.log);
    if (note === null) throw new UsageError(`${values.log} has no checkpoint yet`);
    process.stdout.write(note);
    return 0;
  });
}

async function host(config: BridgeConfig, args: string[]): Promise<number> {
  const [action, first, second, third] = args;
  if (action === "token") return hostToken(config, first, second, third);
  if (action === "keygen" && first) {
    const signer = generateSigner(first);
    console.log(`skey ${encodeSignerKey(signer)}`);
    console.log(`vkey ${encodeVerifierKey(signer.name, signer.publicKey)}`);
    return 0;
  }
  if (action === "sign" && first && second) {
    const document = (await readFile(second, "utf8")).trimEnd();
    process.stdout.write(signNote(`${document}\n`, [parseSignerKey(first)]));
    return 0;
  }
  if (action === "register" && first && second) {
    return withStore(config, async (store) => {
      await registerHostKey(store, first, second);
      console.log(`host ${first} now signs its messages; unsigned ones are quarantined`);
      return 0;
    });
  }
  throw new UsageError("host keygen NAME | host register NAME VKEY | host sign SKEY FILE");
}

async function hostToken(
  config: BridgeConfig,
  action: string | undefined,
  name: string | undefined,
  id: string | undefined,
): Promise<number> {
  if (action === "issue" && name && id === undefined) {
    return withStore(config, async (store) => {
      const issued = await issueHostToken(store, name);
      // The token on stdout alone, so `TOKEN=$(provtopia host token issue web-1)` works.
      console.log(issued.token);
      process.stderr.write(
        `host ${name}: token ${issued.id} issued; it is shown only now (the store keeps its hash)\n`,
      );
      return 0;
    });
  }
  if (action === "list" && name && id === undefined) {
    return withStore(config, async (store) => {
      for (const token of await listHostTokens(store, name)) {
        const state = token.revokedAt ? `revoked ${token.revokedAt.toISOString()}` : "live";
        console.log(`${token.id}  issued ${token.createdAt.toISOString()}  ${state}`);
      }
      return 0;
    });
  }
  if (action === "revoke" && name) {
    return withStore(config, async (store) => {
      const revoked = await revokeHostTokens(store, name, id);
      if (revoked === 0) {
        console.error(`provtopia: host ${name} has no live token${id ? ` ${id}` : ""}`);
        return 1;
      }
      console.log(`host ${name}: ${revoked} token(s) revoked`);
      return 0;
    });
  }
  throw new UsageError(
    "host token issue NAME | host token list NAME | host token revoke NAME [ID]",
  );
}

/** Who a CLI change is attributed to in the legal log. */
const cliActor = () => ({ email: `cli:${userInfo().username}@${hostname()}` });

async function enforcement(config: BridgeConfig, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      service: { type: "string", multiple: true },
      "fail-closed-minutes": { type: "string" },
      json: { type: "boolean" },
    },
  });
  const [action, name, extra] = positionals;
  if (action === "register" && name && extra === undefined) {
    const minutes = values["fail-closed-minutes"];
    if (minutes !== undefined && !/^[1-9]\d*$/.test(minutes)) {
      throw new UsageError(`--fail-closed-minutes must be a whole number >= 1, got ${minutes}`);
    }
    return withStore(config, async (store) => {
      try {
        const issued = await registerEnforcementPoint(
          store,
          {
            name,
            services: values.service ?? [],
            failClosedAfterSeconds: minutes === undefined ? null : Number(minutes) * 60,
          },
          cliActor(),
        );
        // The token on stdout alone, so `TOKEN=$(provtopia enforcement register …)` works.
        console.log(issued.token);
        process.stderr.write(
          `enforcement point ${name} registered; its token is shown only now (the store keeps its hash)\n`,
        );
        return 0;
      } catch (error) {
        if (error instanceof EnforcementPointError) throw new UsageError(error.message);
        throw error;
      }
    });
  }
  if (action === "list" && name === undefined) {
    return withStore(config, async (store) => {
      const listed = await listEnforcementPoints(store);
      if (values.json) {
        console.log(JSON.stringify(listed, null, 2));
        return 0;
      }
      console.log(`rule set version ${listed.version}`);
      for (const point of listed.points) {
        const state = point.revokedAt
          ? `revoked ${point.revokedAt}`
          : `applied ${point.appliedVersion ?? "none"}, last seen ${point.lastSeenAt ?? "never"}`;
        console.log(`${point.name}  guards ${point.services.join(", ")}  ${state}`);
      }
      return 0;
    });
  }
  if (action === "revoke" && name && extra === undefined) {
    return withStore(config, async (store) => {
      const point = (await listEnforcementPoints(store)).points.find(
        (p) => p.name === name && p.revokedAt === null,
      );
      if (!point) {
        console.error(`provtopia: no live enforcement point ${name}`);
        return 1;
      }
      await revokeEnforcementPoint(store, point.id, cliActor());
      console.log(`enforcement point ${name} revoked`);
      return 0;
    });
  }
  throw new UsageError(
    "enforcement register NAME --service S... [--fail-closed-minutes N] | enforcement list [--json] | enforcement revoke NAME",
  );
}

const QUARANTINE_USAGE =
  "quarantine list [--source PART] [--reason PART] [--kind KIND] [--json] | quarantine retry [--id N]... [--source PART] [--reason PART] [--kind KIND] [--host NAME] [--json]";

async function quarantineCommand(config: BridgeConfig, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      id: { type: "string", multiple: true },
      source: { type: "string" },
      reason: { type: "string" },
      kind: { type: "string" },
      host: { type: "string" },
      json: { type: "boolean" },
    },
  });
  const [action, extra] = positionals;
  const kind = values.kind;
  if (kind !== undefined && !isQuarantineKind(kind)) {
    throw new UsageError(`--kind expects one of ${QUARANTINE_KINDS.join(", ")}, got ${kind}`);
  }
  if (extra !== undefined || (action !== "list" && action !== "retry")) {
    throw new UsageError(QUARANTINE_USAGE);
  }
  const ids = values.id?.map((id) => {
    if (!/^[1-9]\d{0,15}$/.test(id)) throw new UsageError(`--id expects a message id, got ${id}`);
    return Number(id);
  });
  const filter = {
    ...(values.source ? { source: values.source } : {}),
    ...(values.reason ? { reason: values.reason } : {}),
    ...(kind ? { kind } : {}),
  };
  if (action === "list") {
    if (ids || values.host) throw new UsageError(QUARANTINE_USAGE);
    return withStore(config, async (store) => {
      const messages = [];
      let before: number | undefined;
      let page: Awaited<ReturnType<typeof quarantinePage>>;
      do {
        page = await quarantinePage(store, { ...filter, ...(before ? { before } : {}) }, 500);
        messages.push(...page.messages);
        before = page.nextBefore ?? undefined;
      } while (before !== undefined);
      if (values.json) {
        console.log(
          JSON.stringify({
            total: page.total,
            matching: page.matching,
            messages: messages.map(({ preview, ...message }) => message),
          }),
        );
        return 0;
      }
      for (const m of messages) {
        console.log(
          `${m.id}\t${m.receivedAt}\t${m.source}\t${m.bytes} bytes\t${m.kind}\t${m.reason}`,
        );
      }
      console.log(`${page.matching} of ${page.total} quarantined messages`);
      return 0;
    });
  }
  return withStore(config, async (store) => {
    const report = await retryQuarantined(
      store,
      config,
      { ...filter, ...(ids ? { ids } : {}), ...(values.host ? { host: values.host } : {}) },
      cliActor().email,
    );
    if (values.json) console.log(JSON.stringify(report));
    else {
      console.log(
        `tried ${report.tried}: ${report.stored.length} stored and released, ${report.partly.length} read in part (kept), ${report.unreadable.length} still unreadable, ${report.skipped.length} skipped`,
      );
      for (const { id, reason } of report.unreadable)
        console.log(`  ${id} still unreadable: ${reason}`);
      for (const { id, source } of report.skipped) {
        console.log(`  ${id} skipped: ${source} names no capture host; give --host NAME`);
      }
    }
    return 0;
  });
}

async function witness(config: BridgeConfig, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { log: { type: "string" }, witness: { type: "string" } },
  });
  const [action, file] = positionals;
  if ((action !== "check" && action !== "import") || !file || !values.log || !values.witness) {
    throw new UsageError("witness check|import --log ORIGIN --witness VKEY FILE");
  }
  const note = await readFile(file, "utf8");
  const origin = values.log;
  const vkey = values.witness;
  return withStore(config, async (store) => {
    try {
      const checked =
        action === "import"
          ? await importWitnessedCheckpoint(store, origin, note, vkey)
          : await checkWitnessedCheckpoint(store, origin, note, vkey);
      const at = new Date(checked.timestamp * 1000).toISOString();
      console.log(
        `ok: ${origin} at size ${checked.size}, cosigned ${at}${action === "import" ? ", kept" : ""}`,
      );
      return 0;
    } catch (error) {
      if (error instanceof WitnessError || error instanceof NoteError) {
        console.error(`provtopia: ${error.message}`);
        return 1;
      }
      throw error;
    }
  });
}

async function proof(config: BridgeConfig, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      log: { type: "string" },
      index: { type: "string" },
      size: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
    },
  });
  const [kind] = positionals;
  if (!values.log) throw new UsageError("proof needs --log ORIGIN");
  const origin = values.log;
  const number = (name: string, value: string | undefined) => {
    if (value === undefined || !/^\d+$/.test(value))
      throw new UsageError(`--${name} needs a non-negative integer`);
    return Number(value);
  };
  return withStore(config, async (store) => {
    try {
      const result =
        kind === "inclusion"
          ? await inclusionProofFor(store, origin, {
              index: number("index", values.index),
              treeSize: values.size === undefined ? undefined : number("size", values.size),
            })
          : kind === "consistency"
            ? await consistencyProofFor(
                store,
                origin,
                number("from", values.from),
                number("to", values.to),
              )
            : undefined;
      if (!result) throw new UsageError("proof needs inclusion or consistency");
      console.log(JSON.stringify(result, null, 2));
      return 0;
    } catch (error) {
      if (error instanceof ProofRequestError) throw new UsageError(error.message);
      throw error;
    }
  });
}

async function runBridge(config: BridgeConfig): Promise<number> {
  const bridge = await startBridge(config);
  await untilSignal(bridge.logger);
  await stopWithin(bridge, config.SHUTDOWN_TIMEOUT_MS);
  return 0;
}

async function runDemo(config: BridgeConfig): Promise<number> {
  const bridge = await startBridge(config);
  let points: EnforcementPoint[] = [];
  try {
    const seeded = await seedDemo(bridge.store, bridge, config.MQTT_TOPIC_PREFIX);
    points = await startDemoEnforcementPoints(bridge.store, bridge, {
      topicPrefix: config.ENFORCEMENT_TOPIC_PREFIX,
      logger: bridge.logger,
    });
    const portal = await servePortal(config.PORT);
    const logins = DEMO_ACCOUNTS.map(
      (a) =>
        `  ${a.email.padEnd(26)} ${a.password.padEnd(18)} ${a.role === "dpo" ? "DPO" : "data subject"}`,
    );
    console.log(
      [
        "",
        `Provtopia is running: http://localhost:${config.PORT}`,
        "",
        "Demo log-ins:",
        ...logins,
        "",
        `store:  ${bridge.store.kind === "pglite" ? `embedded (${config.PGLITE_DIR})` : "PostgreSQL"}${seeded === "seeded" ? ", demo organisation seeded" : ""}`,
        `bridge: MQTT ${bridge.mqttUrl} (topic ${config.MQTT_TOPIC_PREFIX}/<host>), health ${bridge.httpUrl}/healthz`,
        `enforcement: ${points.length} demo points applying the rules (${bridge.httpUrl}/enforcement/rules)`,
        "Ctrl-C stops.",
      ].join("\n"),
    );
    await untilSignal(bridge.logger);
    portal.closeIdleConnections();
    await new Promise<void>((resolve) => portal.close(() => resolve()));
  } finally {
    for (const point of points) await point.close();
    await stopWithin(bridge, config.SHUTDOWN_TIMEOUT_MS);
    await closeAllStores(); // the portal's own store, opened inside its server bundle
  }
  return 0;
}

/** Stops the bridge gracefully; exits 1 if that takes longer than `timeoutMs`. */
async function stopWithin(bridge: RunningBridge, timeoutMs: number): Promise<void> {
  const timer = setTimeout(() => {
    bridge.logger.error({ timeoutMs }, "shutdown: still not stopped; exiting anyway");
    process.exit(1);
  }, timeoutMs);
  timer.unref();
  await bridge.stop();
  clearTimeout(timer);
}

/** Resolves on the first SIGINT/SIGTERM; a second one exits at once. */
function untilSignal(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, "shutdown: stop taking, flush, acknowledge (again to force)");
      process.once("SIGINT", () => process.exit(130));
      process.once("SIGTERM", () => process.exit(143));
      resolve();
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError || error instanceof SimulateUsageError) {
      console.error(`provtopia: ${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    if (error instanceof RecordingError) {
      console.error(`provtopia: ${error.message}`);
      process.exitCode = 1;
      return;
    }
    console.error("provtopia:", error);
    process.exitCode = 1;
  },
);
