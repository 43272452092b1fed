// The in-process cost of the reference flag: 3 strategies of 4 constraints each (in, in,
// semver_gte, str_ends_with; rollouts 50/30/100 sticky by targetingKey) and 3 weighted variants,
// for 1,000 users who all reach the last strategy (the most work: two strategies tried and missed);
// with and without the evaluation counter the server updates per evaluation; and the counter alone.
// Wall time of a loop over its length, best of `rounds` (plain and counted rounds alternate), after a
// warm-up; and the CPU time of the best round, which a loaded machine inflates less.
import { compile, evaluate, type Evaluation } from '../../sdk/node/src/local/evaluate.ts';
import { EvaluationCounter } from '../../server/flags/counter.ts';
import type { Constraint, Flag, FlagStrategy } from '../../server/flags/model.ts';
import type { Pool } from '../../server/db/pool.ts';
import { pino } from 'pino';

const inList = (contextName: string, values: string[]): Constraint => ({ contextName, operator: 'in', values, caseInsensitive: false, inverted: false });
const strategy = (country: string, rollout: number): FlagStrategy => ({
  name: '', segments: [], rollout, stickiness: 'targetingKey', group: null, serve: 'on', variants: [],
  constraints: [
    inList('plan', ['pro', 'team']), inList('country', [country]),
    { contextName: 'appVersion', operator: 'semver_gte', value: '2.0.0', caseInsensitive: false, inverted: false },
    { contextName: 'email', operator: 'str_ends_with', values: ['@acme.test'], caseInsensitive: false, inverted: false },
  ],
});

/** The reference flag as the API takes it (POST /api/features body fields). */
export const RULES_FLAG = {
  type: 'string' as const, onValue: 'gpt-4o-mini', offValue: 'none',
  strategies: [strategy('FR', 50), strategy('US', 30), strategy('DE', 100)],
  variants: [{ name: 'a', weight: 33.3, value: 'gpt-4o-mini' }, { name: 'b', weight: 33.3, value: 'gpt-4o' }, { name: 'c', weight: 33.4, value: 'o3' }],
};

/** A context that reaches the third strategy. */
export const rulesContext = (i: number) => ({ targetingKey: `user-${i}`, plan: 'pro', country: 'DE', appVersion: '2.3.1', email: `u${i}@acme.test` });

/** A counter that only counts in memory (never flushed: no pool), with its clock running as in the server. */
export function benchCounter(): EvaluationCounter {
  const counter = new EvaluationCounter(undefined as unknown as Pool, 0, pino({ level: 'silent' }));
  counter.startClock();
  return counter;
}

export interface Timing { wall: number; cpu: number }

/** Times `body(i)` over n iterations: wall and CPU ns per iteration. */
export function timeLoop(n: number, body: (i: number) => void): Timing {
  const cpu = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) body(i);
  const wall = Number(process.hrtime.bigint() - t0) / n;
  const used = process.cpuUsage(cpu);
  return { wall, cpu: ((used.user + used.system) * 1000) / n };
}

/** Best (by wall time) of `rounds` of each variant, run alternately after one warm-up round of each. */
export function alternate<K extends string>(rounds: number, variants: Record<K, () => Timing>): Record<K, Timing & { rounds: number[] }> {
  const names = Object.keys(variants) as K[];
  for (const k of names) variants[k]();
  const runs = Object.fromEntries(names.map((k) => [k, [] as Timing[]])) as Record<K, Timing[]>;
  for (let r = 0; r < rounds; r++) for (const k of names) runs[k].push(variants[k]());
  return Object.fromEntries(names.map((k) => {
    const sorted = [...runs[k]].sort((a, b) => a.wall - b.wall);
    return [k, { ...sorted[0]!, rounds: runs[k].map((t) => t.wall) }];
  })) as Record<K, Timing & { rounds: number[] }>;
}

export interface RulesBenchResult {
  evaluations: number;
  /** evaluate() alone. */
  nsPerEvaluation: number;
  cpuNsPerEvaluation: number;
  /** evaluate() and the counter, as the server's request path. */
  nsPerEvaluationCounted: number;
  cpuNsPerEvaluationCounted: number;
  /** The counter alone, over the three values the flag serves. */
  nsPerCount: number;
  cpuNsPerCount: number;
}

export function flagsRulesBench(n = 1_000_000, rounds = 5): RulesBenchResult {
  const flag: Flag = {
    tenant: 't', env: 'prod', key: 'bench-rules', description: '', enabled: true, ...RULES_FLAG,
    stickiness: 'default', dependencies: [], quotaRules: [], version: 1, createdAt: '', updatedAt: '',
  };
  const compiled = compile(flag, false);
  const contexts = Array.from({ length: 1000 }, (_, i) => rulesContext(i));
  const counter = benchCounter();
  const tally = counter.tally(1, 1, flag.key);
  const served: Evaluation[] = contexts.slice(0, 3).map((c) => evaluate(compiled, c));
  let on = 0;
  const best = alternate(rounds, {
    plain: () => timeLoop(n, (i) => { if (evaluate(compiled, contexts[i % contexts.length]!).on) on++; }),
    counted: () => timeLoop(n, (i) => {
      const r = evaluate(compiled, contexts[i % contexts.length]!);
      counter.count(tally, r);
      if (r.on) on++;
    }),
    counter: () => timeLoop(n, (i) => counter.count(tally, served[i % 3]!)),
  });
  if (on === 0) throw new Error('no evaluation reached a strategy');
  return {
    evaluations: n,
    nsPerEvaluation: best.plain.wall, cpuNsPerEvaluation: best.plain.cpu,
    nsPerEvaluationCounted: best.counted.wall, cpuNsPerEvaluationCounted: best.counted.cpu,
    nsPerCount: best.counter.wall, cpuNsPerCount: best.counter.cpu,
  };
}
