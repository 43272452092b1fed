--! Previous: sha1:8b768dc0caab496b169a1a13648dadd048310672
--! Hash: sha1:c7845993bed556240823d73abf84c9a8c70af199
--! Message: Scopes flags and evaluate for the flag service

-- Two scopes for the flag service: `flags` manages flags (a tenant-bound key: only its tenant's),
-- `evaluate` may only evaluate flags and check entitlements (the key a browser or a mobile app may
-- hold). `admin` implies both; that is decided by the server, not stored.
alter table flagmeter.api_keys drop constraint if exists api_keys_scopes_check;
alter table flagmeter.api_keys add constraint api_keys_scopes_check
  check (cardinality(scopes) > 0 and scopes <@ array['ingest', 'read', 'admin', 'flags', 'evaluate']);
comment on column flagmeter.api_keys.scopes is 'ingest (post events), read (usage, alerts), admin (tenants, keys, webhooks, audit; implies flags and evaluate), flags (manage feature flags), evaluate (evaluate flags, check entitlements).';
