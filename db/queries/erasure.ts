/**
 * Erasure requests (GDPR Art. 17): a subject asks, the DPO answers within a month (Art. 12(3)),
 * either that the data was erased, or why not (Art. 12(4)). What sets Provtopia's queue apart
 * is the list beside each request: every service and organisation the subject's data was
 * observed reaching (db/queries/flows.ts), third parties marked, which the controller must tell
 * of the erasure (Art. 19). Both steps go into the ledger's legal log with who took them.
 *
 * And an answer is not taken on trust: for a request answered "erased", every read lists the
 * services the subject's data was observed reaching *after* the answer (a use whose time, from
 * the provenance, is later). An empty list is the evidence that the erasure held; anything in
 * it is data that was kept or copied somewhere the erasure missed. Uses without an order in
 * their document (no time) cannot be placed after the answer and are left out.
 *
 * A subject acts only on their own subject row (the caller passes the session's subject id) and
 * sees only their own requests.
 */
import { type SQL, sql } from "drizzle-orm";
import type { Store } from "../client";
import { appendLegalEvent } from "../ledger/log";
import { type FlowSummary, subjectFlowSummaries } from "./flows";
import { isoUtc } from "./subject-choices";

export type ErasureStatus = "open" | "erased" | "refused";

export interface ErasureRequestRow {
  id: number;
  subject: string;
  requestedAt: string;
  dueAt: string;
  status: ErasureStatus;
  answeredAt: string | null;
  answeredBy: string | null;
  answer: string | null;
}

export interface Recipient {
  service: string;
  organisation: string | null;
  thirdParty: boolean;
  /** The categories of the subject's data that reached it. */
  categories: string[];
  lastSeen: string | null;
}

/** A request as read back: for an "erased" one, where the data was seen since the answer. */
export interface CheckedRequest extends ErasureRequestRow {
  /** Services that the subject's data reached after the "erased" answer; null unless erased. */
  usedSince: Recipient[] | null;
  /** The recipients told of the erasure (the subject may know whom, Art. 19). */
  notices: Notice[];
}

/** A recipient organisation told of the erasure (Art. 19). */
export interface Notice {
  organisation: string;
  toldAt: string;
  toldBy: string;
}

export interface QueuedRequest extends ErasureRequestRow {
  overdue: boolean;
  /** Where the subject's data was observed going: whom to tell of the erasure (Art. 19). */
  recipients: Recipient[];
  /** The organisations told so far. */
  notices: Notice[];
}

const COLUMNS = sql`r.id, s.ref as subject, ${isoUtc("r.requested_at")} as "requestedAt",
  ${isoUtc("r.due_at")} as "dueAt", r.status::text as status, ${isoUtc("r.answered_at")} as "answeredAt",
  r.answered_by as "answeredBy", r.answer`;

/** Requests with their subject's reference, `where` and `tail` (order, limit) as given. */
function selectRequests(store: Store, where: SQL, tail: SQL = sql``) {
  return store.rows<ErasureRequestRow>(sql`
    select ${COLUMNS} from erasure_requests r join subjects s on s.id = r.subject_id
    where ${where} ${tail}`);
}

/**
 * Records the subject's request, due a month later, and returns it; a subject with an open
 * request gets that one back (asking twice does not make two, nor a second legal record).
 */
export async function requestErasure(
  store: Store,
  actor: { subjectId: number; email: string },
  now: Date = new Date(),
): Promise<{ request: ErasureRequestRow; created: boolean }> {
  const [created] = await store.rows<{ id: number }>(sql`
    insert into erasure_requests (subject_id, requested_at, due_at)
    values (${actor.subjectId}, ${now.toISOString()}::timestamptz,
            ${now.toISOString()}::timestamptz + interval '1 month')
    on conflict (subject_id) where status = 'open' do nothing
    returning id`);
  const [request] = await selectRequests(
    store,
    sql`r.subject_id = ${actor.subjectId} and r.status = 'open'`,
  );
  if (!request) throw new Error(`no open erasure request for subject ${actor.subjectId}`);
  if (created) {
    await appendLegalEvent(
      store,
      {
        type: "subject.erasure.requested",
        actor: actor.email,
        details: { subject: request.subject, request: request.id, due: request.dueAt },
      },
      now,
    );
  }
  return { request, created: Boolean(created) };
}

