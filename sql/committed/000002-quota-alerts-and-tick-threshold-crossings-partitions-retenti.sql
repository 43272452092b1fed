--! Previous: sha1:a98b611a5bf315e6e0c53d30e3a38800ce03ddd3
--! Hash: sha1:73c81d01ebe073912af997652da5aa1c0875a0dd
--! Message: quota alerts and tick(): threshold crossings, partitions, retention, compaction

-- Idempotent while it is current.sql: every object is dropped or guarded before it is created.

--------------------------------------------------------------------------------------------------
-- Thresholds per tenant
--------------------------------------------------------------------------------------------------

alter table flagmeter.tenants add column if not exists alert_thresholds integer[] not null default '{80,100}';
alter table flagmeter.tenants drop constraint if exists tenants_alert_thresholds_valid;
alter table flagmeter.tenants add constraint tenants_alert_thresholds_valid
  check (cardinality(alert_thresholds) <= 10 and 0 < all (alert_thresholds) and 1000 >= all (alert_thresholds));
comment on column flagmeter.tenants.alert_thresholds is 'Percentages of monthly_quota that raise an alert once per billing period (default 80 and 100; empty = no alerts).';

--------------------------------------------------------------------------------------------------
-- Hourly rollups: minute rollups older than a few days are merged here by tick()
--------------------------------------------------------------------------------------------------

drop view if exists flagmeter.usage_buckets cascade;
drop table if exists flagmeter.rollups_hourly;
-- Hours are the tenant's local hours, so a bucket never straddles a local midnight: periods and
-- days (which start at local midnight) sum the same before and after compaction, even in zones
-- with a :30 or :45 offset.
create table flagmeter.rollups_hourly (
  tenant_id bigint not null references flagmeter.tenants (id) on delete cascade,
  hour timestamptz not null,
  feature text not null,
  tokens bigint not null,
  event_count bigint not null,
  primary key (tenant_id, hour, feature)
);
comment on table flagmeter.rollups_hourly is 'Tokens per tenant, local hour (tenant time zone) and feature: minute rollups older than the compaction age, merged. Read both through flagmeter.usage_buckets.';
comment on column flagmeter.rollups_hourly.hour is 'Start of the tenant-local hour.';
comment on column flagmeter.rollups_hourly.tokens is 'Sum of the merged minute rollups.';
comment on column flagmeter.rollups_hourly.event_count is 'Events in the merged minute rollups.';

-- Compaction and the "recently active tenants" check both scan rollups by minute alone.
create index if not exists rollups_minute_idx on flagmeter.rollups (minute);

create view flagmeter.usage_buckets as
  select tenant_id, minute as bucket_start, feature, tokens, event_count from flagmeter.rollups
  union all
  select tenant_id, hour, feature, tokens, event_count from flagmeter.rollups_hourly;
comment on view flagmeter.usage_buckets is 'All usage as buckets (a minute, or a tenant-local hour once compacted): what every sum over time reads.';

-- The report views now read through usage_buckets so compaction does not change their sums.
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
  select sum(b.tokens) as tokens, sum(b.event_count) as events
  from flagmeter.usage_buckets b
  where b.tenant_id = t.id and b.bucket_start >= p.period_start and b.bucket_start < p.period_end
) u on true;

create or replace view report.usage_daily as
select
  t.slug as tenant,
  (b.bucket_start at time zone t.timezone)::date as day,
  b.feature,
  sum(b.tokens)::bigint as tokens,
  sum(b.event_count)::bigint as event_count
from flagmeter.usage_buckets b
join flagmeter.tenants t on t.id = b.tenant_id
group by t.slug, 2, b.feature;

create or replace view report.usage_by_feature as
select
  c.tenant,
  b.feature,
  sum(b.tokens)::bigint as tokens,
  sum(b.event_count)::bigint as event_count,
  round(100.0 * sum(b.tokens) / nullif(c.used_tokens, 0), 2) as percent_of_tenant,
  c.period_start,
  c.period_end
from report.usage_current c
join flagmeter.tenants t on t.slug = c.tenant
join flagmeter.usage_buckets b on b.tenant_id = t.id and b.bucket_start >= c.period_start and b.bucket_start < c.period_end
group by c.tenant, b.feature, c.used_tokens, c.period_start, c.period_end;

