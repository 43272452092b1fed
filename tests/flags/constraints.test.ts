// Every constraint operator with its edge cases (missing fields, case, inversion, bad numbers,
// versions and dates), and how strategies combine them: all constraints of a strategy, the first
// strategy that matches, segments, rollouts, deny rules, variants and their stickiness, parents.
import { describe, expect, test } from '@jest/globals';
import { compileConstraint, type EvalContext } from '../../sdk/node/src/local/constraints.ts';
import { compile, evaluate, type CompiledFlag } from '../../sdk/node/src/local/evaluate.ts';
import { describeFlag, legacyStrategies } from '../../server/flags/legacy.ts';
import type { Constraint, Flag, FlagStrategy, Operator } from '../../server/flags/model.ts';
import { compareSemver, parseSemver } from '../../sdk/node/src/local/semver.ts';

const list = (contextName: string, operator: Operator, values: string[], extra: Partial<Constraint> = {}): Constraint =>
  ({ contextName, operator, values, caseInsensitive: false, inverted: false, ...extra }) as Constraint;
const one = (contextName: string, operator: Operator, value: string, extra: Partial<Constraint> = {}): Constraint =>
  ({ contextName, operator, value, caseInsensitive: false, inverted: false, ...extra }) as Constraint;
const holds = (c: Constraint, ctx: EvalContext) => compileConstraint(c)(ctx);

