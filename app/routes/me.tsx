import { data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import { flowWitness, subjectFlowSummaries } from "../../db/queries/flows";
import { subjectOwnsFlow, subjectRefOf } from "../../db/queries/subject-access";
import { requireSubject } from "../auth/session.server";
import { FlowMap, type FlowMapGraph } from "../components/flow-map";
import { LocalTime } from "../components/local-time";
import { WitnessPath } from "../components/witness-path";
import { categoryLabel, purposeLabel } from "../i18n";
import { getStore } from "../store.server";

export const meta: MetaFunction = () => [{ title: "Provtopia" }];

/**
 * The signed-in subject's own flows, and no one else's: the subject comes from the session,
 * and a flow named in the URL (`?flow=ID`, its witness path) must be one of theirs.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const { user, subjectId, headers } = await requireSubject(request);
  const store = await getStore();
  const ref = await subjectRefOf(store, subjectId);
  const flows = ref ? ((await subjectFlowSummaries(store, ref)) ?? []) : [];
  const asked = new URL(request.url).searchParams.get("flow");
  let witness: { flowId: number; steps: Awaited<ReturnType<typeof flowWitness>> } | null = null;
  if (asked !== null) {
    const flowId = Number(asked);
    // Someone else's flow and a flow that does not exist look the same: not found.
    if (!Number.isSafeInteger(flowId) || !(await subjectOwnsFlow(store, subjectId, flowId))) {
      throw new Response("No such flow of yours.", { status: 404 });
    }
    witness = { flowId, steps: await flowWitness(store, flowId) };
  }
  return data({ displayName: user.displayName, flows, witness }, { headers });
}

type Flow = ReturnType<typeof useLoaderData<typeof loader>>["flows"][number];

/** The map's graph: one node per category, service and organisation; one arrow per flow pair. */
function mapGraph(t: TFunction, flows: Flow[]): FlowMapGraph {
  const serviceIds = new Map<string, number>();
  const links = new Map<string, FlowMapGraph["links"][number]>();
  const services: FlowMapGraph["services"] = [];
  for (const flow of flows) {
    let id = serviceIds.get(flow.service);
    if (id === undefined) {
      id = serviceIds.size + 1;
      serviceIds.set(flow.service, id);
      services.push({ id, name: flow.service, organisation: flow.organisation });
    }
    const key = `${flow.category}\u0000${id}`;
    const unlawful = flow.status !== "allowed";
    const link = links.get(key);
    if (link) link.unlawful ||= unlawful;
    else links.set(key, { category: flow.category, serviceId: id, unlawful });
  }
  const categories = [...new Set(flows.map((f) => f.category))].map((key) => ({
    key,
    label: categoryLabel(t, key),
  }));
  return { categories, services, links: [...links.values()] };
}

export default function MyData() {
  const { t } = useTranslation();
  const { displayName, flows, witness } = useLoaderData<typeof loader>();
  const services = new Set(flows.map((f) => f.service)).size;
  const organisations = new Set(flows.flatMap((f) => (f.organisation ? [f.organisation] : [])))
    .size;
  const categories = [...new Set(flows.map((f) => f.category))];
  const unlawful = flows.filter((f) => f.status !== "allowed").length;
  const shownFlow = witness ? flows.find((f) => f.id === witness.flowId) : undefined;

  return (
    <section className="page">
      <p className="greeting">{t("me.greeting", { name: displayName })}</p>
      <h1>{t("me.title")}</h1>
      <p className="lead">{t("me.lead")}</p>
      <div className="actions">
        <Link to="/me/choices" data-testid="choices-link">
          {t("me.choicesLink")}
        </Link>
        <Form method="post" action="/me/download" reloadDocument>
          <button type="submit" className="link-button" data-testid="download-link">
            {t("me.downloadLink")}
          </button>
        </Form>
      </div>
      {flows.length === 0 ? (
        <p className="empty" data-testid="no-flows">
          {t("me.empty")}
        </p>
      ) : (
        <>
          <div className="summary">
            <p>
              {t("me.serviceSummary", {
                services: t("me.services", { count: services }),
                organisations: t("me.organisations", { count: organisations }),
              })}
            </p>
            <p>
              <span className="label">{t("me.categoriesHeading")}</span>{" "}
              {categories.map((key) => (
                <span key={key} className="chip">
                  {categoryLabel(t, key)}
                </span>
              ))}
            </p>
          </div>
          {unlawful > 0 ? (
            <p className="notice" data-testid="unlawful-notice">
              {t("me.unlawfulNotice", { count: unlawful })}
            </p>
          ) : null}
          <h2>{t("me.mapHeading")}</h2>
          <FlowMap
            youLabel={t("me.you")}
            graph={mapGraph(t, flows)}
            loadingLabel={t("me.mapLoading")}
            description={t("me.mapDescription")}
          />
          <h2>{t("me.servicesHeading")}</h2>
          <div className="table-scroll">
            <table className="data-table flows" data-testid="flows">
              <thead>
                <tr>
                  <th scope="col">{t("me.service")}</th>
                  <th scope="col">{t("me.organisation")}</th>
                  <th scope="col">{t("me.data")}</th>
                  <th scope="col">{t("me.purpose")}</th>
                  <th scope="col">{t("me.seen")}</th>
                  <th scope="col">{t("me.status")}</th>
                  <th scope="col">
                    <span className="visually-hidden">{t("me.path")}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {flows.map((flow) => (
                  <FlowRow key={flow.id} flow={flow} selected={flow.id === witness?.flowId} />
                ))}
              </tbody>
            </table>
          </div>
          {witness && shownFlow ? (
            <section className="panel" id="path" aria-labelledby="path-heading">
              <h2 id="path-heading">
                {t("me.pathHeading", {
                  category: categoryLabel(t, shownFlow.category),
                  service: shownFlow.service,
                })}
              </h2>
              <p className="hint">{t("me.pathHelp")}</p>
              <WitnessPath steps={witness.steps ?? []} emptyLabel={t("me.pathEmpty")} />
              <p>
                <Link to="." preventScrollReset>
                  {t("me.pathClose")}
                </Link>
              </p>
            </section>
          ) : null}
          <p className="note">{t("me.ordering")}</p>
        </>
      )}
    </section>
  );
}

function FlowRow({ flow, selected }: { flow: Flow; selected: boolean }) {
  const { t, i18n } = useTranslation();
  return (
    <tr className={selected ? "selected" : undefined} data-status={flow.status} data-testid="flow">
      <th scope="row">{flow.service}</th>
      <td>{flow.organisation ?? t("me.unknownOrganisation")}</td>
      <td>{categoryLabel(t, flow.category)}</td>
      <td>{flow.purpose ? purposeLabel(t, flow.purpose) : t("me.noPurpose")}</td>
      <td className="seen">
        {flow.firstSeen ? (
          <>
            <LocalTime iso={flow.firstSeen} locale={i18n.language} compact />
            {flow.lastSeen && flow.lastSeen !== flow.firstSeen ? (
              <>
                {" – "}
                <LocalTime iso={flow.lastSeen} locale={i18n.language} compact />
              </>
            ) : null}
          </>
        ) : (
          t("me.timeUnknown")
        )}
        <span className="uses">{t("me.uses", { count: flow.count })}</span>
        {flow.ordered ? null : (
          <span className="badge muted" title={t("me.unorderedHelp")}>
            {t("me.unordered")}
          </span>
        )}
      </td>
      <td>
        <FlowStatus flow={flow} />
      </td>
      <td>
        <Link to={`/me/why/${flow.id}`} className="why-link" data-testid="why-link">
          {t("why.link")}
        </Link>{" "}
        <Link to={`?flow=${flow.id}#path`} preventScrollReset aria-current={selected || undefined}>
          {t("me.showPath")}
        </Link>
      </td>
    </tr>
  );
}

function FlowStatus({ flow }: { flow: Flow }) {
  const { t } = useTranslation();
  if (flow.status === "allowed") {
    return (
      <span className="status allowed">
        {flow.legalBasis
          ? t("me.statusAllowedBasis", { basis: t(`legalBasis.${flow.legalBasis}`) })
          : t("me.statusAllowed")}
      </span>
    );
  }
  return (
    <span className="status unlawful">
      {t(flow.status === "after-block" ? "me.statusAfterBlock" : "me.statusNoLegalBasis")}
    </span>
  );
}
