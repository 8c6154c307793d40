/**
 * Writes a ProvGraph as strict W3C PROV-JSON: what the reader (prov-json.ts) accepts tolerantly
 * goes out in the shape the PROV-JSON schema (../shared/fixtures/prov-json-schema) requires.
 * Pure; reading the output back gives the same ids, kinds, endpoints and PROV literals.
 *
 * - Ids are global (expanded URIs, `cf:` ids); each URI is written as a qualified name with a
 *   generated prefix (`ns1`, `ns2`, ...) for its namespace (cut after the last `#` or `/`);
 *   `cf:` ids keep `cf`, bound to CamFlow's namespace. Other names go out as they are.
 * - Attribute values the schema allows (strings, numbers, booleans, `{"$","type"}`,
 *   `{"$","lang"}`, arrays of those) are written as they are; a literal with both `type` and
 *   `lang` loses its `type` only when that is `prov:InternationalizedString`, which `lang`
 *   implies. Anything else (null, CamFlow's nested `cf:address`, nested arrays) becomes a typed
 *   literal of JSON_LITERAL_TYPE holding its JSON text, so nothing is lost.
 * - The relation endpoints go under the PROV-JSON keys of the kind; `prov:starter`/`prov:ender`
 *   stay attributes as read.
 */
import type { Attributes, JsonValue, ProvGraph } from "../../db/prov/model";
import { CAMFLOW_NAMESPACE } from "./camflow";
import { RELATION_ENDPOINTS, STANDARD_NAMESPACES } from "./prov-json";

/** Provtopia's namespace for the datatype of values PROV-JSON has no literal for. */
export const PROVTOPIA_NAMESPACE = "https://provtopia.example/ns/prov#";
/** The type of a literal whose `$` is the JSON text of a value PROV-JSON cannot hold. */
export const JSON_LITERAL_TYPE = "provtopia:json";

type Literal = string | number | boolean | { $: string | number | boolean; [k: string]: unknown };

/** The strict PROV-JSON document of `graph`. Never throws for a graph the readers produce. */
export function writeProvJson(graph: ProvGraph): Record<string, unknown> {
  const names = new QualifiedNames();
  const document: Record<string, Record<string, unknown>> = {};
  const section = (name: string) => {
    document[name] ??= {};
    return document[name] as Record<string, unknown>;
  };
  for (const node of graph.nodes) {
    section(node.kind)[names.compact(node.id)] = strictAttributes(node.attributes, names);
  }
  for (const relation of graph.relations) {
    const [fromKey, toKey] = RELATION_ENDPOINTS[relation.kind];
    section(relation.kind)[names.compact(relation.id)] = {
      [fromKey]: names.compact(relation.from),
      [toKey]: names.compact(relation.to),
      ...strictAttributes(relation.attributes, names),
    };
  }
  return { prefix: names.prefixes(), ...document };
}

function strictAttributes(attributes: Attributes, names: QualifiedNames): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(attributes)) {
    names.noteKey(key);
    out[key] = Array.isArray(value)
      ? value.map((item) => strictLiteral(item, names))
      : strictLiteral(value, names);
  }
  return out;
}

function strictLiteral(value: JsonValue, names: QualifiedNames): Literal {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    return value;
  }
  if (value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value).sort().join(",");
    const literal = value.$;
    const simple =
      typeof literal === "string" || typeof literal === "number" || typeof literal === "boolean";
    if (simple && keys === "$,type" && typeof value.type === "string") {
      return { $: literal, type: value.type };
    }
    if (typeof literal === "string" && typeof value.lang === "string") {
      if (keys === "$,lang") return { $: literal, lang: value.lang };
      if (keys === "$,lang,type" && value.type === "prov:InternationalizedString") {
        return { $: literal, lang: value.lang };
      }
    }
  }
  names.usesJsonLiterals = true;
  return { $: JSON.stringify(value), type: JSON_LITERAL_TYPE };
}

/** Prefixes for the namespaces the written names need. */
class QualifiedNames {
  private readonly byNamespace = new Map<string, string>();
  private readonly declared = new Map<string, string>();
  usesJsonLiterals = false;

  compact(id: string): string {
    if (id.startsWith("cf:")) {
      this.declared.set("cf", CAMFLOW_NAMESPACE);
      return id;
    }
    const match = /^([a-z][a-z0-9+.-]*:.*[#/])([^#/]+)$/i.exec(id);
    if (!match || id.startsWith("_:")) return id;
    const [, namespace = "", local = ""] = match;
    for (const [prefix, uri] of STANDARD_NAMESPACES) {
      if (uri === namespace) return `${prefix}:${local}`;
    }
    let prefix = this.byNamespace.get(namespace);
    if (prefix === undefined) {
      prefix = `ns${this.byNamespace.size + 1}`;
      this.byNamespace.set(namespace, prefix);
      this.declared.set(prefix, namespace);
    }
    return `${prefix}:${local}`;
  }

  /** An attribute key `cf:...` needs the CamFlow namespace declared to read back the same. */
  noteKey(key: string): void {
    if (key.startsWith("cf:")) this.declared.set("cf", CAMFLOW_NAMESPACE);
  }

  prefixes(): Record<string, string> {
    const out: Record<string, string> = Object.fromEntries(STANDARD_NAMESPACES);
    for (const [prefix, uri] of this.declared) out[prefix] = uri;
    if (this.usesJsonLiterals) out.provtopia = PROVTOPIA_NAMESPACE;
    return out;
  }
}
