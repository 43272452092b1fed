// The flag editor's rule in words (web/src/flags-words.ts): what the editor shows under each
// strategy and for the whole flag while one builds it.
import { describe, expect, test } from '@jest/globals';
import type { ConstraintInput } from '../../web/src/api/types.ts';
import { alternatives, constraintWords, quotaRuleWords, ruleWords, strategyWords, traceWords, whyWords } from '../../web/src/flags-words.ts';

const c = (contextName: string, operator: ConstraintInput['operator'], v: string[] | string, more: Partial<ConstraintInput> = {}): ConstraintInput =>
  ({ contextName, operator, ...(Array.isArray(v) ? { values: v } : { value: v }), ...more });

describe('constraintWords', () => {
  test.each([
    [c('plan', 'in', ['pro']), 'plan pro'],
    [c('plan', 'in', ['pro', 'team']), 'plan pro or team'],
    [c('country', 'in', ['DE', 'AT', 'CH', 'FR', 'IT']), 'country one of DE, AT, CH and 2 more'],
    [c('plan', 'not_in', ['free']), 'plan not free'],
    [c('plan', 'not_in', ['free', 'trial']), 'plan not in free, trial'],
    [c('email', 'str_ends_with', ['@acme.test'], { caseInsensitive: true }), "email ending with '@acme.test' (any case)"],
    [c('email', 'str_contains', ['qa', 'test']), "email containing 'qa' or 'test'"],
    [c('path', 'str_starts_with', ['/beta']), "path starting with '/beta'"],
    [c('seats', 'num_gte', '10'), 'seats ≥ 10'],
    [c('seats', 'num_lt', '3'), 'seats < 3'],
    [c('appVersion', 'semver_gte', '2.4.0'), 'appVersion ≥ version 2.4.0'],
    [c('currentTime', 'date_after', '2026-12-24T00:00:00Z'), 'currentTime after 2026-12-24T00:00:00Z'],
    [c('plan', 'in', ['pro'], { inverted: true }), 'not plan pro'],
    [c('plan', 'in', []), 'plan (no values)'],
    [c('', 'in', ['x']), '(a field) x'],
  ])('%j → %p', (constraint, words) => expect(constraintWords(constraint)).toBe(words));
});

test('alternatives: one, two, three, many; quoted', () => {
  expect([['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b', 'c', 'd']].map((l) => alternatives(l))).toEqual(['a', 'a or b', 'a, b or c', 'one of a, b, c and 1 more']);
  expect(alternatives(['x', 'y'], true)).toBe("'x' or 'y'");
});

describe('strategyWords', () => {
  test('the issue\'s example: constraints, a rollout, one variant', () => {
    expect(strategyWords({ constraints: [c('plan', 'in', ['pro']), c('country', 'in', ['DE'])], rollout: 30, variants: [{ name: 'v2', weight: 100 }] }))
      .toBe("users with plan pro and country DE: 30% get 'v2'");
  });
  test('everyone, on; a rollout by a field; a deny rule; segments', () => {
    expect(strategyWords({})).toBe('everyone: on');
    expect(strategyWords({ rollout: 25, stickiness: 'company' })).toBe('everyone: 25% on (sticky by company)');
    expect(strategyWords({ rollout: 25, stickiness: 'company', variants: [{ name: 'a', weight: 100 }] })).toBe("everyone: 25% get 'a' (sticky by company)");
    expect(strategyWords({ stickiness: 'company' })).toBe('everyone: on');
    expect(strategyWords({ rollout: 25, stickiness: 'default' })).toBe('everyone: 25% on');
    expect(strategyWords({ constraints: [c('email', 'str_ends_with', ['@rival.com'])], serve: 'off' })).toBe("users with email ending with '@rival.com': off");
    expect(strategyWords({ segments: ['beta-testers'], rollout: 50 })).toBe('users in segment beta-testers: 50% on');
    expect(strategyWords({ constraints: [c('plan', 'in', ['pro'])], segments: ['staff', 'eu'] })).toBe('users with plan pro and in segment staff and in segment eu: on');
  });
  test('weighted variants: its own, else the flag\'s', () => {
    const three = [{ name: 'a', weight: 50 }, { name: 'b', weight: 30 }, { name: 'c', weight: 20 }];
    expect(strategyWords({ variants: three })).toBe("everyone gets 'a' (50%), 'b' (30%) or 'c' (20%)");
    expect(strategyWords({ constraints: [c('plan', 'in', ['pro'])] }, three)).toBe("users with plan pro get 'a' (50%), 'b' (30%) or 'c' (20%)");
    expect(strategyWords({ variants: [{ name: 'own', weight: 100 }] }, three)).toBe("everyone gets 'own'");
    // a deny rule serves off whatever the flag's variants
    expect(strategyWords({ serve: 'off', rollout: 10 }, three)).toBe('everyone: 10% off');
  });
});

