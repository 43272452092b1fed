// What a flag is, as the API shows it and the evaluator reads it.

export const STRATEGIES = ['boolean', 'percentage', 'targeting'] as const;
export type Strategy = (typeof STRATEGIES)[number];
export const VALUE_TYPES = ['boolean', 'string'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];
export type FlagValue = boolean | string;

/** Served instead of the strategy once the tenant's usage reaches atPercent of its quota (or of `feature`'s limit). */
export interface QuotaRule { atPercent: number; serve: FlagValue; feature?: string }

/** The settings of a flag: what a write sends, what promotion compares. */
export interface FlagConfig {
  description: string;
  enabled: boolean;
  strategy: Strategy;
  percentage: number | null;
  allow: string[];
  deny: string[];
  group: string | null;
  type: ValueType;
  onValue: string | null;
  offValue: string | null;
  quotaRules: QuotaRule[];
}

export interface Flag extends FlagConfig {
  /** Tenant slug; null for a global flag. */
  tenant: string | null;
  env: string;
  key: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface Environment { id: number; name: string; position: number }

export const configOf = (f: FlagConfig): FlagConfig => ({
  description: f.description, enabled: f.enabled, strategy: f.strategy, percentage: f.percentage,
  allow: f.allow, deny: f.deny, group: f.group, type: f.type, onValue: f.onValue, offValue: f.offValue,
  quotaRules: f.quotaRules,
});

/** Same settings (what promotion calls unchanged). Lists compare as sets. */
export function sameConfig(a: FlagConfig, b: FlagConfig): boolean {
  const sameSet = (x: string[], y: string[]) => x.length === y.length && new Set([...x, ...y]).size === x.length;
  return a.description === b.description && a.enabled === b.enabled && a.strategy === b.strategy
    && a.percentage === b.percentage && sameSet(a.allow, b.allow) && sameSet(a.deny, b.deny)
    && a.group === b.group && a.type === b.type && a.onValue === b.onValue && a.offValue === b.offValue
    && JSON.stringify(a.quotaRules.map(normalRule)) === JSON.stringify(b.quotaRules.map(normalRule));
}

const normalRule = (r: QuotaRule) => ({ atPercent: r.atPercent, serve: r.serve, feature: r.feature ?? null });

/** "25% of users", "3 allowed, 1 denied": the strategy in words, for lists and the audit. */
export function describeStrategy(f: Pick<FlagConfig, 'strategy' | 'percentage' | 'allow' | 'deny'>): string {
  if (f.strategy === 'boolean') return 'everyone';
  if (f.strategy === 'percentage') return `${f.percentage ?? 0}% of users`;
  return `${f.allow.length} allowed, ${f.deny.length} denied`;
}
