/**
 * The archive's size against the raw messages: sealed bundles made with the ledger's own
 * `encodeBundle` from messages and the leaves `finishAppend` would write for them (RFC 8785
 * record with origin, sequence, host, raw digest, elements digest, time), grouped per host log
 * in runs of BUNDLE_SIZE as the ledger seals them. Pure: no store.
 */
import { brotliCompressSync, brotliDecompressSync, constants } from "node:zlib";
import { parseProvJson } from "../../capture-bridge/formats/prov-json";
import { type ArchivedEntry, decodeBundle, encodeBundle } from "../../db/ledger/archive";
import { canonicalBytes } from "../../db/ledger/canonical";
import { elementsDigest, hostOrigin, type LeafRecord, sha256Hex } from "../../db/ledger/log";
import { sum, timedSync } from "./bench-stats";
import { sameBytes } from "./ledger-tree";

export interface ArchiveMessage {
  /** Host as the store would record it (the document's own, else the message's). */
  host: string;
  /** The bytes the ledger archives: what `ingestMessage` passes as evidence. */
  raw: Uint8Array;
  /** The document's JSON text, for the elements digest. */
  json: string;
}

export interface BrotliSetting {
  quality: number;
  lgwin: number;
}

export interface ArchiveFigures {
  documents: number;
  bundles: number;
  rawBytes: number;
  leafBytes: number;
  bundleBytes: number;
  /** The leaves alone sealed the same way: an upper bound of what they add to a bundle. */
  leavesOnlyBytes: number;
  encodeMs: number;
  decodeMs: number;
  /** The least saved by any one bundle, percent. */
  worstSavedPercent: number;
  alternatives: { setting: BrotliSetting; bytes: number; encodeMs: number }[];
}

const START_MS = Date.UTC(2024, 4, 1, 9, 0, 0);

/** Each message with its leaf, numbered per host log from 0; grouped by host, in order. */
export function ledgerEntries(messages: readonly ArchiveMessage[]): Map<string, ArchivedEntry[]> {
  const byHost = new Map<string, ArchivedEntry[]>();
  for (const [i, message] of messages.entries()) {
    const list = byHost.get(message.host) ?? [];
    const graph = parseProvJson(JSON.parse(message.json), { documentKey: sha256Hex(message.raw) });
    const digest = elementsDigest(
      graph.nodes.map((n) => ({
        ext_id: n.id,
        kind: n.kind,
        prov_type: n.type,
        label: n.label,
        attributes: n.attributes,
      })),
      graph.relations.map((r) => ({
        ext_id: r.id,
        kind: r.kind,
        from_ext_id: r.from,
        to_ext_id: r.to,
        time: r.time,
        attributes: r.attributes,
      })),
    );
    const record: LeafRecord = {
      v: 1,
      origin: hostOrigin(message.host),
      seq: list.length,
      host: message.host,
      object: sha256Hex(message.raw),
      digest,
      receivedAt: new Date(START_MS + i * 1_000).toISOString(),
    };
    list.push({ leaf: canonicalBytes(record), raw: message.raw });
    byHost.set(message.host, list);
  }
  return byHost;
}

/** Consecutive runs of `size` entries of each host's log; a last partial run is dropped. */
export function fullBundles(byHost: Map<string, ArchivedEntry[]>, size: number): ArchivedEntry[][] {
  const bundles: ArchivedEntry[][] = [];
  for (const entries of byHost.values()) {
    for (let first = 0; first + size <= entries.length; first += size) {
      bundles.push(entries.slice(first, first + size));
    }
  }
  return bundles;
}

/**
 * Seals each group with encodeBundle, checks it decodes to the same entries (throws if not),
 * and re-compresses the same frame with each alternative brotli setting.
 */
export function measureArchive(
  groups: readonly ArchivedEntry[][],
  alternatives: readonly BrotliSetting[] = [],
): ArchiveFigures {
  const figures: ArchiveFigures = {
    documents: 0,
    bundles: groups.length,
    rawBytes: 0,
    leafBytes: 0,
    bundleBytes: 0,
    leavesOnlyBytes: 0,
    encodeMs: 0,
    decodeMs: 0,
    worstSavedPercent: 100,
    alternatives: alternatives.map((setting) => ({ setting, bytes: 0, encodeMs: 0 })),
  };
  for (const entries of groups) {
    const raw = sum(entries.map((e) => e.raw.length));
    const encoded = timedSync(() => encodeBundle(entries));
    const decoded = timedSync(() => decodeBundle(encoded.value));
    if (
      decoded.value.length !== entries.length ||
      decoded.value.some(
        (e, i) =>
          !sameBytes(e.raw, entries[i]?.raw ?? new Uint8Array()) ||
          !sameBytes(e.leaf, entries[i]?.leaf ?? new Uint8Array()),
      )
    ) {
      throw new Error("a bundle does not decode to the entries sealed in it");
    }
    figures.documents += entries.length;
    figures.rawBytes += raw;
    figures.leafBytes += sum(entries.map((e) => e.leaf.length));
    figures.bundleBytes += encoded.value.length;
    figures.encodeMs += encoded.ms;
    figures.decodeMs += decoded.ms;
    figures.worstSavedPercent = Math.min(
      figures.worstSavedPercent,
      (1 - encoded.value.length / raw) * 100,
    );
    figures.leavesOnlyBytes += encodeBundle(
      entries.map((e) => ({ leaf: e.leaf, raw: new Uint8Array(0) })),
    ).length;
    const frame = brotliDecompressSync(encoded.value);
    for (const alternative of figures.alternatives) {
      const { value, ms } = timedSync(() =>
        brotliCompressSync(frame, {
          params: {
            [constants.BROTLI_PARAM_QUALITY]: alternative.setting.quality,
            [constants.BROTLI_PARAM_LGWIN]: alternative.setting.lgwin,
            [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
            [constants.BROTLI_PARAM_SIZE_HINT]: frame.length,
          },
        }),
      );
      alternative.bytes += value.length;
      alternative.encodeMs += ms;
    }
  }
  return figures;
}
