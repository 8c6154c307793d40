/**
 * What a benchmark hands back to tests/bench/run.ts, and the helpers to describe where it ran
 * and to print it. Figures are reported, never compared with targets: a machine's speed is
 * not a test result. A bench may throw for a *correctness* figure (e.g. a re-delivery that
 * stores something new), never for a slow one.
 */
import { cpus, loadavg, totalmem } from "node:os";

/** One measured value; `unit` is printed in the column header ("elements/s", "ms", "MB"). */
export interface Figure {
  name: string;
  value: number | string | null;
  unit: string;
  /** Digits after the decimal point when printed (default: 0 for integers and at or above 100, else 1). */
  digits?: number;
}

/** One line of a table; rows sharing a `section` are printed as one table. */
export interface BenchRow {
  section: string;
  label: string;
  figures: Figure[];
}

export interface StoreDescription {
  kind: "pglite" | "postgres";
  /** `server_version` as the store reports it. */
  version: string;
}

export interface BenchEnvironment {
  node: string;
  platform: string;
  cpuModel: string;
  cpuCount: number;
  totalMemoryMb: number;
  stores: StoreDescription[];
  /** 1-minute load average when the bench started and ended: other work skews the figures. */
  loadAverage: { start: number; end: number };
  /** ISO 8601, when the bench started. */
  date: string;
}

export interface BenchResult {
  title: string;
  quick: boolean;
  /** Sizes and seeds, so a JSON result can be reproduced. */
  parameters: Record<string, string | number | boolean>;
  rows: BenchRow[];
  /** Caveats a reader needs to read the figures right (warm-up, what RSS covers, ...). */
  notes: string[];
  environment: BenchEnvironment;
}

export interface BenchOptions {
  quick: boolean;
  /** `--duration S`: how long a streaming bench streams, in seconds, instead of its default. */
  durationS?: number;
}

/** The 1-minute load average now; call it when the bench starts, for describeEnvironment. */
export function currentLoad(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}

/** Node, CPU and memory of this machine; `start` is when the bench began and the load then. */
export function describeEnvironment(
  stores: StoreDescription[],
  start: { date: Date; load: number },
): BenchEnvironment {
  const cpuList = cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpuModel: cpuList[0]?.model.trim() ?? "unknown",
    cpuCount: cpuList.length,
    totalMemoryMb: Math.round(totalmem() / 2 ** 20),
    stores,
    loadAverage: { start: start.load, end: currentLoad() },
    date: start.date.toISOString(),
  };
}

/** The result as plain text: a header, one aligned table per section, the notes. */
export function formatResult(name: string, result: BenchResult): string {
  const env = result.environment;
  const stores = env.stores.map((s) => `${s.kind} ${s.version}`).join(", ") || "none";
  const lines = [
    `${result.title}${result.quick ? " (quick)" : ""}  [${name}]`,
    `node ${env.node} on ${env.platform}, ${env.cpuCount} x ${env.cpuModel}, ${env.totalMemoryMb} MB; stores: ${stores}; ${env.date}`,
    `load average (1 min) ${env.loadAverage.start} at start, ${env.loadAverage.end} at end`,
  ];
  for (const section of sectionsOf(result.rows)) {
    lines.push("", section.name, ...formatTable(section.rows));
  }
  if (result.notes.length > 0) lines.push("", ...result.notes.map((note) => `- ${note}`));
  return lines.join("\n");
}

/** The same figures as GitHub-flavoured markdown tables, for the README. */
export function formatMarkdown(name: string, result: BenchResult): string {
  const env = result.environment;
  const stores = env.stores.map((s) => `${s.kind} ${s.version}`).join(", ") || "none";
  const lines = [
    `**${result.title}**${result.quick ? " (quick)" : ""} — \`npm run bench -- ${name}${result.quick ? " --quick" : ""}\`, node ${env.node}, ${env.cpuCount} × ${env.cpuModel}, ${stores}, ${env.date.slice(0, 10)}`,
  ];
  for (const section of sectionsOf(result.rows)) {
    const { header, body } = cellsOf(section.rows);
    header[0] = section.name;
    lines.push(
      "",
      `| ${header.join(" | ")} |`,
      `|${header.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`,
    );
    for (const cells of body) lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

function sectionsOf(rows: BenchRow[]): { name: string; rows: BenchRow[] }[] {
  const sections = new Map<string, BenchRow[]>();
  for (const row of rows) {
    const list = sections.get(row.section) ?? [];
    list.push(row);
    sections.set(row.section, list);
  }
  return [...sections].map(([name, list]) => ({ name, rows: list }));
}

/** Columns are the figure names in first-seen order; a row without a figure shows blank. */
function cellsOf(rows: BenchRow[]): { header: string[]; body: string[][] } {
  const columns: { name: string; header: string }[] = [];
  for (const row of rows) {
    for (const figure of row.figures) {
      if (columns.some((c) => c.name === figure.name)) continue;
      columns.push({
        name: figure.name,
        header: figure.unit ? `${figure.name} (${figure.unit})` : figure.name,
      });
    }
  }
  const header = ["", ...columns.map((c) => c.header)];
  const body = rows.map((row) => [
    row.label,
    ...columns.map((c) => formatValue(row.figures.find((f) => f.name === c.name))),
  ]);
  return { header, body };
}

function formatTable(rows: BenchRow[]): string[] {
  const { header, body } = cellsOf(rows);
  const widths = header.map((_, i) =>
    Math.max(...[header, ...body].map((cells) => (cells[i] ?? "").length)),
  );
  const render = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join("  ");
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [render(header), rule, ...body.map(render)];
}

function formatValue(figure: Figure | undefined): string {
  if (!figure || figure.value === null) return "";
  if (typeof figure.value === "string") return figure.value;
  const digits =
    figure.digits ?? (Number.isInteger(figure.value) || Math.abs(figure.value) >= 100 ? 0 : 1);
  return figure.value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}
