--! Previous: sha1:db244827dfc32844d17c3df6ece3a632b6367253
--! Hash: sha1:76ec3ac0b1eb03cf01464f7ab8ac79eaf8ec115d
--! Message: The audit log keys entries to their tenant by id (deleted with it) and keeps the actor's name

-- The audit log knows which tenant an entry is about (by id, not by slug) and who made it (#20).
--
-- Entries used to find their tenant by the slug in their target (`flag:acme/dev/x`, `tenant:acme`):
-- once `acme` was deleted and a new tenant took the slug, the new one read the old one's history,
-- allow-listed user ids included. Now each entry carries the tenant's id, set when it is written,
-- and deleting the tenant deletes its entries (ON DELETE CASCADE), as it deletes its events. The
-- entry of the deletion itself names a tenant that is gone, so it has no tenant_id and stays: who
-- deleted what, and the settings it had, remain for the operator.
--
-- The actor's name is kept with the entry: the key or person may be deleted later (with its tenant,
-- or by hand), and a flag's history must still say who made each change.

alter table flagmeter.audit_log add column if not exists tenant_id bigint references flagmeter.tenants (id) on delete cascade;
alter table flagmeter.audit_log add column if not exists actor_kind text check (actor_kind in ('key', 'person'));
alter table flagmeter.audit_log add column if not exists actor_name text;
-- the cascade of a tenant's deletion finds its entries by this index; most entries are global
create index if not exists audit_log_tenant_idx on flagmeter.audit_log (tenant_id) where tenant_id is not null;

comment on table flagmeter.audit_log is 'Every admin change and every sign-in, failed sign-in and sign-out: who (a key or a person), what (action, target), before and after, when. Append-only, except that deleting a tenant deletes the entries about it (the deletion''s own entry stays).';
comment on column flagmeter.audit_log.tenant_id is 'The tenant the entry is about (null: global, or a tenant since deleted, as in its deletion''s entry). Set on insert by _100_tenant_and_actor; deleting the tenant deletes the entry.';
comment on column flagmeter.audit_log.actor_kind is 'Who made the change: key or person; null when nobody did (bootstrap, auth off, a failed sign-in). Kept when the key or person is deleted.';
comment on column flagmeter.audit_log.actor_name is 'The name of that key or person when the change was made.';

-- The slug an entry names, from its target or the object it shows (a key, person, invitation or
-- endpoint bound to a tenant); null when it names none (or `*`, the global flags).
create or replace function flagmeter.audit_tenant_slug(target text, before jsonb, after jsonb) returns text
language sql immutable as $$
  select case
    when target like 'tenant:%' then substr(target, 8)
    when target like 'flag:%' then nullif(split_part(substr(target, 6), '/', 1), '*')
    else coalesce(after->>'tenant', before->>'tenant')
  end
$$;
comment on function flagmeter.audit_tenant_slug(text, jsonb, jsonb) is 'The tenant slug an audit entry names (target tenant:<slug> or flag:<slug>/..., else the tenant field of its after or before); null for none or the global flags.';

-- p_ names: api_keys has a key_id column, which a bare parameter name would collide with
create or replace function flagmeter.audit_tenant_id(p_target text, p_before jsonb, p_after jsonb, p_key_id bigint, p_person_id bigint) returns bigint
language plpgsql stable as $$
declare
  v_slug text := flagmeter.audit_tenant_slug(p_target, p_before, p_after);
  v_id bigint;
