import {
  type ActionFunctionArgs,
  data,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import { assertSameOrigin, requireDpo } from "../../auth/session.server";
import { CheckboxField, Field, SelectField } from "../../components/field";
import { IntentButton } from "../../components/intent-button";
import { LocalTime } from "../../components/local-time";
import { type FormFailure, type Intent, isIntent, LEGAL_BASES } from "./forms";
import { applyChange, loadRecord } from "./processing.server";

export const meta: MetaFunction = () => [{ title: "Provtopia" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const { headers } = await requireDpo(request);
  const url = new URL(request.url);
  const done = url.searchParams.get("done");
  const remapped = Number(url.searchParams.get("remapped") ?? "0");
  return data(
    {
      ...(await loadRecord()),
      done: isIntent(done) ? { intent: done, remapped, at: url.searchParams.get("n") ?? "" } : null,
    },
    { headers },
  );
}

/** Every change is one form with an `intent`; a refused one comes back with input and errors. */
export async function action({ request }: ActionFunctionArgs) {
  assertSameOrigin(request);
  const { user, headers } = await requireDpo(request);
  const form = await request.formData();
  const result = await applyChange(user.email, form);
  if ("errors" in result) return data<FormFailure>(result, { status: 400, headers });
  const params = new URLSearchParams({
    done: result.intent,
    remapped: String(result.remapped),
    n: String(Date.now()),
  });
  return redirect(`/dpo/processing?${params}#${result.section}`, { headers });
}

type Loaded = ReturnType<typeof useLoaderData<typeof loader>>;

/** The errors and input of one form, when the last submit was that form and was refused. */
function useFormState(intent: Intent, rowId: string | null = null) {
  const { t } = useTranslation();
  const failure = useActionData<typeof action>();
  const mine =
    failure && failure.intent === intent && failure.rowId === rowId ? failure : undefined;
  return {
    failed: mine !== undefined,
    id: (field: string) => `${intent}-${rowId ?? "new"}-${field}`,
    error: (field: string) => {
      const key = mine?.errors[field];
      return key ? t(key) : undefined;
    },
    value: (field: string, fallback = "") => (mine ? (mine.values[field] ?? "") : fallback),
    checked: (field: string, fallback: boolean) => (mine ? mine.values[field] === "on" : fallback),
  };
}

const legalBasisOptions = (t: TFunction) =>
  LEGAL_BASES.map((basis) => ({ value: basis, label: t(`legalBasis.${basis}`) }));

export default function RecordOfProcessing() {
  const { t } = useTranslation();
  const record = useLoaderData<typeof loader>();
  const { done } = record;
  const formError = useActionData<typeof action>()?.errors.form;
  return (
    <section className="page">
      <h1>{t("processing.title")}</h1>
      <p className="lead">{t("processing.lead")}</p>
      {done ? (
        <p className="result ok" role="status" data-testid="change-done">
          {t(`processing.done.${done.intent}`, { count: done.remapped })}
        </p>
      ) : null}
      {formError ? (
        <p className="result failed" role="alert">
          {t(formError)}
        </p>
      ) : null}
      <nav className="page-toc" aria-label={t("processing.contents")}>
        <a href="#organisations">{t("processing.organisations.heading")}</a>
        <a href="#services">{t("processing.services.heading")}</a>
        <a href="#purposes">{t("processing.purposes.heading")}</a>
        <a href="#rules">{t("processing.rules.heading")}</a>
        <a href="#changes">{t("processing.changes.heading")}</a>
      </nav>
      <Organisations record={record} formKey={done?.at ?? ""} />
      <Services record={record} formKey={done?.at ?? ""} />
      <Purposes record={record} formKey={done?.at ?? ""} />
      <Rules record={record} formKey={done?.at ?? ""} />
      <Changes changes={record.changes} />
    </section>
  );
}

interface SectionProps {
  record: Loaded;
  /** Changes after each successful change, so the add forms start empty again. */
  formKey: string;
}

function Organisations({ record, formKey }: SectionProps) {
  const { t } = useTranslation();
  const add = useFormState("add-organisation");
  return (
    <section className="panel" id="organisations" aria-labelledby="organisations-heading">
      <h2 id="organisations-heading">{t("processing.organisations.heading")}</h2>
      <p className="hint">{t("processing.organisations.help")}</p>
      {record.organisations.length === 0 ? (
        <p className="empty">{t("processing.organisations.empty")}</p>
      ) : (
        <table className="data-table" data-testid="organisations">
          <thead>
            <tr>
              <th scope="col">{t("processing.organisations.name")}</th>
              <th scope="col">{t("processing.organisations.role")}</th>
              <th scope="col">{t("processing.organisations.services")}</th>
              <th scope="col">{t("processing.change")}</th>
            </tr>
          </thead>
          <tbody>
            {record.organisations.map((o) => (
              <tr key={o.id}>
                <th scope="row">{o.name}</th>
                <td>
                  {o.thirdParty ? (
                    <span className="badge third-party">
                      {t("processing.organisations.thirdParty")}
                    </span>
                  ) : (
                    t("processing.organisations.own")
                  )}
                </td>
                <td className="number">{o.services}</td>
                <td>
                  <EditOrganisation organisation={o} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Form method="post" className="inline-form" key={`org-${formKey}`} noValidate>
        <h3>{t("processing.organisations.add")}</h3>
        <div className="form-row">
          <Field
            id={add.id("name")}
            name="name"
            label={t("processing.organisations.name")}
            error={add.error("name")}
            defaultValue={add.value("name")}
          />
          <CheckboxField
            id={add.id("thirdParty")}
            name="thirdParty"
            label={t("processing.organisations.isThirdParty")}
            defaultChecked={add.checked("thirdParty", false)}
          />
          <IntentButton intent="add-organisation" label={t("processing.organisations.addButton")} />
        </div>
      </Form>
    </section>
  );
}

function EditOrganisation({ organisation }: { organisation: Loaded["organisations"][number] }) {
  const { t } = useTranslation();
  const edit = useFormState("update-organisation", String(organisation.id));
  return (
    <details open={edit.failed}>
      <summary>{t("processing.edit")}</summary>
      <Form method="post" className="stack edit-form" noValidate>
        <input type="hidden" name="id" value={organisation.id} />
        <Field
          id={edit.id("name")}
          name="name"
          label={t("processing.organisations.name")}
          error={edit.error("name")}
          defaultValue={edit.value("name", organisation.name)}
        />
        <CheckboxField
          id={edit.id("thirdParty")}
          name="thirdParty"
          label={t("processing.organisations.isThirdParty")}
          defaultChecked={edit.checked("thirdParty", organisation.thirdParty)}
        />
        <IntentButton intent="update-organisation" label={t("processing.save")} />
      </Form>
    </details>
  );
}

function organisationOptions(t: TFunction, record: Loaded) {
  return [
    { value: "", label: t("processing.services.noOrganisation") },
    ...record.organisations.map((o) => ({ value: String(o.id), label: o.name })),
  ];
}

function Services({ record, formKey }: SectionProps) {
  const { t } = useTranslation();
  const add = useFormState("add-service");
  return (
    <section className="panel" id="services" aria-labelledby="services-heading">
      <h2 id="services-heading">{t("processing.services.heading")}</h2>
      <p className="hint">{t("processing.services.help")}</p>
      {record.services.length === 0 ? (
        <p className="empty">{t("processing.services.empty")}</p>
      ) : (
        <table className="data-table" data-testid="services-table">
          <thead>
            <tr>
              <th scope="col">{t("processing.services.name")}</th>
              <th scope="col">{t("processing.services.organisation")}</th>
              <th scope="col">{t("processing.services.nodes")}</th>
              <th scope="col">{t("processing.change")}</th>
            </tr>
          </thead>
          <tbody>
            {record.services.map((s) => (
              <tr key={s.id}>
                <th scope="row">{s.name}</th>
                <td>{s.organisation ?? t("processing.services.noOrganisation")}</td>
                <td className="number">
                  {s.nodes}
                  {s.byRule > 0 ? (
                    <span className="by">
                      {t("processing.services.byRule", { count: s.byRule })}
                    </span>
                  ) : null}
                </td>
                <td>
                  <EditService service={s} record={record} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Form method="post" className="inline-form" key={`service-${formKey}`} noValidate>
        <h3>{t("processing.services.add")}</h3>
        <div className="form-row">
          <Field
            id={add.id("name")}
            name="name"
            label={t("processing.services.name")}
            error={add.error("name")}
            defaultValue={add.value("name")}
          />
          <SelectField
            id={add.id("organisationId")}
            name="organisationId"
            label={t("processing.services.organisation")}
            error={add.error("organisationId")}
            defaultValue={add.value("organisationId")}
            options={organisationOptions(t, record)}
          />
          <IntentButton intent="add-service" label={t("processing.services.addButton")} />
        </div>
      </Form>
    </section>
  );
}

function EditService({ service, record }: { service: Loaded["services"][number]; record: Loaded }) {
  const { t } = useTranslation();
  const edit = useFormState("update-service", String(service.id));
  return (
    <details open={edit.failed}>
      <summary>{t("processing.edit")}</summary>
      <Form method="post" className="stack edit-form" noValidate>
        <input type="hidden" name="id" value={service.id} />
        <Field
          id={edit.id("name")}
          name="name"
          label={t("processing.services.name")}
          error={edit.error("name")}
          defaultValue={edit.value("name", service.name)}
        />
        <SelectField
          id={edit.id("organisationId")}
          name="organisationId"
          label={t("processing.services.organisation")}
          error={edit.error("organisationId")}
          defaultValue={edit.value("organisationId", String(service.organisationId ?? ""))}
          options={organisationOptions(t, record)}
        />
        <IntentButton intent="update-service" label={t("processing.save")} />
      </Form>
    </details>
  );
}

function serviceOptions(t: TFunction, record: Loaded) {
  return [
    { value: "", label: t("processing.chooseService") },
    ...record.services.map((s) => ({ value: String(s.id), label: s.name })),
  ];
}

function Purposes({ record, formKey }: SectionProps) {
  const { t } = useTranslation();
  const add = useFormState("save-purpose");
  return (
    <section className="panel" id="purposes" aria-labelledby="purposes-heading">
      <h2 id="purposes-heading">{t("processing.purposes.heading")}</h2>
      <p className="hint">{t("processing.purposes.help")}</p>
      {record.purposes.length === 0 ? (
        <p className="empty">{t("processing.purposes.empty")}</p>
      ) : (
        <table className="data-table" data-testid="purposes">
          <thead>
            <tr>
              <th scope="col">{t("processing.purposes.key")}</th>
              <th scope="col">{t("processing.purposes.service")}</th>
              <th scope="col">{t("processing.purposes.legalBasis")}</th>
              <th scope="col">{t("processing.purposes.retention")}</th>
            </tr>
          </thead>
          <tbody>
            {record.purposes.map((p) => (
              <tr key={p.id}>
                <th scope="row">
                  <code>{p.key}</code>
                </th>
                <td>{p.service ?? "—"}</td>
                <td>
                  {p.legalBasis ? (
                    t(`legalBasis.${p.legalBasis}`)
                  ) : (
                    <span className="badge warning">{t("processing.purposes.noBasis")}</span>
                  )}
                </td>
                <td className="number">
                  {p.retentionDays === null
                    ? t("processing.purposes.noRetention")
                    : t("processing.purposes.days", { count: p.retentionDays })}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Form method="post" className="inline-form" key={`purpose-${formKey}`} noValidate>
        <h3>{t("processing.purposes.add")}</h3>
        <p className="hint">{t("processing.purposes.addHelp")}</p>
        <div className="form-row">
          <Field
            id={add.id("key")}
            name="key"
            label={t("processing.purposes.key")}
            error={add.error("key")}
            defaultValue={add.value("key")}
          />
          <SelectField
            id={add.id("serviceId")}
            name="serviceId"
            label={t("processing.purposes.service")}
            error={add.error("serviceId")}
            defaultValue={add.value("serviceId")}
            options={serviceOptions(t, record)}
          />
          <SelectField
            id={add.id("legalBasis")}
            name="legalBasis"
            label={t("processing.purposes.legalBasis")}
            error={add.error("legalBasis")}
            defaultValue={add.value("legalBasis")}
            options={[
              { value: "", label: t("processing.purposes.chooseBasis") },
              ...legalBasisOptions(t),
            ]}
          />
          <Field
            id={add.id("retentionDays")}
            name="retentionDays"
            label={t("processing.purposes.retentionDays")}
            error={add.error("retentionDays")}
            defaultValue={add.value("retentionDays")}
            inputMode="numeric"
            className="short"
          />
          <IntentButton intent="save-purpose" label={t("processing.purposes.addButton")} />
        </div>
      </Form>
    </section>
  );
}

function Rules({ record, formKey }: SectionProps) {
  const { t, i18n } = useTranslation();
  const add = useFormState("add-rule");
  const any = t("processing.rules.any");
  return (
    <section className="panel" id="rules" aria-labelledby="rules-heading">
      <h2 id="rules-heading">{t("processing.rules.heading")}</h2>
      <p className="hint">{t("processing.rules.help")}</p>
      {record.rules.length === 0 ? (
        <p className="empty">{t("processing.rules.empty")}</p>
      ) : (
        <table className="data-table" data-testid="rules">
          <thead>
            <tr>
              <th scope="col">{t("processing.rules.service")}</th>
              <th scope="col">{t("processing.rules.host")}</th>
              <th scope="col">{t("processing.rules.executable")}</th>
              <th scope="col">{t("processing.rules.processName")}</th>
              <th scope="col">{t("processing.rules.priority")}</th>
              <th scope="col">{t("processing.rules.added")}</th>
              <th scope="col">
                <span className="visually-hidden">{t("processing.change")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {record.rules.map((r) => (
              <tr key={r.id} data-rule={r.id}>
                <th scope="row">{r.service}</th>
                <td>{r.host ?? any}</td>
                <td>{r.executable ? <code>{r.executable}</code> : any}</td>
                <td>{r.processName ? <code>{r.processName}</code> : any}</td>
                <td className="number">{r.priority}</td>
                <td className="when">
                  <LocalTime iso={r.createdAt} locale={i18n.language} />
                  {r.createdBy ? <span className="by">{r.createdBy}</span> : null}
                </td>
                <td>
                  <Form method="post">
                    <input type="hidden" name="id" value={r.id} />
                    <button
                      type="submit"
                      name="intent"
                      value="remove-rule"
                      className="link-button danger"
                    >
                      {t("processing.rules.remove")}
                    </button>
                  </Form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Form method="post" className="inline-form" key={`rule-${formKey}`} noValidate>
        <h3>{t("processing.rules.add")}</h3>
        <p className="hint">{t("processing.rules.addHelp")}</p>
        <div className="form-row">
          <SelectField
            id={add.id("serviceId")}
            name="serviceId"
            label={t("processing.rules.service")}
            error={add.error("serviceId")}
            defaultValue={add.value("serviceId")}
            options={serviceOptions(t, record)}
          />
          <Field
            id={add.id("host")}
            name="host"
            label={t("processing.rules.host")}
            hint={t("processing.rules.hostHint")}
            error={add.error("host")}
            defaultValue={add.value("host")}
            list="known-hosts"
          />
          <Field
            id={add.id("executable")}
            name="executable"
            label={t("processing.rules.executable")}
            hint={t("processing.rules.executableHint")}
            error={add.error("executable")}
            defaultValue={add.value("executable")}
          />
          <Field
            id={add.id("processName")}
            name="processName"
            label={t("processing.rules.processName")}
            hint={t("processing.rules.processNameHint")}
            error={add.error("processName")}
            defaultValue={add.value("processName")}
          />
          <Field
            id={add.id("priority")}
            name="priority"
            label={t("processing.rules.priority")}
            error={add.error("priority")}
            defaultValue={add.value("priority", "0")}
            inputMode="numeric"
            className="short"
          />
          <IntentButton intent="add-rule" label={t("processing.rules.addButton")} />
        </div>
        <datalist id="known-hosts">
          {record.hosts.map((host) => (
            <option key={host} value={host} />
          ))}
        </datalist>
      </Form>
    </section>
  );
}

function Changes({ changes }: { changes: Loaded["changes"] }) {
  const { t, i18n } = useTranslation();
  return (
    <section className="panel" id="changes" aria-labelledby="changes-heading">
      <h2 id="changes-heading">{t("processing.changes.heading")}</h2>
      <p className="hint">{t("processing.changes.help")}</p>
      {changes.length === 0 ? (
        <p className="empty">{t("processing.changes.empty")}</p>
      ) : (
        <ol className="change-list" data-testid="changes">
          {changes.map((change) => (
            <li key={change.seq} className="change-row">
              <span className="when">
                <LocalTime iso={change.at} locale={i18n.language} compact />
              </span>
              <span className="who">{change.actor}</span>
              <span className="what">
                {t(`processing.changes.kinds.${change.type.replace(/^processing\./, "")}`, {
                  ...change.details,
                  ...(change.details.legalBasis
                    ? { legalBasis: t(`legalBasis.${change.details.legalBasis}`) }
                    : {}),
                  retention:
                    change.details.retentionDays && change.details.retentionDays !== "—"
                      ? t("processing.purposes.days", {
                          count: Number(change.details.retentionDays),
                        })
                      : t("processing.changes.noRetention"),
                  defaultValue: change.type,
                })}
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
