--! Previous: sha1:a38f2e948b477402474a7a83789362b1e81619ea
--! Hash: sha1:9f85a1c925711028c5c43d69eb885447d96f0d2c
--! Message: entitlements: hard/soft limits, feature limits, exact checks, reservations

-- Entitlements: hard/soft limits, per-feature limits, exact checks and reservations.
-- Idempotent while it is current.sql: every object is dropped or guarded before it is created.

drop view if exists report.entitlements;
drop view if exists report.reservations;
drop function if exists flagmeter.check_entitlements(jsonb);
drop function if exists flagmeter.check_entitlement(text, text, bigint, boolean, integer, text, jsonb);
drop function if exists flagmeter.entitlement_figures(bigint, text, integer, text, timestamptz);
drop function if exists flagmeter.tick_entitlements(timestamptz, interval, interval);
drop function if exists flagmeter.tenant_limits_json(bigint);
drop table if exists flagmeter.entitlement_checks;
drop table if exists flagmeter.reservations;
drop table if exists flagmeter.feature_limits;

--------------------------------------------------------------------------------------------------
-- Limits: the quota may be hard; features may have limits of their own
--------------------------------------------------------------------------------------------------

alter table flagmeter.tenants add column if not exists quota_hard boolean not null default false;
comment on column flagmeter.tenants.quota_hard is 'True: checks deny once monthly_quota is reached (a hard limit). False (default): soft, counted and alerted, never denied. Events are counted either way.';

create table flagmeter.feature_limits (
  tenant_id bigint not null references flagmeter.tenants (id) on delete cascade,
  feature text not null check (length(feature) between 1 and 128),
  tokens bigint not null check (tokens > 0),
  hard boolean not null default false,
  created_at timestamptz not null default now(),
  primary key (tenant_id, feature)
);
comment on table flagmeter.feature_limits is 'Per-feature token limits per billing period (e.g. gpt-4o: 500,000), beside the tenant''s quota. tenant_id leads the primary key so the table can be distributed by tenant.';
comment on column flagmeter.feature_limits.feature is 'The feature (events.feature) the limit applies to.';
comment on column flagmeter.feature_limits.tokens is 'Tokens allowed on this feature per billing period.';
comment on column flagmeter.feature_limits.hard is 'True: checks deny once reached; false: counted and alerted only.';
comment on column flagmeter.feature_limits.created_at is 'When the limit was set.';

--------------------------------------------------------------------------------------------------
-- Reservations: tokens held by a check until the real event settles them
--------------------------------------------------------------------------------------------------

create table flagmeter.reservations (
  tenant_id bigint not null references flagmeter.tenants (id) on delete cascade,
  id uuid not null,
  feature text,
  tokens bigint not null check (tokens > 0),
  status text not null default 'open' check (status in ('open', 'settled', 'released', 'expired')),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  ended_at timestamptz,
  settled_tokens bigint,
  event_id uuid,
  event_key text,
  check_id text,
  primary key (tenant_id, id)
);
comment on table flagmeter.reservations is 'Tokens held by POST /api/check {reserve: true}: counted as reserved against the quota (and the feature''s limit) while open and unexpired. tenant_id leads the primary key so the table can be distributed by tenant.';
comment on column flagmeter.reservations.id is 'Reservation id returned to the client; an event settles it with reservation: <id>.';
comment on column flagmeter.reservations.feature is 'The feature the hold is for (null: the quota only). A settling event must name the same feature.';
comment on column flagmeter.reservations.tokens is 'Tokens held.';
comment on column flagmeter.reservations.status is 'open (held), settled (an event counted the real tokens), released (DELETE /api/reservations/:id) or expired (swept by the minute job; an open row past expires_at is not counted either).';
comment on column flagmeter.reservations.expires_at is 'When the hold lapses by itself.';
comment on column flagmeter.reservations.ended_at is 'When it was settled, released or swept.';
comment on column flagmeter.reservations.settled_tokens is 'The tokens of the settling event (may exceed tokens: the overage shows in usage).';
comment on column flagmeter.reservations.event_id is 'The event that settled it.';
comment on column flagmeter.reservations.event_key is 'That event''s idempotency key: its retry is answered as a duplicate, not refused.';
comment on column flagmeter.reservations.check_id is 'The id of the check that took it, if it had one.';

