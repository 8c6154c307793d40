import { useNavigation } from "@remix-run/react";

/**
 * A form's submit button that names which of the page's forms was sent (`intent`), and is
 * disabled while that form is being submitted.
 */
export function IntentButton({
  intent,
  label,
  className = "button",
}: {
  intent: string;
  label: string;
  className?: string;
}) {
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" && navigation.formData?.get("intent") === intent;
  return (
    <button type="submit" name="intent" value={intent} className={className} disabled={busy}>
      {label}
    </button>
  );
}
