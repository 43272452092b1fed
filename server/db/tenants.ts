// Tenant lookups for the ingest path and the usage reads served from the report views.
import type pg from 'pg';
import type { Pool } from './pool.ts';

export interface TenantRef {
  id: number;
  slug: string;
  /** Earliest occurred_at accepted: the start of the previous billing period. */
  earliestAllowed: number;
  /** The tenant's own rate limit, or null for the server default. */
  rateLimitPerSecond: number | null;
  rateLimitBurst: number | null;
}

export interface Usage {
  tenant: string;
  tenantName: string;
  totalTokens: number;
  monthlyQuota: number;
  quotaPercent: number;
  eventCount: number;
  periodStart: string;
  periodEnd: string;
  billingDay: number;
  timezone: string;
  /** The period's cost in currency, an exact decimal string (docs/cost.md). */
  totalCost: string;
  currency: string;
}

export interface FeatureUsage { feature: string; tokens: number; eventCount: number; percent: number }

const tenantRefSql = `
select t.id, t.slug, prev.period_start as earliest_allowed, t.rate_limit_per_second, t.rate_limit_burst
from flagmeter.tenants t
cross join lateral flagmeter.billing_period(t.billing_day, t.timezone, now()) cur
cross join lateral flagmeter.billing_period(t.billing_day, t.timezone, cur.period_start - interval '1 microsecond') prev`;

type TenantRefRow = { id: number; slug: string; earliest_allowed: Date; rate_limit_per_second: number | null; rate_limit_burst: number | null };
const toRef = (r: TenantRefRow): TenantRef => ({
  id: r.id, slug: r.slug, earliestAllowed: r.earliest_allowed.getTime(),
  rateLimitPerSecond: r.rate_limit_per_second, rateLimitBurst: r.rate_limit_burst,
});

/** A tenant's id by slug (undefined: no such tenant), on the pool or inside a transaction. */
export async function tenantIdOf(db: Pool | pg.ClientBase, slug: string): Promise<number | undefined> {
  const { rows: [r] } = await db.query<{ id: number }>('select id from flagmeter.tenants where slug = $1::text', [slug]);
  return r?.id;
}

export async function loadTenantRefs(pool: Pool, slugs?: string[]): Promise<TenantRef[]> {
  const { rows } = slugs
    ? await pool.query<TenantRefRow>(`${tenantRefSql} where t.slug = any($1::text[])`, [slugs])
    : await pool.query<TenantRefRow>(tenantRefSql);
  return rows.map(toRef);
}

const usageColumns = `tenant, tenant_name, used_tokens, monthly_quota, percent_used, event_count,
  period_start, period_end, billing_day, timezone, trim_scale(cost)::text as cost, currency`;

type UsageRow = {
  tenant: string; tenant_name: string; used_tokens: number; monthly_quota: number; percent_used: number;
  event_count: number; period_start: Date; period_end: Date; billing_day: number; timezone: string; cost: string; currency: string;
};
const toUsage = (r: UsageRow): Usage => ({
  tenant: r.tenant,
  tenantName: r.tenant_name,
  totalTokens: r.used_tokens,
  monthlyQuota: r.monthly_quota,
  quotaPercent: r.percent_used,
  eventCount: r.event_count,
  periodStart: r.period_start.toISOString(),
  periodEnd: r.period_end.toISOString(),
  billingDay: r.billing_day,
  timezone: r.timezone,
  totalCost: r.cost,
  currency: r.currency,
});

export async function listUsage(pool: Pool): Promise<Usage[]> {
  const { rows } = await pool.query<UsageRow>(`select ${usageColumns} from report.usage_current order by tenant`);
  return rows.map(toUsage);
}

export interface NewTenant { slug: string; name: string; monthlyQuota?: number; billingDay?: number; timezone?: string }

/** Creates the tenants that do not exist yet (by slug); returns how many it created. */
export async function ensureTenants(pool: Pool, tenants: NewTenant[]): Promise<number> {
  const { rowCount } = await pool.query(
    `insert into flagmeter.tenants (slug, name, monthly_quota, billing_day, timezone)
     select slug, name, coalesce(quota, 1000000), coalesce(billing_day, 1), coalesce(tz, 'UTC')
     from unnest($1::text[], $2::text[], $3::bigint[], $4::int[], $5::text[]) as t(slug, name, quota, billing_day, tz)
     on conflict (slug) do nothing`,
    [tenants.map((t) => t.slug), tenants.map((t) => t.name), tenants.map((t) => t.monthlyQuota ?? null),
      tenants.map((t) => t.billingDay ?? null), tenants.map((t) => t.timezone ?? null)]);
  return rowCount ?? 0;
}

export async function countTenants(pool: Pool): Promise<number> {
  const { rows: [row] } = await pool.query<{ n: number }>('select count(*)::int as n from flagmeter.tenants');
  return row?.n ?? 0;
}

/** Which of these tenant ids still exist (buffered events may outlive their tenant). */
export async function existingTenantIds(pool: Pool, ids: number[]): Promise<Set<number>> {
  const { rows } = await pool.query<{ id: number }>('select id from flagmeter.tenants where id = any($1::bigint[])', [ids]);
  return new Set(rows.map((t) => t.id));
}
