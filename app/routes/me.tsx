import { data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { subjectFlowMap } from "../../db/queries/flows";
import { requireSubject } from "../auth/session.server";
import { FlowMap } from "../components/flow-map";
import { getStore } from "../store.server";

export const meta: MetaFunction = () => [{ title: "Provtopia" }];

/** The signed-in subject's own flows, and no one else's: the subject id comes from the session. */
export async function loader({ request }: LoaderFunctionArgs) {
  const { user, subjectId, headers } = await requireSubject(request);
  const overview = await subjectFlowMap(await getStore(), subjectId);
  return data(
    {
      displayName: user.displayName,
      categories: overview.categories,
      services: overview.services,
      hops: overview.hops,
    },
    { headers },
  );
}

export default function MyData() {
  const { t } = useTranslation();
  const { displayName, categories, services, hops } = useLoaderData<typeof loader>();
  const category = (key: string) => t(`categories.${key}`, { defaultValue: key });
  const organisations = new Set(services.flatMap((s) => (s.organisation ? [s.organisation] : [])))
    .size;
  const mapServices = services.map((s) => ({
    id: s.serviceId,
    name: s.service,
    organisation: s.organisation,
  }));
  const mapHops = hops.map((h) => ({
    from: h.fromServiceId,
    to: h.toServiceId,
    label: h.categories.map(category).join(", "),
  }));

  return (
    <section className="page">
      <p className="greeting">{t("me.greeting", { name: displayName })}</p>
      <h1>{t("me.title")}</h1>
      <p className="lead">{t("me.lead")}</p>
      {services.length === 0 ? (
        <p className="empty" data-testid="no-flows">
          {t("me.empty")}
        </p>
      ) : (
        <>
          <div className="summary">
            <p>
              {t("me.serviceSummary", {
                services: t("me.services", { count: services.length }),
                organisations: t("me.organisations", { count: organisations }),
              })}
            </p>
            <p>
              <span className="label">{t("me.categoriesHeading")}</span>{" "}
              {categories.map((key) => (
                <span key={key} className="chip">
                  {category(key)}
                </span>
              ))}
            </p>
          </div>
          <h2>{t("me.mapHeading")}</h2>
          <FlowMap
            youLabel={t("me.you")}
            services={mapServices}
            hops={mapHops}
            loadingLabel={t("me.mapLoading")}
            description={t("me.mapDescription")}
          />
          <h2>{t("me.servicesHeading")}</h2>
          <table className="services" data-testid="services">
            <thead>
              <tr>
                <th scope="col">{t("me.service")}</th>
                <th scope="col">{t("me.organisation")}</th>
                <th scope="col">{t("me.data")}</th>
                <th scope="col">{t("me.status")}</th>
              </tr>
            </thead>
            <tbody>
              {services.map((s) => (
                <tr key={s.serviceId}>
                  <th scope="row">{s.service}</th>
                  <td>{s.organisation ?? t("me.unknownOrganisation")}</td>
                  <td>{s.categories.map(category).join(", ")}</td>
                  <td className={`status status-${s.status}`}>
                    {t(`flowStatus.${s.status}`)}
                    {s.ordered ? null : ` ${t("me.unordered")}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="note">{t("me.judged")}</p>
        </>
      )}
    </section>
  );
}
