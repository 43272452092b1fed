--! Previous: sha1:9f85a1c925711028c5c43d69eb885447d96f0d2c
--! Hash: sha1:bdb68815b8bfb024420191461d83df3400fd9aab
--! Message: Reporting: per-end-user daily rollups in the insert trigger, billing periods since the first event, report.periods and report.usage_by_user

-- Reporting: a per-end-user daily rollup kept by the insert trigger, the billing periods since a
-- tenant's first event, and the report views over them. Idempotent while it is current.sql.

drop view if exists report.usage_by_user;
drop view if exists report.periods;
drop function if exists flagmeter.billing_periods(bigint);
drop function if exists flagmeter.daily_user_usage(bigint, date, date);
drop function if exists flagmeter.daily_rows_answer(bigint, text, timestamptz, timestamptz);

--------------------------------------------------------------------------------------------------
-- Per end user and local day: what "top users" and groupBy=user read
--------------------------------------------------------------------------------------------------

-- Only events that name a user get a row here: an anonymous event is already counted in
-- rollups_daily, and its share of a day is that day's total minus the named users' (see
-- daily_user_usage). So a tenant that never sends `user` pays nothing for this table. The zone is in
-- the key for the reason it is in rollups_daily's: a day is a local day of the zone the events were
-- stored in.
drop table if exists flagmeter.rollups_daily_users;
create table flagmeter.rollups_daily_users (
  tenant_id bigint not null references flagmeter.tenants (id) on delete cascade,
  day date not null,
  feature text not null,
  timezone text not null,
  end_user text not null,
  tokens bigint not null,
  event_count bigint not null,
  primary key (tenant_id, day, feature, timezone, end_user)
);
comment on table flagmeter.rollups_daily_users is 'Tokens per tenant, local calendar day, feature and end user, for events that name a user; maintained by the events insert trigger beside rollups_daily. tenant_id leads the primary key, so the table can be distributed by tenant. Never compacted or pruned. Read through flagmeter.daily_user_usage().';
comment on column flagmeter.rollups_daily_users.day is 'Calendar day in timezone.';
comment on column flagmeter.rollups_daily_users.timezone is 'The tenant''s time zone when the events were stored (as in rollups_daily).';
comment on column flagmeter.rollups_daily_users.end_user is 'events.end_user (never null here: anonymous events are not stored in this table).';
comment on column flagmeter.rollups_daily_users.tokens is 'Sum of events.tokens of this user that day.';
comment on column flagmeter.rollups_daily_users.event_count is 'Number of events of this user that day.';

-- What of each daily row the named users account for, so "no user" is one subtraction on the daily
-- row rather than a pass over every user row of the day (33,334 users a day: 1 s for a month).
alter table flagmeter.rollups_daily add column if not exists named_tokens bigint not null default 0;
alter table flagmeter.rollups_daily add column if not exists named_events bigint not null default 0;
comment on column flagmeter.rollups_daily.named_tokens is 'Of tokens, those of events that named an end user (their rows are in rollups_daily_users); tokens - named_tokens is the "no user" share.';
comment on column flagmeter.rollups_daily.named_events is 'Of event_count, the events that named an end user.';

-- As in migration 5: no insert may commit between the backfill below and the new trigger taking
-- over. SHARE waits for inserts in flight and holds new ones until this migration commits.
lock table flagmeter.events in share mode;

