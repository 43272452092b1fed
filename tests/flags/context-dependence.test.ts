// When the OFREP bulk ETag may stand for the answer (the set's version and the context) and when the
// answer may change without a write, so that the tag must hash the answer.
import { describe, expect, test } from '@jest/globals';
import { contextDependence } from '../../server/flags/context-dependence.ts';
import type { Constraint, Flag, FlagStrategy } from '../../server/flags/model.ts';

const strategy = (s: Partial<FlagStrategy> = {}): FlagStrategy => ({ name: '', constraints: [], segments: [], rollout: 100, stickiness: 'default', group: null, serve: 'on', variants: [], ...s });
const flag = (f: Partial<Flag> = {}): Flag => ({
  tenant: null, env: 'prod', key: 'f', description: '', enabled: true, type: 'string', onValue: 'on', offValue: 'off', strategies: [],
  variants: [], stickiness: 'default', dependencies: [], quotaRules: [], version: 1, createdAt: '', updatedAt: '', ...f,
});
const variants = [{ name: 'a', weight: 50, value: 'a' }, { name: 'b', weight: 50, value: 'b' }];
const timed: Constraint = { contextName: 'currentTime', operator: 'date_after', value: '2026-01-01T00:00:00Z', caseInsensitive: false, inverted: false };
const segments = new Map<string, Constraint[]>([['launch', [timed]], ['pros', [{ contextName: 'plan', operator: 'in', values: ['pro'], caseInsensitive: false, inverted: false }]]]);
const varies = (flags: Flag[], ctx: Record<string, unknown>) => contextDependence(flags.map((f) => ({ flag: f, segments: (n: string) => segments.get(n) })))(ctx);
const user = { targetingKey: 'ada' };

describe('contextDependence', () => {
  test('constraints, lists, rollouts by user, variants by user: fixed by the context', () => {
    const flags = [
      flag({ strategies: [strategy({ rollout: 30, stickiness: 'targetingKey', segments: ['pros'] })] }),
      flag({ key: 'v', variants, stickiness: 'default' }),
      flag({ key: 'w', strategies: [strategy({ variants, stickiness: 'company' })] }),
    ];
    expect(varies(flags, { ...user, company: 'acme' })).toBe(false);
    expect(varies(flags, { sessionId: 's1', company: 'acme' })).toBe(false);
  });

  test('random: stickiness random, default without targetingKey or sessionId, a variant field the context lacks', () => {
    expect(varies([flag({ variants, stickiness: 'random' })], user)).toBe(true);
    expect(varies([flag({ strategies: [strategy({ rollout: 50, stickiness: 'random' })] })], user)).toBe(true);
    expect(varies([flag({ variants })], {})).toBe(true);
    expect(varies([flag({ strategies: [strategy({ rollout: 50 })] })], { plan: 'pro' })).toBe(true);
    expect(varies([flag({ strategies: [strategy({ variants, stickiness: 'company' })] })], user)).toBe(true);
    // a rollout sticky by a missing field does not match: no randomness
    expect(varies([flag({ strategies: [strategy({ rollout: 50, stickiness: 'company' })] })], user)).toBe(false);
  });

  test('the time: a date constraint on currentTime, in the strategy or in a segment, unless the context gives the time', () => {
    expect(varies([flag({ strategies: [strategy({ constraints: [timed] })] })], user)).toBe(true);
    expect(varies([flag({ strategies: [strategy({ segments: ['launch'] })] })], user)).toBe(true);
    expect(varies([flag({ strategies: [strategy({ segments: ['launch'] })] })], { ...user, currentTime: '2026-06-01T00:00:00Z' })).toBe(false);
  });

  test('quota rules always; a disabled flag never', () => {
    expect(varies([flag({ quotaRules: [{ atPercent: 90, serve: false }] })], user)).toBe(true);
    expect(varies([flag({ enabled: false, variants, stickiness: 'random', quotaRules: [{ atPercent: 90, serve: false }] })], user)).toBe(false);
  });
});
