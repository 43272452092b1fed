// Whether a flag set's evaluation for a context is fixed by the set and the context alone, so that
// a version of the set plus the context can stand for the answer (the OFREP bulk ETag, without
// evaluating). It is not when an answer may be random (stickiness 'random'; 'default' without a
// targetingKey or sessionId; a variant sticky by a field the context lacks), when it may depend on
// the time (a date constraint on currentTime and no currentTime in the context), or when the flags
// follow the quota (usage moves without a write). Decided once per load, checked per request.
import { fieldText, type EvalContext } from '../../sdk/node/src/local/constraints.ts';
import type { SegmentLookup } from '../../sdk/node/src/local/evaluate.ts';
import type { Constraint, Flag } from './model.ts';

export type ContextDependence = (ctx: EvalContext) => boolean;

const fixed: ContextDependence = () => false;

/**
 * A predicate that is true when an evaluation of these flags for `ctx` may differ from one time to
 * the next; each flag with the segments its strategies see (a tenant's flag: the tenant's, then the
 * global ones; a global flag: the global ones).
 */
export function contextDependence(flags: Iterable<{ flag: Flag; segments: SegmentLookup }>): ContextDependence {
  let always = false;
  let byDefault = false;
  const fields = new Set<string>();
  const sticky = (stickiness: string) => {
    if (stickiness === 'random') always = true;
    else if (stickiness === 'default') byDefault = true;
    else fields.add(stickiness);
  };
  const timed = (cs: readonly Constraint[]) => cs.some((c) => c.contextName === 'currentTime' && (c.operator === 'date_after' || c.operator === 'date_before'));
  for (const { flag: f, segments } of flags) {
    if (!f.enabled) continue;
    if (f.quotaRules.length > 0) always = true;
    if (f.variants.length > 0) sticky(f.stickiness);
    for (const s of f.strategies) {
      if (timed(s.constraints) || s.segments.some((n) => timed(segments(n) ?? []))) fields.add('currentTime');
      // a bucketed strategy without its field does not match (no randomness), except by 'default'/'random'
      if (s.rollout < 100 && (s.stickiness === 'default' || s.stickiness === 'random')) sticky(s.stickiness);
      if (s.variants.length > 0) sticky(s.stickiness);
    }
  }
  if (always) return () => true;
  const needed = [...fields];
  if (!byDefault && needed.length === 0) return fixed;
  return (ctx) => (byDefault && !fieldText(ctx, 'targetingKey') && !fieldText(ctx, 'sessionId')) || needed.some((n) => fieldText(ctx, n) === undefined);
}
