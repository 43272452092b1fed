// The body of GET /api/usage/:tenant in one statement: one pool checkout and one round trip instead
// of three, and the billing period computed once (report.usage_by_feature recomputes usage_current).
// The JSON is built by PostgreSQL and returned as text, so it can be cached and sent as it is.
import type { Pool } from './pool.ts';
import { alertJson, isoUtc } from './alerts.ts';

/**
 * A money column as JSON text: the exact numeric sum without trailing zeros ("412.5", "0.0000075"),
 * never a float and never rounded (docs/cost.md).
 */
export const moneyText = (column: string) => `trim_scale(${column})::text`;

/**
 * The fields a period's usage starts with, in the usage body and in a period's statement alike:
 * json_build_object arguments over `t` (the tenant with period_start/period_end) and `total`.
 */
export const periodUsageFields = `
  'tenant', t.slug,
  'tenantName', t.name,
  'totalTokens', total.tokens,
  'monthlyQuota', t.monthly_quota,
  'quotaPercent', round(100.0 * total.tokens / t.monthly_quota, 2),
  'eventCount', total.events,
  'periodStart', ${isoUtc('t.period_start')},
  'periodEnd', ${isoUtc('t.period_end')},
  'billingDay', t.billing_day,
  'timezone', t.timezone,
  'totalCost', ${moneyText('total.cost')},
  'currency', t.currency`;

/**
 * The period's sums, as CTEs over `t` (the tenant with period_start/period_end): `f`, one row per
 * feature from flagmeter.period_spend() (period_usage() with parts and cost) like the report views (daily rollups, or the buckets when
 * the tenant's zone changed near the period), and `total`, their sum (as in report.usage_current).
 * The usage body and a period's statement share it, so they agree to the token.
 */
export const periodSums = `f as (
  select f.feature, f.tokens, f.event_count, f.input_tokens, f.output_tokens, f.cached_tokens, f.cost
  from t cross join lateral flagmeter.period_spend(t.id, t.timezone, t.period_start, t.period_end) f
), total as (
  select coalesce(sum(tokens), 0)::bigint as tokens, coalesce(sum(event_count), 0)::bigint as events, coalesce(sum(cost), 0) as cost from f
)`;

/** One feature of periodSums' `f` as the answers write it: tokens, parts, cost and share. */
export const featureJson = `json_build_object(
      'feature', f.feature, 'tokens', f.tokens, 'eventCount', f.event_count,
      'percent', round(100.0 * f.tokens / nullif(total.tokens, 0), 2),
      'inputTokens', f.input_tokens, 'outputTokens', f.output_tokens, 'cachedTokens', f.cached_tokens, 'cost', ${moneyText('f.cost')})`;

// The tenant's current period summed with periodSums; timestamps are written as JavaScript's
// toISOString() would, so the body reads like every other answer.
const usageBodySql = `
with t as (
  select t.id, t.slug, t.name, t.monthly_quota, t.billing_day, t.timezone, t.currency, t.monthly_budget, t.budget_hard, p.period_start, p.period_end
  from flagmeter.tenants t
  cross join lateral flagmeter.billing_period(t.billing_day, t.timezone, coalesce($2::timestamptz, now())) p
  where t.slug = $1::text
), ${periodSums}, a as (
  select a.* from t
  join flagmeter.alerts a on a.tenant_id = t.id
  order by a.created_at desc, a.id desc
  limit 20
)
select json_build_object(
  ${periodUsageFields},
  'limits', flagmeter.tenant_limits_json(t.id),
  'budget', case when t.monthly_budget is not null then json_build_object(
    'limit', ${moneyText('t.monthly_budget')}, 'used', ${moneyText('total.cost')},
    'percent', round(100.0 * total.cost / t.monthly_budget, 2), 'hard', t.budget_hard) end,
  'featureBudgets', coalesce((
    select json_agg(json_build_object(
      'feature', fl.feature, 'limit', ${moneyText('fl.monthly_budget')}, 'hard', fl.hard,
      'used', ${moneyText('fb.used')}, 'reserved', ${moneyText('fb.reserved')},
      'remaining', ${moneyText('greatest(fl.monthly_budget - fb.used - fb.reserved, 0)')},
      'percent', round(100.0 * fb.used / fl.monthly_budget, 2)) order by fl.feature)
    from flagmeter.feature_limits fl
    cross join lateral (
      select coalesce((select sum(f.cost) from f where f.feature = fl.feature), 0) as used,
        coalesce((select sum(r.cost) from flagmeter.reservations r
                  where r.tenant_id = t.id and r.feature = fl.feature and r.status = 'open' and r.expires_at > now()), 0) as reserved) fb
    where fl.tenant_id = t.id and fl.monthly_budget is not null), '[]'),
  'features', coalesce((
    select json_agg(${featureJson} order by f.tokens desc, f.feature)
    from f), '[]'),
  'alerts', coalesce((
    select json_agg(${alertJson('a', 't.slug')} order by a.created_at desc, a.id desc)
    from a), '[]')
)::text as body
from t cross join total`;

/**
 * The usage body of one tenant as JSON text, or undefined when there is no such tenant. `asOf`
 * (tests) computes it for the period holding that instant, as it read while that period was current.
 */
export async function usageBody(pool: Pool, slug: string, asOf?: Date): Promise<string | undefined> {
  const { rows: [row] } = await pool.query<{ body: string }>({ name: 'usage_body', text: usageBodySql, values: [slug, asOf ?? null] });
  return row?.body;
}
