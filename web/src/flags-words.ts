// A flag's rule in words, as the editor shows it while one builds it: "users with plan pro and
// country DE: 30% get 'v2'". Pure (tests/console/flags-words.test.ts). The list's own summary
// comes from the server (describeFlag); this one follows the draft as it is typed, strategy by
// strategy, so it reads what the form holds even before it is saved.
import type { ConstraintInput, DependencyInput, Operator } from './api/types.ts';

interface Weighted { name: string; weight: number }
/** What the words read of a strategy: StrategyInput and the list's strategies both are one. */
export interface StrategyLike {
  constraints?: ConstraintInput[] | undefined; segments?: string[] | undefined; rollout?: number | undefined; stickiness?: string | undefined;
  serve?: 'on' | 'off' | undefined; variants?: Weighted[] | undefined;
}
export interface RuleLike { strategies: StrategyLike[]; variants?: Weighted[] | undefined; dependencies?: DependencyInput[] | undefined }

const SYMBOL: Partial<Record<Operator, string>> = {
  num_eq: '=', num_gt: '>', num_gte: '≥', num_lt: '<', num_lte: '≤',
  semver_eq: '= version', semver_gt: '> version', semver_gte: '≥ version', semver_lt: '< version', semver_lte: '≤ version',
  date_after: 'after', date_before: 'before',
};
const PHRASE: Partial<Record<Operator, string>> = { str_contains: 'containing', str_starts_with: 'starting with', str_ends_with: 'ending with' };

/** "a", "a or b", "a, b or c", "one of a, b, c and 2 more". */
export function alternatives(values: readonly string[], quote = false): string {
  const q = values.map((v) => (quote ? `'${v}'` : v));
  if (q.length === 0) return '(no values)';
  if (q.length <= 3) return q.length === 1 ? q[0]! : `${q.slice(0, -1).join(', ')} or ${q.at(-1)}`;
  return `one of ${q.slice(0, 3).join(', ')} and ${q.length - 3} more`;
}

export function constraintWords(c: ConstraintInput): string {
  const field = c.contextName || '(a field)';
  const values = c.values ?? [];
  let words: string;
  if (c.operator === 'in') words = `${field} ${alternatives(values)}`;
  else if (c.operator === 'not_in') words = values.length === 1 ? `${field} not ${values[0]}` : `${field} not in ${values.length <= 3 ? values.join(', ') : alternatives(values).replace(/^one of /, '')}`;
  else if (PHRASE[c.operator]) words = `${field} ${PHRASE[c.operator]} ${alternatives(values, true)}`;
  else words = `${field} ${SYMBOL[c.operator]} ${c.value ?? ''}`.trimEnd();
  if (c.caseInsensitive) words += ' (any case)';
  return c.inverted ? `not ${words}` : words;
}

function variantWords(list: readonly Weighted[]): string {
  if (list.length === 1) return `'${list[0]!.name}'`;
  return alternatives(list.map((v) => `'${v.name}' (${v.weight}%)`)).replace(/^one of /, '');
}

/** Who a strategy (or a segment) is for: "users with plan pro and in segment beta", "everyone". */
export function whoWords(s: StrategyLike): string {
  const conds = (s.constraints ?? []).map(constraintWords).join(' and ');
  const segs = (s.segments ?? []).map((n) => `in segment ${n}`).join(' and ');
  if (conds && segs) return `users with ${conds} and ${segs}`;
  if (conds) return `users with ${conds}`;
  return segs ? `users ${segs}` : 'everyone';
}

/** One strategy: "users with plan pro: 30% get 'v2'", "everyone: on", "users with email ending with '@x.com': off". */
export function strategyWords(s: StrategyLike, flagVariants: readonly Weighted[] = []): string {
  const who = whoWords(s);
  const rollout = s.rollout ?? 100;
  const sticky = s.stickiness && s.stickiness !== 'default' && rollout < 100 ? ` (sticky by ${s.stickiness})` : '';
  const share = rollout < 100 ? `${rollout}% ` : '';
  if (s.serve === 'off') return `${who}: ${share}off${sticky}`;
  const variants = (s.variants?.length ?? 0) > 0 ? s.variants! : flagVariants;
  if (variants.length === 0) return `${who}: ${share}on${sticky}`;
  if (rollout < 100) return `${who}: ${share}get ${variantWords(variants)}${sticky}`;
  return `${who} ${who === 'everyone' ? 'gets' : 'get'} ${variantWords(variants)}`;
}

function parentWords(d: DependencyInput): string {
  if (d.enabled === false) return `${d.flag} is off`;
  return (d.variants?.length ?? 0) > 0 ? `${d.flag} serves ${alternatives(d.variants!)}` : `${d.flag} is on`;
}

