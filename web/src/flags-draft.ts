// A flag's rule as the editor holds it while one types (text where the API wants numbers, JSON or
// lists, so a half-typed value is never lost), and the API body it makes. Pure: no Preact, so the
// conversions are unit-tested (tests/console/flags-draft.test.ts). What the form can check itself
// (a JSON value, the weights' sum) it names with the API's own field paths, so both kinds of
// message land in the same place.
import type {
  ConstraintInput, DependencyInput, FieldError, FlagBody, FlagItem, FlagValue, Operator, StrategyInput, ValueType, VariantInput,
} from './api/types.ts';

/** The server's operators (server/flags/model.ts), in its order; the Record makes the list complete. */
const OPERATOR_LABELS: Record<Operator, string> = {
  in: 'is one of', not_in: 'is none of', str_contains: 'contains', str_starts_with: 'starts with', str_ends_with: 'ends with',
  num_eq: '= (number)', num_gt: '> (number)', num_gte: '≥ (number)', num_lt: '< (number)', num_lte: '≤ (number)',
  semver_eq: '= (version)', semver_gt: '> (version)', semver_gte: '≥ (version)', semver_lt: '< (version)', semver_lte: '≤ (version)',
  date_after: 'after (time)', date_before: 'before (time)',
};
export const OPERATORS = Object.keys(OPERATOR_LABELS) as Operator[];
export const operatorLabel = (op: Operator) => OPERATOR_LABELS[op];
/** The operators that take a list of values (the others take one value). */
export const isListOperator = (op: Operator) => op === 'in' || op === 'not_in' || op.startsWith('str_');

/** Context fields the pickers suggest; any other name is fine too. */
export const CONTEXT_FIELDS = ['targetingKey', 'tenant', 'env', 'plan', 'country', 'appVersion', 'email', 'currentTime'] as const;
export const STICKINESS = ['default', 'targetingKey', 'random', 'sessionId', 'plan', 'country', 'email'] as const;

export interface ConstraintDraft { contextName: string; operator: Operator; text: string; caseInsensitive: boolean; inverted: boolean }
export interface VariantDraft { name: string; weight: string; value: string }
export interface StrategyDraft {
  name: string; constraints: ConstraintDraft[]; segments: string[]; rollout: string; stickiness: string; group: string;
  serve: 'on' | 'off'; variants: VariantDraft[];
}
/** A parent: required on, off, or on serving one of the listed variants. */
export interface ParentDraft { flag: string; require: 'on' | 'off' | 'variant'; variants: string }
export interface RuleDraft { strategies: StrategyDraft[]; variants: VariantDraft[]; stickiness: string; parents: ParentDraft[] }

export const newConstraint = (): ConstraintDraft => ({ contextName: 'plan', operator: 'in', text: '', caseInsensitive: false, inverted: false });
export const newStrategy = (): StrategyDraft => ({ name: '', constraints: [], segments: [], rollout: '100', stickiness: 'default', group: '', serve: 'on', variants: [] });
export const newParent = (flag = ''): ParentDraft => ({ flag, require: 'on', variants: '' });

/** A value as the form shows it: text (JSON pretty-printed). */
export function valueText(type: ValueType, v: FlagValue | null | undefined): string {
  if (v === null || v === undefined) return type === 'boolean' ? 'true' : type === 'json' ? '{}' : type === 'number' ? '0' : '';
  return type === 'json' ? JSON.stringify(v, null, 2) : String(v);
}

/** What the text means for a flag of `type`, or why it means nothing. */
export function parseValue(type: ValueType, text: string): { value: FlagValue } | { problem: string } {
  switch (type) {
    case 'boolean': return text === 'true' || text === 'false' ? { value: text === 'true' } : { problem: 'true or false' };
    case 'string': return { value: text };
    case 'number': {
      const n = Number(text);
      return text.trim() !== '' && Number.isFinite(n) ? { value: n } : { problem: `'${text}' is not a number` };
    }
    case 'json': {
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch (err) {
        return { problem: `not JSON: ${(err as Error).message}` };
      }
      return v !== null && typeof v === 'object' && !Array.isArray(v) ? { value: v as FlagValue } : { problem: 'a JSON object ({…}), not a list or a single value' };
    }
  }
}

/** Values typed in one field: separated by commas (or new lines), trimmed, empty ones dropped. */
export const splitValues = (text: string) => text.split(/[,\n]/).map((x) => x.trim()).filter(Boolean);

/** A constraint as the list shows it, as a row of the form. */
export const constraintDraft = (c: FlagItem['strategies'][number]['constraints'][number]): ConstraintDraft => ({
  contextName: c.contextName, operator: c.operator, text: c.values ? c.values.join(', ') : (c.value ?? ''), caseInsensitive: c.caseInsensitive, inverted: c.inverted,
});
const variantDrafts = (type: ValueType, list: FlagItem['variants']): VariantDraft[] => list.map((v) => ({ name: v.name, weight: String(v.weight), value: valueText(type, v.value) }));

