--! Previous: sha1:50a4cacba80cbd5afe7d1d632031e96a4e0506d8
--! Hash: sha1:a38f2e948b477402474a7a83789362b1e81619ea
--! Message: Feature flags: environments, tenant and global flags, hourly evaluation counts, report.flags and report.flag_evaluations, quota_snapshot for flags that follow the quota

-- Feature flags (issue 12): environments, flags per tenant and environment (and global ones every
-- tenant inherits), evaluation counts per hour, and the quota snapshot that flags following the
-- quota read (issue 14). Idempotent while it is current.sql: objects are dropped before they are made.

drop view if exists report.flag_evaluations;
drop view if exists report.flags;
drop function if exists flagmeter.quota_snapshot(bigint[]);
drop table if exists flagmeter.flag_evaluations;
drop table if exists flagmeter.flags;
drop table if exists flagmeter.global_flags;
drop table if exists flagmeter.environments;

--------------------------------------------------------------------------------------------------
-- Environments: one ordered list per installation
--------------------------------------------------------------------------------------------------

create table flagmeter.environments (
  id bigint generated always as identity primary key,
  name text not null unique check (name ~ '^[a-z0-9][a-z0-9._-]{0,127}$'),
  position integer not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table flagmeter.environments is 'The environments flags live in (dev, staging, prod by default), one ordered list for the whole installation. Flags refer to the id, so a rename is one row; an environment that still holds flags cannot be removed (foreign keys restrict).';
comment on column flagmeter.environments.name is 'Name used in the API and in OFREP contexts (env).';
comment on column flagmeter.environments.position is 'Sort order in lists and the promotion path (lowest first).';

insert into flagmeter.environments (name, position) values ('dev', 10), ('staging', 20), ('prod', 30);

--------------------------------------------------------------------------------------------------
-- Flags
--------------------------------------------------------------------------------------------------

-- A tenant's flags and the global flags have the same shape but live in two tables: a tenant's
-- rows carry tenant_id first in their primary key (so they distribute by tenant), while the global
-- ones belong to no tenant (a reference table when distributed). A tenant's own flag with a key
-- replaces the global flag with that key, per environment.
create table flagmeter.flags (
  tenant_id bigint not null references flagmeter.tenants (id) on delete cascade,
  environment_id bigint not null references flagmeter.environments (id),
  key text not null check (key ~ '^[a-z0-9][a-z0-9._-]{0,127}$'),
  description text not null default '' check (length(description) <= 1000),
  enabled boolean not null,
  strategy text not null check (strategy in ('boolean', 'percentage', 'targeting')),
  percentage smallint check (percentage between 0 and 100),
  allow_list text[] not null default '{}' check (cardinality(allow_list) <= 10000),
  deny_list text[] not null default '{}' check (cardinality(deny_list) <= 10000),
  group_id text check (length(group_id) between 1 and 200),
  value_type text not null default 'boolean' check (value_type in ('boolean', 'string')),
  on_value text check (length(on_value) <= 1000),
  off_value text check (length(off_value) <= 1000),
  quota_rules jsonb not null default '[]' check (jsonb_typeof(quota_rules) = 'array'),
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, environment_id, key),
  constraint flags_percentage_needed check (strategy <> 'percentage' or percentage is not null),
  constraint flags_values_match_type check ((value_type = 'string') = (on_value is not null and off_value is not null)),
  constraint flags_lists_disjoint check (not (allow_list && deny_list))
);
comment on table flagmeter.flags is 'A tenant''s own feature flags, per environment. tenant_id comes first in the primary key (distribution by tenant). A flag here replaces the global flag with the same key and environment for this tenant.';
comment on column flagmeter.flags.key is 'Flag key (lowercase letters, digits, . _ -; at most 128 characters), unique per tenant and environment.';
comment on column flagmeter.flags.enabled is 'False: every evaluation serves the off-value (reason DISABLED).';
comment on column flagmeter.flags.strategy is 'boolean (on for everyone), percentage (murmur3 bucket of group:user below percentage), targeting (allow list on, deny list off, anyone else off).';
comment on column flagmeter.flags.percentage is 'Share of users that are in, 0-100 (percentage strategy).';
comment on column flagmeter.flags.allow_list is 'User ids that get the on-value (targeting strategy).';
comment on column flagmeter.flags.deny_list is 'User ids that get the off-value (targeting strategy); disjoint from allow_list.';
comment on column flagmeter.flags.group_id is 'Bucketing group of the percentage strategy (null: the flag key); flags sharing a group share buckets.';
comment on column flagmeter.flags.value_type is 'boolean (serves true/false) or string (serves on_value/off_value).';
comment on column flagmeter.flags.on_value is 'Served when the flag is on (string flags).';
comment on column flagmeter.flags.off_value is 'Served when the flag is off or disabled (string flags).';
comment on column flagmeter.flags.quota_rules is 'Rules evaluated before the strategy: [{atPercent, serve, feature?}]; the highest atPercent the tenant''s usage (of its quota, or of that feature''s limit) has reached wins.';
comment on column flagmeter.flags.version is 'Starts at 1 and grows with every change; part of the list ETag.';

