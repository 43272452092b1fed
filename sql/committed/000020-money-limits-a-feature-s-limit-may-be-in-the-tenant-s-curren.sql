--! Previous: sha1:0bf0288055d3fbef03008dc2c2cbc8c43f90c7f6
--! Hash: sha1:59fa71ffbbe73af77f074a81ec3eed267134ced1
--! Message: Money limits: a feature's limit may be in the tenant's currency (checks and reservations price the tokens asked for and refuse at it when hard, under the per-tenant lock); budget_snapshot for quota-rule flags; alerts in money for the budget and money limits, once per period and threshold

-- Money everywhere a limit is (issue 24, after migration 18's tenant budget): a feature's limit
-- may be in the tenant's currency instead of tokens, quota-rule flags may follow the budgets
-- (budget_snapshot), and the threshold alerts fire for the budgets too, in money.

-- A feature's limit is in tokens or in money, never both: one limit per feature, as before, so
-- a tenant's list of limits stays one list and a check decides one thing per feature.
alter table flagmeter.feature_limits add column if not exists monthly_budget numeric(16, 6);
alter table flagmeter.feature_limits alter column tokens drop not null;
alter table flagmeter.feature_limits drop constraint if exists feature_limits_monthly_budget_check;
alter table flagmeter.feature_limits add constraint feature_limits_monthly_budget_check check (monthly_budget > 0);
alter table flagmeter.feature_limits drop constraint if exists feature_limits_one_unit;
alter table flagmeter.feature_limits add constraint feature_limits_one_unit check ((tokens is null) <> (monthly_budget is null));
comment on table flagmeter.feature_limits is 'Per-feature limits per billing period, in tokens (e.g. gpt-4o: 500,000) or in the tenant''s currency (gpt-4o: 50.00), beside the tenant''s quota and budget. tenant_id leads the primary key so the table can be distributed by tenant.';
comment on column flagmeter.feature_limits.tokens is 'Tokens allowed on this feature per billing period (null: the limit is in money).';
comment on column flagmeter.feature_limits.monthly_budget is 'Money allowed on this feature per billing period, in the tenant''s currency (null: the limit is in tokens). Checks price the tokens asked for at the feature''s plain price in force, as for the tenant''s budget.';

comment on column flagmeter.reservations.cost is 'The money held against the tenant''s budget and the feature''s money limit: tokens at the feature''s plain price in force when the check took it (null: neither existed).';

-- One feature's spend in the billing period holding as_of, and the money its open holds keep
-- (budget_figures for the whole tenant).
create or replace function flagmeter.feature_budget_figures(tenant bigint, tz text, billing_day integer, want_feature text, as_of timestamptz)
returns table (used numeric, reserved numeric)
language sql stable as $$
  select
    coalesce((select sum(f.cost) from flagmeter.billing_period(billing_day, tz, as_of) p
              cross join lateral flagmeter.period_spend(tenant, tz, p.period_start, p.period_end) f
              where f.feature = want_feature), 0),
    coalesce((select sum(r.cost) from flagmeter.reservations r
              where r.tenant_id = tenant and r.feature = want_feature and r.status = 'open' and r.expires_at > as_of), 0)
$$;
comment on function flagmeter.feature_budget_figures(bigint, text, integer, text, timestamptz) is 'One feature''s cost for one tenant in the billing period holding as_of (used) and the cost its open, unexpired reservations hold (reserved), in the tenant''s currency.';

-- check_entitlement() as in migration 18, with the feature's money limit.
create or replace function flagmeter.check_entitlement(tenant_slug text, want_feature text, want_tokens bigint, reserve boolean, ttl_seconds integer, check_id text, request jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
declare
  t flagmeter.tenants;
  fl flagmeter.feature_limits;
  has_limit boolean;
  has_money boolean;
  fbud record;
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
  unit numeric;
  est numeric := 0;
  bud record;
begin
  -- the answer reads the budget's figures only when there is a budget; its shape is fixed here
  select 0::numeric as used, 0::numeric as reserved into bud;
  select 0::numeric as used, 0::numeric as reserved into fbud;
  select * into t from flagmeter.tenants where slug = tenant_slug;
  if not found then
    return null;
  end if;

  if check_id is not null then
    -- a retry racing its original waits here, then finds its answer
    perform pg_advisory_xact_lock(hashtextextended('flagmeter.check:' || t.id || ':' || check_id, 0));
    select * into prior from flagmeter.entitlement_checks c where c.tenant_id = t.id and c.check_id = check_entitlement.check_id;
    if found then
      -- another caller's id (request.caller: the scopes migration): refused before anything of its
      -- answer (the reservation id above all) is shown
      if prior.request -> 'caller' is distinct from request -> 'caller' then
        return jsonb_build_object('conflict', 'check_id_taken');
      end if;
      if prior.request - 'caller' <> request - 'caller' then
        return jsonb_build_object('conflict', 'check_id_reused');
      end if;
      return prior.answer || jsonb_build_object('replayed', true);
    end if;
  end if;

  -- A feature's limit is in tokens or in money (migration 20), never both: has_limit is a token
  -- limit (decided with the quota, as before), has_money one in the tenant's currency.
  select * into fl from flagmeter.feature_limits l where l.tenant_id = t.id and l.feature = want_feature;
  has_limit := found and fl.tokens is not null;
  has_money := found and fl.monthly_budget is not null;

  -- a hard money limit on the feature takes the same per-tenant lock: a reservation's money is
  -- decided while no other reservation of the tenant is being decided, so none over-commits it
  if reserve and (t.quota_hard or ((has_limit or has_money) and fl.hard) or (t.budget_hard and t.monthly_budget is not null)) then
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

  -- Money: the tokens asked for, priced at the feature's plain price in force now (0 without a
  -- feature or a price), against the period's cost and the open holds' cost: first the feature's
  -- money limit, then the tenant's budget. Priced only when either exists, so checks of other
  -- tenants cost what they did.
  if t.monthly_budget is not null or has_money then
    select p.plain into unit from flagmeter.price_in_force(t.id, want_feature, as_of) p;
    est := coalesce(n * unit * 0.000001, 0);
  end if;
  if has_money then
    select * into fbud from flagmeter.feature_budget_figures(t.id, t.timezone, t.billing_day, want_feature, as_of);
    if reason = 'ok' and fl.hard then
      if fbud.used + fbud.reserved >= fl.monthly_budget then
        reason := 'feature_budget_exhausted';
      elsif est > fl.monthly_budget - fbud.used - fbud.reserved then
        reason := 'feature_budget_would_exceed';
      end if;
    end if;
  end if;
  if t.monthly_budget is not null then
    select * into bud from flagmeter.budget_figures(t.id, t.timezone, t.billing_day, as_of);
    if reason = 'ok' and t.budget_hard then
      if bud.used + bud.reserved >= t.monthly_budget then
        reason := 'budget_exhausted';
      elsif est > t.monthly_budget - bud.used - bud.reserved then
        reason := 'budget_would_exceed';
      end if;
    end if;
  end if;

  if reason = 'ok' and reserve then
    res_id := gen_random_uuid();
    res_expires := as_of + make_interval(secs => ttl_seconds);
    insert into flagmeter.reservations (tenant_id, id, feature, tokens, created_at, expires_at, check_id, cost)
    values (t.id, res_id, want_feature, n, as_of, res_expires, check_entitlement.check_id, case when t.monthly_budget is not null or has_money then est end);
    if t.monthly_budget is not null then
      bud.reserved := bud.reserved + est;
    end if;
    if has_money then
      fbud.reserved := fbud.reserved + est;
    end if;
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
      'expiresAt', to_char(res_expires at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))) end
    || case when t.monthly_budget is null then '{}'::jsonb else jsonb_build_object('budget', jsonb_build_object(
      'limit', trim_scale(t.monthly_budget)::text, 'used', trim_scale(bud.used)::text, 'reserved', trim_scale(bud.reserved)::text,
      'remaining', trim_scale(greatest(t.monthly_budget - bud.used - bud.reserved, 0))::text, 'estimate', trim_scale(est)::text,
      'currency', t.currency, 'hard', t.budget_hard)) end
    || case when not has_money then '{}'::jsonb else jsonb_build_object('featureBudget', jsonb_build_object(
      'feature', fl.feature, 'limit', trim_scale(fl.monthly_budget)::text, 'used', trim_scale(fbud.used)::text,
      'reserved', trim_scale(fbud.reserved)::text, 'remaining', trim_scale(greatest(fl.monthly_budget - fbud.used - fbud.reserved, 0))::text,
      'estimate', trim_scale(est)::text, 'currency', t.currency, 'hard', fl.hard)) end;

  if check_id is not null then
    insert into flagmeter.entitlement_checks (tenant_id, check_id, request, answer)
    values (t.id, check_entitlement.check_id, request, answer);
  end if;
  return answer;
