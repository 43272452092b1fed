// In-memory evaluation of one flag for one context: no I/O. A flag is compiled once when its
// tenant·environment is loaded (constraints and segments into predicates, the variants into
// cumulative weights, the values), then evaluated per request: quota rules first, then the parent
// flags it depends on, then its strategies in order (the first that matches decides), then the
// variant of the matching strategy (or of the flag). Pure platform code: the server evaluates with
// this file and so does @flagmeter/sdk's local evaluation (LocalFlags), so the two cannot drift.
import { compileConstraint, fieldText, type EvalContext, type Predicate } from './constraints.ts';
import { bucket } from './murmur3.ts';
import type { Constraint, Flag, FlagStrategy, FlagValue, QuotaRule, Variant } from './model.ts';
import { compileVariants, pickVariant, stickyId, type CompiledVariants } from './variants.ts';

export type { EvalContext } from './constraints.ts';

/** The OpenFeature reasons this evaluator gives. */
export type Reason = 'STATIC' | 'TARGETING_MATCH' | 'SPLIT' | 'DISABLED' | 'DEFAULT';

export interface CompiledStrategy {
  /** Every constraint and segment constraint; empty: everyone. */
  tests: readonly Predicate[];
  /** What each test was compiled from (and the segment it came from): what the playground names when one fails. */
  sources: readonly { constraint: Constraint; segment?: string }[];
  /** A segment the strategy names that does not exist: it matches no one. */
  missingSegment?: string;
  /** Some constraint reads the targetingKey (without one the strategy cannot match it). */
  readsUser: boolean;
  targeted: boolean;
  /** Bucketed: a rollout below 100%, or stickiness on a named field (which must be there even at 100%, as in Unleash). */
  bucketed: boolean;
  rollout: number;
  stickiness: string;
  group: string;
  off: boolean;
  variants: CompiledVariants | undefined;
}

export interface CompiledFlag {
  flag: Flag;
  /** Inherited from the global flags (the tenant has no flag of its own with this key). */
  inherited: boolean;
  on: FlagValue;
  off: FlagValue;
  strategies: readonly CompiledStrategy[];
  variants: CompiledVariants | undefined;
  /** Highest atPercent first, so the first rule reached wins. */
  rules: readonly QuotaRule[];
}

export interface Evaluation {
  value: FlagValue;
  variant: string;
  reason: Reason;
  /** The flag served its on side (what a dependent flag asks of its parent). */
  on: boolean;
  /** The strategy needs a user and the context has none: the user is out (OFREP answers TARGETING_KEY_MISSING). */
  userMissing?: true;
  /** The quota rule that decided, with the percent it saw. */
  quota?: { rule: QuotaRule; percent: number };
  /** Features named by rules for which the tenant has no limit (such rules do not apply). */
  noLimit?: string[];
  /** Budget rules (budget: true) did not apply: the tenant has no money budget. */
  noBudget?: true;
  /** The parent flag whose requirement was not met (the flag is off). */
  unmetDependency?: string;
  /** The index of the strategy that decided (in flag.strategies). */
  strategy?: number;
}

/**
 * Use of one limit: tokens, or money in exact units (QuotaSnapshots scales it to integers), never a
 * float, so the comparison with a rule's percent is exact.
 */
export interface LimitUse { used: number | bigint; limit: number | bigint }

/** Usage against each limit of one tenant: the quota, per-feature limits (tokens or money), the money budget. */
export interface UsageView {
  quota: LimitUse | undefined;
  features: ReadonlyMap<string, LimitUse>;
  budget?: LimitUse | undefined;
}

/** Segment constraints by name, as a flag's scope sees them (its tenant's, then the global ones). */
export type SegmentLookup = (name: string) => readonly Constraint[] | undefined;

const noSegments: SegmentLookup = () => undefined;

function compileStrategy(flag: Flag, s: FlagStrategy, segments: SegmentLookup): CompiledStrategy {
  const sources: { constraint: Constraint; segment?: string }[] = s.constraints.map((constraint) => ({ constraint }));
  let missingSegment: string | undefined;
  for (const name of s.segments) {
    const found = segments(name);
    if (found) sources.push(...found.map((constraint) => ({ constraint, segment: name })));
    else missingSegment ??= name;
  }
  const constraints = sources.map((c) => c.constraint);
  // a segment that does not exist (deleted meanwhile) matches no one, as in Unleash
  const tests = missingSegment !== undefined ? [() => false] : constraints.map(compileConstraint);
  return {
    tests, sources, ...(missingSegment !== undefined ? { missingSegment } : {}), readsUser: constraints.some((c) => c.contextName === 'targetingKey'), targeted: constraints.length > 0 || s.segments.length > 0,
    bucketed: s.rollout < 100 || (s.stickiness !== 'default' && s.stickiness !== 'random'), rollout: s.rollout, stickiness: s.stickiness, group: s.group ?? flag.key, off: s.serve === 'off', variants: compileVariants(s.variants),
  };
}

