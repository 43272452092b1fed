// The hot insert: a whole batch in one statement with array parameters (one round trip, one
// commit). Idempotency keys are claimed first; an event whose key another batch or an earlier copy
// in this batch already holds is not stored. The rollup trigger runs inside the same statement.
import type { Pool } from './pool.ts';

export interface EventRow {
  id: string;
  tenantId: number;
  feature: string;
  tokens: number;
  occurredAt: string;
  key: string | null;
  user: string | null;
}

const insertBatchSql = `
with input as (
  select * from unnest($1::uuid[], $2::bigint[], $3::text[], $4::int[], $5::timestamptz[], $6::text[], $7::text[])
    with ordinality as t(id, tenant_id, feature, tokens, occurred_at, idempotency_key, end_user, ord)
),
-- only the first copy of a key inside the batch may claim it
first_copy as (
  select distinct on (tenant_id, idempotency_key) tenant_id, idempotency_key, id
  from input where idempotency_key is not null
  order by tenant_id, idempotency_key, ord
),
-- sorted so that concurrent batches take key locks in the same order (no deadlock); a key held by
-- an uncommitted batch makes this wait for it, then skip
claimed as (
  insert into flagmeter.event_keys (tenant_id, idempotency_key, event_id)
  select tenant_id, idempotency_key, id from first_copy
  order by tenant_id, idempotency_key
  on conflict do nothing
  returning event_id
),
stored as (
  insert into flagmeter.events (id, tenant_id, feature, tokens, occurred_at, idempotency_key, end_user)
  select id, tenant_id, feature, tokens, occurred_at, idempotency_key, end_user from input
  where idempotency_key is null or id in (select event_id from claimed)
)
select array_agg(ord::int order by ord) as duplicate_ords from input
where idempotency_key is not null and id not in (select event_id from claimed)`;

/** Stores a batch; returns the 0-based positions of events that were duplicates (not stored). */
export async function insertEvents(pool: Pool, rows: readonly EventRow[]): Promise<number[]> {
  const n = rows.length;
  const ids = new Array<string>(n), tenants = new Array<number>(n), features = new Array<string>(n);
  const tokens = new Array<number>(n), times = new Array<string>(n);
  const keys = new Array<string | null>(n), users = new Array<string | null>(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    ids[i] = r.id; tenants[i] = r.tenantId; features[i] = r.feature; tokens[i] = r.tokens;
    times[i] = r.occurredAt; keys[i] = r.key; users[i] = r.user;
  }
  const { rows: [result] } = await pool.query<{ duplicate_ords: number[] | null }>(
    { name: 'insert_events', text: insertBatchSql, values: [ids, tenants, features, tokens, times, keys, users] });
  return (result?.duplicate_ords ?? []).map((ord) => ord - 1);
}

/** The stored event ids behind idempotency keys (read after commit, so racing winners are visible). */
export async function eventIdsForKeys(pool: Pool, tenantIds: number[], keys: string[]): Promise<Map<string, string>> {
  const { rows } = await pool.query<{ tenant_id: number; idempotency_key: string; event_id: string }>(
    `select k.tenant_id, k.idempotency_key, k.event_id
     from unnest($1::bigint[], $2::text[]) as q(tenant_id, idempotency_key)
     join flagmeter.event_keys k using (tenant_id, idempotency_key)`, [tenantIds, keys]);
  return new Map(rows.map((r) => [`${r.tenant_id}\u0000${r.idempotency_key}`, r.event_id]));
}