/** The subject's own requests, newest first, each erased one checked against later uses. */
export async function subjectErasureRequests(
  store: Store,
  subjectId: number,
): Promise<CheckedRequest[]> {
  const requests = await selectRequests(
    store,
    sql`r.subject_id = ${subjectId}`,
    sql`order by r.requested_at desc, r.id desc`,
  );
  return checkAnswered(store, requests, await thirdPartyNames(store), flowsOnce(store));
}

/** A subject's flows by reference, read once however often asked (an unknown subject: none). */
function flowsOnce(store: Store): (subject: string) => Promise<FlowSummary[]> {
  const read = new Map<string, Promise<FlowSummary[]>>();
  return (subject) => {
    let flows = read.get(subject);
    if (!flows) {
      flows = subjectFlowSummaries(store, subject).then((found) => found ?? []);
      read.set(subject, flows);
    }
    return flows;
  };
}

/** The names of the organisations marked third parties. */
export async function thirdPartyNames(store: Store): Promise<Set<string>> {
  const rows = await store.rows<{ name: string }>(
    sql`select name from organisations where third_party`,
  );
  return new Set(rows.map((row) => row.name));
}

/**
 * Requests with the recipients told of each and, for each "erased" one, the services its
 * subject's data reached after the answer: the subject's flows whose last use is later than
 * the answer.
 */
async function checkAnswered(
  store: Store,
  requests: readonly ErasureRequestRow[],
  thirdParties: ReadonlySet<string>,
  flowsOf: (subject: string) => Promise<FlowSummary[]>,
): Promise<CheckedRequest[]> {
  const notices = await noticesOf(
    store,
    requests.map((request) => request.id),
  );
  const checked: CheckedRequest[] = [];
  for (const request of requests) {
    const told = notices.get(request.id) ?? [];
    if (request.status !== "erased" || request.answeredAt === null) {
      checked.push({ ...request, usedSince: null, notices: told });
      continue;
    }
    const answered = Date.parse(request.answeredAt);
    const later = (await flowsOf(request.subject)).filter(
      (flow) => flow.lastSeen !== null && Date.parse(flow.lastSeen) > answered,
    );
    checked.push({ ...request, usedSince: recipientsFrom(later, thirdParties), notices: told });
  }
  return checked;
}

/**
 * The DPO's queue: open requests, the oldest (soonest due) first, each with the recipients of
 * the subject's data; then the `answered` most recently answered ones.
 */
export async function erasureQueue(
  store: Store,
  answered = 20,
  now: Date = new Date(),
): Promise<{ open: QueuedRequest[]; answered: CheckedRequest[] }> {
  const open = await selectRequests(store, sql`r.status = 'open'`, sql`order by r.due_at, r.id`);
  const done = await selectRequests(
    store,
    sql`r.status <> 'open'`,
    sql`order by r.answered_at desc, r.id desc limit ${answered}`,
  );
  const thirdParties = await thirdPartyNames(store);
  // A subject with an open request and an answered one is read once for both.
  const flowsOf = flowsOnce(store);
  const queued: QueuedRequest[] = [];
  const notices = await noticesOf(
    store,
    open.map((request) => request.id),
  );
  for (const request of open) {
    queued.push({
      ...request,
      notices: notices.get(request.id) ?? [],
      overdue: Date.parse(request.dueAt) < now.getTime(),
      recipients: recipientsFrom(await flowsOf(request.subject), thirdParties),
    });
  }
  return { open: queued, answered: await checkAnswered(store, done, thirdParties, flowsOf) };
}

/**
 * The services that the given flows of a subject's data reached (from the same query as the
 * subject's own page), with their organisations, the categories and the last use; third
 * parties first.
 */
function recipientsFrom(
  flows: readonly FlowSummary[],
  thirdParties: ReadonlySet<string>,
): Recipient[] {
  const byService = new Map<string, Recipient>();
  for (const flow of flows) {
    const recipient = byService.get(flow.service) ?? {
      service: flow.service,
      organisation: flow.organisation,
      thirdParty: flow.organisation !== null && thirdParties.has(flow.organisation),
      categories: [],
      lastSeen: null,
    };
    if (!recipient.categories.includes(flow.category)) recipient.categories.push(flow.category);
    if (flow.lastSeen && (!recipient.lastSeen || flow.lastSeen > recipient.lastSeen)) {
      recipient.lastSeen = flow.lastSeen;
    }
    byService.set(flow.service, recipient);
  }
  return [...byService.values()]
    .map((r) => ({ ...r, categories: r.categories.sort() }))
    .sort(
      (a, b) => Number(b.thirdParty) - Number(a.thirdParty) || a.service.localeCompare(b.service),
    );
}

