import { data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { flowWitness } from "../../db/queries/flows";
import { subjectOwnsFlow } from "../../db/queries/subject-access";
import { subjectChoicesAndFlows } from "../../db/queries/subject-choices";
import { requireSubject } from "../auth/session.server";
import { WhyComic, whyStory } from "../components/why-comic";
import { categoryLabel } from "../i18n";
import { getStore } from "../store.server";

export const meta: MetaFunction = () => [{ title: "Provtopia" }];

/**
 * "Why?" for one of the signed-in subject's flows: the story of that use as a comic strip.
 * Someone else's flow and a flow that does not exist look the same: not found.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { subjectId, headers } = await requireSubject(request);
  const flowId = Number(params.flowId);
  const store = await getStore();
  if (!Number.isSafeInteger(flowId) || !(await subjectOwnsFlow(store, subjectId, flowId))) {
    throw new Response("No such flow of yours.", { status: 404 });
  }
  const [steps, read] = await Promise.all([
    flowWitness(store, flowId),
    subjectChoicesAndFlows(store, subjectId),
  ]);
  const flow = read?.flows.find((f) => f.id === flowId);
  if (!read || !flow) throw new Response("No such flow of yours.", { status: 404 });
  const { choices } = read;
  const consent = [...choices.consentPurposes, ...choices.otherPurposes].flatMap((p) =>
    p.history.map((e) => ({ purpose: p.key, action: e.action, at: e.at })),
  );
  const consentGiven = choices.consentPurposes.some(
    (p) => p.key === flow.purpose && p.consent === "given",
  );
  const blocked = choices.services.find((s) => s.name === flow.service)?.blockedBy != null;
  return data(
    {
      flow,
      panels: whyStory(flow, steps ?? [], consent, choices.blocks),
      consentGiven,
      blocked,
    },
    { headers },
  );
}

export default function Why() {
  const { t, i18n } = useTranslation();
  const { flow, panels, consentGiven, blocked } = useLoaderData<typeof loader>();
  return (
    <section className="page">
      <p>
        <Link to="/me">{t("choices.back")}</Link>
      </p>
      <h1>
        {t("why.title", { service: flow.service, category: categoryLabel(t, flow.category) })}
      </h1>
      <WhyComic panels={panels} t={t} locale={i18n.language} />
      <div className="why-actions">
        {blocked ? (
          <p className="hint">{t("why.alreadyBlocked", { service: flow.service })}</p>
        ) : (
          <Link to="/me/choices#services" className="button danger" data-testid="why-never-again">
            {t("why.neverAgain", { service: flow.service })}
          </Link>
        )}
        {consentGiven ? (
          <Link to="/me/choices#consents" className="button secondary">
            {t("choices.consents.withdraw")}
          </Link>
        ) : null}
        <Link to={`/me?flow=${flow.id}#path`}>{t("why.evidence")}</Link>
      </div>
    </section>
  );
}