-- A batch in which no event names a user runs migration 5's statement unchanged (one scan of the
-- batch decides): anonymous traffic pays nothing for the per-user rollup. Otherwise the batch is
-- read once, grouped per (tenant, minute, feature, user); the minute and daily rows are summed from
-- those groups (the daily rows also count their named part), and the named users' groups go on to
-- their local day. Every upsert is sorted by its conflict key, so concurrent batches cannot deadlock.
create or replace function flagmeter.tg_events__rollup() returns trigger
language plpgsql volatile as $$
begin
  if not exists (select 1 from new_events where end_user is not null) then
    with per_minute as materialized (
      select tenant_id, date_trunc('minute', occurred_at, 'UTC') as minute, feature, sum(tokens) as tokens, count(*) as events
      from new_events
      group by 1, 2, 3
    ), minutes as (
      insert into flagmeter.rollups as r (tenant_id, minute, feature, tokens, event_count)
      select tenant_id, minute, feature, tokens, events from per_minute
      order by 1, 2, 3
      on conflict (tenant_id, minute, feature) do update
        set tokens = r.tokens + excluded.tokens,
            event_count = r.event_count + excluded.event_count
    )
    insert into flagmeter.rollups_daily as d (tenant_id, day, feature, timezone, tokens, event_count)
    select m.tenant_id, (m.minute at time zone t.timezone)::date, m.feature, t.timezone, sum(m.tokens), sum(m.events)
    from per_minute m
    join flagmeter.tenants t on t.id = m.tenant_id
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4
    on conflict (tenant_id, day, feature, timezone) do update
      set tokens = d.tokens + excluded.tokens,
          event_count = d.event_count + excluded.event_count;
    return null;
  end if;

  with per_user as materialized (
    select tenant_id, date_trunc('minute', occurred_at, 'UTC') as minute, feature, end_user, sum(tokens) as tokens, count(*) as events
    from new_events
    group by 1, 2, 3, 4
  ), per_minute as materialized (
    select tenant_id, minute, feature, sum(tokens) as tokens, sum(events) as events,
      coalesce(sum(tokens) filter (where end_user is not null), 0) as named_tokens,
      coalesce(sum(events) filter (where end_user is not null), 0) as named_events
    from per_user
    group by 1, 2, 3
  ), minutes as (
    insert into flagmeter.rollups as r (tenant_id, minute, feature, tokens, event_count)
    select tenant_id, minute, feature, tokens, events from per_minute
    order by 1, 2, 3
    on conflict (tenant_id, minute, feature) do update
      set tokens = r.tokens + excluded.tokens,
          event_count = r.event_count + excluded.event_count
  ), days as (
    insert into flagmeter.rollups_daily as d (tenant_id, day, feature, timezone, tokens, event_count, named_tokens, named_events)
    select m.tenant_id, (m.minute at time zone t.timezone)::date, m.feature, t.timezone, sum(m.tokens), sum(m.events), sum(m.named_tokens), sum(m.named_events)
    from per_minute m
    join flagmeter.tenants t on t.id = m.tenant_id
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4
    on conflict (tenant_id, day, feature, timezone) do update
      set tokens = d.tokens + excluded.tokens,
          event_count = d.event_count + excluded.event_count,
          named_tokens = d.named_tokens + excluded.named_tokens,
          named_events = d.named_events + excluded.named_events
  )
  insert into flagmeter.rollups_daily_users as u (tenant_id, day, feature, timezone, end_user, tokens, event_count)
  select p.tenant_id, (p.minute at time zone t.timezone)::date, p.feature, t.timezone, p.end_user, sum(p.tokens), sum(p.events)
  from per_user p
  join flagmeter.tenants t on t.id = p.tenant_id
  where p.end_user is not null
  group by 1, 2, 3, 4, 5
  order by 1, 2, 3, 4, 5
  on conflict (tenant_id, day, feature, timezone, end_user) do update
    set tokens = u.tokens + excluded.tokens,
        event_count = u.event_count + excluded.event_count;
  return null;
end
$$;
comment on function flagmeter.tg_events__rollup() is 'Adds each inserted batch of events to flagmeter.rollups, flagmeter.rollups_daily and (events that name a user) flagmeter.rollups_daily_users in the same transaction.';

-- Existing history from the raw events still retained, in each tenant's current zone (the zone
-- rollups_daily was backfilled in). Days whose raw events retention has already dropped keep
-- their totals in rollups_daily and show as "no user".
insert into flagmeter.rollups_daily_users (tenant_id, day, feature, timezone, end_user, tokens, event_count)
select e.tenant_id, (date_trunc('minute', e.occurred_at, 'UTC') at time zone t.timezone)::date, e.feature, t.timezone, e.end_user, sum(e.tokens), count(*)
from flagmeter.events e
join flagmeter.tenants t on t.id = e.tenant_id
where e.end_user is not null
group by 1, 2, 3, 4, 5;

-- (zeroed first, so that running this file again recomputes rather than adds)
update flagmeter.rollups_daily set named_tokens = 0, named_events = 0 where named_events <> 0;
update flagmeter.rollups_daily d
set named_tokens = n.tokens, named_events = n.events
from (
  select tenant_id, day, feature, timezone, sum(tokens)::bigint as tokens, sum(event_count)::bigint as events
  from flagmeter.rollups_daily_users group by 1, 2, 3, 4
) n
where n.tenant_id = d.tenant_id and n.day = d.day and n.feature = d.feature and n.timezone = d.timezone;

