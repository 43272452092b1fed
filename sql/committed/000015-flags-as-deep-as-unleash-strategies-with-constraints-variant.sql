--! Previous: sha1:76ec3ac0b1eb03cf01464f7ab8ac79eaf8ec115d
--! Hash: sha1:f4c3db8d11b20f960697cd4e26bed1e24c5a8284
--! Message: Flags as deep as Unleash: strategies with constraints, variants, stickiness, dependencies, typed values; the flat strategies rewritten as strategies

-- Flags as deep as Unleash (issue 22): a flag's rule becomes a list of strategies (constraints on
-- any context field, segments, a rollout, weighted variants), flag-level variants, parent flags it
-- depends on, and values of four types (boolean, string, number, JSON object); segments are named
-- constraint sets per tenant (and global ones) that strategies refer to. The old flat
-- strategy (boolean / percentage / targeting with allow and deny lists) is rewritten as the
-- strategies that mean the same, exactly as server/flags/legacy.ts writes them, so every existing
-- flag evaluates as before. Idempotent while it is current.sql: the rewrite runs only while the old
-- columns exist, every new object is made if missing.

-- The strategies one old row means: boolean → everyone; percentage → a rollout bucketed by the
-- targetingKey (which it needs, as before) in its group; targeting → the deny list serving off,
-- then the allow list.
create or replace function pg_temp.strategy(name text, constraints jsonb, rollout int, stickiness text, group_id text, serve text)
returns jsonb language sql immutable as $$
  select jsonb_build_object('name', name, 'constraints', constraints, 'segments', '[]'::jsonb, 'rollout', rollout,
    'stickiness', stickiness, 'group', group_id, 'serve', serve, 'variants', '[]'::jsonb)
$$;
create or replace function pg_temp.user_in(ids text[])
returns jsonb language sql immutable as $$
  select jsonb_build_array(jsonb_build_object('contextName', 'targetingKey', 'operator', 'in', 'values', to_jsonb(ids), 'caseInsensitive', false, 'inverted', false))
$$;

create or replace function pg_temp.legacy_strategies(strategy text, percentage smallint, allow_list text[], deny_list text[], group_id text)
returns jsonb language sql immutable as $$
  select case strategy
    when 'boolean' then jsonb_build_array(pg_temp.strategy('', '[]', 100, 'default', null, 'on'))
    when 'percentage' then jsonb_build_array(pg_temp.strategy('', '[]', coalesce(percentage, 0), 'targetingKey', group_id, 'on'))
    else
      (case when cardinality(deny_list) > 0 then jsonb_build_array(pg_temp.strategy('deny list', pg_temp.user_in(deny_list), 100, 'default', null, 'off')) else '[]'::jsonb end)
      || jsonb_build_array(pg_temp.strategy('allow list', pg_temp.user_in(allow_list), 100, 'default', null, 'on'))
  end
$$;
drop view if exists report.flags;

do $$
declare
  t text;
begin
  foreach t in array array['flags', 'global_flags'] loop
    execute format($f$
      alter table flagmeter.%1$I
        add column if not exists strategies jsonb not null default '[]',
        add column if not exists variants jsonb not null default '[]',
        add column if not exists stickiness text not null default 'default',
        add column if not exists dependencies jsonb not null default '[]'
    $f$, t);
    if exists (select 1 from information_schema.columns where table_schema = 'flagmeter' and table_name = t and column_name = 'allow_list') then
      execute format($f$
        update flagmeter.%1$I set strategies = pg_temp.legacy_strategies(strategy, percentage, allow_list, deny_list, group_id);
        alter table flagmeter.%1$I
          drop constraint %1$I_values_match_type,
          drop constraint %1$I_on_value_check,
          drop constraint %1$I_off_value_check,
          drop constraint %1$I_value_type_check,
          drop column strategy, drop column percentage, drop column allow_list, drop column deny_list, drop column group_id,
          alter column on_value type jsonb using to_jsonb(on_value),
          alter column off_value type jsonb using to_jsonb(off_value)
      $f$, t);
    end if;
    execute format($f$
      alter table flagmeter.%1$I
        drop constraint if exists %1$I_value_type,
        drop constraint if exists %1$I_values_match_type,
        drop constraint if exists %1$I_rule_shapes,
        drop constraint if exists %1$I_value_size,
        add constraint %1$I_value_type check (value_type in ('boolean', 'string', 'number', 'json')),
        -- a boolean flag serves true/false; the others serve their two values, of their type
        add constraint %1$I_values_match_type check (case value_type
          when 'boolean' then on_value is null and off_value is null
          else coalesce(jsonb_typeof(on_value) = (case value_type when 'json' then 'object' else value_type end)
            and jsonb_typeof(off_value) = (case value_type when 'json' then 'object' else value_type end), false) end),
        add constraint %1$I_rule_shapes check (jsonb_typeof(strategies) = 'array' and jsonb_typeof(variants) = 'array' and jsonb_typeof(dependencies) = 'array'),
        -- replaces the old text columns' length checks (at most 1000 characters), now that values may be objects
        add constraint %1$I_value_size check (octet_length(on_value::text) <= 10000 and octet_length(off_value::text) <= 10000)
    $f$, t);
  end loop;
end
$$;

