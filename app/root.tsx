import type { LinksFunction, LoaderFunctionArgs } from "@remix-run/node";
import {
  Form,
  isRouteErrorResponse,
  Link,
  Links,
  Meta,
  NavLink,
  Outlet,
  Scripts,
  ScrollRestoration,
  useLoaderData,
  useLocation,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { useChangeLanguage } from "remix-i18next/react";
import { getUser } from "./auth/session.server";
import { LanguageSwitcher } from "./components/language-switcher";
import { i18nServer } from "./i18next.server";
import styles from "./styles.css?url";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: styles },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

export async function loader({ request }: LoaderFunctionArgs) {
  const locale = await i18nServer.getLocale(request);
  const auth = await getUser(request);
  return {
    locale,
    user: auth ? { displayName: auth.user.displayName, role: auth.user.role } : null,
  };
}

export const handle = { i18n: "common" };

export function Layout({ children }: { children: React.ReactNode }) {
  const data = useRouteLoaderData<typeof loader>("root");
  const locale = data?.locale ?? "en";
  const { i18n } = useTranslation();
  return (
    <html lang={locale} dir={i18n.dir(locale)}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        {children}
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}

function Header() {
  const { t } = useTranslation();
  const data = useRouteLoaderData<typeof loader>("root");
  const location = useLocation();
  return (
    <header className="site-header">
      <a className="skip-link" href="#main">
        {t("nav.skipToContent")}
      </a>
      <Link to="/" className="brand">
        <img src="/favicon.svg" alt="" width={28} height={28} />
        {t("app.name")}
      </Link>
      <nav aria-label="main">
        {data?.user ? (
          <>
            {data.user.role === "subject" ? (
              <>
                <NavLink to="/me" end>
                  {t("nav.myData")}
                </NavLink>
                <NavLink to="/me/choices">{t("nav.choices")}</NavLink>
              </>
            ) : null}
            {data.user.role === "dpo" ? (
              <>
                <NavLink to="/dpo/processing">{t("nav.processing")}</NavLink>
                <NavLink to="/dpo/requests">{t("nav.requests")}</NavLink>
                <NavLink to="/dpo/violations">{t("nav.violations")}</NavLink>
                <NavLink to="/dpo/quarantine">{t("nav.quarantine")}</NavLink>
                <NavLink to="/dpo/breach">{t("nav.breach")}</NavLink>
                <NavLink to="/dpo/enforcement">{t("nav.enforcement")}</NavLink>
                <NavLink to="/dpo/integrity">{t("nav.integrity")}</NavLink>
              </>
            ) : null}
            <Form method="post" action="/logout">
              <button type="submit" className="link-button">
                {t("nav.logOut")}
              </button>
            </Form>
          </>
        ) : (
          <Link to="/login">{t("nav.logIn")}</Link>
        )}
        <LanguageSwitcher
          current={data?.locale ?? "en"}
          returnTo={location.pathname + location.search}
        />
      </nav>
    </header>
  );
}

export default function App() {
  const { locale } = useLoaderData<typeof loader>();
  useChangeLanguage(locale);
  return (
    <>
      <Header />
      <main id="main">
        <Outlet />
      </main>
    </>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const { t } = useTranslation();
  const message = isRouteErrorResponse(error)
    ? error.status === 404
      ? t("errors.notFound")
      : error.status === 403
        ? t("errors.forbidden")
        : t("errors.generic")
    : t("errors.generic");
  return (
    <main id="main" className="page narrow">
      <h1>{t("errors.title")}</h1>
      <p>{message}</p>
      <p>
        <Link to="/">{t("errors.backHome")}</Link>
      </p>
    </main>
  );
}