describe('ruleWords', () => {
  test('no strategies: everyone; with the flag\'s variants', () => {
    expect(ruleWords({ strategies: [] })).toBe('everyone: on');
    expect(ruleWords({ strategies: [], variants: [{ name: 'x', weight: 100 }] })).toBe("everyone gets 'x'");
  });
  test('strategies in order, off when none matches; one for everyone ends the list', () => {
    expect(ruleWords({ strategies: [{ constraints: [c('plan', 'in', ['pro'])], rollout: 30 }, { constraints: [c('country', 'in', ['DE'])] }] }))
      .toBe('users with plan pro: 30% on; else users with country DE: on; else off');
    expect(ruleWords({ strategies: [{ serve: 'off', constraints: [c('plan', 'in', ['free'])] }, {}, { rollout: 5 }] }))
      .toBe('users with plan free: off; else everyone: on');
  });
  test('parents come first: on, off, serving a variant', () => {
    expect(ruleWords({
      strategies: [{}],
      dependencies: [{ flag: 'checkout', variants: ['blue', 'green'] }, { flag: 'legacy', enabled: false }, { flag: 'payments' }],
    })).toBe('if checkout serves blue or green and legacy is off and payments is on: everyone: on');
  });
});

describe('whyWords: the playground\'s reason in words', () => {
  const base = { reason: 'DEFAULT', on: false, strategyIndex: null, strategyName: null, unmetDependency: null, userMissing: false, quotaRule: null };
  test.each([
    [{ reason: 'DISABLED' }, 'the flag is disabled'],
    [{ reason: 'TARGETING_MATCH', on: true, quotaRule: { atPercent: 90, percent: 95 } }, 'quota rule at 90% of the quota (usage at 95%)'],
    [{ quotaRule: { atPercent: 100, feature: 'gpt-4o', percent: 120 } }, 'quota rule at 100% of the gpt-4o limit (usage at 120%)'],
    [{ quotaRule: { atPercent: 100, budget: true, percent: 102.5 } }, 'quota rule at 100% of the monthly budget (usage at 102.5%)'],
    [{ unmetDependency: 'checkout' }, 'parent flag checkout is not as required'],
    [{ reason: 'TARGETING_MATCH', on: true, strategyIndex: 1, strategyName: 'pro' }, 'strategy 2 “pro” matched'],
    [{ reason: 'TARGETING_MATCH', on: false, strategyIndex: 0 }, 'strategy 1 matched'],
    [{ userMissing: true }, 'no strategy matched: the context has no targetingKey, and a strategy needs one'],
    [{ reason: 'SPLIT' }, 'a strategy matched, but its rollout leaves this user out'],
    [{}, 'no strategy matched'],
    [{ reason: 'STATIC', on: true }, 'no strategies: on for everyone'],
  ])('%j → %p', (w, words) => expect(whyWords({ ...base, ...w })).toBe(words));
  test('with the strategy that matched, its words', () => {
    expect(whyWords({ ...base, reason: 'TARGETING_MATCH', on: true, strategyIndex: 0, strategyName: 'eu' }, { constraints: [c('country', 'in', ['DE'])], rollout: 30 }, [{ name: 'v2', weight: 100 }]))
      .toBe("strategy 1 “eu” matched: users with country DE: 30% get 'v2'");
  });
});

describe('traceWords: why a strategy did not decide, in words', () => {
  test.each([
    [{ index: 0, outcome: 'constraint_failed', constraint: c('plan', 'in', ['pro']), actual: 'free' }, 'strategy 1: plan pro does not hold (plan is “free”)'],
    [{ index: 1, outcome: 'constraint_failed', constraint: c('appVersion', 'semver_gte', '2.0.0'), actual: null }, 'strategy 2: appVersion ≥ version 2.0.0 does not hold (the context has no appVersion)'],
    [{ index: 0, outcome: 'constraint_failed', constraint: c('country', 'in', ['DE', 'AT']), segment: 'dach', actual: 'FR' }, 'strategy 1: country DE or AT (segment dach) does not hold (country is “FR”)'],
    [{ index: 0, outcome: 'constraint_failed', constraint: c('seats', 'num_gt', '10'), actual: 3 }, 'strategy 1: seats > 10 does not hold (seats is 3)'],
    [{ index: 2, outcome: 'segment_missing', segment: 'beta' }, 'strategy 3: segment beta does not exist, so it matches no one'],
    [{ index: 0, outcome: 'field_missing', field: 'orgId' }, 'strategy 1: the context has no orgId, which it is sticky by'],
    [{ index: 0, outcome: 'outside_rollout', bucket: 71, rollout: 30 }, 'strategy 1: bucket 71 is not below its 30% rollout'],
  ])('%j → %p', (t, words) => expect(traceWords(t)).toBe(words));
  test('nothing for the strategy that matched or those after it', () => {
    expect(traceWords({ index: 0, outcome: 'matched' })).toBeUndefined();
    expect(traceWords({ index: 1, outcome: 'not_reached' })).toBeUndefined();
  });
});

describe('quotaRuleWords: a quota rule in words, of the quota, the monthly budget or a feature\'s limit', () => {
  test.each([
    [{ atPercent: 100, serve: false, budget: true }, 'at 100% of the monthly budget: off'],
    [{ atPercent: 90, serve: 'gpt-4o-mini' }, "at 90% of the quota: 'gpt-4o-mini'"],
    [{ atPercent: 80, serve: true, feature: 'gpt-4o' }, 'at 80% of the gpt-4o limit: on'],
    [{ atPercent: 120, serve: false }, 'at 120% of the quota: off'],
  ])('%j → %p', (r, words) => expect(quotaRuleWords(r)).toBe(words));
});