comment on column flagmeter.flags.value_type is 'boolean (serves true/false), string, number or json (an object): on_value/off_value and the variants'' values are of this type.';
comment on column flagmeter.flags.on_value is 'Served when a strategy matches and no variant applies (null on a boolean flag: true).';
comment on column flagmeter.flags.off_value is 'Served when the flag is off, disabled, or no strategy matches (null on a boolean flag: false).';
comment on column flagmeter.flags.strategies is 'Tried in order, the first that matches decides: [{name, constraints: [{contextName, operator, values | value, caseInsensitive, inverted}], segments: [name], rollout 0-100, stickiness, group, serve on|off, variants}]. Empty: on for everyone. Validated by the API (server/flags/schemas.ts).';
comment on column flagmeter.flags.variants is 'Weighted values served when the matching strategy has no variants of its own: [{name, weight (percent, sums to 100), value}].';
comment on column flagmeter.flags.stickiness is 'What the flag''s variants bucket by: default (targetingKey, then sessionId, then random), random, or a context field.';
comment on column flagmeter.flags.dependencies is 'Parent flags (same tenant and environment, or inherited) that must be on (enabled true) or off, and serve one of variants when given: [{flag, enabled, variants}]. No cycles (the API refuses them).';

create view report.flags as
select null::text as tenant, e.name as environment, g.key, g.enabled, jsonb_array_length(g.strategies) as strategies,
  jsonb_array_length(g.variants) as variants, array(select d ->> 'flag' from jsonb_array_elements(g.dependencies) d) as parents,
  g.value_type, g.on_value, g.off_value, jsonb_array_length(g.quota_rules) as quota_rules, g.version, g.updated_at
from flagmeter.global_flags g join flagmeter.environments e on e.id = g.environment_id
union all
select t.slug, e.name, f.key, f.enabled, jsonb_array_length(f.strategies), jsonb_array_length(f.variants),
  array(select d ->> 'flag' from jsonb_array_elements(f.dependencies) d),
  f.value_type, f.on_value, f.off_value, jsonb_array_length(f.quota_rules), f.version, f.updated_at
from flagmeter.flags f join flagmeter.tenants t on t.id = f.tenant_id join flagmeter.environments e on e.id = f.environment_id;
comment on view report.flags is 'Every flag: the global ones (tenant null) and each tenant''s own, per environment.';
comment on column report.flags.tenant is 'Tenant slug; null for a global flag every tenant inherits unless it has its own with the key.';
comment on column report.flags.environment is 'Environment name.';
comment on column report.flags.key is 'Flag key.';
comment on column report.flags.enabled is 'False: the flag serves its off value to everyone.';
comment on column report.flags.strategies is 'Number of strategies (0: on for everyone).';
comment on column report.flags.variants is 'Number of flag-level variants.';
comment on column report.flags.parents is 'Keys of the flags this one depends on.';
comment on column report.flags.value_type is 'boolean, string, number or json.';
comment on column report.flags.on_value is 'Value served when on without variants (null: true).';
comment on column report.flags.off_value is 'Value served when off (null: false).';
comment on column report.flags.quota_rules is 'Number of quota rules (evaluated before the strategies).';
comment on column report.flags.version is 'Grows with every change.';
comment on column report.flags.updated_at is 'Last change.';

--------------------------------------------------------------------------------------------------
-- Segments: named, reusable constraint sets strategies refer to by name
--------------------------------------------------------------------------------------------------

-- As with flags, a tenant's segments and the global ones live in two tables: tenant_id first in the
-- primary key (distribution by tenant), the global ones a reference table. A tenant's flags see its
-- own segments and the global ones (its own wins on a name); global flags see the global ones. A
-- segment is the same in every environment (as in Unleash), so a change reaches each environment's
-- flags that use it.
create table if not exists flagmeter.segments (
  tenant_id bigint not null references flagmeter.tenants (id) on delete cascade,
  name text not null check (name ~ '^[a-z0-9][a-z0-9._-]{0,127}$'),
  description text not null default '' check (length(description) <= 1000),
  constraints jsonb not null default '[]' check (jsonb_typeof(constraints) = 'array'),
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, name)
);
comment on table flagmeter.segments is 'A tenant''s segments: named constraint sets its flags'' strategies refer to (strategies[].segments). tenant_id comes first in the primary key (distribution by tenant). Replaces a global segment of the same name for this tenant.';
comment on column flagmeter.segments.name is 'The name strategies refer to (lowercase letters, digits, . _ -).';
comment on column flagmeter.segments.constraints is 'All must hold: [{contextName, operator, values | value, caseInsensitive, inverted}], as in a strategy.';
comment on column flagmeter.segments.version is 'Starts at 1 and grows with every change; part of the flag sets'' stamps.';

create table if not exists flagmeter.global_segments (
  name text primary key check (name ~ '^[a-z0-9][a-z0-9._-]{0,127}$'),
  description text not null default '' check (length(description) <= 1000),
  constraints jsonb not null default '[]' check (jsonb_typeof(constraints) = 'array'),
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table flagmeter.global_segments is 'Segments every tenant''s flags (and the global flags) may refer to. Written with admin keys only. Not tenant data: a reference table when distributed. Columns as in flagmeter.segments.';

--------------------------------------------------------------------------------------------------
-- Webhooks: an imported flag is a changed flag too
--------------------------------------------------------------------------------------------------

-- As in migration 12, plus flag.import (POST /api/flags/import writes one audit row per flag).
create or replace function flagmeter.tg_audit_log__webhook_event() returns trigger
language plpgsql volatile as $$
declare
  v_tenant text;
begin
  if new.action in ('flag.create', 'flag.update', 'flag.delete', 'flag.promote', 'flag.import') then
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
comment on function flagmeter.tg_audit_log__webhook_event() is 'flag.changed (a flag created, updated, deleted, promoted or imported), tenant.created and tenant.deleted events, from the audit entry of the change.';