begin
  if v_slug is not null then
    -- null when that tenant is gone (the deletion's own entry): never the actor's tenant instead
    return (select t.id from flagmeter.tenants t where t.slug = v_slug);
  end if;
  -- a person's sign-in or password change: that person's tenant (names are unique)
  if p_target like 'person:%' then
    select p.tenant_id into v_id from flagmeter.people p where p.name = substr(p_target, 8);
    if v_id is not null then return v_id; end if;
  end if;
  -- otherwise a tenant-bound actor acts within its tenant
  return coalesce((select k.tenant_id from flagmeter.api_keys k where k.id = p_key_id),
                  (select p.tenant_id from flagmeter.people p where p.id = p_person_id));
end
$$;
comment on function flagmeter.audit_tenant_id(text, jsonb, jsonb, bigint, bigint) is 'The id of the tenant an audit entry is about: the one it names, else the person it concerns, else its tenant-bound actor; null for global entries and for tenants that no longer exist.';

create or replace function flagmeter.tg_audit_log__tenant_and_actor() returns trigger
language plpgsql volatile as $$
begin
  new.tenant_id := coalesce(new.tenant_id, flagmeter.audit_tenant_id(new.target, new.before, new.after, new.key_id, new.person_id));
  if new.actor_name is null and new.key_id is not null then
    new.actor_kind := 'key';
    new.actor_name := (select name from flagmeter.api_keys where id = new.key_id);
  elsif new.actor_name is null and new.person_id is not null then
    new.actor_kind := 'person';
    new.actor_name := (select name from flagmeter.people where id = new.person_id);
  end if;
  return new;
end
$$;
comment on function flagmeter.tg_audit_log__tenant_and_actor() is 'Sets an audit entry''s tenant_id (audit_tenant_id) and the actor''s kind and name, so every writer records them the same way.';

drop trigger if exists _100_tenant_and_actor on flagmeter.audit_log;
create trigger _100_tenant_and_actor before insert on flagmeter.audit_log
  for each row execute function flagmeter.tg_audit_log__tenant_and_actor();

-- Entries written before this migration. Those naming a slug that no tenant holds now, or that a
-- tenant took only after the entry was written, belong to a tenant deleted earlier: they are what
-- its deletion would now have deleted (its deletion's own entry stays).
delete from flagmeter.audit_log a
where a.tenant_id is null and a.action <> 'tenant.delete'
  and flagmeter.audit_tenant_slug(a.target, a.before, a.after) is not null
  and not exists (
    select 1 from flagmeter.tenants t
    where t.slug = flagmeter.audit_tenant_slug(a.target, a.before, a.after) and t.created_at <= a.at);
update flagmeter.audit_log a set tenant_id = flagmeter.audit_tenant_id(a.target, a.before, a.after, a.key_id, a.person_id)
where a.tenant_id is null and a.action <> 'tenant.delete';
update flagmeter.audit_log a set actor_kind = 'key', actor_name = k.name
from flagmeter.api_keys k where a.actor_name is null and k.id = a.key_id;
update flagmeter.audit_log a set actor_kind = 'person', actor_name = p.name
from flagmeter.people p where a.actor_name is null and a.key_id is null and p.id = a.person_id;

-- The view gains who made each change (kept when the key or person is gone) and the tenant.
create or replace view report.audit_log as
 select a.id, a.at, k.key_id, k.name as key_name, a.action, a.target, a.before, a.after, p.name as person_name,
   a.actor_kind, a.actor_name, t.slug as tenant
 from flagmeter.audit_log a
   left join flagmeter.api_keys k on k.id = a.key_id
   left join flagmeter.people p on p.id = a.person_id
   left join flagmeter.tenants t on t.id = a.tenant_id;
comment on column report.audit_log.actor_kind is 'Who made it: key or person (null: nobody, e.g. bootstrap or a failed sign-in).';
comment on column report.audit_log.actor_name is 'Name of the key or person that made it, as it was then (kept when they are deleted).';
comment on column report.audit_log.tenant is 'Slug of the tenant it is about (null: global, or a deleted tenant''s deletion).';

comment on function flagmeter.delete_tenant(text) is 'Deletes a tenant and all its data (events, keys, rollups, alerts, webhook, API keys, people, flags, and the audit entries about it); returns the deleted row and the number of events, or null when there is no such tenant.';