create table flagmeter.global_flags (
  environment_id bigint not null references flagmeter.environments (id),
  key text not null check (key ~ '^[a-z0-9][a-z0-9._-]{0,127}$'),
  description text not null default '' check (length(description) <= 1000),
  enabled boolean not null,
  strategy text not null check (strategy in ('boolean', 'percentage', 'targeting')),
  percentage smallint check (percentage between 0 and 100),
  allow_list text[] not null default '{}' check (cardinality(allow_list) <= 10000),
  deny_list text[] not null default '{}' check (cardinality(deny_list) <= 10000),
  group_id text check (length(group_id) between 1 and 200),
  value_type text not null default 'boolean' check (value_type in ('boolean', 'string')),
  on_value text check (length(on_value) <= 1000),
  off_value text check (length(off_value) <= 1000),
  quota_rules jsonb not null default '[]' check (jsonb_typeof(quota_rules) = 'array'),
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (environment_id, key),
  constraint global_flags_percentage_needed check (strategy <> 'percentage' or percentage is not null),
  constraint global_flags_values_match_type check ((value_type = 'string') = (on_value is not null and off_value is not null)),
  constraint global_flags_lists_disjoint check (not (allow_list && deny_list))
);
comment on table flagmeter.global_flags is 'Flags every tenant inherits unless it has its own flag with the key (flagmeter.flags). Written with admin keys only. Not tenant data: a reference table when distributed. Columns as in flagmeter.flags.';

--------------------------------------------------------------------------------------------------
-- Evaluation counts
--------------------------------------------------------------------------------------------------

-- Counted in each process's memory and added here in batches (one upsert per flush), never on the
-- request path. Keyed by the flag's key, not a row id: counts outlive a flag deleted and made again,
-- and an inherited global flag is counted for the tenant that evaluated it.
create table flagmeter.flag_evaluations (
  tenant_id bigint not null references flagmeter.tenants (id) on delete cascade,
  environment_id bigint not null references flagmeter.environments (id) on delete cascade,
  flag_key text not null,
  hour timestamptz not null,
  value text not null,
  evaluations bigint not null,
  last_at timestamptz not null,
  primary key (tenant_id, environment_id, flag_key, hour, value)
);
comment on table flagmeter.flag_evaluations is 'How often each flag served each value, per tenant, environment and hour. tenant_id comes first in the primary key (distribution by tenant). Written in batches by the servers.';
comment on column flagmeter.flag_evaluations.flag_key is 'Key of the evaluated flag (the tenant''s own or an inherited global one).';
comment on column flagmeter.flag_evaluations.hour is 'Start of the UTC hour the evaluations fell in.';
comment on column flagmeter.flag_evaluations.value is 'The value served, as text (true/false for boolean flags).';
comment on column flagmeter.flag_evaluations.evaluations is 'Number of evaluations that served this value in this hour.';
comment on column flagmeter.flag_evaluations.last_at is 'Time of the last of them (as counted by the server, flushed every few seconds).';
-- Rows arrive in hour order, so a BRIN index is enough for the servers' hourly pruning
-- (FLAG_EVALUATIONS_RETENTION_DAYS) at almost no cost to the upserts.
create index flag_evaluations_hour_brin on flagmeter.flag_evaluations using brin (hour);

