// Shared by the spend tests: a price book that changes in the middle of the range, random events
// with and without token parts, and the cost computed directly from the raw events (each event at
// the price in force at its own instant), which every rollup, answer and view must equal.
import { randomUUID } from 'node:crypto';
import type { EventRow } from '../../server/db/events.ts';
import type { Pool } from '../../server/db/pool.ts';

export const DAY = 86_400_000;
export const MODELS = ['gpt-4o', 'gpt-4o-mini', 'm-unpriced', 'm-custom'];

/** A whole minute `days` before now (price rows start on whole minutes). */
export const minutesAgo = (now: number, ms: number) => new Date(Math.floor((now - ms) / 60_000) * 60_000).toISOString();

/**
 * Installation prices for `custom` (default m-custom) in USD and EUR that change 4 days ago and
 * again 1.5 days ago (gpt-4o and gpt-4o-mini keep the shipped list's USD rows), and for tenant
 * `overrideId` its own gpt-4o price from 2 days ago. Inserted directly: the API refuses past prices.
 */
export async function setPriceBook(pool: Pool, now: number, overrideId: number, custom = 'm-custom'): Promise<void> {
  await pool.query(`
    insert into flagmeter.prices (model, currency, effective_from, input, output, cached, plain) values
      ($3, 'USD', '2000-01-01T00:00:00Z', 1.000001, 2.5, 0.333333, 1.1),
      ($3, 'USD', $1::timestamptz, 3.141592, 7.777777, 0.5, 3),
      ($3, 'USD', $2::timestamptz, 0.07, 0.9, 0.000001, 0.25),
      ($3, 'EUR', '2000-01-01T00:00:00Z', 2, 4, 1, 2),
      ($3, 'EUR', $1::timestamptz, 5.5, 11, 0.55, 5.5),
      ('gpt-4o', 'EUR', '2000-01-01T00:00:00Z', 2.3, 9.2, 1.15, 2.3)`,
    [minutesAgo(now, 4 * DAY), minutesAgo(now, 1.5 * DAY), custom]);
  await pool.query(`
    insert into flagmeter.tenant_prices (tenant_id, model, effective_from, input, output, cached, plain) values
      ($1::bigint, 'gpt-4o', $2::timestamptz, 1.999999, 8.123456, 0.999999, 2)`, [overrideId, minutesAgo(now, 2 * DAY)]);
}

/** Deterministic pseudo-random events over the last `spanDays`, a third without parts, most with a user. */
export function randomEvents(tenantIds: number[], n: number, seed: number, now: number, spanDays: number): EventRow[] {
  // mulberry32: an LCG's low bits repeat too soon for `% 4`
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
  return Array.from({ length: n }, () => {
    const tokens = 1 + next() % 5000;
    const parted = next() % 3 !== 0;
    const input = parted ? next() % (tokens + 1) : 0;
    const cached = parted ? next() % (tokens - input + 1) : 0;
    const row: EventRow = {
      id: randomUUID(), tenantId: tenantIds[next() % tenantIds.length]!, feature: MODELS[next() % MODELS.length]!, tokens,
      occurredAt: new Date(now - 60_000 - next() % Math.floor(spanDays * DAY)).toISOString(), key: null,
      user: next() % 4 === 0 ? null : `u${next() % 7}`,
    };
    if (parted) Object.assign(row, { inputTokens: input, outputTokens: tokens - input - cached, cachedTokens: cached });
    return row;
  });
}

/**
 * Each raw event with its price, found straight from the price rows (not through price_in_force):
 * the tenant's latest override at or before the event's instant, else the installation's latest row
 * in the tenant's currency; cost exact, 0 when unpriced. `where` filters events (alias e).
 */
export const pricedEventsSql = (where = 'true') => `
  select e.*, t.slug as tenant, t.currency,
    coalesce((coalesce(e.input_tokens, 0) * pr.input + coalesce(e.output_tokens, 0) * pr.output + coalesce(e.cached_tokens, 0) * pr.cached
      + case when e.input_tokens is null then e.tokens else 0 end * pr.plain) / 1000000.0, 0) as cost
  from flagmeter.events e
  join flagmeter.tenants t on t.id = e.tenant_id
  left join lateral (
    select * from (
      select 1 as rank, tp.effective_from, tp.input, tp.output, tp.cached, tp.plain from flagmeter.tenant_prices tp
      where tp.tenant_id = e.tenant_id and tp.model = e.feature and tp.effective_from <= e.occurred_at
      union all
      select 2, p.effective_from, p.input, p.output, p.cached, p.plain from flagmeter.prices p
      where p.model = e.feature and p.currency = t.currency and p.effective_from <= e.occurred_at
    ) c order by rank, effective_from desc limit 1
  ) pr on true
  where ${where}`;

/** Decimal strings compared as exact values (trailing zeros aside). */
export const exact = (v: string | number | null | undefined) => {
  if (v === null || v === undefined) return v;
  const s = String(v);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
};
