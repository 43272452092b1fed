// The toggle service's flat strategies (boolean, percentage, targeting) as the model's strategies:
// what the server stores for a flat write and what the SDK's evaluateFlag evaluates a flat
// definition as (server/flags/legacy.ts adds the way back, and the words).
import type { Constraint, FlagStrategy } from './model.ts';

export const LEGACY_STRATEGIES = ['boolean', 'percentage', 'targeting'] as const;
export type LegacyStrategy = (typeof LEGACY_STRATEGIES)[number];

export const strategyOf = (s: Partial<FlagStrategy>): FlagStrategy => ({
  name: '', constraints: [], segments: [], rollout: 100, stickiness: 'default', group: null, serve: 'on', variants: [], ...s,
});

const userIn = (values: string[]): Constraint => ({ contextName: 'targetingKey', operator: 'in', values, caseInsensitive: false, inverted: false });

/** The strategies a flat flag means (what the migration of the old rows also wrote). */
export function legacyStrategies(l: { strategy: LegacyStrategy; percentage?: number | null; allow?: string[]; deny?: string[]; group?: string | null }): FlagStrategy[] {
  if (l.strategy === 'boolean') return [strategyOf({})];
  if (l.strategy === 'percentage') return [strategyOf({ rollout: l.percentage ?? 0, stickiness: 'targetingKey', group: l.group ?? null })];
  const deny = l.deny ?? [];
  return [
    ...(deny.length > 0 ? [strategyOf({ name: 'deny list', constraints: [userIn(deny)], serve: 'off' })] : []),
    strategyOf({ name: 'allow list', constraints: [userIn(l.allow ?? [])] }),
  ];
}
