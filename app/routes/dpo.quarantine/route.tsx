import { data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useLocation } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { QUARANTINE_KINDS } from "../../../db/prov/quarantine-kinds";
import { FILTER_MAX_LENGTH, quarantinePage } from "../../../db/queries/quarantine";
import { requireDpo } from "../../auth/session.server";
import { Field, SelectField } from "../../components/field";
import { LocalTime } from "../../components/local-time";
import { getStore } from "../../store.server";
import { parseFilters } from "./filters";

export const meta: MetaFunction = () => [{ title: "Provtopia" }];

/** Messages per page. */
export const QUARANTINE_PAGE_SIZE = 50;

/**
 * The DPO's view of what the bridge could not read: each message with its source, the reason
 * and a preview of its bytes, filtered by source and reason, newest first; the whole message
 * downloads (recorded in the legal log) for a closer look or to send it again.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const { headers } = await requireDpo(request);
  const url = new URL(request.url);
  const { filter, values, errors } = parseFilters(url.searchParams);
  const invalid = Object.keys(errors).length > 0;
  const page = await quarantinePage(
    await getStore(),
    invalid ? {} : filter,
    invalid ? 0 : QUARANTINE_PAGE_SIZE,
  );
  const firstPage = filter.before === undefined;
  return data(
    { ...page, values, errors, invalid, firstPage, maxLength: FILTER_MAX_LENGTH },
    { status: invalid ? 400 : 200, headers },
  );
}

function pageLink(
  values: { source?: string; reason?: string; kind?: string },
  before?: number,
): string {
  const params = new URLSearchParams();
  if (values.source) params.set("source", values.source);
  if (values.reason) params.set("reason", values.reason);
  if (values.kind) params.set("kind", values.kind);
  if (before !== undefined) params.set("before", String(before));
  const query = params.toString();
  return query ? `/dpo/quarantine?${query}` : "/dpo/quarantine";
}

export default function Quarantine() {
  const { t, i18n } = useTranslation();
  const loaded = useLoaderData<typeof loader>();
  const location = useLocation();
  const { values, errors } = loaded;
  const filtered = Boolean(values.source || values.reason || values.kind);
  const error = (name: keyof typeof errors) => {
    const key = errors[name];
    return key ? t(key, { max: loaded.maxLength }) : undefined;
  };
  return (
    <section className="page">
      <h1>{t("quarantine.title")}</h1>
      <p className="lead">{t("quarantine.lead")}</p>
      {errors.before ? (
        <p className="result failed" role="alert">
          {error("before")}
        </p>
      ) : null}
      <p className="summary-line" data-testid="quarantine-total">
        {t("quarantine.total", { count: loaded.total })}
        {loaded.byTransport.length > 0 ? (
          <span className="by">
            {loaded.byTransport
              .map(({ transport, count }) =>
                t("quarantine.byTransport", {
                  transport: t(`quarantine.transports.${transport}`, { defaultValue: transport }),
                  count,
                }),
              )
              .join(" · ")}
          </span>
        ) : null}
      </p>
      {loaded.byKind.length > 0 ? (
        <ul className="kind-counts" data-testid="quarantine-kinds">
          {loaded.byKind.map(({ kind, count }) => (
            <li key={kind}>
              <Link
                to={pageLink({ kind })}
                className={`chip${values.kind === kind ? " selected" : ""}`}
                data-kind={kind}
              >
                {t("quarantine.byKind", { kind: t(`quarantine.kinds.${kind}.name`), count })}
              </Link>
            </li>
          ))}
        </ul>
      ) : null}
      {loaded.total === 0 ? (
        <p className="empty" data-testid="quarantine-empty">
          {t("quarantine.empty")}
        </p>
      ) : (
        <>
          {/* Keyed by the query: a link (Show all, a kind's count) shows its own filter values. */}
          <Form
            key={location.search}
            method="get"
            className="panel inline-form"
            noValidate
            data-testid="quarantine-filter"
          >
            <h2>{t("quarantine.filterHeading")}</h2>
            <div className="form-row">
              <SelectField
                id="quarantine-kind"
                name="kind"
                label={t("quarantine.kind")}
                hint={t("quarantine.kindHint")}
                error={error("kind")}
                defaultValue={values.kind}
                options={[
                  { value: "", label: t("quarantine.anyKind") },
                  ...QUARANTINE_KINDS.map((kind) => ({
                    value: kind,
                    label: t(`quarantine.kinds.${kind}.name`),
                  })),
                ]}
              />
              <Field
                id="quarantine-source"
                name="source"
                label={t("quarantine.source")}
                hint={t("quarantine.sourceHint")}
                error={error("source")}
                defaultValue={values.source}
              />
              <Field
                id="quarantine-reason"
                name="reason"
                label={t("quarantine.reason")}
                hint={t("quarantine.reasonHint")}
                error={error("reason")}
                defaultValue={values.reason}
              />
              <button type="submit" className="button">
                {t("quarantine.apply")}
              </button>
              {filtered ? (
                <Link to="/dpo/quarantine" className="link-button">
                  {t("quarantine.clear")}
                </Link>
              ) : null}
            </div>
          </Form>
          {loaded.invalid ? null : filtered ? (
            <p className="summary-line" data-testid="quarantine-matching">
              {t("quarantine.matching", { count: loaded.matching })}
            </p>
          ) : null}
          {loaded.invalid ? null : loaded.messages.length === 0 ? (
            <p className="empty" data-testid="quarantine-none-matching">
              {t("quarantine.noneMatching")}
            </p>
          ) : (
            <div className="table-scroll">
              <table className="data-table quarantine" data-testid="quarantined">
                <thead>
                  <tr>
                    <th scope="col">{t("quarantine.received")}</th>
                    <th scope="col">{t("quarantine.source")}</th>
                    <th scope="col">{t("quarantine.reason")}</th>
                    <th scope="col">{t("quarantine.message")}</th>
                  </tr>
                </thead>
                <tbody>
                  {loaded.messages.map((m) => (
                    <tr key={m.id} data-testid="quarantined-message" data-id={m.id}>
                      <td className="when">
                        <LocalTime iso={m.receivedAt} locale={i18n.language} compact />
                      </td>
                      <th scope="row">
                        <code>{m.source}</code>
                      </th>
                      <td className="reason">
                        <strong data-testid="quarantine-kind" data-kind={m.kind}>
                          {t(`quarantine.kinds.${m.kind}.name`)}
                        </strong>
                        <span className="detail" lang="en" title={t("quarantine.detail")}>
                          {m.reason}
                        </span>
                      </td>
                      <td>
                        <details>
                          <summary>
                            {t("quarantine.bytes", {
                              count: m.bytes,
                              formatted: m.bytes.toLocaleString(i18n.language),
                            })}
                            {m.preview.kind === "hex" ? ` · ${t("quarantine.binary")}` : ""}
                          </summary>
                          <pre
                            className="raw-preview"
                            data-testid="preview"
                            data-kind={m.preview.kind}
                          >
                            {m.preview.text}
                          </pre>
                          {m.preview.truncated ? (
                            <p className="hint">{t("quarantine.truncated")}</p>
                          ) : null}
                          <Form method="post" action="/dpo/quarantine/raw" reloadDocument>
                            <input type="hidden" name="id" value={m.id} />
                            <button
                              type="submit"
                              className="link-button"
                              data-testid="download-raw"
                            >
                              {t("quarantine.download")}
                            </button>
                          </Form>
                          {m.digest ? (
                            <p className="hint">
                              SHA-256 <code className="digest">{m.digest}</code>
                            </p>
                          ) : null}
                        </details>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <details className="kinds-help">
            <summary>{t("quarantine.kindsHeading")}</summary>
            <dl>
              {QUARANTINE_KINDS.map((kind) => (
                <div key={kind}>
                  <dt>{t(`quarantine.kinds.${kind}.name`)}</dt>
                  <dd>{t(`quarantine.kinds.${kind}.help`)}</dd>
                </div>
              ))}
            </dl>
          </details>
          <nav className="pager" aria-label={t("quarantine.pages")}>
            {!loaded.firstPage ? (
              <Link to={pageLink(values)} data-testid="newest-page">
                {t("quarantine.newest")}
              </Link>
            ) : null}
            {loaded.nextBefore !== null ? (
              <Link to={pageLink(values, loaded.nextBefore)} data-testid="older-page">
                {t("quarantine.older")}
              </Link>
            ) : null}
          </nav>
        </>
      )}
    </section>
  );
}
