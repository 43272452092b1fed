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
  /** A reservation this event settles (POST /api/check with reserve); see insertSettlingEvents. */
  reservation?: string | null;
}

/**
 * The CTEs `first_copy` and `claimed` over the rows of `source` (which have tenant_id,
 * idempotency_key, id, ord): `claimed` returns the ids of the events whose key this batch now holds.
 */
const claimKeys = (source: string) => `-- only the first copy of a key inside the batch may claim it
first_copy as (
  select distinct on (tenant_id, idempotency_key) tenant_id, idempotency_key, id
  from ${source} where idempotency_key is not null
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
),`;

const insertBatchSql = `
with input as (
  select * from unnest($1::uuid[], $2::bigint[], $3::text[], $4::int[], $5::timestamptz[], $6::text[], $7::text[])
    with ordinality as t(id, tenant_id, feature, tokens, occurred_at, idempotency_key, end_user, ord)
),
${claimKeys('input')}
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

// The same insert for a batch in which some events settle reservations, in ONE statement (so the
// event is counted and its hold released in one transaction). Used only for such batches: the
// plain batch above stays the hot path. The reservations named are looked up by (tenant, id), the
// event's own tenant and the key's order, and locked (the latest committed state, waiting for a
// concurrent release or settle). Another tenant's reservation is not found, as DELETE answers: a
// caller learns nothing of a reservation it may not touch, not even that it exists. An event whose
// reservation is unknown, already ended, lapsed or for another feature is refused with its whole
// request (`$9`: the request each row belongs to): nothing of that request is stored or settled.
// A retry of an event (same idempotency key) whose first copy settled the reservation is not
// refused: it is answered as the duplicate it is.
const settlingBatchSql = `
with input as (
  select * from unnest($1::uuid[], $2::bigint[], $3::text[], $4::int[], $5::timestamptz[], $6::text[], $7::text[], $8::uuid[], $9::int[])
    with ordinality as t(id, tenant_id, feature, tokens, occurred_at, idempotency_key, end_user, reservation, request, ord)
),
named as (
  select r.tenant_id, r.id, r.feature, r.status, r.expires_at, r.event_key
  from flagmeter.reservations r
  where (r.tenant_id, r.id) in (select tenant_id, reservation from input where reservation is not null)
  order by r.tenant_id, r.id
  for update
),
verdict as (
  select i.ord, i.request,
    case
      when n.id is null then 'reservation_not_found'
      when n.status = 'settled' and i.idempotency_key is not null and n.event_key = i.idempotency_key then 'ok'
      when n.status <> 'open' then 'reservation_' || n.status
      when n.expires_at <= now() then 'reservation_expired'
      when n.feature is not null and n.feature <> i.feature then 'reservation_feature_mismatch'
      when row_number() over (partition by i.reservation order by i.ord) > 1 then 'reservation_settled'
      else 'ok'
    end as verdict
  from input i
  left join named n on n.tenant_id = i.tenant_id and n.id = i.reservation
  where i.reservation is not null
),
refused_requests as (
  select distinct request from verdict where verdict <> 'ok'
),
good as (
  select * from input where request not in (select request from refused_requests)
),
${claimKeys('good')}
kept as (
  select * from good where idempotency_key is null or id in (select event_id from claimed)
),
stored as (
  insert into flagmeter.events (id, tenant_id, feature, tokens, occurred_at, idempotency_key, end_user)
  select id, tenant_id, feature, tokens, occurred_at, idempotency_key, end_user from kept
),
settled as (
  update flagmeter.reservations r
  set status = 'settled', ended_at = now(), settled_tokens = k.tokens, event_id = k.id, event_key = k.idempotency_key
  from kept k
  where k.reservation is not null and r.tenant_id = k.tenant_id and r.id = k.reservation and r.status = 'open'
)
select
  (select array_agg(ord::int order by ord) from good
   where idempotency_key is not null and id not in (select event_id from claimed)) as duplicate_ords,
  (select array_agg(ord::int order by ord) from verdict where verdict <> 'ok') as refused_ords,
  (select array_agg(verdict order by ord) from verdict where verdict <> 'ok') as refused_reasons`;

export interface SettleOutcome {
  /** 0-based positions of duplicates (not stored). */
  duplicates: number[];
  /** 0-based positions of events refused for their reservation, with why; their requests were not stored. */
  refused: { position: number; reason: string }[];
}

/** Stores a batch that settles reservations; `requests[i]` is the request row i came in (refused whole). */
export async function insertSettlingEvents(pool: Pool, rows: readonly EventRow[], requests: readonly number[]): Promise<SettleOutcome> {
  const col = <T>(f: (r: EventRow) => T) => rows.map(f);
  const { rows: [result] } = await pool.query<{ duplicate_ords: number[] | null; refused_ords: number[] | null; refused_reasons: string[] | null }>(
    { name: 'insert_settling_events', text: settlingBatchSql, values: [
      col((r) => r.id), col((r) => r.tenantId), col((r) => r.feature), col((r) => r.tokens), col((r) => r.occurredAt),
      col((r) => r.key), col((r) => r.user), col((r) => r.reservation ?? null), requests] });
  const reasons = result?.refused_reasons ?? [];
  return {
    duplicates: (result?.duplicate_ords ?? []).map((ord) => ord - 1),
    refused: (result?.refused_ords ?? []).map((ord, i) => ({ position: ord - 1, reason: reasons[i]! })),
  };
}

/** This month's and next month's event partitions (the minute job keeps them ahead; start-up makes sure). */
export async function ensureEventPartitions(pool: Pool): Promise<void> {
  await pool.query('select flagmeter.ensure_event_partitions()');
}
