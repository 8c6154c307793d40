import { useEffect, useState } from "react";

/**
 * A moment in the page's language. The server's HTML (and the browser's first render, which
 * must match it) shows it in UTC; once the page runs, in the reader's own time zone. The zone
 * name is always shown, so neither reading is ambiguous.
 */
export function LocalTime({ iso, locale }: { iso: string; locale: string }) {
  const [timeZone, setTimeZone] = useState<string | undefined>("UTC");
  useEffect(() => setTimeZone(undefined), []);
  const text = new Intl.DateTimeFormat(locale, {
    dateStyle: "medium",
    timeStyle: "long",
    timeZone,
  }).format(new Date(iso));
  // Node's and the browser's ICU may spell a date differently (spaces, abbreviations); the
  // effect above replaces the server's text right after hydration anyway.
  return (
    <time dateTime={iso} suppressHydrationWarning>
      {text}
    </time>
  );
}