/** The rule of a flag as the list shows it (a new flag: everyone, no variants, no parents). */
export function draftOf(flag: FlagItem | undefined): RuleDraft {
  if (!flag) return { strategies: [], variants: [], stickiness: 'default', parents: [] };
  return {
    strategies: flag.strategies.map((s) => ({
      name: s.name, constraints: s.constraints.map(constraintDraft), segments: s.segments, rollout: String(s.rollout), stickiness: s.stickiness,
      group: s.group ?? '', serve: s.serve, variants: variantDrafts(flag.type, s.variants),
    })),
    variants: variantDrafts(flag.type, flag.variants),
    stickiness: flag.stickiness,
    parents: flag.dependencies.map((d) => ({ flag: d.flag, require: !d.enabled ? 'off' : d.variants.length > 0 ? 'variant' : 'on', variants: d.variants.join(', ') })),
  };
}

export function constraintOf(d: ConstraintDraft): ConstraintInput {
  const base = { contextName: d.contextName.trim(), operator: d.operator, caseInsensitive: d.caseInsensitive, inverted: d.inverted };
  return isListOperator(d.operator) ? { ...base, values: splitValues(d.text) } : { ...base, value: d.text.trim() };
}

/** The weights' sum in tenths of a percent (the API's unit: 1000 is 100%); a weight that is no number counts 0. */
export const weightTenths = (list: readonly VariantDraft[]) => list.reduce((sum, v) => sum + (Number.isFinite(Number(v.weight)) ? Math.round(Number(v.weight) * 10) : 0), 0);

/** Variants for the API; a value the form can tell is wrong, and weights that do not make 100%, go to `problems` under `path`. */
export function variantsOf(list: readonly VariantDraft[], type: ValueType, path: string, problems: FieldError[]): VariantInput[] {
  if (list.length > 0 && weightTenths(list) !== 1000) problems.push({ field: path, message: `the weights must sum to 100% (they sum to ${weightTenths(list) / 10}%)` });
  return list.map((v, i) => {
    const parsed = parseValue(type, v.value);
    if ('problem' in parsed) problems.push({ field: `${path}.${i}.value`, message: parsed.problem });
    return { name: v.name.trim(), weight: v.weight.trim() === '' ? Number.NaN : Number(v.weight), value: 'value' in parsed ? parsed.value : v.value };
  });
}

export function strategyOf(d: StrategyDraft, type: ValueType, path: string, problems: FieldError[]): StrategyInput {
  return {
    name: d.name, constraints: d.constraints.map(constraintOf), segments: d.segments,
    rollout: d.rollout.trim() === '' ? 100 : Number(d.rollout), stickiness: d.stickiness.trim() || 'default',
    group: d.group.trim() || null, serve: d.serve,
    variants: d.serve === 'off' ? [] : variantsOf(d.variants, type, `${path}.variants`, problems),
  };
}

export const dependencyOf = (p: ParentDraft): DependencyInput => ({
  flag: p.flag, enabled: p.require !== 'off', ...(p.require === 'variant' ? { variants: splitValues(p.variants) } : {}),
});

/** The rule's part of a flag body, and what the form found wrong in it (API field paths). */
export interface RuleBody { strategies?: StrategyInput[]; variants: VariantInput[]; stickiness: string; dependencies: DependencyInput[] }

export function ruleOf(d: RuleDraft, type: ValueType, withStrategies: boolean): { body: RuleBody; problems: FieldError[] } {
  const problems: FieldError[] = [];
  const body: RuleBody = {
    ...(withStrategies ? { strategies: d.strategies.map((s, i) => strategyOf(s, type, `strategies.${i}`, problems)) } : {}),
    variants: variantsOf(d.variants, type, 'variants', problems),
    stickiness: d.stickiness.trim() || 'default',
    dependencies: d.parents.map(dependencyOf),
  };
  return { body, problems };
}

// Quota rules: from a percentage of the tenant's quota (tokens), of its monthly budget (money,
// budget: true) or of one feature's limit (in tokens or money, as that limit is set), serve a value.
export type QuotaTarget = 'quota' | 'budget' | 'feature';
export interface QuotaRuleDraft { atPercent: string; of: QuotaTarget; feature: string; serve: 'on' | 'off' | 'value'; value: string }
export type QuotaRuleInput = NonNullable<FlagBody['quotaRules']>[number];

export const newQuotaRule = (): QuotaRuleDraft => ({ atPercent: '100', of: 'quota', feature: '', serve: 'off', value: '' });

/** The rules of a flag as the list shows them, as rows of the form. */
export const quotaRuleDrafts = (rules: readonly QuotaRuleInput[]): QuotaRuleDraft[] => rules.map((r) => ({
  atPercent: String(r.atPercent), of: r.budget ? 'budget' : r.feature !== undefined ? 'feature' : 'quota', feature: r.feature ?? '',
  ...(typeof r.serve === 'boolean' ? { serve: r.serve ? 'on' : 'off', value: '' } : { serve: 'value', value: String(r.serve) }),
}));

/** The rows as the API takes them: a percent that is no number goes as NaN (sent as null: the API names it). */
export const quotaRulesOf = (list: readonly QuotaRuleDraft[]): QuotaRuleInput[] => list.map((d) => ({
  atPercent: d.atPercent.trim() === '' ? Number.NaN : Number(d.atPercent),
  serve: d.serve === 'value' ? d.value : d.serve === 'on',
  ...(d.of === 'feature' ? { feature: d.feature.trim() } : d.of === 'budget' ? { budget: true } : {}),
}));
