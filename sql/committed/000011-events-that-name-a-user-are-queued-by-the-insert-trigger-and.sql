--! Previous: sha1:bdb68815b8bfb024420191461d83df3400fd9aab
--! Hash: sha1:4895e165274ffab03bbf96e00d032070752066e6
--! Message: Events that name a user are queued by the insert trigger and folded into the per-user rollup by the minute job (an upsert per user halved the hot insert)

-- The per-end-user rollup, made cheap for the hot insert. Migration 10's trigger upserted one row of
-- rollups_daily_users per tenant, day, feature and user of every batch; with users spread as in real
-- traffic (a 1,000-event batch naming ~1,000 distinct tenant·feature·user groups) that halved the
-- SQL ingest ceiling (npm run bench:trigger: -52%). Now the trigger appends each batch's per-user sums
-- to a queue, one row per tenant and day in arrays, and the minute job folds the queue into rollups_daily_users in
-- one statement. Readers add what is still queued, so every sum stays exact at every moment.

create table if not exists flagmeter.rollups_daily_users_pending (
  tenant_id bigint not null references flagmeter.tenants (id) on delete cascade,
  id bigint generated always as identity,
  day date not null,
  timezone text not null,
  features text[] not null,
  end_users text[] not null,
  tokens bigint[] not null,
  event_counts bigint[] not null,
  primary key (tenant_id, id),
  check (cardinality(features) = cardinality(end_users) and cardinality(features) = cardinality(tokens) and cardinality(features) = cardinality(event_counts))
);
comment on table flagmeter.rollups_daily_users_pending is 'Events that name a user, not yet folded into rollups_daily_users: one row per inserted batch, tenant and local day, its (feature, end_user, tokens, event_count) entries in parallel arrays. Appended by the events insert trigger, emptied by flagmeter.fold_user_rollups() (the minute job). tenant_id leads the primary key, so the table can be distributed by tenant.';
comment on column flagmeter.rollups_daily_users_pending.day is 'Calendar day in timezone.';
comment on column flagmeter.rollups_daily_users_pending.timezone is 'The tenant''s time zone when the events were stored.';
comment on column flagmeter.rollups_daily_users_pending.features is 'Feature of each entry.';
comment on column flagmeter.rollups_daily_users_pending.end_users is 'End user of each entry (never null).';
comment on column flagmeter.rollups_daily_users_pending.tokens is 'Tokens of each entry.';
comment on column flagmeter.rollups_daily_users_pending.event_counts is 'Events of each entry.';
comment on table flagmeter.rollups_daily_users is 'Tokens per tenant, local calendar day, feature and end user, for events that name a user; the insert trigger queues them in rollups_daily_users_pending and the minute job folds them in. tenant_id leads the primary key, so the table can be distributed by tenant. Never compacted or pruned. Read through flagmeter.daily_user_usage() (which adds the queue).';