end
$function$;
comment on function flagmeter.check_entitlement(text, text, bigint, boolean, integer, text, jsonb) is 'POST /api/check: may tenant_slug spend want_tokens (on want_feature) now, within its quota, the feature''s limit (in tokens or money) and its money budget? Returns the answer as JSON (with the reservation when reserve is true and it was allowed, the budget''s figures when the tenant has one, and featureBudget when the feature''s limit is in money), null for an unknown tenant, {"conflict": "check_id_taken"} when check_id is another caller''s (request.caller differs), or {"conflict": "check_id_reused"} when check_id was used for another request.';

-- The token lists (the usage answer's limits, the flags' quota_snapshot) keep token limits only:
-- a money limit is shown and followed in money (the usage answer's featureBudgets, budget_snapshot).
create or replace function flagmeter.tenant_limits_json(tenant bigint)
 RETURNS json
 LANGUAGE sql
 STABLE
AS $function$
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
    from flagmeter.feature_limits fl where fl.tenant_id = tenant and fl.tokens is not null
  )
  select coalesce(json_agg(json_build_object(
    'feature', l.feature, 'limit', l.lim, 'hard', l.hard, 'used', l.used, 'reserved', l.held,
    'remaining', greatest(l.lim - l.used - l.held, 0), 'overage', greatest(l.used - l.lim, 0),
    'percent', round(100.0 * l.used / l.lim, 2)) order by l.feature nulls first), '[]')
  from l
