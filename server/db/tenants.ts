// Tenants: the lookups of the ingest path and the usage reads served from the report views; the
// settings an admin reads and changes (each change commits with its entry: db/audit.ts audited).
import type pg from 'pg';
import type { Pool } from './pool.ts';
import { featureLimitsJson, type FeatureLimit } from './entitlements.ts';
import { moneyText } from './usage.ts';

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
  /** The money budget this period beside its cost (docs/cost.md#budgets); null: none. */
  budget: BudgetUse | null;
}

/** A tenant's budget this period: the shape of the usage body's `budget`. */
export interface BudgetUse { limit: string; used: string; percent: number; hard: boolean }

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

// Every tenant's usage row (report.usage_current) with its money budget beside it, in one statement
// (GET /api/tenants and the usage stream poll it). The percent is computed as the usage body
// computes it (db/usage.ts), in numeric from the row's own cost, so the two answers agree.
const usageSql = `
select u.tenant, u.tenant_name, u.used_tokens, u.monthly_quota, u.percent_used, u.event_count, u.period_start, u.period_end,
  u.billing_day, u.timezone, trim_scale(u.cost)::text as cost, u.currency,
  ${moneyText('t.monthly_budget')} as budget_limit, round(100.0 * u.cost::numeric / t.monthly_budget, 2) as budget_percent, t.budget_hard
from report.usage_current u
join flagmeter.tenants t on t.slug = u.tenant
order by u.tenant`;

type UsageRow = {
  tenant: string; tenant_name: string; used_tokens: number; monthly_quota: number; percent_used: number;
  event_count: number; period_start: Date; period_end: Date; billing_day: number; timezone: string; cost: string; currency: string;
  budget_limit: string | null; budget_percent: number | null; budget_hard: boolean;
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
  budget: r.budget_limit === null ? null : { limit: r.budget_limit, used: r.cost, percent: r.budget_percent!, hard: r.budget_hard },
});

export async function listUsage(pool: Pool): Promise<Usage[]> {
  const { rows } = await pool.query<UsageRow>(usageSql);
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

export interface TenantSettings {
  tenant: string;
  name: string;
  monthlyQuota: number;
  billingDay: number;
  timezone: string;
  alertThresholds: number[];
  rateLimitPerSecond: number | null;
  rateLimitBurst: number | null;
  webhook: { url: string; enabled: boolean } | null;
  /** Entitlements: the quota denies checks when hard; per-feature limits (docs/entitlements.md). */
  quotaHard: boolean;
  featureLimits: FeatureLimit[];
  createdAt: string;
  updatedAt: string;
}

const settingsSql = `
select t.slug, t.name, t.monthly_quota, t.billing_day, t.timezone, t.alert_thresholds, t.rate_limit_per_second,
  t.rate_limit_burst, w.url, w.enabled, t.created_at, t.updated_at, t.quota_hard, ${featureLimitsJson('t')} as feature_limits
from flagmeter.tenants t left join flagmeter.slack_webhooks w on w.tenant_id = t.id`;

const toSettings = (r: Record<string, any>): TenantSettings => ({
  tenant: r.slug, name: r.name, monthlyQuota: r.monthly_quota, billingDay: r.billing_day, timezone: r.timezone,
  alertThresholds: r.alert_thresholds, rateLimitPerSecond: r.rate_limit_per_second, rateLimitBurst: r.rate_limit_burst,
  webhook: r.url ? { url: r.url, enabled: r.enabled } : null,
  quotaHard: r.quota_hard, featureLimits: r.feature_limits,
  createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(),
});

export async function getTenantSettings(db: Pool | pg.ClientBase, slug: string, lock = false): Promise<TenantSettings | undefined> {
  const { rows: [r] } = await db.query(`${settingsSql} where t.slug = $1::text${lock ? ' for update of t' : ''}`, [slug]);
  return r && toSettings(r);
}

export interface TenantInput {
  slug?: string; name?: string; monthlyQuota?: number; billingDay?: number; timezone?: string;
  alertThresholds?: number[]; rateLimitPerSecond?: number | null; rateLimitBurst?: number | null;
}

export async function insertTenant(client: pg.ClientBase, t: TenantInput & { slug: string; name: string }): Promise<TenantSettings> {
  await client.query(
    `insert into flagmeter.tenants (slug, name, monthly_quota, billing_day, timezone, alert_thresholds, rate_limit_per_second, rate_limit_burst)
     values ($1::text, $2::text, coalesce($3::bigint, 1000000), coalesce($4::int, 1), coalesce($5::text, 'UTC'),
             coalesce($6::int[], '{80,100}'), $7::int, $8::int)`,
    [t.slug, t.name, t.monthlyQuota ?? null, t.billingDay ?? null, t.timezone ?? null, t.alertThresholds ?? null,
      t.rateLimitPerSecond ?? null, t.rateLimitBurst ?? null]);
  return (await getTenantSettings(client, t.slug))!;
}

/** Applies the fields that are present (undefined: unchanged; null: back to the default where allowed). */
export async function updateTenant(client: pg.ClientBase, slug: string, t: TenantInput): Promise<void> {
  const has = (k: keyof TenantInput) => t[k] !== undefined;
  await client.query(
    `update flagmeter.tenants set
       name = case when $2::boolean then $3::text else name end,
       monthly_quota = case when $4::boolean then $5::bigint else monthly_quota end,
       billing_day = case when $6::boolean then $7::int else billing_day end,
       timezone = case when $8::boolean then $9::text else timezone end,
       alert_thresholds = case when $10::boolean then $11::int[] else alert_thresholds end,
       rate_limit_per_second = case when $12::boolean then $13::int else rate_limit_per_second end,
       rate_limit_burst = case when $14::boolean then $15::int else rate_limit_burst end,
       updated_at = now()
     where slug = $1::text`,
    [slug, has('name'), t.name ?? null, has('monthlyQuota'), t.monthlyQuota ?? null, has('billingDay'), t.billingDay ?? null,
      has('timezone'), t.timezone ?? null, has('alertThresholds'), t.alertThresholds ?? null,
      has('rateLimitPerSecond'), t.rateLimitPerSecond ?? null, has('rateLimitBurst'), t.rateLimitBurst ?? null]);
}

export async function setWebhook(client: pg.ClientBase, slug: string, url: string, enabled: boolean): Promise<void> {
  await client.query(
    `insert into flagmeter.slack_webhooks (tenant_id, url, enabled)
     select id, $2::text, $3::boolean from flagmeter.tenants where slug = $1::text
     on conflict (tenant_id) do update set url = excluded.url, enabled = excluded.enabled, updated_at = now()`,
    [slug, url, enabled]);
}

export async function deleteWebhook(client: pg.ClientBase, slug: string): Promise<void> {
  await client.query(`delete from flagmeter.slack_webhooks where tenant_id = (select id from flagmeter.tenants where slug = $1::text)`, [slug]);
}

export async function deleteTenant(client: pg.ClientBase, slug: string): Promise<{ eventsDeleted: number } | undefined> {
  const { rows: [r] } = await client.query<{ result: { eventsDeleted: number } | null }>('select flagmeter.delete_tenant($1::text) as result', [slug]);
  return r?.result ?? undefined;
}
