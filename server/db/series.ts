// Usage over a tenant's current billing period, bucketed by local hour or day, for the dashboard chart.
import type { Pool } from './pool.ts';

export const buckets = ['hour', 'day'] as const;
export type Bucket = (typeof buckets)[number];

export interface SeriesPoint { t: string; tokens: number; cumulative: number }

export interface UsageSeries {
  tenant: string;
  bucket: Bucket;
  timezone: string;
  periodStart: string;
  periodEnd: string;
  quota: number;
  points: SeriesPoint[];
}

// Reads flagmeter.usage_buckets (minute rollups plus the tenant-local hours that tick() compacts
// them into), so the series sums the same before and after compaction. Buckets are truncated in
// the tenant's time zone, so a "day" is its local calendar day (23 or 25
// hours across a DST change). The series runs from the period start to the latest bucket holding
// either now or an event (events may be a few minutes in the future), never to the period end:
// a flat cumulative line into the future would read as data.
const seriesSql = `
with p as (
  select t.id, t.slug, t.timezone, t.monthly_quota, bp.period_start, bp.period_end
  from flagmeter.tenants t
  cross join lateral flagmeter.billing_period(t.billing_day, t.timezone, now()) bp
  where t.slug = $1::text
), used as (
  select date_trunc($2::text, u.bucket_start, p.timezone) as t, sum(u.tokens)::bigint as tokens
  from p
  join flagmeter.usage_buckets u
    on u.tenant_id = p.id and u.bucket_start >= p.period_start and u.bucket_start < p.period_end
  group by 1
)
select p.slug, p.timezone, p.monthly_quota, p.period_start, p.period_end, s.t,
  coalesce(u.tokens, 0)::bigint as tokens,
  (sum(coalesce(u.tokens, 0)) over (order by s.t))::bigint as cumulative
from p
cross join lateral generate_series(
  date_trunc($2::text, p.period_start, p.timezone),
  least(greatest(now(), (select max(t) from used)), p.period_end - interval '1 microsecond'),
  ('1 ' || $2::text)::interval,
  p.timezone
) as s(t)
left join used u on u.t = s.t
order by s.t`;

type SeriesRow = {
  slug: string; timezone: string; monthly_quota: number; period_start: Date; period_end: Date;
  t: Date; tokens: number; cumulative: number;
};

export async function getUsageSeries(pool: Pool, slug: string, bucket: Bucket): Promise<UsageSeries | undefined> {
  const { rows } = await pool.query<SeriesRow>({ name: 'usage_series', text: seriesSql, values: [slug, bucket] });
  const first = rows[0];
  if (!first) return undefined;
  return {
    tenant: first.slug,
    bucket,
    timezone: first.timezone,
    periodStart: first.period_start.toISOString(),
    periodEnd: first.period_end.toISOString(),
    quota: first.monthly_quota,
    points: rows.map((r) => ({ t: r.t.toISOString(), tokens: r.tokens, cumulative: r.cumulative })),
  };
}