describe('operators', () => {
  test('in / not_in: exact, numbers and booleans as text, a missing field is not in', () => {
    const plan = list('plan', 'in', ['pro', 'team']);
    expect([holds(plan, { plan: 'pro' }), holds(plan, { plan: 'Pro' }), holds(plan, { plan: 'free' }), holds(plan, {})]).toEqual([true, false, false, false]);
    expect(holds(list('plan', 'in', ['pro'], { caseInsensitive: true }), { plan: 'PRO' })).toBe(true);
    expect(holds(list('seats', 'in', ['5']), { seats: 5 })).toBe(true);
    expect(holds(list('beta', 'in', ['true']), { beta: true })).toBe(true);
    expect(holds(list('obj', 'in', ['[object Object]']), { obj: {} })).toBe(false);
    const notIn = list('country', 'not_in', ['DE', 'FR']);
    expect([holds(notIn, { country: 'US' }), holds(notIn, { country: 'DE' }), holds(notIn, {})]).toEqual([true, false, true]);
    expect(holds(list('plan', 'in', []), { plan: 'pro' })).toBe(false);
  });

  test('string operators: any of the values, caseInsensitive, a missing field fails', () => {
    const email = 'Ada@Example.COM';
    expect(holds(list('email', 'str_ends_with', ['@example.com']), { email })).toBe(false);
    expect(holds(list('email', 'str_ends_with', ['@example.com'], { caseInsensitive: true }), { email })).toBe(true);
    expect(holds(list('email', 'str_starts_with', ['bob', 'Ada']), { email })).toBe(true);
    expect([holds(list('email', 'str_contains', ['Example']), { email }), holds(list('email', 'str_contains', ['example']), { email })]).toEqual([true, false]);
    expect(holds(list('email', 'str_contains', ['EXAMPLE'], { caseInsensitive: true }), { email: 'x@example.org' })).toBe(true);
    expect(holds(list('email', 'str_contains', ['x']), {})).toBe(false);
    // inverted: a missing field then holds
    expect(holds(list('email', 'str_contains', ['x'], { inverted: true }), {})).toBe(true);
  });

  test('number operators: numbers or numeric text; anything else fails', () => {
    const cases: [Operator, number, boolean][] = [
      ['num_eq', 10, true], ['num_eq', 11, false], ['num_gt', 11, true], ['num_gt', 10, false], ['num_gte', 10, true], ['num_gte', 9, false],
      ['num_lt', 9, true], ['num_lt', 10, false], ['num_lte', 10, true], ['num_lte', 11, false],
    ];
    for (const [op, seats, want] of cases) expect([op, seats, holds(one('seats', op, '10'), { seats })]).toEqual([op, seats, want]);
    expect(holds(one('seats', 'num_eq', '10'), { seats: '10.0' })).toBe(true);
    expect(holds(one('seats', 'num_gt', '1.5'), { seats: 1.75 })).toBe(true);
    expect([holds(one('seats', 'num_lt', '10'), { seats: 'many' }), holds(one('seats', 'num_lt', '10'), {}), holds(one('seats', 'num_lt', '10'), { seats: '' })]).toEqual([false, false, false]);
    expect(holds(one('seats', 'num_lt', 'ten'), { seats: 1 })).toBe(false);
  });

  test('semver operators: pre-releases sort before their release, no leading v, invalid fails', () => {
    const at = (op: Operator, v: string, appVersion: string) => holds(one('appVersion', op, v), { appVersion });
    expect([at('semver_eq', '1.2.3', '1.2.3'), at('semver_eq', '1.2.3', '1.2.4'), at('semver_eq', '1.2.3', '1.2.3+build.5')]).toEqual([true, false, true]);
    expect([at('semver_gt', '2.0.0-rc.1', '2.0.0'), at('semver_gt', '2.0.0-rc.1', '2.0.0-rc.2'), at('semver_gt', '2.0.0-rc.1', '2.0.0-beta.9')]).toEqual([true, true, false]);
    expect([at('semver_lt', '1.10.0', '1.9.9'), at('semver_lte', '1.10.0', '1.10.0'), at('semver_gte', '1.10.0', '1.2.0')]).toEqual([true, true, false]);
    expect([at('semver_eq', '1.2.3', 'v1.2.3'), at('semver_gt', '1.0.0', 'latest'), at('semver_gt', 'v1', '2.0.0')]).toEqual([false, false, false]);
    expect(compareSemver(parseSemver('1.0.0-alpha')!, parseSemver('1.0.0-alpha.1')!)).toBeLessThan(0);
    expect(compareSemver(parseSemver('1.0.0-alpha.beta')!, parseSemver('1.0.0-beta')!)).toBeLessThan(0);
    expect(compareSemver(parseSemver('1.0.0-2')!, parseSemver('1.0.0-11')!)).toBeLessThan(0);
    expect(compareSemver(parseSemver('1.0.0-11')!, parseSemver('1.0.0-alpha')!)).toBeLessThan(0);
  });

  test('date operators: any field with an ISO time (or epoch ms); currentTime defaults to now', () => {
    expect(holds(one('currentTime', 'date_after', '2020-01-01T00:00:00Z'), {})).toBe(true);
    expect(holds(one('currentTime', 'date_before', '2020-01-01T00:00:00Z'), {})).toBe(false);
    expect(holds(one('signedUpAt', 'date_before', '2026-01-01T00:00:00+01:00'), { signedUpAt: '2025-12-31T23:30:00Z' })).toBe(false);
    expect(holds(one('signedUpAt', 'date_before', '2026-01-01T00:00:00+01:00'), { signedUpAt: '2025-12-31T22:30:00Z' })).toBe(true);
    expect(holds(one('signedUpAt', 'date_after', '2026-01-01T00:00:00Z'), { signedUpAt: Date.parse('2026-02-01T00:00:00Z') })).toBe(true);
    expect([holds(one('signedUpAt', 'date_after', '2026-01-01T00:00:00Z'), {}), holds(one('signedUpAt', 'date_after', '2026-01-01T00:00:00Z'), { signedUpAt: 'soon' })]).toEqual([false, false]);
    // inverted: the negation of the comparison
    expect(holds(one('currentTime', 'date_after', '2020-01-01T00:00:00Z', { inverted: true }), {})).toBe(false);
  });
});

const strategy = (s: Partial<FlagStrategy>): FlagStrategy => ({
  name: '', constraints: [], segments: [], rollout: 100, stickiness: 'default', group: null, serve: 'on', variants: [], ...s,
});
const flag = (f: Partial<Flag>): Flag => ({
  tenant: 't', env: 'prod', key: 'f', description: '', enabled: true, type: 'string', onValue: 'v1', offValue: 'off', strategies: [], variants: [],
  stickiness: 'default', dependencies: [], quotaRules: [], version: 1, createdAt: '', updatedAt: '', ...f,
});