create view report.flag_evaluations as
select t.slug as tenant, e.name as environment, f.flag_key, f.hour, f.value, f.evaluations, f.last_at
from flagmeter.flag_evaluations f
join flagmeter.tenants t on t.id = f.tenant_id
join flagmeter.environments e on e.id = f.environment_id;
comment on view report.flag_evaluations is 'Flag evaluations per tenant, environment, flag, hour and served value.';
comment on column report.flag_evaluations.tenant is 'Tenant slug of the evaluation''s context.';
comment on column report.flag_evaluations.environment is 'Environment name.';
comment on column report.flag_evaluations.flag_key is 'Flag key.';
comment on column report.flag_evaluations.hour is 'Start of the UTC hour.';
comment on column report.flag_evaluations.value is 'Value served, as text.';
comment on column report.flag_evaluations.evaluations is 'Evaluations that served it in that hour.';
comment on column report.flag_evaluations.last_at is 'Last of them.';

create view report.flags as
select null::text as tenant, e.name as environment, g.key, g.enabled, g.strategy, g.percentage,
  cardinality(g.allow_list) as allowed, cardinality(g.deny_list) as denied, g.value_type, g.on_value, g.off_value,
  jsonb_array_length(g.quota_rules) as quota_rules, g.version, g.updated_at
from flagmeter.global_flags g join flagmeter.environments e on e.id = g.environment_id
union all
select t.slug, e.name, f.key, f.enabled, f.strategy, f.percentage, cardinality(f.allow_list), cardinality(f.deny_list),
  f.value_type, f.on_value, f.off_value, jsonb_array_length(f.quota_rules), f.version, f.updated_at
from flagmeter.flags f join flagmeter.tenants t on t.id = f.tenant_id join flagmeter.environments e on e.id = f.environment_id;
comment on view report.flags is 'Every flag: the global ones (tenant null) and each tenant''s own, per environment.';
comment on column report.flags.tenant is 'Tenant slug; null for a global flag every tenant inherits unless it has its own with the key.';
comment on column report.flags.environment is 'Environment name.';
comment on column report.flags.key is 'Flag key.';
comment on column report.flags.enabled is 'False: the flag serves its off value to everyone.';
comment on column report.flags.strategy is 'boolean, percentage or targeting.';
comment on column report.flags.percentage is 'Share of users that are in (percentage strategy).';
comment on column report.flags.allowed is 'Users on the allow list (targeting strategy).';
comment on column report.flags.denied is 'Users on the deny list (targeting strategy).';
comment on column report.flags.value_type is 'boolean or string.';
comment on column report.flags.on_value is 'String flags: value served when on.';
comment on column report.flags.off_value is 'String flags: value served when off.';
comment on column report.flags.quota_rules is 'Number of quota rules (evaluated before the strategy).';
comment on column report.flags.version is 'Grows with every change.';
comment on column report.flags.updated_at is 'Last change.';

--------------------------------------------------------------------------------------------------
-- Usage snapshot for flags that follow the quota (issue 14)
--------------------------------------------------------------------------------------------------

-- One call per second serves every tenant whose flags carry quota rules. This version returns each
-- tenant's monthly quota for its current billing period (feature null), summed the way
-- report.usage_current does; the entitlements migration replaces it with the same signature and
-- adds one row per per-feature limit.
create function flagmeter.quota_snapshot(tenant_ids bigint[])
returns table (tenant_id bigint, feature text, used bigint, limit_tokens bigint)
language sql stable parallel safe as $$
  select t.id, null::text, coalesce(u.tokens, 0)::bigint, t.monthly_quota
  from flagmeter.tenants t
  cross join lateral flagmeter.billing_period(t.billing_day, t.timezone, now()) p
  left join lateral (
    select sum(f.tokens) as tokens
    from flagmeter.period_usage(t.id, t.timezone, p.period_start, p.period_end) f
  ) u on true
  where t.id = any (tenant_ids)
$$;
comment on function flagmeter.quota_snapshot(bigint[]) is 'Usage against each limit of these tenants, one row per limit: feature null is the monthly quota of the current billing period; other rows are per-feature limits (added by the entitlements migration). Read once a second by the flag evaluator.';
