/**
 * The bridge's structured logs: pino, one JSON object per line on stdout, so an operator's log
 * shipper can index `source`, `host`, `err` without parsing prose. Tests pass LOG_LEVEL=silent
 * (or their own line sink) to stay quiet.
 */
import { type Logger, pino } from "pino";

export type { Logger } from "pino";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

/** A logger writing JSON lines to stdout at `level`. */
export function createLogger(level: LogLevel): Logger {
  return pino({ name: "provtopia-bridge", level });
}

/**
 * A logger that hands each record's message (and error message, if any) to `sink` as one line:
 * for tests and callers that collect what the bridge said.
 */
export function lineLogger(sink: (line: string) => void, level: LogLevel = "info"): Logger {
  return pino(
    { name: "provtopia-bridge", level },
    {
      write(chunk: string) {
        const record = JSON.parse(chunk) as { msg?: string; err?: { message?: string } };
        const error = record.err?.message ? `: ${record.err.message}` : "";
        sink(`${record.msg ?? ""}${error}`);
      },
    },
  );
}
