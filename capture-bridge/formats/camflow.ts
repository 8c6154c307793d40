/**
 * What CamFlow's two wire formats (W3C PROV-JSON and SPADE JSON) share, across every version
 * from 2016 to today (../shared/CAMFLOW.md §1.9): the id shape, the machine id as host, and the
 * vertex type vocabulary. Pure functions; the readers (prov-json.ts, spade-json.ts) call them so
 * that one vertex reported by any version in either format is one element of one type.
 *
 * - Ids: `cf:` + base64 of a 32-byte identifier. Before Aug 2017 the `cf:` was left out; such
 *   a bare id gets it, so old and new captures of one machine join.
 * - Host: `cf:machine_id` is `"cf:<u32>"` since Aug 2017 and a plain number before; both
 *   become `cf:<u32>`.
 * - Time: `cf:date` (`YYYY:MM:DDTHH:MM:SS`, UTC, the flush time, milliseconds in 2016) as ISO
 *   8601, so CamFlow relations can be found by time window like PROV's `prov:time`.
 * - Types: the current name (`pipe`, `path`), whatever the version wrote (`fifo`,
 *   `file_name`, a qualified `cf:file` in 2016, or, when there is no usable `prov:type`, the
 *   `[type]` that opens `prov:label`). The attribute itself stays as written.
 */
import type { Attributes, JsonValue } from "../../db/prov/model";

/** The namespace camflowd declares for `cf:` (libprovenance src/provenanceW3CJSON.c). */
export const CAMFLOW_NAMESPACE = "http://www.camflow.org";

/** base64 (with padding) of a 32-byte identifier: 43 characters and one `=`. */
const BARE_ID = /^[A-Za-z0-9+/]{43}=$/;