/** The whole rule: parents first, then each strategy that can still be reached, "; else " between them, and off when none matches. */
export function ruleWords(r: RuleLike): string {
  const flagVariants = r.variants ?? [];
  const parts: string[] = [];
  let catchAll = false;
  for (const s of r.strategies.length === 0 ? [{}] : r.strategies) {
    parts.push(strategyWords(s, flagVariants));
    // everyone, all of them: the strategies after it are never tried
    catchAll = (s.constraints?.length ?? 0) === 0 && (s.segments?.length ?? 0) === 0 && (s.rollout ?? 100) === 100;
    if (catchAll) break;
  }
  // none matched: the off value
  if (!catchAll) parts.push('off');
  const parents = (r.dependencies ?? []).map(parentWords);
  return `${parents.length > 0 ? `if ${parents.join(' and ')}: ` : ''}${parts.join('; else ')}`;
}

/** A quota rule as the words read it (the API's, the list's, the playground's). */
export interface QuotaRuleLike { atPercent: number; serve?: boolean | string | undefined; feature?: string | undefined; budget?: boolean | undefined }

/** What a quota rule follows: "the quota", "the monthly budget", "the gpt-4o limit". */
export const quotaTargetWords = (r: QuotaRuleLike): string => (r.budget ? 'the monthly budget' : r.feature ? `the ${r.feature} limit` : 'the quota');

/** "at 100% of the monthly budget: off", "at 90% of the quota: 'gpt-4o-mini'", "at 80% of the gpt-4o limit: on". */
export function quotaRuleWords(r: QuotaRuleLike): string {
  const serve = typeof r.serve === 'string' ? `'${r.serve}'` : r.serve ? 'on' : 'off';
  return `at ${r.atPercent}% of ${quotaTargetWords(r)}: ${serve}`;
}

/** What the playground says of one flag (its answer, as POST /api/flags/playground gives it). */
export interface WhyLike {
  reason: string; on: boolean; strategyIndex: number | null; strategyName: string | null; unmetDependency: string | null; userMissing: boolean;
  quotaRule: (QuotaRuleLike & { percent: number }) | null;
}

/** Why a flag has its value for a context: "strategy 2 “pro in DE” matched: users with plan pro: 30% on". */
export function whyWords(w: WhyLike, strategy?: StrategyLike, flagVariants: readonly Weighted[] = []): string {
  if (w.reason === 'DISABLED') return 'the flag is disabled';
  if (w.quotaRule) return `quota rule at ${w.quotaRule.atPercent}% of ${quotaTargetWords(w.quotaRule)} (usage at ${w.quotaRule.percent}%)`;
  if (w.unmetDependency) return `parent flag ${w.unmetDependency} is not as required`;
  if (w.strategyIndex !== null) {
    const which = `strategy ${w.strategyIndex + 1}${w.strategyName ? ` “${w.strategyName}”` : ''} matched`;
    return strategy ? `${which}: ${strategyWords(strategy, flagVariants)}` : which;
  }
  if (w.userMissing) return 'no strategy matched: the context has no targetingKey, and a strategy needs one';
  if (w.reason === 'SPLIT' && !w.on) return 'a strategy matched, but its rollout leaves this user out';
  if (!w.on) return 'no strategy matched';
  return 'no strategies: on for everyone';
}

/** One strategy of the playground's trace (POST /api/flags/playground's `strategies`). */
export interface TraceLike {
  index: number; outcome: string; constraint?: ConstraintInput | undefined; segment?: string | undefined; actual?: unknown;
  field?: string | undefined; bucket?: number | undefined; rollout?: number | undefined;
}

/** A value as the playground shows it: text in quotes, anything else as JSON. */
export const valueWords = (v: unknown) => (typeof v === 'string' ? `“${v}”` : JSON.stringify(v));

/**
 * Why one strategy did not decide: "strategy 1: plan pro does not hold (plan is “free”)"; undefined
 * for the one that matched and those after it.
 */
export function traceWords(t: TraceLike): string | undefined {
  const which = `strategy ${t.index + 1}`;
  switch (t.outcome) {
    case 'constraint_failed': {
      const c = t.constraint!;
      const from = t.segment ? ` (segment ${t.segment})` : '';
      const have = t.actual === null || t.actual === undefined ? `the context has no ${c.contextName}` : `${c.contextName} is ${valueWords(t.actual)}`;
      return `${which}: ${constraintWords(c)}${from} does not hold (${have})`;
    }
    case 'segment_missing': return `${which}: segment ${t.segment} does not exist, so it matches no one`;
    case 'field_missing': return `${which}: the context has no ${t.field}, which it is sticky by`;
    case 'outside_rollout': return `${which}: bucket ${t.bucket} is not below its ${t.rollout}% rollout`;
    default: return undefined;
  }
}
