// Segments as the evaluator sees them: a tenant's flags find a segment among the tenant's own
// first, then the global ones; global flags among the global ones only.
import type { LoadedSegment } from '../db/flags.ts';
import type { SegmentLookup } from './evaluate.ts';
import type { Constraint } from './model.ts';

export function segmentScopes(segments: LoadedSegment[]): { tenant: SegmentLookup; global: SegmentLookup } {
  const own = new Map<string, Constraint[]>();
  const global = new Map<string, Constraint[]>();
  for (const s of segments) (s.global ? global : own).set(s.name, s.constraints);
  return { tenant: (name) => own.get(name) ?? global.get(name), global: (name) => global.get(name) };
}
