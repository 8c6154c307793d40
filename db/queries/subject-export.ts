/**
 * A subject's copy of their data (GDPR Art. 15 access, Art. 20 portability), as one JSON
 * document: the personal data as the capture hosts recorded it (each source node with its
 * attributes), the purposes with their legal basis and retention, the recipients (services and
 * organisations, third parties marked) with when and how often the data reached them and
 * whether that was allowed, the consent history, the blocks and the erasure requests (with
 * where the data was seen after an "erased" answer) — and for every source the
 * evidence: the ledger record of the document that reported it, with an inclusion proof to a
 * signed checkpoint, which anyone can check with the log's public key (`provtopia verify`'s
 * rules, RFC 9162 hashing, C2SP signed notes) without trusting this portal.
 */
import { sql } from "drizzle-orm";
import type { Store } from "../client";
import { inclusionProofFor } from "../ledger/proofs";
import { logVerifierKey } from "../ledger/signing";
import { subjectErasureRequests, thirdPartyNames } from "./erasure";
import { isoUtc, subjectChoicesAndFlows } from "./subject-choices";

export const SUBJECT_EXPORT_FORMAT = "provtopia-subject-access/1";

/** Sources whose evidence (an inclusion proof each) the export carries; the rest are listed. */
export const MAX_PROVEN_SOURCES = 500;

export interface SourceEvidence {
  /** The log's origin line, e.g. `provtopia.example/prov/web-1`. */
  log: string;
  index: number;
  /** The record (RFC 8785 JSON): origin, seq, host, object digest, ... */
  leaf: string;
  leafHash: string;
  treeSize: number;
  rootHash: string;
  proof: string[];
  /** The signed checkpoint of `treeSize` whose root the proof reaches; null if none yet. */
  checkpoint: string | null;
}

export interface SubjectExport {
  format: typeof SUBJECT_EXPORT_FORMAT;
  generatedAt: string;
  subject: { ref: string; displayName: string | null };
  /** The portal accounts of the subject (never a password hash or a session). */
  accounts: { email: string; displayName: string; createdAt: string }[];
  personalData: {
    category: string;
    collectedFor: string | null;
    node: {
      id: string;
      kind: string;
      type: string | null;
      label: string | null;
      attributes: Record<string, unknown>;
      hosts: string[];
      firstSeen: string;
    };
    evidence: SourceEvidence | null;
  }[];
  purposes: {
    key: string;
    legalBasis: string | null;
    service: string | null;
    retentionDays: number | null;
  }[];
  recipients: {
    service: string;
    organisation: string | null;
    thirdParty: boolean;
    category: string;
    purpose: string | null;
    legalBasis: string | null;
    firstSeen: string | null;
    lastSeen: string | null;
    uses: number;
    status: string;
  }[];
  consent: { purpose: string; action: string; at: string; how: string }[];
  blocks: {
    service: string | null;
    organisation: string | null;
    category: string | null;
    since: string;
    lifted: string | null;
    how: string;
  }[];
  /**
   * The subject's erasure requests (Art. 17) with the answers, the recipients told (Art. 19) and,
   * for an "erased" one, where the data was observed after the answer.
   */
  erasureRequests: {
    requestedAt: string;
    dueAt: string;
    status: string;
    answeredAt: string | null;
    answer: string | null;
    recipientsTold: { organisation: string; at: string }[];
    usedSinceAnswer:
      | { service: string; organisation: string | null; lastSeen: string | null }[]
      | null;
  }[];
  /**
   * The signed-note verifier key of each log the evidence cites. Convenience only: a verifier
   * takes the organisation's published keys, not the ones in the document it checks.
   */
  logKeys: Record<string, string>;
  /** Sources listed without a proof (beyond MAX_PROVEN_SOURCES, or with no ledger record). */
  unprovenSources: number;
}

