// Bucketing against Unleash's shared specification, and the evaluator's strategies and quota rules.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, test } from '@jest/globals';
import { bucket, murmur3 } from '../../sdk/node/src/local/murmur3.ts';
import { compile, evaluate, type UsageView } from '../../sdk/node/src/local/evaluate.ts';
import { legacyStrategies, type LegacyStrategy } from '../../server/flags/legacy.ts';
import { exactUnits } from '../../server/flags/quota.ts';
import type { Flag } from '../../server/flags/model.ts';

const require = createRequire(import.meta.url);
const specDir = require.resolve('@unleash/client-specification/specifications/index.json').replace(/index\.json$/, '');

interface Spec {
  state: { features: { name: string; enabled: boolean; strategies: { name: string; parameters?: Record<string, string>; constraints?: unknown[] }[] }[] };
  tests?: { description: string; context: { userId?: string }; toggleName: string; expectedResult: boolean }[];
}

const base: Flag = {
  tenant: 't', env: 'prod', key: 'k', description: '', enabled: true, strategies: legacyStrategies({ strategy: 'boolean' }), variants: [], stickiness: 'default',
  dependencies: [], type: 'boolean', onValue: null, offValue: null, quotaRules: [], version: 1, createdAt: '', updatedAt: '',
};
/** A flag in the flat form of the toggle service (what the migration rewrote the old rows into). */
const flat = (l: { strategy: LegacyStrategy; percentage?: number; allow?: string[]; deny?: string[]; group?: string }, rest: Partial<Flag> = {}): Flag =>
  ({ ...base, ...rest, strategies: legacyStrategies(l) });