create or replace function flagmeter.tg_events__rollup() returns trigger
language plpgsql volatile as $$
begin
  with per_minute as materialized (
    select tenant_id, date_trunc('minute', occurred_at, 'UTC') as minute, feature, sum(tokens) as tokens, count(*) as events,
      coalesce(sum(tokens) filter (where end_user is not null), 0) as named_tokens,
      count(*) filter (where end_user is not null) as named_events
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
        named_events = d.named_events + excluded.named_events;

  -- Events that name a user, queued as they are: one row per tenant and local day of the batch, its
  -- events in arrays. Grouping them by user here (and the upsert per user migration 10 did) is the
  -- minute job's work now, off the insert's path.
  insert into flagmeter.rollups_daily_users_pending (tenant_id, day, timezone, features, end_users, tokens, event_counts)
  select e.tenant_id, (e.minute at time zone t.timezone)::date, t.timezone,
    array_agg(e.feature), array_agg(e.end_user), array_agg(e.tokens::bigint), array_agg(1::bigint)
  from (
    select tenant_id, date_trunc('minute', occurred_at, 'UTC') as minute, feature, end_user, tokens
    from new_events
    where end_user is not null
  ) e
  join flagmeter.tenants t on t.id = e.tenant_id
  group by 1, 2, 3;
  return null;
end
$$;
comment on function flagmeter.tg_events__rollup() is 'Adds each inserted batch of events to flagmeter.rollups and flagmeter.rollups_daily, and queues the sums of events that name a user in flagmeter.rollups_daily_users_pending, in the same transaction.';

-- Moves the whole queue in one statement: a reader's snapshot sees each sum either queued or folded,
-- never both, never neither. Batches committed while it runs stay queued for the next call. Sorted
-- upserts, like the trigger's, so concurrent folds (there is one minute job) could not deadlock.
create or replace function flagmeter.fold_user_rollups() returns integer
language sql volatile as $$
  with moved as (
    delete from flagmeter.rollups_daily_users_pending returning *
  ), entries as (
    select m.tenant_id, m.day, x.feature, m.timezone, x.end_user, sum(x.tokens)::bigint as tokens, sum(x.events)::bigint as events
    from moved m
    cross join lateral unnest(m.features, m.end_users, m.tokens, m.event_counts) as x(feature, end_user, tokens, events)
    group by 1, 2, 3, 4, 5
  ), folded as (
    insert into flagmeter.rollups_daily_users as u (tenant_id, day, feature, timezone, end_user, tokens, event_count)
    select tenant_id, day, feature, timezone, end_user, tokens, events from entries
    order by 1, 2, 3, 4, 5
    on conflict (tenant_id, day, feature, timezone, end_user) do update
      set tokens = u.tokens + excluded.tokens,
          event_count = u.event_count + excluded.event_count
    returning 1
  )
  select count(*)::int from folded
$$;
comment on function flagmeter.fold_user_rollups() is 'Folds the queued per-end-user sums (rollups_daily_users_pending) into rollups_daily_users; returns the rows upserted. Called by the minute job.';

-- Folded rows plus queued entries (a day, feature and user may then come as two rows: callers sum),
-- plus per day, feature and zone the rest of that day's events as one row with a null user.
create or replace function flagmeter.daily_user_usage(tenant bigint, first_day date, end_day date)
returns table (day date, feature text, timezone text, end_user text, tokens bigint, event_count bigint)
language sql stable parallel safe as $$
  select u.day, u.feature, u.timezone, u.end_user, u.tokens, u.event_count
  from flagmeter.rollups_daily_users u
  where u.tenant_id = tenant and u.day >= first_day and u.day < end_day
  union all
  select p.day, x.feature, p.timezone, x.end_user, x.tokens, x.events
  from flagmeter.rollups_daily_users_pending p
  cross join lateral unnest(p.features, p.end_users, p.tokens, p.event_counts) as x(feature, end_user, tokens, events)
  where p.tenant_id = tenant and p.day >= first_day and p.day < end_day
  union all
  select d.day, d.feature, d.timezone, null, d.tokens - d.named_tokens, d.event_count - d.named_events
  from flagmeter.rollups_daily d
  where d.tenant_id = tenant and d.day >= first_day and d.day < end_day and d.event_count > d.named_events
$$;
comment on function flagmeter.daily_user_usage(bigint, date, date) is
  'One tenant''s usage per local day, feature, zone and end user for days in [first_day, end_day), folded and still queued (a key may come as two rows: sum them); events without a user make one row per day, feature and zone with end_user null. Sums equal rollups_daily.';

-- The view sums the queued entries into their keys, so each tenant, day, feature and user is one row.
create or replace view report.usage_by_user as
select t.slug as tenant, n.day, n.feature, n.end_user, sum(n.tokens)::bigint as tokens, sum(n.event_count)::bigint as event_count, n.timezone
from (
  select u.tenant_id, u.day, u.feature, u.end_user, u.tokens, u.event_count, u.timezone from flagmeter.rollups_daily_users u
  union all
  select p.tenant_id, p.day, x.feature, x.end_user, x.tokens, x.events, p.timezone
  from flagmeter.rollups_daily_users_pending p
  cross join lateral unnest(p.features, p.end_users, p.tokens, p.event_counts) as x(feature, end_user, tokens, events)
) n
join flagmeter.tenants t on t.id = n.tenant_id
group by t.slug, n.day, n.feature, n.end_user, n.timezone
union all
select t.slug, d.day, d.feature, null, d.tokens - d.named_tokens, d.event_count - d.named_events, d.timezone
from flagmeter.rollups_daily d
join flagmeter.tenants t on t.id = d.tenant_id
where d.event_count > d.named_events;
