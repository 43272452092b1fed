--! Previous: sha1:17a5cf3e784bd9dfa2bb604ce03a8c5044cfb6fa
--! Hash: sha1:fc78bfbb93e552b23ff9b00ba5ad4de68de3a109
--! Message: rollups: BRIN on minute, so per-tenant period sums use the primary key

-- A btree on rollups(minute) led the planner to sum one tenant's period by scanning every tenant's
-- rows in that period (87 ms instead of 16 ms with 50 tenants and two days of minutes). The only
-- reader that needs minute alone is tick()'s compaction ("minute < cutoff", all tenants), which a
-- BRIN serves well (rows arrive in time order) and which the planner does not prefer for the
-- per-tenant sums. A BRIN is also nearly free to maintain on the insert path.
drop index if exists flagmeter.rollups_minute_idx;
drop index if exists flagmeter.rollups_minute_brin;
create index rollups_minute_brin on flagmeter.rollups using brin (minute);