describe('strategies', () => {
  const proDE = [list('plan', 'in', ['pro']), list('country', 'in', ['DE'])];

  test('a strategy needs all its constraints; the first strategy that matches decides; none: off', () => {
    const f = compile(flag({ strategies: [strategy({ constraints: proDE }), strategy({ constraints: [one('seats', 'num_gte', '100')] })] }), false);
    expect(evaluate(f, { targetingKey: 'u', plan: 'pro', country: 'DE' })).toMatchObject({ value: 'v1', reason: 'TARGETING_MATCH', variant: 'on', on: true });
    expect(evaluate(f, { plan: 'pro', country: 'FR' })).toMatchObject({ value: 'off', reason: 'DEFAULT', on: false });
    expect(evaluate(f, { plan: 'free', seats: 500 })).toMatchObject({ value: 'v1', reason: 'TARGETING_MATCH' });
    // no strategies: everyone
    expect(evaluate(compile(flag({}), false), {})).toMatchObject({ value: 'v1', reason: 'STATIC' });
  });

  test('a deny rule (serve off) before the rest; segments add their constraints; a missing segment matches no one', () => {
    const segments = new Map([['pro-germany', proDE]]);
    const f = compile(flag({
      strategies: [
        strategy({ constraints: [list('email', 'str_ends_with', ['@competitor.com'])], serve: 'off' }),
        strategy({ segments: ['pro-germany'], constraints: [one('appVersion', 'semver_gte', '2.0.0')] }),
        strategy({ segments: ['gone'] }),
      ],
    }), false, (n) => segments.get(n));
    const pro = { plan: 'pro', country: 'DE', appVersion: '2.1.0' };
    expect(evaluate(f, pro)).toMatchObject({ value: 'v1', reason: 'TARGETING_MATCH' });
    expect(evaluate(f, { ...pro, email: 'spy@competitor.com' })).toMatchObject({ value: 'off', reason: 'TARGETING_MATCH', variant: 'off', on: false });
    expect(evaluate(f, { ...pro, appVersion: '1.9.0' }).value).toBe('off');
    expect(evaluate(f, { ...pro, country: 'AT' }).value).toBe('off');
  });

  test('a rollout among the users a strategy matches: sticky by targetingKey or any field, only raising adds users', () => {
    const users = Array.from({ length: 1000 }, (_, i) => `u${i}`);
    const at = (rollout: number, stickiness = 'targetingKey') => compile(flag({ strategies: [strategy({ constraints: [list('plan', 'in', ['pro'])], rollout, stickiness })] }), false);
    const inside = (f: CompiledFlag) => new Set(users.filter((u) => evaluate(f, { targetingKey: u, plan: 'pro' }).on));
    const ten = inside(at(10));
    const thirty = inside(at(30));
    for (const u of ten) expect(thirty.has(u)).toBe(true);
    expect(Math.abs(thirty.size - 300)).toBeLessThan(50);
    expect(evaluate(at(30), { targetingKey: users[0]!, plan: 'free' }).reason).toBe('DEFAULT');
    // by company: everyone of one company is in or out together
    const byCompany = at(50, 'company');
    const companies = ['acme', 'globex', 'initech', 'hooli', 'umbrella', 'stark'];
    for (const company of companies) {
      const seen = new Set(users.slice(0, 20).map((u) => evaluate(byCompany, { targetingKey: u, plan: 'pro', company }).on));
      expect(seen.size).toBe(1);
    }
    // a named stickiness field must be there, even at 100%
    expect(evaluate(at(100, 'company'), { plan: 'pro' }).on).toBe(false);
    expect(evaluate(at(30), { plan: 'pro' })).toMatchObject({ on: false, userMissing: true });
  });

  test('variants: weights in tenths of a percent, sticky, typed values; strategy variants before the flag\'s', () => {
    const variants = [{ name: 'small', weight: 20, value: { model: 'mini', max: 1 } }, { name: 'big', weight: 80, value: { model: 'large', max: 8 } }];
    const f = compile(flag({ type: 'json', onValue: {}, offValue: {}, variants, stickiness: 'company' }), false);
    const got = Array.from({ length: 2000 }, (_, i) => evaluate(f, { targetingKey: `u${i}`, company: `c${i}` }));
    const small = got.filter((r) => r.variant === 'small').length;
    expect(Math.abs(small - 400)).toBeLessThan(70);
    expect(got[0]).toMatchObject({ reason: 'SPLIT', on: true });
    expect(got.every((r) => r.value === variants.find((v) => v.name === r.variant)!.value)).toBe(true);
    // sticky by company: other users of c7 get c7's variant
    expect(evaluate(f, { targetingKey: 'someone-else', company: 'c7' }).variant).toBe(got[7]!.variant);
    // a missing sticky field: random, still one of them
    expect(['small', 'big']).toContain(evaluate(f, {}).variant);
    const own = compile(flag({ variants: [{ name: 'flag', weight: 100, value: 'x' }], strategies: [
      strategy({ constraints: [list('plan', 'in', ['pro'])], variants: [{ name: 'pro', weight: 100, value: 'gpt-4o' }] }), strategy({}),
    ] }), false);
    expect(evaluate(own, { plan: 'pro' })).toMatchObject({ variant: 'pro', value: 'gpt-4o', reason: 'TARGETING_MATCH' });
    expect(evaluate(own, { plan: 'free' })).toMatchObject({ variant: 'flag', value: 'x', reason: 'STATIC' });
  });

  test('parents: on, off, or a given variant; missing parents and cycles leave the child off; each flag once per pass', () => {
    const parent = compile(flag({ key: 'parent', strategies: [strategy({ constraints: [list('plan', 'in', ['pro'])], variants: [{ name: 'v2', weight: 100, value: 'b' }] })] }), false);
    const child = compile(flag({ key: 'child', dependencies: [{ flag: 'parent', enabled: true, variants: [] }] }), false);
    const picky = compile(flag({ key: 'picky', dependencies: [{ flag: 'parent', enabled: true, variants: ['v3'] }] }), false);
    const unlessParent = compile(flag({ key: 'unless', dependencies: [{ flag: 'parent', enabled: false, variants: [] }] }), false);
    const orphan = compile(flag({ key: 'orphan', dependencies: [{ flag: 'nobody', enabled: true, variants: [] }] }), false);
    const a = compile(flag({ key: 'a', dependencies: [{ flag: 'b', enabled: true, variants: [] }] }), false);
    const b = compile(flag({ key: 'b', dependencies: [{ flag: 'a', enabled: true, variants: [] }] }), false);
    const flags = new Map([parent, child, picky, unlessParent, orphan, a, b].map((f) => [f.flag.key, f]));
    const run = (f: CompiledFlag, ctx: EvalContext) => evaluate(f, ctx, undefined, { flags, done: new Map() });
    expect(run(child, { plan: 'pro' })).toMatchObject({ value: 'v1', on: true });
    expect(run(child, { plan: 'free' })).toMatchObject({ value: 'off', reason: 'DEFAULT', unmetDependency: 'parent' });
    expect(run(picky, { plan: 'pro' }).unmetDependency).toBe('parent');
    expect([run(unlessParent, { plan: 'free' }).on, run(unlessParent, { plan: 'pro' }).on]).toEqual([true, false]);
    expect(run(orphan, {}).unmetDependency).toBe('nobody');
    expect(run(a, {})).toMatchObject({ on: false, unmetDependency: 'b' });
    // one pass: the parent's evaluation is reused by both children
    const done = new Map();
    evaluate(child, { plan: 'pro' }, undefined, { flags, done });
    const first = done.get('parent');
    evaluate(picky, { plan: 'pro' }, undefined, { flags, done });
    expect(done.get('parent')).toBe(first);
  });
});

