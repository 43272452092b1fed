// Alert rows: what delivery needs, its state changes, and the reads behind GET /api/alerts.
import type pg from 'pg';
import type { Pool } from './pool.ts';

export interface AlertForDelivery {
  id: number;
  tenant: string;
  usedTokens: number;
  quota: number;
  status: string;
  attempts: number;
  /** The tenant's own webhook: url, or null when it has none; enabled false when switched off. */
  webhookUrl: string | null;
  webhookEnabled: boolean | null;
}

/** Locks the alert row for the rest of the transaction so two deliveries of one alert cannot overlap. */
export async function lockAlertForDelivery(client: pg.ClientBase, alertId: number): Promise<AlertForDelivery | undefined> {
  const { rows: [r] } = await client.query(
    `select a.id, t.slug, a.used_tokens, a.quota, a.status, a.attempts, w.url, w.enabled
     from flagmeter.alerts a
     join flagmeter.tenants t on t.id = a.tenant_id
     left join flagmeter.slack_webhooks w on w.tenant_id = a.tenant_id
     where a.id = $1::bigint
     for update of a`, [alertId]);
  return r && {
    id: r.id, tenant: r.slug, usedTokens: r.used_tokens, quota: r.quota, status: r.status,
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

export interface AlertView {
  id: number; tenant: string; threshold: number; usedTokens: number; quota: number; percent: number;
  periodStart: string; periodEnd: string; status: string; attempts: number; lastError: string | null;
  createdAt: string; lastAttemptAt: string | null; deliveredAt: string | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Newest first; optionally one tenant's. */
export async function listAlerts(pool: Pool, opts: { tenant?: string; limit: number }): Promise<AlertView[]> {
  const { rows } = await pool.query(
    `select * from report.alerts where ($1::text is null or tenant = $1::text)
     order by created_at desc, id desc limit $2::int`, [opts.tenant ?? null, opts.limit]);
  return rows.map((r) => ({
    id: r.id, tenant: r.tenant, threshold: r.threshold, usedTokens: r.used_tokens, quota: r.quota, percent: r.percent,
    periodStart: r.period_start.toISOString(), periodEnd: r.period_end.toISOString(), status: r.status,
    attempts: r.attempts, lastError: r.last_error, createdAt: r.created_at.toISOString(),
    lastAttemptAt: iso(r.last_attempt_at), deliveredAt: iso(r.delivered_at),
  }));
}
