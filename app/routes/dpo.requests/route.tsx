import {
  type ActionFunctionArgs,
  data,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import {
  answerErasure,
  ErasureAnswerError,
  ErasureNoticeError,
  erasureQueue,
  recordNotice,
} from "../../../db/queries/erasure";
import { assertSameOrigin, requireDpo } from "../../auth/session.server";
import { SelectField, TextAreaField } from "../../components/field";
import { LocalTime } from "../../components/local-time";
import { categoryLabel } from "../../i18n";
import { getStore } from "../../store.server";
import { ANSWER_MAX_LENGTH, type AnswerFailure, parseAnswer, parseNotice } from "./forms";

export const meta: MetaFunction = () => [{ title: "Provtopia" }];

/** Erasure requests waiting for an answer, soonest due first, and the latest answered. */
export async function loader({ request }: LoaderFunctionArgs) {
  const { headers } = await requireDpo(request);
  const done = new URL(request.url).searchParams.get("done");
  return data(
    {
      ...(await erasureQueue(await getStore())),
      done: done === "erased" || done === "refused" || done === "told" ? done : null,
    },
    { headers },
  );
}

/** One answer; a refused form comes back with its input and errors. */
export async function action({ request }: ActionFunctionArgs) {
  assertSameOrigin(request);
  const { user, headers } = await requireDpo(request);
  const form = await request.formData();
  if (form.get("intent") === "told") return tell(form, user.email, headers);
  const parsed = parseAnswer(form);
  if (!("input" in parsed)) return data(parsed, { status: 400, headers });
  const { input } = parsed;
  try {
    await answerErasure(await getStore(), {
      requestId: input.request,
      outcome: input.outcome,
      answer: input.answer,
      dpoEmail: user.email,
    });
  } catch (error) {
    if (!(error instanceof ErasureAnswerError)) throw error;
    const failure: AnswerFailure = {
      request: input.request,
      values: { outcome: input.outcome, answer: input.answer },
      errors: { form: `requests.errors.${error.reason}` },
    };
    return data(failure, { status: 409, headers });
  }
  return redirect(`/dpo/requests?done=${input.outcome}`, { headers });
}

/** "Mark as told": records the notice (Art. 19); a refusal is said at the top of the page. */
async function tell(form: FormData, dpoEmail: string, headers: Headers) {
  const parsed = parseNotice(form);
  if (!("input" in parsed)) return data(parsed, { status: 400, headers });
  try {
    const { request, organisation } = parsed.input;
    await recordNotice(await getStore(), { requestId: request, organisation, dpoEmail });
  } catch (error) {
    if (!(error instanceof ErasureNoticeError)) throw error;
    return data(
      { request: null, errors: { form: `requests.errors.notice-${error.reason}` } },
      { status: 409, headers },
    );
  }
  return redirect(`/dpo/requests?done=told#request-${parsed.input.request}`, { headers });
}

type Loaded = ReturnType<typeof useLoaderData<typeof loader>>;

export default function Requests() {
  const { t, i18n } = useTranslation();
  const loaded = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  return (
    <section className="page">
      <h1>{t("requests.title")}</h1>
      <p className="lead">{t("requests.lead")}</p>
      {loaded.done ? (
        <p className="result ok" role="status" data-testid="request-answered">
          {t(`requests.done.${loaded.done}`)}
        </p>
      ) : null}
      {failure?.errors.form ? (
        <p className="result failed" role="alert">
          {t(failure.errors.form)}
        </p>
      ) : null}
      <h2>{t("requests.openHeading", { count: loaded.open.length })}</h2>
      {loaded.open.length === 0 ? (
        <p className="empty" data-testid="no-open-requests">
          {t("requests.noneOpen")}
        </p>
      ) : (
        loaded.open.map((request) => (
          <OpenRequest
            key={request.id}
            request={request}
            failure={failure?.request === request.id ? failure : undefined}
          />
        ))
      )}
      <h2>{t("requests.answeredHeading")}</h2>
      {loaded.answered.length === 0 ? (
        <p className="empty">{t("requests.noneAnswered")}</p>
      ) : (
        <div className="table-scroll">
          <p className="hint">{t("requests.sinceHelp")}</p>
          <table className="data-table requests" data-testid="answered-requests">
            <thead>
              <tr>
                <th scope="col">{t("requests.subject")}</th>
                <th scope="col">{t("requests.asked")}</th>
                <th scope="col">{t("requests.outcome")}</th>
                <th scope="col">{t("requests.answer")}</th>
                <th scope="col">{t("requests.since")}</th>
              </tr>
            </thead>
            <tbody>
              {loaded.answered.map((request) => (
                <tr key={request.id} data-testid="answered-request" data-status={request.status}>
                  <th scope="row">
                    <code>{request.subject}</code>
                  </th>
                  <td>
                    <LocalTime iso={request.requestedAt} locale={i18n.language} compact />
                  </td>
                  <td>
                    <span
                      className={`status ${request.status === "erased" ? "allowed" : "unlawful"}`}
                    >
                      {t(`requests.outcomes.${request.status}`)}
                    </span>
                    <span className="by">
                      <LocalTime iso={request.answeredAt ?? ""} locale={i18n.language} compact />{" "}
                      {request.answeredBy}
                    </span>
                  </td>
                  <td className="answer">{request.answer}</td>
                  <td data-testid="used-since">
                    <UsedSince usedSince={request.usedSince} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Where an erased subject's data was seen after the answer; a dash for a refusal. */
function UsedSince({ usedSince }: { usedSince: Loaded["answered"][number]["usedSince"] }) {
  const { t, i18n } = useTranslation();
  if (usedSince === null) return <>—</>;
  if (usedSince.length === 0) {
    return <span className="status allowed">{t("requests.sinceClean")}</span>;
  }
  return (
    <>
      <span className="status unlawful">{t("requests.sinceUsed")}</span>
      <ul className="plain">
        {usedSince.map((recipient) => (
          <li key={recipient.service} data-testid="used-since-service">
            <strong>{recipient.service}</strong>
            {recipient.organisation ? ` (${recipient.organisation})` : null}{" "}
            {recipient.thirdParty ? (
              <span className="badge third-party">{t("processing.organisations.thirdParty")}</span>
            ) : null}{" "}
            {recipient.categories.map((key) => (
              <span key={key} className="chip">
                {categoryLabel(t, key)}
              </span>
            ))}{" "}
            {recipient.lastSeen ? (
              <LocalTime iso={recipient.lastSeen} locale={i18n.language} compact />
            ) : null}
          </li>
        ))}
      </ul>
    </>
  );
}

/**
 * The third parties the subject's data reached, each told of the erasure or not (Art. 19), with
 * the notice to send them in the DPO's language.
 */
function Notices({ request }: { request: Loaded["open"][number] }) {
  const { t, i18n } = useTranslation();
  const byOrganisation = new Map<string, Loaded["open"][number]["recipients"]>();
  for (const recipient of request.recipients) {
    if (!recipient.thirdParty || !recipient.organisation) continue;
    byOrganisation.set(recipient.organisation, [
      ...(byOrganisation.get(recipient.organisation) ?? []),
      recipient,
    ]);
  }
  const told = new Map(request.notices.map((notice) => [notice.organisation, notice]));
  return (
    <section className="notices" data-testid="notices">
      <h4>{t("requests.noticesHeading")}</h4>
      {byOrganisation.size === 0 ? (
        <p className="empty">{t("requests.noThirdParties")}</p>
      ) : (
        <>
          <p className="hint">
            {t("requests.noticesHelp", { told: told.size, count: byOrganisation.size })}
          </p>
          <ul className="plain">
            {[...byOrganisation].map(([organisation, recipients]) => {
              const notice = told.get(organisation);
              const categories = [...new Set(recipients.flatMap((r) => r.categories))];
              return (
                <li key={organisation} data-testid="notice" data-organisation={organisation}>
                  <strong>{organisation}</strong>{" "}
                  {notice ? (
                    <span className="status allowed" data-testid="told">
                      {t("requests.told")}{" "}
                      <LocalTime iso={notice.toldAt} locale={i18n.language} compact />{" "}
                      {notice.toldBy}
                    </span>
                  ) : (
                    <Form method="post" className="inline" preventScrollReset>
                      <input type="hidden" name="intent" value="told" />
                      <input type="hidden" name="request" value={request.id} />
                      <input type="hidden" name="organisation" value={organisation} />
                      <button type="submit" className="button secondary small">
                        {t("requests.markTold")}
                      </button>
                    </Form>
                  )}
                  <details>
                    <summary>{t("requests.noticeText")}</summary>
                    <textarea
                      readOnly
                      rows={6}
                      className="notice-text"
                      aria-label={t("requests.noticeText")}
                      value={t("requests.noticeBody", {
                        organisation,
                        subject: request.subject,
                        services: recipients.map((r) => r.service).join(", "),
                        categories: categories.map((key) => categoryLabel(t, key)).join(", "),
                      })}
                    />
                  </details>
                </li>
              );
            })}
          </ul>
        </>
      )}
    </section>
  );
}

function OpenRequest({
  request,
  failure,
}: {
  request: Loaded["open"][number];
  failure: AnswerFailure | undefined;
}) {
  const { t, i18n } = useTranslation();
  const error = (name: string) => {
    const key = failure?.errors[name];
    return key ? t(key, { max: ANSWER_MAX_LENGTH }) : undefined;
  };
  const id = `request-${request.id}`;
  return (
    <section
      className="panel"
      id={id}
      aria-labelledby={`${id}-heading`}
      data-testid="open-request"
      data-subject={request.subject}
    >
      <h3 id={`${id}-heading`}>
        {t("requests.erasureOf")} <code>{request.subject}</code>
      </h3>
      <p>
        {t("requests.asked")} <LocalTime iso={request.requestedAt} locale={i18n.language} compact />
        {" · "}
        {t("requests.due")} <LocalTime iso={request.dueAt} locale={i18n.language} compact />{" "}
        {request.overdue ? (
          <span className="badge blocked" data-testid="overdue">
            {t("requests.overdue")}
          </span>
        ) : null}
      </p>
      <h4>{t("requests.recipientsHeading")}</h4>
      <p className="hint">{t("requests.recipientsHelp")}</p>
      {request.recipients.length === 0 ? (
        <p className="empty">{t("requests.noRecipients")}</p>
      ) : (
        <table className="data-table" data-testid="recipients">
          <thead>
            <tr>
              <th scope="col">{t("requests.service")}</th>
              <th scope="col">{t("requests.organisation")}</th>
              <th scope="col">{t("requests.data")}</th>
              <th scope="col">{t("requests.lastSeen")}</th>
            </tr>
          </thead>
          <tbody>
            {request.recipients.map((recipient) => (
              <tr
                key={recipient.service}
                data-testid="recipient"
                data-third-party={recipient.thirdParty ? "yes" : "no"}
              >
                <th scope="row">{recipient.service}</th>
                <td>
                  {recipient.organisation ?? "—"}{" "}
                  {recipient.thirdParty ? (
                    <span className="badge third-party">
                      {t("processing.organisations.thirdParty")}
                    </span>
                  ) : null}
                </td>
                <td>
                  {recipient.categories.map((key) => (
                    <span key={key} className="chip">
                      {categoryLabel(t, key)}
                    </span>
                  ))}
                </td>
                <td>
                  {recipient.lastSeen ? (
                    <LocalTime iso={recipient.lastSeen} locale={i18n.language} compact />
                  ) : (
                    "—"
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Notices request={request} />
      <Form method="post" className="stack report-form" noValidate data-testid="answer-form">
        <input type="hidden" name="request" value={request.id} />
        <SelectField
          id={`${id}-outcome`}
          name="outcome"
          label={t("requests.outcome")}
          error={error("outcome")}
          defaultValue={failure?.values.outcome ?? ""}
          options={[
            { value: "", label: t("requests.choose") },
            { value: "erased", label: t("requests.outcomes.erased") },
            { value: "refused", label: t("requests.outcomes.refused") },
          ]}
        />
        <TextAreaField
          id={`${id}-answer`}
          name="answer"
          rows={4}
          label={t("requests.answer")}
          hint={t("requests.answerHint")}
          error={error("answer") ?? error("answerTooLong")}
          defaultValue={failure?.values.answer ?? ""}
        />
        <button type="submit" className="button">
          {t("requests.send")}
        </button>
      </Form>
    </section>
  );
}
