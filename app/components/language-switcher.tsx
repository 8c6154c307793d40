import { Form } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { SUPPORTED_LANGUAGES } from "../i18n";

/** Native names, deliberately untranslated: a reader looks for their own language's name. */
const LANGUAGE_NAMES: Record<(typeof SUPPORTED_LANGUAGES)[number], string> = {
  en: "English",
  de: "Deutsch",
  fr: "Français",
};

export function LanguageSwitcher({ current, returnTo }: { current: string; returnTo: string }) {
  const { t } = useTranslation();
  return (
    <Form method="post" action="/lang" className="language-switcher" aria-label={t("nav.language")}>
      <input type="hidden" name="returnTo" value={returnTo} />
      {SUPPORTED_LANGUAGES.map((lng) => (
        <button
          key={lng}
          type="submit"
          name="lng"
          value={lng}
          lang={lng}
          aria-pressed={lng === current}
          className={lng === current ? "current" : undefined}
        >
          {LANGUAGE_NAMES[lng]}
        </button>
      ))}
    </Form>
  );
}
