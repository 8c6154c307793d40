import {
  type ActionFunctionArgs,
  data,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { assertSameOrigin, requireDpo } from "../../auth/session.server";
import { CopyBlock } from "../../components/copy-block";
import { LocalTime } from "../../components/local-time";
import { getStore } from "../../store.server";
import { lastVerification, logOverviews } from "./queries.server";
import { verifyLedgerNow } from "./verification.server";

export const meta: MetaFunction = () => [{ title: "Provtopia" }];

/** The DPO's view of the ledger: every log's latest signed checkpoint and the last verification. */
export async function loader({ request }: LoaderFunctionArgs) {
  const { headers } = await requireDpo(request);
  const store = await getStore();
  const [logs, verification] = await Promise.all([logOverviews(store), lastVerification(store)]);
  return data({ logs, verification }, { headers });
}

/** Runs the verifier over every log; a failed verification is a result, not an error. */
export async function action({ request }: ActionFunctionArgs) {
  assertSameOrigin(request);
  const { user, headers } = await requireDpo(request);
  return data({ run: await verifyLedgerNow(user) }, { headers });
}

type Loaded = ReturnType<typeof useLoaderData<typeof loader>>;
type Run = NonNullable<Loaded["verification"]>;
type Log = Loaded["logs"][number];

export default function Integrity() {
  const { t, i18n } = useTranslation();
  const { logs, verification } = useLoaderData<typeof loader>();
  const justRun = useActionData<typeof action>()?.run;
  const navigation = useNavigation();
  const verifying = navigation.state === "submitting" && navigation.formMethod === "POST";
  // The run this page submitted, if any; it is also the newest row the loader read back.
  const run = justRun ?? verification;
  const locale = i18n.language;
  return (
    <section className="page">
      <h1>{t("dpo.title")}</h1>
      <p className="lead">{t("dpo.lead")}</p>

      <section className="panel" aria-labelledby="verification-heading">
        <div className="panel-head">
          <h2 id="verification-heading">{t("dpo.verification.heading")}</h2>
          <Form method="post" className="panel-action">
            <button type="submit" className="button" disabled={verifying}>
              {verifying ? t("dpo.verification.running") : t("dpo.verification.run")}
            </button>
          </Form>
        </div>
        <p className="hint">{t("dpo.verification.help")}</p>
        {run ? (
          <VerificationResult run={run} locale={locale} />
        ) : (
          <p className="empty" data-testid="verification-result">
            {t("dpo.verification.never")}
          </p>
        )}
      </section>

      <h2>{t("dpo.logs.heading")}</h2>
      <p className="lead">{t("dpo.logs.intro")}</p>
      {logs.length === 0 ? (
        <p className="empty">{t("dpo.logs.empty")}</p>
      ) : (
        <ul className="log-list">
          {logs.map((log) => (
            <li key={log.origin}>
              <LogCard log={log} locale={locale} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function VerificationResult({ run, locale }: { run: Run; locale: string }) {
  const { t } = useTranslation();
  const records = t("dpo.records", { count: run.leaves });
  const headline = !run.ok
    ? t("dpo.verification.failed", { count: run.findingsTotal })
    : run.logs === null
      ? t("dpo.verification.passedRecords", { records })
      : t("dpo.verification.passed", {
          records,
          logs: t("dpo.verification.inLogs", { count: run.logs }),
        });
  return (
    <div className={run.ok ? "result ok" : "result failed"} data-testid="verification-result">
      <p className="result-headline" role="status">
        <span aria-hidden="true">{run.ok ? "✓ " : "✗ "}</span>
        {headline}
      </p>
      <p className="result-meta">
        {t("dpo.verification.finishedAt")} <LocalTime iso={run.finishedAt} locale={locale} />
      </p>
      {run.findingsUnreadable ? <p>{t("dpo.verification.unreadable")}</p> : null}
      {run.findings.length > 0 ? (
        <table className="data-table findings" data-testid="findings">
          <caption>{t("dpo.findings.caption")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("dpo.findings.log")}</th>
              <th scope="col">{t("dpo.findings.index")}</th>
              <th scope="col">{t("dpo.findings.kind")}</th>
              <th scope="col">{t("dpo.findings.detail")}</th>
            </tr>
          </thead>
          <tbody>
            {run.findings.map((finding, i) => (
              // Findings have no id; the verifier's order is stable within one run.
              // biome-ignore lint/suspicious/noArrayIndexKey: see above
              <tr key={i}>
                <td className="origin">
                  <code>{finding.log}</code>
                </td>
                <td className="number">{finding.index ?? "—"}</td>
                <td>{t(`dpo.kinds.${finding.kind}`, { defaultValue: finding.kind })}</td>
                {/* The verifier's own words, for the record: not translated. */}
                <td lang="en">{finding.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {run.findingsTotal > run.findings.length ? (
        <p className="hint">
          {t("dpo.findings.truncated", { shown: run.findings.length, total: run.findingsTotal })}
        </p>
      ) : null}
    </div>
  );
}

function LogCard({ log, locale }: { log: Log; locale: string }) {
  const { t } = useTranslation();
  const number = new Intl.NumberFormat(locale);
  const headingId = `log-${log.origin.replace(/[^a-zA-Z0-9-]/g, "-")}`;
  const { checkpoint } = log;
  return (
    <article
      className="log-card"
      aria-labelledby={headingId}
      data-testid="ledger-log"
      data-origin={log.origin}
    >
      <h3 id={headingId}>
        <code>{log.origin}</code>
      </h3>
      <dl className="facts">
        <div>
          <dt>{t("dpo.logs.records")}</dt>
          <dd>{number.format(log.records)}</dd>
        </div>
        <div>
          <dt>{t("dpo.logs.checkpointSize")}</dt>
          <dd>{checkpoint ? number.format(checkpoint.size) : "—"}</dd>
        </div>
        <div>
          <dt>{t("dpo.logs.signedAt")}</dt>
          <dd>{checkpoint ? <LocalTime iso={checkpoint.signedAt} locale={locale} /> : "—"}</dd>
        </div>
      </dl>
      {checkpoint ? (
        <>
          <CopyBlock
            label={t("dpo.logs.checkpoint")}
            text={checkpoint.note}
            copyLabel={t("dpo.logs.copyCheckpoint")}
            copiedLabel={t("dpo.logs.copied")}
            selectedLabel={t("dpo.logs.selected")}
            testId="checkpoint"
          />
          {log.records > checkpoint.size ? (
            <p className="hint">
              {t("dpo.logs.notYetCheckpointed", { count: log.records - checkpoint.size })}
            </p>
          ) : null}
        </>
      ) : (
        <p className="empty" data-testid="no-checkpoint">
          {t("dpo.logs.noCheckpoint")}
        </p>
      )}
      <CopyBlock
        label={t("dpo.logs.publicKey")}
        text={log.verifierKey}
        copyLabel={t("dpo.logs.copyKey")}
        copiedLabel={t("dpo.logs.copied")}
        selectedLabel={t("dpo.logs.selected")}
        testId="verifier-key"
      />
    </article>
  );
}
