// The body of GET /api/usage/:tenant in one statement: one pool checkout and one round trip instead
// of three, and the billing period computed once (report.usage_by_feature recomputes usage_current).
// The JSON is built by PostgreSQL and returned as text, so it can be cached and sent as it is.
import type { Pool } from './pool.ts';
import { alertJson, isoUtc } from './alerts.ts';

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
  'timezone', t.timezone`;

/**
 * The period's sums, as CTEs over `t` (the tenant with period_start/period_end): `f`, one row per
 * feature from flagmeter.period_usage() like the report views (daily rollups, or the buckets when
 * the tenant's zone changed near the period), and `total`, their sum (as in report.usage_current).
 * The usage body and a period's statement share it, so they agree to the token.
 */
export const periodSums = `f as (
  select f.feature, f.tokens, f.event_count
  from t cross join lateral flagmeter.period_usage(t.id, t.timezone, t.period_start, t.period_end) f
), total as (
  select coalesce(sum(tokens), 0)::bigint as tokens, coalesce(sum(event_count), 0)::bigint as events from f
)`;

// The tenant's current period summed with periodSums; timestamps are written as JavaScript's
// toISOString() would, so the body reads like every other answer.
const usageBodySql = `
with t as (
  select t.id, t.slug, t.name, t.monthly_quota, t.billing_day, t.timezone, p.period_start, p.period_end
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
  'features', coalesce((
    select json_agg(json_build_object(
      'feature', f.feature, 'tokens', f.tokens, 'eventCount', f.event_count,
      'percent', round(100.0 * f.tokens / nullif(total.tokens, 0), 2)) order by f.tokens desc, f.feature)
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
