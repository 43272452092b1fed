// The full-model vectors (flag-model.json): one tenant's flags and segments as an import document
// (strategies with every constraint operator, inverted and case-insensitive ones, segments,
// rollouts with stickiness by a custom field, weighted variants with JSON payloads, typed flags,
// parents), a set of evaluation contexts (non-ASCII ids among them), and what the server's own
// evaluator answers for every flag in every context. Compiled here exactly as the server's flag
// store compiles a tenant's set (sdk segment scopes, compile, one pass per context).
import { compile, evaluate, type CompiledFlag, type EvalContext, type Evaluation } from '../node/src/local/evaluate.ts';
import { segmentScopes } from '../node/src/local/segments.ts';
import type { Constraint, Flag } from '../../server/flags/model.ts';

const TENANT = 'vectors';
const ENV = 'prod';
const NOW = '2026-12-01T12:00:00.000Z';

const c = (contextName: string, operator: Constraint['operator'], v: string | string[], extra: Partial<{ inverted: boolean; caseInsensitive: boolean }> = {}): Constraint =>
  (Array.isArray(v) ? { contextName, operator, values: v, caseInsensitive: false, inverted: false, ...extra } : { contextName, operator, value: v, caseInsensitive: false, inverted: false, ...extra }) as Constraint;

/** One strategy matching a single constraint. */
const only = (k: Constraint) => ({ constraints: [k] });

const segments = [
  { name: 'pro-de', description: 'pro plan in Germany', constraints: [c('plan', 'in', ['pro']), c('country', 'in', ['DE'])] },
  { name: 'modern-app', description: '', constraints: [c('appVersion', 'semver_gte', '2.0.0')] },
];

const json = { model: 'gpt-4o', limits: { tokens: 8000, tools: ['search', 'code'] }, label: 'Zoë’s plan 🙂' };

