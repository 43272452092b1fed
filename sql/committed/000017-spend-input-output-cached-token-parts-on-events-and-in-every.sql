--! Previous: sha1:8a6d5c4f32916f3d373b33295f23d6f79ced5179
--! Hash: sha1:53a4a391607a38126830aa8f9dea171714701f72
--! Message: Spend: input/output/cached token parts on events and in every rollup, a price book (installation and per-tenant, effective-from), costs computed by the insert trigger

-- Spend, not just tokens (issue 24). An event may say how its tokens split into input, output and
-- cached (input read from a prompt cache) tokens; the rollups keep the parts beside the total, and
-- the money they cost at the prices in force when the events occurred. Prices come from a price
-- book: the installation's, per model and currency, and a tenant's own overrides, each row in force
-- from its effective_from until the next row for the same model. Costs are computed once, by the
-- insert trigger, and summed exactly (numeric) from then on: a later price never rewrites a cost
-- already counted, and every reader (usage, query API, views, statements) sums the same figures.

--------------------------------------------------------------------------------------------------
-- Token kinds on events
--------------------------------------------------------------------------------------------------

-- Nullable, so an event without parts costs no bytes beyond the null bitmap it already has.
alter table flagmeter.events add column if not exists input_tokens integer;
alter table flagmeter.events add column if not exists output_tokens integer;
alter table flagmeter.events add column if not exists cached_tokens integer;
alter table flagmeter.events drop constraint if exists events_token_parts;
-- All three parts or none; when given, they add up to tokens (the API refuses a tokens that disagrees).
alter table flagmeter.events add constraint events_token_parts check (
  (input_tokens is null and output_tokens is null and cached_tokens is null)
  or (input_tokens >= 0 and output_tokens >= 0 and cached_tokens >= 0
      and input_tokens::bigint + output_tokens + cached_tokens = tokens));
comment on column flagmeter.events.tokens is 'Tokens consumed by this event (positive): input_tokens + output_tokens + cached_tokens when the parts are given.';
comment on column flagmeter.events.input_tokens is 'Input (prompt) tokens not read from a cache; null when the event gave no parts (then all its tokens are priced as plain tokens).';
comment on column flagmeter.events.output_tokens is 'Output (completion) tokens; null when the event gave no parts.';
comment on column flagmeter.events.cached_tokens is 'Input tokens read from a prompt cache (not counted in input_tokens); null when the event gave no parts.';

--------------------------------------------------------------------------------------------------
-- The price book
--------------------------------------------------------------------------------------------------

alter table flagmeter.tenants add column if not exists currency text not null default 'USD';
alter table flagmeter.tenants drop constraint if exists tenants_currency_format;
alter table flagmeter.tenants add constraint tenants_currency_format check (currency ~ '^[A-Z]{3}$');
comment on column flagmeter.tenants.currency is 'ISO 4217 code of the currency the tenant''s costs are counted in (default USD): its prices are the installation''s in this currency, or its own overrides.';

-- Prices are per million tokens, at most 6 decimals, so a cost (tokens x price / 1,000,000) has at
-- most 12 decimals and is exact in numeric. effective_from sits on a whole minute: a minute rollup
-- then never straddles two prices, so the trigger can price a batch's minute sums, not each event.
create table if not exists flagmeter.prices (
  model text not null check (length(model) between 1 and 128),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  effective_from timestamptz not null check (date_trunc('minute', effective_from) = effective_from),
  input numeric(14, 6) not null check (input >= 0),
  output numeric(14, 6) not null check (output >= 0),
  cached numeric(14, 6) not null check (cached >= 0),
  plain numeric(14, 6) not null check (plain >= 0),
  created_at timestamptz not null default now(),
  primary key (model, currency, effective_from)
);
comment on table flagmeter.prices is 'The installation''s price book: per model (events.feature) and currency, prices per million tokens in force from effective_from until the next row of the same model and currency. Not tenant data: a reference table when distributed. Shipped with a default list that the operator must check.';
comment on column flagmeter.prices.model is 'The model, as events name it in feature (e.g. gpt-4o).';
comment on column flagmeter.prices.currency is 'ISO 4217 code; applies to tenants counting in this currency.';
comment on column flagmeter.prices.effective_from is 'First instant (a whole minute) the row prices; events before it keep the price before.';
comment on column flagmeter.prices.input is 'Per million input tokens (events.input_tokens).';
comment on column flagmeter.prices.output is 'Per million output tokens (events.output_tokens).';
comment on column flagmeter.prices.cached is 'Per million cached input tokens (events.cached_tokens).';
comment on column flagmeter.prices.plain is 'Per million tokens of events that gave no parts (by default the input price).';

