--! Previous: sha1:73c81d01ebe073912af997652da5aa1c0875a0dd
--! Hash: sha1:17a5cf3e784bd9dfa2bb604ce03a8c5044cfb6fa
--! Message: api keys, audit log, per-tenant rate limits, tenant deletion

-- Idempotent while it is current.sql: every object is dropped or guarded before it is created.

--------------------------------------------------------------------------------------------------
-- API keys
--------------------------------------------------------------------------------------------------

drop view if exists report.audit_log;
drop table if exists flagmeter.audit_log;
drop table if exists flagmeter.api_keys;

-- Secrets are random (192 bits), so a plain SHA-256 is enough to make a stolen table useless; a
-- slow hash would only slow down every request. The public `key_id` finds the row; the hash is
-- compared in constant time by the server.
create table flagmeter.api_keys (
  id bigint generated always as identity primary key,
  key_id text not null unique check (key_id ~ '^[a-z0-9]{12}$'),
  secret_hash bytea not null check (length(secret_hash) = 32),
  name text not null check (length(name) between 1 and 200),
  scopes text[] not null check (cardinality(scopes) > 0 and scopes <@ array['ingest', 'read', 'admin']),
  tenant_id bigint references flagmeter.tenants (id) on delete cascade,
  created_at timestamptz not null default now(),
  created_by bigint references flagmeter.api_keys (id) on delete set null,
  revoked_at timestamptz,
  constraint api_keys_admin_is_global check (tenant_id is null or not ('admin' = any (scopes)))
);
comment on table flagmeter.api_keys is 'API keys. Only a SHA-256 of the secret is stored; the full key (fm_live_<key_id>_<secret>) is shown once, at creation.';
comment on column flagmeter.api_keys.key_id is 'Public part of the key, shown in lists and logs.';
comment on column flagmeter.api_keys.secret_hash is 'SHA-256 of the whole key string.';
comment on column flagmeter.api_keys.scopes is 'ingest (post events), read (usage, alerts), admin (tenants, keys, webhooks, audit).';
comment on column flagmeter.api_keys.tenant_id is 'Set: the key may only post and read this tenant. Null: a global key (e.g. the operator''s backend).';
comment on column flagmeter.api_keys.created_by is 'The admin key that created this one (null for bootstrap keys).';
comment on column flagmeter.api_keys.revoked_at is 'When the key was revoked; a revoked key is refused within seconds on every replica.';

--------------------------------------------------------------------------------------------------
-- Audit log
--------------------------------------------------------------------------------------------------

create table flagmeter.audit_log (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  key_id bigint references flagmeter.api_keys (id) on delete set null,
  action text not null,
  target text not null,
  before jsonb,
  after jsonb
);
create index audit_log_at_idx on flagmeter.audit_log (at desc);
comment on table flagmeter.audit_log is 'Every admin change: who (key), what (action, target), before and after, when. Append-only.';
comment on column flagmeter.audit_log.action is 'e.g. tenant.create, tenant.update, tenant.delete, webhook.set, key.create, key.revoke.';
comment on column flagmeter.audit_log.target is 'What was changed, e.g. tenant:acme-corp or key:ab12cd34ef56.';
comment on column flagmeter.audit_log.before is 'The object before the change (null when created); never contains secrets.';
comment on column flagmeter.audit_log.after is 'The object after the change (null when deleted); never contains secrets.';

create view report.audit_log as
select a.id, a.at, k.key_id, k.name as key_name, a.action, a.target, a.before, a.after
from flagmeter.audit_log a
left join flagmeter.api_keys k on k.id = a.key_id;
comment on view report.audit_log is 'Admin changes with the key that made them, newest last.';
comment on column report.audit_log.id is 'Entry id.';
comment on column report.audit_log.at is 'When the change was made.';
comment on column report.audit_log.key_id is 'Public id of the admin key that made it (null: bootstrap or a since-deleted key).';
comment on column report.audit_log.key_name is 'Name of that key.';
comment on column report.audit_log.action is 'What was done (tenant.create, key.revoke, ...).';
comment on column report.audit_log.target is 'What it was done to.';
comment on column report.audit_log.before is 'State before (null when created).';
comment on column report.audit_log.after is 'State after (null when deleted).';

--------------------------------------------------------------------------------------------------
-- Rate limits per tenant (null: the server's defaults)
--------------------------------------------------------------------------------------------------

alter table flagmeter.tenants add column if not exists rate_limit_per_second integer;
alter table flagmeter.tenants add column if not exists rate_limit_burst integer;
alter table flagmeter.tenants drop constraint if exists tenants_rate_limit_valid;
alter table flagmeter.tenants add constraint tenants_rate_limit_valid
  check (coalesce(rate_limit_per_second, 1) > 0 and coalesce(rate_limit_burst, 1) > 0);
comment on column flagmeter.tenants.rate_limit_per_second is 'Sustained events per second this tenant may post (null: RATE_LIMIT_PER_SECOND).';
comment on column flagmeter.tenants.rate_limit_burst is 'Events this tenant may post at once above the sustained rate (null: RATE_LIMIT_BURST).';

--------------------------------------------------------------------------------------------------
-- Deleting a tenant with its data
--------------------------------------------------------------------------------------------------

-- events and event_keys carry no foreign key (kept off the hot insert path), so their rows are
-- deleted here; everything else goes by ON DELETE CASCADE.
create or replace function flagmeter.delete_tenant(tenant_slug text) returns jsonb
language plpgsql volatile as $$
declare
  t flagmeter.tenants;
  events_deleted bigint;
begin
  select * into t from flagmeter.tenants where slug = tenant_slug for update;
  if not found then
    return null;
  end if;
  delete from flagmeter.events where tenant_id = t.id;
  get diagnostics events_deleted = row_count;
  delete from flagmeter.event_keys where tenant_id = t.id;
  delete from flagmeter.tenants where id = t.id;
  return jsonb_build_object('tenant', to_jsonb(t), 'eventsDeleted', events_deleted);
end
$$;
comment on function flagmeter.delete_tenant(text) is 'Deletes a tenant and all its data (events, keys, rollups, alerts, webhook, API keys); returns the deleted row and the number of events, or null when there is no such tenant.';