// each flag as POST /api/features takes it (no tenant, no env); fields left out take the API's defaults
const flags: Record<string, unknown>[] = ([
  { key: 'op-in', enabled: true, strategies: [only(c('plan', 'in', ['pro', 'team']))] },
  { key: 'op-in-ci', enabled: true, strategies: [only(c('plan', 'in', ['Pro'], { caseInsensitive: true }))] },
  { key: 'op-in-inverted', enabled: true, strategies: [only(c('plan', 'in', ['pro'], { inverted: true }))] },
  { key: 'op-not-in', enabled: true, strategies: [only(c('country', 'not_in', ['DE', 'FR']))] },
  { key: 'op-not-in-ci-inverted', enabled: true, strategies: [only(c('country', 'not_in', ['de'], { caseInsensitive: true, inverted: true }))] },
  { key: 'op-str-contains', enabled: true, strategies: [only(c('email', 'str_contains', ['@acme.', 'ö']))] },
  { key: 'op-str-contains-ci', enabled: true, strategies: [only(c('email', 'str_contains', ['ACME'], { caseInsensitive: true }))] },
  { key: 'op-str-contains-inverted', enabled: true, strategies: [only(c('email', 'str_contains', ['@acme.'], { inverted: true }))] },
  { key: 'op-str-starts-with', enabled: true, strategies: [only(c('email', 'str_starts_with', ['admin', 'root']))] },
  { key: 'op-str-ends-with-ci', enabled: true, strategies: [only(c('email', 'str_ends_with', ['.TEST'], { caseInsensitive: true }))] },
  { key: 'op-num-eq', enabled: true, strategies: [only(c('seats', 'num_eq', '12'))] },
  { key: 'op-num-gt', enabled: true, strategies: [only(c('seats', 'num_gt', '10'))] },
  { key: 'op-num-gte', enabled: true, strategies: [only(c('seats', 'num_gte', '12.5'))] },
  { key: 'op-num-lt', enabled: true, strategies: [only(c('seats', 'num_lt', '-1'))] },
  { key: 'op-num-lte-inverted', enabled: true, strategies: [only(c('seats', 'num_lte', '10', { inverted: true }))] },
  { key: 'op-semver-eq', enabled: true, strategies: [only(c('appVersion', 'semver_eq', '2.4.0'))] },
  { key: 'op-semver-gt', enabled: true, strategies: [only(c('appVersion', 'semver_gt', '2.4.0-beta.2'))] },
  { key: 'op-semver-gte', enabled: true, strategies: [only(c('appVersion', 'semver_gte', '2.4.0'))] },
  { key: 'op-semver-lt', enabled: true, strategies: [only(c('appVersion', 'semver_lt', '2.4.0-rc.1'))] },
  { key: 'op-semver-lte-inverted', enabled: true, strategies: [only(c('appVersion', 'semver_lte', '2.4.0', { inverted: true }))] },
  { key: 'op-date-after', enabled: true, strategies: [only(c('signupAt', 'date_after', '2026-06-01T00:00:00+02:00'))] },
  { key: 'op-date-before', enabled: true, strategies: [only(c('currentTime', 'date_before', '2026-12-24T00:00:00Z'))] },
  { key: 'op-date-after-inverted', enabled: true, strategies: [only(c('signupAt', 'date_after', '2026-01-01T00:00:00.000Z', { inverted: true }))] },
  { key: 'two-constraints', enabled: true, strategies: [{ constraints: [c('plan', 'in', ['pro']), c('seats', 'num_gte', '5')] }] },
  { key: 'segment', enabled: true, strategies: [{ segments: ['pro-de'] }] },
  { key: 'segment-and-constraint', enabled: true, strategies: [{ segments: ['modern-app'], constraints: [c('email', 'str_ends_with', ['.test'])] }] },
  { key: 'rollout-default', enabled: true, strategies: [{ rollout: 40 }] },
  { key: 'rollout-user', enabled: true, strategies: [{ rollout: 50, stickiness: 'targetingKey' }] },
  { key: 'rollout-org', enabled: true, strategies: [{ rollout: 50, stickiness: 'orgId', group: 'orgs' }] },
  { key: 'rollout-org-full', enabled: true, strategies: [{ rollout: 100, stickiness: 'orgId' }] },
  { key: 'rollout-group', enabled: true, strategies: [{ rollout: 30, stickiness: 'targetingKey', group: 'orgs' }] },
  { key: 'deny-then-rollout', enabled: true, strategies: [{ constraints: [c('country', 'in', ['XX', 'DE'])], serve: 'off' }, { rollout: 70, stickiness: 'targetingKey' }] },
  { key: 'first-match-wins', enabled: true, type: 'string', onValue: 'on-value', offValue: 'off-value', strategies: [
    { name: 'pros', constraints: [c('plan', 'in', ['pro'])], variants: [{ name: 'pro-model', weight: 100, value: 'gpt-4o' }] },
    { name: 'half of the rest', rollout: 50, stickiness: 'targetingKey' }] },
  { key: 'variants-json', enabled: true, type: 'json', onValue: { model: 'none' }, offValue: { model: 'off' }, stickiness: 'orgId', variants: [
    { name: 'big', weight: 50, value: json }, { name: 'small', weight: 30.5, value: { model: 'gpt-4o-mini', limits: { tokens: 2000 } } }, { name: 'empty', weight: 19.5, value: {} }] },
  { key: 'variants-string', enabled: true, type: 'string', onValue: 'x', offValue: 'none', variants: [
    { name: 'a', weight: 33.3, value: 'model-a' }, { name: 'b', weight: 33.3, value: 'model-b' }, { name: 'c', weight: 33.4, value: 'model-c' }] },
  { key: 'variants-number', enabled: true, type: 'number', onValue: 0, offValue: -1, strategies: [
    { constraints: [c('plan', 'in', ['pro', 'team'])], stickiness: 'targetingKey', group: 'limits', variants: [{ name: 'low', weight: 25, value: 1000 }, { name: 'high', weight: 75, value: 2.5 }] }] },
  { key: 'variant-weight-zero', enabled: true, type: 'string', onValue: 'x', offValue: 'y', variants: [{ name: 'never', weight: 0, value: 'never' }, { name: 'always', weight: 100, value: 'always' }] },
  { key: 'number-static', enabled: true, type: 'number', onValue: 42, offValue: 0 },
  { key: 'disabled-json', enabled: false, type: 'json', onValue: json, offValue: { off: true }, strategies: [{ rollout: 100 }] },
  { key: 'parent', enabled: true, strategies: [{ rollout: 50, stickiness: 'targetingKey' }] },
  { key: 'child', enabled: true, dependencies: [{ flag: 'parent' }], strategies: [only(c('plan', 'not_in', ['free']))] },
  { key: 'child-of-off', enabled: true, dependencies: [{ flag: 'parent', enabled: false }] },
  { key: 'child-of-variant', enabled: true, type: 'string', onValue: 'yes', offValue: 'no', dependencies: [{ flag: 'variants-string', variants: ['b', 'c'] }] },
  { key: 'grandchild', enabled: true, dependencies: [{ flag: 'child' }, { flag: 'op-in-ci' }] },
  { key: 'child-of-disabled', enabled: true, dependencies: [{ flag: 'disabled-json', enabled: false }] },
] as Record<string, unknown>[]).map((f) => ({ strategies: [], ...f }));

