--! Previous: sha1:de2a8752af41752fb573a321ad779b64ba393532
--! Hash: sha1:0bf0288055d3fbef03008dc2c2cbc8c43f90c7f6
--! Message: The per-user queue is priced by its readers and the fold, at each queued minute's price, not by the insert trigger (the per-event pricing join was most of the trigger's extra cost)

-- The per-user queue priced off the insert's path. Migration 14's trigger priced each queued event
-- by joining it to its minute's price: `npm run bench:trigger -- --last 2 --parts` measured that join
-- and the per-event cost as most of the trigger's extra cost (-29% against migration 11). Now the
-- queue holds one row per batch, tenant, local day and minute, with its minute, and whoever reads it
-- (the fold, daily_user_usage(), report.usage_by_user) prices its entries at that minute's price:
-- the same price the trigger would have used, since a price never takes effect before a minute
-- that already holds events (docs/cost.md).

alter table flagmeter.rollups_daily_users_pending add column if not exists minute timestamptz;
comment on column flagmeter.rollups_daily_users_pending.minute is 'The UTC minute its events occurred in (null in rows queued before migration 16, whose costs are in costs): their price is the one in force then.';
comment on column flagmeter.rollups_daily_users_pending.costs is 'Cost of each entry, in rows queued by migration 14''s trigger; null since migration 16 (priced by minute when read or folded).';
comment on table flagmeter.rollups_daily_users_pending is 'Events that name a user, not yet folded into rollups_daily_users: one row per inserted batch, tenant, local day and minute, its (feature, end_user, tokens, event_count, parts) entries in parallel arrays. Appended by the events insert trigger, emptied by flagmeter.fold_user_rollups() (the minute job); read priced through flagmeter.queued_user_usage(). tenant_id leads the primary key, so the table can be distributed by tenant.';

-- The queue's entries with their cost, each at its minute's price. One select (no CTE), so the
-- callers' tenant, day and feature conditions reach the queue's rows before they are priced.
create or replace function flagmeter.queued_user_usage(tenant bigint, first_day date, end_day date)
returns table (tenant_id bigint, day date, feature text, timezone text, end_user text, tokens bigint, event_count bigint,
  input_tokens bigint, output_tokens bigint, cached_tokens bigint, cost numeric)
language sql stable parallel safe as $$
  select p.tenant_id, p.day, u.feature, p.timezone, u.end_user, u.tokens, u.events,
    coalesce(u.input, 0), coalesce(u.output, 0), coalesce(u.cached, 0),
    coalesce(u.cost, flagmeter.tokens_cost(u.tokens, coalesce(u.input, 0), coalesce(u.output, 0), coalesce(u.cached, 0), pr.input, pr.output, pr.cached, pr.plain))
  from flagmeter.rollups_daily_users_pending p
  cross join lateral unnest(p.features, p.end_users, p.tokens, p.event_counts, p.input_tokens, p.output_tokens, p.cached_tokens, p.costs)
    as u(feature, end_user, tokens, events, input, output, cached, cost)
  left join lateral flagmeter.price_in_force(p.tenant_id, u.feature, p.minute) pr on u.cost is null
  where (tenant is null or p.tenant_id = tenant) and p.day >= first_day and p.day < end_day
$$;
comment on function flagmeter.queued_user_usage(bigint, date, date) is 'The per-user queue''s entries (rollups_daily_users_pending) of one tenant (null: every tenant) for days in [first_day, end_day), each with its cost at the price in force at its minute.';