/** murmur3_x86_32 over bytes, written out plainly (the textbook algorithm) to check the optimised one. */
function reference(bytes: Buffer, seed: number): number {
  const mul = (a: number, b: number) => Number((BigInt(a) * BigInt(b)) & 0xffffffffn);
  const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
  let h = seed >>> 0;
  const blocks = Math.floor(bytes.length / 4);
  for (let i = 0; i < blocks; i++) {
    let k = bytes.readUInt32LE(i * 4);
    k = mul(rotl(mul(k, 0xcc9e2d51), 15), 0x1b873593);
    h = (mul(rotl((h ^ k) >>> 0, 13), 5) + 0xe6546b64) >>> 0;
  }
  let k = 0;
  const tail = blocks * 4;
  const rem = bytes.length & 3;
  if (rem === 3) k ^= bytes[tail + 2]! << 16;
  if (rem >= 2) k ^= bytes[tail + 1]! << 8;
  if (rem >= 1) {
    k ^= bytes[tail]!;
    h = (h ^ mul(rotl(mul(k >>> 0, 0xcc9e2d51), 15), 0x1b873593)) >>> 0;
  }
  h = (h ^ bytes.length) >>> 0;
  h = mul((h ^ (h >>> 16)) >>> 0, 0x85ebca6b);
  h = mul((h ^ (h >>> 13)) >>> 0, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

describe('murmur3', () => {
  test('known vectors of murmur3_x86_32', () => {
    expect(murmur3('', 0)).toBe(0);
    expect(murmur3('', 1)).toBe(0x514e28b7);
    expect(murmur3('hello', 0)).toBe(0x248bfa47);
    expect(murmur3('The quick brown fox jumps over the lazy dog', 0)).toBe(0x2e4ff723);
    // the ASCII fast path and the UTF-8 path both agree with a plain byte-wise implementation
    for (const key of ['a', 'ab', 'abc', 'abcd', 'abcde', 'group:user-42', 'ü', 'grüße:ユーザー', '😀x']) {
      expect([key, murmur3(key, 0)]).toEqual([key, reference(Buffer.from(key, 'utf8'), 0)]);
    }
  });
});

describe('Unleash client specification: gradual rollout by user id', () => {
  // every strategy that buckets by user id: gradualRolloutUserId (groupId, percentage), and
  // flexibleRollout with stickiness userId/default (groupId, rollout) when the context has a userId
  const cases: { file: string; name: string; userId: string | undefined; percentage: number; group: string; expected: boolean }[] = [];
  for (const file of ['03-gradual-rollout-user-id-strategy.json', '10-flexible-rollout-strategy.json']) {
    const spec = JSON.parse(readFileSync(`${specDir}${file}`, 'utf8')) as Spec;
    for (const t of spec.tests ?? []) {
      const feature = spec.state.features.find((f) => f.name === t.toggleName)!;
      if (feature.strategies.length !== 1) continue;
      const s = feature.strategies[0]!;
      const p = s.parameters ?? {};
      if (s.name === 'gradualRolloutUserId') {
        cases.push({ file, name: t.description, userId: t.context.userId, percentage: Number(p.percentage), group: p.groupId!, expected: t.expectedResult });
      } else if (s.name === 'flexibleRollout' && (s.constraints ?? []).length === 0 && ['userId', 'default'].includes(p.stickiness ?? 'default') && t.context.userId !== undefined && Object.keys(t.context).length === 1) {
        cases.push({ file, name: t.description, userId: t.context.userId, percentage: Number(p.rollout), group: p.groupId!, expected: t.expectedResult });
      }
    }
  }

  test('the spec has user-id cases', () => expect(cases.length).toBeGreaterThanOrEqual(8));

  test.each(cases)('$file: $name', ({ userId, percentage, group, expected }) => {
    const flag = compile(flat({ strategy: 'percentage', percentage, group }, { key: 'x' }), false);
    expect(evaluate(flag, userId).value).toBe(expected);
  });
});

describe('evaluation', () => {
  test('raising the percentage only adds users', () => {
    const users = Array.from({ length: 2000 }, (_, i) => `user-${i}`);
    let previous = new Set<string>();
    for (const percentage of [0, 5, 25, 50, 90, 100]) {
      const flag = compile(flat({ strategy: 'percentage', percentage, group: 'g' }), false);
      const inside = new Set(users.filter((u) => evaluate(flag, u).value === true));
      for (const u of previous) expect(inside.has(u)).toBe(true);
      expect(Math.abs(inside.size / users.length - percentage / 100)).toBeLessThan(0.05);
      previous = inside;
    }
    expect(bucket('g', 'user-1')).toBe(murmur3('g:user-1') % 100);
  });

  test('strategies, reasons and string values', () => {
    const s = { type: 'string' as const, onValue: 'gpt-4o', offValue: 'gpt-4o-mini' };
    expect(evaluate(compile({ ...base, ...s }, false), undefined)).toMatchObject({ value: 'gpt-4o', reason: 'STATIC', variant: 'on' });
    expect(evaluate(compile({ ...base, ...s, enabled: false }, false), 'u')).toMatchObject({ value: 'gpt-4o-mini', reason: 'DISABLED' });
    const targeting = compile(flat({ strategy: 'targeting', allow: ['a', 'b'], deny: ['c'] }, s), false);
    expect(evaluate(targeting, 'a')).toMatchObject({ value: 'gpt-4o', reason: 'TARGETING_MATCH' });
    expect(evaluate(targeting, 'c')).toMatchObject({ value: 'gpt-4o-mini', reason: 'TARGETING_MATCH' });
    expect(evaluate(targeting, 'z')).toMatchObject({ value: 'gpt-4o-mini', reason: 'DEFAULT' });
    expect(evaluate(targeting, undefined)).toMatchObject({ value: 'gpt-4o-mini', userMissing: true });
    // deny wins if a user is in both (the API refuses that, the evaluator still decides safely)
    expect(evaluate(compile(flat({ strategy: 'targeting', allow: ['x'], deny: ['x'] }), false), 'x').value).toBe(false);
  });

  test('quota rules: the highest percent reached wins, before the strategy; a feature without a limit does not apply', () => {
    const flag = compile({
      ...base, type: 'string', onValue: 'gpt-4o', offValue: 'none',
      quotaRules: [{ atPercent: 90, serve: 'gpt-4o-mini' }, { atPercent: 100, serve: false }, { atPercent: 50, serve: 'small', feature: 'gpt-4o' }],
    }, false);
    const usage = (used: number, feature?: { used: number; limit: number }): UsageView => ({ quota: { used, limit: 1000 }, features: new Map(feature ? [['gpt-4o', feature]] : []) });
    expect(evaluate(flag, 'u', usage(899))).toMatchObject({ value: 'gpt-4o', reason: 'STATIC', noLimit: ['gpt-4o'] });
    expect(evaluate(flag, 'u', usage(900))).toMatchObject({ value: 'gpt-4o-mini', reason: 'TARGETING_MATCH', quota: { rule: { atPercent: 90 }, percent: 90 } });
    expect(evaluate(flag, 'u', usage(1000))).toMatchObject({ value: 'none', reason: 'TARGETING_MATCH', variant: 'quota-100' });
    expect(evaluate(flag, 'u', usage(10, { used: 60, limit: 100 }))).toMatchObject({ value: 'small', quota: { percent: 60 } });
    // a disabled flag stays off whatever the usage
    expect(evaluate(compile({ ...flag.flag, enabled: false }, false), 'u', usage(1000)).reason).toBe('DISABLED');
  });

  test('budget rules compare money exactly (decimal text scaled to integers, never a float)', () => {
    const flag = compile({ ...base, quotaRules: [{ atPercent: 100, serve: false, budget: true }, { atPercent: 30, serve: false, feature: 'gpt-4o' }] }, false);
    const usage = (used: string, limit: string, feature?: [string, string]): UsageView => ({
      quota: { used: 0, limit: 1000 }, budget: { used: exactUnits(used), limit: exactUnits(limit) },
      features: new Map(feature ? [['gpt-4o', { used: exactUnits(feature[0]), limit: exactUnits(feature[1]) }]] : []),
    });
    expect(exactUnits('412.5')).toBe(412_500_000_000_000n);
    expect(exactUnits('0.000000000001')).toBe(1n);
    // one 10^-12 short of the limit is not 100%
    expect(evaluate(flag, 'u', usage('499.999999999999', '500'))).toMatchObject({ value: true, noLimit: ['gpt-4o'] });
    expect(evaluate(flag, 'u', usage('500', '500.000000'))).toMatchObject({ value: false, variant: 'quota-100-budget', quota: { percent: 100 } });
    // 0.1 + 0.2 is 0.30000000000000004 in floats: exactly 30% here, and its percent is not 30.000000000000004
    expect(evaluate(flag, 'u', usage('1', '500', ['0.3', '1']))).toMatchObject({ value: false, variant: 'quota-30-gpt-4o', quota: { percent: 30 } });
    expect(evaluate(flag, 'u', usage('1', '500', ['0.299999999999', '1']))).toMatchObject({ value: true, reason: 'STATIC' });
    // without a budget the rule does not apply, and says so
    expect(evaluate(flag, 'u', { quota: { used: 0, limit: 1 }, features: new Map() })).toMatchObject({ value: true, noBudget: true });
  });
});
