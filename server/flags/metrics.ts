// The flag service's Prometheus series, read from its in-memory state when Prometheus scrapes
// (nothing is added to the evaluation path beyond the counter it already keeps).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { FlagService } from './service.ts';

export function registerFlagMetrics(registry: Registry, flags: FlagService): void {
  const registers = [registry];
  const total = (name: string, help: string, read: () => number) => new Counter({
    name, help, registers,
    collect() { this.reset(); this.inc(read()); },
  });
  total('flagmeter_flag_evaluations_total', 'Flag evaluations served by this process (OFREP single and bulk, each flag counted)', () => flags.counter.evaluated);
  total('flagmeter_flag_count_flush_failures_total', 'Flushes of evaluation counts to PostgreSQL that failed (their counts are retried)', () => flags.counter.failures);
  total('flagmeter_flag_counts_dropped_total', 'Evaluation counts dropped because too many distinct series waited in memory', () => flags.counter.dropped);
  total('flagmeter_flag_cache_check_failures_total', 'TTL checks of the cached flag sets that failed (the cached flags kept serving)', () => flags.store.checkFailures);
  total('flagmeter_flag_quota_snapshot_failures_total', 'Usage snapshot refreshes for quota-rule flags that failed (the previous usage kept serving)', () => flags.quota.failures);
  new Gauge({
    name: 'flagmeter_flag_sets_cached', help: 'Tenant·environment flag sets held in memory', registers,
    collect() { this.set(flags.store.size); },
  });
  new Gauge({
    name: 'flagmeter_flag_quota_snapshot_age_seconds', help: 'Age of the usage snapshot quota-rule flags evaluate against (0: no tenant watched)', registers,
    collect() { this.set(flags.quota.takenAt ? (Date.now() - flags.quota.takenAt) / 1000 : 0); },
  });
}
