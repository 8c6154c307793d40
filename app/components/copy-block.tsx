import { useEffect, useRef, useState } from "react";

interface CopyBlockProps {
  /** What the text is, shown above it. */
  label: string;
  text: string;
  /** The button, e.g. "Copy checkpoint". */
  copyLabel: string;
  /** Shown on the button, and announced, once the text is on the clipboard. */
  copiedLabel: string;
  /** Shown when the clipboard refused: the text is then selected for Ctrl+C. */
  selectedLabel: string;
  testId?: string;
}

type CopyState = "idle" | "copied" | "selected";

/** How long the button says "copied" before it offers to copy again. */
const COPIED_STATE_MS = 2_500;

/**
 * Preformatted text with a button that copies it exactly. Without JavaScript there is no button
 * and the text is still selectable. Where the Clipboard API is missing or refused (a non-HTTPS
 * address other than localhost), the text is selected instead, ready for Ctrl+C.
 */
export function CopyBlock({
  label,
  text,
  copyLabel,
  copiedLabel,
  selectedLabel,
  testId,
}: CopyBlockProps) {
  const pre = useRef<HTMLPreElement>(null);
  const [hydrated, setHydrated] = useState(false);
  const [state, setState] = useState<CopyState>("idle");
  useEffect(() => setHydrated(true), []);
  useEffect(() => {
    if (state === "idle") return;
    const timer = setTimeout(() => setState("idle"), COPIED_STATE_MS);
    return () => clearTimeout(timer);
  }, [state]);

  const selectText = () => {
    const selection = window.getSelection();
    if (!pre.current || !selection) return;
    selection.selectAllChildren(pre.current);
    setState("selected");
  };
  const copy = () => {
    if (!navigator.clipboard) return selectText();
    navigator.clipboard.writeText(text).then(() => setState("copied"), selectText);
  };

  return (
    <figure className="copy-block" data-testid={testId}>
      <figcaption className="copy-block-head">
        <span className="label">{label}</span>
        {hydrated ? (
          <button
            type="button"
            className={state === "copied" ? "copy-button copied" : "copy-button"}
            onClick={copy}
          >
            {state === "copied" ? (
              <>
                <span aria-hidden="true">✓ </span>
                {copiedLabel}
              </>
            ) : (
              copyLabel
            )}
          </button>
        ) : null}
      </figcaption>
      <pre ref={pre}>{text}</pre>
      {/* Present from the start, so a change is announced; visible only for "selected". */}
      <p className={state === "selected" ? "hint" : "visually-hidden"} role="status">
        {state === "copied" ? copiedLabel : state === "selected" ? selectedLabel : ""}
      </p>
    </figure>
  );
}