-- What every check sums: the open holds of one tenant. Partial, so settled history costs nothing.
create index reservations_open_idx on flagmeter.reservations (tenant_id, feature) include (tokens, expires_at) where status = 'open';
-- Settling and releasing find a reservation by its id alone (to tell "another tenant's" from "unknown").
create index reservations_id_idx on flagmeter.reservations (id);
-- The sweep finds lapsed holds by time.
create index reservations_open_expiry_idx on flagmeter.reservations (expires_at) where status = 'open';
-- Pruning ended holds by age; BRIN is nearly free to keep on a column that grows with time.
create index reservations_ended_brin on flagmeter.reservations using brin (ended_at);

--------------------------------------------------------------------------------------------------
-- Idempotent checks: a check with an id answers the same way when retried
--------------------------------------------------------------------------------------------------

create table flagmeter.entitlement_checks (
  tenant_id bigint not null references flagmeter.tenants (id) on delete cascade,
  check_id text not null check (length(check_id) between 1 and 200),
  request jsonb not null,
  answer jsonb not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, check_id)
);
comment on table flagmeter.entitlement_checks is 'Answers of checks sent with an id, kept for the idempotency window so a retry gets the same answer and reservation. tenant_id leads the primary key so the table can be distributed by tenant.';
comment on column flagmeter.entitlement_checks.request is 'What was asked (feature, tokens, reserve, TTL): the same id with another request is refused.';
comment on column flagmeter.entitlement_checks.answer is 'The answer given the first time.';
create index entitlement_checks_created_brin on flagmeter.entitlement_checks using brin (created_at);

--------------------------------------------------------------------------------------------------
-- Alerts on feature limits: the same table and path as quota alerts, with the feature named
--------------------------------------------------------------------------------------------------

alter table flagmeter.alerts add column if not exists feature text;
comment on column flagmeter.alerts.feature is 'Null: a quota alert. Set: an alert on this feature''s limit (quota then holds that limit).';
comment on column flagmeter.alerts.quota is 'The tenant''s monthly_quota (or, for a feature alert, the feature''s limit) when the crossing was detected.';
-- Same name, so tick()'s "on conflict on constraint alerts_once_per_period" keeps working; nulls
-- not distinct so a quota alert (feature null) is still once per tenant, threshold and period.
alter table flagmeter.alerts drop constraint if exists alerts_once_per_period;
alter table flagmeter.alerts add constraint alerts_once_per_period unique nulls not distinct (tenant_id, period_start, threshold, feature);

create or replace view report.alerts as
select
  a.id,
  t.slug as tenant,
  a.threshold,
  a.used_tokens,
  a.quota,
  round(100.0 * a.used_tokens / a.quota, 2) as percent,
  a.period_start,
  a.period_end,
  a.status,
  a.attempts,
  a.last_error,
  a.created_at,
  a.last_attempt_at,
  a.delivered_at,
  a.feature
from flagmeter.alerts a
join flagmeter.tenants t on t.id = a.tenant_id;
comment on column report.alerts.quota is 'Quota at detection (for a feature alert: the feature''s limit).';
comment on column report.alerts.feature is 'Null for a quota alert; the feature whose limit was crossed otherwise.';

--------------------------------------------------------------------------------------------------
-- The figures a check decides on, read in one snapshot
--------------------------------------------------------------------------------------------------

-- One query, so usage and holds come from the same snapshot: an event that settles a hold is
-- either seen with its hold gone or not at all, never counted twice. Daily rollups through
-- period_usage() (a few rows per feature) and the partial index of open holds: exact and cheap.
create function flagmeter.entitlement_figures(tenant bigint, tz text, billing_day integer, want_feature text, as_of timestamptz)
returns table (period_start timestamptz, period_end timestamptz, quota_used bigint, quota_reserved bigint, feature_used bigint, feature_reserved bigint)
language sql stable as $$
  with p as (
    select * from flagmeter.billing_period(billing_day, tz, as_of)
  ), u as (
    select f.feature, f.tokens from p cross join lateral flagmeter.period_usage(tenant, tz, p.period_start, p.period_end) f
  ), r as (
    select r.feature, r.tokens from flagmeter.reservations r
    where r.tenant_id = tenant and r.status = 'open' and r.expires_at > as_of
  )
  select p.period_start, p.period_end,
    coalesce((select sum(u.tokens) from u), 0)::bigint,
    coalesce((select sum(r.tokens) from r), 0)::bigint,
    coalesce((select sum(u.tokens) from u where u.feature = want_feature), 0)::bigint,
    coalesce((select sum(r.tokens) from r where r.feature = want_feature), 0)::bigint
  from p
