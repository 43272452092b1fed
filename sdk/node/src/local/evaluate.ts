// One flag for one user, in process, the way the server's evaluator decides (server/flags/evaluate.ts):
// disabled → off; a quota rule serving the tenant now → its value; then the strategy (boolean: on;
// percentage: the user's murmur3 bucket below the percentage; targeting: deny, then allow).
import { bucket } from './murmur3.ts';

export type FlagValue = boolean | string;

export interface QuotaRule { atPercent: number; serve: FlagValue; feature?: string }

/** A flag as GET /api/features lists it (the fields evaluation reads). */
export interface FlagDefinition {
  key: string;
  enabled: boolean;
  /** custom: constraints, segments, variants or parents, which only the server evaluates (isLocal is false) */
  strategy: 'boolean' | 'percentage' | 'targeting' | 'custom';
  percentage: number | null;
  allow: readonly string[] | ReadonlySet<string>;
  deny: readonly string[] | ReadonlySet<string>;
  group: string | null;
  type: 'boolean' | 'string';
  onValue: string | null;
  offValue: string | null;
  version?: number;
  /** the quota rule serving the tenant as of the last sync (null: none) */
  activeQuotaRule?: (QuotaRule & { percent?: number }) | null;
}

export interface LocalEvaluation {
  value: FlagValue;
  variant: string;
  reason: 'STATIC' | 'TARGETING_MATCH' | 'SPLIT' | 'DISABLED' | 'DEFAULT';
  /** the strategy needs a user and none was given */
  userMissing?: true;
}

const has = (list: readonly string[] | ReadonlySet<string>, id: string) => ('has' in list ? list.has(id) : list.includes(id));

/** Whether this evaluator knows the flag's rule: a flat strategy on a boolean or string flag. */
export const isLocal = (f: { strategy: string; type: string }): boolean =>
  (f.strategy === 'boolean' || f.strategy === 'percentage' || f.strategy === 'targeting') && (f.type === 'boolean' || f.type === 'string');

export function evaluateFlag(f: FlagDefinition, userId?: string): LocalEvaluation {
  const string = f.type === 'string';
  const on: FlagValue = string ? f.onValue! : true;
  const off: FlagValue = string ? f.offValue! : false;
  if (!f.enabled) return { value: off, variant: 'off', reason: 'DISABLED' };
  const rule = f.activeQuotaRule;
  if (rule) {
    const value = typeof rule.serve === 'boolean' && string ? (rule.serve ? on : off) : rule.serve;
    return { value, variant: `quota-${rule.atPercent}${rule.feature === undefined ? '' : `-${rule.feature}`}`, reason: 'TARGETING_MATCH' };
  }
  switch (f.strategy) {
    case 'boolean':
      return { value: on, variant: 'on', reason: 'STATIC' };
    case 'percentage':
      if (!userId) return { value: off, variant: 'off', reason: 'DEFAULT', userMissing: true }; // '' is no user, as OFREP has it
      return bucket(f.group ?? f.key, userId) < f.percentage! ? { value: on, variant: 'on', reason: 'SPLIT' } : { value: off, variant: 'off', reason: 'SPLIT' };
    case 'targeting':
      if (!userId) return { value: off, variant: 'off', reason: 'DEFAULT', userMissing: true }; // '' is no user, as OFREP has it
      if (has(f.deny, userId)) return { value: off, variant: 'off', reason: 'TARGETING_MATCH' };
      if (has(f.allow, userId)) return { value: on, variant: 'on', reason: 'TARGETING_MATCH' };
      return { value: off, variant: 'off', reason: 'DEFAULT' };
    case 'custom':
      throw new Error(`Flag '${f.key}' has a rule only the server evaluates: ask OFREP (FlagMeterProvider).`);
  }
}