create table if not exists flagmeter.tenant_prices (
  tenant_id bigint not null references flagmeter.tenants (id) on delete cascade,
  model text not null check (length(model) between 1 and 128),
  effective_from timestamptz not null check (date_trunc('minute', effective_from) = effective_from),
  input numeric(14, 6) not null check (input >= 0),
  output numeric(14, 6) not null check (output >= 0),
  cached numeric(14, 6) not null check (cached >= 0),
  plain numeric(14, 6) not null check (plain >= 0),
  created_at timestamptz not null default now(),
  primary key (tenant_id, model, effective_from)
);
comment on table flagmeter.tenant_prices is 'A tenant''s own prices (in its currency), overriding the installation''s for a model from effective_from on: once a tenant has an override in force for a model, the installation''s rows for that model no longer apply to it. tenant_id leads the primary key so the table can be distributed by tenant.';
comment on column flagmeter.tenant_prices.model is 'The model (events.feature).';
comment on column flagmeter.tenant_prices.effective_from is 'First instant (a whole minute) the row prices.';
comment on column flagmeter.tenant_prices.input is 'Per million input tokens.';
comment on column flagmeter.tenant_prices.output is 'Per million output tokens.';
comment on column flagmeter.tenant_prices.cached is 'Per million cached input tokens.';
comment on column flagmeter.tenant_prices.plain is 'Per million tokens of events that gave no parts.';

-- The one definition of "the price in force": the tenant's latest override at or before `at`, else
-- the installation's latest row in the tenant's currency. Two primary-key probes.
create or replace function flagmeter.price_in_force(p_tenant bigint, p_model text, p_at timestamptz)
returns table (input numeric, output numeric, cached numeric, plain numeric, currency text, effective_from timestamptz, source text)
language sql stable parallel safe as $$
  (select tp.input, tp.output, tp.cached, tp.plain, t.currency, tp.effective_from, 'tenant'
   from flagmeter.tenant_prices tp join flagmeter.tenants t on t.id = tp.tenant_id
   where tp.tenant_id = p_tenant and tp.model = p_model and tp.effective_from <= p_at
   order by tp.effective_from desc limit 1)
  union all
  (select p.input, p.output, p.cached, p.plain, p.currency, p.effective_from, 'installation'
   from flagmeter.tenants t join flagmeter.prices p on p.currency = t.currency
   where t.id = p_tenant and p.model = p_model and p.effective_from <= p_at
   order by p.effective_from desc limit 1)
  limit 1
$$;
comment on function flagmeter.price_in_force(bigint, text, timestamptz) is 'The price of one model for one tenant at an instant: its own override in force then, else the installation''s row in its currency (no row: the model is unpriced, its tokens cost 0).';

-- Cost of token sums at one price row, exact: plain tokens are those without parts.
create or replace function flagmeter.tokens_cost(tokens bigint, input bigint, output bigint, cached bigint,
  p_input numeric, p_output numeric, p_cached numeric, p_plain numeric)
returns numeric language sql immutable parallel safe as $$
  select coalesce((input * p_input + output * p_output + cached * p_cached + (tokens - input - output - cached) * p_plain) * 0.000001, 0)
