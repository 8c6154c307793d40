import type { MetaFunction } from "@remix-run/node";
import { Link, useRouteLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import type { loader as rootLoader } from "../root";

export const meta: MetaFunction = () => [{ title: "Provtopia" }];

export default function Home() {
  const { t } = useTranslation();
  const root = useRouteLoaderData<typeof rootLoader>("root");
  return (
    <section className="page hero">
      <h1>{t("home.title")}</h1>
      <p className="lead">{t("home.lead")}</p>
      <ul className="points">
        <li>{t("home.pointSee")}</li>
        <li>{t("home.pointWhy")}</li>
        <li>{t("home.pointStop")}</li>
      </ul>
      {root?.user?.role === "subject" ? (
        <Link className="button" to="/me">
          {t("nav.myData")}
        </Link>
      ) : root?.user?.role === "dpo" ? (
        <p className="cta-row">
          <Link className="button" to="/dpo/integrity">
            {t("dpo.homeCta")}
          </Link>
          <Link className="button secondary" to="/dpo/processing">
            {t("nav.processing")}
          </Link>
          <Link className="button secondary" to="/dpo/violations">
            {t("nav.violations")}
          </Link>
        </p>
      ) : root?.user ? null : (
        <Link className="button" to="/login">
          {t("home.cta")}
        </Link>
      )}
    </section>
  );
}