/** Subject `subjectId`'s export; null for an unknown subject. */
export async function subjectExport(
  store: Store,
  subjectId: number,
  now: Date = new Date(),
): Promise<SubjectExport | null> {
  const [subject] = await store.rows<{ ref: string; displayName: string | null }>(
    sql`select ref, display_name as "displayName" from subjects where id = ${subjectId}`,
  );
  if (!subject) return null;
  const [accounts, read, sources, erasure] = await Promise.all([
    store.rows<SubjectExport["accounts"][number]>(sql`
      select email, display_name as "displayName", ${isoUtc("created_at")} as "createdAt"
      from users where subject_id = ${subjectId} order by id`),
    subjectChoicesAndFlows(store, subjectId),
    store.rows<{
      category: string;
      collectedFor: string | null;
      id: string;
      kind: string;
      type: string | null;
      label: string | null;
      attributes: Record<string, unknown>;
      hosts: string[] | null;
      firstSeen: string;
      log: string | null;
      seq: number | null;
    }>(sql`
      select c.key as category, p.key as "collectedFor", n.ext_id as id, n.kind::text as kind,
             n.prov_type as type, n.label, n.attributes,
             (select array_agg(h.name order by h.name) from prov_node_hosts nh
                join hosts h on h.id = nh.host_id where nh.node_id = n.id) as hosts,
             ${isoUtc("n.first_seen_at")} as "firstSeen", l.origin as log, n.ledger_seq as seq
      from personal_data_sources s
      join prov_nodes n on n.id = s.node_id
      join data_categories c on c.id = s.category_id
      left join purposes p on p.id = s.purpose_id
      left join ledger_logs l on l.id = n.ledger_log_id
      where s.subject_id = ${subjectId}
      order by n.first_seen_at, n.ext_id, c.key`),
    subjectErasureRequests(store, subjectId),
  ]);

  // One checkpoint per log: the latest, and the proofs reach its root.
  const checkpoints = new Map<string, { size: number; note: string } | null>();
  const logKeys: Record<string, string> = {};
  const checkpointOf = async (origin: string) => {
    if (!checkpoints.has(origin)) {
      const [row] = await store.rows<{ size: number; note: string }>(sql`
        select c.size::int as size, c.note from ledger_checkpoints c
        join ledger_logs l on l.id = c.log_id
        where l.origin = ${origin} order by c.size desc, c.id desc limit 1`);
      checkpoints.set(origin, row ?? null);
      const [log] = await store.rows<{ publicKey: Uint8Array }>(
        sql`select public_key as "publicKey" from ledger_logs where origin = ${origin}`,
      );
      if (log) logKeys[origin] = logVerifierKey(origin, new Uint8Array(log.publicKey));
    }
    return checkpoints.get(origin) ?? null;
  };
  let proven = 0;
  const personalData: SubjectExport["personalData"] = [];
  for (const source of sources) {
    let evidence: SourceEvidence | null = null;
    if (source.log !== null && source.seq !== null && proven < MAX_PROVEN_SOURCES) {
      const checkpoint = await checkpointOf(source.log);
      const index = Number(source.seq);
      // Against the signed checkpoint when it covers the record, else the log as it is now.
      const covered = checkpoint !== null && index < checkpoint.size;
      const proof = await inclusionProofFor(store, source.log, {
        index,
        ...(covered ? { treeSize: checkpoint.size } : {}),
      });
      evidence = {
        log: proof.log,
        index: proof.index,
        leaf: proof.leaf,
        leafHash: proof.leafHash,
        treeSize: proof.treeSize,
        rootHash: proof.rootHash,
        proof: proof.proof,
        checkpoint: covered ? checkpoint.note : null,
      };
      proven++;
    }
    personalData.push({
      category: source.category,
      collectedFor: source.collectedFor,
      node: {
        id: source.id,
        kind: source.kind,
        type: source.type,
        label: source.label,
        attributes: source.attributes,
        hosts: source.hosts ?? [],
        firstSeen: source.firstSeen,
      },
      evidence,
    });
  }

  const choices = read?.choices;
  const purposes = [...(choices?.consentPurposes ?? []), ...(choices?.otherPurposes ?? [])]
    .map(({ key, legalBasis, service, retentionDays }) => ({
      key,
      legalBasis,
      service,
      retentionDays,
    }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const thirdParties = await thirdPartyNames(store);

  return {
    format: SUBJECT_EXPORT_FORMAT,
    generatedAt: now.toISOString(),
    subject,
    accounts,
    personalData,
    purposes,
    recipients: (read?.flows ?? []).map((flow) => ({
      service: flow.service,
      organisation: flow.organisation,
      thirdParty: flow.organisation !== null && thirdParties.has(flow.organisation),
      category: flow.category,
      purpose: flow.purpose,
      legalBasis: flow.legalBasis,
      firstSeen: flow.firstSeen,
      lastSeen: flow.lastSeen,
      uses: flow.count,
      status: flow.status,
    })),
    consent: (choices?.consentPurposes ?? [])
      .concat(choices?.otherPurposes ?? [])
      .flatMap((purpose) => purpose.history.map((event) => ({ purpose: purpose.key, ...event })))
      .sort((a, b) => a.at.localeCompare(b.at)),
    blocks: (choices?.blocks ?? []).map((block) => ({
      service: block.service,
      organisation: block.organisation,
      category: block.category,
      since: block.createdAt,
      lifted: block.liftedAt,
      how: block.how,
    })),
    erasureRequests: erasure.map((request) => ({
      requestedAt: request.requestedAt,
      dueAt: request.dueAt,
      status: request.status,
      answeredAt: request.answeredAt,
      answer: request.answer,
      recipientsTold: request.notices.map(({ organisation, toldAt }) => ({
        organisation,
        at: toldAt,
      })),
      usedSinceAnswer:
        request.usedSince?.map(({ service, organisation, lastSeen }) => ({
          service,
          organisation,
          lastSeen,
        })) ?? null,
    })),
    logKeys,
    unprovenSources: sources.length - proven,
  };
}
