// The flat vectors (flag-evaluation.json): buckets, and flat definitions (GET /api/features' fields,
// what evaluateFlag and evaluate_flag take) evaluated by the server's own evaluator (server/flags).
import { compile, evaluate, reachedPercent, type UsageView } from '../node/src/local/evaluate.ts';
import { bucket } from '../node/src/local/murmur3.ts';
import type { QuotaRule } from '../../server/flags/model.ts';
import { serverFlag, type FlatFlag } from './server-flag.ts';

const users = ['alice', 'bob', 'u-42', 'user-1000', '', 'a', 'ab', 'abc', 'abcd', 'abcde', '12345678901234567890', 'Zoë', 'José', 'Łukasz', '李雷', 'Дмитрий', '🙂', 'naïve café', 'ﬁ', 'user\u00a0space', 'x'.repeat(61)];
for (let i = 0; i < 30; i++) users.push(`user-${i * 7919}`);
const groups = ['new-model', 'checkout', 'g', 'ünicode-group', 'a:b'];
const buckets = groups.flatMap((group) => users.map((userId) => ({ group, userId, bucket: bucket(group, userId) })));

const defaults = { percentage: null, allow: [], deny: [], group: null, type: 'boolean', onValue: null, offValue: null, quotaRules: [] } as const;
const flags: Partial<FlatFlag>[] = [
  { key: 'always', enabled: true, strategy: 'boolean' },
  { key: 'off', enabled: false, strategy: 'boolean' },
  { key: 'off-string', enabled: false, strategy: 'percentage', percentage: 50, type: 'string', onValue: 'gpt-4o', offValue: 'gpt-4o-mini' },
  { key: 'half', enabled: true, strategy: 'percentage', percentage: 50 },
  { key: 'ten', enabled: true, strategy: 'percentage', percentage: 10, group: 'checkout' },
  { key: 'none', enabled: true, strategy: 'percentage', percentage: 0 },
  { key: 'all', enabled: true, strategy: 'percentage', percentage: 100 },
  { key: 'model', enabled: true, strategy: 'percentage', percentage: 33, type: 'string', onValue: 'gpt-4o', offValue: 'gpt-4o-mini', group: 'ünicode-group' },
  { key: 'beta', enabled: true, strategy: 'targeting', allow: ['alice', 'Zoë', '李雷'], deny: ['bob', 'alice'] },
  { key: 'beta-string', enabled: true, strategy: 'targeting', type: 'string', onValue: 'on-model', offValue: 'off-model', allow: ['u-42'], deny: [] },
];
const quotaFlags: { flag: Partial<FlatFlag>; usage: { quota?: { used: number; limit: number }; features?: Record<string, { used: number; limit: number }> } }[] = [
  { flag: { key: 'follows-quota', enabled: true, strategy: 'boolean', type: 'string', onValue: 'gpt-4o', offValue: 'none', quotaRules: [{ atPercent: 90, serve: 'gpt-4o-mini' }, { atPercent: 100, serve: false }] }, usage: { quota: { used: 950, limit: 1000 } } },
  { flag: { key: 'follows-quota', enabled: true, strategy: 'boolean', type: 'string', onValue: 'gpt-4o', offValue: 'none', quotaRules: [{ atPercent: 90, serve: 'gpt-4o-mini' }, { atPercent: 100, serve: false }] }, usage: { quota: { used: 1000, limit: 1000 } } },
  { flag: { key: 'follows-quota', enabled: true, strategy: 'boolean', type: 'string', onValue: 'gpt-4o', offValue: 'none', quotaRules: [{ atPercent: 90, serve: 'gpt-4o-mini' }, { atPercent: 100, serve: false }] }, usage: { quota: { used: 100, limit: 1000 } } },
  { flag: { key: 'feature-rule', enabled: true, strategy: 'percentage', percentage: 50, quotaRules: [{ atPercent: 80, serve: false, feature: 'gpt-4o' }] }, usage: { quota: { used: 1, limit: 1000 }, features: { 'gpt-4o': { used: 85, limit: 100 } } } },
  { flag: { key: 'feature-rule', enabled: true, strategy: 'percentage', percentage: 50, quotaRules: [{ atPercent: 80, serve: false, feature: 'gpt-4o' }] }, usage: { quota: { used: 1, limit: 1000 } } },
  { flag: { key: 'disabled-quota', enabled: false, strategy: 'boolean', quotaRules: [{ atPercent: 10, serve: true }] }, usage: { quota: { used: 500, limit: 1000 } } },
];

export function flatVectors() {
  const cases: unknown[] = [];
  const out = (e: { value: unknown; variant: string; reason: string; userMissing?: true }) => ({ value: e.value, variant: e.variant, reason: e.reason, ...(e.userMissing ? { userMissing: true } : {}) });
  const activeRule = (rules: QuotaRule[], usage: UsageView) => {
    for (const rule of [...rules].sort((a, b) => b.atPercent - a.atPercent)) {
      const percent = reachedPercent(rule, usage);
      if (percent !== undefined) return { ...rule, percent };
    }
    return null;
  };
  const view = (u: { quota?: { used: number; limit: number }; features?: Record<string, { used: number; limit: number }> }): UsageView => ({ quota: u.quota, features: new Map(Object.entries(u.features ?? {})) });
  for (const f of flags) {
    const flag = serverFlag({ ...defaults, ...f } as FlatFlag);
    for (const userId of [...users.slice(0, 25), undefined]) {
      cases.push({ flag: { ...f }, ...(userId === undefined ? {} : { userId }), expected: out(evaluate(compile(flag, false), userId)) });
    }
  }
  for (const q of quotaFlags) {
    const flag = serverFlag({ ...defaults, ...q.flag } as FlatFlag);
    for (const userId of ['alice', 'bob', undefined]) {
      cases.push({ flag: { ...q.flag }, usage: q.usage, activeQuotaRule: activeRule(flag.quotaRules, view(q.usage)), ...(userId === undefined ? {} : { userId }), expected: out(evaluate(compile(flag, false), userId, view(q.usage))) });
    }
  }
  return {
    about: 'Shared test vectors: the bucket (murmur3_x86_32 of the UTF-8 of "<group>:<userId>", mod 100) and the evaluation of flat flags for users, as FlagMeter\'s server computes them (server/flags). tests/sdk/local-flags.test.ts checks the server and the Node SDK against them; sdk/python/tests/test_local.py checks the Python SDK. Flag fields left out take the defaults in "defaults". With quota rules: "usage" is what the server sees, "activeQuotaRule" what GET /api/features reports for it. Made by node sdk/vectors/generate.ts.',
    defaults,
    buckets, cases,
  };
}
