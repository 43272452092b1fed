// Admin changes to tenants and webhooks. Each change and its audit entry commit together.
import type pg from 'pg';
import { withTransaction, type Pool } from './pool.ts';
import { featureLimitsJson, type FeatureLimit } from './entitlements.ts';
import { maskUrlIn } from '../core/mask.ts';

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

export interface AuditEntry {
  action: string; target: string; before: unknown; after: unknown;
  /** Secret URLs (webhooks) the entry may quote, in any form: masked (maskUrlIn) wherever they appear in before or after. */
  secrets?: (string | null | undefined)[];
}

/** Who made a change: a key, a person (signed in), or nobody (bootstrap, a failed sign-in). `Caller` is one. */
export interface Actor { keyDbId: number | null; person?: { id: number } | null }

/** An entry's object as stored: JSON, with every quotation of its secrets masked (a masked URL holds no character JSON escapes). */
function storedJson(value: unknown, secrets: AuditEntry['secrets']): string {
  let json = JSON.stringify(value ?? null);
  for (const url of secrets ?? []) if (url) json = maskUrlIn(json, url);
  return json;
}

export async function appendAudit(client: pg.ClientBase, actor: Actor | undefined, audit: AuditEntry): Promise<void> {
  await client.query(
    `insert into flagmeter.audit_log (key_id, person_id, action, target, before, after) values ($1::bigint, $2::bigint, $3::text, $4::text, $5::jsonb, $6::jsonb)`,
    [actor?.keyDbId ?? null, actor?.person?.id ?? null, audit.action, audit.target, storedJson(audit.before, audit.secrets), storedJson(audit.after, audit.secrets)]);
}

/** Runs fn in a transaction and appends its audit entry (when it returns one) before committing. */
export async function audited<T>(pool: Pool, actor: Actor | undefined, fn: (client: pg.PoolClient) => Promise<{ result: T; audit?: AuditEntry }>): Promise<T> {
  return withTransaction(pool, async (client) => {
    const { result, audit } = await fn(client);
    if (audit) await appendAudit(client, actor, audit);
    return result;
  });
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

export interface AuditActor { kind: 'person' | 'key' | 'nobody'; name: string | null }

export interface AuditView {
  id: number; at: string; keyId: string | null; keyName: string | null; personName: string | null; actor: AuditActor;
  action: string; target: string; before: unknown; after: unknown;
}

/** A report.audit_log row as the API answers it (the admin audit and a flag's history alike). */
export const toAuditView = (r: Record<string, any>): AuditView => ({
  id: Number(r.id), at: new Date(r.at).toISOString(), keyId: r.key_id, keyName: r.key_name, personName: r.person_name,
  actor: { kind: r.actor_kind ?? 'nobody', name: r.actor_name ?? null },
  action: r.action, target: r.target, before: r.before, after: r.after,
});

export interface AuditFilter { limit: number; tenant?: string | undefined; actor?: string | undefined; action?: string | undefined }

// A change concerns a tenant when its entry is keyed to the tenant (by id: flagmeter.audit_tenant_id
// decides, when it is written), or when it is a deletion of a tenant of that slug, which outlives it.
// Entries of an earlier tenant that had the slug were deleted with it: a new tenant never sees them.
export async function listAudit(pool: Pool, f: AuditFilter): Promise<AuditView[]> {
  const { rows } = await pool.query(
    `select * from report.audit_log
     where ($2::text is null or tenant = $2::text or (tenant is null and target = 'tenant:' || $2::text and action = 'tenant.delete'))
       and ($3::text is null or key_id = $3::text or person_name = $3::text or actor_name = $3::text)
       and ($4::text is null or action = $4::text or action like $4::text || '.%')
     order by id desc limit $1::int`,
    [f.limit, f.tenant ?? null, f.actor ?? null, f.action ?? null]);
  return rows.map(toAuditView);
}
