import type {
  InputHTMLAttributes,
  ReactNode,
  SelectHTMLAttributes,
  TextareaHTMLAttributes,
} from "react";

interface FieldShellProps {
  /** The control's id (unique on the page). */
  id: string;
  label: string;
  /** The message to show, already translated; none when the value is fine. */
  error?: string | undefined;
  /** A short explanation under the label, already translated. */
  hint?: string | undefined;
  className?: string;
  children: (describedBy: string | undefined) => ReactNode;
}

/** Label, hint and error around one control; the error is announced with it (aria-describedby). */
function FieldShell({ id, label, error, hint, className, children }: FieldShellProps) {
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy =
    [error ? errorId : null, hint ? hintId : null].filter(Boolean).join(" ") || undefined;
  const classes = ["field", className, error ? "invalid" : null].filter(Boolean).join(" ");
  return (
    <div className={classes}>
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <p className="field-hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      ) : null}
      {children(describedBy)}
    </div>
  );
}

interface FieldProps extends InputHTMLAttributes<HTMLInputElement> {
  name: string;
  label: string;
  /** The message to show, already translated; none when the value is fine. */
  error?: string | undefined;
  hint?: string | undefined;
  /** Defaults to `name`; give one when a page has several forms with the same field names. */
  id?: string;
}

function InputField({
  name,
  label,
  error,
  hint,
  id,
  shellClass,
  ...input
}: FieldProps & { shellClass?: string }) {
  const controlId = id ?? name;
  return (
    <FieldShell id={controlId} label={label} error={error} hint={hint} className={shellClass}>
      {(describedBy) => (
        <input
          id={controlId}
          name={name}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          {...input}
        />
      )}
    </FieldShell>
  );
}

/** A labelled input whose error is shown above it and announced with it (aria-describedby). */
export function Field(props: FieldProps) {
  return <InputField {...props} />;
}

/** A labelled checkbox (the box before its label), with its error like Field's. */
export function CheckboxField(props: Omit<FieldProps, "type">) {
  return <InputField {...props} type="checkbox" shellClass="checkbox" />;
}

interface SelectFieldProps extends SelectHTMLAttributes<HTMLSelectElement> {
  name: string;
  label: string;
  error?: string | undefined;
  hint?: string | undefined;
  id?: string;
  options: { value: string; label: string }[];
}

/** A labelled select, with its error like Field's. */
export function SelectField({
  name,
  label,
  error,
  hint,
  id,
  options,
  ...select
}: SelectFieldProps) {
  const controlId = id ?? name;
  return (
    <FieldShell id={controlId} label={label} error={error} hint={hint}>
      {(describedBy) => (
        <select
          id={controlId}
          name={name}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          {...select}
        >
          {options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      )}
    </FieldShell>
  );
}

interface TextAreaFieldProps extends TextareaHTMLAttributes<HTMLTextAreaElement> {
  name: string;
  label: string;
  error?: string | undefined;
  hint?: string | undefined;
  id?: string;
}

/** A labelled text area, with its hint and error like Field's. */
export function TextAreaField({ name, label, error, hint, id, ...area }: TextAreaFieldProps) {
  const controlId = id ?? name;
  return (
    <FieldShell id={controlId} label={label} error={error} hint={hint}>
      {(describedBy) => (
        <textarea
          id={controlId}
          name={name}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          {...area}
        />
      )}
    </FieldShell>
  );
}
