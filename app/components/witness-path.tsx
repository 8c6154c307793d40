/**
 * A witness path: the nodes of the provenance graph that carried the data from where it was
 * collected to the service, in order, each with the service it belongs to. Props in, JSX out.
 */
export interface WitnessStepView {
  node: string;
  label: string | null;
  service: string | null;
}

export function WitnessPath({
  steps,
  emptyLabel,
}: {
  steps: WitnessStepView[];
  /** Shown when no path was found (already translated). */
  emptyLabel: string;
}) {
  if (steps.length === 0) return <p className="empty">{emptyLabel}</p>;
  return (
    <ol className="witness-path" data-testid="witness-path">
      {steps.map((step) => (
        // A path passes each node once (it is a shortest path).
        <li key={step.node} className="witness-step">
          <span className="step-label">{step.label ?? step.node}</span>
          {step.service ? <span className="chip service">{step.service}</span> : null}
          {step.label ? <code className="step-id">{step.node}</code> : null}
        </li>
      ))}
    </ol>
  );
}
