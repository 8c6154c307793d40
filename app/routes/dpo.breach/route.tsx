import { data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { requireDpo } from "../../auth/session.server";
import { Field, SelectField } from "../../components/field";
import { categoryLabel } from "../../i18n";
import { impactOf, serviceNames } from "./breach.server";
import { errorsOf, REPORT_REFUSALS, SCOPE_FORM, SUBJECTS_SHOWN, scopeValues } from "./forms";

export const meta: MetaFunction = () => [{ title: "Provtopia" }];

/**
 * The scope comes in the query string, so a result can be linked and reloaded; a refused report
 * (dpo.breach_.report.ts) comes back here with `refused=<field>` to say what was wrong.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const { headers } = await requireDpo(request);
  const params = new URL(request.url).searchParams;
  const values = scopeValues(params);
  const services = await serviceNames();
  const refused = params.get("refused");
  const reportError = refused && Object.hasOwn(REPORT_REFUSALS, refused) ? refused : null;
  const page = (errors: Record<string, string>, impact: Awaited<ReturnType<typeof impactOf>>) =>
    data({ services, values, errors, impact, reportError }, { headers });
  if (!params.has("service")) return page({}, null);
  const parsed = SCOPE_FORM.safeParse(values);
  if (!parsed.success) return page(errorsOf(parsed.error), null);
  const impact = await impactOf(parsed.data);
  return page(impact ? {} : { service: "breach.errors.service" }, impact);
}

export default function Breach() {
  const { t } = useTranslation();
  const { services, values, errors, impact, reportError } = useLoaderData<typeof loader>();
  const descriptionError = reportError
    ? t(REPORT_REFUSALS[reportError as keyof typeof REPORT_REFUSALS])
    : undefined;
  const error = (field: string) => {
    const key = errors[field];
    return key ? t(key) : undefined;
  };
  return (
    <section className="page">
      <h1>{t("breach.title")}</h1>
      <p className="lead">{t("breach.lead")}</p>
      <Form method="get" className="panel inline-form" noValidate data-testid="breach-scope">
        <h2>{t("breach.scopeHeading")}</h2>
        <div className="form-row">
          <SelectField
            id="breach-service"
            name="service"
            label={t("breach.service")}
            error={error("service")}
            defaultValue={values.service ?? ""}
            options={[
              { value: "", label: t("breach.choose") },
              ...services.map((name) => ({ value: name, label: name })),
            ]}
          />
          <Field
            id="breach-from"
            name="from"
            type="date"
            label={t("breach.from")}
            error={error("from")}
            defaultValue={values.from ?? ""}
          />
          <Field
            id="breach-to"
            name="to"
            type="date"
            label={t("breach.to")}
            hint={t("breach.toHint")}
            error={error("to")}
            defaultValue={values.to ?? ""}
          />
          <button type="submit" className="button">
            {t("breach.assess")}
          </button>
        </div>
      </Form>
      {impact ? (
        <section className="panel" aria-labelledby="impact-heading" data-testid="breach-impact">
          <h2 id="impact-heading">
            {t("breach.impactHeading", {
              service: impact.service,
              organisation: impact.organisation ?? t("me.unknownOrganisation"),
            })}
          </h2>
          {impact.thirdParty ? (
            <p>
              <span className="badge third-party">{t("processing.organisations.thirdParty")}</span>
            </p>
          ) : null}
          <dl className="headline-facts">
            <div>
              <dt>{t("breach.subjects")}</dt>
              <dd data-testid="breach-subjects">{impact.subjects}</dd>
            </div>
            <div>
              <dt>{t("breach.records")}</dt>
              <dd data-testid="breach-records">{impact.entries}</dd>
            </div>
            <div>
              <dt>{t("breach.notifiable")}</dt>
              <dd data-testid="breach-notifiable">{impact.notifiable}</dd>
            </div>
          </dl>
          {impact.subjects === 0 ? (
            <p className="empty">{t("breach.none")}</p>
          ) : (
            <>
              <h3>{t("breach.categoriesHeading")}</h3>
              <ul>
                {impact.categories.map((c) => (
                  <li key={c.category}>
                    {t("breach.categoryCount", {
                      category: categoryLabel(t, c.category),
                      count: c.subjects,
                    })}
                  </li>
                ))}
              </ul>
              <h3>{t("breach.affectedHeading")}</h3>
              {impact.subjects > SUBJECTS_SHOWN ? (
                <p className="hint">
                  {t("breach.truncated", { shown: SUBJECTS_SHOWN, total: impact.subjects })}
                </p>
              ) : null}
              <table className="data-table" data-testid="breach-affected">
                <thead>
                  <tr>
                    <th scope="col">{t("breach.subject")}</th>
                    <th scope="col">{t("breach.data")}</th>
                    <th scope="col">{t("breach.contact")}</th>
                  </tr>
                </thead>
                <tbody>
                  {impact.shown.map((s) => (
                    <tr key={s.ref}>
                      <th scope="row">{s.ref}</th>
                      <td>{s.categories.map((c) => categoryLabel(t, c)).join(", ")}</td>
                      <td>
                        {s.accounts.length > 0 ? s.accounts.join(", ") : t("breach.noAccount")}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
          <Form
            method="post"
            action="/dpo/breach/report"
            reloadDocument
            className="stack report-form"
            id="report"
            noValidate
          >
            <h3>{t("breach.reportHeading")}</h3>
            <p className="hint">{t("breach.reportHelp")}</p>
            <input type="hidden" name="service" value={values.service ?? ""} />
            <input type="hidden" name="from" value={values.from ?? ""} />
            <input type="hidden" name="to" value={values.to ?? ""} />
            <div
              className={`field${descriptionError ? " invalid" : ""}`}
              data-testid="breach-description"
            >
              <label htmlFor="breach-description">{t("breach.description")}</label>
              <p className="field-hint" id="breach-description-hint">
                {t("breach.descriptionHint")}
              </p>
              {descriptionError ? (
                <p className="field-error" id="breach-description-error">
                  {descriptionError}
                </p>
              ) : null}
              <textarea
                id="breach-description"
                name="description"
                rows={5}
                aria-invalid={descriptionError ? true : undefined}
                aria-describedby={
                  descriptionError
                    ? "breach-description-error breach-description-hint"
                    : "breach-description-hint"
                }
              />
            </div>
            <button type="submit" className="button">
              {t("breach.export")}
            </button>
          </Form>
        </section>
      ) : null}
    </section>
  );
}
