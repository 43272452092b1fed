// The flag service of one process: the in-memory flag sets, the quota snapshots, the evaluation
// counters and the list's counts read back from them, and evaluation over them. Evaluating and
// listing never query PostgreSQL once a tenant·environment is loaded (and, for flags with quota
// rules, once its tenant's usage is watched).
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../log.ts';
import { EvaluationCounter } from './counter.ts';
import { evaluate, reachedPercent, type CompiledFlag, type EvalContext, type Evaluation, type UsageView } from '../../sdk/node/src/local/evaluate.ts';
import type { Environment, QuotaRule } from './model.ts';
import { QuotaSnapshots } from './quota.ts';
import { RecentCounts, type CountsView } from './recent-counts.ts';
import { FlagStore, type CountedFlag, type FlagSet } from './store.ts';

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

export class FlagService {
  readonly store: FlagStore;
  readonly quota: QuotaSnapshots;
  readonly counter: EvaluationCounter;
  readonly recent: RecentCounts;

  constructor(o: FlagServiceOptions) {
    this.recent = new RecentCounts(o.pool);
    // each flush reads the list's counts back: the list is as fresh as the counts written
    this.counter = new EvaluationCounter(o.pool, o.countsFlushMs, o.log, o.countsRetentionDays, () => this.recent.refresh());
    this.store = new FlagStore(o.pool, o.cacheTtlMs, o.log, (t, e, k) => this.counter.tally(t, e, k));
    this.quota = new QuotaSnapshots(o.pool, o.quotaRefreshMs, o.log);
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
    return set.quotaRules && set.tenantId !== null ? this.quota.view(set.tenantId) : undefined;
  }

  private countOn(flag: CountedFlag, result: Evaluation): void {
    if (flag.tally) this.counter.count(flag.tally, result);
  }

  /** A tenant·environment's flags (tenant null: the global ones): what the bulk ETag and the list read. */
  flagSet(tenantId: number | null, envId: number): Promise<FlagSet> | FlagSet {
    return this.store.flagSet(tenantId, envId);
  }

  /** The set and its evaluation counts (24 h, latest evaluation), both from memory once loaded. */
  async listing(tenantId: number | null, envId: number): Promise<{ set: FlagSet; counts: CountsView }> {
    const set = await this.store.flagSet(tenantId, envId);
    return { set, counts: await this.recent.view(tenantId, envId) };
  }

  /** One flag for one context; undefined when the tenant has no such flag (nor inherits one). */
  async evaluateOne(tenantId: number, envId: number, key: string, ctx: EvalContext): Promise<Evaluated | undefined> {
    const set = await this.store.flagSet(tenantId, envId);
    const flag = set.flags.get(key);
    if (!flag) return undefined;
    // parents may carry quota rules of their own
    const needsUsage = flag.rules.length > 0 || (flag.flag.dependencies.length > 0 && set.quotaRules);
    const result = evaluate(flag, ctx, needsUsage ? await this.usage(set) : undefined, { flags: set.flags, done: new Map() });
    this.countOn(flag, result);
    return { flag, result };
  }

  /** Every flag of the tenant in the environment, in key order, in one pass (a parent is evaluated once). */
  async evaluateAll(tenantId: number, envId: number, ctx: EvalContext): Promise<Evaluated[]> {
    return this.evaluateSet(await this.store.flagSet(tenantId, envId), ctx);
  }

  /** Every flag of a loaded set, in key order, in one pass, counted. */
  async evaluateSet(set: FlagSet, ctx: EvalContext): Promise<Evaluated[]> {
    const usage = await this.usage(set);
    const pass = { flags: set.flags, done: new Map<string, Evaluation | null>() };
    const out: Evaluated[] = [];
    for (const key of set.keys) {
      const flag = set.flags.get(key)!;
      const result = pass.done.get(key) ?? evaluate(flag, ctx, usage, pass);
      this.countOn(flag, result);
      out.push({ flag, result });
    }
    return out;
  }

  /** Every flag of the tenant in the environment for a context, in key order, without counting: what a playground shows. */
  async explainAll(tenantId: number, envId: number, ctx: EvalContext): Promise<Evaluated[]> {
    const set = await this.store.flagSet(tenantId, envId);
    const usage = await this.usage(set);
    const pass = { flags: set.flags, done: new Map<string, Evaluation | null>() };
    return set.keys.map((key) => {
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
