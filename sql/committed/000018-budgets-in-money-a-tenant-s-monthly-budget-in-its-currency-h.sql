--! Previous: sha1:53a4a391607a38126830aa8f9dea171714701f72
--! Hash: sha1:de2a8752af41752fb573a321ad779b64ba393532
--! Message: Budgets in money: a tenant's monthly budget in its currency, hard or soft; checks and reservations price the tokens asked for at the feature's plain price in force and refuse what would pass a hard budget, under the per-tenant reservation lock

-- Budgets in money (issue 24): a tenant may have a monthly budget in its currency beside its token
-- quota. Checks and reservations convert the tokens asked for into money at the price in force now
-- and, when the budget is hard, refuse what would pass it, with the same per-tenant lock as a hard
-- quota, so concurrent reservations never over-commit it.

alter table flagmeter.tenants add column if not exists monthly_budget numeric(16, 6);
alter table flagmeter.tenants add column if not exists budget_hard boolean not null default false;
alter table flagmeter.tenants drop constraint if exists tenants_monthly_budget_check;
alter table flagmeter.tenants add constraint tenants_monthly_budget_check check (monthly_budget > 0);
comment on column flagmeter.tenants.monthly_budget is 'Money the tenant may spend per billing period, in its currency (null: no budget). Its cost is counted as the rollups count it (docs/cost.md).';
comment on column flagmeter.tenants.budget_hard is 'True: checks deny what would pass monthly_budget. False (default): the budget is shown, never enforced.';

alter table flagmeter.reservations add column if not exists cost numeric;
comment on column flagmeter.reservations.cost is 'The money held against the tenant''s budget: tokens at the feature''s plain price in force when the check took it (null: the tenant had no budget).';

-- A tenant's spend in the billing period holding as_of, and the money its open holds keep.
create or replace function flagmeter.budget_figures(tenant bigint, tz text, billing_day integer, as_of timestamptz)
returns table (used numeric, reserved numeric)
language sql stable as $$
  select
    coalesce((select sum(f.cost) from flagmeter.billing_period(billing_day, tz, as_of) p
              cross join lateral flagmeter.period_spend(tenant, tz, p.period_start, p.period_end) f), 0),
    coalesce((select sum(r.cost) from flagmeter.reservations r
              where r.tenant_id = tenant and r.status = 'open' and r.expires_at > as_of), 0)
$$;
comment on function flagmeter.budget_figures(bigint, text, integer, timestamptz) is 'One tenant''s cost in the billing period holding as_of (used) and the cost its open, unexpired reservations hold (reserved), in its currency.';

-- check_entitlement() as in migration 9, with the budget: its figures are read only for tenants
-- that have one, so checks of the others cost what they did.
create or replace function flagmeter.check_entitlement(tenant_slug text, want_feature text, want_tokens bigint, reserve boolean, ttl_seconds integer, check_id text, request jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
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
  unit numeric;
  est numeric := 0;
  bud record;
begin
  -- the answer reads the budget's figures only when there is a budget; its shape is fixed here
  select 0::numeric as used, 0::numeric as reserved into bud;
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

  select * into fl from flagmeter.feature_limits l where l.tenant_id = t.id and l.feature = want_feature;
  has_limit := found;

  if reserve and (t.quota_hard or (has_limit and fl.hard) or (t.budget_hard and t.monthly_budget is not null)) then
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

  -- The money budget (migration 15): the tokens asked for, priced at the feature's plain price in
  -- force now (0 without a feature or a price), against the period's cost and the open holds' cost.
  if t.monthly_budget is not null then
    select p.plain into unit from flagmeter.price_in_force(t.id, want_feature, as_of) p;
    est := coalesce(n * unit * 0.000001, 0);
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
    values (t.id, res_id, want_feature, n, as_of, res_expires, check_entitlement.check_id, case when t.monthly_budget is not null then est end);
    if t.monthly_budget is not null then
      bud.reserved := bud.reserved + est;
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
      'currency', t.currency, 'hard', t.budget_hard)) end;

  if check_id is not null then
    insert into flagmeter.entitlement_checks (tenant_id, check_id, request, answer)
    values (t.id, check_entitlement.check_id, request, answer);
  end if;
  return answer;
end
$function$;
comment on function flagmeter.check_entitlement(text, text, bigint, boolean, integer, text, jsonb) is 'POST /api/check: may tenant_slug spend want_tokens (on want_feature) now, within its quota, the feature''s limit and its money budget? Returns the answer as JSON (with the reservation when reserve is true and it was allowed, and the budget''s figures when the tenant has one), null for an unknown tenant, {"conflict": "check_id_taken"} when check_id is another caller''s (request.caller differs), or {"conflict": "check_id_reused"} when check_id was used for another request.';