create or replace function flagmeter.tg_events__rollup() returns trigger
language plpgsql volatile as $$
begin
  -- One price lookup per tenant, feature and minute of the batch (not per event): a price's
  -- effective_from is a whole minute, so all events of a minute share it. The per-user queue is
  -- priced later, by its readers and the fold (migration 16).
  with per_minute as materialized (
    select tenant_id, date_trunc('minute', occurred_at, 'UTC') as minute, feature, sum(tokens) as tokens, count(*) as events,
      coalesce(sum(input_tokens), 0) as input, coalesce(sum(output_tokens), 0) as output, coalesce(sum(cached_tokens), 0) as cached,
      coalesce(sum(tokens) filter (where end_user is not null), 0) as named_tokens,
      count(*) filter (where end_user is not null) as named_events,
      coalesce(sum(input_tokens) filter (where end_user is not null), 0) as named_input,
      coalesce(sum(output_tokens) filter (where end_user is not null), 0) as named_output,
      coalesce(sum(cached_tokens) filter (where end_user is not null), 0) as named_cached
    from new_events
    group by 1, 2, 3
  ), priced as materialized (
    select m.*,
      flagmeter.tokens_cost(m.tokens, m.input, m.output, m.cached, p.input, p.output, p.cached, p.plain) as cost,
      flagmeter.tokens_cost(m.named_tokens, m.named_input, m.named_output, m.named_cached, p.input, p.output, p.cached, p.plain) as named_cost
    from per_minute m
    left join lateral flagmeter.price_in_force(m.tenant_id, m.feature, m.minute) p on true
  ), minutes as (
    insert into flagmeter.rollups as r (tenant_id, minute, feature, tokens, event_count, input_tokens, output_tokens, cached_tokens, cost)
    select tenant_id, minute, feature, tokens, events, input, output, cached, cost from priced
    order by 1, 2, 3
    on conflict (tenant_id, minute, feature) do update
      set tokens = r.tokens + excluded.tokens,
          event_count = r.event_count + excluded.event_count,
          input_tokens = r.input_tokens + excluded.input_tokens,
          output_tokens = r.output_tokens + excluded.output_tokens,
          cached_tokens = r.cached_tokens + excluded.cached_tokens,
          cost = r.cost + excluded.cost
  ), days as (
    insert into flagmeter.rollups_daily as d (tenant_id, day, feature, timezone, tokens, event_count, named_tokens, named_events,
      input_tokens, output_tokens, cached_tokens, cost, named_input_tokens, named_output_tokens, named_cached_tokens, named_cost)
    select m.tenant_id, (m.minute at time zone t.timezone)::date, m.feature, t.timezone, sum(m.tokens), sum(m.events), sum(m.named_tokens), sum(m.named_events),
      sum(m.input), sum(m.output), sum(m.cached), sum(m.cost), sum(m.named_input), sum(m.named_output), sum(m.named_cached), sum(m.named_cost)
    from priced m
    join flagmeter.tenants t on t.id = m.tenant_id
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4
    on conflict (tenant_id, day, feature, timezone) do update
      set tokens = d.tokens + excluded.tokens,
          event_count = d.event_count + excluded.event_count,
          named_tokens = d.named_tokens + excluded.named_tokens,
          named_events = d.named_events + excluded.named_events,
          input_tokens = d.input_tokens + excluded.input_tokens,
          output_tokens = d.output_tokens + excluded.output_tokens,
          cached_tokens = d.cached_tokens + excluded.cached_tokens,
          cost = d.cost + excluded.cost,
          named_input_tokens = d.named_input_tokens + excluded.named_input_tokens,
          named_output_tokens = d.named_output_tokens + excluded.named_output_tokens,
          named_cached_tokens = d.named_cached_tokens + excluded.named_cached_tokens,
          named_cost = d.named_cost + excluded.named_cost
  )
  -- Events that name a user, queued as they are (migration 11): one row per tenant and local day.
  insert into flagmeter.rollups_daily_users_pending (tenant_id, day, timezone, minute, features, end_users, tokens, event_counts,
    input_tokens, output_tokens, cached_tokens)
  select e.tenant_id, (e.minute at time zone t.timezone)::date, t.timezone, e.minute,
    array_agg(e.feature), array_agg(e.end_user), array_agg(e.tokens::bigint), array_agg(1::bigint),
    array_agg(e.input), array_agg(e.output), array_agg(e.cached)
  from (
    select tenant_id, date_trunc('minute', occurred_at, 'UTC') as minute, feature, end_user, tokens::bigint as tokens,
      coalesce(input_tokens, 0)::bigint as input, coalesce(output_tokens, 0)::bigint as output, coalesce(cached_tokens, 0)::bigint as cached
    from new_events
    where end_user is not null
  ) e
  join flagmeter.tenants t on t.id = e.tenant_id
  group by 1, 2, 3, 4;
  return null;
end
$$;
comment on function flagmeter.tg_events__rollup() is 'Adds each inserted batch of events (tokens, their parts and their cost at the price in force for each minute) to flagmeter.rollups and flagmeter.rollups_daily, and queues the events that name a user, with their minute, in flagmeter.rollups_daily_users_pending, in the same transaction.';

