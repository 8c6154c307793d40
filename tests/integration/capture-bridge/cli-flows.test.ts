/**
 * `npx provtopia flows --subject REF [--json]` in a child process, against a fresh store that
 * the CLI itself filled with the demo organisation's documents.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_DOCUMENTS } from "../../../capture-bridge/demo/demo-org";
import { createTestDatabase, REAL_DATABASE_URL, type TestDatabase } from "../../setup/databases";

const run = promisify(execFile);
const BIN = path.resolve("capture-bridge/bin/provtopia.js");

describe("provtopia flows", () => {
  let env: NodeJS.ProcessEnv;
  let database: TestDatabase | undefined;
  let dir: string;

  const provtopia = async (...args: string[]) => {
    const { stdout } = await run(process.execPath, [BIN, ...args], { env, timeout: 60_000 });
    return stdout.trim();
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "provtopia-flows-"));
    if (REAL_DATABASE_URL) {
      database = await createTestDatabase();
      env = { ...process.env, DATABASE_URL: database.url };
    } else {
      env = { ...process.env, DATABASE_URL: "", PGLITE_DIR: path.join(dir, "pglite") };
    }
    for (const [i, { host, document }] of DEMO_DOCUMENTS.entries()) {
      const file = path.join(dir, `demo-${i}.json`);
      await writeFile(file, JSON.stringify(document));
      await provtopia("ingest", file, "--host", host, "--json");
    }
  });
  afterAll(async () => {
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it("prints a subject's flows as the documented JSON", async () => {
    const out = JSON.parse(await provtopia("flows", "--subject", "subj-bob", "--json"));
    expect(out).toEqual({
      subject: "subj-bob",
      flows: [
        {
          category: "email",
          service: "CRM",
          organisation: "Lumen Books",
          purpose: "account",
          firstSeen: "2026-10-04T01:00:00Z",
          lastSeen: "2026-10-04T01:00:00Z",
          count: 1,
          status: "no-legal-basis",
        },
        {
          category: "email",
          service: "Sign-up",
          organisation: "Lumen Books",
          purpose: "account",
          firstSeen: "2026-10-03T17:12:00Z",
          lastSeen: "2026-10-03T17:12:00Z",
          count: 1,
          status: "no-legal-basis",
        },
      ],
    });
  });

  it("prints one line per flow without --json, and fails clearly for an unknown subject", async () => {
    const lines = (await provtopia("flows", "--subject", "subj-alice")).split("\n");
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatch(/^CI\s+SquareCI\s+commit\s+/);
    await expect(provtopia("flows", "--subject", "subj-nobody", "--json")).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('no subject "subj-nobody"'),
    });
    await expect(provtopia("flows")).rejects.toMatchObject({ code: 2 });
  });
});
