--! Previous: -
--! Hash: sha1:a98b611a5bf315e6e0c53d30e3a38800ce03ddd3
--! Message: ingest spine: tenants, partitioned events, minute rollups, report views

-- FlagMeter's core schema. Objects live in `flagmeter` (tables and functions the app uses) and
-- `report` (read-only views for people with psql). Idempotent while it is current.sql.

drop schema if exists report cascade;
drop schema if exists flagmeter cascade;

create schema flagmeter;
comment on schema flagmeter is 'FlagMeter: tenants, raw usage events and their per-minute rollups.';
create schema report;
comment on schema report is 'FlagMeter read-only views for analysts: usage per tenant, day and feature. Start with \dv report.*';

--------------------------------------------------------------------------------------------------
-- Tenants
--------------------------------------------------------------------------------------------------

-- A CHECK constraint cannot catch an exception itself, so this asks Postgres to convert a time in
-- the zone: unknown names raise, which we turn into false.
create function flagmeter.is_timezone(tz text) returns boolean
language plpgsql immutable strict as $$
begin
  perform now() at time zone tz;
  return true;
exception when invalid_parameter_value then
  return false;
end
$$;
comment on function flagmeter.is_timezone(text) is
  'True when tz is a time zone name Postgres knows (e.g. Europe/Berlin). Immutable for use in a CHECK: zone names are not removed from tzdata.';

