--! Previous: sha1:8ea8030f362c0093ef4e0e1d33ce69e2a8f3919f
--! Hash: sha1:db244827dfc32844d17c3df6ece3a632b6367253
--! Message: Alerts keyed by (tenant_id, id), ready to distribute by tenant

-- Ready for Citus (docs/scaling.md): alerts are tenant data, distributed by tenant_id, and Citus enforces
-- a primary key only when it holds the distribution column, so the key becomes (tenant_id, id)
-- (tests/ops/shard-ready.test.ts checks every table). id stays an identity, unique in practice; delivery
-- finds an alert by id alone (the pg-boss job carries only the id), through a plain index on it.
alter table flagmeter.alerts drop constraint if exists alerts_pkey;
alter table flagmeter.alerts add constraint alerts_pkey primary key (tenant_id, id);
create index if not exists alerts_id_idx on flagmeter.alerts (id);
