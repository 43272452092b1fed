// The flag editor's drafts (web/src/flags-draft.ts): typed values from text, the API body a rule
// makes, and the form's own objections named with the API's field paths.
import { expect, test } from '@jest/globals';
import { LIST_OPERATORS, OPERATORS as SERVER_OPERATORS } from '../../server/flags/model.ts';
import type { FlagItem } from '../../web/src/api/types.ts';
import { flagBody } from '../../server/flags/schemas.ts';
import { draftOf, isListOperator, newConstraint, newQuotaRule, newStrategy, OPERATORS, parseValue, quotaRuleDrafts, quotaRulesOf, ruleOf, splitValues, valueText } from '../../web/src/flags-draft.ts';
import { evenWeights } from '../../web/src/ui/flags/VariantsEditor.tsx';

test('the operators are the server\'s, in its order; the list ones take values', () => {
  expect(OPERATORS).toEqual([...SERVER_OPERATORS]);
  expect(OPERATORS.filter(isListOperator)).toEqual([...LIST_OPERATORS]);
});

test('parseValue: each type from its text, and why not', () => {
  expect(parseValue('boolean', 'false')).toEqual({ value: false });
  expect(parseValue('string', ' a ')).toEqual({ value: ' a ' });
  expect(parseValue('number', '12.5')).toEqual({ value: 12.5 });
  expect(parseValue('number', '')).toEqual({ problem: "'' is not a number" });
  expect(parseValue('number', '12x')).toEqual({ problem: "'12x' is not a number" });
  expect(parseValue('json', '{"a": [1]}')).toEqual({ value: { a: [1] } });
  expect(parseValue('json', '[1]')).toEqual({ problem: 'a JSON object ({…}), not a list or a single value' });
  expect(parseValue('json', '{a: 1}')).toMatchObject({ problem: expect.stringMatching(/^not JSON: /) });
  expect(valueText('json', { a: 1 })).toBe('{\n  "a": 1\n}');
  expect(splitValues(' pro, team,,\nmax ')).toEqual(['pro', 'team', 'max']);
});

test('ruleOf: the body a draft makes, and the form\'s objections under the API\'s paths', () => {
  const s = { ...newStrategy(), constraints: [{ ...newConstraint(), text: 'pro, team' }, { contextName: ' seats ', operator: 'num_gte' as const, text: ' 10 ', caseInsensitive: false, inverted: true }], rollout: '30',
    variants: [{ name: 'a', weight: '60', value: '{"m": 1}' }, { name: 'b', weight: '30', value: 'nope' }] };
  const { body, problems } = ruleOf({ strategies: [s], variants: [], stickiness: '', parents: [{ flag: 'p', require: 'variant', variants: 'blue, green' }, { flag: 'q', require: 'off', variants: 'x' }] }, 'json', true);
  expect(body).toEqual({
    strategies: [{
      name: '', segments: [], rollout: 30, stickiness: 'default', group: null, serve: 'on',
      constraints: [{ contextName: 'plan', operator: 'in', values: ['pro', 'team'], caseInsensitive: false, inverted: false }, { contextName: 'seats', operator: 'num_gte', value: '10', caseInsensitive: false, inverted: true }],
      variants: [{ name: 'a', weight: 60, value: { m: 1 } }, { name: 'b', weight: 30, value: 'nope' }],
    }],
    variants: [], stickiness: 'default',
    dependencies: [{ flag: 'p', enabled: true, variants: ['blue', 'green'] }, { flag: 'q', enabled: false }],
  });
  expect(problems).toEqual([
    { field: 'strategies.0.variants', message: 'the weights must sum to 100% (they sum to 90%)' },
    { field: 'strategies.0.variants.1.value', message: expect.stringMatching(/^not JSON: /) },
  ]);
  // a flat rule sends no strategies; a deny strategy no variants
  expect(ruleOf({ strategies: [{ ...newStrategy(), serve: 'off', variants: [{ name: 'x', weight: '100', value: 'true' }] }], variants: [], stickiness: 'company', parents: [] }, 'boolean', false).body)
    .toEqual({ variants: [], stickiness: 'company', dependencies: [] });
  expect(ruleOf({ strategies: [{ ...newStrategy(), serve: 'off', variants: [{ name: 'x', weight: '100', value: 'true' }] }], variants: [], stickiness: '', parents: [] }, 'boolean', true).body.strategies![0]!.variants).toEqual([]);
});