describe('in words', () => {
  test('the flat forms as before, the rest strategy by strategy', () => {
    const words = (f: Partial<Flag>) => describeFlag(flag(f));
    expect([words({ strategies: legacyStrategies({ strategy: 'boolean' }) }), words({ strategies: legacyStrategies({ strategy: 'percentage', percentage: 25 }) }),
      words({ strategies: legacyStrategies({ strategy: 'targeting', allow: ['a', 'b'], deny: ['c'] }) })]).toEqual(['everyone', '25% of users', '2 allowed, 1 denied']);
    expect(words({
      dependencies: [{ flag: 'checkout', enabled: true, variants: ['blue'] }],
      strategies: [
        strategy({ constraints: [list('country', 'in', ['CN']), one('appVersion', 'semver_lt', '2.0.0', { inverted: true })], serve: 'off' }),
        strategy({ segments: ['beta'], rollout: 30, variants: [{ name: 'v2', weight: 50, value: 'a' }, { name: 'v3', weight: 50, value: 'b' }] }),
        strategy({ constraints: [list('email', 'str_ends_with', ['@acme.test', '@acme.dev', '@x.io', '@y.io'], { caseInsensitive: true })] }),
      ],
    })).toBe("if checkout on serving blue: users with country in CN and appVersion not < version 2.0.0: off; else 30% of users with segment beta get 50% 'v2' / 50% 'v3'; "
      + 'else users with email ends with @acme.test, @acme.dev, @x.io and 1 more (any case)');
    expect(words({ variants: [{ name: 'big', weight: 100, value: 'x' }] })).toBe("everyone gets 'big'");
  });
});
