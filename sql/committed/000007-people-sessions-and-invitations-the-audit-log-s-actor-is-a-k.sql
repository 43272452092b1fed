--! Previous: sha1:c7845993bed556240823d73abf84c9a8c70af199
--! Hash: sha1:50a4cacba80cbd5afe7d1d632031e96a4e0506d8
--! Message: People, sessions and invitations; the audit log's actor is a key or a person

-- People who sign in to the console, their sessions and the invitations they register with; the
-- audit log's actor becomes a key or a person. Idempotent while it is current.sql.

drop view if exists report.audit_log;
alter table flagmeter.audit_log drop column if exists person_id;
drop table if exists flagmeter.sessions;
drop table if exists flagmeter.invitations;
drop table if exists flagmeter.people;

--------------------------------------------------------------------------------------------------
-- People
--------------------------------------------------------------------------------------------------

-- Not a tenant's data but the operator's accounts, like api_keys: a person may be bound to one
-- tenant, yet names are unique across all tenants because signing in takes a name alone (the
-- seed's optional `tenant` only narrows it). Hence no tenant_id in the primary key.
create table flagmeter.people (
  id bigint generated always as identity primary key,
  name text not null check (name ~ '^[a-z0-9][a-z0-9._@+-]{0,127}$'),
  password_hash text not null check (password_hash like '$argon2id$%'),
  scopes text[] not null check (cardinality(scopes) > 0 and scopes <@ array['ingest', 'read', 'admin', 'flags', 'evaluate']),
  tenant_id bigint references flagmeter.tenants (id) on delete cascade,
  created_at timestamptz not null default now(),
  password_changed_at timestamptz not null default now(),
  disabled_at timestamptz,
  constraint people_name_key unique (name),
  -- the same rule as for keys: whoever administers FlagMeter administers every tenant
  constraint people_admin_is_global check (tenant_id is null or not ('admin' = any (scopes)))
);
comment on table flagmeter.people is 'People who sign in to the console. Same permission model as API keys: scopes and an optional tenant. Global like api_keys (names are unique across tenants: sign-in takes a name alone), so tenant_id is not part of the key.';
comment on column flagmeter.people.name is 'Sign-in name or e-mail, lowercase.';
comment on column flagmeter.people.password_hash is 'argon2id PHC string (m=19456 KiB, t=2, p=1: OWASP''s recommended minimum); never the password.';
comment on column flagmeter.people.scopes is 'As api_keys.scopes: ingest, read, admin (implies flags and evaluate), flags, evaluate.';
comment on column flagmeter.people.tenant_id is 'Set: the person sees and touches only this tenant. Null: every tenant.';
comment on column flagmeter.people.password_changed_at is 'When the password was last set; a change ends the person''s other sessions.';
comment on column flagmeter.people.disabled_at is 'When an admin disabled the person: every session ends, sign-in is refused.';

--------------------------------------------------------------------------------------------------
-- Sessions
--------------------------------------------------------------------------------------------------

-- Tokens are random (256 bits): a SHA-256 of them is enough, as for keys, and cheap on every request.
create table flagmeter.sessions (
  id bigint generated always as identity primary key,
  token_hash bytea not null check (length(token_hash) = 32),
  person_id bigint not null references flagmeter.people (id) on delete cascade,
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz,
  address text,
  constraint sessions_token_hash_key unique (token_hash)
);
create index sessions_person_idx on flagmeter.sessions (person_id) where revoked_at is null;
comment on table flagmeter.sessions is 'Server-side sessions of people. Only a SHA-256 of the token is stored. A session ends when revoked (logout, the person disabled, a password change), idle too long (last_seen_at) or past expires_at.';
comment on column flagmeter.sessions.token_hash is 'SHA-256 of the session token (the cookie `token`, or a Bearer token).';
comment on column flagmeter.sessions.last_seen_at is 'Last use, kept to within a minute: the idle lifetime (SESSION_IDLE_MINUTES) counts from here.';
comment on column flagmeter.sessions.expires_at is 'Absolute end (SESSION_MAX_HOURS after sign-in), however active the session is.';
comment on column flagmeter.sessions.revoked_at is 'When the session was ended on purpose.';
comment on column flagmeter.sessions.address is 'Client address at sign-in, for the person''s own review.';

--------------------------------------------------------------------------------------------------
-- Invitations
--------------------------------------------------------------------------------------------------

create table flagmeter.invitations (
  id bigint generated always as identity primary key,
  token_hash bytea not null check (length(token_hash) = 32),
  scopes text[] not null check (cardinality(scopes) > 0 and scopes <@ array['ingest', 'read', 'admin', 'flags', 'evaluate']),
  tenant_id bigint references flagmeter.tenants (id) on delete cascade,
  name text check (name ~ '^[a-z0-9][a-z0-9._@+-]{0,127}$'),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz,
  used_by bigint references flagmeter.people (id) on delete set null,
  constraint invitations_token_hash_key unique (token_hash),
  constraint invitations_admin_is_global check (tenant_id is null or not ('admin' = any (scopes)))
);
comment on table flagmeter.invitations is 'One-use invitations an admin creates; registering with one makes a person with its scopes and tenant. Only a SHA-256 of the token is stored. Global like people (see there).';
comment on column flagmeter.invitations.name is 'When set, the only name that may register with it.';
comment on column flagmeter.invitations.used_at is 'When it was used; it cannot be used again.';
comment on column flagmeter.invitations.used_by is 'The person who registered with it.';

--------------------------------------------------------------------------------------------------
-- The audit log's actor: a key or a person
--------------------------------------------------------------------------------------------------

alter table flagmeter.audit_log add column person_id bigint references flagmeter.people (id) on delete set null;
comment on column flagmeter.audit_log.person_id is 'The person who made the change (null: a key did, or nobody signed in, as for a failed sign-in).';
comment on table flagmeter.audit_log is 'Every admin change and every sign-in, failed sign-in and sign-out: who (a key or a person), what (action, target), before and after, when. Append-only.';

create view report.audit_log as
select a.id, a.at, k.key_id, k.name as key_name, a.action, a.target, a.before, a.after, p.name as person_name
from flagmeter.audit_log a
left join flagmeter.api_keys k on k.id = a.key_id
left join flagmeter.people p on p.id = a.person_id;
comment on view report.audit_log is 'Admin changes and sign-ins with the key or person that made them.';
comment on column report.audit_log.id is 'Entry id.';
comment on column report.audit_log.at is 'When the change was made.';
comment on column report.audit_log.key_id is 'Public id of the key that made it (null: a person, bootstrap or a since-deleted key).';
comment on column report.audit_log.key_name is 'Name of that key.';
comment on column report.audit_log.action is 'What was done (tenant.create, key.revoke, person.login, person.login_failed, ...).';
comment on column report.audit_log.target is 'What it was done to (tenant:<slug>, key:<id>, person:<name>).';
comment on column report.audit_log.before is 'State before (null when created).';
comment on column report.audit_log.after is 'State after (null when deleted).';
comment on column report.audit_log.person_name is 'Name of the person who made it (null: a key or nobody).';