$$;
comment on function flagmeter.tokens_cost(bigint, bigint, bigint, bigint, numeric, numeric, numeric, numeric) is 'Cost of tokens (of which input, output and cached given as parts; the rest plain) at prices per million, exact (at most 12 decimals); 0 when unpriced (null prices).';

-- The shipped default list: public list prices per million tokens in USD as published by the
-- vendors in 2025 (standard tier, no batch discount, shortest context band). A starting point the
-- operator must check against their own contracts (docs/cost.md); plain = input.
insert into flagmeter.prices (model, currency, effective_from, input, output, cached, plain) values
  ('gpt-4o',                 'USD', '2000-01-01T00:00:00Z',  2.50, 10.00, 1.25,  2.50),
  ('gpt-4o-mini',            'USD', '2000-01-01T00:00:00Z',  0.15,  0.60, 0.075, 0.15),
  ('gpt-4.1',                'USD', '2000-01-01T00:00:00Z',  2.00,  8.00, 0.50,  2.00),
  ('gpt-4.1-mini',           'USD', '2000-01-01T00:00:00Z',  0.40,  1.60, 0.10,  0.40),
  ('gpt-4.1-nano',           'USD', '2000-01-01T00:00:00Z',  0.10,  0.40, 0.025, 0.10),
  ('o3',                     'USD', '2000-01-01T00:00:00Z',  2.00,  8.00, 0.50,  2.00),
  ('o4-mini',                'USD', '2000-01-01T00:00:00Z',  1.10,  4.40, 0.275, 1.10),
  ('text-embedding-3-small', 'USD', '2000-01-01T00:00:00Z',  0.02,  0.00, 0.00,  0.02),
  ('text-embedding-3-large', 'USD', '2000-01-01T00:00:00Z',  0.13,  0.00, 0.00,  0.13),
  ('claude-opus-4',          'USD', '2000-01-01T00:00:00Z', 15.00, 75.00, 1.50, 15.00),
  ('claude-sonnet-4',        'USD', '2000-01-01T00:00:00Z',  3.00, 15.00, 0.30,  3.00),
  ('claude-3-5-haiku',       'USD', '2000-01-01T00:00:00Z',  0.80,  4.00, 0.08,  0.80),
  ('gemini-2.5-pro',         'USD', '2000-01-01T00:00:00Z',  1.25, 10.00, 0.31,  1.25),
  ('gemini-2.5-flash',       'USD', '2000-01-01T00:00:00Z',  0.30,  2.50, 0.075, 0.30)
on conflict do nothing;

--------------------------------------------------------------------------------------------------
-- Parts and cost in every rollup
--------------------------------------------------------------------------------------------------

alter table flagmeter.rollups
  add column if not exists input_tokens bigint not null default 0,
  add column if not exists output_tokens bigint not null default 0,
  add column if not exists cached_tokens bigint not null default 0,
  add column if not exists cost numeric not null default 0;
alter table flagmeter.rollups_hourly
  add column if not exists input_tokens bigint not null default 0,
  add column if not exists output_tokens bigint not null default 0,
  add column if not exists cached_tokens bigint not null default 0,
  add column if not exists cost numeric not null default 0;
alter table flagmeter.rollups_daily
  add column if not exists input_tokens bigint not null default 0,
  add column if not exists output_tokens bigint not null default 0,
  add column if not exists cached_tokens bigint not null default 0,
  add column if not exists cost numeric not null default 0,
  add column if not exists named_input_tokens bigint not null default 0,
  add column if not exists named_output_tokens bigint not null default 0,
  add column if not exists named_cached_tokens bigint not null default 0,
  add column if not exists named_cost numeric not null default 0;
alter table flagmeter.rollups_daily_users
  add column if not exists input_tokens bigint not null default 0,
  add column if not exists output_tokens bigint not null default 0,
  add column if not exists cached_tokens bigint not null default 0,
  add column if not exists cost numeric not null default 0;
