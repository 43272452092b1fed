// The toggle service's flat flag shape (strategy boolean / percentage / targeting with a
// percentage, allow and deny lists and a group) as strategies, and back: writes in that shape
// still work, and every answer carries it next to the strategies (strategy 'custom' when the
// strategies say more than it can).
import type { Constraint, Dependency, FlagConfig, FlagStrategy, Variant } from './model.ts';
import { strategyOf, type LegacyStrategy } from '../../sdk/node/src/local/legacy.ts';

export { LEGACY_STRATEGIES, legacyStrategies, type LegacyStrategy } from '../../sdk/node/src/local/legacy.ts';

export interface LegacyFields {
  strategy: LegacyStrategy | 'custom';
  percentage: number | null;
  allow: string[];
  deny: string[];
  group: string | null;
}

const plain = (s: FlagStrategy) => s.segments.length === 0 && s.variants.length === 0;
const userList = (s: FlagStrategy) => s.constraints.length === 1 && s.constraints[0]!.contextName === 'targetingKey' && s.constraints[0]!.operator === 'in'
  && !s.constraints[0]!.inverted && !s.constraints[0]!.caseInsensitive && s.rollout === 100 ? s.constraints[0]!.values : undefined;

/** The flat view of a flag's strategies. */
export function legacyFields(c: Pick<FlagConfig, 'strategies' | 'variants' | 'dependencies'>): LegacyFields {
  const custom: LegacyFields = { strategy: 'custom', percentage: null, allow: [], deny: [], group: null };
  const s = c.strategies;
  if (c.variants.length > 0 || c.dependencies.length > 0 || !s.every(plain)) return custom;
  if (s.length === 0) return { ...custom, strategy: 'boolean' };
  if (s.length === 1 && s[0]!.constraints.length === 0 && s[0]!.serve === 'on') {
    if (s[0]!.stickiness === 'targetingKey') return { ...custom, strategy: 'percentage', percentage: s[0]!.rollout, group: s[0]!.group };
    if (s[0]!.rollout === 100 && s[0]!.group === null) return { ...custom, strategy: 'boolean' };
    return custom;
  }
  const [first, second] = s;
  if (s.length === 1 && first!.serve === 'on') {
    const allow = userList(first!);
    if (allow) return { ...custom, strategy: 'targeting', allow };
  }
  if (s.length === 2 && first!.serve === 'off' && second!.serve === 'on') {
    const deny = userList(first!);
    const allow = userList(second!);
    if (deny && allow) return { ...custom, strategy: 'targeting', allow, deny };
  }
  return custom;
}

const OPERATOR_WORDS: Record<Constraint['operator'], string> = {
  in: 'in', not_in: 'not in', str_contains: 'contains', str_starts_with: 'starts with', str_ends_with: 'ends with',
  num_eq: '=', num_gt: '>', num_gte: '>=', num_lt: '<', num_lte: '<=',
  semver_eq: '= version', semver_gt: '> version', semver_gte: '>= version', semver_lt: '< version', semver_lte: '<= version',
  date_after: 'after', date_before: 'before',
};

function listWords(values: string[]): string {
  const shown = values.slice(0, 3).join(', ');
  return values.length > 3 ? `${shown} and ${values.length - 3} more` : shown;
}

export function describeConstraint(c: Constraint): string {
  const what = 'values' in c ? listWords(c.values) : c.value;
  return `${c.contextName} ${c.inverted ? 'not ' : ''}${OPERATOR_WORDS[c.operator]} ${what}${c.caseInsensitive ? ' (any case)' : ''}`;
}

function describeVariants(v: Variant[]): string {
  if (v.length === 1) return `'${v[0]!.name}'`;
  return v.map((x) => `${x.weight}% '${x.name}'`).join(' / ');
}

function describeOne(s: FlagStrategy, flagVariants: Variant[]): string {
  const who = [...s.constraints.map(describeConstraint), ...s.segments.map((n) => `segment ${n}`)].join(' and ');
  const share = s.rollout < 100 ? `${s.rollout}% of ${who ? `users with ${who}` : 'users'}` : who ? `users with ${who}` : 'everyone';
  if (s.serve === 'off') return `${share}: off`;
  const variants = s.variants.length > 0 ? s.variants : flagVariants;
  return variants.length > 0 ? `${share} ${share === 'everyone' ? 'gets' : 'get'} ${describeVariants(variants)}` : share;
}

/** "25% of users", "3 allowed, 1 denied", "users with plan in pro and country in DE: 30% …": the rule in words, for lists and the audit. */
export function describeFlag(c: Pick<FlagConfig, 'strategies' | 'variants' | 'dependencies'>): string {
  const l = legacyFields(c);
  if (l.strategy === 'boolean') return 'everyone';
  if (l.strategy === 'percentage') return `${l.percentage ?? 0}% of users`;
  if (l.strategy === 'targeting') return `${l.allow.length} allowed, ${l.deny.length} denied`;
  const parts = c.strategies.length === 0 ? [describeOne(strategyOf({}), c.variants)] : c.strategies.map((s) => describeOne(s, c.variants));
  const needs = c.dependencies.map((d: Dependency) => `${d.flag} ${d.enabled ? 'on' : 'off'}${d.variants.length > 0 ? ` serving ${d.variants.join(' or ')}` : ''}`);
  return `${needs.length > 0 ? `if ${needs.join(' and ')}: ` : ''}${parts.join('; else ')}`;
}