--------------------------------------------------------------------------------------------------
-- Alerts
--------------------------------------------------------------------------------------------------

drop table if exists flagmeter.alerts cascade;
create table flagmeter.alerts (
  id bigint generated always as identity primary key,
  tenant_id bigint not null references flagmeter.tenants (id) on delete cascade,
  period_start timestamptz not null,
  period_end timestamptz not null,
  threshold integer not null,
  used_tokens bigint not null,
  quota bigint not null,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed', 'skipped')),
  attempts integer not null default 0,
  last_error text,
  created_at timestamptz not null default now(),
  last_attempt_at timestamptz,
  delivered_at timestamptz,
  -- the guarantee behind "one message per tenant, threshold and period": whatever runs
  -- concurrently, a second insert of the same crossing does nothing
  constraint alerts_once_per_period unique (tenant_id, period_start, threshold)
);
create index alerts_created_at_idx on flagmeter.alerts (created_at desc);
comment on table flagmeter.alerts is 'One row per tenant, billing period and threshold crossed; delivery to Slack is tracked on the row.';
comment on column flagmeter.alerts.threshold is 'The percentage of the quota that was crossed.';
comment on column flagmeter.alerts.used_tokens is 'Usage in the period when the crossing was detected.';
comment on column flagmeter.alerts.quota is 'The tenant''s monthly_quota when the crossing was detected.';
comment on column flagmeter.alerts.status is 'pending (being delivered, maybe retrying), delivered, failed (retries exhausted) or skipped (no webhook, or disabled).';
comment on column flagmeter.alerts.attempts is 'Delivery attempts made so far.';
comment on column flagmeter.alerts.last_error is 'Why the last attempt failed (HTTP status and body, or a network error).';

--------------------------------------------------------------------------------------------------
-- tick(): the minute job's work, in one function
--------------------------------------------------------------------------------------------------

drop function if exists flagmeter.tick(timestamptz, interval, interval, interval, interval);
create function flagmeter.tick(
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
      coalesce((select sum(b.tokens) from flagmeter.usage_buckets b
                where b.tenant_id = t.id and b.bucket_start >= p.period_start and b.bucket_start < p.period_end), 0) as used
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
    -- upserts, like the insert trigger's, so the two cannot deadlock on hourly rows.
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
comment on function flagmeter.tick(timestamptz, interval, interval, interval, interval) is
  'The minute job: inserts an alert per new threshold crossing (returned as "alerts"), and, when recent is null, creates partitions, drops raw events past events_retention, compacts old minute rollups to hours and prunes old idempotency keys.';

-- Pruning keys by age scans received_at; BRIN stays tiny and cheap to maintain on an
-- insert-ordered column, unlike a btree on the hot insert path.
create index if not exists event_keys_received_at_brin on flagmeter.event_keys using brin (received_at);

--------------------------------------------------------------------------------------------------
-- report.alerts
--------------------------------------------------------------------------------------------------

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
  a.delivered_at
from flagmeter.alerts a
join flagmeter.tenants t on t.id = a.tenant_id;
comment on view report.alerts is 'Every quota alert with its delivery state, newest last (order by created_at desc for the latest).';
comment on column report.alerts.id is 'Alert id.';
comment on column report.alerts.tenant is 'Tenant slug.';
comment on column report.alerts.threshold is 'Percentage of the quota crossed (e.g. 80).';
comment on column report.alerts.used_tokens is 'Usage in the period when the crossing was detected.';
comment on column report.alerts.quota is 'Quota at detection.';
comment on column report.alerts.percent is 'used_tokens as a percentage of quota at detection.';
comment on column report.alerts.period_start is 'Start of the billing period the alert belongs to.';
comment on column report.alerts.period_end is 'End (exclusive) of that billing period.';
comment on column report.alerts.status is 'pending, delivered, failed (retries exhausted) or skipped (no webhook, or disabled).';
comment on column report.alerts.attempts is 'Delivery attempts made.';
comment on column report.alerts.last_error is 'Error of the last failed attempt.';
comment on column report.alerts.created_at is 'When the crossing was detected.';
comment on column report.alerts.last_attempt_at is 'When delivery was last attempted.';
comment on column report.alerts.delivered_at is 'When Slack accepted the message.';
