import {
  type ActionFunctionArgs,
  data,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { assertSameOrigin, requireSubject } from "../../auth/session.server";
import { CheckboxField } from "../../components/field";
import { IntentButton } from "../../components/intent-button";
import { LocalTime } from "../../components/local-time";
import { categoryLabel, purposeLabel } from "../../i18n";
import { applyChoice, loadChoices } from "./choices.server";
import { type ChoiceIntent, isChoiceIntent } from "./forms";

export const meta: MetaFunction = () => [{ title: "Provtopia" }];

/** The signed-in subject's own consents and blocks; the subject comes from the session. */
export async function loader({ request }: LoaderFunctionArgs) {
  const { subjectId, headers } = await requireSubject(request);
  const done = new URL(request.url).searchParams.get("done");
  return data(
    { ...(await loadChoices(subjectId)), done: isChoiceIntent(done) ? done : null },
    { headers },
  );
}

export async function action({ request }: ActionFunctionArgs) {
  assertSameOrigin(request);
  const { user, subjectId, headers } = await requireSubject(request);
  const result = await applyChoice({ subjectId, email: user.email }, await request.formData());
  if (!("done" in result)) return data(result, { status: 400, headers });
  const anchor =
    result.done === "give" || result.done === "withdraw"
      ? "consents"
      : result.done === "erase"
        ? "erasure"
        : "services";
  return redirect(`/me/choices?done=${result.done}#${anchor}`, { headers });
}

type Loaded = ReturnType<typeof useLoaderData<typeof loader>>;

/** The refused form's errors, when the last submit was this intent for this row. */
function useFailure(intent: ChoiceIntent, target: string) {
  const failure = useActionData<typeof action>();
  if (!failure || "done" in failure) return undefined;
  return failure.intent === intent && failure.target === target ? failure.errors : undefined;
}

export default function Choices() {
  const { t } = useTranslation();
  const choices = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  const formError = failure && !("done" in failure) ? failure.errors.form : undefined;
  return (
    <section className="page">
      <p>
        <Link to="/me">{t("choices.back")}</Link>
      </p>
      <h1>{t("choices.title")}</h1>
      <p className="lead">{t("choices.lead")}</p>
      {choices.done ? (
        <p className="result ok" role="status" data-testid="choice-done">
          {t(`choices.done.${choices.done}`)}
        </p>
      ) : null}
      {formError ? (
        <p className="result failed" role="alert" data-testid="choice-refused">
          {t(formError)}
        </p>
      ) : null}
      <Consents choices={choices} />
      <Services choices={choices} />
      <Blocks choices={choices} />
      <Erasure choices={choices} />
    </section>
  );
}

function Consents({ choices }: { choices: Loaded }) {
  const { t, i18n } = useTranslation();
  return (
    <section className="panel" id="consents" aria-labelledby="consents-heading">
      <h2 id="consents-heading">{t("choices.consents.heading")}</h2>
      <p className="hint">{t("choices.consents.help")}</p>
      {choices.consentPurposes.length === 0 ? (
        <p className="empty">{t("choices.consents.empty")}</p>
      ) : (
        <table className="data-table" data-testid="consents">
          <thead>
            <tr>
              <th scope="col">{t("choices.consents.purpose")}</th>
              <th scope="col">{t("choices.consents.service")}</th>
              <th scope="col">{t("choices.consents.state")}</th>
              <th scope="col">{t("choices.consents.history")}</th>
              <th scope="col">{t("choices.change")}</th>
            </tr>
          </thead>
          <tbody>
            {choices.consentPurposes.map((purpose) => (
              <tr key={purpose.key} data-testid="consent" data-purpose={purpose.key}>
                <th scope="row">{purposeLabel(t, purpose.key)}</th>
                <td>{purpose.service ?? "—"}</td>
                <td>
                  <span
                    className={`status ${purpose.consent === "given" ? "allowed" : "unlawful"}`}
                  >
                    {t(`choices.consents.${purpose.consent ?? "never"}`)}
                  </span>
                </td>
                <td>
                  {purpose.history.length === 0 ? (
                    t("choices.consents.noHistory")
                  ) : (
                    <ul className="history">
                      {purpose.history.map((event) => (
                        <li key={`${event.at}-${event.action}`}>
                          <LocalTime iso={event.at} locale={i18n.language} compact />{" "}
                          {t(`choices.consents.event.${event.action}`, { how: event.how })}
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
                <td>
                  <Form method="post" preventScrollReset>
                    <input type="hidden" name="purpose" value={purpose.key} />
                    {purpose.consent === "given" ? (
                      <IntentButton
                        intent="withdraw"
                        className="button danger"
                        label={t("choices.consents.withdraw")}
                      />
                    ) : (
                      <IntentButton intent="give" label={t("choices.consents.give")} />
                    )}
                  </Form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {choices.otherPurposes.length > 0 ? (
        <>
          <h3>{t("choices.consents.otherHeading")}</h3>
          <ul data-testid="other-purposes">
            {choices.otherPurposes.map((purpose) => (
              <li key={purpose.key}>
                {t("choices.consents.other", {
                  purpose: purposeLabel(t, purpose.key),
                  basis: purpose.legalBasis
                    ? t(`legalBasis.${purpose.legalBasis}`)
                    : t("choices.consents.noBasis"),
                })}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

function Services({ choices }: { choices: Loaded }) {
  const { t } = useTranslation();
  return (
    <section className="panel" id="services" aria-labelledby="services-heading">
      <h2 id="services-heading">{t("choices.services.heading")}</h2>
      <p className="hint">{t("choices.services.help")}</p>
      {choices.services.length === 0 ? (
        <p className="empty">{t("choices.services.empty")}</p>
      ) : (
        <table className="data-table" data-testid="choice-services">
          <thead>
            <tr>
              <th scope="col">{t("choices.services.service")}</th>
              <th scope="col">{t("choices.services.organisation")}</th>
              <th scope="col">{t("choices.services.data")}</th>
              <th scope="col">{t("choices.change")}</th>
            </tr>
          </thead>
          <tbody>
            {choices.services.map((service) => (
              <ServiceRow key={service.name} service={service} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function ServiceRow({ service }: { service: Loaded["services"][number] }) {
  const { t } = useTranslation();
  const errors = useFailure("block", service.name);
  const id = `block-${service.name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  return (
    <tr data-testid="choice-service" data-service={service.name}>
      <th scope="row">{service.name}</th>
      <td>{service.organisation ?? t("me.unknownOrganisation")}</td>
      <td>
        {service.categories.map((key) => (
          <span key={key} className="chip">
            {categoryLabel(t, key)}
          </span>
        ))}
      </td>
      <td>
        {service.blockedBy !== null ? (
          <span className="badge blocked">{t("choices.services.blocked")}</span>
        ) : (
          <details className="never-again" open={errors !== undefined}>
            <summary>{t("choices.services.open")}</summary>
            <Form method="post" className="stack" preventScrollReset noValidate>
              <input type="hidden" name="service" value={service.name} />
              <CheckboxField
                id={`${id}-confirm`}
                name="confirm"
                label={t("choices.services.confirm", { service: service.name })}
                error={errors?.confirm ? t(errors.confirm) : undefined}
              />
              <IntentButton
                intent="block"
                className="button danger"
                label={t("choices.services.block")}
              />
            </Form>
          </details>
        )}
      </td>
    </tr>
  );
}

function Blocks({ choices }: { choices: Loaded }) {
  const { t, i18n } = useTranslation();
  return (
    <section className="panel" id="blocks" aria-labelledby="blocks-heading">
      <h2 id="blocks-heading">{t("choices.blocks.heading")}</h2>
      <p className="hint">{t("choices.blocks.help")}</p>
      {choices.blocks.length === 0 ? (
        <p className="empty">{t("choices.blocks.empty")}</p>
      ) : (
        <table className="data-table" data-testid="blocks">
          <thead>
            <tr>
              <th scope="col">{t("choices.blocks.target")}</th>
              <th scope="col">{t("choices.blocks.data")}</th>
              <th scope="col">{t("choices.blocks.since")}</th>
              <th scope="col">{t("choices.blocks.state")}</th>
              <th scope="col">{t("choices.change")}</th>
            </tr>
          </thead>
          <tbody>
            {choices.blocks.map((block) => (
              <tr key={block.id} data-testid="block" data-active={block.liftedAt ? "no" : "yes"}>
                <th scope="row">
                  {block.service ??
                    t("choices.blocks.organisation", { organisation: block.organisation })}
                </th>
                <td>
                  {block.category
                    ? categoryLabel(t, block.category)
                    : t("choices.blocks.allCategories")}
                </td>
                <td>
                  <LocalTime iso={block.createdAt} locale={i18n.language} compact />
                </td>
                <td>
                  {block.liftedAt ? (
                    <>
                      {t("choices.blocks.lifted")}{" "}
                      <LocalTime iso={block.liftedAt} locale={i18n.language} compact />
                    </>
                  ) : (
                    <>
                      <span className="badge blocked">{t("choices.blocks.active")}</span>
                      {block.enforcement ? (
                        <span className="by" data-testid="block-enforcement">
                          {block.enforcement.points === 0
                            ? t("choices.blocks.noPoints")
                            : t(
                                block.enforcement.acknowledged === block.enforcement.points
                                  ? "choices.blocks.enforced"
                                  : "choices.blocks.pending",
                                block.enforcement,
                              )}
                        </span>
                      ) : null}
                    </>
                  )}
                </td>
                <td>
                  {block.liftedAt ? null : (
                    <Form method="post" preventScrollReset>
                      <input type="hidden" name="rule" value={block.id} />
                      <IntentButton
                        intent="lift"
                        className="button secondary"
                        label={t("choices.blocks.lift")}
                      />
                    </Form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The recipients told of the erasure (Art. 19: the subject may know whom). */
function ToldOf({ notices }: { notices: Loaded["erasure"][number]["notices"] }) {
  const { t, i18n } = useTranslation();
  if (notices.length === 0) return null;
  return (
    <p className="hint" data-testid="told-of">
      {t("choices.erasure.toldOf")}{" "}
      {notices.map((notice, i) => (
        <span key={notice.organisation}>
          {i > 0 ? ", " : null}
          <strong>{notice.organisation}</strong> (
          <LocalTime iso={notice.toldAt} locale={i18n.language} compact />)
        </span>
      ))}
    </p>
  );
}

/** For an erased request: whether the subject's data was seen anywhere after the answer. */
function ErasedSince({ usedSince }: { usedSince: Loaded["erasure"][number]["usedSince"] }) {
  const { t, i18n } = useTranslation();
  if (usedSince === null) return null;
  if (usedSince.length === 0) {
    return (
      <p className="since clean" data-testid="erased-since">
        {t("choices.erasure.sinceClean")}
      </p>
    );
  }
  return (
    <div className="since used" data-testid="erased-since">
      <p>{t("choices.erasure.sinceUsed")}</p>
      <ul>
        {usedSince.map((recipient) => (
          <li key={recipient.service}>
            <strong>{recipient.service}</strong>
            {recipient.organisation ? ` (${recipient.organisation})` : null}{" "}
            {recipient.lastSeen ? (
              <LocalTime iso={recipient.lastSeen} locale={i18n.language} compact />
            ) : null}
          </li>
        ))}
      </ul>
      <p>{t("choices.erasure.sinceUsedAfter")}</p>
    </div>
  );
}

function Erasure({ choices }: { choices: Loaded }) {
  const { t, i18n } = useTranslation();
  const failure = useActionData<typeof action>();
  const errors =
    failure && !("done" in failure) && failure.intent === "erase" ? failure.errors : undefined;
  const open = choices.erasure.find((request) => request.status === "open");
  return (
    <section className="panel" id="erasure" aria-labelledby="erasure-heading">
      <h2 id="erasure-heading">{t("choices.erasure.heading")}</h2>
      <p className="hint">{t("choices.erasure.help")}</p>
      {choices.erasure.length > 0 ? (
        <ul className="history" data-testid="erasure-requests">
          {choices.erasure.map((request) => (
            <li key={request.id} data-testid="erasure-request" data-status={request.status}>
              {t("choices.erasure.asked")}{" "}
              <LocalTime iso={request.requestedAt} locale={i18n.language} compact />
              {". "}
              {request.status === "open" ? (
                <>
                  {t("choices.erasure.due")}{" "}
                  <LocalTime iso={request.dueAt} locale={i18n.language} compact />.
                </>
              ) : (
                <>
                  <span
                    className={`status ${request.status === "erased" ? "allowed" : "unlawful"}`}
                  >
                    {t(`choices.erasure.status.${request.status}`)}
                  </span>{" "}
                  <LocalTime iso={request.answeredAt ?? ""} locale={i18n.language} compact />
                  {request.answer ? (
                    <blockquote className="answer" data-testid="erasure-answer">
                      {request.answer}
                    </blockquote>
                  ) : null}
                  <ErasedSince usedSince={request.usedSince} />
                </>
              )}
              <ToldOf notices={request.notices} />
            </li>
          ))}
        </ul>
      ) : null}
      {open ? null : (
        <Form method="post" className="stack" preventScrollReset noValidate>
          <CheckboxField
            id="erase-confirm"
            name="confirm"
            label={t("choices.erasure.confirm")}
            error={errors?.confirm ? t(errors.confirm) : undefined}
          />
          <IntentButton intent="erase" className="button danger" label={t("choices.erasure.ask")} />
        </Form>
      )}
    </section>
  );
}
