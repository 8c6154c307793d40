import {
  type ActionFunctionArgs,
  data,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { assertSameOrigin, requireDpo } from "../../auth/session.server";
import { CopyBlock } from "../../components/copy-block";
import { CheckboxField, Field } from "../../components/field";
import { IntentButton } from "../../components/intent-button";
import { LocalTime } from "../../components/local-time";
import { applyChange, loadPoints } from "./enforcement.server";
import { FAIL_CLOSED_MAX_MINUTES } from "./forms";

export const meta: MetaFunction = () => [{ title: "Provtopia" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const { headers } = await requireDpo(request);
  const revoked = new URL(request.url).searchParams.get("done") === "revoke";
  return data({ ...(await loadPoints()), revoked }, { headers });
}

/**
 * A registration answers on the page itself (its token is shown once, never again); a
 * revocation redirects back; a refused form comes back with its input and errors.
 */
export async function action({ request }: ActionFunctionArgs) {
  assertSameOrigin(request);
  const { user, headers } = await requireDpo(request);
  const result = await applyChange(user.email, await request.formData());
  if (!("done" in result)) return data(result, { status: 400, headers });
  if (result.done === "revoke") return redirect("/dpo/enforcement?done=revoke#points", { headers });
  // The token is in this answer: no cache may keep it.
  const noStore = new Headers(headers);
  noStore.set("Cache-Control", "no-store");
  return data(result, { headers: noStore });
}

type Loaded = ReturnType<typeof useLoaderData<typeof loader>>;
type Point = Loaded["points"][number];

export default function EnforcementPoints() {
  const { t } = useTranslation();
  const loaded = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const issued = result && "done" in result && result.done === "register" ? result.issued : null;
  const failure = result && !("done" in result) ? result : null;
  return (
    <section className="page">
      <h1>{t("enforcement.title")}</h1>
      <p className="lead">{t("enforcement.lead")}</p>
      {issued ? (
        <section className="result ok" role="status" data-testid="issued">
          <p className="result-headline">{t("enforcement.issued", { name: issued.name })}</p>
          <p>{t("enforcement.issuedOnce")}</p>
          <CopyBlock
            label={t("enforcement.token")}
            text={issued.token}
            copyLabel={t("enforcement.copy")}
            copiedLabel={t("enforcement.copied")}
            selectedLabel={t("enforcement.selected")}
            testId="issued-token"
          />
        </section>
      ) : null}
      {loaded.revoked ? (
        <p className="result ok" role="status" data-testid="revoked">
          {t("enforcement.revokedDone")}
        </p>
      ) : null}
      {failure?.errors.form ? (
        <p className="result failed" role="alert">
          {t(failure.errors.form)}
        </p>
      ) : null}
      <Points points={loaded.points} version={loaded.version} />
      <Register services={loaded.services} />
      <section className="panel" aria-labelledby="how-heading">
        <h2 id="how-heading">{t("enforcement.howHeading")}</h2>
        <p>{t("enforcement.how")}</p>
        <pre className="code">{`// Provtopia's SDK: capture-bridge/enforcement/sdk.ts
import { connectEnforcementPoint } from "./provtopia-sdk";

const point = await connectEnforcementPoint({
  bridgeUrl: "http://bridge:3001",
  token: process.env.PROVTOPIA_POINT_TOKEN,
  mqttUrl: "mqtt://broker:1883",
});
const verdict = point.decide({ subject: "subj-alice", service: "Newsletter" });
if (!verdict.allowed) return; // ${t("enforcement.howComment")}`}</pre>
      </section>
    </section>
  );
}

function Points({ points, version }: { points: Point[]; version: number }) {
  const { t, i18n } = useTranslation();
  return (
    <section className="panel" id="points" aria-labelledby="points-heading">
      <h2 id="points-heading">{t("enforcement.pointsHeading")}</h2>
      <p className="hint">{t("enforcement.version", { version })}</p>
      {points.length === 0 ? (
        <p className="empty">{t("enforcement.empty")}</p>
      ) : (
        <table className="data-table" data-testid="points">
          <thead>
            <tr>
              <th scope="col">{t("enforcement.name")}</th>
              <th scope="col">{t("enforcement.guards")}</th>
              <th scope="col">{t("enforcement.state")}</th>
              <th scope="col">{t("enforcement.lastSeen")}</th>
              <th scope="col">{t("enforcement.change")}</th>
            </tr>
          </thead>
          <tbody>
            {points.map((point) => (
              <tr key={point.id} data-testid="point" data-state={point.state}>
                <th scope="row">
                  {point.name}
                  <span className="by">
                    {point.failClosedAfterSeconds === null
                      ? t("enforcement.failsOpen")
                      : t("enforcement.failsClosed", {
                          count: Math.round(point.failClosedAfterSeconds / 60),
                        })}
                  </span>
                </th>
                <td>{point.services.join(", ")}</td>
                <td>
                  <span
                    className={`badge ${point.state === "current" ? "ok" : point.state === "revoked" ? "muted" : "warning"}`}
                  >
                    {t(`enforcement.states.${point.state}`, {
                      applied: point.appliedVersion ?? 0,
                      version,
                    })}
                  </span>
                </td>
                <td>
                  {point.lastSeenAt ? (
                    <LocalTime iso={point.lastSeenAt} locale={i18n.language} compact />
                  ) : (
                    t("enforcement.never")
                  )}
                </td>
                <td>
                  {point.state === "revoked" ? null : (
                    <Form method="post" preventScrollReset>
                      <input type="hidden" name="point" value={point.id} />
                      <IntentButton
                        intent="revoke"
                        className="button secondary"
                        label={t("enforcement.revoke")}
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

function Register({ services }: { services: string[] }) {
  const { t } = useTranslation();
  const result = useActionData<typeof action>();
  const failure = result && !("done" in result) && result.intent === "register" ? result : null;
  const error = (field: string) => {
    const key = failure?.errors[field];
    return key ? t(key) : undefined;
  };
  const chosen = new Set(failure?.values.services ?? []);
  const servicesError = error("services");
  return (
    <section className="panel" id="register" aria-labelledby="register-heading">
      <h2 id="register-heading">{t("enforcement.registerHeading")}</h2>
      <p className="hint">{t("enforcement.registerHelp")}</p>
      <Form method="post" className="stack" noValidate data-testid="register">
        <Field
          id="point-name"
          name="name"
          label={t("enforcement.name")}
          hint={t("enforcement.nameHint")}
          error={error("name")}
          defaultValue={failure?.values.name ?? ""}
          maxLength={80}
        />
        <fieldset
          className={`choices${servicesError ? " invalid" : ""}`}
          aria-describedby={servicesError ? "point-services-error" : undefined}
        >
          <legend>{t("enforcement.guards")}</legend>
          {servicesError ? (
            <p className="field-error" id="point-services-error">
              {servicesError}
            </p>
          ) : null}
          <div className="choice-grid">
            {services.map((name) => (
              <label key={name} className="choice">
                <input
                  type="checkbox"
                  name="service"
                  value={name}
                  defaultChecked={chosen.has(name)}
                />
                {name}
              </label>
            ))}
          </div>
        </fieldset>
        <CheckboxField
          id="point-fail-closed"
          name="failClosed"
          label={t("enforcement.failClosed")}
          defaultChecked={failure?.values.failClosed ?? false}
        />
        <Field
          id="point-fail-closed-minutes"
          name="failClosedMinutes"
          inputMode="numeric"
          label={t("enforcement.failClosedMinutes")}
          hint={t("enforcement.failClosedMinutesHint", { max: FAIL_CLOSED_MAX_MINUTES })}
          error={error("failClosedMinutes")}
          defaultValue={failure?.values.failClosedMinutes ?? "15"}
        />
        <IntentButton intent="register" label={t("enforcement.register")} />
      </Form>
    </section>
  );
}