-- Null in rows queued before this migration (their entries had no parts and no cost).
alter table flagmeter.rollups_daily_users_pending
  add column if not exists input_tokens bigint[],
  add column if not exists output_tokens bigint[],
  add column if not exists cached_tokens bigint[],
  add column if not exists costs numeric[];

do $$
declare tbl text;
begin
  foreach tbl in array array['rollups', 'rollups_hourly', 'rollups_daily', 'rollups_daily_users'] loop
    execute format($c$comment on column flagmeter.%1$I.input_tokens is 'Of tokens, the input tokens of events that gave parts.'$c$, tbl);
    execute format($c$comment on column flagmeter.%1$I.output_tokens is 'Of tokens, the output tokens of events that gave parts.'$c$, tbl);
    execute format($c$comment on column flagmeter.%1$I.cached_tokens is 'Of tokens, the cached input tokens of events that gave parts (tokens minus the three parts: plain tokens of events without parts).'$c$, tbl);
    execute format($c$comment on column flagmeter.%1$I.cost is 'What these tokens cost in the tenant''s currency, each minute''s at the price in force then (flagmeter.price_in_force), exact; 0 for unpriced models and for usage stored before prices existed (migration 14 priced it at the default list).'$c$, tbl);
  end loop;
end $$;
comment on column flagmeter.rollups_daily.named_input_tokens is 'Of input_tokens, those of events that named an end user.';
comment on column flagmeter.rollups_daily.named_output_tokens is 'Of output_tokens, those of events that named an end user.';
comment on column flagmeter.rollups_daily.named_cached_tokens is 'Of cached_tokens, those of events that named an end user.';
comment on column flagmeter.rollups_daily.named_cost is 'Of cost, that of events that named an end user (cost - named_cost is the "no user" share).';
comment on column flagmeter.rollups_daily_users_pending.input_tokens is 'Input tokens of each entry (null in rows queued before migration 14: 0).';
comment on column flagmeter.rollups_daily_users_pending.output_tokens is 'Output tokens of each entry (null in rows queued before migration 14: 0).';
comment on column flagmeter.rollups_daily_users_pending.cached_tokens is 'Cached input tokens of each entry (null in rows queued before migration 14: 0).';
comment on column flagmeter.rollups_daily_users_pending.costs is 'Cost of each entry at the price in force when it occurred (null in rows queued before migration 14: 0).';

-- Usage stored before this migration had no parts and no price: price it at the default list (one
-- row per model, in force since 2000, and every tenant counts in USD at this point), so a period
-- that spans the upgrade shows a whole cost. Costs of plain tokens only: tokens x plain.
update flagmeter.rollups r set cost = flagmeter.tokens_cost(r.tokens, 0, 0, 0, 0, 0, 0, p.plain)
from flagmeter.prices p where p.model = r.feature and p.currency = 'USD' and r.cost = 0;
update flagmeter.rollups_hourly r set cost = flagmeter.tokens_cost(r.tokens, 0, 0, 0, 0, 0, 0, p.plain)
from flagmeter.prices p where p.model = r.feature and p.currency = 'USD' and r.cost = 0;
update flagmeter.rollups_daily r set cost = flagmeter.tokens_cost(r.tokens, 0, 0, 0, 0, 0, 0, p.plain),
  named_cost = flagmeter.tokens_cost(r.named_tokens, 0, 0, 0, 0, 0, 0, p.plain)
from flagmeter.prices p where p.model = r.feature and p.currency = 'USD' and r.cost = 0;
update flagmeter.rollups_daily_users r set cost = flagmeter.tokens_cost(r.tokens, 0, 0, 0, 0, 0, 0, p.plain)
from flagmeter.prices p where p.model = r.feature and p.currency = 'USD' and r.cost = 0;
-- Queued entries are folded first, so the backfill above reaches them too.
select flagmeter.fold_user_rollups();
update flagmeter.rollups_daily_users r set cost = flagmeter.tokens_cost(r.tokens, 0, 0, 0, 0, 0, 0, p.plain)
from flagmeter.prices p where p.model = r.feature and p.currency = 'USD' and r.cost = 0;

