/**
 * "Why?": one use of a subject's data told as a comic strip, from the stored facts only —
 * where the data was collected, the services it passed through (the witness path), the use,
 * and the verdict with its reason (the consent withdrawn or the block set before the use).
 * `whyStory` makes the panels (pure, tested); `WhyComic` draws them. Props in, JSX out.
 */
import type { TFunction } from "i18next";
import type { FlowSummary, WitnessStep } from "../../db/queries/flows";
import { purposeLabel } from "../i18n";
import { LocalTime } from "./local-time";

/** What the story needs of a flow (the subject's page reads FlowSummary rows). */
export type WhyFlow = Pick<
  FlowSummary,
  | "category"
  | "service"
  | "organisation"
  | "purpose"
  | "collectedFor"
  | "legalBasis"
  | "firstSeen"
  | "lastSeen"
  | "count"
  | "status"
>;

/** A step of the witness path (db/queries/flows.ts's WitnessStep). */
export type WhyStep = WitnessStep;

export interface WhyConsentEvent {
  purpose: string;
  action: "given" | "withdrawn";
  at: string;
}

export interface WhyBlock {
  service: string | null;
  organisation: string | null;
  createdAt: string;
  liftedAt: string | null;
}

export type Panel =
  | { kind: "collected"; service: string | null; what: string | null; purpose: string | null }
  | { kind: "passed"; from: string; to: string; via: string | null }
  | {
      kind: "used";
      service: string;
      organisation: string | null;
      purpose: string | null;
      firstSeen: string | null;
      count: number;
    }
  | { kind: "allowed"; basis: string | null }
  | { kind: "withdrawn"; purpose: string | null; at: string }
  | { kind: "never-consented"; purpose: string | null }
  | { kind: "no-basis"; purpose: string | null }
  | { kind: "blocked"; target: string; at: string };

/** The panels of one flow's story, in order. */
export function whyStory(
  flow: WhyFlow,
  steps: readonly WhyStep[],
  consent: readonly WhyConsentEvent[],
  blocks: readonly WhyBlock[],
): Panel[] {
  const first = steps[0];
  const panels: Panel[] = [
    {
      kind: "collected",
      service: first?.service ?? null,
      what: first ? (first.label ?? first.node) : null,
      purpose: flow.collectedFor,
    },
  ];
  // One panel per change of service along the path (nodes of no service are carriers).
  let current = first?.service ?? null;
  for (const step of steps.slice(1)) {
    if (!step.service || step.service === current) continue;
    if (current) panels.push({ kind: "passed", from: current, to: step.service, via: step.label });
    current = step.service;
  }
  panels.push({
    kind: "used",
    service: flow.service,
    organisation: flow.organisation,
    purpose: flow.purpose,
    firstSeen: flow.firstSeen,
    count: flow.count,
  });
  panels.push(verdict(flow, consent, blocks));
  return panels;
}

function verdict(
  flow: WhyFlow,
  consent: readonly WhyConsentEvent[],
  blocks: readonly WhyBlock[],
): Panel {
  const usedAt = flow.lastSeen ?? flow.firstSeen;
  const before = (at: string) => usedAt === null || at <= usedAt;
  if (flow.status === "after-block") {
    const block = blocks
      .filter(
        (b) =>
          before(b.createdAt) &&
          (b.service === flow.service ||
            (b.organisation !== null && b.organisation === flow.organisation)),
      )
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
    if (block) {
      return {
        kind: "blocked",
        target: block.service ?? block.organisation ?? "",
        at: block.createdAt,
      };
    }
  }
  if (flow.status === "allowed") return { kind: "allowed", basis: flow.legalBasis };
  if (flow.legalBasis === "consent" || flow.status === "no-legal-basis") {
    const history = consent
      .filter((e) => e.purpose === flow.purpose && before(e.at))
      .sort((a, b) => b.at.localeCompare(a.at));
    const last = history[0];
    if (last?.action === "withdrawn") {
      return { kind: "withdrawn", purpose: flow.purpose, at: last.at };
    }
    if (!last && flow.legalBasis === "consent") {
      return { kind: "never-consented", purpose: flow.purpose };
    }
  }
  return { kind: "no-basis", purpose: flow.purpose };
}