$function$;
create or replace function flagmeter.quota_snapshot(tenant_ids bigint[])
 RETURNS TABLE(tenant_id bigint, feature text, used bigint, limit_tokens bigint)
 LANGUAGE sql
 STABLE
AS $function$
  select t.id, l.feature, coalesce(sum(u.tokens) filter (where l.feature is null or u.feature = l.feature), 0)::bigint, l.lim
  from flagmeter.tenants t
  cross join lateral flagmeter.billing_period(t.billing_day, t.timezone, now()) p
  cross join lateral (
    select null::text as feature, t.monthly_quota as lim
    union all
    select fl.feature, fl.tokens from flagmeter.feature_limits fl where fl.tenant_id = t.id and fl.tokens is not null
  ) l
  left join lateral flagmeter.period_usage(t.id, t.timezone, p.period_start, p.period_end) u on true
  where t.id = any (tenant_ids)
  group by t.id, l.feature, l.lim
$function$;
comment on function flagmeter.tenant_limits_json(bigint) is 'A tenant''s token limits as the API shows them: the quota first (feature null), then each feature limit in tokens, with used, reserved, remaining and overage in the current period (limits in money: the usage answer''s featureBudgets).';
comment on function flagmeter.quota_snapshot(bigint[]) is 'For each tenant in tenant_ids: its quota (feature null) and each feature limit in tokens, with the current billing period''s usage (used) and the limit (limit_tokens). Limits in money: budget_snapshot().';

