// Alert rows: what delivery needs, its state changes, and the reads behind GET /api/alerts.
import type pg from 'pg';
import type { Pool } from './pool.ts';

export interface AlertForDelivery {
  id: number;
  tenant: string;
  usedTokens: number;
  /** The token limit crossed; null on a money alert. */
  quota: number | null;
  /** A money alert (the budget, or a feature's money limit): the cost, the limit, the currency and the whole percent reached. */
  money: { used: string; limit: string; currency: string; percent: number } | null;
  /** Null for a quota alert; the feature whose limit was crossed otherwise (quota is then that limit). */
  feature: string | null;
  status: string;
  attempts: number;
  /** The tenant's own webhook: url, or null when it has none; enabled false when switched off. */
  webhookUrl: string | null;
  webhookEnabled: boolean | null;
}

/** Locks the alert row for the rest of the transaction so two deliveries of one alert cannot overlap. */
export async function lockAlertForDelivery(client: pg.ClientBase, alertId: number): Promise<AlertForDelivery | undefined> {
  const { rows: [r] } = await client.query(
    `select a.id, t.slug, a.used_tokens, a.quota, a.feature, a.status, a.attempts, w.url, w.enabled, a.unit,
       trim_scale(a.used_cost)::text as used_cost, trim_scale(a.budget)::text as budget, t.currency,
       floor(100 * a.used_cost / a.budget)::int as money_percent
     from flagmeter.alerts a
     join flagmeter.tenants t on t.id = a.tenant_id
     left join flagmeter.slack_webhooks w on w.tenant_id = a.tenant_id
     where a.id = $1::bigint
     for update of a`, [alertId]);
  return r && {
    id: r.id, tenant: r.slug, usedTokens: r.used_tokens, quota: r.quota, feature: r.feature, status: r.status,
    money: r.unit === 'money' ? { used: r.used_cost, limit: r.budget, currency: r.currency, percent: r.money_percent } : null,
    attempts: r.attempts, webhookUrl: r.url, webhookEnabled: r.enabled,
  };
}

export async function recordAttempt(
  client: pg.ClientBase, alertId: number,
  state: { status: 'pending' | 'delivered' | 'failed' | 'skipped'; attempted: boolean; error: string | null },
): Promise<void> {
  await client.query(
    `update flagmeter.alerts set
       status = $2::text,
       attempts = attempts + case when $3::boolean then 1 else 0 end,
       last_attempt_at = case when $3::boolean then now() else last_attempt_at end,
       last_error = $4::text,
       delivered_at = case when $2::text = 'delivered' then now() else delivered_at end
     where id = $1::bigint`, [alertId, state.status, state.attempted, state.error]);
}

/** flagmeter.alerts.status (its check constraint). */
export type AlertStatus = 'pending' | 'delivered' | 'failed' | 'skipped';

export interface AlertView {
  id: number; tenant: string; threshold: number; usedTokens: number; quota: number; percent: number;
  /** money: the budget or a feature's money limit (usedCost of budget, in currency; quota is 0). */
  unit: 'tokens' | 'money'; usedCost: string | null; budget: string | null; currency: string;
  periodStart: string; periodEnd: string; status: AlertStatus; attempts: number; lastError: string | null;
  createdAt: string; lastAttemptAt: string | null; deliveredAt: string | null;
  /** Null: a quota alert; set: the feature whose limit was crossed. */
  feature: string | null;
}

/** A timestamptz as JavaScript's toISOString() writes it (UTC, milliseconds), for JSON built in SQL. */
export const isoUtc = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The one definition of an alert as the API shows it (AlertView), built in SQL from flagmeter.alerts `a`. */
export const alertJson = (a: string, tenantSlug: string) => `json_build_object(
  'id', ${a}.id, 'tenant', ${tenantSlug}, 'threshold', ${a}.threshold, 'usedTokens', ${a}.used_tokens, 'quota', coalesce(${a}.quota, 0),
  'percent', case when ${a}.unit = 'money' then round(100.0 * ${a}.used_cost / ${a}.budget, 2) else round(100.0 * ${a}.used_tokens / ${a}.quota, 2) end,
  'unit', ${a}.unit, 'usedCost', trim_scale(${a}.used_cost)::text, 'budget', trim_scale(${a}.budget)::text,
  'currency', (select t.currency from flagmeter.tenants t where t.id = ${a}.tenant_id),
  'periodStart', ${isoUtc(`${a}.period_start`)}, 'periodEnd', ${isoUtc(`${a}.period_end`)},
  'status', ${a}.status, 'attempts', ${a}.attempts, 'lastError', ${a}.last_error,
  'createdAt', ${isoUtc(`${a}.created_at`)}, 'lastAttemptAt', ${isoUtc(`${a}.last_attempt_at`)},
  'deliveredAt', ${isoUtc(`${a}.delivered_at`)}, 'feature', ${a}.feature)`;

/** Newest first; optionally one tenant's. */
export async function listAlerts(pool: Pool, opts: { tenant?: string; limit: number }): Promise<AlertView[]> {
  const { rows } = await pool.query<{ alert: AlertView }>(
    `select ${alertJson('a', 't.slug')} as alert
     from flagmeter.alerts a join flagmeter.tenants t on t.id = a.tenant_id
     where ($1::text is null or t.slug = $1::text)
     order by a.created_at desc, a.id desc limit $2::int`, [opts.tenant ?? null, opts.limit]);
  return rows.map((r) => r.alert);
}
