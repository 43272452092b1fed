// A flag body (the API's, an import document's) as the settings that are stored, every optional
// field filled in; and a stored flag as the API answers it (the flat strategy fields beside the
// strategies, for the toggle service's clients).
import type { z } from 'zod';
import { legacyFields, legacyStrategies } from './legacy.ts';
import { isListOperator, type Constraint, type Flag, type FlagConfig, type FlagStrategy, type FlagValue, type Variant } from './model.ts';
import type { constraintSchema, flagBody, flagOut, strategySchema, variantSchema } from './schemas.ts';

export function constraintFrom(c: z.infer<typeof constraintSchema>): Constraint {
  const common = { contextName: c.contextName, caseInsensitive: c.caseInsensitive ?? false, inverted: c.inverted ?? false };
  return isListOperator(c.operator)
    ? { ...common, operator: c.operator, values: [...new Set(c.values ?? [])] }
    : { ...common, operator: c.operator, value: c.value! };
}

const variantsFrom = (v: z.infer<typeof variantSchema>[] | undefined): Variant[] => (v ?? []).map((x) => ({ name: x.name, weight: x.weight, value: x.value as FlagValue }));

function strategyFrom(s: z.infer<typeof strategySchema>): FlagStrategy {
  return {
    name: s.name ?? '', constraints: (s.constraints ?? []).map(constraintFrom), segments: [...new Set(s.segments ?? [])], rollout: s.rollout ?? 100,
    stickiness: s.stickiness ?? 'default', group: s.group ?? null, serve: s.serve ?? 'on', variants: variantsFrom(s.variants),
  };
}

export type FlagSettingsBody = Omit<z.infer<typeof flagBody>, 'tenant' | 'env' | 'key'>;

export function configFrom(b: FlagSettingsBody): FlagConfig {
  const type = b.type ?? 'boolean';
  return {
    description: b.description ?? '', enabled: b.enabled, type,
    onValue: type === 'boolean' ? null : (b.onValue as FlagValue), offValue: type === 'boolean' ? null : (b.offValue as FlagValue),
    strategies: b.strategies !== undefined
      ? b.strategies.map(strategyFrom)
      : legacyStrategies({ strategy: b.strategy!, percentage: b.percentage, allow: [...new Set(b.allow ?? [])], deny: [...new Set(b.deny ?? [])], group: b.group }),
    variants: variantsFrom(b.variants),
    stickiness: b.stickiness ?? 'default',
    dependencies: (b.dependencies ?? []).map((d) => ({ flag: d.flag, enabled: d.enabled ?? true, variants: d.variants ?? [] })),
    quotaRules: (b.quotaRules ?? []).map((r) => ({
      atPercent: r.atPercent, serve: r.serve, ...(r.feature === undefined ? {} : { feature: r.feature }), ...(r.budget ? { budget: true as const } : {}),
    })),
  };
}

export type FlagAnswer = z.infer<typeof flagOut>;

/** The flag as the API shows it: its settings, and the flat strategy fields they amount to. */
export function flagAnswer(f: Flag): FlagAnswer {
  return { ...f, ...legacyFields(f) };
}
