// API key rows. Secrets never leave this module in clear: only their hashes are written.
import type pg from 'pg';
import type { Pool } from './pool.ts';
import type { Scope } from '../auth/keys.ts';

export interface KeyRecord {
  id: number;
  keyId: string;
  hash: Buffer;
  name: string;
  scopes: Scope[];
  tenantId: number | null;
  tenant: string | null;
  revoked: boolean;
}

export interface KeyView {
  id: string; name: string; scopes: Scope[]; tenant: string | null; createdAt: string; revokedAt: string | null;
}

type Db = Pool | pg.ClientBase;

export async function findKey(db: Db, keyId: string): Promise<KeyRecord | undefined> {
  const { rows: [r] } = await db.query(
    { name: 'find_key', text: `select k.id, k.key_id, k.secret_hash, k.name, k.scopes, k.tenant_id, t.slug, k.revoked_at
     from flagmeter.api_keys k left join flagmeter.tenants t on t.id = k.tenant_id where k.key_id = $1::text`, values: [keyId] });
  return r && {
    id: r.id, keyId: r.key_id, hash: r.secret_hash, name: r.name, scopes: r.scopes, tenantId: r.tenant_id,
    tenant: r.slug, revoked: r.revoked_at !== null,
  };
}

const viewColumns = `k.key_id, k.name, k.scopes, t.slug, k.created_at, k.revoked_at`;
const toView = (r: { key_id: string; name: string; scopes: Scope[]; slug: string | null; created_at: Date; revoked_at: Date | null }): KeyView => ({
  id: r.key_id, name: r.name, scopes: r.scopes, tenant: r.slug, createdAt: r.created_at.toISOString(), revokedAt: r.revoked_at?.toISOString() ?? null,
});

export async function insertKey(db: Db, key: { keyId: string; hash: Buffer; name: string; scopes: Scope[]; tenantId: number | null; createdBy: number | null }): Promise<KeyView> {
  const { rows: [r] } = await db.query(
    `with k as (
       insert into flagmeter.api_keys (key_id, secret_hash, name, scopes, tenant_id, created_by)
       values ($1::text, $2::bytea, $3::text, $4::text[], $5::bigint, $6::bigint) returning *)
     select ${viewColumns} from k left join flagmeter.tenants t on t.id = k.tenant_id`,
    [key.keyId, key.hash, key.name, key.scopes, key.tenantId, key.createdBy]);
  return toView(r);
}

export async function listKeys(db: Db): Promise<KeyView[]> {
  const { rows } = await db.query(`select ${viewColumns} from flagmeter.api_keys k left join flagmeter.tenants t on t.id = k.tenant_id order by k.id`);
  return rows.map(toView);
}

/** Revokes a key; returns its view before and after, or undefined when there is no such key. */
export async function revokeKey(db: Db, keyId: string): Promise<{ before: KeyView; after: KeyView } | undefined> {
  const { rows: [before] } = await db.query(
    `select ${viewColumns} from flagmeter.api_keys k left join flagmeter.tenants t on t.id = k.tenant_id where k.key_id = $1::text for update of k`, [keyId]);
  if (!before) return undefined;
  const { rows: [after] } = await db.query(
    `with k as (update flagmeter.api_keys set revoked_at = coalesce(revoked_at, now()) where key_id = $1::text returning *)
     select ${viewColumns} from k left join flagmeter.tenants t on t.id = k.tenant_id`, [keyId]);
  return { before: toView(before), after: toView(after) };
}

export async function countAdminKeys(db: Db): Promise<number> {
  const { rows: [r] } = await db.query(`select count(*)::int n from flagmeter.api_keys where 'admin' = any (scopes) and revoked_at is null`);
  return r.n;
}

/** Replicas starting together: one of them bootstraps (in this transaction), the others then find its key. */
export async function lockKeyBootstrap(client: Db): Promise<void> {
  await client.query(`select pg_advisory_xact_lock(hashtext('flagmeter.bootstrap_keys'))`);
}
