--! Previous: sha1:59fa71ffbbe73af77f074a81ec3eed267134ced1
--! Hash: sha1:d55e0ad550fe680486bc5d4391df8a0637ab609c
--! Message: The per-user rollup is folded from events behind an insertion watermark (a transaction id per row, BRIN), not from a queued copy of every named event; a zone change records the zone unfolded events were stored in

-- The per-end-user rollup folded straight from flagmeter.events behind an insertion watermark,
-- instead of the insert trigger queueing a copy of every event that names a user (migrations 11
-- and 19). The hot insert now only stamps each row with its transaction's id (a column default
-- and a BRIN index that only summarizes whole page ranges); the minute job folds the events past
-- the watermark into rollups_daily_users and moves the watermark; readers add the events still past
-- it. Idempotent while it is current.sql.
--
-- Why a transaction id and not a sequence: a watermark on an identity or a sequence loses rows of
-- transactions that commit out of order (id 10 commits after the fold passed id 11: id 10 becomes
-- visible below the watermark and is never folded). The watermark here is instead a transaction
-- id `w`: the fold takes `h = pg_snapshot_xmin(pg_current_snapshot())` of its own statement's
-- snapshot, folds the events with w <= xact_id < h and stores h. It is exact because
--  (1) every transaction with an id below h had ended when that snapshot was taken (xmin is the
--      oldest transaction still running, the fold's own included), so each of its events that
--      committed is visible to the fold's statement, and the aborted ones never are;
--  (2) every transaction that inserts later has an id >= h: it was either running then (so its
--      id is >= xmin) or got its id afterwards (ids only grow). xact_id is the top-level id
--      (pg_current_xact_id()), also for events inserted in a subtransaction;
--  (3) folds run one at a time (the watermark row is locked first, in a statement of its own, so
--      the folding statement's snapshot is taken after the previous fold committed), h never
--      goes backwards, and the ranges [w, h) of successive folds are disjoint and cover every id:
--      each event is folded once, never twice, never not at all;
--  (4) the fold writes the rollup rows and the new watermark in one transaction, so any reader's
--      snapshot sees a watermark and exactly the rollup it belongs to; rollup + the events visible
--      to it with xact_id >= that watermark is every event, each once.
-- A transaction that holds an id for long (idle in transaction after a write) holds h back: the
-- folds wait for it and readers add more raw events meanwhile, still exactly.

-- The old queue goes last: migrate what it holds first. ADD COLUMN takes ACCESS EXCLUSIVE on events,
-- so no insert is in flight (nothing more can be queued) until this migration commits.
alter table flagmeter.events add column if not exists xact_id bigint;
do $$
begin
  if to_regclass('flagmeter.rollups_daily_users_pending') is not null then
    perform flagmeter.fold_user_rollups();
  end if;
end $$;

-- A column default, evaluated for every row whatever inserts it (the API's batch, COPY, psql).
-- bigint rather than xid8: BRIN has no xid8 operator class. Rows from before this migration keep
-- null: their users are already in rollups_daily_users (folded from the queue just above).
alter table flagmeter.events alter column xact_id set default (pg_current_xact_id()::text::bigint);
comment on column flagmeter.events.xact_id is 'Id of the top-level transaction that inserted the row (pg_current_xact_id(), set by the default; never written by hand): the per-end-user fold''s insertion watermark (flagmeter.user_rollup_watermark). Null for rows stored before the watermark existed (all folded).';

-- Ids grow with the heap's insertion order, so a BRIN range holds a narrow span of them and the
-- fold and the readers read only the newest pages. autosummarize: a range is summarized once it is
-- full (until then it is read whole, which is the newest data anyway); an insert into an
-- unsummarized range does no index work.
create index if not exists events_xact_id_brin on flagmeter.events using brin (xact_id) with (autosummarize = on);

create table if not exists flagmeter.user_rollup_watermark (
  singleton boolean primary key default true check (singleton),
  folded_below bigint not null
);
comment on table flagmeter.user_rollup_watermark is 'One row: the per-end-user fold''s insertion watermark. Every event with xact_id below folded_below is in rollups_daily_users; the others are added by their readers (flagmeter.unfolded_user_usage()). Installation-wide (a transaction id is per PostgreSQL server), not tenant data.';
comment on column flagmeter.user_rollup_watermark.folded_below is 'A transaction id (as flagmeter.events.xact_id): pg_snapshot_xmin() of the last fold''s snapshot. Events with xact_id >= it are not folded yet.';
-- Any future insert has an id >= this snapshot's xmin (argument (2) above); rows from before are null.
insert into flagmeter.user_rollup_watermark (folded_below)
values (pg_snapshot_xmin(pg_current_snapshot())::text::bigint)
on conflict (singleton) do nothing;

-- The zone an event's day is counted in is the one its insert trigger read from tenants. The queue
-- kept it; events do not, so a change of zone records the zone it ends, with the transaction-id
-- boundary between the events stored under it and the later ones. The boundary is exact for
-- inserts in read committed that take their transaction id in the insert itself (FlagMeter's own
-- batches and settlements): the change first takes SHARE on events, which waits for every insert
-- in flight and holds new ones until it commits; the xmax of a snapshot taken after that lock is
-- above the id of every insert that ran before (they saw the old zone) and at or below the id of
-- every insert after the change commits (they see the new one). A writer that took its id before
-- and inserts events only after the change (a multi-statement transaction), or one in repeatable
-- read, may have its user rows counted in the other zone: docs/reporting.md.
create table if not exists flagmeter.tenant_zone_changes (
  tenant_id bigint not null references flagmeter.tenants (id) on delete cascade,
  before_xact bigint not null,
  timezone text not null,
  primary key (tenant_id, before_xact)
);
comment on table flagmeter.tenant_zone_changes is 'A tenant''s change of time zone, kept while events stored before it are not folded into rollups_daily_users yet: events with xact_id below before_xact (and at or above the previous change''s) were stored in timezone. Written by the tenants trigger _500_zone_change, pruned by flagmeter.fold_user_rollups(). tenant_id leads the primary key, so the table can be distributed by tenant.';
comment on column flagmeter.tenant_zone_changes.before_xact is 'Transaction-id boundary (as events.xact_id): events below it were stored in timezone, those at or above it in the next zone.';
comment on column flagmeter.tenant_zone_changes.timezone is 'The zone the change ended.';

create or replace function flagmeter.tg_tenants__zone_change() returns trigger
language plpgsql volatile as $$
begin
  if current_setting('transaction_isolation') <> 'read committed' then
    raise exception 'a tenant''s time zone can only change in a read committed transaction'
      using hint = 'its snapshot must be taken after the lock on events (per-end-user rollup, docs/reporting.md)';
  end if;
  lock table flagmeter.events in share mode;
  -- a second change in the same transaction keeps the zone the events were stored in
  insert into flagmeter.tenant_zone_changes (tenant_id, before_xact, timezone)
  values (old.id, pg_snapshot_xmax(pg_current_snapshot())::text::bigint, old.timezone)
  on conflict (tenant_id, before_xact) do nothing;
  return new;
end
$$;
comment on function flagmeter.tg_tenants__zone_change() is 'Records a tenant''s change of time zone in flagmeter.tenant_zone_changes, after waiting for the inserts into events in flight (SHARE lock until commit), so the events not folded yet keep the zone they were stored in.';
drop trigger if exists _500_zone_change on flagmeter.tenants;
create trigger _500_zone_change before update of timezone on flagmeter.tenants
  for each row when (old.timezone is distinct from new.timezone) execute function flagmeter.tg_tenants__zone_change();

-- The trigger of migration 19 without the queue: minute and daily rows, the daily rows' named part
-- (so the "no user" share stays one subtraction, exact in the same statement), nothing per user.
create or replace function flagmeter.tg_events__rollup() returns trigger
language plpgsql volatile as $$
begin
  -- One price lookup per tenant, feature and minute of the batch (not per event): a price's
  -- effective_from is a whole minute, so all events of a minute share it.
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
  )
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
        named_cost = d.named_cost + excluded.named_cost;
  return null;
end
$$;
comment on function flagmeter.tg_events__rollup() is 'Adds each inserted batch of events (tokens, their parts and their cost at the price in force for each minute) to flagmeter.rollups and flagmeter.rollups_daily, with the daily rows'' named part, in the same transaction. Per end user: flagmeter.fold_user_rollups().';

-- The events that name a user at or past the watermark (and below `below`, when given), per tenant,
-- local day, feature, zone and user, priced at each minute's price in force: the same price the
-- trigger gave their daily rows, since a price never takes effect at a minute that already holds
-- events (docs/cost.md). Grouped per minute of the days asked for first, so there is one price
-- lookup per tenant, feature and minute. The day is in the zone the event was stored in (the
-- tenant's, or the one a later change ended: tenant_zone_changes). The occurred_at bounds (two
-- days wider than any zone) only let whole months' partitions be skipped.
create or replace function flagmeter.unfolded_user_usage(tenant bigint, first_day date, end_day date, below bigint default null)
returns table (tenant_id bigint, day date, feature text, timezone text, end_user text, tokens bigint, event_count bigint,
  input_tokens bigint, output_tokens bigint, cached_tokens bigint, cost numeric)
language sql stable parallel safe as $$
  with changes as (
    -- each zone with the span of ids stored in it: [the previous change's boundary, its own)
    select c.tenant_id, c.timezone, c.before_xact,
      lag(c.before_xact) over (partition by c.tenant_id order by c.before_xact) as from_xact
    from flagmeter.tenant_zone_changes c
    where tenant is null or c.tenant_id = tenant
  ), stored as (
    select e.tenant_id, coalesce(z.timezone, t.timezone) as timezone, date_trunc('minute', e.occurred_at, 'UTC') as minute,
      e.feature, e.end_user, e.tokens, e.input_tokens, e.output_tokens, e.cached_tokens
    from flagmeter.events e
    join flagmeter.tenants t on t.id = e.tenant_id
    left join changes z on z.tenant_id = e.tenant_id and e.xact_id < z.before_xact and (z.from_xact is null or e.xact_id >= z.from_xact)
    where e.xact_id >= (select w.folded_below from flagmeter.user_rollup_watermark w)
      and (below is null or e.xact_id < below)
      and e.end_user is not null
      and (tenant is null or e.tenant_id = tenant)
      and e.occurred_at >= first_day - 2 and e.occurred_at < end_day + 2
  ), per_minute as materialized (
    select s.tenant_id, s.timezone, s.minute, s.feature, s.end_user,
      sum(s.tokens)::bigint as tokens, count(*)::bigint as events,
      coalesce(sum(s.input_tokens), 0)::bigint as input, coalesce(sum(s.output_tokens), 0)::bigint as output,
      coalesce(sum(s.cached_tokens), 0)::bigint as cached
    from stored s
    where (s.minute at time zone s.timezone)::date >= first_day and (s.minute at time zone s.timezone)::date < end_day
    group by 1, 2, 3, 4, 5
  ), prices as (
    select k.tenant_id, k.feature, k.minute, p.input, p.output, p.cached, p.plain
    from (select distinct m.tenant_id, m.feature, m.minute from per_minute m) k
    left join lateral flagmeter.price_in_force(k.tenant_id, k.feature, k.minute) p on true
  )
  select m.tenant_id, (m.minute at time zone m.timezone)::date, m.feature, m.timezone, m.end_user,
    sum(m.tokens)::bigint, sum(m.events)::bigint, sum(m.input)::bigint, sum(m.output)::bigint, sum(m.cached)::bigint,
    sum(flagmeter.tokens_cost(m.tokens, m.input, m.output, m.cached, p.input, p.output, p.cached, p.plain))
  from per_minute m
  join prices p on p.tenant_id = m.tenant_id and p.feature = m.feature and p.minute = m.minute
  group by 1, 2, 3, 4, 5
$$;
comment on function flagmeter.unfolded_user_usage(bigint, date, date, bigint) is 'Events that name a user and are not folded into rollups_daily_users yet (xact_id at or past flagmeter.user_rollup_watermark, and below `below` when given), of one tenant (null: every tenant), per local day in [first_day, end_day), feature, zone and user, with their cost at the price in force at each minute.';

-- Folds the events between the watermark and its own snapshot's xmin into rollups_daily_users and
-- moves the watermark there (the argument at the top of this file).
create or replace function flagmeter.fold_user_rollups() returns integer
language plpgsql volatile as $$
declare
  folded integer;
begin
  -- One fold at a time. In its own statement: under read committed the statement below then takes
  -- its snapshot after the previous fold committed (under repeatable read, a fold that raced
  -- another fails here with a serialization error instead of folding from a stale watermark).
  perform 1 from flagmeter.user_rollup_watermark for update;
  with horizon as (
    select pg_snapshot_xmin(pg_current_snapshot())::text::bigint as below
  ), upserted as (
    insert into flagmeter.rollups_daily_users as u (tenant_id, day, feature, timezone, end_user, tokens, event_count, input_tokens, output_tokens, cached_tokens, cost)
    select x.tenant_id, x.day, x.feature, x.timezone, x.end_user, x.tokens, x.event_count, x.input_tokens, x.output_tokens, x.cached_tokens, x.cost
    from horizon h cross join lateral flagmeter.unfolded_user_usage(null, '-infinity', 'infinity', h.below) x
    -- sorted upserts, as the trigger's: nothing else writes these rows, but a sorted fold cannot deadlock
    order by 1, 2, 3, 4, 5
    on conflict (tenant_id, day, feature, timezone, end_user) do update
      set tokens = u.tokens + excluded.tokens,
          event_count = u.event_count + excluded.event_count,
          input_tokens = u.input_tokens + excluded.input_tokens,
          output_tokens = u.output_tokens + excluded.output_tokens,
          cached_tokens = u.cached_tokens + excluded.cached_tokens,
          cost = u.cost + excluded.cost
    returning 1
  ), moved as (
    update flagmeter.user_rollup_watermark w set folded_below = greatest(w.folded_below, h.below)
    from horizon h
    returning 1
  ), pruned as (
    -- a change whose boundary the watermark reached has no event left to place
    delete from flagmeter.tenant_zone_changes c using horizon h where c.before_xact <= h.below
    returning 1
  )
  select count(*)::int into folded from upserted;
  return folded;
end
$$;
comment on function flagmeter.fold_user_rollups() is 'Folds the events that name a user between the insertion watermark (flagmeter.user_rollup_watermark) and the xmin of its own snapshot into rollups_daily_users, pricing each minute at its price in force, and moves the watermark there; returns the rows upserted. Called by the minute job, in a transaction of its own.';

comment on table flagmeter.rollups_daily_users is 'Tokens per tenant, local calendar day, feature and end user, for events that name a user; the minute job folds them in from flagmeter.events (flagmeter.fold_user_rollups(), behind an insertion watermark). tenant_id leads the primary key, so the table can be distributed by tenant. Never compacted or pruned. Read through flagmeter.daily_user_usage() (which adds the events not folded yet).';

create or replace function flagmeter.daily_user_usage(tenant bigint, first_day date, end_day date)
returns table (day date, feature text, timezone text, end_user text, tokens bigint, event_count bigint,
  input_tokens bigint, output_tokens bigint, cached_tokens bigint, cost numeric)
language sql stable parallel safe as $$
  select u.day, u.feature, u.timezone, u.end_user, u.tokens, u.event_count, u.input_tokens, u.output_tokens, u.cached_tokens, u.cost
  from flagmeter.rollups_daily_users u
  where u.tenant_id = tenant and u.day >= first_day and u.day < end_day
  union all
  select q.day, q.feature, q.timezone, q.end_user, q.tokens, q.event_count, q.input_tokens, q.output_tokens, q.cached_tokens, q.cost
  from flagmeter.unfolded_user_usage(tenant, first_day, end_day) q
  union all
  select d.day, d.feature, d.timezone, null, d.tokens - d.named_tokens, d.event_count - d.named_events,
    d.input_tokens - d.named_input_tokens, d.output_tokens - d.named_output_tokens, d.cached_tokens - d.named_cached_tokens, d.cost - d.named_cost
  from flagmeter.rollups_daily d
  where d.tenant_id = tenant and d.day >= first_day and d.day < end_day and d.event_count > d.named_events
$$;
comment on function flagmeter.daily_user_usage(bigint, date, date) is
  'One tenant''s usage (tokens, parts, cost) per local day, feature, zone and end user for days in [first_day, end_day), folded and not folded yet (a key may come as two rows: sum them); events without a user make one row per day, feature and zone with end_user null. Sums equal rollups_daily.';

create or replace view report.usage_by_user as
select t.slug as tenant, n.day, n.feature, n.end_user, sum(n.tokens)::bigint as tokens, sum(n.event_count)::bigint as event_count, n.timezone,
  sum(n.input_tokens)::bigint as input_tokens, sum(n.output_tokens)::bigint as output_tokens, sum(n.cached_tokens)::bigint as cached_tokens,
  sum(n.cost) as cost, t.currency
from (
  select u.tenant_id, u.day, u.feature, u.end_user, u.tokens, u.event_count, u.timezone, u.input_tokens, u.output_tokens, u.cached_tokens, u.cost
  from flagmeter.rollups_daily_users u
  union all
  select q.tenant_id, q.day, q.feature, q.end_user, q.tokens, q.event_count, q.timezone, q.input_tokens, q.output_tokens, q.cached_tokens, q.cost
  from flagmeter.unfolded_user_usage(null, '-infinity', 'infinity') q
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

-- Nothing reads the queue any more.
drop function if exists flagmeter.queued_user_usage(bigint, date, date);
drop table if exists flagmeter.rollups_daily_users_pending;