-- For flags whose quota rules follow a budget: the tenant's budget (feature null) and each
-- feature's money limit, with the period's cost. Read by the same once-a-second query as
-- quota_snapshot, so a flag turns off within about a second of the spend reaching its percent.
create or replace function flagmeter.budget_snapshot(tenant_ids bigint[])
returns table (tenant_id bigint, feature text, used numeric, limit_money numeric)
language sql stable as $$
  select t.id, l.feature, coalesce(sum(u.cost) filter (where l.feature is null or u.feature = l.feature), 0), l.lim
  from flagmeter.tenants t
  cross join lateral flagmeter.billing_period(t.billing_day, t.timezone, now()) p
  cross join lateral (
    select null::text as feature, t.monthly_budget as lim where t.monthly_budget is not null
    union all
    select fl.feature, fl.monthly_budget from flagmeter.feature_limits fl where fl.tenant_id = t.id and fl.monthly_budget is not null
  ) l
  left join lateral flagmeter.period_spend(t.id, t.timezone, p.period_start, p.period_end) u on true
  where t.id = any (tenant_ids)
  group by t.id, l.feature, l.lim
$$;
comment on function flagmeter.budget_snapshot(bigint[]) is 'For each tenant in tenant_ids that has one: its money budget (feature null) and each feature limit in money, with the current billing period''s cost (used) and the limit (limit_money), in its currency.';

-- Alerts in money: a budget's crossing is its own row (unit money), with the cost and the limit
-- it crossed; quota is null on it (no token limit was crossed). The unique key gains the unit so
-- the 80% of the quota and the 80% of the budget each alert once per period.
alter table flagmeter.alerts add column if not exists unit text not null default 'tokens';
alter table flagmeter.alerts add column if not exists used_cost numeric;
alter table flagmeter.alerts add column if not exists budget numeric;
alter table flagmeter.alerts alter column quota drop not null;
alter table flagmeter.alerts drop constraint if exists alerts_unit_check;
alter table flagmeter.alerts add constraint alerts_unit_check check (
  case unit when 'tokens' then quota is not null and used_cost is null and budget is null
            when 'money' then quota is null and used_cost is not null and budget is not null end);
alter table flagmeter.alerts drop constraint if exists alerts_once_per_period;
alter table flagmeter.alerts add constraint alerts_once_per_period unique nulls not distinct (tenant_id, period_start, threshold, feature, unit);
comment on table flagmeter.alerts is 'One row per tenant, billing period, limit (the quota, a feature''s limit, the budget) and threshold crossed; delivery to Slack is tracked on the row.';
comment on column flagmeter.alerts.quota is 'The tenant''s monthly_quota (or, for a feature alert, the feature''s limit) when the crossing was detected; null on a money alert.';
comment on column flagmeter.alerts.used_tokens is 'Tokens counted in the period on the limit (the tenant''s, or the feature''s) when the crossing was detected.';
comment on column flagmeter.alerts.unit is 'tokens: the quota or a feature''s token limit was crossed; money: the tenant''s budget or a feature''s money limit (used_cost, budget).';
comment on column flagmeter.alerts.used_cost is 'Money alerts: the period''s cost on the limit when the crossing was detected, in the tenant''s currency.';
comment on column flagmeter.alerts.budget is 'Money alerts: the budget (feature null) or the feature''s money limit crossed, in the tenant''s currency.';

