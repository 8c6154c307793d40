import { useEffect, useState } from "react";

/**
 * A moment in the page's language. The server's HTML (and the browser's first render, which
 * must match it) shows it in UTC; once the page runs, in the reader's own time zone. The zone
 * name is always shown, so neither reading is ambiguous.
 */
export function LocalTime({
  iso,
  locale,
  compact = false,
}: {
  iso: string;
  locale: string;
  /** Minutes, not seconds: for tables that show many times. */
  compact?: boolean;
}) {
  const [timeZone, setTimeZone] = useState<string | undefined>("UTC");
  useEffect(() => setTimeZone(undefined), []);
  // The zone's name is shown either way (compact drops only the seconds).
  const text = new Intl.DateTimeFormat(
    locale,
    compact
      ? {
          year: "numeric",
          month: "short",
          day: "numeric",
          hour: "2-digit",
          minute: "2-digit",
          timeZoneName: "short",
          timeZone,
        }
      : { dateStyle: "medium", timeStyle: "long", timeZone },
  ).format(new Date(iso));
  // Node's and the browser's ICU may spell a date differently (spaces, abbreviations); the
  // effect above replaces the server's text right after hydration anyway.
  return (
    <time dateTime={iso} suppressHydrationWarning>
      {text}
    </time>
  );
}
