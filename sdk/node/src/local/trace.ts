// Why each strategy of a flag did or did not decide for a context, for the playground: the first
// constraint that does not hold (with the context's value), a segment that does not exist, the
// sticky field the context lacks, the bucket outside the rollout. It walks the strategies as
// decide() does, from the evaluation's outcome, and is never on the evaluation path.
import { fieldText, type EvalContext } from './constraints.ts';
import { bucketId, type CompiledFlag, type Evaluation } from './evaluate.ts';
import type { Constraint } from './model.ts';
import { bucket } from './murmur3.ts';

export type StrategyOutcome = 'matched' | 'constraint_failed' | 'segment_missing' | 'field_missing' | 'outside_rollout' | 'not_reached';

export interface StrategyTrace {
  index: number;
  outcome: StrategyOutcome;
  /** constraint_failed: the first constraint that does not hold, the segment it belongs to (if any), and the context's value (null: absent; currentTime: the time of the evaluation when absent). */
  constraint?: Constraint;
  segment?: string;
  actual?: unknown;
  /** field_missing: the stickiness field the context lacks. */
  field?: string;
  /** outside_rollout: the user's bucket (0–99) and the rollout it is not below. */
  bucket?: number;
  rollout?: number;
}

/**
 * One entry per strategy of `f`, given what evaluate() answered for `ctx`; empty when the flag
 * decided before its strategies (disabled, a quota rule, a parent flag).
 */
export function traceStrategies(f: CompiledFlag, ctx: EvalContext, decided: Evaluation): StrategyTrace[] {
  if (!f.flag.enabled || decided.quota || decided.unmetDependency !== undefined) return [];
  const user = fieldText(ctx, 'targetingKey') || undefined;
  return f.strategies.map((s, index): StrategyTrace => {
    if (decided.strategy !== undefined && index >= decided.strategy) return { index, outcome: index === decided.strategy ? 'matched' : 'not_reached' };
    if (s.missingSegment !== undefined) return { index, outcome: 'segment_missing', segment: s.missingSegment };
    const failed = s.tests.findIndex((test) => !test(ctx));
    if (failed >= 0) {
      const { constraint, segment } = s.sources[failed]!;
      // without a currentTime in the context, the date operators read the time of the evaluation
      const actual = ctx[constraint.contextName] ?? (constraint.contextName === 'currentTime' ? new Date().toISOString() : null);
      return { index, outcome: 'constraint_failed', constraint, ...(segment === undefined ? {} : { segment }), actual };
    }
    const id = bucketId(s, ctx, user);
    if (id === undefined) return { index, outcome: 'field_missing', field: s.stickiness };
    // every constraint holds and it did not decide: its bucket is outside the rollout
    return { index, outcome: 'outside_rollout', bucket: bucket(s.group, id), rollout: s.rollout };
  });
}
