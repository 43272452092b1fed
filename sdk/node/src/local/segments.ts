// Segments as the evaluator sees them: a tenant's flags find a segment among the tenant's own
// first, then the global ones; global flags (and the global flags a tenant inherits) among the
// global ones only. The server's flag store and the SDK's local evaluation both build them here.
import type { SegmentLookup } from './evaluate.ts';
import type { Constraint } from './model.ts';

export interface ScopedSegment { name: string; constraints: Constraint[]; global: boolean }

export function segmentScopes(segments: readonly ScopedSegment[]): { tenant: SegmentLookup; global: SegmentLookup } {
  const own = new Map<string, Constraint[]>();
  const global = new Map<string, Constraint[]>();
  for (const s of segments) (s.global ? global : own).set(s.name, s.constraints);
  return { tenant: (name) => own.get(name) ?? global.get(name), global: (name) => global.get(name) };
}
