--! Previous: sha1:fc78bfbb93e552b23ff9b00ba5ad4de68de3a109
--! Hash: sha1:8b768dc0caab496b169a1a13648dadd048310672
--! Message: daily rollups kept by the insert trigger; period sums read them through period_usage()

-- Idempotent while it is current.sql: every object is dropped or guarded before it is created.

--------------------------------------------------------------------------------------------------
-- Daily rollups: what "usage this billing period" reads
--------------------------------------------------------------------------------------------------

-- Summing a period from minute rows read thousands of rows per tenant, one per heap page (each
-- minute's rows are written together for all tenants): with 500 busy tenants, 1.6 s for
-- report.usage_current and 2.3 s for tick() (npm run bench:periods). A billing period is a run
-- of whole local days in the tenant's zone, so the insert trigger also keeps one row per tenant,
-- local day and feature, and a period sum reads about 31 of them per feature. The zone is part of
-- the key: rows written before a tenant changed its zone keep the days of the old zone, and a
-- period near such rows is summed from the buckets instead (flagmeter.period_usage), so every sum
-- stays exact.

drop table if exists flagmeter.rollups_daily;
create table flagmeter.rollups_daily (
  tenant_id bigint not null references flagmeter.tenants (id) on delete cascade,
  day date not null,
  feature text not null,
  timezone text not null,
  tokens bigint not null,
  event_count bigint not null,
  primary key (tenant_id, day, feature, timezone)
);
comment on table flagmeter.rollups_daily is 'Tokens per tenant, local calendar day and feature, maintained by the events insert trigger next to the minute rollups. Never compacted or pruned. Read through flagmeter.period_usage().';
comment on column flagmeter.rollups_daily.day is 'Calendar day in timezone.';
comment on column flagmeter.rollups_daily.timezone is 'The tenant''s time zone when the events were stored.';
comment on column flagmeter.rollups_daily.tokens is 'Sum of events.tokens that day.';
comment on column flagmeter.rollups_daily.event_count is 'Number of events that day.';

-- No insert may commit between the backfill below and the new trigger taking over: SHARE waits
-- for inserts in flight and holds new ones until this migration commits (they then run the new
-- trigger). Descendant partitions are locked with the parent.
lock table flagmeter.events in share mode;

-- Statement-level, like before: the batch is aggregated once per (tenant, minute, feature), then
-- those groups are added to the minute rows and, per local day, to the daily rows. Both upserts
-- are sorted by their conflict key and every batch is one statement in its own transaction, so
-- concurrent batches take the same locks in the same order and cannot deadlock.
create or replace function flagmeter.tg_events__rollup() returns trigger
language plpgsql volatile as $$
begin
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
end
$$;
comment on function flagmeter.tg_events__rollup() is 'Adds each inserted batch of events to flagmeter.rollups and flagmeter.rollups_daily in the same transaction.';

-- Existing history, day by day in each tenant's zone. Buckets are counted by their start, as
-- every period sum before this migration did, so no number on any dashboard moves.
insert into flagmeter.rollups_daily (tenant_id, day, feature, timezone, tokens, event_count)
select b.tenant_id, (b.bucket_start at time zone t.timezone)::date, b.feature, t.timezone, sum(b.tokens), sum(b.event_count)
from flagmeter.usage_buckets b
join flagmeter.tenants t on t.id = b.tenant_id
group by 1, 2, 3, 4;

--------------------------------------------------------------------------------------------------
-- period_usage(): one tenant's usage per feature in a period
--------------------------------------------------------------------------------------------------

-- plpgsql rather than SQL: the buckets are read only when the daily rows cannot answer. A row in
-- another zone can hold instants up to two local days away from its own date (offsets span 26
-- hours), hence the margin of the check.
create or replace function flagmeter.period_usage(tenant bigint, tz text, period_start timestamptz, period_end timestamptz)
returns table (feature text, tokens bigint, event_count bigint)
language plpgsql stable parallel safe as $$
declare
  first_day date := (period_start at time zone tz)::date;
  end_day date := (period_end at time zone tz)::date;
begin
  if period_start = (first_day::timestamp at time zone tz)
     and period_end = (end_day::timestamp at time zone tz)
     and not exists (
       select 1 from flagmeter.rollups_daily d
       where d.tenant_id = tenant and d.day >= first_day - 2 and d.day < end_day + 2 and d.timezone <> tz)
  then
    return query
      select d.feature, sum(d.tokens)::bigint, sum(d.event_count)::bigint
      from flagmeter.rollups_daily d
      where d.tenant_id = tenant and d.day >= first_day and d.day < end_day and d.timezone = tz
      group by d.feature;
  else
    return query
      select b.feature, sum(b.tokens)::bigint, sum(b.event_count)::bigint
      from flagmeter.usage_buckets b
      where b.tenant_id = tenant and b.bucket_start >= period_start and b.bucket_start < period_end
      group by b.feature;
  end if;
end
$$;
comment on function flagmeter.period_usage(bigint, text, timestamptz, timestamptz) is
  'Tokens and events per feature of one tenant in [period_start, period_end): from the daily rollups when the period is whole local days in tz and no day near it was stored in another zone, else from flagmeter.usage_buckets. Both give the same sums.';

--------------------------------------------------------------------------------------------------
-- The readers of period sums, now through period_usage()
--------------------------------------------------------------------------------------------------

create or replace view report.usage_current as
select
  t.slug as tenant,
  t.name as tenant_name,
  t.monthly_quota,
  coalesce(u.tokens, 0)::bigint as used_tokens,
  round(100.0 * coalesce(u.tokens, 0) / t.monthly_quota, 2) as percent_used,
  coalesce(u.events, 0)::bigint as event_count,
  p.period_start,
  p.period_end,
  t.billing_day,
  t.timezone
from flagmeter.tenants t
cross join lateral flagmeter.billing_period(t.billing_day, t.timezone, now()) p
left join lateral (
  select sum(f.tokens) as tokens, sum(f.event_count) as events
  from flagmeter.period_usage(t.id, t.timezone, p.period_start, p.period_end) f
) u on true;

create or replace view report.usage_by_feature as
select
  t.slug as tenant,
  f.feature,
  f.tokens,
  f.event_count,
  round(100.0 * f.tokens / nullif(sum(f.tokens) over (partition by t.id), 0), 2) as percent_of_tenant,
  p.period_start,
  p.period_end
from flagmeter.tenants t
cross join lateral flagmeter.billing_period(t.billing_day, t.timezone, now()) p
cross join lateral flagmeter.period_usage(t.id, t.timezone, p.period_start, p.period_end) f;

-- tick() as in migration 2, but the crossing check sums periods with period_usage().
create or replace function flagmeter.tick(
  as_of timestamptz default now(),
  recent interval default null,
  events_retention interval default '13 months',
  compact_after interval default '3 days',
  keys_retention interval default '7 days'
) returns jsonb language plpgsql volatile as $$
declare
  new_alerts bigint[];
  created integer := 0;
  dropped text[] := '{}';
  compacted bigint := 0;
  pruned bigint := 0;
  part record;
begin
  -- Threshold crossings. With `recent` set (the fast check between minute ticks) only tenants
  -- with usage in the last `recent` are looked at; the full tick looks at every tenant.
  with tenant_usage as (
    select t.id as tenant_id, t.monthly_quota, t.alert_thresholds, p.period_start, p.period_end,
      coalesce((select sum(f.tokens) from flagmeter.period_usage(t.id, t.timezone, p.period_start, p.period_end) f), 0) as used
    from flagmeter.tenants t
    cross join lateral flagmeter.billing_period(t.billing_day, t.timezone, as_of) p
    where cardinality(t.alert_thresholds) > 0
      and (recent is null or exists (
        select 1 from flagmeter.rollups r where r.tenant_id = t.id and r.minute >= as_of - recent))
  ), inserted as (
    insert into flagmeter.alerts (tenant_id, period_start, period_end, threshold, used_tokens, quota)
    select u.tenant_id, u.period_start, u.period_end, th, u.used, u.monthly_quota
    from tenant_usage u cross join lateral unnest(u.alert_thresholds) as th
    where u.used * 100 >= th::bigint * u.monthly_quota
    order by 1, 2, 4
    on conflict on constraint alerts_once_per_period do nothing
    returning id
  )
  select coalesce(array_agg(id order by id), '{}') into new_alerts from inserted;

  -- Maintenance runs in the full tick only, and in one session at a time.
  if recent is null and pg_try_advisory_xact_lock(hashtext('flagmeter.tick.maintenance')) then
    created := flagmeter.ensure_event_partitions(2, 2);

    -- Retention: raw events go a whole month at a time (rollups stay). Dropping a partition
    -- needs a brief exclusive lock on events; rather than queue behind inserts, try next minute.
    for part in
      select c.relname, to_date(substr(c.relname, 8), 'YYYY_MM') as month
      from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'flagmeter.events'::regclass and c.relname ~ '^events_\d{4}_\d{2}$'
      order by 2
    loop
      exit when (part.month + interval '1 month') at time zone 'UTC' > as_of - events_retention;
      begin
        set local lock_timeout = '2s';
        execute format('drop table flagmeter.%I', part.relname);
        dropped := dropped || part.relname::text;
      exception when lock_not_available then
        raise notice 'retention: % is busy, will retry', part.relname;
      end;
    end loop;

    -- Compaction: minute rows older than compact_after move into tenant-local hours. Sorted
    -- upserts, like the insert trigger's, so the two cannot deadlock on hourly rows. The daily
    -- rows are not touched: an hour lies within one local day.
    with moved as (
      delete from flagmeter.rollups r
      using flagmeter.tenants t
      where t.id = r.tenant_id and r.minute < as_of - compact_after
      returning r.tenant_id, date_trunc('hour', r.minute at time zone t.timezone) at time zone t.timezone as hour,
        r.feature, r.tokens, r.event_count
    ), merged as (
      insert into flagmeter.rollups_hourly as h (tenant_id, hour, feature, tokens, event_count)
      select tenant_id, hour, feature, sum(tokens), sum(event_count) from moved
      group by 1, 2, 3 order by 1, 2, 3
      on conflict (tenant_id, hour, feature) do update
        set tokens = h.tokens + excluded.tokens, event_count = h.event_count + excluded.event_count
    )
    select count(*) into compacted from moved;

    -- Idempotency keys are kept for keys_retention: a resend after that is counted again.
    delete from flagmeter.event_keys where received_at < as_of - keys_retention;
    get diagnostics pruned = row_count;
  end if;

  return jsonb_build_object(
    'alerts', to_jsonb(new_alerts),
    'partitionsCreated', created,
    'partitionsDropped', to_jsonb(dropped),
    'rollupsCompacted', compacted,
    'keysPruned', pruned);
end
$$;