$$;
comment on function flagmeter.entitlement_figures(bigint, text, integer, text, timestamptz) is
  'One tenant''s period usage and open, unexpired holds as of as_of: in total (the quota) and on want_feature. One snapshot.';

--------------------------------------------------------------------------------------------------
-- check_entitlement(): the whole of POST /api/check in one call
--------------------------------------------------------------------------------------------------

-- Volatile plpgsql on purpose: in READ COMMITTED each statement in it takes a fresh snapshot, so
-- the figures are read AFTER the per-tenant lock is granted and include every hold committed by
-- whoever held it before. That is what makes "used + reserved <= limit" hold for hard limits
-- across any number of replicas: reservations of one tenant against a hard limit are taken one
-- at a time, each seeing all the others. Checks without reserve and soft-limit reservations take
-- no lock (nothing they do can over-commit a hard limit).
create function flagmeter.check_entitlement(
  tenant_slug text, want_feature text, want_tokens bigint, reserve boolean, ttl_seconds integer, check_id text, request jsonb)
returns jsonb language plpgsql volatile as $$
declare
  t flagmeter.tenants;
  fl flagmeter.feature_limits;
  has_limit boolean;
  prior flagmeter.entitlement_checks;
  fig record;
  as_of timestamptz;
  n bigint := coalesce(want_tokens, 0);
  q_left bigint;
  f_left bigint;
  reason text := 'ok';
  on_feature boolean;
  res_id uuid;
  res_expires timestamptz;
  lim bigint; used bigint; held bigint; hard boolean;
  answer jsonb;