--------------------------------------------------------------------------------------------------
-- Reading the daily rows
--------------------------------------------------------------------------------------------------

-- The rule of period_usage(), as a predicate the query API shares: the daily rows answer exactly
-- for [range_start, range_end) in tz when both ends are local midnights there and no day near the
-- range was stored in another zone (a row in another zone can hold instants up to two local days
-- away from its own date).
create function flagmeter.daily_rows_answer(tenant bigint, tz text, range_start timestamptz, range_end timestamptz)
returns boolean language sql stable parallel safe as $$
  select range_start = ((range_start at time zone tz)::date::timestamp at time zone tz)
     and range_end = ((range_end at time zone tz)::date::timestamp at time zone tz)
     and not exists (
       select 1 from flagmeter.rollups_daily d
       where d.tenant_id = tenant
         and d.day >= (range_start at time zone tz)::date - 2 and d.day < (range_end at time zone tz)::date + 2
         and d.timezone <> tz)
$$;
comment on function flagmeter.daily_rows_answer(bigint, text, timestamptz, timestamptz) is
  'True when the daily rollups (rollups_daily, rollups_daily_users) sum [range_start, range_end) exactly in zone tz: both ends at local midnight and no row near the range stored in another zone.';

-- Named users' rows plus, per day, feature and zone, the rest of that day's events as one row with
-- a null user: the daily row minus its named part. Both are written by the same trigger statement,
-- so the difference is exact.
create function flagmeter.daily_user_usage(tenant bigint, first_day date, end_day date)
returns table (day date, feature text, timezone text, end_user text, tokens bigint, event_count bigint)
language sql stable parallel safe as $$
  select u.day, u.feature, u.timezone, u.end_user, u.tokens, u.event_count
  from flagmeter.rollups_daily_users u
  where u.tenant_id = tenant and u.day >= first_day and u.day < end_day
  union all
  select d.day, d.feature, d.timezone, null, d.tokens - d.named_tokens, d.event_count - d.named_events
  from flagmeter.rollups_daily d
  where d.tenant_id = tenant and d.day >= first_day and d.day < end_day and d.event_count > d.named_events
$$;
comment on function flagmeter.daily_user_usage(bigint, date, date) is
  'One tenant''s usage per local day, feature, zone and end user for days in [first_day, end_day); events without a user make one row per day, feature and zone with end_user null. Sums equal rollups_daily.';

--------------------------------------------------------------------------------------------------
-- Billing periods since the first event
--------------------------------------------------------------------------------------------------

-- With the tenant's current billing_day and zone, from the period of its first usage (the oldest
-- minute or hourly rollup: they are never pruned) to the current period; only the current one
-- for a tenant without usage. Local timestamps step by a month: billing_day <= 28 never clamps.
create function flagmeter.billing_periods(tenant bigint)
returns table (period_start timestamptz, period_end timestamptz)
language sql stable parallel safe as $$
  with t as (
    select t.billing_day, t.timezone, least(
      (select min(r.minute) from flagmeter.rollups r where r.tenant_id = t.id),
      (select min(h.hour) from flagmeter.rollups_hourly h where h.tenant_id = t.id)) as first_usage
    from flagmeter.tenants t where t.id = tenant
  ), bounds as (
    select t.timezone,
      (select p.period_start from flagmeter.billing_period(t.billing_day, t.timezone, least(coalesce(t.first_usage, now()), now())) p) at time zone t.timezone as first_local,
      (select p.period_start from flagmeter.billing_period(t.billing_day, t.timezone, now()) p) at time zone t.timezone as current_local
    from t
  )
  select s at time zone b.timezone, (s + interval '1 month') at time zone b.timezone
  from bounds b
  cross join lateral generate_series(b.first_local, b.current_local, interval '1 month') s
$$;
comment on function flagmeter.billing_periods(bigint) is
  'Every billing period [period_start, period_end) of a tenant from the one holding its first usage to the current one, with its current billing_day and time zone; oldest first.';

