--! Previous: sha1:f4c3db8d11b20f960697cd4e26bed1e24c5a8284
--! Hash: sha1:8a6d5c4f32916f3d373b33295f23d6f79ced5179
--! Message: Scopes and sign-in: the check scope, invitations keep who made them and can be revoked, idempotent checks remember their caller

-- Scopes and sign-in (#20).

-- The check scope: POST /api/check and DELETE /api/reservations/:id need it (ingest implies it, for
-- the backends that checked with their ingest key), so a browser's evaluate key can no longer hold
-- a tenant's quota.
alter table flagmeter.api_keys drop constraint if exists api_keys_scopes_check;
alter table flagmeter.api_keys add constraint api_keys_scopes_check
  check (cardinality(scopes) > 0 and scopes <@ array['ingest', 'read', 'admin', 'flags', 'evaluate', 'check']);
alter table flagmeter.people drop constraint if exists people_scopes_check;
alter table flagmeter.people add constraint people_scopes_check
  check (cardinality(scopes) > 0 and scopes <@ array['ingest', 'read', 'admin', 'flags', 'evaluate', 'check']);
alter table flagmeter.invitations drop constraint if exists invitations_scopes_check;
alter table flagmeter.invitations add constraint invitations_scopes_check
  check (cardinality(scopes) > 0 and scopes <@ array['ingest', 'read', 'admin', 'flags', 'evaluate', 'check']);
comment on column flagmeter.api_keys.scopes is 'ingest (post events; implies check), read (usage, alerts), admin (tenants, keys, webhooks, audit; implies flags, evaluate and check), flags (manage feature flags), evaluate (evaluate flags: the key a browser may hold), check (check entitlements, take and release reservations).';
comment on column flagmeter.people.scopes is 'As api_keys.scopes: ingest (implies check), read, admin (implies flags, evaluate and check), flags, evaluate, check.';

-- Pending invitations are listed and revoked (GET/DELETE /api/invitations): who made each one is
-- kept on the row; rows made before this migration take it from the audit log.
alter table flagmeter.invitations add column if not exists created_by_key bigint references flagmeter.api_keys (id) on delete set null;
alter table flagmeter.invitations add column if not exists created_by_person bigint references flagmeter.people (id) on delete set null;
alter table flagmeter.invitations add column if not exists revoked_at timestamptz;
comment on column flagmeter.invitations.created_by_key is 'The API key that made it (null: a person did, or the key is gone).';
comment on column flagmeter.invitations.created_by_person is 'The person who made it (null: a key did, or the person is gone).';
comment on column flagmeter.invitations.revoked_at is 'When an admin revoked it (DELETE /api/invitations/:id); it cannot be used after.';
update flagmeter.invitations i set created_by_key = a.key_id, created_by_person = a.person_id
from flagmeter.audit_log a
where a.action = 'invitation.create' and a.target = 'invitation:' || i.id
  and i.created_by_key is null and i.created_by_person is null;

-- Idempotent checks remember who asked (request.caller: a key or a person), so replaying another
-- caller's check id cannot reveal its reservation id: it is answered {"conflict": "check_id_taken"}.
comment on column flagmeter.entitlement_checks.request is 'What was asked (feature, tokens, reserve, TTL) and by whom (caller: key:<key id> or person:<id>; absent with auth off): the same id with another request is refused, and so is the same id from another caller.';

create or replace function flagmeter.check_entitlement(
  tenant_slug text, want_feature text, want_tokens bigint, reserve boolean, ttl_seconds integer, check_id text, request jsonb)
returns jsonb language plpgsql volatile as $$
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
begin
  select * into t from flagmeter.tenants where slug = tenant_slug;
  if not found then
    return null;
  end if;

  if check_id is not null then
    -- a retry racing its original waits here, then finds its answer
    perform pg_advisory_xact_lock(hashtextextended('flagmeter.check:' || t.id || ':' || check_id, 0));
    select * into prior from flagmeter.entitlement_checks c where c.tenant_id = t.id and c.check_id = check_entitlement.check_id;
    if found then
      -- another caller's id: refused before anything of its answer (the reservation id above all) is shown
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

  if reserve and (t.quota_hard or (has_limit and fl.hard)) then
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

  if reason = 'ok' and reserve then
    res_id := gen_random_uuid();
    res_expires := as_of + make_interval(secs => ttl_seconds);
    insert into flagmeter.reservations (tenant_id, id, feature, tokens, created_at, expires_at, check_id)
    values (t.id, res_id, want_feature, n, as_of, res_expires, check_entitlement.check_id);
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
      'expiresAt', to_char(res_expires at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))) end;

  if check_id is not null then
    insert into flagmeter.entitlement_checks (tenant_id, check_id, request, answer)
    values (t.id, check_entitlement.check_id, request, answer);
  end if;
  return answer;
end
$$;
comment on function flagmeter.check_entitlement(text, text, bigint, boolean, integer, text, jsonb) is
  'POST /api/check: may tenant_slug spend want_tokens (on want_feature) now? Returns the answer as JSON (with the reservation when reserve is true and it was allowed), null for an unknown tenant, {"conflict": "check_id_taken"} when check_id is another caller''s (request.caller differs), or {"conflict": "check_id_reused"} when check_id was used for another request.';
