// Prometheus series of entitlements, on the process's registry: checks by reason (counted per
// answer, in memory) and the holds outstanding (read from PostgreSQL when Prometheus scrapes).
import { Counter, Gauge, type Registry } from 'prom-client';
import { checkReasons } from './schemas.ts';

export interface EntitlementMetrics { checks: Counter<'reason'> }

export function makeEntitlementMetrics(registry: Registry, outstanding: () => Promise<{ count: number; tokens: number }>): EntitlementMetrics {
  const registers = [registry];
  const checks = new Counter({
    name: 'flagmeter_entitlement_checks_total', help: 'POST /api/check answers by reason (ok, quota_exhausted, feature_limit_reached, would_exceed, budget_exhausted, budget_would_exceed, feature_budget_exhausted, feature_budget_would_exceed, unverified)',
    labelNames: ['reason'] as const, registers,
  });
  for (const reason of checkReasons) checks.inc({ reason }, 0);
  let last: Promise<{ count: number; tokens: number } | undefined> | undefined;
  // one query per scrape for both gauges
  const read = () => (last ??= outstanding().catch(() => undefined).finally(() => setTimeout(() => { last = undefined; }, 100)));
  new Gauge({
    name: 'flagmeter_reservations_outstanding', help: 'Open, unexpired reservations (all tenants)', registers,
    async collect() { const o = await read(); if (o) this.set(o.count); else this.reset(); },
  });
  new Gauge({
    name: 'flagmeter_reservations_outstanding_tokens', help: 'Tokens held by open, unexpired reservations (all tenants)', registers,
    async collect() { const o = await read(); if (o) this.set(o.tokens); else this.reset(); },
  });
  return { checks };
}
