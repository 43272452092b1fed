// What a flag is, as the API shows it and the evaluator reads it: a list of strategies (each a set
// of constraints on the evaluation context, segments, a rollout and optional weighted variants),
// flag-level variants, parent flags it depends on, and the quota rules. Shared by the server
// (server/flags/model.ts re-exports it) and @flagmeter/sdk's local evaluation: one model, one evaluator.

export const VALUE_TYPES = ['boolean', 'string', 'number', 'json'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];
export type JsonObject = { [key: string]: unknown };
export type FlagValue = boolean | string | number | JsonObject;

/** The operators of a constraint: Unleash's names, lowercase. */
export const LIST_OPERATORS = ['in', 'not_in', 'str_contains', 'str_starts_with', 'str_ends_with'] as const;
export const VALUE_OPERATORS = ['num_eq', 'num_gt', 'num_gte', 'num_lt', 'num_lte', 'semver_eq', 'semver_gt', 'semver_gte', 'semver_lt', 'semver_lte', 'date_after', 'date_before'] as const;
export const OPERATORS = [...LIST_OPERATORS, ...VALUE_OPERATORS] as const;
export type ListOperator = (typeof LIST_OPERATORS)[number];
export type ValueOperator = (typeof VALUE_OPERATORS)[number];
export type Operator = ListOperator | ValueOperator;
export const isListOperator = (op: Operator): op is ListOperator => (LIST_OPERATORS as readonly string[]).includes(op);

/**
 * One condition on a context field. List operators read `values` (any of them), the others one
 * `value`. `inverted` negates the result; `caseInsensitive` applies to the string operators.
 */
export type Constraint =
  | { contextName: string; operator: ListOperator; values: string[]; caseInsensitive: boolean; inverted: boolean }
  | { contextName: string; operator: ValueOperator; value: string; caseInsensitive: boolean; inverted: boolean };

/** One value a flag may serve, with its share (percent, 0.1 steps; a list's weights sum to 100). */
export interface Variant { name: string; weight: number; value: FlagValue }

/**
 * Stickiness: 'default' (targetingKey, then sessionId, then random, as Unleash), 'targetingKey'
 * (required: without it the strategy does not match and OFREP answers TARGETING_KEY_MISSING),
 * 'random', or any other context field (missing: the rollout does not match, a variant is random).
 */
export interface FlagStrategy {
  /** A label for people (may be empty). */
  name: string;
  constraints: Constraint[];
  /** Names of segments whose constraints must hold too. */
  segments: string[];
  /** Percent of the users who match the constraints that are in (0-100). */
  rollout: number;
  stickiness: string;
  /** Bucketing group (null: the flag key); flags sharing a group share buckets. */
  group: string | null;
  /** 'off': users this strategy matches get the off value (a deny rule); later strategies are not tried. */
  serve: 'on' | 'off';
  /** This strategy's own variants (else the flag's). */
  variants: Variant[];
}

/** The flag is on only when its parent is on (enabled true) or off (false), and, with variants, serves one of them. */
export interface Dependency { flag: string; enabled: boolean; variants: string[] }

/**
 * Served instead of the strategies once the tenant's usage reaches atPercent of its quota, of
 * `feature`'s limit (in tokens or money, as it is set), or, with `budget`, of its money budget.
 */
export interface QuotaRule { atPercent: number; serve: boolean | string; feature?: string; budget?: true }

/** The settings of a flag: what a write sends, what promotion compares. */
export interface FlagConfig {
  description: string;
  enabled: boolean;
  type: ValueType;
  /** Served when on (no variants) and when off; null on a boolean flag (true/false). */
  onValue: FlagValue | null;
  offValue: FlagValue | null;
  /** Tried in order; the first that matches decides. None: on for everyone. */
  strategies: FlagStrategy[];
  /** Served (by weight) when the matching strategy has no variants of its own. */
  variants: Variant[];
  /** Stickiness of the flag's variants. */
  stickiness: string;
  dependencies: Dependency[];
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
