// In-memory evaluation of one flag for one user: no I/O, no allocation on the common paths. A flag
// is compiled once when its tenant·environment is loaded (sets for the lists, the bucketing prefix,
// the two values), then evaluated per request.
import { bucket } from './murmur3.ts';
import type { Flag, FlagValue, QuotaRule } from './model.ts';

/** The OpenFeature reasons this evaluator gives. */
export type Reason = 'STATIC' | 'TARGETING_MATCH' | 'SPLIT' | 'DISABLED' | 'DEFAULT';

export interface CompiledFlag {
  flag: Flag;
  /** Inherited from the global flags (the tenant has no flag of its own with this key). */
  inherited: boolean;
  on: FlagValue;
  off: FlagValue;
  allow: ReadonlySet<string>;
  deny: ReadonlySet<string>;
  group: string;
  /** Highest atPercent first, so the first rule reached wins. */
  rules: readonly QuotaRule[];
}

export interface Evaluation {
  value: FlagValue;
  variant: string;
  reason: Reason;
  /** The strategy needs a user and the context has none: the user is out (OFREP answers TARGETING_KEY_MISSING). */
  userMissing?: true;
  /** The quota rule that decided, with the percent it saw. */
  quota?: { rule: QuotaRule; percent: number };
  /** Features named by rules for which the tenant has no limit (such rules do not apply). */
  noLimit?: string[];
}

/** Usage against each limit of one tenant: the quota (feature null) and per-feature limits. */
export interface UsageView {
  quota: { used: number; limit: number } | undefined;
  features: ReadonlyMap<string, { used: number; limit: number }>;
}

export function compile(flag: Flag, inherited: boolean): CompiledFlag {
  const string = flag.type === 'string';
  return {
    flag, inherited,
    on: string ? flag.onValue! : true,
    off: string ? flag.offValue! : false,
    allow: new Set(flag.allow),
    deny: new Set(flag.deny),
    group: flag.group ?? flag.key,
    rules: [...flag.quotaRules].sort((a, b) => b.atPercent - a.atPercent),
  };
}

/** What a rule's `serve` means for this flag: true/false on a string flag are its on/off values. */
function served(f: CompiledFlag, serve: FlagValue): FlagValue {
  if (typeof serve === 'boolean' && f.flag.type === 'string') return serve ? f.on : f.off;
  return serve;
}

/** How far into its limit the usage is (percent, 2 decimals) once a rule's threshold is reached; undefined before, or without that limit. */
export function reachedPercent(rule: QuotaRule, usage: UsageView | undefined): number | undefined {
  const limit = rule.feature === undefined ? usage?.quota : usage?.features.get(rule.feature);
  // integers on both sides: used/limit >= atPercent/100 without rounding
  return limit && limit.used * 100 >= rule.atPercent * limit.limit ? Math.round((limit.used * 10000) / limit.limit) / 100 : undefined;
}

function applyQuota(f: CompiledFlag, usage: UsageView | undefined): Evaluation | undefined {
  let noLimit: string[] | undefined;
  for (const rule of f.rules) {
    if (rule.feature !== undefined && !usage?.features.get(rule.feature)) {
      (noLimit ??= []).includes(rule.feature) || noLimit.push(rule.feature);
      continue;
    }
    const percent = reachedPercent(rule, usage);
    if (percent !== undefined) {
      const value = served(f, rule.serve);
      return {
        value, variant: `quota-${rule.atPercent}${rule.feature === undefined ? '' : `-${rule.feature}`}`, reason: 'TARGETING_MATCH',
        quota: { rule, percent },
        ...(noLimit ? { noLimit } : {}),
      };
    }
  }
  return noLimit ? { value: f.off, variant: '', reason: 'DEFAULT', noLimit } : undefined;
}

const ON = 'on';
const OFF = 'off';

export function evaluate(f: CompiledFlag, userId: string | undefined, usage?: UsageView): Evaluation {
  if (!f.flag.enabled) return { value: f.off, variant: OFF, reason: 'DISABLED' };
  let noLimit: string[] | undefined;
  if (f.rules.length > 0) {
    const q = applyQuota(f, usage);
    if (q?.quota) return q;
    noLimit = q?.noLimit;
  }
  const extra = noLimit ? { noLimit } : undefined;
  switch (f.flag.strategy) {
    case 'boolean':
      return { value: f.on, variant: ON, reason: 'STATIC', ...extra };
    case 'percentage': {
      if (userId === undefined) return { value: f.off, variant: OFF, reason: 'DEFAULT', userMissing: true, ...extra };
      return bucket(f.group, userId) < f.flag.percentage!
        ? { value: f.on, variant: ON, reason: 'SPLIT', ...extra }
        : { value: f.off, variant: OFF, reason: 'SPLIT', ...extra };
    }
    case 'targeting': {
      if (userId === undefined) return { value: f.off, variant: OFF, reason: 'DEFAULT', userMissing: true, ...extra };
      if (f.deny.has(userId)) return { value: f.off, variant: OFF, reason: 'TARGETING_MATCH', ...extra };
      if (f.allow.has(userId)) return { value: f.on, variant: ON, reason: 'TARGETING_MATCH', ...extra };
      return { value: f.off, variant: OFF, reason: 'DEFAULT', ...extra };
    }
  }
}
