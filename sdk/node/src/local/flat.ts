// A flat definition (GET /api/features' strategy, percentage, allow, deny, group: the toggle
// service's shape) evaluated by the shared evaluator (evaluate.ts), as the server stores it
// (legacy.ts). Kept for evaluateFlag's callers; LocalFlags evaluates the full model (document.ts).
import { compile, evaluate, quotaEvaluation, type Evaluation, type Reason } from './evaluate.ts';
import { legacyStrategies } from './legacy.ts';
import type { FlagValue, QuotaRule } from './model.ts';

export type { FlagValue, QuotaRule } from './model.ts';

/** A flag as GET /api/features lists it (the fields evaluation reads). */
export interface FlagDefinition {
  key: string;
  enabled: boolean;
  /** custom: constraints, segments, variants or parents, which this flat view cannot say (LocalFlags evaluates them from the full definitions) */
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
  reason: Reason;
  /** the strategy needs a user and none was given */
  userMissing?: true;
}

/** What an evaluation shows (OFREP's value, variant and reason, and a missing user). */
export const localResult = (r: Evaluation): LocalEvaluation => ({ value: r.value, variant: r.variant, reason: r.reason, ...(r.userMissing ? { userMissing: true } : {}) });

export function evaluateFlag(f: FlagDefinition, userId?: string): LocalEvaluation {
  if (f.strategy === 'custom') throw new Error(`Flag '${f.key}' has rules its flat definition cannot say: evaluate it with LocalFlags (which syncs the full definitions) or OFREP.`);
  const compiled = compile({
    tenant: null, env: '', key: f.key, description: '', version: f.version ?? 0, createdAt: '', updatedAt: '',
    enabled: f.enabled, type: f.type, onValue: f.onValue, offValue: f.offValue, variants: [], stickiness: 'default', dependencies: [], quotaRules: [],
    strategies: legacyStrategies({ strategy: f.strategy, percentage: f.percentage, allow: [...f.allow], deny: [...f.deny], group: f.group }),
  }, false);
  const rule = f.activeQuotaRule;
  return localResult(f.enabled && rule ? quotaEvaluation(compiled, rule, rule.percent ?? rule.atPercent) : evaluate(compiled, userId));
}
