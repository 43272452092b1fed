// The flag service of one process: the in-memory flag sets, the quota snapshots and the evaluation
// counters, and evaluation over them. Evaluating never queries PostgreSQL once a tenant·environment
// is loaded (and, for flags with quota rules, once its tenant's usage is watched).
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../log.ts';
import { EvaluationCounter } from './counter.ts';
import { evaluate, reachedPercent, type CompiledFlag, type EvalContext, type Evaluation, type UsageView } from './evaluate.ts';
import type { Environment, QuotaRule } from './model.ts';
import { QuotaSnapshots } from './quota.ts';
import { FlagStore, type FlagSet } from './store.ts';

export interface FlagServiceOptions {
  pool: Pool;
  log: Logger;
  /** How long a loaded flag set is used without a write telling us it changed (no Valkey: the bound on staleness). */
  cacheTtlMs: number;
  /** Quota snapshot refresh (ms). */
  quotaRefreshMs: number;
  /** Evaluation count flush (ms). */
  countsFlushMs: number;
  /** Evaluation counts older than this are dropped (0: kept). */
  countsRetentionDays?: number;
}

export interface Evaluated { flag: CompiledFlag; result: Evaluation }

/** What the evaluation counts record as the value served: the value, or a JSON object's variant name. */
const counted = (r: Evaluation): string | boolean => (typeof r.value === 'object' ? r.variant : typeof r.value === 'number' ? String(r.value) : r.value);

export class FlagService {
  readonly store: FlagStore;
  readonly quota: QuotaSnapshots;
  readonly counter: EvaluationCounter;

  constructor(o: FlagServiceOptions) {
    this.store = new FlagStore(o.pool, o.cacheTtlMs, o.log);
    this.quota = new QuotaSnapshots(o.pool, o.quotaRefreshMs, o.log);
    this.counter = new EvaluationCounter(o.pool, o.countsFlushMs, o.log, o.countsRetentionDays);
  }

  start(): void {
    this.store.start();
    this.counter.start();
  }

  async stop(): Promise<void> {
    this.store.stop();
    this.quota.stop();
    await this.counter.stop();
  }

  async environment(name: string): Promise<Environment | undefined> {
    return (await this.store.environments()).get(name);
  }

  private async usage(set: FlagSet): Promise<UsageView | undefined> {
    return set.quotaRules ? this.quota.view(set.tenantId) : undefined;
  }

  /** One flag for one context; undefined when the tenant has no such flag (nor inherits one). */
  async evaluateOne(tenantId: number, envId: number, key: string, ctx: EvalContext): Promise<Evaluated | undefined> {
    const set = await this.store.flagSet(tenantId, envId);
    const flag = set.flags.get(key);
    if (!flag) return undefined;
    // parents may carry quota rules of their own
    const needsUsage = flag.rules.length > 0 || (flag.flag.dependencies.length > 0 && set.quotaRules);
    const result = evaluate(flag, ctx, needsUsage ? await this.usage(set) : undefined, { flags: set.flags, done: new Map() });
    this.counter.count(tenantId, envId, key, counted(result));
    return { flag, result };
  }

  /** Every flag of the tenant in the environment, in key order, in one pass (a parent is evaluated once). */
  async evaluateAll(tenantId: number, envId: number, ctx: EvalContext): Promise<Evaluated[]> {
    const set = await this.store.flagSet(tenantId, envId);
    const usage = await this.usage(set);
    const pass = { flags: set.flags, done: new Map<string, Evaluation | null>() };
    const out: Evaluated[] = [];
    for (const key of [...set.flags.keys()].sort()) {
      const flag = set.flags.get(key)!;
      const result = pass.done.get(key) ?? evaluate(flag, ctx, usage, pass);
      this.counter.count(tenantId, envId, key, counted(result));
      out.push({ flag, result });
    }
    return out;
  }

  /** Every flag of the tenant in the environment for a context, in key order, without counting: what a playground shows. */
  async explainAll(tenantId: number, envId: number, ctx: EvalContext): Promise<Evaluated[]> {
    const set = await this.store.flagSet(tenantId, envId);
    const usage = await this.usage(set);
    const pass = { flags: set.flags, done: new Map<string, Evaluation | null>() };
    return [...set.flags.keys()].sort().map((key) => {
      const flag = set.flags.get(key)!;
      return { flag, result: pass.done.get(key) ?? evaluate(flag, ctx, usage, pass) };
    });
  }

  /** The quota rule that serves a tenant's flag right now (for the list and the page), or null. */
  async activeRule(tenantId: number, rules: QuotaRule[]): Promise<(QuotaRule & { percent: number }) | null> {
    if (rules.length === 0) return null;
    const usage = await this.quota.view(tenantId);
    for (const rule of [...rules].sort((a, b) => b.atPercent - a.atPercent)) {
      const percent = reachedPercent(rule, usage);
      if (percent !== undefined) return { ...rule, percent };
    }
    return null;
  }
}