create or replace function flagmeter.fold_user_rollups() returns integer
language sql volatile as $$
  with moved as (
    delete from flagmeter.rollups_daily_users_pending returning *
  ), x as (
    select m.tenant_id, m.id, m.day, m.timezone, m.minute, u.feature, u.end_user, u.tokens, u.events,
      coalesce(u.input, 0) as input, coalesce(u.output, 0) as output, coalesce(u.cached, 0) as cached, u.cost
    from moved m
    cross join lateral unnest(m.features, m.end_users, m.tokens, m.event_counts, m.input_tokens, m.output_tokens, m.cached_tokens, m.costs)
      as u(feature, end_user, tokens, events, input, output, cached, cost)
  ), priced as (
    -- one lookup per tenant, feature and minute of the queue, as the trigger does for its batch
    select k.tenant_id, k.feature, k.minute, pr.input, pr.output, pr.cached, pr.plain
    from (select distinct tenant_id, feature, minute from x where minute is not null) k
    cross join lateral flagmeter.price_in_force(k.tenant_id, k.feature, k.minute) pr
  ), entries as (
    select x.tenant_id, x.day, x.feature, x.timezone, x.end_user, sum(x.tokens)::bigint as tokens, sum(x.events)::bigint as events,
      sum(x.input)::bigint as input, sum(x.output)::bigint as output, sum(x.cached)::bigint as cached,
      sum(coalesce(x.cost, flagmeter.tokens_cost(x.tokens, x.input, x.output, x.cached, pr.input, pr.output, pr.cached, pr.plain))) as cost
    from x left join priced pr on pr.tenant_id = x.tenant_id and pr.feature = x.feature and pr.minute = x.minute
    group by 1, 2, 3, 4, 5
  ), folded as (
    insert into flagmeter.rollups_daily_users as u (tenant_id, day, feature, timezone, end_user, tokens, event_count, input_tokens, output_tokens, cached_tokens, cost)
    select tenant_id, day, feature, timezone, end_user, tokens, events, input, output, cached, cost from entries
    order by 1, 2, 3, 4, 5
    on conflict (tenant_id, day, feature, timezone, end_user) do update
      set tokens = u.tokens + excluded.tokens,
          event_count = u.event_count + excluded.event_count,
          input_tokens = u.input_tokens + excluded.input_tokens,
          output_tokens = u.output_tokens + excluded.output_tokens,
          cached_tokens = u.cached_tokens + excluded.cached_tokens,
          cost = u.cost + excluded.cost
    returning 1
  )
  select count(*)::int from folded
$$;
comment on function flagmeter.fold_user_rollups() is 'Folds the queued per-end-user sums (rollups_daily_users_pending) into rollups_daily_users, pricing each queued minute at its price in force; returns the rows upserted. Called by the minute job.';

create or replace function flagmeter.daily_user_usage(tenant bigint, first_day date, end_day date)
returns table (day date, feature text, timezone text, end_user text, tokens bigint, event_count bigint,
  input_tokens bigint, output_tokens bigint, cached_tokens bigint, cost numeric)
language sql stable parallel safe as $$
  select u.day, u.feature, u.timezone, u.end_user, u.tokens, u.event_count, u.input_tokens, u.output_tokens, u.cached_tokens, u.cost
  from flagmeter.rollups_daily_users u
  where u.tenant_id = tenant and u.day >= first_day and u.day < end_day
  union all
  select q.day, q.feature, q.timezone, q.end_user, q.tokens, q.event_count, q.input_tokens, q.output_tokens, q.cached_tokens, q.cost
  from flagmeter.queued_user_usage(tenant, first_day, end_day) q
  union all
  select d.day, d.feature, d.timezone, null, d.tokens - d.named_tokens, d.event_count - d.named_events,
    d.input_tokens - d.named_input_tokens, d.output_tokens - d.named_output_tokens, d.cached_tokens - d.named_cached_tokens, d.cost - d.named_cost
  from flagmeter.rollups_daily d
  where d.tenant_id = tenant and d.day >= first_day and d.day < end_day and d.event_count > d.named_events
$$;

create or replace view report.usage_by_user as
select t.slug as tenant, n.day, n.feature, n.end_user, sum(n.tokens)::bigint as tokens, sum(n.event_count)::bigint as event_count, n.timezone,
  sum(n.input_tokens)::bigint as input_tokens, sum(n.output_tokens)::bigint as output_tokens, sum(n.cached_tokens)::bigint as cached_tokens,
  sum(n.cost) as cost, t.currency
from (
  select u.tenant_id, u.day, u.feature, u.end_user, u.tokens, u.event_count, u.timezone, u.input_tokens, u.output_tokens, u.cached_tokens, u.cost
  from flagmeter.rollups_daily_users u
  union all
  select q.tenant_id, q.day, q.feature, q.end_user, q.tokens, q.event_count, q.timezone, q.input_tokens, q.output_tokens, q.cached_tokens, q.cost
  from flagmeter.queued_user_usage(null, '-infinity', 'infinity') q
) n
join flagmeter.tenants t on t.id = n.tenant_id
group by t.slug, n.day, n.feature, n.end_user, n.timezone, t.currency
union all
select t.slug, d.day, d.feature, null, d.tokens - d.named_tokens, d.event_count - d.named_events, d.timezone,
  d.input_tokens - d.named_input_tokens, d.output_tokens - d.named_output_tokens, d.cached_tokens - d.named_cached_tokens,
  d.cost - d.named_cost, t.currency
from flagmeter.rollups_daily d
join flagmeter.tenants t on t.id = d.tenant_id
where d.event_count > d.named_events;
