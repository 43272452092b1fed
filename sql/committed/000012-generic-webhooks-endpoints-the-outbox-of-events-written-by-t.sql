--! Previous: sha1:4895e165274ffab03bbf96e00d032070752066e6
--! Hash: sha1:8ea8030f362c0093ef4e0e1d33ce69e2a8f3919f
--! Message: Generic webhooks: endpoints, the outbox of events written by triggers, the delivery log

-- Generic webhooks (#25): JSON endpoints subscribed to event types, an outbox of events written
-- by triggers in the same transaction as the change, and one delivery row per endpoint and event
-- (the delivery log). The worker sends the deliveries (signed per Standard Webhooks) in order.

drop trigger if exists _500_webhook_event on flagmeter.audit_log;
drop trigger if exists _500_webhook_event on flagmeter.alerts;
drop trigger if exists _500_webhook_event on flagmeter.reservations;
drop function if exists flagmeter.tg_audit_log__webhook_event();
drop function if exists flagmeter.tg_alerts__webhook_event();
drop function if exists flagmeter.tg_reservations__webhook_event();
drop function if exists flagmeter.webhook_emit(bigint, text, text, text, jsonb);
drop table if exists flagmeter.webhook_deliveries;
drop table if exists flagmeter.webhook_events;
drop table if exists flagmeter.webhook_endpoints;

create table flagmeter.webhook_endpoints (
  id bigint generated always as identity primary key,
  -- null: the installation's endpoint, which hears every tenant's events (and global flags')
  tenant_id bigint references flagmeter.tenants (id) on delete cascade,
  url text not null check (url ~ '^https?://[^\s]+$' and length(url) <= 2048),
  description text not null default '' check (length(description) <= 500),
  event_types text[] not null check (cardinality(event_types) between 1 and 20
    and event_types <@ array['quota.threshold_crossed', 'quota.exhausted', 'flag.changed', 'reservation.expired', 'tenant.created', 'tenant.deleted']),
  enabled boolean not null default true,
  disabled_reason text,
  secret text not null check (secret ~ '^whsec_[A-Za-z0-9+/]+=*$'),
  previous_secret text check (previous_secret ~ '^whsec_[A-Za-z0-9+/]+=*$'),
  previous_secret_expires_at timestamptz,
  consecutive_failures integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index webhook_endpoints_tenant on flagmeter.webhook_endpoints (tenant_id);
comment on table flagmeter.webhook_endpoints is 'Generic JSON webhook endpoints and the event types each is subscribed to. Not distributed by tenant: installation endpoints (tenant_id null) hear every tenant, so the table stays on the coordinator like api_keys.';
comment on column flagmeter.webhook_endpoints.tenant_id is 'The tenant whose events it hears; null: the installation''s endpoint, which hears every tenant''s events.';
comment on column flagmeter.webhook_endpoints.event_types is 'The event types delivered to it.';
comment on column flagmeter.webhook_endpoints.enabled is 'False: no new deliveries are made and pending ones wait; set by an admin, or by the worker after WEBHOOK_DISABLE_AFTER_FAILURES failed attempts in a row.';
comment on column flagmeter.webhook_endpoints.disabled_reason is 'Why the worker disabled it (null when an admin did, or when enabled).';
comment on column flagmeter.webhook_endpoints.secret is 'The signing secret (whsec_ and base64, Standard Webhooks). Shown once, when made or rotated; needed in clear to sign, so this table is as secret as api_keys.';
comment on column flagmeter.webhook_endpoints.previous_secret is 'The secret before the last rotation: deliveries carry a signature with it too until previous_secret_expires_at.';
comment on column flagmeter.webhook_endpoints.consecutive_failures is 'Failed attempts since the last delivered one.';

create table flagmeter.webhook_events (
  id bigint generated always as identity primary key,
  -- a slug, not a reference: tenant.deleted outlives its tenant
  tenant text,
  type text not null,
  subject text not null,
  payload jsonb not null,
  created_at timestamptz not null default now()
);
comment on table flagmeter.webhook_events is 'The outbox: one row per event that at least one endpoint was subscribed to, written by triggers in the same transaction as the change. Its payload is the body every delivery sends.';
comment on column flagmeter.webhook_events.tenant is 'The tenant''s slug (null: an installation-wide event such as a global flag change).';
comment on column flagmeter.webhook_events.subject is 'What changed (flag:acme-corp/prod/new-model, tenant:acme-corp, ...): deliveries of one subject to one endpoint go out in event order.';
comment on column flagmeter.webhook_events.payload is '{type, timestamp, data}: the JSON body sent.';

create table flagmeter.webhook_deliveries (
  id bigint generated always as identity primary key,
  endpoint_id bigint not null references flagmeter.webhook_endpoints (id) on delete cascade,
  event_id bigint not null references flagmeter.webhook_events (id) on delete cascade,
  subject text not null,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempts integer not null default 0,
  last_status integer,
  last_error text,
  next_attempt_at timestamptz not null default now(),
  last_attempt_at timestamptz,
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  unique (endpoint_id, event_id)
);
-- the worker's question: which endpoints have something due (and then: the oldest due of one endpoint)
create index webhook_deliveries_due on flagmeter.webhook_deliveries (endpoint_id, event_id) where status = 'pending';
create index webhook_deliveries_event on flagmeter.webhook_deliveries (event_id);
comment on table flagmeter.webhook_deliveries is 'The delivery log: one row per endpoint and event, with its state, attempts and next try.';
comment on column flagmeter.webhook_deliveries.subject is 'The event''s subject, copied so the order check is one index lookup.';
comment on column flagmeter.webhook_deliveries.status is 'pending (due at next_attempt_at), delivered, or failed (attempts exhausted, or the endpoint was disabled).';
comment on column flagmeter.webhook_deliveries.last_status is 'The HTTP status of the last attempt (null: no answer).';
comment on column flagmeter.webhook_deliveries.last_error is 'Why the last attempt failed: the status or a network error, never the remote body.';
comment on column flagmeter.webhook_deliveries.next_attempt_at is 'When it is tried next (backoff after a failure).';

create function flagmeter.webhook_emit(p_tenant_id bigint, p_tenant text, p_type text, p_subject text, p_data jsonb) returns void
language plpgsql volatile as $$
declare
  v_event bigint;
begin
  -- most changes have no subscriber: no outbox row then
  if not exists (select 1 from flagmeter.webhook_endpoints e
                 where e.enabled and p_type = any (e.event_types) and (e.tenant_id is null or e.tenant_id = p_tenant_id)) then
    return;
  end if;
  insert into flagmeter.webhook_events (tenant, type, subject, payload)
  values (p_tenant, p_type, p_subject, jsonb_build_object(
    'type', p_type,
    'timestamp', to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'data', p_data))
  returning id into v_event;
  insert into flagmeter.webhook_deliveries (endpoint_id, event_id, subject)
  select e.id, v_event, p_subject from flagmeter.webhook_endpoints e
  where e.enabled and p_type = any (e.event_types) and (e.tenant_id is null or e.tenant_id = p_tenant_id);
end $$;
comment on function flagmeter.webhook_emit(bigint, text, text, text, jsonb) is 'Writes an event to the outbox and a pending delivery for every enabled endpoint subscribed to it (the tenant''s and the installation''s).';

-- flag and tenant changes: every one is audited with its before and after (secrets already masked),
-- in the transaction that makes it, so the audit row is where the event is born
create function flagmeter.tg_audit_log__webhook_event() returns trigger
language plpgsql volatile as $$
declare
  v_tenant text;
begin
  if new.action in ('flag.create', 'flag.update', 'flag.delete', 'flag.promote') then
    v_tenant := nullif(split_part(substr(new.target, 6), '/', 1), '*');
    perform flagmeter.webhook_emit((select id from flagmeter.tenants where slug = v_tenant), v_tenant, 'flag.changed', new.target,
      jsonb_build_object('action', substr(new.action, 6), 'tenant', v_tenant,
        'environment', split_part(new.target, '/', 2), 'key', split_part(new.target, '/', 3),
        'before', new.before, 'after', new.after));
  elsif new.action in ('tenant.create', 'tenant.delete') then
    v_tenant := substr(new.target, 8);
    perform flagmeter.webhook_emit((select id from flagmeter.tenants where slug = v_tenant), v_tenant,
      case new.action when 'tenant.create' then 'tenant.created' else 'tenant.deleted' end, new.target,
      jsonb_build_object('tenant', v_tenant, 'before', new.before, 'after', new.after));
  end if;
  return null;
end $$;
comment on function flagmeter.tg_audit_log__webhook_event() is 'flag.changed, tenant.created and tenant.deleted events, from the audit entry of the change.';
create trigger _500_webhook_event after insert on flagmeter.audit_log
  for each row when (new.action like 'flag.%' or new.action in ('tenant.create', 'tenant.delete'))
  execute function flagmeter.tg_audit_log__webhook_event();

create function flagmeter.tg_alerts__webhook_event() returns trigger
language plpgsql volatile as $$
begin
  perform flagmeter.webhook_emit(new.tenant_id, t.slug,
    case when new.threshold >= 100 then 'quota.exhausted' else 'quota.threshold_crossed' end, 'quota:' || t.slug,
    jsonb_build_object('tenant', t.slug, 'feature', new.feature, 'threshold', new.threshold, 'usedTokens', new.used_tokens,
      'quota', new.quota, 'periodStart', to_char(new.period_start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'periodEnd', to_char(new.period_end at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
  from flagmeter.tenants t where t.id = new.tenant_id;
  return null;
end $$;
comment on function flagmeter.tg_alerts__webhook_event() is 'quota.threshold_crossed (below 100%) and quota.exhausted (100% and above) events, from the alert row the tick inserts.';
create trigger _500_webhook_event after insert on flagmeter.alerts
  for each row execute function flagmeter.tg_alerts__webhook_event();

create function flagmeter.tg_reservations__webhook_event() returns trigger
language plpgsql volatile as $$
begin
  perform flagmeter.webhook_emit(n.tenant_id, t.slug, 'reservation.expired', 'reservation:' || t.slug || '/' || n.id,
    jsonb_build_object('tenant', t.slug, 'reservation', n.id, 'feature', n.feature, 'tokens', n.tokens,
      'expiresAt', to_char(n.expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
  from new_rows n join old_rows o on o.tenant_id = n.tenant_id and o.id = n.id
  join flagmeter.tenants t on t.id = n.tenant_id
  where n.status = 'expired' and o.status <> 'expired'
  order by n.tenant_id, n.id;
  return null;
end $$;
comment on function flagmeter.tg_reservations__webhook_event() is 'reservation.expired events for holds the minute job swept (one statement, however many).';
create trigger _500_webhook_event after update on flagmeter.reservations
  referencing old table as old_rows new table as new_rows
  for each statement execute function flagmeter.tg_reservations__webhook_event();

-- the remote body is no longer kept (#25: it may be an internal page, and read keys see last_error)
comment on column flagmeter.alerts.last_error is 'Why the last attempt failed: the HTTP status, a network error or the SSRF guard''s refusal; never the remote body.';