create view report.periods as
select
  t.slug as tenant,
  p.period_start,
  p.period_end,
  coalesce(u.tokens, 0)::bigint as tokens,
  coalesce(u.events, 0)::bigint as event_count,
  t.monthly_quota as quota,
  round(100.0 * coalesce(u.tokens, 0) / t.monthly_quota, 2) as percent,
  greatest(coalesce(u.tokens, 0) - t.monthly_quota, 0)::bigint as overage_tokens,
  coalesce(a.raised, 0)::integer as alerts_raised,
  coalesce(a.sent, 0)::integer as alerts_sent,
  coalesce(a.thresholds, '{}') as thresholds_crossed,
  (now() >= p.period_start and now() < p.period_end) as is_current,
  t.timezone
from flagmeter.tenants t
cross join lateral flagmeter.billing_periods(t.id) p
left join lateral (
  select sum(f.tokens) as tokens, sum(f.event_count) as events
  from flagmeter.period_usage(t.id, t.timezone, p.period_start, p.period_end) f
) u on true
-- an alert belongs to the period its own period_start falls in (the same period unless the
-- tenant's billing day or zone changed since)
left join lateral (
  select count(*) as raised, count(*) filter (where a.status = 'delivered') as sent,
    array_agg(distinct a.threshold order by a.threshold) as thresholds
  from flagmeter.alerts a
  where a.tenant_id = t.id and a.period_start >= p.period_start and a.period_start < p.period_end
) a on true;
comment on view report.periods is 'Every tenant''s billing periods since its first event (with today''s billing day, zone and quota), oldest first per tenant, with usage, overage and alerts.';
comment on column report.periods.tenant is 'Tenant slug.';
comment on column report.periods.period_start is 'Start of the billing period (inclusive): local midnight of billing_day in the tenant''s zone.';
comment on column report.periods.period_end is 'End of the billing period (exclusive): the start of the next one.';
comment on column report.periods.tokens is 'Tokens used in the period (the sum GET /api/usage shows while it is current).';
comment on column report.periods.event_count is 'Events in the period.';
comment on column report.periods.quota is 'The tenant''s monthly_quota (today''s value: past quotas are not kept).';
comment on column report.periods.percent is 'tokens as a percentage of quota (2 decimals; can exceed 100).';
comment on column report.periods.overage_tokens is 'Tokens above the quota (0 when within it).';
comment on column report.periods.alerts_raised is 'Quota alerts raised in the period (one per threshold crossed).';
comment on column report.periods.alerts_sent is 'Of those, the ones Slack accepted (status delivered).';
comment on column report.periods.thresholds_crossed is 'The thresholds (percent of quota) crossed in the period, ascending.';
comment on column report.periods.is_current is 'True for the period that contains now().';
comment on column report.periods.timezone is 'Time zone in which the period''s days are counted.';

--------------------------------------------------------------------------------------------------
-- report.usage_by_user
--------------------------------------------------------------------------------------------------

-- Written out rather than through daily_user_usage() so that a tenant or day filter reaches both
-- tables' primary keys.
create view report.usage_by_user as
select t.slug as tenant, u.day, u.feature, u.end_user, u.tokens, u.event_count, u.timezone
from flagmeter.rollups_daily_users u
join flagmeter.tenants t on t.id = u.tenant_id
union all
select t.slug, d.day, d.feature, null, d.tokens - d.named_tokens, d.event_count - d.named_events, d.timezone
from flagmeter.rollups_daily d
join flagmeter.tenants t on t.id = d.tenant_id
where d.event_count > d.named_events;
comment on view report.usage_by_user is 'Tokens per tenant, local day, feature and end user over all history; events without a user are one row per day and feature with end_user null, so the rows of a day add up to report.usage_daily''s.';
comment on column report.usage_by_user.tenant is 'Tenant slug.';
comment on column report.usage_by_user.day is 'Calendar day in timezone.';
comment on column report.usage_by_user.feature is 'Feature (e.g. model name).';
comment on column report.usage_by_user.end_user is 'The end user the events named (events.end_user); null for events without one.';
comment on column report.usage_by_user.tokens is 'Tokens of this user on this feature that day.';
comment on column report.usage_by_user.event_count is 'Events of this user on this feature that day.';
comment on column report.usage_by_user.timezone is 'Time zone of the day (the tenant''s zone when the events were stored).';