test('draftOf reads a flag back into the rows it was made from', () => {
  const flag = {
    type: 'number', stickiness: 'company', variants: [{ name: 'low', weight: 50, value: 1 }, { name: 'high', weight: 50, value: 2 }],
    strategies: [{ name: 'eu', constraints: [{ contextName: 'country', operator: 'in', values: ['DE', 'FR'], caseInsensitive: true, inverted: false }], segments: ['beta'], rollout: 40, stickiness: 'default', group: null, serve: 'on', variants: [] }],
    dependencies: [{ flag: 'p', enabled: true, variants: ['blue'] }, { flag: 'q', enabled: false, variants: [] }, { flag: 'r', enabled: true, variants: [] }],
  } as unknown as FlagItem;
  const d = draftOf(flag);
  expect(d.strategies[0]).toEqual({ name: 'eu', constraints: [{ contextName: 'country', operator: 'in', text: 'DE, FR', caseInsensitive: true, inverted: false }], segments: ['beta'], rollout: '40', stickiness: 'default', group: '', serve: 'on', variants: [] });
  expect(d.variants).toEqual([{ name: 'low', weight: '50', value: '1' }, { name: 'high', weight: '50', value: '2' }]);
  expect(d.parents.map((p) => p.require)).toEqual(['variant', 'off', 'on']);
  expect(ruleOf(d, 'number', true).problems).toEqual([]);
});

test('evenWeights: shares of 100% in tenths that sum to 100', () => {
  expect(evenWeights(3)).toEqual(['33.4', '33.3', '33.3']);
  expect(evenWeights(4)).toEqual(['25', '25', '25', '25']);
  expect(evenWeights(7).reduce((s, w) => s + Math.round(Number(w) * 10), 0)).toBe(1000);
});

test('quota rules: of the quota, of the monthly budget (budget: true) or of a feature\'s limit, round trip through the rows, and the server takes what they make', () => {
  const rules = [
    { atPercent: 90, serve: 'gpt-4o-mini' },
    { atPercent: 100, serve: false, budget: true },
    { atPercent: 80, serve: true, feature: 'gpt-4o' },
  ];
  const drafts = quotaRuleDrafts(rules);
  expect(drafts).toEqual([
    { atPercent: '90', of: 'quota', feature: '', serve: 'value', value: 'gpt-4o-mini' },
    { atPercent: '100', of: 'budget', feature: '', serve: 'off', value: '' },
    { atPercent: '80', of: 'feature', feature: 'gpt-4o', serve: 'on', value: '' },
  ]);
  expect(quotaRulesOf(drafts)).toEqual(rules);
  const parsed = flagBody.safeParse({ tenant: 'acme', env: 'dev', key: 'llm', enabled: true, strategy: 'boolean', type: 'string', onValue: 'gpt-4o', offValue: 'off', quotaRules: quotaRulesOf(drafts) });
  expect(parsed.success && parsed.data.quotaRules).toEqual(rules);

  // a new row is "at 100% of the quota: off"; switching it to the budget drops any feature typed before
  expect(quotaRulesOf([newQuotaRule()])).toEqual([{ atPercent: 100, serve: false }]);
  expect(quotaRulesOf([{ ...newQuotaRule(), of: 'budget', feature: 'gpt-4o' }])).toEqual([{ atPercent: 100, serve: false, budget: true }]);
  // a percent that is no number goes as such, and the server names it
  const [bad] = quotaRulesOf([{ ...newQuotaRule(), atPercent: 'lots' }]);
  expect(bad!.atPercent).toBeNaN();
  const refused = flagBody.safeParse({ tenant: 'acme', env: 'dev', key: 'x', enabled: true, strategy: 'boolean', quotaRules: JSON.parse(JSON.stringify([bad])) });
  expect(refused.success ? [] : refused.error.issues.map((i) => i.path.join('.'))).toEqual(['quotaRules.0.atPercent']);
});