const FIGURES: Record<Panel["kind"], JSX.Element> = {
  collected: (
    <g>
      <circle cx="40" cy="22" r="11" />
      <path d="M22 62c0-12 8-20 18-20s18 8 18 20z" />
      <rect x="62" y="30" width="22" height="16" rx="2" className="paper" />
    </g>
  ),
  passed: (
    <g>
      <rect x="6" y="20" width="26" height="26" rx="4" />
      <rect x="88" y="20" width="26" height="26" rx="4" />
      <path d="M36 33h44m-8-7 8 7-8 7" className="arrow" />
    </g>
  ),
  used: (
    <g>
      <rect x="30" y="10" width="60" height="46" rx="5" />
      <path d="M40 24h40M40 34h40M40 44h24" className="lines" />
    </g>
  ),
  allowed: <path d="M30 36l18 16 40-38" className="tick" />,
  withdrawn: <path d="M32 14l56 44M88 14 32 58" className="cross" />,
  "never-consented": <path d="M32 14l56 44M88 14 32 58" className="cross" />,
  "no-basis": <path d="M32 14l56 44M88 14 32 58" className="cross" />,
  blocked: (
    <g>
      <circle cx="60" cy="36" r="24" className="stop" />
      <path d="M43 53 77 19" className="cross" />
    </g>
  ),
};

/** One panel's caption, translated. */
function Caption({ panel, t, locale }: { panel: Panel; t: TFunction; locale: string }) {
  const purpose = (key: string | null) => (key ? purposeLabel(t, key) : t("why.noPurpose"));
  const when = (iso: string | null) =>
    iso ? <LocalTime iso={iso} locale={locale} compact /> : t("why.sometime");
  switch (panel.kind) {
    case "collected":
      return (
        <>
          {panel.service
            ? t("why.collected", { service: panel.service, purpose: purpose(panel.purpose) })
            : t("why.collectedNoService", { purpose: purpose(panel.purpose) })}
          {panel.what ? <span className="why-detail">{panel.what}</span> : null}
        </>
      );
    case "passed":
      return (
        <>
          {t("why.passed", { from: panel.from, to: panel.to })}
          {panel.via ? <span className="why-detail">{panel.via}</span> : null}
        </>
      );
    case "used":
      return (
        <>
          {t("why.used", {
            service: panel.service,
            organisation: panel.organisation ?? t("me.unknownOrganisation"),
            purpose: purpose(panel.purpose),
          })}
          <span className="why-detail">
            {when(panel.firstSeen)} · {t("me.uses", { count: panel.count })}
          </span>
        </>
      );
    case "allowed":
      return (
        <>
          {panel.basis
            ? t("why.allowed", { basis: t(`legalBasis.${panel.basis}`) })
            : t("why.allowedNoBasis")}
        </>
      );
    case "withdrawn":
      return (
        <>
          {t("why.withdrawn", { purpose: purpose(panel.purpose) })}{" "}
          <span className="why-detail">{when(panel.at)}</span>
        </>
      );
    case "never-consented":
      return <>{t("why.neverConsented", { purpose: purpose(panel.purpose) })}</>;
    case "no-basis":
      return <>{t("why.noBasis", { purpose: purpose(panel.purpose) })}</>;
    case "blocked":
      return (
        <>
          {t("why.blocked", { target: panel.target })}{" "}
          <span className="why-detail">{when(panel.at)}</span>
        </>
      );
  }
}

export function WhyComic({
  panels,
  t,
  locale,
}: {
  panels: readonly Panel[];
  t: TFunction;
  locale: string;
}) {
  return (
    <ol className="why-comic" data-testid="why-comic">
      {panels.map((panel, i) => {
        const verdict = i === panels.length - 1;
        const tone = !verdict ? "" : panel.kind === "allowed" ? " ok" : " wrong";
        return (
          // The story's order is its identity: panels never move.
          // biome-ignore lint/suspicious/noArrayIndexKey: see above.
          <li key={i} className={`why-panel${tone}`} data-kind={panel.kind}>
            <svg viewBox="0 0 120 70" aria-hidden="true" className="why-figure">
              {FIGURES[panel.kind]}
            </svg>
            <p className="why-caption">
              <Caption panel={panel} t={t} locale={locale} />
            </p>
          </li>
        );
      })}
    </ol>
  );
}