export class ErasureAnswerError extends Error {
  constructor(readonly reason: "not-found" | "answered") {
    super(reason === "not-found" ? "no such erasure request" : "the request was answered already");
  }
}

/** The DPO's answer to an open request: erased (recipients told) or refused, with why. */
export async function answerErasure(
  store: Store,
  input: { requestId: number; outcome: "erased" | "refused"; answer: string; dpoEmail: string },
  now: Date = new Date(),
): Promise<ErasureRequestRow> {
  const [updated] = await store.rows<{ id: number }>(sql`
    update erasure_requests
    set status = ${input.outcome}::erasure_request_status, answered_at = ${now.toISOString()}::timestamptz,
        answered_by = ${input.dpoEmail}, answer = ${input.answer}
    where id = ${input.requestId} and status = 'open'
    returning id`);
  if (!updated) {
    const [exists] = await store.rows<{ id: number }>(
      sql`select id from erasure_requests where id = ${input.requestId}`,
    );
    throw new ErasureAnswerError(exists ? "answered" : "not-found");
  }
  const [request] = await selectRequests(store, sql`r.id = ${input.requestId}`);
  if (!request) throw new ErasureAnswerError("not-found");
  await appendLegalEvent(
    store,
    {
      type: `dpo.erasure.${input.outcome}`,
      actor: input.dpoEmail,
      details: { subject: request.subject, request: request.id, answer: input.answer },
    },
    now,
  );
  return request;
}

/** The notices recorded for each of the requests, by request id, oldest first. */
async function noticesOf(
  store: Store,
  requestIds: readonly number[],
): Promise<Map<number, Notice[]>> {
  const byRequest = new Map<number, Notice[]>();
  if (requestIds.length === 0) return byRequest;
  const rows = await store.rows<Notice & { requestId: number }>(sql`
    select n.request_id as "requestId", o.name as organisation, ${isoUtc("n.told_at")} as "toldAt",
           n.told_by as "toldBy"
    from erasure_notices n join organisations o on o.id = n.organisation_id
    where n.request_id in (${sql.join(
      requestIds.map((id) => sql`${id}`),
      sql`, `,
    )})
    order by n.told_at, o.name`);
  for (const { requestId, ...notice } of rows) {
    byRequest.set(requestId, [...(byRequest.get(requestId) ?? []), notice]);
  }
  return byRequest;
}

export class ErasureNoticeError extends Error {
  constructor(readonly reason: "not-found" | "refused" | "not-a-recipient") {
    super(
      {
        "not-found": "no such erasure request",
        refused: "the request was refused: there is no erasure to tell of",
        "not-a-recipient":
          "the subject's data was not observed reaching that organisation, or it is not a third party",
      }[reason],
    );
  }
}

/**
 * Records that the DPO told `organisation` of the erasure (Art. 19): one of the third parties
 * the subject's data was observed reaching, for a request that is open or answered "erased".
 * Once per request and organisation (telling again changes nothing, and records nothing);
 * returns whether it was recorded now. In the legal log with who told them.
 */
export async function recordNotice(
  store: Store,
  input: { requestId: number; organisation: string; dpoEmail: string },
  now: Date = new Date(),
): Promise<{ created: boolean }> {
  const [request] = await selectRequests(store, sql`r.id = ${input.requestId}`);
  if (!request) throw new ErasureNoticeError("not-found");
  if (request.status === "refused") throw new ErasureNoticeError("refused");
  const recipients = recipientsFrom(
    (await subjectFlowSummaries(store, request.subject)) ?? [],
    await thirdPartyNames(store),
  );
  const told = (recipient: Recipient) =>
    recipient.thirdParty && recipient.organisation === input.organisation;
  if (!recipients.some(told)) {
    throw new ErasureNoticeError("not-a-recipient");
  }
  const [created] = await store.rows<{ request_id: number }>(sql`
    insert into erasure_notices (request_id, organisation_id, told_at, told_by)
    select ${request.id}::integer, o.id, ${now.toISOString()}::timestamptz, ${input.dpoEmail}
    from organisations o where o.name = ${input.organisation}
    on conflict (request_id, organisation_id) do nothing
    returning request_id`);
  if (created) {
    await appendLegalEvent(
      store,
      {
        type: "dpo.erasure.recipient-told",
        actor: input.dpoEmail,
        details: {
          subject: request.subject,
          request: request.id,
          organisation: input.organisation,
        },
      },
      now,
    );
  }
  return { created: Boolean(created) };
}