// every context has a targetingKey or a sessionId and an orgId where a variant buckets by it, so no answer is random
const base = { tenant: TENANT, env: ENV, currentTime: NOW };
const contexts: EvalContext[] = [
  { targetingKey: 'alice', plan: 'pro', country: 'DE', email: 'alice@acme.test', seats: 12, appVersion: '2.4.0', signupAt: '2026-07-01T00:00:00Z', orgId: 'org-1' },
  { targetingKey: 'bob', plan: 'PRO', country: 'de', email: 'BOB@ACME.TEST', seats: '12', appVersion: '2.4.0-beta.3', signupAt: '2026-05-31T23:00:00Z', orgId: 'org-2' },
  { targetingKey: 'carol', plan: 'team', country: 'FR', email: 'admin@example.com', seats: 10, appVersion: '2.4.0-rc.1', signupAt: 1780000000000, orgId: 'org-3' },
  { targetingKey: 'dave', plan: 'free', country: 'US', email: 'root@zoë.example', seats: ' 12.5 ', appVersion: '2.10.0', orgId: 'org-1' },
  { targetingKey: 'Zoë', plan: 'pro', country: 'DE', email: 'zoë@acme.test', seats: 13, appVersion: '1.9.9', signupAt: 'not a date', orgId: 'Société' },
  { targetingKey: '李雷', plan: 'Pro', country: 'XX', seats: -2, appVersion: 'v2.4.0', orgId: '组织-7' },
  { targetingKey: '🙂', plan: 'team', email: 'smile@acme.io', seats: 'lots', appVersion: '2.4.0+build.5', orgId: '🏢' },
  { targetingKey: 'user-1000', country: 'DE', seats: 0, appVersion: '3.0.0-alpha', orgId: 'org-1000', currentTime: '2026-12-25T00:00:00Z' },
  { targetingKey: 'naïve café', plan: 'pro', country: 'DE', email: 'x@y.TEST', seats: 1e3, appVersion: '2.0.0', orgId: 'org-2' },
  { targetingKey: 'u-42', plan: true, country: 7, email: ['a@acme.test'], seats: false, appVersion: '2.4', orgId: 42 },
  { sessionId: 'session-9', plan: 'pro', country: 'DE', orgId: 'org-9' },
  { sessionId: 'session-10', plan: 'team', orgId: 'org-10', seats: '0x10' },
  { targetingKey: '', sessionId: 'session-11', plan: 'free', orgId: 'org-11' },
  { sessionId: 'session-12', plan: 'pro', email: 'admin@acme.test' },
  ...Array.from({ length: 24 }, (_, i) => ({ targetingKey: `user-${i * 7919}`, plan: ['pro', 'team', 'free'][i % 3]!, country: ['DE', 'FR', 'US', 'XX'][i % 4]!, seats: i, appVersion: `2.${i % 6}.0`, orgId: `org-${i % 5}`, email: `u${i}@acme.test` })),
].map((ctx) => ({ ...base, ...ctx }));

/** A context with no orgId: the flags whose variants bucket by it would serve a random one, so they are left out there. */
const random = (key: string, ctx: EvalContext) => key === 'variants-json' && ctx.orgId === undefined;

/** A document flag as the server stores it (the API's defaults filled in). */
function stored(f: Record<string, unknown>): Flag {
  const strategies = ((f.strategies as Record<string, unknown>[] | undefined) ?? []).map((s) => ({
    name: '', constraints: [], segments: [], rollout: 100, stickiness: 'default', group: null, serve: 'on', variants: [], ...s,
  }));
  return {
    tenant: TENANT, env: ENV, version: 1, createdAt: NOW, updatedAt: NOW, description: '', type: 'boolean', onValue: null, offValue: null, variants: [], stickiness: 'default', quotaRules: [],
    ...f, strategies, dependencies: ((f.dependencies as Record<string, unknown>[] | undefined) ?? []).map((d) => ({ enabled: true, variants: [], ...d })),
  } as unknown as Flag;
}

function exported(f: Flag) {
  const { tenant: _t, env: _e, version: _v, createdAt: _c, updatedAt: _u, onValue, offValue, ...rest } = f;
  return { ...rest, ...(f.type === 'boolean' ? {} : { onValue, offValue }) };
}

export interface ModelCase { flag: string; context: number; expected: { value: unknown; variant: string; reason: string; userMissing?: true } }

export function modelVectors() {
  const scopes = segmentScopes(segments.map((s) => ({ ...s, global: false })));
  const set = new Map<string, CompiledFlag>(flags.map((f) => [f.key as string, compile(stored(f), false, scopes.tenant)]));
  const cases: ModelCase[] = [];
  contexts.forEach((ctx, i) => {
    // one pass per context, as OFREP's bulk evaluation (a parent evaluated once)
    const pass = { flags: set, done: new Map<string, Evaluation | null>() };
    for (const key of [...set.keys()].sort()) {
      const r = pass.done.get(key) ?? evaluate(set.get(key)!, ctx, undefined, pass);
      if (random(key, ctx)) continue;
      cases.push({ flag: key, context: i, expected: { value: r.value, variant: r.variant, reason: r.reason, ...(r.userMissing ? { userMissing: true as const } : {}) } });
    }
  });
  return {
    about: 'Shared test vectors of the full flag model: "document" is one tenant\'s flags and segments (format flagmeter.flags/1, as POST /api/flags/import takes it), "contexts" the evaluation contexts (tenant and env filled in, as OFREP does), "cases" what FlagMeter\'s server evaluator answers for a flag (by key) in a context (by index). Checked against the server\'s evaluator, the Node SDK (CompiledFlags, LocalFlags), the Python SDK (sdk/python/tests/test_local.py) and a real server through OFREP (tests/sdk/local-flags.test.ts). Made by node sdk/vectors/generate.ts; tests fail when it is stale.',
    // every field filled in, as GET /api/flags/export writes it (what the SDKs compile)
    document: { format: 'flagmeter.flags/1', tenant: TENANT, env: ENV, segments, flags: flags.map((f) => exported(stored(f))) },
    contexts, cases,
  };
}