create table flagmeter.tenants (
  id bigint generated always as identity primary key,
  slug text not null unique
    constraint tenants_slug_format check (slug ~ '^[a-z0-9][a-z0-9._-]{0,127}$'),
  name text not null check (length(name) between 1 and 200),
  monthly_quota bigint not null default 1000000 check (monthly_quota > 0),
  billing_day smallint not null default 1 check (billing_day between 1 and 28),
  timezone text not null default 'UTC' check (flagmeter.is_timezone(timezone)),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table flagmeter.tenants is 'One row per customer of the operator whose AI usage is metered. Events name a tenant by slug; unknown slugs are rejected, never created.';
comment on column flagmeter.tenants.slug is 'Stable public identifier used in the API (lowercase letters, digits, . _ -; at most 128 characters).';
comment on column flagmeter.tenants.name is 'Display name.';
comment on column flagmeter.tenants.monthly_quota is 'Tokens allowed per billing period.';
comment on column flagmeter.tenants.billing_day is 'Day of month (1-28) on which a billing period starts, at local midnight in timezone.';
comment on column flagmeter.tenants.timezone is 'IANA time zone in which billing periods and days are counted.';

--------------------------------------------------------------------------------------------------
-- Billing periods
--------------------------------------------------------------------------------------------------

-- Periods run from local midnight of billing_day to the same instant a month later. billing_day is
-- at most 28 so "+ 1 month" never clamps. Stable, not immutable: it depends on the tz database.
create function flagmeter.billing_period(
  billing_day integer, tz text, as_of timestamptz,
  out period_start timestamptz, out period_end timestamptz
) language sql stable strict parallel safe as $$
  with local_now as (
    select as_of at time zone tz as ts
  ), local_start as (
    select case
      when extract(day from ts) >= billing_day
        then date_trunc('month', ts) + make_interval(days => billing_day - 1)
      else date_trunc('month', ts) - interval '1 month' + make_interval(days => billing_day - 1)
    end as ts
    from local_now
  )
  select ts at time zone tz, (ts + interval '1 month') at time zone tz from local_start
$$;
comment on function flagmeter.billing_period(integer, text, timestamptz) is
  'The billing period [period_start, period_end) that contains as_of, for a tenant with this billing_day and time zone.';

--------------------------------------------------------------------------------------------------
-- Events: raw, append-only, partitioned by calendar month (UTC) of occurred_at
--------------------------------------------------------------------------------------------------

-- No foreign key to tenants: it would add a per-row check to the hottest insert, and the API only
-- ever writes resolved tenant ids. Idempotency keys live in event_keys, because a unique index on
-- a partitioned table must contain the partition key and so could not make (tenant, key) unique.
create table flagmeter.events (
  id uuid not null,
  tenant_id bigint not null,
  feature text not null,
  tokens integer not null check (tokens > 0),
  occurred_at timestamptz not null,
  received_at timestamptz not null default now(),
  idempotency_key text,
  end_user text
) partition by range (occurred_at);
comment on table flagmeter.events is 'Raw usage events, one row per accepted event, partitioned by month of occurred_at. Aggregated into rollups by a statement trigger.';
comment on column flagmeter.events.id is 'Event id returned to the client (eventId).';
comment on column flagmeter.events.tenant_id is 'The tenant (flagmeter.tenants.id).';
comment on column flagmeter.events.feature is 'What was used, e.g. a model name (gpt-4o).';
comment on column flagmeter.events.tokens is 'Tokens consumed by this event (positive).';
comment on column flagmeter.events.occurred_at is 'When the usage happened (client timestamp, or receipt time when absent).';
comment on column flagmeter.events.received_at is 'When FlagMeter stored the event.';
comment on column flagmeter.events.idempotency_key is 'Client-supplied id; a second event with the same tenant and id is a duplicate and is not stored.';
comment on column flagmeter.events.end_user is 'Optional end user of the tenant, for breakdowns.';

-- Catches rows for months whose partition does not exist yet, so an insert never fails for lack
-- of a partition; ensure_event_partitions() moves such rows out when it creates the month.
create table flagmeter.events_default partition of flagmeter.events default;
comment on table flagmeter.events_default is 'Safety net for events outside every monthly partition; normally empty.';

create table flagmeter.event_keys (
  tenant_id bigint not null,
  idempotency_key text not null,
  event_id uuid not null,
  received_at timestamptz not null default now(),
  primary key (tenant_id, idempotency_key)
);
comment on table flagmeter.event_keys is 'Idempotency keys already seen per tenant; the primary key is what makes a racing duplicate lose.';
comment on column flagmeter.event_keys.event_id is 'The id of the event stored under this key, returned to clients that resend it.';

create function flagmeter.ensure_event_partitions(months_back integer default 2, months_ahead integer default 2)
returns integer language plpgsql volatile as $$
declare
  month_start timestamptz;
  part_name text;
  created integer := 0;
begin
  -- One creator at a time: concurrent replicas would otherwise race on the same month.
  perform pg_advisory_xact_lock(hashtext('flagmeter.ensure_event_partitions'));
  for month_start in
    select generate_series(
      date_trunc('month', now() at time zone 'UTC') - make_interval(months => months_back),
      date_trunc('month', now() at time zone 'UTC') + make_interval(months => months_ahead),
      interval '1 month'
    ) at time zone 'UTC'
  loop
    part_name := 'events_' || to_char(month_start at time zone 'UTC', 'YYYY_MM');
    continue when to_regclass('flagmeter.' || part_name) is not null;
    -- Build the month as a plain table, move in any rows the default partition caught for it,
    -- then attach: attaching would fail while the default partition still held such rows.
    execute format('create table flagmeter.%I (like flagmeter.events including defaults including constraints)', part_name);
    execute format(
      'with moved as (delete from flagmeter.events_default where occurred_at >= %L and occurred_at < %L returning *)
       insert into flagmeter.%I select * from moved',
      month_start, month_start + interval '1 month', part_name);
    execute format('alter table flagmeter.events attach partition flagmeter.%I for values from (%L) to (%L)',
      part_name, month_start, month_start + interval '1 month');
    execute format('comment on table flagmeter.%I is %L', part_name, 'Events that occurred in ' || to_char(month_start at time zone 'UTC', 'YYYY-MM') || ' (UTC).');
    created := created + 1;
  end loop;
  return created;
end
$$;
comment on function flagmeter.ensure_event_partitions(integer, integer) is
  'Creates the monthly events partitions from months_back before to months_ahead after the current UTC month; returns how many it created.';

select flagmeter.ensure_event_partitions();

--------------------------------------------------------------------------------------------------
-- Rollups: tokens per tenant, minute and feature, kept in the inserting transaction
--------------------------------------------------------------------------------------------------

-- Primary key leads with (tenant_id, minute) so "usage of a tenant in a period" is one range scan.
create table flagmeter.rollups (
  tenant_id bigint not null references flagmeter.tenants (id) on delete cascade,
  minute timestamptz not null,
  feature text not null,
  tokens bigint not null,
  event_count bigint not null,
  primary key (tenant_id, minute, feature)
);
comment on table flagmeter.rollups is 'Tokens and event counts per tenant, feature and minute (UTC-aligned), maintained by the events insert trigger. Sums always equal the events table.';
comment on column flagmeter.rollups.minute is 'Start of the minute (date_trunc in UTC) in which the events occurred.';
comment on column flagmeter.rollups.tokens is 'Sum of events.tokens in this minute.';
comment on column flagmeter.rollups.event_count is 'Number of events in this minute.';

-- Statement-level: one upsert per (tenant, minute, feature) per batch rather than one per event.
-- Rows are aggregated before the upsert (a hot row is touched once per batch) and sorted by the
-- conflict key so concurrent batches lock rollup rows in the same order and cannot deadlock.
create function flagmeter.tg_events__rollup() returns trigger
language plpgsql volatile as $$
begin
  insert into flagmeter.rollups as r (tenant_id, minute, feature, tokens, event_count)
  select tenant_id, date_trunc('minute', occurred_at, 'UTC'), feature, sum(tokens), count(*)
  from new_events
  group by 1, 2, 3
  order by 1, 2, 3
  on conflict (tenant_id, minute, feature) do update
    set tokens = r.tokens + excluded.tokens,
        event_count = r.event_count + excluded.event_count;
  return null;
end
$$;
comment on function flagmeter.tg_events__rollup() is 'Adds each inserted batch of events to flagmeter.rollups in the same transaction.';

create trigger _500_rollup
  after insert on flagmeter.events
  referencing new table as new_events
  for each statement execute function flagmeter.tg_events__rollup();

--------------------------------------------------------------------------------------------------
-- Slack webhooks
--------------------------------------------------------------------------------------------------

create table flagmeter.slack_webhooks (
  tenant_id bigint primary key references flagmeter.tenants (id) on delete cascade,
  url text not null check (url ~ '^https?://[^\s]+$'),
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table flagmeter.slack_webhooks is 'Where quota alerts for a tenant are posted; without a row, the default SLACK_WEBHOOK_URL is used.';
comment on column flagmeter.slack_webhooks.url is 'Slack incoming-webhook URL (http or https).';
comment on column flagmeter.slack_webhooks.enabled is 'False silences this tenant''s alerts without forgetting the URL.';

--------------------------------------------------------------------------------------------------
-- report: documented views for psql
--------------------------------------------------------------------------------------------------

create view report.usage_current as
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
  select sum(r.tokens) as tokens, sum(r.event_count) as events
  from flagmeter.rollups r
  where r.tenant_id = t.id and r.minute >= p.period_start and r.minute < p.period_end
) u on true;
comment on view report.usage_current is 'Every tenant''s usage in its current billing period against its quota.';
comment on column report.usage_current.tenant is 'Tenant slug.';
comment on column report.usage_current.tenant_name is 'Tenant display name.';
comment on column report.usage_current.monthly_quota is 'Tokens allowed per billing period.';
comment on column report.usage_current.used_tokens is 'Tokens used so far in the current period.';
comment on column report.usage_current.percent_used is 'used_tokens as a percentage of monthly_quota (2 decimals; can exceed 100).';
comment on column report.usage_current.event_count is 'Events counted so far in the current period.';
comment on column report.usage_current.period_start is 'Start of the current billing period (inclusive): local midnight of billing_day in the tenant''s time zone.';
comment on column report.usage_current.period_end is 'End of the current billing period (exclusive): the start of the next one.';
comment on column report.usage_current.billing_day is 'Day of month on which the tenant''s periods start.';
comment on column report.usage_current.timezone is 'Time zone in which the tenant''s periods and days are counted.';

create view report.usage_daily as
select
  t.slug as tenant,
  (r.minute at time zone t.timezone)::date as day,
  r.feature,
  sum(r.tokens)::bigint as tokens,
  sum(r.event_count)::bigint as event_count
from flagmeter.rollups r
join flagmeter.tenants t on t.id = r.tenant_id
group by t.slug, 2, r.feature;
comment on view report.usage_daily is 'Tokens per tenant, local calendar day (tenant time zone) and feature, over all retained history.';
comment on column report.usage_daily.tenant is 'Tenant slug.';
comment on column report.usage_daily.day is 'Calendar day in the tenant''s time zone.';
comment on column report.usage_daily.feature is 'Feature (e.g. model name).';
comment on column report.usage_daily.tokens is 'Tokens used that day on that feature.';
comment on column report.usage_daily.event_count is 'Events that day on that feature.';

create view report.usage_by_feature as
select
  c.tenant,
  r.feature,
  sum(r.tokens)::bigint as tokens,
  sum(r.event_count)::bigint as event_count,
  round(100.0 * sum(r.tokens) / nullif(c.used_tokens, 0), 2) as percent_of_tenant,
  c.period_start,
  c.period_end
from report.usage_current c
join flagmeter.tenants t on t.slug = c.tenant
join flagmeter.rollups r on r.tenant_id = t.id and r.minute >= c.period_start and r.minute < c.period_end
group by c.tenant, r.feature, c.used_tokens, c.period_start, c.period_end;
comment on view report.usage_by_feature is 'Per tenant and feature, usage in the tenant''s current billing period.';
comment on column report.usage_by_feature.tenant is 'Tenant slug.';
comment on column report.usage_by_feature.feature is 'Feature (e.g. model name).';
comment on column report.usage_by_feature.tokens is 'Tokens used on this feature in the current period.';
comment on column report.usage_by_feature.event_count is 'Events on this feature in the current period.';
comment on column report.usage_by_feature.percent_of_tenant is 'Share of the tenant''s usage in this period, in percent.';
comment on column report.usage_by_feature.period_start is 'Start of the current billing period (inclusive).';
comment on column report.usage_by_feature.period_end is 'End of the current billing period (exclusive).';