begin
  select * into t from flagmeter.tenants where slug = tenant_slug;
  if not found then
    return null;
  end if;

  if check_id is not null then
    -- a retry racing its original waits here, then finds its answer
    perform pg_advisory_xact_lock(hashtextextended('flagmeter.check:' || t.id || ':' || check_id, 0));
    select * into prior from flagmeter.entitlement_checks c where c.tenant_id = t.id and c.check_id = check_entitlement.check_id;
    if found then
      if prior.request <> request then
        return jsonb_build_object('conflict', 'check_id_reused');
      end if;
      return prior.answer || jsonb_build_object('replayed', true);
    end if;
  end if;

  select * into fl from flagmeter.feature_limits l where l.tenant_id = t.id and l.feature = want_feature;
  has_limit := found;

  if reserve and (t.quota_hard or (has_limit and fl.hard)) then
    perform pg_advisory_xact_lock(hashtextextended('flagmeter.reserve:' || t.id, 0));
  end if;

  as_of := clock_timestamp();
  select * into fig from flagmeter.entitlement_figures(t.id, t.timezone, t.billing_day, want_feature, as_of);
  q_left := t.monthly_quota - fig.quota_used - fig.quota_reserved;
  f_left := case when has_limit then fl.tokens - fig.feature_used - fig.feature_reserved end;

  -- The feature's limit first, then the quota; only hard limits deny.
  if has_limit and fl.hard and f_left <= 0 then
    reason := 'feature_limit_reached'; on_feature := true;
  elsif has_limit and fl.hard and n > f_left then
    reason := 'would_exceed'; on_feature := true;
  elsif t.quota_hard and q_left <= 0 then
    reason := 'quota_exhausted'; on_feature := false;
  elsif t.quota_hard and n > q_left then
    reason := 'would_exceed'; on_feature := false;
  else
    -- allowed: the answer shows the tightest limit (least left; the feature's on a tie)
    on_feature := has_limit and f_left <= q_left;
  end if;

  if reason = 'ok' and reserve then
    res_id := gen_random_uuid();
    res_expires := as_of + make_interval(secs => ttl_seconds);
    insert into flagmeter.reservations (tenant_id, id, feature, tokens, created_at, expires_at, check_id)
    values (t.id, res_id, want_feature, n, as_of, res_expires, check_entitlement.check_id);
    fig.quota_reserved := fig.quota_reserved + n;
    if want_feature is not null then
      fig.feature_reserved := fig.feature_reserved + n;
    end if;
  end if;

  if on_feature then
    lim := fl.tokens; used := fig.feature_used; held := fig.feature_reserved; hard := fl.hard;
  else
    lim := t.monthly_quota; used := fig.quota_used; held := fig.quota_reserved; hard := t.quota_hard;
  end if;

  answer := jsonb_build_object(
    'allowed', reason = 'ok',
    'reason', reason,
    'tenant', t.slug,
    'feature', want_feature,
    'limitOn', case when on_feature then 'feature' else 'quota' end,
    'limit', lim,
    'used', used,
    'reserved', held,
    'remaining', greatest(lim - used - held, 0),
    'overage', greatest(used - lim, 0),
    'hard', hard,
    'periodStart', to_char(fig.period_start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'periodEnd', to_char(fig.period_end at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'asOf', to_char(as_of at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
    || case when res_id is null then '{}'::jsonb else jsonb_build_object('reservation', jsonb_build_object(
      'id', res_id, 'tokens', n,
      'expiresAt', to_char(res_expires at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))) end;

  if check_id is not null then
    insert into flagmeter.entitlement_checks (tenant_id, check_id, request, answer)
    values (t.id, check_entitlement.check_id, request, answer);
  end if;
  return answer;
end
$$;
comment on function flagmeter.check_entitlement(text, text, bigint, boolean, integer, text, jsonb) is
  'POST /api/check: may tenant_slug spend want_tokens (on want_feature) now? Returns the answer as JSON (with the reservation when reserve is true and it was allowed), null for an unknown tenant, or {"conflict": "check_id_reused"} when check_id was used for another request.';

-- Many checks in one call (the server gathers concurrent checks, like it gathers events): one
-- round trip and, for reservations, one commit for many, so a busy tenant's holds are not
-- limited to one per commit. Requests are decided one after another, each as check_entitlement()
-- decides it (each sees the holds of those before it). Locks are taken in one global order — first
-- every check id's lock, then the tenants' reservation locks in tenant order — so batches from any
-- number of replicas cannot deadlock; answers come back in the order of the requests.
create function flagmeter.check_entitlements(requests jsonb) returns jsonb
language plpgsql volatile as $$
declare
  r record;
  answers jsonb[] := array_fill(null::jsonb, array[jsonb_array_length(requests)]);
begin
  perform pg_advisory_xact_lock(hashtextextended('flagmeter.check:' || k.tenant_id || ':' || k.check_id, 0))
  from (
    select distinct t.id as tenant_id, q->>'id' as check_id
    from jsonb_array_elements(requests) q join flagmeter.tenants t on t.slug = q->>'tenant'
    where q->>'id' is not null
    order by 1, 2
  ) k;
  for r in
    select q, (n - 1)::int as i
    from jsonb_array_elements(requests) with ordinality as x(q, n)
    left join flagmeter.tenants t on t.slug = q->>'tenant'
    order by t.id nulls last, n
  loop
    answers[r.i + 1] := coalesce(flagmeter.check_entitlement(r.q->>'tenant', r.q->>'feature', (r.q->>'tokens')::bigint,
      (r.q->>'reserve')::boolean, (r.q->>'ttlSeconds')::int, r.q->>'id', r.q->'request'), 'null'::jsonb);
  end loop;
  return to_jsonb(answers);
end
$$;
comment on function flagmeter.check_entitlements(jsonb) is
  'Decides a batch of checks (a JSON array of {tenant, feature, tokens, reserve, ttlSeconds, id, request}) in one transaction; returns their answers in order, each as flagmeter.check_entitlement() returns it (JSON null for an unknown tenant).';

--------------------------------------------------------------------------------------------------
-- Limits as figures: the usage body, the flags' snapshot and report.entitlements read these
--------------------------------------------------------------------------------------------------

create function flagmeter.tenant_limits_json(tenant bigint) returns json
language sql stable as $$
  with t as (
    select t.*, p.period_start, p.period_end from flagmeter.tenants t
    cross join lateral flagmeter.billing_period(t.billing_day, t.timezone, now()) p
    where t.id = tenant
  ), u as (
    select f.feature, f.tokens from t cross join lateral flagmeter.period_usage(t.id, t.timezone, t.period_start, t.period_end) f
  ), r as (
    select r.feature, r.tokens from flagmeter.reservations r
    where r.tenant_id = tenant and r.status = 'open' and r.expires_at > now()
  ), l as (
    select null::text as feature, t.monthly_quota as lim, t.quota_hard as hard,
      coalesce((select sum(tokens) from u), 0)::bigint as used, coalesce((select sum(tokens) from r), 0)::bigint as held
    from t
    union all
    select fl.feature, fl.tokens, fl.hard,
      coalesce((select sum(tokens) from u where u.feature = fl.feature), 0)::bigint,
      coalesce((select sum(tokens) from r where r.feature = fl.feature), 0)::bigint
    from flagmeter.feature_limits fl where fl.tenant_id = tenant
  )
  select coalesce(json_agg(json_build_object(
    'feature', l.feature, 'limit', l.lim, 'hard', l.hard, 'used', l.used, 'reserved', l.held,
    'remaining', greatest(l.lim - l.used - l.held, 0), 'overage', greatest(l.used - l.lim, 0),
    'percent', round(100.0 * l.used / l.lim, 2)) order by l.feature nulls first), '[]')
  from l
$$;
comment on function flagmeter.tenant_limits_json(bigint) is
  'A tenant''s limits as the API shows them: the quota first (feature null), then each feature limit, with used, reserved, remaining and overage in the current period.';

-- The contract with the flags service (quota rules): one row per tenant's quota (feature null)
-- and one per feature limit, with the current period's usage. Holds are not included: a flag
-- follows what was used.
create or replace function flagmeter.quota_snapshot(tenant_ids bigint[])
returns table (tenant_id bigint, feature text, used bigint, limit_tokens bigint)
language sql stable as $$
  select t.id, l.feature, coalesce(sum(u.tokens) filter (where l.feature is null or u.feature = l.feature), 0)::bigint, l.lim
  from flagmeter.tenants t
  cross join lateral flagmeter.billing_period(t.billing_day, t.timezone, now()) p
  cross join lateral (
    select null::text as feature, t.monthly_quota as lim
    union all
    select fl.feature, fl.tokens from flagmeter.feature_limits fl where fl.tenant_id = t.id
  ) l
  left join lateral flagmeter.period_usage(t.id, t.timezone, p.period_start, p.period_end) u on true
  where t.id = any (tenant_ids)
  group by t.id, l.feature, l.lim
$$;
comment on function flagmeter.quota_snapshot(bigint[]) is
  'For each tenant in tenant_ids: its quota (feature null) and each feature limit, with the current billing period''s usage (used) and the limit (limit_tokens).';

--------------------------------------------------------------------------------------------------
-- The minute job's share: feature-limit alerts, the expiry sweep, old check answers
--------------------------------------------------------------------------------------------------

create function flagmeter.tick_entitlements(
  as_of timestamptz default now(), recent interval default null, checks_retention interval default '1 day'
) returns jsonb language plpgsql volatile as $$
declare
  new_alerts bigint[];
  expired bigint := 0;
  pruned bigint := 0;
  ended_pruned bigint := 0;
begin
  -- Feature-limit crossings, with the tenant's thresholds; once per tenant, feature, threshold
  -- and period by the alerts' unique key, however often this runs.
  with limit_usage as (
    select fl.tenant_id, fl.feature, fl.tokens as lim, t.alert_thresholds, p.period_start, p.period_end,
      coalesce((select sum(f.tokens) from flagmeter.period_usage(t.id, t.timezone, p.period_start, p.period_end) f
                where f.feature = fl.feature), 0) as used
    from flagmeter.feature_limits fl
    join flagmeter.tenants t on t.id = fl.tenant_id
    cross join lateral flagmeter.billing_period(t.billing_day, t.timezone, as_of) p
    where cardinality(t.alert_thresholds) > 0
      and (recent is null or exists (
        select 1 from flagmeter.rollups r where r.tenant_id = t.id and r.minute >= as_of - recent and r.feature = fl.feature))
  ), inserted as (
    insert into flagmeter.alerts (tenant_id, period_start, period_end, threshold, used_tokens, quota, feature)
    select u.tenant_id, u.period_start, u.period_end, th, u.used, u.lim, u.feature
    from limit_usage u cross join lateral unnest(u.alert_thresholds) as th
    where u.used * 100 >= th::bigint * u.lim
    order by 1, 2, 4, 7
    on conflict on constraint alerts_once_per_period do nothing
    returning id
  )
  select coalesce(array_agg(id order by id), '{}') into new_alerts from inserted;

  if recent is null then
    -- Lapsed holds are already ignored by checks; the sweep makes their state say so. Rows a
    -- settling batch holds are skipped (no waiting, no deadlock) and swept next minute.
    with due as (
      select r.tenant_id, r.id from flagmeter.reservations r
      where r.status = 'open' and r.expires_at <= as_of
      order by 1, 2
      for update skip locked
    )
    update flagmeter.reservations r set status = 'expired', ended_at = as_of
    from due where r.tenant_id = due.tenant_id and r.id = due.id;
    get diagnostics expired = row_count;

    delete from flagmeter.entitlement_checks where created_at < as_of - checks_retention;
    get diagnostics pruned = row_count;

    -- Ended holds are history (report.reservations) for as long as check answers are kept; a
    -- settling event's retry is recognised by its reservation only within that window anyway.
    delete from flagmeter.reservations where status <> 'open' and ended_at < as_of - checks_retention;
    get diagnostics ended_pruned = row_count;
  end if;

  return jsonb_build_object('alerts', to_jsonb(new_alerts), 'reservationsExpired', expired, 'checksPruned', pruned, 'reservationsPruned', ended_pruned);
end
$$;
comment on function flagmeter.tick_entitlements(timestamptz, interval, interval) is
  'Run by the minute job in tick()''s transaction: inserts an alert per new feature-limit crossing (returned as "alerts"), and, when recent is null, marks lapsed reservations expired and deletes check answers and ended reservations older than checks_retention.';

--------------------------------------------------------------------------------------------------
-- report views
--------------------------------------------------------------------------------------------------

create view report.entitlements as
select
  t.slug as tenant,
  l.feature,
  l.lim as limit_tokens,
  l.used,
  l.held as reserved,
  greatest(l.lim - l.used - l.held, 0) as remaining,
  greatest(l.used - l.lim, 0) as overage,
  l.hard,
  p.period_start,
  p.period_end
from flagmeter.tenants t
cross join lateral flagmeter.billing_period(t.billing_day, t.timezone, now()) p
cross join lateral (
  select (x->>'feature') as feature, (x->>'limit')::bigint as lim, (x->>'used')::bigint as used,
    (x->>'reserved')::bigint as held, (x->>'hard')::boolean as hard
  from json_array_elements(flagmeter.tenant_limits_json(t.id)) x
) l;
comment on view report.entitlements is 'Every tenant''s limits in the current billing period: the quota (feature null) and each feature limit, with usage, open holds and what is left.';
comment on column report.entitlements.tenant is 'Tenant slug.';
comment on column report.entitlements.feature is 'Null: the tenant''s monthly quota. Otherwise the feature the limit is on.';
comment on column report.entitlements.limit_tokens is 'Tokens allowed per billing period.';
comment on column report.entitlements.used is 'Tokens used in the current period (every committed event).';
comment on column report.entitlements.reserved is 'Tokens held by open, unexpired reservations.';
comment on column report.entitlements.remaining is 'limit_tokens - used - reserved, at least 0: what a check may still grant.';
comment on column report.entitlements.overage is 'used - limit_tokens, at least 0: usage past the limit (events are always counted).';
comment on column report.entitlements.hard is 'True: checks deny at the limit; false: soft (alert only).';
comment on column report.entitlements.period_start is 'Start of the current billing period (inclusive).';
comment on column report.entitlements.period_end is 'End of the current billing period (exclusive).';

create view report.reservations as
select
  r.id,
  t.slug as tenant,
  r.feature,
  r.tokens,
  case when r.status = 'open' and r.expires_at <= now() then 'expired' else r.status end as status,
  r.created_at,
  r.expires_at,
  r.ended_at,
  r.settled_tokens,
  r.event_id,
  r.check_id
from flagmeter.reservations r
join flagmeter.tenants t on t.id = r.tenant_id;
comment on view report.reservations is 'Every reservation with its state; open ones are what checks count as reserved.';
comment on column report.reservations.id is 'Reservation id.';
comment on column report.reservations.tenant is 'Tenant slug.';
comment on column report.reservations.feature is 'Feature it was taken for (null: the quota only).';
comment on column report.reservations.tokens is 'Tokens held.';
comment on column report.reservations.status is 'open, settled, released or expired (an open row past expires_at shows as expired before the sweep marks it).';
comment on column report.reservations.created_at is 'When the check took it.';
comment on column report.reservations.expires_at is 'When it lapses by itself.';
comment on column report.reservations.ended_at is 'When it was settled, released or swept.';
comment on column report.reservations.settled_tokens is 'Tokens of the settling event (can exceed tokens).';
comment on column report.reservations.event_id is 'The settling event.';
comment on column report.reservations.check_id is 'Id of the check that took it.';
