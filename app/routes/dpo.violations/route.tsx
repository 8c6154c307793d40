import { data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { recentViolations } from "../../../db/queries/violations";
import { requireDpo } from "../../auth/session.server";
import { LocalTime } from "../../components/local-time";
import { WitnessPath } from "../../components/witness-path";
import { getStore } from "../../store.server";

export const meta: MetaFunction = () => [{ title: "Provtopia" }];

/** How many violations the page lists; `provtopia flows` and the store have them all. */
export const VIOLATIONS_SHOWN = 200;

/** The DPO's list of uses judged unlawful when they happened, newest first. */
export async function loader({ request }: LoaderFunctionArgs) {
  const { headers } = await requireDpo(request);
  return data(await recentViolations(await getStore(), VIOLATIONS_SHOWN), { headers });
}

export default function Violations() {
  const { t, i18n } = useTranslation();
  const { total, violations } = useLoaderData<typeof loader>();
  return (
    <section className="page">
      <h1>{t("violations.title")}</h1>
      <p className="lead">{t("violations.lead")}</p>
      {violations.length === 0 ? (
        <p className="empty" data-testid="no-violations">
          {t("violations.empty")}
        </p>
      ) : (
        <>
          <p className="summary-line">{t("violations.count", { count: total })}</p>
          <div className="table-scroll">
            <table className="data-table violations" data-testid="violations">
              <thead>
                <tr>
                  <th scope="col">{t("violations.when")}</th>
                  <th scope="col">{t("violations.kind")}</th>
                  <th scope="col">{t("violations.subject")}</th>
                  <th scope="col">{t("violations.category")}</th>
                  <th scope="col">{t("violations.service")}</th>
                  <th scope="col">{t("violations.purpose")}</th>
                  <th scope="col">{t("violations.path")}</th>
                </tr>
              </thead>
              <tbody>
                {violations.map((v) => (
                  <tr key={v.id} data-testid="violation" data-kind={v.kind}>
                    <td className="when">
                      {v.at ? (
                        <LocalTime iso={v.at} locale={i18n.language} compact />
                      ) : (
                        <>
                          {t("violations.timeUnknown")}{" "}
                          <span className="hint">
                            {t("violations.detected")}{" "}
                            <LocalTime iso={v.detectedAt} locale={i18n.language} compact />
                          </span>
                        </>
                      )}
                    </td>
                    <td>
                      <span className="status unlawful">{t(`violations.kinds.${v.kind}`)}</span>
                      {v.appliedBefore === null ? null : (
                        <span className="by" data-testid="applied-before">
                          {v.appliedBefore > 0
                            ? t("violations.appliedBefore", { count: v.appliedBefore })
                            : t("violations.notAppliedYet")}
                        </span>
                      )}
                    </td>
                    <td>
                      <code>{v.subject}</code>
                    </td>
                    <td>{t(`categories.${v.category}`, { defaultValue: v.category })}</td>
                    <th scope="row">
                      {v.service}
                      {v.organisation ? <span className="by">{v.organisation}</span> : null}
                    </th>
                    <td>
                      {v.purpose ? <code>{v.purpose}</code> : "—"}
                      <span className="by">
                        {v.legalBasis
                          ? t(`legalBasis.${v.legalBasis}`)
                          : t("violations.noBasisDeclared")}
                      </span>
                    </td>
                    <td>
                      <details>
                        <summary>{t("violations.showPath", { count: v.witness.length })}</summary>
                        <WitnessPath steps={v.witness} emptyLabel={t("violations.noPath")} />
                      </details>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {total > violations.length ? (
            <p className="hint">{t("violations.truncated", { shown: violations.length, total })}</p>
          ) : null}
        </>
      )}
    </section>
  );
}
