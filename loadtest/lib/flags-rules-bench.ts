// The in-process cost of the reference flag: 3 strategies of 4 constraints each (in, in,
// semver_gte, str_ends_with; rollouts 50/30/100 sticky by targetingKey) and 3 weighted variants,
// for 1,000 users who all reach the last strategy (the most work: two strategies tried and missed).
// Wall time of a loop over its length, best of `rounds`, after a warm-up; and the CPU time of the
// best round, which a loaded machine inflates less.
import { compile, evaluate } from '../../server/flags/evaluate.ts';
import type { Constraint, Flag, FlagStrategy } from '../../server/flags/model.ts';

const inList = (contextName: string, values: string[]): Constraint => ({ contextName, operator: 'in', values, caseInsensitive: false, inverted: false });
const strategy = (country: string, rollout: number): FlagStrategy => ({
  name: '', segments: [], rollout, stickiness: 'targetingKey', group: null, serve: 'on', variants: [],
  constraints: [
    inList('plan', ['pro', 'team']), inList('country', [country]),
    { contextName: 'appVersion', operator: 'semver_gte', value: '2.0.0', caseInsensitive: false, inverted: false },
    { contextName: 'email', operator: 'str_ends_with', values: ['@acme.test'], caseInsensitive: false, inverted: false },
  ],
});

export interface RulesBenchResult { evaluations: number; nsPerEvaluation: number; cpuNsPerEvaluation: number }

export function flagsRulesBench(n = 1_000_000, rounds = 5): RulesBenchResult {
  const flag: Flag = {
    tenant: 't', env: 'prod', key: 'bench-rules', description: '', enabled: true, type: 'string', onValue: 'gpt-4o-mini', offValue: 'none',
    strategies: [strategy('FR', 50), strategy('US', 30), strategy('DE', 100)],
    variants: [{ name: 'a', weight: 33.3, value: 'gpt-4o-mini' }, { name: 'b', weight: 33.3, value: 'gpt-4o' }, { name: 'c', weight: 33.4, value: 'o3' }],
    stickiness: 'default', dependencies: [], quotaRules: [], version: 1, createdAt: '', updatedAt: '',
  };
  const compiled = compile(flag, false);
  const contexts = Array.from({ length: 1000 }, (_, i) => ({ targetingKey: `user-${i}`, plan: 'pro', country: 'DE', appVersion: '2.3.1', email: `u${i}@acme.test` }));
  let served = 0;
  const loop = () => {
    const cpu = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) if (evaluate(compiled, contexts[i % contexts.length]!).on) served++;
    const wall = Number(process.hrtime.bigint() - t0) / n;
    const used = process.cpuUsage(cpu);
    return { wall, cpu: ((used.user + used.system) * 1000) / n };
  };
  loop();
  const runs = Array.from({ length: rounds }, loop).sort((a, b) => a.wall - b.wall);
  if (served === 0) throw new Error('no evaluation reached a strategy');
  return { evaluations: n, nsPerEvaluation: runs[0]!.wall, cpuNsPerEvaluation: runs[0]!.cpu };
}