--------------------------------------------------------------------------------------------------
-- The insert trigger: parts and cost, priced per tenant, feature and minute of the batch
--------------------------------------------------------------------------------------------------

create or replace function flagmeter.tg_events__rollup() returns trigger
language plpgsql volatile as $$
begin
  -- One price lookup per tenant, feature and minute of the batch (not per event): a price's
  -- effective_from is a whole minute, so all events of a minute share it. The per-user queue gets
  -- each event's cost from its minute's price, joined in the same statement.
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
    select m.*, p.input as p_input, p.output as p_output, p.cached as p_cached, p.plain as p_plain,
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
  insert into flagmeter.rollups_daily_users_pending (tenant_id, day, timezone, features, end_users, tokens, event_counts,
    input_tokens, output_tokens, cached_tokens, costs)
  select e.tenant_id, (e.minute at time zone t.timezone)::date, t.timezone,
    array_agg(e.feature), array_agg(e.end_user), array_agg(e.tokens::bigint), array_agg(1::bigint),
    array_agg(e.input), array_agg(e.output), array_agg(e.cached),
    array_agg(flagmeter.tokens_cost(e.tokens, e.input, e.output, e.cached, p.p_input, p.p_output, p.p_cached, p.p_plain))
  from (
    select tenant_id, date_trunc('minute', occurred_at, 'UTC') as minute, feature, end_user, tokens::bigint as tokens,
      coalesce(input_tokens, 0)::bigint as input, coalesce(output_tokens, 0)::bigint as output, coalesce(cached_tokens, 0)::bigint as cached
    from new_events
    where end_user is not null
  ) e
  join priced p using (tenant_id, minute, feature)
  join flagmeter.tenants t on t.id = e.tenant_id
  group by 1, 2, 3;
  return null;
end
$$;
comment on function flagmeter.tg_events__rollup() is 'Adds each inserted batch of events (tokens, their parts and their cost at the price in force for each minute) to flagmeter.rollups and flagmeter.rollups_daily, and queues the events that name a user in flagmeter.rollups_daily_users_pending, in the same transaction.';

--------------------------------------------------------------------------------------------------
-- The per-user queue and its readers carry parts and cost
--------------------------------------------------------------------------------------------------

