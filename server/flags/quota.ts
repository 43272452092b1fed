// Usage snapshots for flags that follow the quota or a budget: one query a second
// (flagmeter.quota_snapshot and budget_snapshot) for every tenant whose flags carry quota rules, so an evaluation reads its tenant's usage from
// memory. A tenant is watched from its first such evaluation until it has had none for a minute.
import type { Pool } from '../db/pool.ts';
import { quotaSnapshot } from '../db/flags.ts';
import type { Logger } from '../log.ts';
import type { LimitUse, UsageView } from '../../sdk/node/src/local/evaluate.ts';
import { repeat } from '../pacing.ts';

const FORGET_AFTER_MS = 60_000;

/** Money has at most 12 decimals (a cost); tokens none. */
const SCALE = 12;

/**
 * A decimal text ("412.5", "450") as an integer of 10^-12 units: exact, so the rules compare
 * used and limit of either unit without a float (both of a limit are scaled alike).
 */
export function exactUnits(decimal: string): bigint {
  const [whole, fraction = ''] = decimal.split('.');
  return BigInt(whole! + fraction.padEnd(SCALE, '0').slice(0, SCALE));
}

export class QuotaSnapshots {
  private views = new Map<number, UsageView>();
  private lastUsed = new Map<number, number>();
  private pending: Promise<void> | undefined;
  private loop: { stop(): void } | undefined;
  /** When the current snapshot's query started (its data is at least this fresh). */
  takenAt = 0;
  failures = 0;
  private readonly pool: Pool;
  private readonly intervalMs: number;
  private readonly log: Logger;

  constructor(pool: Pool, intervalMs: number, log: Logger) {
    this.pool = pool;
    this.intervalMs = intervalMs;
    this.log = log;
  }

  /** The tenant's usage; the first call for a tenant waits for one query, later ones read memory. */
  view(tenantId: number): UsageView | Promise<UsageView> {
    this.lastUsed.set(tenantId, Date.now());
    const v = this.views.get(tenantId);
    if (v) return v;
    this.start();
    const found = () => this.views.get(tenantId);
    // a query already running may have started before this tenant joined: then one more
    return this.loadNow().then(() => found() ?? this.loadNow().then(() => found() ?? { quota: undefined, features: new Map() }));
  }

  start(): void {
    if (this.loop || this.intervalMs === 0) return;
    this.loop = repeat(() => this.refresh(), this.intervalMs, (err) => {
      this.failures++;
      this.log.warn({ err: err.message }, 'quota snapshot refresh failed; flags keep the previous usage');
    });
  }

  stop(): void {
    this.loop?.stop();
    this.loop = undefined;
  }

  private loadNow(): Promise<void> {
    // a tenant new to the set joins the next query; one query serves everyone waiting
    this.pending ??= this.query().finally(() => { this.pending = undefined; });
    return this.pending;
  }

  /** The periodic refresh: forgets idle tenants, reloads the rest. */
  private async refresh(): Promise<void> {
    const cutoff = Date.now() - FORGET_AFTER_MS;
    for (const [id, at] of this.lastUsed) {
      if (at < cutoff) {
        this.lastUsed.delete(id);
        this.views.delete(id);
      }
    }
    if (this.lastUsed.size > 0) await this.loadNow();
  }

  private async query(): Promise<void> {
    const ids = [...this.lastUsed.keys()];
    const startedAt = Date.now();
    const rows = await quotaSnapshot(this.pool, ids);
    const views = new Map<number, UsageView>();
    for (const id of ids) views.set(id, { quota: undefined, features: new Map() });
    for (const r of rows) {
      const v = views.get(r.tenantId);
      if (!v) continue;
      const limit = { used: exactUnits(r.used), limit: exactUnits(r.limit) };
      if (r.feature !== null) (v.features as Map<string, LimitUse>).set(r.feature, limit);
      else if (r.unit === 'money') v.budget = limit;
      else v.quota = limit;
    }
    for (const [id, v] of views) this.views.set(id, v);
    this.takenAt = startedAt;
  }
}
