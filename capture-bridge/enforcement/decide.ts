/**
 * The local decision of an enforcement point: may this subject's data (of this category) move
 * to this service now? Pure: rules in, verdict out; the SDK (sdk.ts) keeps the rules fresh.
 *
 * - A rule blocks the subject's data of its category (every category when it names none) from
 *   reaching each of its services.
 * - Fail closed: when the point's rules are older than the bound the DPO set, every flow is
 *   refused ("stale"), whatever the rules say; before the first rule set arrived, too.
 * - A service the point does not guard is not its to judge: allowed, with reason "unguarded",
 *   so a caller can tell it apart from a checked flow.
 */

export interface RuleSetRule {
  id: number;
  subject: string;
  category: string | null;
  services: string[];
  since: string;
}

export interface RuleSet {
  pointId: number;
  point: string;
  version: number;
  services: string[];
  failClosedAfterMs: number | null;
  rules: RuleSetRule[];
}

export interface FlowRequest {
  /** The subject's stable reference (the application's `gdpr:subject`). */
  subject: string;
  /** Where the data would go. */
  service: string;
  /** What kind of data; omitted: the flow is refused if any block of the subject covers it. */
  category?: string;
}

export type Verdict =
  | { allowed: true; reason: "no-block" | "unguarded"; version: number }
  | { allowed: false; reason: "blocked"; rule: number; version: number }
  | { allowed: false; reason: "stale" | "no-rules"; version: number | null };

/** Rules indexed for decisions: subject -> its rules. */
export interface RuleIndex {
  set: RuleSet;
  bySubject: Map<string, RuleSetRule[]>;
  guarded: Set<string>;
}

export function indexRules(set: RuleSet): RuleIndex {
  const bySubject = new Map<string, RuleSetRule[]>();
  for (const rule of set.rules) {
    const list = bySubject.get(rule.subject);
    if (list) list.push(rule);
    else bySubject.set(rule.subject, [rule]);
  }
  return { set, bySubject, guarded: new Set(set.services) };
}

/**
 * Decides `request` against `index` (null: no rule set yet), whose rules were last confirmed
 * current at `freshAtMs` (epoch ms), at `nowMs`.
 */
export function decide(
  index: RuleIndex | null,
  freshAtMs: number,
  nowMs: number,
  request: FlowRequest,
): Verdict {
  if (!index) return { allowed: false, reason: "no-rules", version: null };
  const { set } = index;
  if (set.failClosedAfterMs !== null && nowMs - freshAtMs > set.failClosedAfterMs) {
    return { allowed: false, reason: "stale", version: set.version };
  }
  if (!index.guarded.has(request.service)) {
    return { allowed: true, reason: "unguarded", version: set.version };
  }
  for (const rule of index.bySubject.get(request.subject) ?? []) {
    const category =
      rule.category === null ||
      request.category === undefined ||
      rule.category === request.category;
    if (category && rule.services.includes(request.service)) {
      return { allowed: false, reason: "blocked", rule: rule.id, version: set.version };
    }
  }
  return { allowed: true, reason: "no-block", version: set.version };
}
