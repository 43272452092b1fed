// The flag model (sdk/node/src/local/model.ts: the server and @flagmeter/sdk share it) and what only
// the server does with it: environments, stored segments, and comparing settings for promotion.
import type { Constraint, FlagConfig, JsonObject, QuotaRule } from '../../sdk/node/src/local/model.ts';

export * from '../../sdk/node/src/local/model.ts';

export interface Environment { id: number; name: string; position: number }

/** A named set of constraints strategies refer to; tenant null: global (every tenant's flags may use it). */
export interface Segment { tenant: string | null; name: string; description: string; constraints: Constraint[]; version: number; createdAt: string; updatedAt: string }

export const configOf = (f: FlagConfig): FlagConfig => ({
  description: f.description, enabled: f.enabled, type: f.type, onValue: f.onValue, offValue: f.offValue,
  strategies: f.strategies, variants: f.variants, stickiness: f.stickiness, dependencies: f.dependencies, quotaRules: f.quotaRules,
});

/** JSON with object keys sorted and list constraint values as sets: two configs that mean the same compare equal. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).filter((k) => (v as JsonObject)[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(k === 'values' ? [...new Set((v as { values: string[] }).values)].sort() : (v as JsonObject)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Same settings (what promotion calls unchanged). Constraint values compare as sets. */
export function sameConfig(a: FlagConfig, b: FlagConfig): boolean {
  const normalRule = (r: QuotaRule) => ({ atPercent: r.atPercent, serve: r.serve, feature: r.feature ?? null, budget: r.budget ?? false });
  const norm = (c: FlagConfig) => canonical({ ...configOf(c), quotaRules: c.quotaRules.map(normalRule) });
  return norm(a) === norm(b);
}
