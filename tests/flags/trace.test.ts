// The playground's trace (sdk/node/src/local/trace.ts): for each strategy, matched, or why not —
// the first failing constraint with the context's value, the segment it is from, a segment that
// does not exist, the stickiness field the context lacks, the bucket outside the rollout.
import { describe, expect, test } from '@jest/globals';
import { compile, evaluate } from '../../sdk/node/src/local/evaluate.ts';
import type { Constraint, Flag, FlagStrategy } from '../../sdk/node/src/local/model.ts';
import { bucket } from '../../sdk/node/src/local/murmur3.ts';
import { traceStrategies } from '../../sdk/node/src/local/trace.ts';

const strategy = (s: Partial<FlagStrategy>): FlagStrategy =>
  ({ name: '', constraints: [], segments: [], rollout: 100, stickiness: 'default', group: null, serve: 'on', variants: [], ...s });
const flag = (strategies: FlagStrategy[], rest: Partial<Flag> = {}): Flag => ({
  tenant: 't', env: 'prod', key: 'k', description: '', enabled: true, strategies, variants: [], stickiness: 'default',
  dependencies: [], type: 'boolean', onValue: null, offValue: null, quotaRules: [], version: 1, createdAt: '', updatedAt: '', ...rest,
});
const plan: Constraint = { contextName: 'plan', operator: 'in', values: ['pro'], caseInsensitive: false, inverted: false };
const country: Constraint = { contextName: 'country', operator: 'in', values: ['DE'], caseInsensitive: false, inverted: false };
const segments = (name: string) => (name === 'eu' ? [country] : undefined);

function trace(f: Flag, ctx: Record<string, unknown>) {
  const c = compile(f, false, segments);
  return traceStrategies(c, ctx, evaluate(c, ctx));
}

describe('traceStrategies', () => {
  test('the first constraint that fails, with the value the context has (null: none)', () => {
    const f = flag([strategy({ constraints: [plan, country] }), strategy({ constraints: [country] })]);
    expect(trace(f, { targetingKey: 'u', plan: 'pro', country: 'FR' })).toEqual([
      { index: 0, outcome: 'constraint_failed', constraint: country, actual: 'FR' },
      { index: 1, outcome: 'constraint_failed', constraint: country, actual: 'FR' },
    ]);
    expect(trace(f, { targetingKey: 'u' })[0]).toEqual({ index: 0, outcome: 'constraint_failed', constraint: plan, actual: null });
  });
  test('a date constraint without currentTime in the context names the time it was evaluated at', () => {
    const before2020: Constraint = { contextName: 'currentTime', operator: 'date_before', value: '2020-01-01T00:00:00Z', caseInsensitive: false, inverted: false };
    const [t] = trace(flag([strategy({ constraints: [before2020] })]), { targetingKey: 'u' });
    expect(t).toMatchObject({ outcome: 'constraint_failed', constraint: before2020 });
    expect(Date.now() - Date.parse(t!.actual as string)).toBeLessThan(60_000);
  });
  test('the one that matched, and the ones after it not reached', () => {
    const f = flag([strategy({ constraints: [plan] }), strategy({ constraints: [country] }), strategy({})]);
    expect(trace(f, { targetingKey: 'u', country: 'DE' }).map((t) => t.outcome)).toEqual(['constraint_failed', 'matched', 'not_reached']);
  });
  test('a constraint from a segment names the segment; a segment that does not exist is said so', () => {
    expect(trace(flag([strategy({ segments: ['eu'] })]), { targetingKey: 'u', country: 'US' }))
      .toEqual([{ index: 0, outcome: 'constraint_failed', constraint: country, segment: 'eu', actual: 'US' }]);
    expect(trace(flag([strategy({ segments: ['gone'] })]), { targetingKey: 'u' })).toEqual([{ index: 0, outcome: 'segment_missing', segment: 'gone' }]);
  });
  test('outside the rollout: the bucket it is not below', () => {
    const users = Array.from({ length: 50 }, (_, i) => `user-${i}`);
    const out = users.find((u) => bucket('k', u) >= 30)!;
    expect(trace(flag([strategy({ rollout: 30 })]), { targetingKey: out })).toEqual([{ index: 0, outcome: 'outside_rollout', bucket: bucket('k', out), rollout: 30 }]);
    const inside = users.find((u) => bucket('k', u) < 30)!;
    expect(trace(flag([strategy({ rollout: 30 })]), { targetingKey: inside })).toEqual([{ index: 0, outcome: 'matched' }]);
  });
  test('sticky by a field the context lacks', () => {
    expect(trace(flag([strategy({ rollout: 50, stickiness: 'orgId' })]), { targetingKey: 'u' })).toEqual([{ index: 0, outcome: 'field_missing', field: 'orgId' }]);
  });
  test('nothing when the flag decided before its strategies: disabled, or a parent flag', () => {
    expect(trace(flag([strategy({ constraints: [plan] })], { enabled: false }), {})).toEqual([]);
    const child = compile(flag([strategy({})], { key: 'child', dependencies: [{ flag: 'parent', enabled: true, variants: [] }] }), false);
    const parent = compile(flag([], { key: 'parent', enabled: false }), false);
    const pass = { flags: new Map([['parent', parent], ['child', child]]), done: new Map() };
    const r = evaluate(child, { targetingKey: 'u' }, undefined, pass);
    expect(r.unmetDependency).toBe('parent');
    expect(traceStrategies(child, { targetingKey: 'u' }, r)).toEqual([]);
  });
});
