// Entitlements in SQL: the check (flagmeter.check_entitlement, one call), releasing a reservation,
// a tenant's limits, and the outstanding holds for /metrics.
import type pg from 'pg';
import type { Pool } from './pool.ts';

export interface CheckRequest {
  tenant: string;
  feature?: string | undefined;
  tokens?: number | undefined;
  reserve: boolean;
  ttlSeconds: number;
  id?: string | undefined;
  /** Who asks (auth/middleware.ts callerId); another caller's id is refused, never replayed. */
  caller?: string | null | undefined;
}

/** A check's raw answer as check_entitlements gives it (null: unknown tenant). */
export type RawAnswer = Record<string, unknown> | null;

/** What a retry with the same id must repeat exactly (the tenant is part of the key). */
export const requestOf = (req: CheckRequest) =>
  ({ feature: req.feature ?? null, tokens: req.tokens ?? null, reserve: req.reserve, ttlSeconds: req.reserve ? req.ttlSeconds : null });

/** Answers many checks in one statement (and, with reservations, one commit), in order. */
export async function checkEntitlements(pool: Pool, batch: CheckRequest[]): Promise<RawAnswer[]> {
  const requests = batch.map((req) => ({
    tenant: req.tenant, feature: req.feature ?? null, tokens: req.tokens ?? null, reserve: req.reserve,
    ttlSeconds: req.ttlSeconds, id: req.id ?? null,
    // absent (not null) with auth off: the SQL compares request->'caller', which is then null for all
    request: { ...requestOf(req), ...(req.caller ? { caller: req.caller } : {}) },
  }));
  const { rows: [row] } = await pool.query<{ answers: RawAnswer[] }>(
    { name: 'check_entitlements', text: 'select flagmeter.check_entitlements($1::jsonb) as answers', values: [JSON.stringify(requests)] });
  return row!.answers;
}

export type CheckResult<T> = { kind: 'answer'; answer: T } | { kind: 'unknown_tenant' } | { kind: 'check_id_reused' } | { kind: 'check_id_taken' };

/** Reads one answer of flagmeter.check_entitlement(s) (null: unknown tenant; {conflict}: id reused, or another caller's). */
export function toCheckResult<T>(answer: Record<string, unknown> | null): CheckResult<T> {
  if (!answer) return { kind: 'unknown_tenant' };
  if (answer.conflict === 'check_id_taken') return { kind: 'check_id_taken' };
  if (answer.conflict) return { kind: 'check_id_reused' };
  return { kind: 'answer', answer: answer as T };
}

export interface ReservationView {
  id: string; tenant: string; feature: string | null; tokens: number; status: string;
  createdAt: string; expiresAt: string; endedAt: string | null;
}

export type ReleaseResult = { kind: 'released'; reservation: ReservationView } | { kind: 'not_found' } | { kind: 'ended'; reservation: ReservationView };

/**
 * Releases an open hold. The row is locked first, so a release racing a settlement is decided by
 * whichever commits first. A tenant-bound caller sees another tenant's reservation as unknown.
 */
export async function releaseReservation(pool: Pool, id: string, onlyTenant: string | null): Promise<ReleaseResult> {
  const { rows: [r] } = await pool.query(
    `with cur as (
       select r.tenant_id, r.id, t.slug, r.feature, r.tokens, r.created_at, r.expires_at, r.ended_at,
         case when r.status = 'open' and r.expires_at <= now() then 'expired' else r.status end as status
       from flagmeter.reservations r join flagmeter.tenants t on t.id = r.tenant_id
       where r.id = $1::uuid and ($2::text is null or t.slug = $2::text)
       for update of r
     ), released as (
       update flagmeter.reservations x set status = 'released', ended_at = now()
       from cur where x.tenant_id = cur.tenant_id and x.id = cur.id and cur.status = 'open'
       returning x.ended_at
     )
     select cur.*, (select ended_at from released) as released_at from cur`, [id, onlyTenant]);
  if (!r) return { kind: 'not_found' };
  const view = (status: string, endedAt: Date | null): ReservationView => ({
    id: r.id, tenant: r.slug, feature: r.feature, tokens: r.tokens, status,
    createdAt: r.created_at.toISOString(), expiresAt: r.expires_at.toISOString(), endedAt: endedAt?.toISOString() ?? null,
  });
  return r.released_at ? { kind: 'released', reservation: view('released', r.released_at) } : { kind: 'ended', reservation: view(r.status, r.ended_at) };
}

/**
 * A feature's limit: in tokens, or in money (monthlyBudget, exact decimal text), one of the two;
 * the other is absent, in a request and in the settings answer alike (so an answer can be sent back).
 */
export interface FeatureLimit { feature: string; tokens?: number | undefined; monthlyBudget?: string | undefined; hard: boolean }

/** Sets quota_hard and/or replaces the tenant's feature limits (undefined: unchanged). */
export async function setLimits(client: pg.ClientBase, slug: string, input: { quotaHard?: boolean | undefined; featureLimits?: FeatureLimit[] | undefined }): Promise<void> {
  if (input.quotaHard !== undefined) {
    await client.query('update flagmeter.tenants set quota_hard = $2::boolean, updated_at = now() where slug = $1::text', [slug, input.quotaHard]);
  }
  if (input.featureLimits !== undefined) {
    const l = input.featureLimits;
    await client.query(
      `with t as (select id from flagmeter.tenants where slug = $1::text),
       gone as (
         delete from flagmeter.feature_limits fl using t
         where fl.tenant_id = t.id and not (fl.feature = any ($2::text[]))
       )
       insert into flagmeter.feature_limits as fl (tenant_id, feature, tokens, monthly_budget, hard)
       select t.id, x.feature, x.tokens, x.budget, x.hard from t, unnest($2::text[], $3::bigint[], $5::numeric[], $4::boolean[]) as x(feature, tokens, budget, hard)
       order by x.feature
       on conflict (tenant_id, feature) do update set tokens = excluded.tokens, monthly_budget = excluded.monthly_budget, hard = excluded.hard`,
      [slug, l.map((f) => f.feature), l.map((f) => f.tokens ?? null), l.map((f) => f.hard), l.map((f) => f.monthlyBudget ?? null)]);
    await client.query('update flagmeter.tenants set updated_at = now() where slug = $1::text', [slug]);
  }
}

/** SQL for a tenant's feature limits as JSON, beside flagmeter.tenants `t` (for the settings body). */
export const featureLimitsJson = (t: string) => `(select coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object('feature', fl.feature, 'tokens', fl.tokens,
    'monthlyBudget', trim_scale(fl.monthly_budget)::text, 'hard', fl.hard)) order by fl.feature), '[]')
  from flagmeter.feature_limits fl where fl.tenant_id = ${t}.id)`;

/** Open, unexpired reservations across all tenants: how many and how many tokens (for /metrics). */
export async function outstandingReservations(pool: Pool): Promise<{ count: number; tokens: number }> {
  const { rows: [r] } = await pool.query<{ count: number; tokens: number }>(
    `select count(*)::int as count, coalesce(sum(tokens), 0)::bigint as tokens
     from flagmeter.reservations where status = 'open' and expires_at > now()`);
  return { count: r?.count ?? 0, tokens: r?.tokens ?? 0 };
}