export function compile(flag: Flag, inherited: boolean, segments: SegmentLookup = noSegments): CompiledFlag {
  const boolean = flag.type === 'boolean';
  return {
    flag, inherited,
    on: boolean ? true : flag.onValue!,
    off: boolean ? false : flag.offValue!,
    strategies: flag.strategies.map((s) => compileStrategy(flag, s, segments)),
    variants: compileVariants(flag.variants),
    rules: [...flag.quotaRules].sort((a, b) => b.atPercent - a.atPercent),
  };
}

/** What a rule's `serve` means for this flag: true/false on a non-boolean flag are its on/off values. */
function served(f: CompiledFlag, serve: boolean | string): FlagValue {
  if (typeof serve === 'boolean' && f.flag.type !== 'boolean') return serve ? f.on : f.off;
  return serve;
}

/** How far into its limit the usage is (percent, 2 decimals) once a rule's threshold is reached; undefined before, or without that limit. */
export function reachedPercent(rule: QuotaRule, usage: UsageView | undefined): number | undefined {
  const limit = rule.budget ? usage?.budget : rule.feature === undefined ? usage?.quota : usage?.features.get(rule.feature);
  if (!limit) return undefined;
  // integers on both sides: used/limit >= atPercent/100 without rounding; the percent rounded half up
  const used = BigInt(limit.used);
  const lim = BigInt(limit.limit);
  if (used * 100n < BigInt(rule.atPercent) * lim) return undefined;
  return Number((used * 20_000n / lim + 1n) / 2n) / 100;
}

/** What a flag serves once this quota rule is reached (the SDK's local mode takes the rule the server reports active). */
export function quotaEvaluation(f: CompiledFlag, rule: QuotaRule, percent: number): Evaluation {
  const value = served(f, rule.serve);
  return { value, variant: `quota-${rule.atPercent}${rule.budget ? '-budget' : rule.feature === undefined ? '' : `-${rule.feature}`}`, reason: 'TARGETING_MATCH', on: value !== f.off, quota: { rule, percent } };
}

function applyQuota(f: CompiledFlag, usage: UsageView | undefined): Evaluation | undefined {
  let noLimit: string[] | undefined;
  let noBudget: true | undefined;
  for (const rule of f.rules) {
    if (rule.budget && !usage?.budget) {
      noBudget = true;
      continue;
    }
    if (rule.feature !== undefined && !usage?.features.get(rule.feature)) {
      (noLimit ??= []).includes(rule.feature) || noLimit.push(rule.feature);
      continue;
    }
    const percent = reachedPercent(rule, usage);
    if (percent !== undefined) return { ...quotaEvaluation(f, rule, percent), ...(noLimit ? { noLimit } : {}), ...(noBudget ? { noBudget } : {}) };
  }
  return noLimit || noBudget ? { value: f.off, variant: '', reason: 'DEFAULT', on: false, ...(noLimit ? { noLimit } : {}), ...(noBudget ? { noBudget } : {}) } : undefined;
}

const ON = 'on';
const OFF = 'off';

/** The flags a dependent flag's parents are looked up in, and the evaluations already made in this pass. */
export interface EvaluationPass {
  flags: ReadonlyMap<string, CompiledFlag>;
  done: Map<string, Evaluation | null>;
}

function dependencyUnmet(f: CompiledFlag, ctx: EvalContext, usage: UsageView | undefined, pass: EvaluationPass | undefined): string | undefined {
  for (const d of f.flag.dependencies) {
    const parent = pass?.flags.get(d.flag);
    if (!parent) return d.flag;
    let r = pass!.done.get(d.flag);
    // null: being evaluated further up this chain (a cycle the API refused but a mix of global and own flags could make)
    if (r === null) return d.flag;
    if (r === undefined) r = evaluate(parent, ctx, usage, pass);
    if (r.on !== d.enabled) return d.flag;
    if (d.variants.length > 0 && !d.variants.includes(r.variant)) return d.flag;
  }
  return undefined;
}