create or replace function flagmeter.fold_user_rollups() returns integer
language sql volatile as $$
  with moved as (
    delete from flagmeter.rollups_daily_users_pending returning *
  ), entries as (
    select m.tenant_id, m.day, x.feature, m.timezone, x.end_user, sum(x.tokens)::bigint as tokens, sum(x.events)::bigint as events,
      coalesce(sum(x.input), 0)::bigint as input, coalesce(sum(x.output), 0)::bigint as output, coalesce(sum(x.cached), 0)::bigint as cached,
      coalesce(sum(x.cost), 0) as cost
    from moved m
    cross join lateral unnest(m.features, m.end_users, m.tokens, m.event_counts, m.input_tokens, m.output_tokens, m.cached_tokens, m.costs)
      as x(feature, end_user, tokens, events, input, output, cached, cost)
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
comment on function flagmeter.fold_user_rollups() is 'Folds the queued per-end-user sums (rollups_daily_users_pending) into rollups_daily_users; returns the rows upserted. Called by the minute job.';

-- New columns at the end: the return type changes, so the function is dropped and made again
-- (only SQL text calls it, which PostgreSQL does not track as a dependency).
drop function if exists flagmeter.daily_user_usage(bigint, date, date);
create function flagmeter.daily_user_usage(tenant bigint, first_day date, end_day date)
returns table (day date, feature text, timezone text, end_user text, tokens bigint, event_count bigint,
  input_tokens bigint, output_tokens bigint, cached_tokens bigint, cost numeric)
language sql stable parallel safe as $$
  select u.day, u.feature, u.timezone, u.end_user, u.tokens, u.event_count, u.input_tokens, u.output_tokens, u.cached_tokens, u.cost
  from flagmeter.rollups_daily_users u
  where u.tenant_id = tenant and u.day >= first_day and u.day < end_day
  union all
  select p.day, x.feature, p.timezone, x.end_user, x.tokens, x.events, coalesce(x.input, 0), coalesce(x.output, 0), coalesce(x.cached, 0), coalesce(x.cost, 0)
  from flagmeter.rollups_daily_users_pending p
  cross join lateral unnest(p.features, p.end_users, p.tokens, p.event_counts, p.input_tokens, p.output_tokens, p.cached_tokens, p.costs)
    as x(feature, end_user, tokens, events, input, output, cached, cost)
  where p.tenant_id = tenant and p.day >= first_day and p.day < end_day
  union all
  select d.day, d.feature, d.timezone, null, d.tokens - d.named_tokens, d.event_count - d.named_events,
    d.input_tokens - d.named_input_tokens, d.output_tokens - d.named_output_tokens, d.cached_tokens - d.named_cached_tokens, d.cost - d.named_cost
  from flagmeter.rollups_daily d
  where d.tenant_id = tenant and d.day >= first_day and d.day < end_day and d.event_count > d.named_events
$$;
comment on function flagmeter.daily_user_usage(bigint, date, date) is
  'One tenant''s usage (tokens, parts, cost) per local day, feature, zone and end user for days in [first_day, end_day), folded and still queued (a key may come as two rows: sum them); events without a user make one row per day, feature and zone with end_user null. Sums equal rollups_daily.';

--------------------------------------------------------------------------------------------------
-- Buckets and period sums with parts and cost
--------------------------------------------------------------------------------------------------

create or replace view flagmeter.usage_buckets as
select tenant_id, minute as bucket_start, feature, tokens, event_count, input_tokens, output_tokens, cached_tokens, cost from flagmeter.rollups
union all
select tenant_id, hour, feature, tokens, event_count, input_tokens, output_tokens, cached_tokens, cost from flagmeter.rollups_hourly;
comment on view flagmeter.usage_buckets is 'All usage as buckets (a minute, or a tenant-local hour once compacted), with token parts and cost: what every sum over time reads.';

-- period_usage() with parts and cost; period_usage() stays for the readers of tokens alone (the
-- views and check_entitlements() call it), and both choose their rollup the same way.
create or replace function flagmeter.period_spend(tenant bigint, tz text, period_start timestamptz, period_end timestamptz)
returns table (feature text, tokens bigint, event_count bigint, input_tokens bigint, output_tokens bigint, cached_tokens bigint, cost numeric)
language plpgsql stable parallel safe as $$
declare
  first_day date := (period_start at time zone tz)::date;
  end_day date := (period_end at time zone tz)::date;
begin
  if flagmeter.daily_rows_answer(tenant, tz, period_start, period_end) then
    return query
      select d.feature, sum(d.tokens)::bigint, sum(d.event_count)::bigint,
        sum(d.input_tokens)::bigint, sum(d.output_tokens)::bigint, sum(d.cached_tokens)::bigint, sum(d.cost)
      from flagmeter.rollups_daily d
      where d.tenant_id = tenant and d.day >= first_day and d.day < end_day and d.timezone = tz
      group by d.feature;
  else
    return query
      select b.feature, sum(b.tokens)::bigint, sum(b.event_count)::bigint,
        sum(b.input_tokens)::bigint, sum(b.output_tokens)::bigint, sum(b.cached_tokens)::bigint, sum(b.cost)
      from flagmeter.usage_buckets b
      where b.tenant_id = tenant and b.bucket_start >= period_start and b.bucket_start < period_end
      group by b.feature;
  end if;
end
$$;
comment on function flagmeter.period_spend(bigint, text, timestamptz, timestamptz) is 'As flagmeter.period_usage() (same rollup choice, same sums), with each feature''s token parts and cost in the tenant''s currency.';

--------------------------------------------------------------------------------------------------
-- Compaction keeps parts and cost
--------------------------------------------------------------------------------------------------

-- tick() as in migration 5, its compaction carrying the parts and the cost into the hourly rows.
create or replace function flagmeter.tick(as_of timestamp with time zone DEFAULT now(), recent interval DEFAULT NULL::interval, events_retention interval DEFAULT '1 year 1 mon'::interval, compact_after interval DEFAULT '3 days'::interval, keys_retention interval DEFAULT '7 days'::interval)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
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
        r.feature, r.tokens, r.event_count, r.input_tokens, r.output_tokens, r.cached_tokens, r.cost
    ), merged as (
      insert into flagmeter.rollups_hourly as h (tenant_id, hour, feature, tokens, event_count, input_tokens, output_tokens, cached_tokens, cost)
      select tenant_id, hour, feature, sum(tokens), sum(event_count), sum(input_tokens), sum(output_tokens), sum(cached_tokens), sum(cost) from moved
      group by 1, 2, 3 order by 1, 2, 3
      on conflict (tenant_id, hour, feature) do update
        set tokens = h.tokens + excluded.tokens, event_count = h.event_count + excluded.event_count,
            input_tokens = h.input_tokens + excluded.input_tokens, output_tokens = h.output_tokens + excluded.output_tokens,
            cached_tokens = h.cached_tokens + excluded.cached_tokens, cost = h.cost + excluded.cost
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
$function$;

--------------------------------------------------------------------------------------------------
-- report.* views: cost (and parts) as new last columns
--------------------------------------------------------------------------------------------------

create or replace view report.usage_daily as
select
  t.slug as tenant,
  (b.bucket_start at time zone t.timezone)::date as day,
  b.feature,
  sum(b.tokens)::bigint as tokens,
  sum(b.event_count)::bigint as event_count,
  sum(b.input_tokens)::bigint as input_tokens,
  sum(b.output_tokens)::bigint as output_tokens,
  sum(b.cached_tokens)::bigint as cached_tokens,
  sum(b.cost) as cost,
  t.currency
from flagmeter.usage_buckets b
join flagmeter.tenants t on t.id = b.tenant_id
group by t.slug, 2, b.feature, t.currency;

create or replace view report.usage_by_feature as
select
  t.slug as tenant,
  f.feature,
  f.tokens,
  f.event_count,
  round(100.0 * f.tokens / nullif(sum(f.tokens) over (partition by t.id), 0), 2) as percent_of_tenant,
  p.period_start,
  p.period_end,
  f.input_tokens,
  f.output_tokens,
  f.cached_tokens,
  f.cost,
  t.currency
from flagmeter.tenants t
cross join lateral flagmeter.billing_period(t.billing_day, t.timezone, now()) p
cross join lateral flagmeter.period_spend(t.id, t.timezone, p.period_start, p.period_end) f;

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
  t.timezone,
  coalesce(u.cost, 0) as cost,
  t.currency
from flagmeter.tenants t
cross join lateral flagmeter.billing_period(t.billing_day, t.timezone, now()) p
left join lateral (
  select sum(f.tokens) as tokens, sum(f.event_count) as events, sum(f.cost) as cost
  from flagmeter.period_spend(t.id, t.timezone, p.period_start, p.period_end) f
) u on true;

create or replace view report.periods as
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
  t.timezone,
  coalesce(u.cost, 0) as cost,
  t.currency
from flagmeter.tenants t
cross join lateral flagmeter.billing_periods(t.id) p
left join lateral (
  select sum(f.tokens) as tokens, sum(f.event_count) as events, sum(f.cost) as cost
  from flagmeter.period_spend(t.id, t.timezone, p.period_start, p.period_end) f
) u on true
-- an alert belongs to the period its own period_start falls in (the same period unless the
-- tenant's billing day or zone changed since)
left join lateral (
  select count(*) as raised, count(*) filter (where a.status = 'delivered') as sent,
    array_agg(distinct a.threshold order by a.threshold) as thresholds
  from flagmeter.alerts a
  where a.tenant_id = t.id and a.period_start >= p.period_start and a.period_start < p.period_end
) a on true;

create or replace view report.usage_by_user as
select t.slug as tenant, n.day, n.feature, n.end_user, sum(n.tokens)::bigint as tokens, sum(n.event_count)::bigint as event_count, n.timezone,
  sum(n.input_tokens)::bigint as input_tokens, sum(n.output_tokens)::bigint as output_tokens, sum(n.cached_tokens)::bigint as cached_tokens,
  sum(n.cost) as cost, t.currency
from (
  select u.tenant_id, u.day, u.feature, u.end_user, u.tokens, u.event_count, u.timezone, u.input_tokens, u.output_tokens, u.cached_tokens, u.cost
  from flagmeter.rollups_daily_users u
  union all
  select p.tenant_id, p.day, x.feature, x.end_user, x.tokens, x.events, p.timezone,
    coalesce(x.input, 0), coalesce(x.output, 0), coalesce(x.cached, 0), coalesce(x.cost, 0)
  from flagmeter.rollups_daily_users_pending p
  cross join lateral unnest(p.features, p.end_users, p.tokens, p.event_counts, p.input_tokens, p.output_tokens, p.cached_tokens, p.costs)
    as x(feature, end_user, tokens, events, input, output, cached, cost)
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

-- The price book as analysts read it: every row, the tenant's own ones with its slug.
create or replace view report.prices as
select null::text as tenant, p.model, p.currency, p.effective_from,
  lead(p.effective_from) over (partition by p.model, p.currency order by p.effective_from) as effective_to,
  p.input, p.output, p.cached, p.plain
from flagmeter.prices p
union all
select t.slug, tp.model, t.currency, tp.effective_from,
  lead(tp.effective_from) over (partition by tp.tenant_id, tp.model order by tp.effective_from),
  tp.input, tp.output, tp.cached, tp.plain
from flagmeter.tenant_prices tp
join flagmeter.tenants t on t.id = tp.tenant_id;
comment on view report.prices is 'The price book: the installation''s rows (tenant null) and each tenant''s overrides, per million tokens, each in force from effective_from until effective_to.';
comment on column report.prices.tenant is 'Null: the installation''s price (for tenants counting in currency); a slug: that tenant''s override.';
comment on column report.prices.model is 'The model (events.feature).';
comment on column report.prices.currency is 'ISO 4217 code.';
comment on column report.prices.effective_from is 'First instant the row prices (inclusive).';
comment on column report.prices.effective_to is 'When the next row of the same model (and tenant, or currency) takes over (exclusive); null: still in force.';
comment on column report.prices.input is 'Per million input tokens.';
comment on column report.prices.output is 'Per million output tokens.';
comment on column report.prices.cached is 'Per million cached input tokens.';
comment on column report.prices.plain is 'Per million tokens of events without parts.';

do $$
declare v text;
begin
  foreach v in array array['usage_daily', 'usage_by_feature', 'usage_by_user'] loop
    execute format($c$comment on column report.%1$I.input_tokens is 'Of tokens, input tokens (of events that gave parts).'$c$, v);
    execute format($c$comment on column report.%1$I.output_tokens is 'Of tokens, output tokens (of events that gave parts).'$c$, v);
    execute format($c$comment on column report.%1$I.cached_tokens is 'Of tokens, cached input tokens (of events that gave parts); tokens minus the three parts were given without parts.'$c$, v);
  end loop;
  foreach v in array array['usage_daily', 'usage_by_feature', 'usage_by_user', 'usage_current', 'periods'] loop
    execute format($c$comment on column report.%1$I.cost is 'What the tokens cost in currency, each at the price in force when it was used; exact (numeric, up to 12 decimals, never rounded).'$c$, v);
    execute format($c$comment on column report.%1$I.currency is 'The tenant''s currency (ISO 4217).'$c$, v);
  end loop;
end $$;
