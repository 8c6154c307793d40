/**
 * i18next settings shared by server and browser. The translations live in
 * public/locales/<lng>/<ns>.json and are bundled (a few kB each), so the first render is
 * already in the reader's language and hydration never flashes English.
 */
import type { TFunction } from "i18next";
import deCommon from "../public/locales/de/common.json";
import enCommon from "../public/locales/en/common.json";
import frCommon from "../public/locales/fr/common.json";

export const SUPPORTED_LANGUAGES = ["en", "de", "fr"] as const;
export type Language = (typeof SUPPORTED_LANGUAGES)[number];
export const FALLBACK_LANGUAGE: Language = "en";

export const resources = {
  en: { common: enCommon },
  de: { common: deCommon },
  fr: { common: frCommon },
} as const;

export const i18nConfig = {
  supportedLngs: [...SUPPORTED_LANGUAGES],
  fallbackLng: FALLBACK_LANGUAGE,
  defaultNS: "common",
  ns: ["common"],
  resources,
  interpolation: { escapeValue: false }, // React escapes
} as const;

export function isLanguage(value: unknown): value is Language {
  return typeof value === "string" && (SUPPORTED_LANGUAGES as readonly string[]).includes(value);
}

/** A data category's name in the reader's language; its key when there is no translation. */
export const categoryLabel = (t: TFunction, key: string) =>
  t(`categories.${key}`, { defaultValue: key });

/** A purpose's name in the reader's language; its key when there is no translation. */
export const purposeLabel = (t: TFunction, key: string) =>
  t(`purposes.${key}`, { defaultValue: key });