/** True for the namespace URI a CamFlow document binds `cf` to (with or without a final `/`, `#`). */
export function isCamflowNamespace(uri: string | undefined): boolean {
  return uri !== undefined && uri.replace(/[/#]$/, "") === CAMFLOW_NAMESPACE;
}

/** A vertex or edge id as the current format writes it: `cf:<base64>`. Other names unchanged. */
export function camflowId(name: string): string {
  return BARE_ID.test(name) ? `cf:${name}` : name;
}

/**
 * The capture host named by a `cf:machine_id` value (also inside a typed literal): `"cf:<n>"`
 * for a number, a digit string or `"cf:<n>"`; other non-empty strings as written; else null.
 * Machine id 0 is null too: it is the kernel's value before camflowd has set the machine's id
 * (the v0.8.0 captures open with a boot-0 machine vertex of `"cf:0"`), so it names no host.
 */
export function camflowHost(raw: JsonValue | undefined): string | null {
  const value =
    raw !== null && typeof raw === "object" && !Array.isArray(raw) && Object.hasOwn(raw, "$")
      ? raw.$
      : raw;
  let host: string | null = null;
  if (typeof value === "number") {
    host = Number.isSafeInteger(value) && value >= 0 ? `cf:${value}` : null;
  } else if (typeof value === "string" && value !== "") {
    host = /^[0-9]+$/.test(value) ? `cf:${value}` : value;
  }
  return host === "cf:0" ? null : host;
}

/** Vertex types renamed since 2016 (CAMFLOW.md §1.5): old name -> current name. */
const RENAMED_TYPES: Readonly<Record<string, string>> = {
  fifo: "pipe",
  file_name: "path",
  // v0.1.x labels say "[process]" for what became process_memory (Feb 2018).
  process: "process_memory",
};

/**
 * The vertex type in today's vocabulary: `prov:type` (SPADE: `object_type`) when it is a string,
 * without a `cf:` qualifier, renamed if it was renamed; else the `[type]` of `prov:label`; else
 * null. Precondition: `attributes` are a CamFlow vertex's.
 */
export function camflowVertexType(attributes: Attributes): string | null {
  const declared = attributes["prov:type"] ?? attributes.object_type;
  let type: string | null = null;
  if (typeof declared === "string" && declared !== "") {
    type = declared.startsWith("cf:") ? declared.slice(3) : declared;
  } else {
    const label = attributes["prov:label"];
    const match = typeof label === "string" ? /^\[([a-z_]+)\]/.exec(label) : null;
    type = match?.[1] ?? null;
  }
  return type === null ? null : (RENAMED_TYPES[type] ?? type);
}

/** Vertex types camflowd writes in the `agent` section. */
const AGENT_TYPES: ReadonlySet<string> = new Set(["machine", "disc_agent"]);

/**
 * The PROV kind the W3C format gives a vertex of this type: SPADE calls every vertex `Entity`
 * or `Activity`, the machine included, which the W3C format puts in `agent`. Anything else keeps
 * the kind it came with.
 */
export function camflowVertexKind<K extends string>(type: string | null, declared: K): K | "agent" {
  return type !== null && AGENT_TYPES.has(type) ? "agent" : declared;
}

const CAMFLOW_DATE = /^(\d{4})[:-](\d{2})[:-](\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?$/;

/**
 * `cf:date` as an ISO 8601 UTC string (`2017:03:07T17:58:17` -> `2017-03-07T17:58:17Z`), or
 * null when the value is not a CamFlow date.
 */
export function camflowTime(raw: JsonValue | undefined): string | null {
  if (typeof raw !== "string") return null;
  const m = CAMFLOW_DATE.exec(raw);
  if (!m) return null;
  const [, year, month, day, hour, minute, second, fraction = ""] = m;
  return `${year}-${month}-${day}T${hour}:${minute}:${second}${fraction}Z`;
}

/** The machine's own id in a legacy document that names no `cf:machine_id`, as a host. */
export function legacyMachineHost(id: string, type: string | null): string | null {
  return type === "machine" && /^[0-9]+$/.test(id) ? camflowHost(id) : null;
}

/** An attribute key only CamFlow writes: the sign that a broken line is camflowd's. */
const CAMFLOW_KEY = /"cf:[a-z_]+"\s*:/;

/** Characters JSON allows after a backslash. */
const JSON_ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t", "u"]);

/**
 * camflowd's JSON with the escaping it leaves out (CAMFLOW.md §0.8: pathnames, security contexts,
 * xattr names and uname fields go in raw) put back, or null when `text` is not CamFlow's or
 * still does not parse. Inside a string: a control character becomes `\u00XX`, a backslash that
 * starts no JSON escape becomes `\\`, and a `"` closes the string only where CamFlow's writer
 * would put one (before `:`, `}`, `]`, the end, or `,` and the next key); any other `"` is part
 * of the text. This is a heuristic for one writer's output: a path holding `", "` can still
 * fool it, and a value cut by the 8 KiB buffer cannot be repaired at all.
 */
export function repairCamflowJson(text: string): string | null {
  if (!CAMFLOW_KEY.test(text)) return null;
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (!inString) {
      out += ch;
      if (ch === '"') inString = true;
      continue;
    }
    const code = ch.charCodeAt(0);
    if (ch === "\\") {
      const next = text[i + 1];
      if (next !== undefined && JSON_ESCAPES.has(next)) {
        out += ch + next;
        i += 1;
      } else {
        out += "\\\\";
      }
    } else if (ch === '"') {
      if (closesString(text, i + 1)) {
        out += ch;
        inString = false;
      } else {
        out += '\\"';
      }
    } else if (code < 0x20) {
      out += `\\u${code.toString(16).padStart(4, "0")}`;
    } else {
      out += ch;
    }
  }
  try {
    JSON.parse(out);
    return out;
  } catch {
    return null;
  }
}

/** Whether a `"` followed by text[from...] ends a string in camflowd's output. */
function closesString(text: string, from: number): boolean {
  let i = from;
  while (text[i] === " ") i++;
  const next = text[i];
  if (next === undefined || next === ":" || next === "}" || next === "]" || next === "\n") {
    return true;
  }
  if (next !== ",") return false;
  i++;
  while (text[i] === " ") i++;
  return text[i] === '"' || text[i] === "{";
}