function serveVariant(f: CompiledFlag, s: CompiledStrategy, ctx: EvalContext, reason: Reason): Evaluation {
  const own = s.variants;
  const variants = own ?? f.variants;
  if (!variants) return { value: f.on, variant: ON, reason, on: true };
  const stickiness = own ? s.stickiness : f.flag.stickiness;
  // a missing sticky field: random, as Unleash
  const id = stickyId(ctx, stickiness) ?? stickyId(ctx, 'random')!;
  const picked: Variant | undefined = pickVariant(variants, own ? s.group : f.flag.key, id);
  if (!picked) return { value: f.on, variant: ON, reason, on: true };
  return { value: picked.value, variant: picked.name, reason: reason === 'STATIC' && variants.weighted ? 'SPLIT' : reason, on: true };
}

/** The id a bucketed strategy buckets by (the user, or its stickiness field); undefined when the context lacks it. */
export const bucketId = (s: CompiledStrategy, ctx: EvalContext, user: string | undefined): string | undefined =>
  s.stickiness === 'targetingKey' ? user : stickyId(ctx, s.stickiness);

/**
 * One flag for one context (a bare string: the targetingKey). `pass` holds the flags its parents
 * are found in and what this pass has evaluated already (each flag once per pass).
 */
export function evaluate(f: CompiledFlag, context: EvalContext | string | undefined, usage?: UsageView, pass?: EvaluationPass): Evaluation {
  const ctx: EvalContext = typeof context === 'object' ? context : { targetingKey: context };
  pass?.done.set(f.flag.key, null);
  const result = decide(f, ctx, usage, pass);
  pass?.done.set(f.flag.key, result);
  return result;
}

/** The result, with the quota rules that did not apply for want of a limit (features) or a budget. */
function noted(r: Evaluation, notes: Pick<Evaluation, 'noLimit' | 'noBudget'> | undefined): Evaluation {
  if (notes?.noLimit) r.noLimit = notes.noLimit;
  if (notes?.noBudget) r.noBudget = notes.noBudget;
  return r;
}

function decide(f: CompiledFlag, ctx: EvalContext, usage: UsageView | undefined, pass: EvaluationPass | undefined): Evaluation {
  if (!f.flag.enabled) return { value: f.off, variant: OFF, reason: 'DISABLED', on: false };
  let notes: Pick<Evaluation, 'noLimit' | 'noBudget'> | undefined;
  if (f.rules.length > 0) {
    const q = applyQuota(f, usage);
    if (q?.quota) return q;
    notes = q;
  }
  if (f.flag.dependencies.length > 0) {
    const unmet = dependencyUnmet(f, ctx, usage, pass);
    if (unmet !== undefined) return noted({ value: f.off, variant: OFF, reason: 'DEFAULT', on: false, unmetDependency: unmet }, notes);
  }
  if (f.strategies.length === 0) return noted(serveVariant(f, STATIC_STRATEGY, ctx, 'STATIC'), notes);
  const user = fieldText(ctx, 'targetingKey') || undefined;
  let userMissing = false;
  let split = false;
  for (let k = 0; k < f.strategies.length; k++) {
    const s = f.strategies[k]!;
    if (user === undefined && s.readsUser) userMissing = true;
    let holds = true;
    for (let i = 0; i < s.tests.length; i++) {
      if (!s.tests[i]!(ctx)) { holds = false; break; }
    }
    if (!holds) continue;
    if (s.bucketed) {
      const id = bucketId(s, ctx, user);
      if (id === undefined) {
        if (s.stickiness === 'targetingKey') userMissing = true;
        continue;
      }
      if (!(bucket(s.group, id) < s.rollout)) {
        split = true;
        continue;
      }
    }
    const reason: Reason = s.targeted ? 'TARGETING_MATCH' : s.bucketed ? 'SPLIT' : 'STATIC';
    const r = s.off ? { value: f.off, variant: OFF, reason, on: false } : serveVariant(f, s, ctx, reason);
    r.strategy = k;
    return noted(r, notes);
  }
  const miss: Evaluation = { value: f.off, variant: OFF, reason: split ? 'SPLIT' : 'DEFAULT', on: false };
  if (userMissing && !split) miss.userMissing = true;
  return noted(miss, notes);
}

const STATIC_STRATEGY: CompiledStrategy = { tests: [], sources: [], readsUser: false, targeted: false, bucketed: false, rollout: 100, stickiness: 'default', group: '', off: false, variants: undefined };