-- tick_entitlements() as in migration 9, with the money crossings.
create or replace function flagmeter.tick_entitlements(as_of timestamp with time zone DEFAULT now(), recent interval DEFAULT NULL::interval, checks_retention interval DEFAULT '1 day'::interval)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
declare
  new_alerts bigint[];
  money_alerts bigint[];
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
    where cardinality(t.alert_thresholds) > 0 and fl.tokens is not null
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

  -- Money crossings (migration 20): the tenant's budget (feature null) and each feature's money
  -- limit, at the same thresholds, once per tenant, feature, threshold and period (unit 'money' in
  -- the unique key keeps them apart from the token alerts). used_tokens records the tokens counted
  -- on that limit, for the record; the period's cost is what crosses.
  with money_limits as (
    select t.id as tenant_id, t.alert_thresholds, t.timezone, p.period_start, p.period_end, l.feature, l.lim
    from flagmeter.tenants t
    cross join lateral flagmeter.billing_period(t.billing_day, t.timezone, as_of) p
    cross join lateral (
      select null::text as feature, t.monthly_budget as lim where t.monthly_budget is not null
      union all
      select fl.feature, fl.monthly_budget from flagmeter.feature_limits fl where fl.tenant_id = t.id and fl.monthly_budget is not null
    ) l
    where cardinality(t.alert_thresholds) > 0
      and (recent is null or exists (
        select 1 from flagmeter.rollups r where r.tenant_id = t.id and r.minute >= as_of - recent))
  ), money_usage as (
    select m.*, coalesce(sum(s.cost), 0) as used_cost, coalesce(sum(s.tokens), 0)::bigint as used_tokens
    from money_limits m
    left join lateral flagmeter.period_spend(m.tenant_id, m.timezone, m.period_start, m.period_end) s
      on m.feature is null or s.feature = m.feature
    group by m.tenant_id, m.alert_thresholds, m.timezone, m.period_start, m.period_end, m.feature, m.lim
  ), inserted as (
    insert into flagmeter.alerts (tenant_id, period_start, period_end, threshold, used_tokens, quota, feature, unit, used_cost, budget)
    select u.tenant_id, u.period_start, u.period_end, th, u.used_tokens, null, u.feature, 'money', u.used_cost, u.lim
    from money_usage u cross join lateral unnest(u.alert_thresholds) as th
    where u.used_cost * 100 >= th * u.lim
    order by 1, 2, 4, 7
    on conflict on constraint alerts_once_per_period do nothing
    returning id
  )
  select coalesce(array_agg(id order by id), '{}') into money_alerts from inserted;
  new_alerts := new_alerts || money_alerts;

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
$function$;
comment on function flagmeter.tick_entitlements(timestamptz, interval, interval) is 'Run by the minute job in tick()''s transaction: inserts an alert per new feature-limit crossing and per budget crossing in money (returned as "alerts"), and, when recent is null, marks lapsed reservations expired and deletes check answers and ended reservations older than checks_retention.';

-- The alert webhook events carry the money of a money alert (quota is then null).
create or replace function flagmeter.tg_alerts__webhook_event() returns trigger
language plpgsql as $$
begin
  perform flagmeter.webhook_emit(new.tenant_id, t.slug,
    case when new.threshold >= 100 then 'quota.exhausted' else 'quota.threshold_crossed' end, 'quota:' || t.slug,
    jsonb_build_object('tenant', t.slug, 'feature', new.feature, 'threshold', new.threshold, 'usedTokens', new.used_tokens,
      'quota', new.quota, 'unit', new.unit, 'usedCost', trim_scale(new.used_cost)::text, 'budget', trim_scale(new.budget)::text,
      'currency', t.currency,
      'periodStart', to_char(new.period_start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'periodEnd', to_char(new.period_end at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
  from flagmeter.tenants t where t.id = new.tenant_id;
  return null;
end $$;
comment on function flagmeter.tg_alerts__webhook_event() is 'quota.threshold_crossed (below 100%) and quota.exhausted (100% and above) events, from the alert row the tick inserts (unit money: a budget, with usedCost, budget and currency).';
